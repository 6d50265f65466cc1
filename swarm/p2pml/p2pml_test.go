package p2pml

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The worked examples were computed by running p2p-media-loader-core
// 2.3.1's own generateStreamShortId and its info hash formula in Node.
func TestWorkedExamples(t *testing.T) {
	t.Parallel()
	master := []byte("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n" +
		`#EXT-X-STREAM-INF:BANDWIDTH=2449168,AVERAGE-BANDWIDTH=2424118,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000` + "\n720.m3u8\n" +
		`#EXT-X-STREAM-INF:BANDWIDTH=1500000,CODECS="avc1.64001f",RESOLUTION=1280x720,FRAME-RATE=30` + "\n720b.m3u8\n")
	vs, err := Variants(master)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("%d variants, want 2", len(vs))
	}
	tests := []struct {
		v                 Variant
		identity, shortID string
	}{
		{vs[0], "2449168-avc1.64001f-1280-720----30-", "djYk9x3KzxZjeR0f6cJWDfrxvic="},
		{vs[1], "1500000-avc1.64001f-1280-720----30-", "V2g10F2dARBglKc/PDmovHNF7Tk="},
	}
	for _, tt := range tests {
		if got := Identity(tt.v); got != tt.identity {
			t.Errorf("Identity(%+v) = %q, want %q", tt.v, got, tt.identity)
		}
		sum := sha1.Sum([]byte(tt.identity))
		if got := base64.StdEncoding.EncodeToString(sum[:]); got != tt.shortID {
			t.Errorf("short id of %q = %s, want %s", tt.identity, got, tt.shortID)
		}
	}
	const uuid = "9c6b5edb-e1ca-483f-a686-8f32cf631eb9"
	id := StreamSwarmID(uuid, vs[0])
	if want := "v2-" + uuid + "-main-djYk9x3KzxZjeR0f6cJWDfrxvic="; id != want {
		t.Fatalf("StreamSwarmID = %q, want %q", id, want)
	}
	ih := InfoHash(id)
	if string(ih[:]) != "L2uJ8pP59CbkiMdoBHm/" || hex.EncodeToString(ih[:]) != "4c32754a387050353943626b694d646f42486d2f" {
		t.Fatalf("InfoHash = %q", ih[:])
	}
	all, err := InfoHashes(uuid, master)
	if err != nil || len(all) != 2 || all[0] != ih || all[1] == ih {
		t.Fatalf("InfoHashes = %q, %v", all, err)
	}
}

