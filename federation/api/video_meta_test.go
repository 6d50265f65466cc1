package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// metaEnv is an API env that edits videos, and a clip to upload.
func metaEnv(t *testing.T) (*testEnv, []byte) {
	t.Helper()
	env := newTestEnv(t, envOptions{maxUpload: 10 << 20})
	env.api.cfg.Edits = env.catalog
	clip, err := os.ReadFile(testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return env, clip
}

// uploadWith uploads clip with the form fields and returns the status and
// answer.
func (e *testEnv) uploadWith(t *testing.T, clip []byte, fields ...[2]string) (int, []byte) {
	t.Helper()
	parts := []formPart{{field: "videofile", fileName: "clip.mp4", content: clip}}
	for _, f := range fields {
		parts = append(parts, formPart{field: f[0], content: []byte(f[1])})
	}
	ct, body := multipartBody(t, "", parts...)
	resp, b := e.upload(t, ct, bytes.NewReader(body))
	return resp.StatusCode, b
}

func uploadedUUID(t *testing.T, b []byte) string {
	t.Helper()
	var up struct {
		Video struct{ UUID string } `json:"video"`
	}
	if err := json.Unmarshal(b, &up); err != nil || up.Video.UUID == "" {
		t.Fatalf("upload answer %s: %v", b, err)
	}
	return up.Video.UUID
}

type metaJSON struct {
	Description          string
	TruncatedDescription *string
	DescriptionPath      string
	Category, Licence    struct {
		ID    *int
		Label string
	}
	Language struct {
		ID    *string
		Label string
	}
	Privacy struct {
		ID    int
		Label string
	}
	Tags            []string
	NSFW            bool
	CommentsEnabled *bool
	DownloadEnabled *bool
	WaitTranscoding *bool
	Support         string
}

func (e *testEnv) video(t *testing.T, uuid, token string) (int, metaJSON) {
	t.Helper()
	resp, b := e.do(t, http.MethodGet, "/api/v1/videos/"+uuid, token, nil, nil)
	var m metaJSON
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, m
}

func (e *testEnv) listedUUIDs(t *testing.T) (int, map[string]metaJSON) {
	t.Helper()
	status, b := e.get(t, "/api/v1/videos")
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, b)
	}
	var list struct {
		Total int
		Data  []struct {
			UUID string
			metaJSON
		}
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]metaJSON{}
	for _, d := range list.Data {
		out[d.UUID] = d.metaJSON
	}
	return list.Total, out
}

func TestUploadMetadataShownAndListed(t *testing.T) {
	t.Parallel()
	env, clip := metaEnv(t)
	long := strings.Repeat("é", 300)
	status, b := env.uploadWith(t, clip, [2]string{"name", "with details"}, [2]string{"description", long},
		[2]string{"tags[0]", "music"}, [2]string{"tags[1]", " live "}, [2]string{"category", "1"},
		[2]string{"licence", "7"}, [2]string{"language", "fr"}, [2]string{"nsfw", "true"},
		[2]string{"commentsEnabled", "false"}, [2]string{"downloadEnabled", "false"},
		[2]string{"waitTranscoding", "true"}, [2]string{"privacy", "1"})
	if status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, b)
	}
	uuid := uploadedUUID(t, b)
	status, v := env.video(t, uuid, "")
	if status != http.StatusOK {
		t.Fatalf("get: %d", status)
	}
	wantTrunc := strings.Repeat("é", 247) + "..."
	switch {
	case v.Description != long || v.TruncatedDescription == nil || *v.TruncatedDescription != wantTrunc:
		t.Errorf("description %q truncated %v", v.Description, v.TruncatedDescription)
	case v.DescriptionPath != "/api/v1/videos/"+uuid+"/description":
		t.Errorf("descriptionPath %q", v.DescriptionPath)
	case strings.Join(v.Tags, ",") != "music,live":
		t.Errorf("tags %q", v.Tags)
	case v.Category.ID == nil || *v.Category.ID != 1 || v.Category.Label != "Music":
		t.Errorf("category %+v", v.Category)
	case v.Licence.ID == nil || *v.Licence.ID != 7 || v.Licence.Label != "Public Domain Dedication":
		t.Errorf("licence %+v", v.Licence)
	case v.Language.ID == nil || *v.Language.ID != "fr" || v.Language.Label != "French":
		t.Errorf("language %+v", v.Language)
	case v.Privacy.ID != 1 || v.Privacy.Label != "Public" || !v.NSFW:
		t.Errorf("privacy %+v nsfw %v", v.Privacy, v.NSFW)
	case v.CommentsEnabled == nil || *v.CommentsEnabled || v.DownloadEnabled == nil || *v.DownloadEnabled ||
		v.WaitTranscoding == nil || !*v.WaitTranscoding:
		t.Errorf("flags %v %v %v", v.CommentsEnabled, v.DownloadEnabled, v.WaitTranscoding)
	}
	_, listed := env.listedUUIDs(t)
	l, ok := listed[uuid]
	if !ok || l.Description != wantTrunc || l.Tags != nil || l.Category.Label != "Music" {
		t.Errorf("listed %v: %+v", ok, l)
	}
	status, b = env.get(t, "/api/v1/videos/"+uuid+"/description")
	if status != http.StatusOK || !bytes.Contains(b, []byte(long)) {
		t.Errorf("description endpoint: %d %.80s", status, b)
	}

	// Defaults: public, comments and download on, no category.
	status, b = env.uploadWith(t, clip, [2]string{"name", "plain"})
	if status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, b)
	}
	_, v = env.video(t, uploadedUUID(t, b), "")
	if v.Privacy.ID != 1 || v.Category.ID != nil || v.Category.Label != "Unknown" || v.Language.ID != nil ||
		v.TruncatedDescription != nil || !*v.CommentsEnabled || !*v.DownloadEnabled || *v.WaitTranscoding || len(v.Tags) != 0 || v.Tags == nil {
		t.Errorf("defaults: %+v", v)
	}
}

