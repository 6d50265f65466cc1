package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/origin"
)

// configAnswer is the part of /api/v1/config whose values follow the
// node's setup.
type configAnswer struct {
	Instance struct {
		Name, ShortDescription string
	}
	ServerVersion, ServerCommit string
	Tracker                     struct{ Enabled bool }
	Defaults                    struct {
		P2P struct{ Webapp, Embed struct{ Enabled bool } } `json:"p2p"`
	}
	ContactForm, Email struct{ Enabled bool }
	Signup             struct{ Allowed, AllowedForCurrentIP bool }
	Transcoding        struct {
		EnabledResolutions []int
		HLS                struct{ Enabled bool } `json:"hls"`
		WebVideos          struct{ Enabled bool } `json:"web_videos"`
	}
	Live   struct{ Enabled bool }
	Import struct {
		Videos struct{ HTTP, Torrent struct{ Enabled bool } } `json:"videos"`
	}
	Video struct {
		File struct {
			Extensions []string
			Size       struct{ Max int64 }
		}
	}
	Trending struct {
		Videos struct{ IntervalDays int }
	}
}

// TestServerConfigFollowsTheNode: each setting of the node shows in the
// server config, and what the node does not do says so.
func TestServerConfigFollowsTheNode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  envOptions
		p2p   bool
		check func(t *testing.T, c configAnswer)
	}{
		{"defaults", envOptions{}, true, func(t *testing.T, c configAnswer) {
			if c.Instance.Name != "video.example" || c.Instance.ShortDescription != DefaultShortDescription {
				t.Errorf("instance %+v, want the host and the default description", c.Instance)
			}
			if c.Trending.Videos.IntervalDays != origin.DefaultTrendingDays {
				t.Errorf("intervalDays %d, want %d", c.Trending.Videos.IntervalDays, origin.DefaultTrendingDays)
			}
			if c.Email.Enabled || c.Transcoding.EnabledResolutions == nil {
				t.Errorf("email %v without a mailer, resolutions %v (want [], not null)", c.Email.Enabled, c.Transcoding.EnabledResolutions)
			}
		}},
		{"set", envOptions{
			maxUpload:   123 << 20,
			contactMail: make(mailRecorder, 1),
			server: ServerInfo{Name: "Edge", ShortDescription: "Ours", Version: "v1.2.3", Commit: "abc123",
				Resolutions: []int{720, 240, 480}, TrendingDays: 3},
		}, false, func(t *testing.T, c configAnswer) {
			if c.Instance.Name != "Edge" || c.Instance.ShortDescription != "Ours" || c.ServerVersion != "v1.2.3" || c.ServerCommit != "abc123" {
				t.Errorf("instance %+v, version %q %q", c.Instance, c.ServerVersion, c.ServerCommit)
			}
			if !slices.Equal(c.Transcoding.EnabledResolutions, []int{240, 480, 720}) {
				t.Errorf("resolutions %v, want the ladder in ascending order", c.Transcoding.EnabledResolutions)
			}
			if c.Video.File.Size.Max != 123<<20 || c.Trending.Videos.IntervalDays != 3 || !c.Email.Enabled {
				t.Errorf("size max %d, intervalDays %d, email %v", c.Video.File.Size.Max, c.Trending.Videos.IntervalDays, c.Email.Enabled)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, tc.opts)
			env.p2p.on.Store(tc.p2p)
			code, body := env.get(t, "/api/v1/config")
			var c configAnswer
			if code != 200 || json.Unmarshal(body, &c) != nil {
				t.Fatalf("config: %d %s", code, body)
			}
			if c.Tracker.Enabled != tc.p2p || c.Defaults.P2P.Webapp.Enabled != tc.p2p || c.Defaults.P2P.Embed.Enabled != tc.p2p {
				t.Errorf("P2P %v: tracker %v, defaults %+v", tc.p2p, c.Tracker.Enabled, c.Defaults.P2P)
			}
			if !c.ContactForm.Enabled || c.Signup.Allowed || c.Signup.AllowedForCurrentIP || c.Live.Enabled ||
				c.Import.Videos.HTTP.Enabled || c.Import.Videos.Torrent.Enabled {
				t.Errorf("contact form %v (has one), signup %+v, live %v, import %+v (none)", c.ContactForm.Enabled, c.Signup, c.Live.Enabled, c.Import)
			}
			if !c.Transcoding.HLS.Enabled || c.Transcoding.WebVideos.Enabled {
				t.Errorf("transcoding %+v: HLS only", c.Transcoding)
			}
			if !slices.Contains(c.Video.File.Extensions, ".mp4") || !strings.Contains(string(body), `"stunServers":[]`) {
				t.Errorf("extensions %v, body %s", c.Video.File.Extensions, body)
			}
			tc.check(t, c)
		})
	}
}

// TestServerConfigNeutralArrays: lists the node has none of are empty,
// never null, as PeerTube's clients iterate them.
func TestServerConfigNeutralArrays(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	_, body := env.get(t, "/api/v1/config")
	if strings.Count(string(body), "null") != 1 || !strings.Contains(string(body), `"licence":null`) {
		t.Errorf("config has a null besides defaults.publish.licence: %s", body)
	}
}
