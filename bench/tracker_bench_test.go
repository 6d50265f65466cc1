//go:build unix

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/swarm/tracker"
)

// Tracker throughput, peeredge's swarm/tracker against opentracker (Debian's
// package, C, whitelist of the info hashes) and PeerTube's own tracker
// (@peertube/bittorrent-tracker-server 11.1.2 under Node, mounted and
// filtered as PeerTube does it; installed with npm into peertube-tracker/ on
// the first run), side by side on one machine under the same load:
//
//	go test -run '^$' -bench Tracker -benchtime 1x ./bench/
//
// How it's measured:
//   - HTTP announces: PEEREDGE_BENCH_CONNS (default 64) closed-loop
//     connections, kept alive unless the server closes them (opentracker
//     closes after every answer, so it is re-dialled each time). Together
//     they play 60,000 peers with random peer ids and ports, 60 in each of
//     1,000 registered swarms; an untimed warm-up announces each once with
//     event=started, then the timed runs re-announce them in turn without an
//     event, numwant=50, compact=1. Counted: 200 answers holding a bencoded
//     dictionary without a failure reason (peers/answer shows that every
//     tracker returns full lists).
//   - WebSocket offers: 200 sockets in 20 of those swarms (10 peers each, so
//     offers have somebody to go to), each joining first (event=started, no
//     offer), then announcing with 5 offers of a 520-byte fake SDP and waiting
//     for the tracker's reply before the next. Counted: offers arriving at
//     the other sockets (a sample is decoded and checked), per second.
//   - Each target gets two rounds of PEEREDGE_BENCH_SECONDS/2 (default 5 s
//     per target), alternating the order. "peeredge" is served by a
//     fasthttp.Server inside the benchmark process, so it shares the Go
//     runtime with the load generator; "peeredge-proc" is the same handler
//     in a child process (this test binary), like opentracker and Node. All
//     share the machine's cores with the generator, so on a small machine the
//     rates are bounded by the generator too; the per-CPU-second figures (the
//     tracker process's own user+system time) compare the trackers' cost.
//     Rate limits and the privacy alarm are out of the way (all load comes
//     from 127.0.0.1); MaxPeers is 50 to match numwant.
//
// A target whose binary or npm module is missing is skipped with a message
// and its ratios are not reported; PEEREDGE_BENCH_TRACKERS=peeredge,peertube
// (names as in the table) measures only those.
const (
	trackerBenchSwarms        = 1000
	trackerBenchNumwant       = 50
	trackerBenchPeersPerSwarm = 60 // > numwant, so every answer can be full
	trackerBenchSockets       = 200
	trackerBenchSocketSwarms  = 20
	trackerBenchOffers        = 5
)

// errTargetUnavailable marks a tracker that is not installed here.
var errTargetUnavailable = errors.New("tracker not available")

// trackerTarget is one tracker under load.
type trackerTarget struct {
	name            string
	addr            string
	announcePath    string
	socketPath      string // "" without a WebSocket side
	closeEachAnswer bool
	pid             int // 0 when it runs in this process
}

// cpuMeter accumulates the CPU time a target's process spends during the
// measured runs.
type cpuMeter struct {
	used  time.Duration
	valid bool
}

// measure runs f and adds the CPU time pid used meanwhile.
func (m *cpuMeter) measure(pid int, f func()) {
	before, ok1 := processCPUTime(pid)
	f()
	after, ok2 := processCPUTime(pid)
	if pid == 0 || !ok1 || !ok2 {
		return
	}
	m.used += after - before
	m.valid = true
}

// perCPUSecond is n events per CPU second of the target, ok=false when the
// target runs in this process (its CPU cannot be told from the load's).
func (m cpuMeter) perCPUSecond(n int64) (float64, bool) {
	if !m.valid || m.used <= 0 {
		return 0, false
	}
	return float64(n) / m.used.Seconds(), true
}

