package origin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestNewStoreEndsLeftoverFFmpeg restarts a store over a staging directory
// whose pid file names a process, as a node killed mid-transcode leaves it,
// and checks that only an ffmpeg still working in that directory is ended.
func TestNewStoreEndsLeftoverFFmpeg(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	// rawFFmpeg is a real ffmpeg started as the segmenter would, without the
	// parent-death signal: it reads raw audio from a pipe that never ends
	// and writes it into out, so it runs until killed.
	rawFFmpeg := func(out string) *exec.Cmd {
		return exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
			"-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "pipe:0", "-f", "s16le", "file:"+filepath.Join(out, "out.raw"))
	}
	tests := []struct {
		name      string
		command   func(staging string) *exec.Cmd
		exited    bool // the process is gone before the restart
		wantEnded bool
	}{
		{"ffmpeg writing into the staging directory", rawFFmpeg, false, true},
		{"ffmpeg writing elsewhere", func(string) *exec.Cmd { return rawFFmpeg(t.TempDir()) }, false, false},
		{"unrelated process", func(string) *exec.Cmd { return exec.Command("sleep", "600") }, false, false},
		{"process already gone", func(string) *exec.Cmd { return exec.Command("true") }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			s, err := NewStore(root, nil)
			if err != nil {
				t.Fatal(err)
			}
			staging, err := s.StagingDir(testUUID)
			if err != nil {
				t.Fatal(err)
			}
			cmd := tt.command(staging)
			stdin, err := cmd.StdinPipe() // held open: ffmpeg waits on it
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				stdin.Close()
				_ = cmd.Process.Kill()
				<-done
			})
			if tt.exited {
				<-done
			} else {
				waitExecuted(t, cmd.Process.Pid)
			}
			writeFile(t, filepath.Join(staging, layout.PIDFileName(cmd.Process.Pid)), "")

			if _, err := NewStore(root, nil); err != nil { // the restart
				t.Fatal(err)
			}
			if tt.wantEnded {
				select {
				case <-done:
					if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
						t.Errorf("leftover exited with %v, want killed by SIGKILL", cmd.ProcessState)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("leftover ffmpeg still running after NewStore")
				}
			} else if !tt.exited && !running(t, cmd.Process.Pid) {
				// NewStore waits for what it kills, so it would be dead by now.
				t.Fatal("NewStore ended a process that was not its leftover")
			}
			entries, err := os.ReadDir(s.Disk().TmpDir())
			if err != nil || len(entries) != 0 {
				t.Errorf("tmp holds %d entries (%v), want none", len(entries), err)
			}
		})
	}
}

// waitExecuted waits until process pid shows its command line. Start
// returns once the child is in execve, a moment before the kernel sets up
// its arguments: a leftover of a killed node has been running for long,
// and looks like this.
func waitExecuted(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && len(b) > 0 {
			return
		}
	}
	t.Fatalf("process %d shows no command line after 5 s", pid)
}

// running reports whether process pid exists and has not exited (a zombie
// has, though its parent has not collected it yet).
func running(t *testing.T, pid int) bool {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// "pid (comm) state …": comm may hold anything, so read after its last ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
