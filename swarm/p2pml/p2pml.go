package p2pml

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/grafov/m3u8"
)

// Variant is what the player's identity of a main stream is made of: the
// attributes of one EXT-X-STREAM-INF tag.
type Variant struct {
	Bandwidth        uint64 // BANDWIDTH
	AverageBandwidth uint64 // AVERAGE-BANDWIDTH, used when BANDWIDTH is 0
	Codecs           string // CODECS as written
	Width, Height    int    // RESOLUTION; 0 when absent
	FrameRate        string // FRAME-RATE as written; "" when absent
	VideoRange       string // VIDEO-RANGE
}

// protocolVersion is the library's PEER_PROTOCOL_VERSION (2.3.x).
const protocolVersion = "v2"

// StreamSwarmID is the swarm id the player uses for the main stream of v
// when configured with swarmID.
func StreamSwarmID(swarmID string, v Variant) string {
	sum := sha1.Sum([]byte(Identity(v)))
	return protocolVersion + "-" + swarmID + "-main-" + base64.StdEncoding.EncodeToString(sum[:])
}

// InfoHash is the info hash the player announces for a stream swarm id:
// the base64 text of the first 15 bytes of its SHA-1, 20 ASCII bytes.
func InfoHash(streamSwarmID string) [20]byte {
	sum := sha1.Sum([]byte(streamSwarmID))
	var ih [20]byte
	base64.StdEncoding.Encode(ih[:], sum[:15])
	return ih
}

// Identity is the library's description of a main stream (its
// generateStreamShortId input, joined). A variant without a bitrate is
// described by its bitrate alone, as the hls.js integration does.
func Identity(v Variant) string {
	bitrate := v.Bandwidth
	if bitrate == 0 {
		bitrate = v.AverageBandwidth // hls.js's level.bitrate fallback
	}
	if bitrate == 0 {
		return "0--------"
	}
	var w, h string
	if v.Width > 0 || v.Height > 0 {
		w, h = strconv.Itoa(v.Width), strconv.Itoa(v.Height)
	}
	return strconv.FormatUint(bitrate, 10) + "-" + normalizeCodecs(videoCodecs(v.Codecs)) + "-" +
		w + "-" + h + "-" + "" + "-" + "" + "-" + "" + "-" +
		normalizeFrameRate(v.FrameRate) + "-" + strings.ToUpper(strings.TrimSpace(v.VideoRange))
}

// videoFourCCs are the sample entry codes hls.js files under "video" when
// it splits a CODECS attribute into a level's videoCodec.
var videoFourCCs = map[string]bool{
	"avc1": true, "avc2": true, "avc3": true, "avc4": true, "avcp": true,
	"av01": true, "dav1": true, "drac": true, "dva1": true, "dvav": true,
	"dvh1": true, "dvhe": true, "encv": true, "hev1": true, "hvc1": true,
	"mjp2": true, "mp4v": true, "mvc1": true, "mvc2": true, "mvc3": true,
	"mvc4": true, "resv": true, "rv60": true, "s263": true, "svc1": true,
	"svc2": true, "vc-1": true, "vp08": true, "vp09": true,
}

var codecSplit = regexp.MustCompile(`[ ,]+`)

// videoCodecs is hls.js's level.videoCodec: the video entries of CODECS,
// each cut at "/", joined by commas.
func videoCodecs(codecs string) string {
	var out []string
	for _, c := range codecSplit.Split(codecs, -1) {
		if len(c) >= 4 && videoFourCCs[c[:4]] {
			c, _, _ = strings.Cut(c, "/")
			out = append(out, c)
		}
	}
	return strings.Join(out, ",")
}

