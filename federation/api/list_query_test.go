package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// listNames fetches a video list and returns its status, total and names
// in order (or the problem body).
func (e *testEnv) listNames(t *testing.T, path, token string) (int, int, string) {
	t.Helper()
	resp, body := e.do(t, http.MethodGet, path, token, nil, nil)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, 0, string(body)
	}
	var list struct {
		Total int
		Data  []struct {
			Name    string
			IsLocal bool
		}
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("%s: %v: %s", path, err, body)
	}
	names := make([]string, len(list.Data))
	for i, v := range list.Data {
		names[i] = v.Name
	}
	return resp.StatusCode, list.Total, strings.Join(names, ",")
}

func TestListOptions(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{remote: true, views: true})
	ctx := context.Background()
	root, err := env.catalog.Channel(ctx, origin.AdminChannelName)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := map[string]int64{}
	for i, v := range []origin.Video{
		{Name: "alpha cat", Duration: 10, ChannelID: root.ID, Details: origin.Details{Tags: []string{"cats", "fun"}}},
		{Name: "Beta dog", Duration: 30, ChannelID: root.ID, Details: origin.Details{Tags: []string{"dogs"}}},
		{Name: "gamma cat", Duration: 20, Details: origin.Details{Tags: []string{"Cats"}}}, // from before channels: root's
		{Name: "delta", Duration: 40, ChannelID: 99},                                       // another channel's
		{Name: "hidden cat", Duration: 1, ChannelID: root.ID, Details: origin.Details{Privacy: origin.PrivacyUnlisted}},
		{Name: "secret", Duration: 2, ChannelID: root.ID, Details: origin.Details{Privacy: origin.PrivacyPrivate}},
	} {
		v.State = origin.StatePublished
		v.CreatedAt = t0.Add(time.Duration(i+1) * time.Hour)
		got, err := env.catalog.CreateVideo(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		ids[v.Name] = got.ID
	}
	if _, err := env.catalog.UpsertRemoteVideo(ctx, origin.RemoteVideo{APID: "https://pt.example/videos/watch/1",
		UUID: "9c9de5e8-0a1b-4d5e-8f00-112233445566", Host: "pt.example", Name: "remote cat", Duration: 5,
		Views: 3, Tags: []string{"cats"}, Published: t0, Updated: t0}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		env.views.AddView(ids["Beta dog"])
	}
	env.views.AddView(ids["gamma cat"])
	if err := env.views.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	const all = "delta,gamma cat,Beta dog,alpha cat,remote cat" // newest published first
	tests := []struct {
		path   string
		token  string
		status int
		total  int
		names  string
	}{
		{"/api/v1/videos", "", 200, 5, all},
		{"/api/v1/videos?sort=-publishedAt", "", 200, 5, all},
		{"/api/v1/videos?sort=publishedAt", "", 200, 5, "remote cat,alpha cat,Beta dog,gamma cat,delta"},
		{"/api/v1/videos?sort=-createdAt", "", 200, 5, all},
		{"/api/v1/videos?sort=createdAt", "", 200, 5, "remote cat,alpha cat,Beta dog,gamma cat,delta"},
		{"/api/v1/videos?sort=name", "", 200, 5, "alpha cat,Beta dog,delta,gamma cat,remote cat"},
		{"/api/v1/videos?sort=-name", "", 200, 5, "remote cat,gamma cat,delta,Beta dog,alpha cat"},
		{"/api/v1/videos?sort=-duration", "", 200, 5, "delta,Beta dog,gamma cat,alpha cat,remote cat"},
		{"/api/v1/videos?sort=duration", "", 200, 5, "remote cat,alpha cat,gamma cat,Beta dog,delta"},
		{"/api/v1/videos?sort=-views", "", 200, 5, "Beta dog,remote cat,gamma cat,alpha cat,delta"},
		{"/api/v1/videos?sort=-trending", "", 200, 5, "Beta dog,gamma cat,alpha cat,delta,remote cat"},
		{"/api/v1/videos?isLocal=true", "", 200, 4, "delta,gamma cat,Beta dog,alpha cat"},
		{"/api/v1/videos?isLocal=false", "", 200, 1, "remote cat"},
		{"/api/v1/videos?search=CAT", "", 200, 3, "gamma cat,alpha cat,remote cat"},
		{"/api/v1/videos?search=cat&isLocal=true&sort=name", "", 200, 2, "alpha cat,gamma cat"},
		{"/api/v1/videos?tagsOneOf=cats", "", 200, 3, "gamma cat,alpha cat,remote cat"},
		{"/api/v1/videos?tagsOneOf=cats&isLocal=false", "", 200, 1, "remote cat"},
		{"/api/v1/videos?tagsOneOf=dogs&tagsOneOf=fun", "", 200, 2, "Beta dog,alpha cat"},
		{"/api/v1/videos?tagsOneOf[]=DOGS", "", 200, 1, "Beta dog"},
		{"/api/v1/videos?privacyOneOf=2&privacyOneOf=3", testToken, 200, 2, "secret,hidden cat"},
		{"/api/v1/videos?privacyOneOf=1&privacyOneOf=2&isLocal=true&count=2", testToken, 200, 5, "hidden cat,delta"},
		{"/api/v1/videos?count=2", "", 200, 5, "delta,gamma cat"},
		{"/api/v1/videos?start=2&count=2", "", 200, 5, "Beta dog,alpha cat"},
		{"/api/v1/videos?start=4&count=2", "", 200, 5, "remote cat"},
		{"/api/v1/videos?start=50", "", 200, 5, ""},
		{"/api/v1/videos?count=0", "", 200, 5, ""},
		// Refusals, as PeerTube's validators.
		{"/api/v1/videos?count=101", "", 400, 0, "count"},
		{"/api/v1/videos?count=-1", "", 400, 0, "count"},
		{"/api/v1/videos?start=x", "", 400, 0, "start"},
		{"/api/v1/videos?sort=likes", "", 400, 0, "sort"},
		{"/api/v1/videos?sort=-", "", 400, 0, "sort"},
		{"/api/v1/videos?isLocal=maybe", "", 400, 0, "isLocal"},
		{"/api/v1/videos?privacyOneOf=x", testToken, 400, 0, "privacyOneOf"},
		{"/api/v1/videos?privacyOneOf=1", "", 401, 0, "not allowed"},
		// Accounts' and channels' lists: the same options.
		{"/api/v1/accounts/root/videos", "", 200, 3, "gamma cat,Beta dog,alpha cat"},
		{"/api/v1/accounts/root@video.example/videos?sort=name&count=2", "", 200, 3, "alpha cat,Beta dog"},
		{"/api/v1/accounts/root/videos?privacyOneOf=3", testToken, 200, 1, "secret"},
		{"/api/v1/accounts/root/videos?isLocal=false", "", 200, 0, ""},
		{"/api/v1/video-channels/root_channel/videos?tagsOneOf=cats&sort=-duration", "", 200, 2, "gamma cat,alpha cat"},
		{"/api/v1/video-channels/root_channel/videos?search=beta", "", 200, 1, "Beta dog"},
		{"/api/v1/video-channels/root_channel/videos?count=500", "", 400, 0, "count"},
		{"/api/v1/accounts/nobody/videos", "", 404, 0, ""},
		{"/api/v1/accounts/root@pt.example/videos", "", 404, 0, ""},
		{"/api/v1/video-channels/nothing/videos", "", 404, 0, ""},
	}
	for _, tt := range tests {
		status, total, names := env.listNames(t, tt.path, tt.token)
		switch {
		case status != tt.status:
			t.Errorf("%s: status %d, want %d: %s", tt.path, status, tt.status, names)
		case status != 200:
			if !strings.Contains(names, tt.names) {
				t.Errorf("%s: problem %s does not name %q", tt.path, names, tt.names)
			}
		case total != tt.total || names != tt.names:
			t.Errorf("%s: total %d %q, want %d %q", tt.path, total, names, tt.total, tt.names)
		}
	}
	// A remote video shows the tags it is found by.
	var remote struct{ Tags []string }
	if code, body := env.get(t, "/api/v1/videos/9c9de5e8-0a1b-4d5e-8f00-112233445566"); code != 200 ||
		json.Unmarshal(body, &remote) != nil || strings.Join(remote.Tags, ",") != "cats" {
		t.Errorf("remote video: %d %s", code, body)
	}
}

