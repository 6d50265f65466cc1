package activitypub

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestRemoteVideoTags: a Video's Hashtags are kept within PeerTube's
// limits of tags; what is beyond them is dropped, the video is not.
func TestRemoteVideoTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ri := newRemoteInstance(t)
	idx, c := newTestIndex(t, RemoteVideosConfig{})
	id, doc := ri.videoDoc(1, "tagged", "2026-11-30T10:05:00.000Z")
	tags := `"tag":[{"type":"Hashtag","name":"cats"},{"type":"Hashtag","name":"x"},{"type":"Hashtag","name":" Fun "},` +
		`{"type":"Link","name":"not a tag"},{"type":"Hashtag","name":"` + strings.Repeat("long", 8) + `"},` +
		`{"type":"Hashtag","name":"t3"},{"type":"Hashtag","name":"t4"},{"type":"Hashtag","name":"t5"},{"type":"Hashtag","name":"t6"}],"duration"`
	ri.put(strings.TrimPrefix(id, ri.URL), strings.Replace(doc, `"duration"`, tags, 1))
	if err := idx.Fetch(ctx, id); err != nil {
		t.Fatal(err)
	}
	rv, err := c.RemoteVideo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cats", "Fun", "t3", "t4", "t5"}; !slices.Equal(rv.Tags, want) {
		t.Errorf("tags %q, want %q", rv.Tags, want)
	}
}
