package peertube_test

import (
	"net/http"
	"testing"

	"github.com/peeredge/peeredge/internal/peertube"
)

// TestHarness starts two instances side by side (as parallel test
// packages do) and checks each answers its config on its own host, logs
// root in, and starts empty: its own database, not the other's.
func TestHarness(t *testing.T) {
	t.Parallel()
	a := peertube.Start(t, peertube.Options{})
	b := peertube.Start(t, peertube.Options{Config: "instance: { name: 'harness-b' }"})
	if a.Port == b.Port {
		t.Fatalf("two instances on port %d", a.Port)
	}
	for _, tc := range []struct {
		in   *peertube.Instance
		name string
	}{{a, "PeerTube"}, {b, "harness-b"}} {
		var cfg struct {
			Instance struct {
				Name string `json:"name"`
			} `json:"instance"`
			ServerVersion string `json:"serverVersion"`
		}
		if st := tc.in.Do(t, http.MethodGet, "/api/v1/config", "", nil, &cfg); st != http.StatusOK {
			t.Fatalf("%s config: %d", tc.in, st)
		}
		if cfg.ServerVersion != "6.3.0" || cfg.Instance.Name != tc.name {
			t.Fatalf("%s config: %+v", tc.in, cfg)
		}
		var me struct {
			Username string `json:"username"`
			Account  struct {
				Host string `json:"host"`
			} `json:"account"`
		}
		tc.in.GetJSON(t, "/api/v1/users/me", &me)
		if me.Username != "root" || me.Account.Host != tc.in.Host {
			t.Fatalf("%s me: %+v", tc.in, me)
		}
		var list struct {
			Total int `json:"total"`
		}
		tc.in.GetJSON(t, "/api/v1/videos", &list)
		if list.Total != 0 {
			t.Fatalf("%s starts with %d videos", tc.in, list.Total)
		}
	}
	if st := a.Do(t, http.MethodGet, "/api/v1/users/me", "not-a-token", nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("a bad token: %d", st)
	}
}
