package node

import (
	"slices"
	"testing"
)

// TestServerConfigOfTheNode: the node's server config names its build, its
// ladder, its trending window and its upload limit.
func TestServerConfigOfTheNode(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{Rungs: []int{480, 240}, TrendingDays: 3, MaxUploadSize: 50 << 20})
	var cfg struct {
		ServerVersion string
		ServerCommit  string
		Instance      struct{ Name string }
		Transcoding   struct{ EnabledResolutions []int }
		Trending      struct{ Videos struct{ IntervalDays int } }
		Video         struct {
			File struct{ Size struct{ Max int64 } }
		}
	}
	getJSON(t, n.base+"/api/v1/config", &cfg)
	if cfg.ServerVersion != Version() || cfg.ServerCommit != Commit() || cfg.Instance.Name != n.urls.Host() {
		t.Errorf("version %q commit %q name %q, want %q %q %q", cfg.ServerVersion, cfg.ServerCommit, cfg.Instance.Name, Version(), Commit(), n.urls.Host())
	}
	if !slices.Equal(cfg.Transcoding.EnabledResolutions, []int{240, 480}) || cfg.Trending.Videos.IntervalDays != 3 || cfg.Video.File.Size.Max != 50<<20 {
		t.Errorf("resolutions %v, intervalDays %d, size max %d", cfg.Transcoding.EnabledResolutions, cfg.Trending.Videos.IntervalDays, cfg.Video.File.Size.Max)
	}
}
