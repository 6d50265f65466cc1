package origin

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/smalldisk"
)

func newTestSpace(t *testing.T, root string, reserve int64) *Space {
	t.Helper()
	disk, err := layout.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpace(disk, reserve, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpaceBallast(t *testing.T) {
	root := smalldisk.Mount(t, 128<<20)
	s := newTestSpace(t, root, MinDiskReserve)
	before, _ := s.Free()
	if err := s.Tend(); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Free()
	if taken := before - after; taken < s.ballast {
		t.Fatalf("the ballast takes %d bytes, want %d", taken, s.ballast)
	}
	if err := s.CheckRoom(after - s.reserve + 1); !errors.Is(err, ErrNoSpace) {
		t.Errorf("CheckRoom past the reserve = %v, want ErrNoSpace", err)
	}
	if err := s.CheckRoom(after - s.reserve - 1<<20); err != nil {
		t.Errorf("CheckRoom within the reserve = %v", err)
	}

	smalldisk.Fill(t, root, 0)
	if err := s.CatalogWritable(); err != nil {
		t.Fatalf("with the ballast to release, CatalogWritable = %v", err)
	}
	if _, err := os.Stat(s.disk.BallastPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ballast not released on a full disk: %v", err)
	}
	smalldisk.Fill(t, root, 0)
	if err := s.CatalogWritable(); !errors.Is(err, ErrNoSpace) {
		t.Errorf("full disk without a ballast: CatalogWritable = %v, want ErrNoSpace", err)
	}
	if err := os.Remove(smalldisk.FillerPath(root)); err != nil {
		t.Fatal(err)
	}
	if err := s.Tend(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(s.disk.BallastPath()); err != nil || st.Size() != s.ballast {
		t.Errorf("ballast not restored once there is room: %v", err)
	}
	if _, err := NewSpace(s.disk, MinDiskReserve-1, nil); err == nil {
		t.Error("a reserve under the minimum was accepted")
	}
}

// inChild runs the named test again in a child process with env set, and
// fails t with the child's output if the child fails or dies: a SIGBUS
// must show as a failure, not end this process.
func inChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("child %s did not pass:\n%s", name, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "_test.go:") {
			t.Log("child:", strings.TrimSpace(line))
		}
	}
}

const envFullDisk = "PEEREDGE_TEST_FULL_DISK"

// TestCatalogOnFullDisk: on a filesystem another program has filled, the
// catalogue's writes fail with ErrNoSpace or succeed (into preallocated
// logs), never kill the process, and lose nothing: what was acknowledged
// reads back after a reopen.
func TestCatalogOnFullDisk(t *testing.T) {
	root := os.Getenv(envFullDisk)
	if root == "" {
		inChild(t, "TestCatalogOnFullDisk", envFullDisk+"="+smalldisk.Mount(t, 128<<20))
		return
	}
	ctx := context.Background()
	s := newTestSpace(t, root, MinDiskReserve)
	if err := s.Tend(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "catalog")
	c, err := OpenCatalog(dir, testLogger(t), s)
	if err != nil {
		t.Fatal(err)
	}
	// Another program fills the disk: the ballast is released, and the
	// catalogue goes on writing in the room it gives (rotating and
	// flushing its memtable on the way).
	smalldisk.Fill(t, root, 0)
	last, written, refused := false, 0, 0
	write := func(n int) {
		for i := range n {
			err := c.SetBoolSetting(ctx, "p2p", i%2 == 0)
			switch {
			case err == nil:
				written++
				last = i%2 == 0
			case errors.Is(err, ErrNoSpace):
				refused++
			default:
				t.Fatalf("write %d: %v", i, err)
			}
		}
	}
	write(50_000) // 3 MB of log: more than a memtable holds
	if written != 50_000 {
		t.Errorf("with the ballast released, %d of 50000 writes went through", written)
	}
	// And takes that room too: now every write is refused, none kills us.
	smalldisk.Fill(t, root, 0)
	written, refused = 0, 0
	write(1000)
	t.Logf("on a disk full to the last byte: %d writes acknowledged, %d refused with ErrNoSpace", written, refused)
	if refused == 0 {
		t.Error("no write was refused on a full disk")
	}
	if err := os.Remove(smalldisk.FillerPath(root)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = OpenCatalog(dir, testLogger(t), s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.BoolSetting(ctx, "p2p", !last); err != nil || got != last {
		t.Errorf("after reopening: setting = %v, %v; want the last acknowledged %v", got, err, last)
	}
}

// TestReceiveStopsAtTheReserve: an upload that would eat into the reserve
// is refused as soon as it gets there, leaves nothing, and a smaller one
// right after goes through.
func TestReceiveStopsAtTheReserve(t *testing.T) {
	root := smalldisk.Mount(t, 128<<20)
	s := newTestSpace(t, root, MinDiskReserve)
	if err := s.Tend(); err != nil {
		t.Fatal(err)
	}
	c := openTestCatalog(t, filepath.Join(t.TempDir(), "db")) // elsewhere: only the files count here
	defer c.Close()
	store, err := NewStore(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := NewIntake(IntakeConfig{Catalog: c, Store: store, Space: s, Logger: testLogger(t)})
	free, _ := s.Free()
	if err := in.Room(free); !errors.Is(err, ErrNoSpace) {
		t.Errorf("Room(all the free space) = %v, want ErrNoSpace", err)
	}
	big := &countingZeros{left: free} // more than fits beside the reserve
	_, err = in.Receive(context.Background(), big)
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Receive = %v, want ErrNoSpace", err)
	}
	if over := big.read - (free - s.reserve); over > 2*spaceCheckEvery {
		t.Errorf("read %d bytes past the reserve", over)
	}
	if left, _ := os.ReadDir(store.Disk().TmpDir()); len(left) != 0 {
		t.Errorf("a refused upload left %d files", len(left))
	}
	f, err := in.Receive(context.Background(), &countingZeros{left: 4 << 20})
	if err != nil {
		t.Fatalf("a small upload after the refusal: %v", err)
	}
	f.Discard()
}
