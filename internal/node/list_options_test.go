package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/origin"
)

// TestListOptionsThroughNode: the node wires the filtered listing into the
// video list and the account's and channel's lists.
func TestListOptionsThroughNode(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{NoSeed: true})
	ctx := context.Background()
	root, err := n.Catalog().Channel(ctx, origin.AdminChannelName)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []origin.Video{
		{Name: "short cat", Duration: 5, ChannelID: root.ID, Details: origin.Details{Tags: []string{"cats"}}},
		{Name: "long dog", Duration: 50, ChannelID: root.ID},
		{Name: "other channel cat", Duration: 20, ChannelID: root.ID + 100},
	} {
		v.State = origin.StatePublished
		if _, err := n.Catalog().CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ path, want string }{
		{"/api/v1/videos?sort=-duration&count=2", "3:long dog,other channel cat"},
		{"/api/v1/videos?search=cat&sort=name", "2:other channel cat,short cat"},
		{"/api/v1/videos?tagsOneOf=CATS&isLocal=true", "1:short cat"},
		{"/api/v1/accounts/root/videos?sort=duration", "2:short cat,long dog"},
		{"/api/v1/video-channels/root_channel/videos?search=dog", "1:long dog"},
	} {
		var list struct {
			Total int
			Data  []struct{ Name string }
		}
		getJSON(t, n.base+tt.path, &list)
		var names []string
		for _, v := range list.Data {
			names = append(names, v.Name)
		}
		if got := fmt.Sprintf("%d:%s", list.Total, strings.Join(names, ",")); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.path, got, tt.want)
		}
	}
}