func TestIdentityNormalisation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    Variant
		want string
	}{
		{"decimal avc1 to hex", Variant{Bandwidth: 1, Codecs: "avc1.66.30"}, "1-avc1.42001e------" + "-"},
		{"lower-cased, sorted, audio dropped", Variant{Bandwidth: 7, Codecs: "mp4a.40.2, hvc1.1.6.L93.B0,avc1.4D401F"}, "7-avc1.4d401f,hvc1.1.6.l93.b0------" + "-"},
		{"leading zero stays decimal", Variant{Bandwidth: 1, Codecs: "avc1.077.30"}, "1-avc1.077.30------" + "-"},
		{"audio only", Variant{Bandwidth: 64000, Codecs: "mp4a.40.2"}, "64000--------"},
		{"average bandwidth fallback", Variant{AverageBandwidth: 5, Width: 2, Height: 3}, "5--2-3-----"},
		{"no bitrate: nothing else counts", Variant{Codecs: "avc1.64001f", Width: 1, Height: 1, FrameRate: "25"}, "0--------"},
		{"frame rate as JavaScript prints it", Variant{Bandwidth: 1, FrameRate: "29.970"}, "1-------29.97-"},
		{"video range upper-cased", Variant{Bandwidth: 1, VideoRange: " pq "}, "1--------PQ"},
		{"codec after slash cut", Variant{Bandwidth: 1, Codecs: "avc1.64001f/extra"}, "1-avc1.64001f-------"},
	}
	for _, tt := range tests {
		if got := Identity(tt.v); got != tt.want {
			t.Errorf("%s: Identity = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestVariantsRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"",
		"not a playlist",
		"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.mp4\n#EXT-X-ENDLIST\n",
		"#EXTM3U\n#EXT-X-VERSION:7\n",
	} {
		if vs, err := Variants([]byte(in)); err == nil {
			t.Errorf("Variants(%q) = %+v, want an error", in, vs)
		}
	}
}

// TestAgainstLibrary runs p2p-media-loader-core's own generateStreamShortId
// (the player's npm package, installed by scripts/web.sh) on the inputs the
// hls.js integration would pass for each case and compares.
func TestAgainstLibrary(t *testing.T) {
	t.Parallel()
	pkg, err := filepath.Abs("../../web/player/node_modules/p2p-media-loader-core/package.json")
	if err != nil {
		t.Fatal(err)
	}
	nodeBin, lookErr := exec.LookPath("node")
	if _, err := os.Stat(pkg); err != nil || lookErr != nil {
		if os.Getenv("PEEREDGE_REQUIRE_BROWSER") != "" {
			t.Fatalf("needs node and %s (scripts/web.sh installs it)", pkg)
		}
		t.Skipf("needs node and %s (scripts/web.sh installs it)", pkg)
	}
	variants := []Variant{
		{Bandwidth: 2449168, AverageBandwidth: 2424118, Codecs: "avc1.64001f,mp4a.40.2", Width: 1280, Height: 720, FrameRate: "30.000"},
		{Bandwidth: 251500, Codecs: "avc1.64000d", Width: 320, Height: 240, FrameRate: "25"},
		{Bandwidth: 1, Codecs: "avc1.66.30,mp4a.40.2"},
		{Bandwidth: 900, Codecs: "mp4a.40.2, hvc1.1.6.L93.B0,avc1.4D401F", Width: 640, Height: 360, FrameRate: "29.970", VideoRange: "pq"},
		{Bandwidth: 1, Codecs: "avc1.077.30", FrameRate: "23.976"},
		{Bandwidth: 64000, Codecs: "mp4a.40.2"},
	}
	// What hls.js hands the integration: bitrate, videoCodec, width,
	// height and the FRAME-RATE and VIDEO-RANGE attributes as written.
	type libInput struct {
		Bitrate    uint64 `json:"bitrate"`
		Codecs     string `json:"codecs,omitempty"`
		Width      int    `json:"width,omitempty"`
		Height     int    `json:"height,omitempty"`
		FrameRate  string `json:"frameRate,omitempty"`
		VideoRange string `json:"videoRange,omitempty"`
	}
	in := make([]libInput, len(variants))
	for i, v := range variants {
		in[i] = libInput{v.Bandwidth, videoCodecs(v.Codecs), v.Width, v.Height, v.FrameRate, v.VideoRange}
	}
	js, _ := json.Marshal(in)
	// The module file itself: the package's entry point also loads its
	// browser-only dependencies.
	script := `const { generateStreamShortId } = await import(process.argv[1]);
const input = JSON.parse(process.argv[2]);
console.log(JSON.stringify(input.map(generateStreamShortId)));`
	module := filepath.Join(filepath.Dir(pkg), "lib", "utils", "stream.js")
	cmd := exec.CommandContext(t.Context(), nodeBin, "--input-type=module", "-e", script, module, string(js))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v %s", err, out)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(variants) {
		t.Fatalf("node printed %q: %v", out, err)
	}
	for i, v := range variants {
		sum := sha1.Sum([]byte(Identity(v)))
		if want := base64.StdEncoding.EncodeToString(sum[:]); got[i] != want {
			t.Errorf("variant %+v: library %s, ours %s (identity %q)", v, got[i], want, Identity(v))
		}
		if !strings.HasPrefix(StreamSwarmID("x", v), "v2-x-main-"+got[i]) {
			t.Errorf("StreamSwarmID does not embed the library's short id")
		}
	}
}

func FuzzVariants(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1.64001f\",RESOLUTION=2x2,FRAME-RATE=30.000\na.m3u8\n"))
	f.Add([]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := Variants(b)
		if err != nil {
			return
		}
		for _, v := range vs {
			if ih := InfoHash(StreamSwarmID("u", v)); len(strings.Trim(string(ih[:]), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")) != 0 {
				t.Fatalf("info hash %q is not base64 text", ih)
			}
		}
	})
}

// The legacy formula, checked against values computed independently
// (Python's hashlib) for PeerTube's own server formula
// sha1(`2${playlistUrl}+V${i}`).
func TestLegacyInfoHashes(t *testing.T) {
	t.Parallel()
	const u = "https://edge.example/static/streaming-playlists/hls/<uuid>/master.m3u8"
	got := LegacyInfoHashes(u, 2)
	want := []string{"ce03bda44b6825edc916a528396071b45faa40bf", "8576419b2d98a4527becd266969c99efa491278e"}
	if len(got) != len(want) {
		t.Fatalf("%d hashes, want %d", len(got), len(want))
	}
	for i := range want {
		if h := hex.EncodeToString(got[i][:]); h != want[i] {
			t.Errorf("variant %d: %s, want %s", i, h, want[i])
		}
	}
	if len(LegacyInfoHashes(u, 0)) != 0 {
		t.Fatal("no variants, no hashes")
	}
}
