package node

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/origin"
)

const testPassword = "correct horse battery staple"

// tokenAnswer is PeerTube's token answer.
type tokenAnswer struct {
	TokenType             string `json:"token_type"`
	AccessToken           string `json:"access_token"`
	RefreshToken          string `json:"refresh_token"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
}

// postForm posts an urlencoded form and returns the status and body.
func (n *testNode) postForm(t *testing.T, path, token string, form url.Values) (int, []byte) {
	t.Helper()
	resp, b := n.request(t, http.MethodPost, path, token, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	return resp.StatusCode, b
}

// TestOAuthFlow logs in as root the way PeerTube's tools do (client, then
// password grant), reads /users/me, refreshes (the used refresh token then
// fails), uploads with the access token and a channelId, revokes, and
// checks the admin token still works throughout.
func TestOAuthFlow(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{AdminPassword: testPassword})

	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	getJSON(t, n.base+"/api/v1/oauth-clients/local", &client)
	if len(client.ID) != 32 || client.Secret == "" {
		t.Fatalf("client %+v", client)
	}
	login := func(user, password string) (int, []byte) {
		return n.postForm(t, "/api/v1/users/token", "", url.Values{
			"client_id": {client.ID}, "client_secret": {client.Secret}, "grant_type": {"password"},
			"response_type": {"code"}, "username": {user}, "password": {password},
		})
	}

	// Wrong password and unknown user: the same answer, word for word.
	st1, wrong := login("root", "nope")
	st2, unknown := login("nobody", "nope")
	if st1 != http.StatusBadRequest || !bytes.Equal(wrong, unknown) {
		t.Fatalf("wrong password %d %s; unknown user %d %s", st1, wrong, st2, unknown)
	}
	var pe struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
		Type   string `json:"type"`
	}
	if err := json.Unmarshal(wrong, &pe); err != nil || pe.Code != "invalid_grant" || pe.Detail != "Invalid grant: user credentials are invalid" || !strings.HasSuffix(pe.Type, "#section/Errors/invalid_grant") {
		t.Fatalf("refusal %s: %v", wrong, err)
	}
	if st, b := n.postForm(t, "/api/v1/users/token", "", url.Values{"client_id": {client.ID}, "client_secret": {"x"},
		"grant_type": {"password"}, "username": {"root"}, "password": {testPassword}}); st != http.StatusBadRequest || !strings.Contains(string(b), `"invalid_client"`) {
		t.Fatalf("bad client: %d %s", st, b)
	}

	st, b := login("root", testPassword)
	var tok tokenAnswer
	if st != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken == "" ||
		tok.ExpiresIn != 24*3600 || tok.RefreshTokenExpiresIn != 14*24*3600 {
		t.Fatalf("login: %d %s", st, b)
	}

	var me struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		Role     struct {
			ID    int    `json:"id"`
			Label string `json:"label"`
		} `json:"role"`
		Account struct {
			Name string `json:"name"`
			Host string `json:"host"`
			URL  string `json:"url"`
		} `json:"account"`
		VideoChannels []struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
		} `json:"videoChannels"`
	}
	resp, b := n.request(t, http.MethodGet, "/api/v1/users/me", tok.AccessToken, nil, nil)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &me) != nil {
		t.Fatalf("me: %s %s", resp.Status, b)
	}
	host := strings.TrimPrefix(n.base, "http://")
	if me.Username != "root" || me.Role.ID != 0 || me.Role.Label != "Administrator" || me.Account.Name != "root" ||
		me.Account.Host != host || me.Account.URL != n.base+"/accounts/root" ||
		len(me.VideoChannels) != 1 || me.VideoChannels[0].Name != "root_channel" || me.VideoChannels[0].DisplayName != "Main root channel" {
		t.Fatalf("me: %s", b)
	}
	channelID := me.VideoChannels[0].ID
	// The admin token is root too.
	if resp, b := n.request(t, http.MethodGet, "/api/v1/users/me", testToken, nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"username":"root"`) {
		t.Fatalf("me with the admin token: %s %s", resp.Status, b)
	}

	// Channels and accounts.
	var chans struct {
		Total int `json:"total"`
		Data  []struct {
			ID           int64  `json:"id"`
			Name         string `json:"name"`
			OwnerAccount struct {
				Name string `json:"name"`
			} `json:"ownerAccount"`
		} `json:"data"`
	}
	getJSON(t, n.base+"/api/v1/video-channels", &chans)
	if chans.Total != 1 || len(chans.Data) != 1 || chans.Data[0].ID != channelID || chans.Data[0].OwnerAccount.Name != "root" {
		t.Fatalf("channels %+v", chans)
	}
	var ch struct {
		ID   int64  `json:"id"`
		URL  string `json:"url"`
		Host string `json:"host"`
	}
	getJSON(t, n.base+"/api/v1/video-channels/root_channel@"+host, &ch)
	if ch.ID != channelID || ch.URL != n.base+"/video-channels/root_channel" || ch.Host != host {
		t.Fatalf("channel %+v", ch)
	}
	var acct struct {
		ID             int64  `json:"id"`
		Name           string `json:"name"`
		FollowersCount *int   `json:"followersCount"`
	}
	getJSON(t, n.base+"/api/v1/accounts/root", &acct)
	if acct.Name != "root" || acct.ID != me.ID || acct.FollowersCount == nil {
		t.Fatalf("account %+v", acct)
	}
	for _, p := range []string{"/api/v1/accounts/nobody", "/api/v1/video-channels/nope", "/api/v1/accounts/root@elsewhere.example"} {
		if resp, _ := n.request(t, http.MethodGet, p, "", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}

	// Upload with the access token into root's channel; a channel that is
	// not root's is refused.
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 160, Height: 120, Seconds: 1})
	body, ct := multipartBody(t, map[string]string{"name": "bad channel", "channelId": strconv.FormatInt(channelID+1, 10)}, clip)
	if resp, b := n.upload(t, tok.AccessToken, body, ct); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "channel") {
		t.Fatalf("upload to another channel: %s %s", resp.Status, b)
	}
	body, ct = multipartBody(t, map[string]string{"name": "by oauth", "channelId": strconv.FormatInt(channelID, 10)}, clip)
	resp, b = n.upload(t, tok.AccessToken, body, ct)
	var up struct {
		Video struct {
			UUID string `json:"uuid"`
		} `json:"video"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &up) != nil {
		t.Fatalf("upload with oauth: %s %s", resp.Status, b)
	}
	v, err := n.Catalog().Video(t.Context(), up.Video.UUID)
	if err != nil || v.ChannelID != channelID {
		t.Fatalf("uploaded video channel %d (%v), want %d", v.ChannelID, err, channelID)
	}
	// The admin token still uploads (scripts), into root's channel.
	body, ct = multipartBody(t, map[string]string{"name": "by admin token"}, clip)
	if resp, b := n.upload(t, testToken, body, ct); resp.StatusCode != http.StatusOK {
		t.Fatalf("upload with the admin token: %s %s", resp.Status, b)
	}

	// Refresh: a new pair; the used refresh token and the old access
	// token stop working.
	refresh := func(rt string) (int, []byte) {
		return n.postForm(t, "/api/v1/users/token", "", url.Values{
			"client_id": {client.ID}, "client_secret": {client.Secret}, "grant_type": {"refresh_token"}, "refresh_token": {rt},
		})
	}
	st, b = refresh(tok.RefreshToken)
	var tok2 tokenAnswer
	if st != http.StatusOK || json.Unmarshal(b, &tok2) != nil || tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %d %s", st, b)
	}
	if st, b := refresh(tok.RefreshToken); st != http.StatusBadRequest || !strings.Contains(string(b), "refresh token is invalid") {
		t.Fatalf("used refresh token: %d %s", st, b)
	}
	if resp, _ := n.request(t, http.MethodGet, "/api/v1/users/me", tok.AccessToken, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old access token after refresh: %s", resp.Status)
	}
	if resp, _ := n.request(t, http.MethodGet, "/api/v1/admin/p2p", tok2.AccessToken, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin endpoint with the new access token: %s", resp.Status)
	}

	// Revoke: both tokens of the pair stop working; the admin token not.
	if st, b := n.postForm(t, "/api/v1/users/revoke-token", tok2.AccessToken, nil); st != http.StatusOK || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("revoke: %d %s", st, b)
	}
	if resp, _ := n.request(t, http.MethodGet, "/api/v1/users/me", tok2.AccessToken, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked access token: %s", resp.Status)
	}
	if st, _ := refresh(tok2.RefreshToken); st != http.StatusBadRequest {
		t.Fatalf("refresh token of a revoked pair: %d", st)
	}
	if resp, _ := n.request(t, http.MethodGet, "/api/v1/admin/p2p", testToken, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin token: %s", resp.Status)
	}
}

// TestAdminPasswordGenerated checks a node started without a password
// makes one, shows it once, and that it logs in; a restart with a new
// password replaces it.
func TestAdminPasswordGenerated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n, err := Open(t.Context(), Config{DataDir: dir, DiskReserve: origin.MinDiskReserve, Logger: slog.New(slog.NewTextHandler(newTestWriter(t), nil))})
	if err != nil {
		t.Fatal(err)
	}
	pw := n.NewAdminPassword
	if len(pw) < 20 {
		t.Fatalf("generated password %q", pw)
	}
	if _, err := n.Catalog().Authenticate(t.Context(), "root", pw); err != nil {
		t.Fatalf("generated password does not log in: %v", err)
	}
	n.Close()
	n, err = Open(t.Context(), Config{DataDir: dir, DiskReserve: origin.MinDiskReserve, AdminPassword: testPassword, Logger: slog.New(slog.NewTextHandler(newTestWriter(t), nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.NewAdminPassword != "" {
		t.Errorf("second start shows a password again")
	}
	if _, err := n.Catalog().Authenticate(t.Context(), "root", pw); err == nil {
		t.Errorf("old password still logs in")
	}
	if _, err := n.Catalog().Authenticate(t.Context(), "root", testPassword); err != nil {
		t.Errorf("new password: %v", err)
	}
}