// formatRate prints a per-CPU-second figure, "-" when there is none.
func formatRate(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func BenchmarkTrackerHTTPAnnounce(b *testing.B) {
	hashes := benchInfoHashes(trackerBenchSwarms)
	targets := startTrackerTargets(b, hashes)
	dur := envDuration(b, "PEEREDGE_BENCH_SECONDS", 5*time.Second)
	conns := envInt(b, "PEEREDGE_BENCH_CONNS", 64)
	load := func(t trackerTarget, d time.Duration, warmUp bool) announceLoad {
		return announceLoad{addr: t.addr, path: t.announcePath, hashes: hashes, conns: conns,
			peersPerConn: (trackerBenchSwarms*trackerBenchPeersPerSwarm + conns - 1) / conns,
			numwant:      trackerBenchNumwant, dur: d, seed: 1, warmUp: warmUp, closeEachAnswer: t.closeEachAnswer}
	}
	for _, t := range targets {
		waitAnnounceOK(b, t, hashes)
		// Start every peer once, untimed, so the swarms are full.
		if _, err := load(t, time.Minute, true).run(context.Background()); err != nil {
			b.Fatalf("%s warm-up: %v", t.name, err)
		}
	}
	results := map[string]announceResult{}
	cpu := map[string]*cpuMeter{}
	for round := range 2 {
		for i := range targets {
			t := targets[(i+round)%len(targets)] // alternate who goes first
			if cpu[t.name] == nil {
				cpu[t.name] = &cpuMeter{}
			}
			var r announceResult
			var err error
			cpu[t.name].measure(t.pid, func() { r, err = load(t, dur/2, false).run(context.Background()) })
			if err != nil {
				b.Fatalf("%s: %v", t.name, err)
			}
			results[t.name] = results[t.name].add(r)
		}
	}
	b.ReportMetric(0, "ns/op") // fixed-duration runs: ns/op means nothing
	rates, perCPU := map[string]float64{}, map[string]float64{}
	var table strings.Builder
	fmt.Fprintf(&table, "HTTP announces, %d conns, %d swarms of %d peers, numwant %d:\n",
		conns, trackerBenchSwarms, trackerBenchPeersPerSwarm, trackerBenchNumwant)
	fmt.Fprintf(&table, "  %-13s %12s %12s %16s\n", "tracker", "announces/s", "peers/answer", "announces/CPU-s")
	for _, t := range targets {
		r := results[t.name]
		rates[t.name] = r.perSec()
		b.ReportMetric(r.perSec(), t.name+"-announces/s")
		c, ok := cpu[t.name].perCPUSecond(r.answers)
		if ok {
			perCPU[t.name] = c
			b.ReportMetric(c, t.name+"-announces/CPU-s")
		}
		fmt.Fprintf(&table, "  %-13s %12.0f %12.1f %16s\n", t.name, r.perSec(), r.peersPerAnswer(), formatRate(c, ok))
	}
	reportTrackerRatios(b, &table, "ratios of announces/s", "", rates)
	reportTrackerRatios(b, &table, "ratios of announces/CPU-s", "-per-CPU", perCPU)
	b.Log(table.String() + trackerTableNote)
}

func BenchmarkTrackerWebSocketOffers(b *testing.B) {
	hashes := benchInfoHashes(trackerBenchSwarms)
	var targets []trackerTarget
	for _, t := range startTrackerTargets(b, hashes) {
		if t.socketPath != "" {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		b.Skip("no tracker with a WebSocket side available")
	}
	dur := envDuration(b, "PEEREDGE_BENCH_SECONDS", 5*time.Second)
	results := map[string]offerResult{}
	cpu := map[string]*cpuMeter{}
	for round := range 2 {
		for i := range targets {
			t := targets[(i+round)%len(targets)]
			if cpu[t.name] == nil {
				cpu[t.name] = &cpuMeter{}
			}
			l := offerLoad{url: "ws://" + t.addr + t.socketPath, hashes: hashes, sockets: trackerBenchSockets,
				swarms: trackerBenchSocketSwarms, offersPer: trackerBenchOffers, dur: dur / 2, seed: uint64(round + 1)}
			var r offerResult
			var err error
			cpu[t.name].measure(t.pid, func() { r, err = l.run(context.Background()) })
			if err != nil {
				b.Fatalf("%s: %v", t.name, err)
			}
			results[t.name] = results[t.name].add(r)
		}
	}
	b.ReportMetric(0, "ns/op")
	rates, perCPU := map[string]float64{}, map[string]float64{}
	var table strings.Builder
	fmt.Fprintf(&table, "WebSocket offers, %d sockets in %d swarms, %d offers of %d B per announce:\n",
		trackerBenchSockets, trackerBenchSocketSwarms, trackerBenchOffers, benchSDPSize)
	fmt.Fprintf(&table, "  %-13s %12s %12s %16s\n", "tracker", "offers/s", "announces/s", "offers/CPU-s")
	for _, t := range targets {
		r := results[t.name]
		rates[t.name] = r.perSec()
		b.ReportMetric(r.perSec(), t.name+"-offers/s")
		c, ok := cpu[t.name].perCPUSecond(r.offers)
		if ok {
			perCPU[t.name] = c
			b.ReportMetric(c, t.name+"-offers/CPU-s")
		}
		fmt.Fprintf(&table, "  %-13s %12.0f %12.0f %16s\n", t.name, r.perSec(),
			float64(r.announces)/r.elapsed.Seconds(), formatRate(c, ok))
	}
	reportTrackerRatios(b, &table, "ratios of offers/s", "", rates)
	reportTrackerRatios(b, &table, "ratios of offers/CPU-s", "-per-CPU", perCPU)
	b.Log(table.String() + trackerTableNote)
}

// reportTrackerRatios reports peeredge's figures (in this process and as its
// own process) over each anchor's, as metrics named ours/anchor+suffix and
// on one line of the table (the testing package keeps only 10 lines of a
// benchmark's log).
func reportTrackerRatios(b *testing.B, table *strings.Builder, label, suffix string, figures map[string]float64) {
	var line []string
	for _, ours := range []string{"peeredge", "peeredge-proc"} {
		r, ok := figures[ours]
		if !ok {
			continue
		}
		for _, anchor := range []string{"opentracker", "peertube"} {
			if a, ok := figures[anchor]; ok && a > 0 {
				b.ReportMetric(r/a, ours+"/"+anchor+suffix)
				line = append(line, fmt.Sprintf("%s/%s %.2f", ours, anchor, r/a))
			}
		}
	}
	if len(line) > 0 {
		fmt.Fprintf(table, "  %s: %s\n", label, strings.Join(line, ", "))
	}
}

// trackerTableNote ends both tables.
const trackerTableNote = "  (peeredge: in this process, sharing its Go runtime with the load generator; " +
	"peeredge-proc: child process like the others; CPU-s: the tracker process's own user+system time)"

// startTrackerTargets starts every tracker available here (or those named in
// PEEREDGE_BENCH_TRACKERS, e.g. "peeredge,peertube"), logging the ones that
// are not, and skips when none is.
func startTrackerTargets(b *testing.B, hashes [][20]byte) []trackerTarget {
	b.Helper()
	starters := []struct {
		name  string
		start func() (trackerTarget, error)
	}{
		{"peeredge", func() (trackerTarget, error) { return startPeeredgeTracker(b, hashes) }},
		{"peeredge-proc", func() (trackerTarget, error) { return startPeeredgeTrackerProcess(b) }},
		{"opentracker", func() (trackerTarget, error) {
			addr, pid, err := startOpentracker(b, hashes)
			return trackerTarget{name: "opentracker", addr: addr, announcePath: opentrackerAnnouncePath,
				closeEachAnswer: true, pid: pid}, err
		}},
		{"peertube", func() (trackerTarget, error) {
			addr, pid, err := startPeerTubeTracker(b, hashes)
			return trackerTarget{name: "peertube", addr: addr, announcePath: "/tracker/announce",
				socketPath: "/tracker/socket", pid: pid}, err
		}},
	}
	only := os.Getenv("PEEREDGE_BENCH_TRACKERS")
	var targets []trackerTarget
	for _, s := range starters {
		if only != "" && !slices.Contains(strings.Split(only, ","), s.name) {
			continue
		}
		t, err := s.start()
		if errors.Is(err, errTargetUnavailable) {
			b.Logf("skipping %s: %v", s.name, err)
			continue
		}
		if err != nil {
			b.Fatalf("%s: %v", s.name, err)
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		b.Skip("no tracker available")
	}
	return targets
}

// startPeeredgeTracker serves swarm/tracker's HTTP and WebSocket handlers on
// a loopback port of this process, at the paths the edge routes them.
func startPeeredgeTracker(b *testing.B, hashes [][20]byte) (trackerTarget, error) {
	handler, closeSockets := benchTrackerHandler(hashes)
	addr := servePeeredge(b, handler)
	b.Cleanup(closeSockets) // before the server's shutdown: hijacked sockets are not its own
	return trackerTarget{name: "peeredge", addr: addr, announcePath: "/tracker/announce", socketPath: "/tracker/socket"}, nil
}

// benchTrackerHandler is peeredge's tracker configured for the benchmark:
// MaxPeers matches numwant; the rate limit and the privacy alarm are out of
// the way, as all the load comes from 127.0.0.1.
func benchTrackerHandler(hashes [][20]byte) (fasthttp.RequestHandler, func()) {
	reg := tracker.NewRegistry()
	for _, h := range hashes {
		reg.Add(h)
	}
	tr := tracker.New(tracker.Config{
		MaxPeers:      trackerBenchNumwant,
		Rate:          1e12,
		Burst:         1 << 30,
		AlarmDistinct: 10 * trackerBenchSwarms,
		Logger:        slog.New(slog.DiscardHandler),
	}, reg)
	sockets := tracker.NewSocketServer(tr, tracker.SocketConfig{Logger: slog.New(slog.DiscardHandler)})
	return func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/tracker/announce":
			tr.ServeAnnounce(ctx)
		case "/tracker/socket":
			sockets.Serve(ctx)
		default:
			ctx.SetStatusCode(fasthttp.StatusNotFound)
		}
	}, sockets.Close
}

// trackerProcessProfileEnv names a file for the child tracker's CPU profile
// (go tool pprof it to see where peeredge-proc spends its time).
const trackerProcessProfileEnv = "PEEREDGE_BENCH_TRACKER_CPUPROFILE"

// trackerProcessEnv makes TestTrackerServerProcess serve instead of skipping.
const trackerProcessEnv = "PEEREDGE_BENCH_TRACKER_PROCESS"

// startPeeredgeTrackerProcess runs the same tracker in a child process (this
// test binary running TestTrackerServerProcess), so that, like the other
// trackers, it does not share a Go runtime with the load generator and its
// CPU time can be read.
func startPeeredgeTrackerProcess(b *testing.B) (trackerTarget, error) {
	exe, err := os.Executable()
	if err != nil {
		return trackerTarget{}, fmt.Errorf("%w: %w", errTargetUnavailable, err)
	}
	cmd := exec.Command(exe, "-test.run=^TestTrackerServerProcess$")
	cmd.Env = append(os.Environ(), trackerProcessEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // closed when this process ends: the child then exits
	if err != nil {
		b.Fatal(err)
	}
	addr, _ := startListeningChild(b, cmd, "peeredge tracker process")
	b.Cleanup(func() { _ = stdin.Close() })
	return trackerTarget{name: "peeredge-proc", addr: addr, announcePath: "/tracker/announce",
		socketPath: "/tracker/socket", pid: cmd.Process.Pid}, nil
}

// TestTrackerServerProcess is the child of startPeeredgeTrackerProcess; it
// skips unless started by it. It serves until its stdin closes.
func TestTrackerServerProcess(t *testing.T) {
	if os.Getenv(trackerProcessEnv) != "1" {
		t.Skip("helper process of the tracker benchmarks")
	}
	if path := os.Getenv(trackerProcessProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	handler, closeSockets := benchTrackerHandler(benchInfoHashes(trackerBenchSwarms))
	defer closeSockets()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: handler, Name: "peeredge"}
	// Stop on SIGTERM (stopProcess) or when the parent goes (stdin closes),
	// cleanly, so that a CPU profile is written.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	go func() {
		select {
		case <-term:
		case <-stdinClosed:
		}
		closeSockets()
		_ = srv.Shutdown()
	}()
	fmt.Printf("listening %s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil {
		t.Fatal(err)
	}
}

// waitAnnounceOK announces until the target answers without a failure (a
// tracker may load its whitelist after it starts listening) or fails.
func waitAnnounceOK(b *testing.B, t trackerTarget, hashes [][20]byte) {
	b.Helper()
	l := announceLoad{addr: t.addr, path: t.announcePath, hashes: hashes, peersPerConn: 1,
		numwant: trackerBenchNumwant, seed: math.MaxUint64, closeEachAnswer: t.closeEachAnswer}
	w := newAnnounceWorker(l, 0)
	defer w.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := w.announce(ctx)
		cancel()
		if err == nil {
			return
		}
		w.close()
		if time.Now().After(deadline) {
			b.Fatalf("%s does not answer announces: %v", t.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
