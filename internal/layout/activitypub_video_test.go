package layout

import (
	"strings"
	"testing"
)

func TestVideoCollectionRef(t *testing.T) {
	t.Parallel()
	const id = "a44521d0-0fb8-4ade-8002-3385545c3318"
	for _, tt := range []struct {
		rest, ref, kind string
		ok              bool
	}{
		{id + "/likes", id, VideoLikes, true},
		{id + "/dislikes", id, VideoDislikes, true},
		{id + "/announces", id, VideoShares, true},
		{id + "/comments", id, VideoComments, true},
		{id, "", "", false},
		{id + "/", "", "", false},
		{id + "/activity", "", "", false},
		{id + "/likes/", "", "", false},
		{id + "/likes/x", "", "", false},
		{"/likes", "", "", false},
		{"likes", "", "", false},
		{"", "", "", false},
	} {
		ref, kind, ok := VideoCollectionRef(tt.rest)
		if ref != tt.ref || kind != tt.kind || ok != tt.ok {
			t.Errorf("VideoCollectionRef(%q) = %q, %q, %v; want %q, %q, %v", tt.rest, ref, kind, ok, tt.ref, tt.kind, tt.ok)
		}
	}
	u, err := New("https://node.example")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.VideoCollection(id, VideoLikes); got != u.VideoObject(id)+"/likes" {
		t.Errorf("VideoCollection = %q", got)
	}
}

// FuzzVideoCollectionRef: what it accepts rebuilds the input, and the
// kind is one of the four.
func FuzzVideoCollectionRef(f *testing.F) {
	for _, s := range []string{"a44521d0-0fb8-4ade-8002-3385545c3318/likes", "x/comments", "/likes", "a/b/likes", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, kind, ok := VideoCollectionRef(s)
		if !ok {
			if ref != "" || kind != "" {
				t.Fatalf("refused %q but returned %q, %q", s, ref, kind)
			}
			return
		}
		if ref+"/"+kind != s || ref == "" || strings.Contains(ref, "/") {
			t.Fatalf("VideoCollectionRef(%q) = %q, %q", s, ref, kind)
		}
		switch kind {
		case VideoLikes, VideoDislikes, VideoShares, VideoComments:
		default:
			t.Fatalf("kind %q", kind)
		}
	})
}