func TestVideoMetadataRefused(t *testing.T) {
	t.Parallel()
	env, clip := metaEnv(t)
	tags := func(n int) [][2]string {
		var out [][2]string
		for i := range n {
			out = append(out, [2]string{"tags[]", "tag" + string(rune('a'+i))})
		}
		return out
	}
	tests := []struct {
		desc   string
		fields [][2]string
		field  string
		msg    string
	}{
		{"six tags", tags(6), "tags", "Should have an array of up to 5 tags between 2 and 30 characters each"},
		{"short tag", [][2]string{{"tags[0]", "a"}}, "tags", "Should have an array of up to 5 tags between 2 and 30 characters each"},
		{"long tag", [][2]string{{"tags[0]", strings.Repeat("t", 31)}}, "tags", "Should have an array of up to 5 tags between 2 and 30 characters each"},
		{"category 19", [][2]string{{"category", "19"}}, "category", "Invalid value"},
		{"category word", [][2]string{{"category", "music"}}, "category", "Invalid value"},
		{"licence 8", [][2]string{{"licence", "8"}}, "licence", "Invalid value"},
		{"language 11", [][2]string{{"language", "abcdefghijk"}}, "language", "Invalid value"},
		{"privacy 4", [][2]string{{"privacy", "4"}}, "privacy", "Invalid value"},
		{"privacy 0", [][2]string{{"privacy", "0"}}, "privacy", "Invalid value"},
		{"nsfw", [][2]string{{"nsfw", "yes"}}, "nsfw", "Should have a valid nsfw boolean"},
		{"waitTranscoding", [][2]string{{"waitTranscoding", "maybe"}}, "waitTranscoding", "Should have a valid waitTranscoding boolean"},
		{"commentsEnabled", [][2]string{{"commentsEnabled", "x"}}, "commentsEnabled", "Should have valid commentsEnabled boolean"},
		{"downloadEnabled", [][2]string{{"downloadEnabled", "x"}}, "downloadEnabled", "Should have downloadEnabled boolean"},
	}
	check := func(t *testing.T, status int, b []byte, field, msg string) {
		t.Helper()
		var p struct {
			Status        int
			Detail        string
			InvalidParams map[string]struct{ Msg, Path, Location string } `json:"invalid-params"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		got := p.InvalidParams[field]
		if status != http.StatusBadRequest || p.Detail != "Incorrect request parameters: "+field || got.Msg != msg || got.Path != field || got.Location != "body" {
			t.Errorf("got %d %s", status, b)
		}
	}
	status, b := env.uploadWith(t, clip, [2]string{"name", "ok"})
	if status != http.StatusOK {
		t.Fatal(status)
	}
	uuid := uploadedUUID(t, b)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			status, b := env.uploadWith(t, clip, append([][2]string{{"name", "refused"}}, tt.fields...)...)
			check(t, status, b, tt.field, tt.msg)
			ct, body := multipartBody(t, "", func() []formPart {
				var ps []formPart
				for _, f := range tt.fields {
					ps = append(ps, formPart{field: f[0], content: []byte(f[1])})
				}
				return ps
			}()...)
			resp, b := env.do(t, http.MethodPut, "/api/v1/videos/"+uuid, testToken, bytes.NewReader(body), map[string]string{"Content-Type": ct})
			check(t, resp.StatusCode, b, tt.field, tt.msg)
		})
	}
	env.assertNothingLeft(t, 1)
}

func TestUpdateVideoDetails(t *testing.T) {
	t.Parallel()
	env, clip := metaEnv(t)
	status, b := env.uploadWith(t, clip, [2]string{"name", "to edit"}, [2]string{"tags[]", "old"}, [2]string{"category", "2"})
	if status != http.StatusOK {
		t.Fatal(status)
	}
	uuid := uploadedUUID(t, b)
	put := func(ct string, body []byte) {
		t.Helper()
		resp, b := env.do(t, http.MethodPut, "/api/v1/videos/"+uuid, testToken, bytes.NewReader(body), map[string]string{"Content-Type": ct})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("put: %d %s", resp.StatusCode, b)
		}
	}
	put("application/json", []byte(`{"tags":["alpha","beta"],"category":null,"licence":"3","language":"de","nsfw":true,"commentsPolicy":2,"downloadEnabled":false,"waitTranscoding":true,"support":"Thank you"}`))
	_, v := env.video(t, uuid, "")
	if strings.Join(v.Tags, ",") != "alpha,beta" || v.Category.ID != nil || *v.Licence.ID != 3 || *v.Language.ID != "de" ||
		!v.NSFW || *v.CommentsEnabled || *v.DownloadEnabled || !*v.WaitTranscoding || v.Support != "Thank you" {
		t.Errorf("after JSON PUT: %+v", v)
	}
	ct, body := multipartBody(t, "", formPart{field: "tags[0]", content: []byte("gamma")}, formPart{field: "commentsEnabled", content: []byte("true")},
		formPart{field: "language", content: []byte("")}, formPart{field: "privacy", content: []byte("2")})
	put(ct, body)
	_, v = env.video(t, uuid, "")
	if strings.Join(v.Tags, ",") != "gamma" || !*v.CommentsEnabled || v.Language.ID != nil || v.Privacy.ID != 2 || v.Privacy.Label != "Unlisted" || !v.NSFW {
		t.Errorf("after multipart PUT: %+v", v)
	}
	resp, b := env.do(t, http.MethodPut, "/api/v1/videos/"+uuid, testToken, strings.NewReader(`{"tags":"x"}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte(`"invalid-params"`)) {
		t.Errorf("bad tags: %d %s", resp.StatusCode, b)
	}
}

func TestVideoPrivacy(t *testing.T) {
	t.Parallel()
	env, clip := metaEnv(t)
	ids := map[string]string{}
	for _, p := range []string{"1", "2", "3"} {
		status, b := env.uploadWith(t, clip, [2]string{"name", "privacy " + p}, [2]string{"privacy", p})
		if status != http.StatusOK {
			t.Fatal(status)
		}
		ids[p] = uploadedUUID(t, b)
	}
	total, listed := env.listedUUIDs(t)
	if _, ok := listed[ids["1"]]; !ok || len(listed) != 1 || total != 1 {
		t.Errorf("list: total %d, %v", total, listed)
	}
	tests := []struct {
		privacy, token string
		want           int
	}{
		{"1", "", http.StatusOK},
		{"2", "", http.StatusOK},
		{"3", "", http.StatusForbidden},
		{"3", "not-a-token", http.StatusForbidden},
		{"3", testToken, http.StatusOK},
	}
	for _, tt := range tests {
		if status, _ := env.video(t, ids[tt.privacy], tt.token); status != tt.want {
			t.Errorf("privacy %s token %q: %d, want %d", tt.privacy, tt.token, status, tt.want)
		}
	}
	if status, _ := env.get(t, "/api/v1/videos/"+ids["3"]+"/description"); status != http.StatusForbidden {
		t.Errorf("private description: %d", status)
	}
	// Made public, the private video is listed.
	resp, b := env.do(t, http.MethodPut, "/api/v1/videos/"+ids["3"], testToken, strings.NewReader(`{"privacy":1}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("put: %d %s", resp.StatusCode, b)
	}
	if total, listed = env.listedUUIDs(t); len(listed) != 2 || total != 2 {
		t.Errorf("after making public: total %d, %v", total, listed)
	}
}

func TestVideoReferenceEndpoints(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	tests := []struct {
		path, key, want string
		size            int
	}{
		{"/api/v1/videos/categories", "15", "Science & Technology", 18},
		{"/api/v1/videos/licences", "1", "Attribution", 7},
		{"/api/v1/videos/privacies", "2", "Unlisted", 3},
		{"/api/v1/videos/languages", "pt-PT", "Portuguese (Portugal)", 0},
		{"/api/v1/videos/languages", "en", "English", 0},
	}
	for _, tt := range tests {
		status, b := env.get(t, tt.path)
		var m map[string]string
		if status != http.StatusOK || json.Unmarshal(b, &m) != nil || m[tt.key] != tt.want || (tt.size > 0 && len(m) != tt.size) {
			t.Errorf("%s: %d %.200s", tt.path, status, b)
		}
	}
}
