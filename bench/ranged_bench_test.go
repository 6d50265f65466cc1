//go:build unix

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/internal/layout"
)

// Ranged GETs of random block-aligned 16 KiB and 1 MiB ranges of one 256 MiB
// file, against peeredge's edge.FileServer alone (in this process, on
// fasthttp's defaults), the node's whole edge server (edge.Server: routing,
// CORS, connection limits and timeouts, the file at its WebSeed URL) and
// nginx (sendfile, tcp_nopush, one worker per core), side by side in one
// run:
//
//	go test -run '^$' -bench RangedGET -benchtime 1x ./bench/
//
// Each case takes the servers in turn, in a rotating order, for two rounds
// of PEEREDGE_BENCH_SECONDS/2 each (default 5 s per server), with
// PEEREDGE_BENCH_CONNS connections (default 64). The Go load generator shares
// the cores with the server measured, the same way for all, so the ratios to
// nginx are the figures to read. PEEREDGE_BENCH_WRK=1 also measures each
// case with wrk and a Lua script choosing random ranges.
const (
	rangedFileSize = 256 << 20
	rangedFileName = "big.mp4"
)

// rangedServer is a server measured: its name, address and the file's path.
type rangedServer struct{ name, addr, path string }

func BenchmarkRangedGET(b *testing.B) {
	needNginx(b)
	root := b.TempDir()
	data := rangedBenchFile(b, filepath.Join(root, rangedFileName), rangedFileSize)

	fs := edge.NewFileServer(edge.FileServerConfig{Root: root})
	b.Cleanup(func() { _ = fs.Close() })
	ours := servePeeredge(b, func(ctx *fasthttp.RequestCtx) {
		fs.Serve(ctx, strings.TrimPrefix(string(ctx.Path()), "/"))
	})
	servers := []rangedServer{
		{"peeredge", ours, "/" + rangedFileName},
		serveEdge(b, filepath.Join(root, rangedFileName)),
		{"nginx", startNginx(b, root).addr, "/" + rangedFileName},
	}
	for _, s := range servers {
		checkRangedServer(b, s, data)
	}

	dur := envDuration(b, "PEEREDGE_BENCH_SECONDS", 5*time.Second)
	conns := envInt(b, "PEEREDGE_BENCH_CONNS", 64)
	for _, block := range []int64{16 << 10, 1 << 20} {
		b.Run(sizeName(block), func(b *testing.B) {
			results := map[string]loadResult{}
			for round := range 2 {
				for i := range servers {
					s := servers[(i+round)%len(servers)] // rotate who goes first
					l := rangedLoad{addr: s.addr, path: s.path, fileSize: rangedFileSize,
						blockSize: block, conns: conns, dur: dur / 2}
					r, err := l.run(context.Background())
					if err != nil {
						b.Fatalf("%s: %v", s.name, err)
					}
					results[s.name] = results[s.name].add(r)
				}
			}
			n := results["nginx"]
			b.ReportMetric(0, "ns/op") // one fixed-duration run: ns/op means nothing
			b.ReportMetric(n.requestsPerSec(), "nginx-req/s")
			b.ReportMetric(n.megabytesPerSec(), "nginx-MB/s")
			for _, name := range []string{"peeredge", "edge"} {
				p := results[name]
				b.ReportMetric(p.requestsPerSec(), name+"-req/s")
				b.ReportMetric(p.megabytesPerSec(), name+"-MB/s")
				b.ReportMetric(p.requestsPerSec()/n.requestsPerSec(), name+"/nginx")
				b.Logf("%s ranges, %d conns: %s %.0f req/s %.0f MB/s, nginx %.0f req/s %.0f MB/s, ratio %.2f",
					sizeName(block), conns, name, p.requestsPerSec(), p.megabytesPerSec(),
					n.requestsPerSec(), n.megabytesPerSec(), p.requestsPerSec()/n.requestsPerSec())
			}

			if os.Getenv("PEEREDGE_BENCH_WRK") == "1" {
				rates := map[string]float64{}
				for _, s := range servers {
					rates[s.name] = runWrk(b, s, block, conns, dur/2)
					b.ReportMetric(rates[s.name], "wrk-"+s.name+"-req/s")
				}
				for _, name := range []string{"peeredge", "edge"} {
					b.ReportMetric(rates[name]/rates["nginx"], "wrk-"+name+"/nginx")
					b.Logf("wrk: %s %.0f req/s, nginx %.0f req/s, ratio %.2f", name, rates[name], rates["nginx"], rates[name]/rates["nginx"])
				}
			}
		})
	}
}

