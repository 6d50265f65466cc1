// Package netns runs a test again inside a network namespace of its own,
// for tests whose traffic would otherwise leave loopback: pion/webrtc
// (inside anacrolix/torrent, whose setting engine cannot be changed)
// skips loopback ICE candidates and would connect over the machine's real
// interface. In the namespace the only addresses are loopback and an
// interface of the test's own (a bridge with no ports), so every
// packet stays inside it.
package netns

import (
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const (
	envInside = "PEEREDGE_NETNS_INSIDE"
	// hostAddr is that interface's address: a documentation range
	// (RFC 5737 TEST-NET-3) that exists only inside the namespace.
	hostAddr = "203.0.113.1/24"
	// gatewayAddr is a gateway in that range that nothing answers for.
	gatewayAddr = "203.0.113.254"
)

// setup brings loopback up and gives the namespace one interface of its own,
// then runs the test binary given as its arguments. (A bridge rather
// than a dummy: some kernels here lack the dummy driver.) The default
// route through it leads nowhere (no such gateway, no ports) but makes
// the namespace look connected: Chromium gathers no ICE candidates at all
// without one.
const setup = `set -e
ip link set lo up
ip link add peeredge0 type bridge
ip addr add ` + hostAddr + ` dev peeredge0
ip link set peeredge0 up
ip route add default via ` + gatewayAddr + ` dev peeredge0
exec "$@"`

// Isolate reports whether the caller runs inside its own namespace. Outside,
// it runs the same test again in a new namespace, fails t if that run
// fails, and returns false: the caller then returns at once. It skips t
// when namespaces cannot be made here (not root, no unshare or ip).
func Isolate(t *testing.T) bool {
	t.Helper()
	if os.Getenv(envInside) == "1" {
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace (CI runs as root)")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s to make a network namespace", tool)
		}
	}
	run := "^" + regexp.QuoteMeta(t.Name()) + "$"
	if i := strings.IndexByte(t.Name(), '/'); i >= 0 {
		t.Fatal("netns.Isolate works on top-level tests only")
	}
	args := []string{"--net", "--", "sh", "-c", setup, "sh",
		os.Args[0], "-test.run=" + run, "-test.count=1", "-test.v"}
	// The run inside keeps its artifacts (screenshots) where go test
	// -artifacts asked for them.
	for _, name := range []string{"test.artifacts", "test.outputdir"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != f.DefValue {
			args = append(args, "-"+name+"="+f.Value.String())
		}
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), envInside+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("isolated run:\n%s", out)
	if err != nil {
		t.Fatalf("isolated run failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("isolated run did not pass %s", t.Name())
	}
	return false
}