// normalizeCodecs lower-cases, rewrites RFC 4281 decimal avc1 profiles
// (avc1.66.30) to the RFC 6381 hex form (avc1.42001e), and sorts.
func normalizeCodecs(codecs string) string {
	if codecs == "" {
		return ""
	}
	parts := strings.Split(codecs, ",")
	for i, c := range parts {
		c = strings.ToLower(strings.TrimSpace(c))
		if f := strings.Split(c, "."); len(f) == 3 && (f[0] == "avc1" || f[0] == "avc") {
			p, okP := jsCanonicalInt(f[1])
			l, okL := jsCanonicalInt(f[2])
			if okP && okL {
				c = f[0] + "." + pad2(strconv.FormatInt(p, 16)) + "00" + pad2(strconv.FormatInt(l, 16))
			}
		}
		parts[i] = c
	}
	slices.Sort(parts) // ASCII: the same order as JavaScript's default sort
	return strings.Join(parts, ",")
}

// jsCanonicalInt reports whether s is what JavaScript's
// parseInt(s, 10).toString() gives back unchanged, and its value.
func jsCanonicalInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	const maxSafe = 1<<53 - 1 // beyond it, JavaScript's numbers round
	if err != nil || n > maxSafe || n < -maxSafe || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

func pad2(s string) string {
	if len(s) < 2 {
		return strings.Repeat("0", 2-len(s)) + s
	}
	return s
}

// normalizeFrameRate is JavaScript's Number(s).toString() for a decimal
// attribute ("30.000" → "30"), "" when absent or not a number.
func normalizeFrameRate(s string) string {
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ErrNotMaster is returned for a playlist that is not a master playlist.
var ErrNotMaster = errors.New("not a master playlist")

// Variants reads the EXT-X-STREAM-INF variants of a master playlist, in
// order.
func Variants(master []byte) ([]Variant, error) {
	pl, kind, err := m3u8.Decode(*bytes.NewBuffer(master), true)
	if err != nil {
		return nil, fmt.Errorf("master playlist: %w", err)
	}
	if kind != m3u8.MASTER {
		return nil, ErrNotMaster
	}
	var out []Variant
	for _, v := range pl.(*m3u8.MasterPlaylist).Variants {
		if v == nil || v.Iframe {
			continue
		}
		var w, h int
		if ws, hs, ok := strings.Cut(v.Resolution, "x"); ok {
			w, _ = strconv.Atoi(ws)
			h, _ = strconv.Atoi(hs)
		}
		var fps string
		if v.FrameRate > 0 {
			fps = strconv.FormatFloat(v.FrameRate, 'f', -1, 64)
		}
		out = append(out, Variant{
			Bandwidth:        uint64(v.Bandwidth),
			AverageBandwidth: uint64(v.AverageBandwidth),
			Codecs:           v.Codecs,
			Width:            w,
			Height:           h,
			FrameRate:        fps,
			VideoRange:       v.VideoRange,
		})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("master playlist: no variant")
	}
	return out, nil
}

// InfoHashes is every info hash a player configured with swarmID
// announces for the video whose master playlist this is, one per variant.
func InfoHashes(swarmID string, master []byte) ([][20]byte, error) {
	vs, err := Variants(master)
	if err != nil {
		return nil, err
	}
	out := make([][20]byte, len(vs))
	for i, v := range vs {
		out[i] = InfoHash(StreamSwarmID(swarmID, v))
	}
	return out, nil
}

// LegacyInfoHashes are the info hashes PeerTube's own players up to 7.0
// (its fork of p2p-media-loader 0.6) announce for a video with the given
// master playlist URL and number of variants: SHA-1("2" + URL + "+V" +
// index), raw 20 bytes on the wire, hex in PeerTube's Video objects.
// Admitting them lets PeerTube viewers of the node's videos share among
// themselves through the node's tracker.
func LegacyInfoHashes(masterURL string, variants int) [][20]byte {
	out := make([][20]byte, variants)
	for i := range out {
		out[i] = sha1.Sum([]byte("2" + masterURL + "+V" + strconv.Itoa(i)))
	}
	return out
}