// serveEdge runs the node's edge server over a media directory holding
// file (linked, not copied) as a rendition, as the node configures it but
// for the logger, and returns it with the file's WebSeed path.
func serveEdge(b *testing.B, file string) rangedServer {
	b.Helper()
	disk, err := layout.NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	const uuid = "0b0f6c2e-0000-4000-8000-000000000000"
	name := layout.RenditionFileName(uuid, 720)
	if err := os.MkdirAll(disk.HLSDir(uuid), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.Link(file, filepath.Join(disk.HLSDir(uuid), name)); err != nil {
		b.Fatal(err)
	}
	base := edgetest.Serve(b, edge.Config{MediaDir: disk.MediaDir(), Logger: slog.New(slog.DiscardHandler)})
	return rangedServer{"edge", strings.TrimPrefix(base, "http://"), layout.WebSeedPrefix + name}
}

// servePeeredge serves h on a loopback port with fasthttp defaults.
func servePeeredge(b *testing.B, h fasthttp.RequestHandler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h, Name: "peeredge"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	b.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return ln.Addr().String()
}

// rangedBenchFile writes size pseudo-random bytes (a 1 MiB pattern repeated
// with a varying first byte, so no two blocks are equal) and returns them.
func rangedBenchFile(b *testing.B, path string, size int) []byte {
	b.Helper()
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(7, 7))
	pattern := data[:1<<20]
	for i := range pattern {
		pattern[i] = byte(rng.Uint32())
	}
	for off := len(pattern); off < size; off += len(pattern) {
		copy(data[off:], pattern)
		data[off] = byte(off >> 20)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return data
}

// checkRangedServer fetches a few ranges from a server and compares them with
// the file, so both servers are known to serve the same bytes.
func checkRangedServer(b *testing.B, s rangedServer, data []byte) {
	b.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, r := range [][2]int64{{0, 16383}, {1 << 20, 2<<20 - 1}, {int64(len(data)) - 100, int64(len(data)) - 1}} {
		req, _ := http.NewRequest("GET", "http://"+s.addr+s.path, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", r[0], r[1]))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatalf("%s: %v", s.name, err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != 206 || !bytes.Equal(body, data[r[0]:r[1]+1]) {
			b.Fatalf("%s: range %v: status %d, %d bytes, err %v", s.name, r, resp.StatusCode, len(body), err)
		}
	}
}

const wrkScript = `local blocks = %d
local block = %d
request = function()
  local off = math.random(0, blocks - 1) * block
  return wrk.format("GET", "%s", { ["Range"] = "bytes=" .. off .. "-" .. (off + block - 1) })
end
`

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk measures s with wrk (2 threads) and returns requests/s.
func runWrk(b *testing.B, s rangedServer, block int64, conns int, dur time.Duration) float64 {
	b.Helper()
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skipf("wrk not installed: %v", err)
	}
	script := filepath.Join(b.TempDir(), "ranges.lua")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(wrkScript, rangedFileSize/block, block, s.path)), 0o644); err != nil {
		b.Fatal(err)
	}
	secs := max(1, int(dur.Seconds()))
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", "-t2", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s",
		"-s", script, "http://"+s.addr+s.path).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		b.Fatalf("wrk saw errors:\n%s", out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		b.Fatalf("no rate in wrk output:\n%s", out)
	}
	rate, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		b.Fatal(err)
	}
	return rate
}

func sizeName(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n>>10, 10) + "KiB"
}

func envDuration(b *testing.B, key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		b.Fatalf("%s=%q: want seconds", key, v)
	}
	return time.Duration(secs * float64(time.Second))
}

func envInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", key, v)
	}
	return n
}