// TestListInvalidParamsShape: a refused option is named in PeerTube's
// invalid-params shape, as a query parameter.
func TestListInvalidParamsShape(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	code, body := env.get(t, "/api/v1/videos?sort=likes")
	var p struct {
		Status        int
		InvalidParams map[string]struct{ Location, Msg, Param string } `json:"invalid-params"`
	}
	if err := json.Unmarshal(body, &p); err != nil || code != 400 || p.Status != 400 {
		t.Fatalf("%d %s", code, body)
	}
	if got := p.InvalidParams["sort"]; got.Location != "query" || got.Param != "sort" || got.Msg != "Invalid value" {
		t.Errorf("invalid-params: %s", body)
	}
}

// TestListWithoutRemoteIndex: a node without the remote index lists its
// own videos only, and none for isLocal=false.
func TestListWithoutRemoteIndex(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	env.createVideos(t, 2)
	if _, err := env.catalog.UpsertRemoteVideo(context.Background(), origin.RemoteVideo{APID: "https://pt.example/videos/watch/1",
		UUID: "9c9de5e8-0a1b-4d5e-8f00-112233445566", Host: "pt.example", Name: "remote", Published: time.Now(), Updated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query string
		total int
		names string
	}{
		{"", 2, "vb,va"},
		{"?isLocal=false", 0, ""},
		{"?sort=name", 2, "va,vb"},
	} {
		status, total, names := env.listNames(t, "/api/v1/videos"+tt.query, "")
		if status != 200 || total != tt.total || names != tt.names {
			t.Errorf("%s: %d total %d %q, want %d %q", tt.query, status, total, names, tt.total, tt.names)
		}
	}
	if code, body := env.get(t, "/api/v1/videos?sort=-views"); code != 400 {
		t.Errorf("views sort without views: %d %s", code, body)
	}
}

// FuzzQueryList: any query string is taken within PeerTube's limits or
// refused with a 4xx, never a panic.
func FuzzQueryList(f *testing.F) {
	for _, s := range []string{"", "start=1&count=100", "sort=-name&isLocal=true", "tagsOneOf[]=a&tagsOneOf=b&search=x",
		"privacyOneOf=1", "count=101", "sort=-", "isLocal=%00"} {
		f.Add(s)
	}
	a := New(Config{})
	f.Fuzz(func(t *testing.T, query string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/api/v1/videos?" + query)
		q, ok := a.queryList(&ctx)
		switch {
		case ok && (q.Start < 0 || q.Count < 0 || q.Count > maxCount || len(q.Privacies) > 0):
			t.Errorf("%q taken as %+v", query, q)
		case !ok && (ctx.Response.StatusCode() < 400 || ctx.Response.StatusCode() >= 500):
			t.Errorf("%q refused with %d", query, ctx.Response.StatusCode())
		}
	})
}
