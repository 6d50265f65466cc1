package segmenter

import (
	"os/exec"
	"runtime"
	"syscall"
)

// tieToNode makes the kernel SIGKILL cmd's process when the node dies,
// however it dies (kill -9 and the OOM killer included): left alone, an
// orphaned ffmpeg goes on encoding into a staging directory the restarted
// node has already deleted, beside the job it starts again.
//
// Linux sends the parent-death signal when the thread that forked the child
// exits, not the process. The Go runtime ends a thread only when a goroutine
// locked to it returns without unlocking, and any goroutine may run on the
// thread that forked, so the calling goroutine is locked to its thread until
// release: it must call Start and Wait, and release after Wait. No other
// goroutine can run on that thread meanwhile, so none can end it under the
// child. The cost is the thread, which Wait would block in any case.
func tieToNode(cmd *exec.Cmd) (release func()) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
