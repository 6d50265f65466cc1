package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// routeAccounts serves PeerTube's OAuth, user, account and channel
// endpoints; false when path is none of them.
func (a *API) routeAccounts(ctx *fasthttp.RequestCtx, path string) bool {
	switch {
	case path == oauthClientPath:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.oauthClient(ctx)
		}
	case path == tokenPath:
		if a.method(ctx, allowUpload, ctx.IsPost()) {
			a.token(ctx)
		}
	case path == revokePath:
		if a.method(ctx, allowUpload, ctx.IsPost()) {
			a.revokeToken(ctx)
		}
	case path == mePath:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.me(ctx)
		}
	case path == channelsPath:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.listChannels(ctx)
		}
	case strings.HasPrefix(path, channelsPath+"/") && !strings.Contains(path[len(channelsPath)+1:], "/"):
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.getChannel(ctx, path[len(channelsPath)+1:])
		}
	case strings.HasPrefix(path, channelsPath+"/") && strings.HasSuffix(path, videosSuffix) &&
		strings.Count(path[len(channelsPath)+1:], "/") == 1 && len(path) > len(channelsPath)+len(videosSuffix)+1:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.channelVideos(ctx, strings.TrimSuffix(path[len(channelsPath)+1:], videosSuffix))
		}
	case strings.HasPrefix(path, accountsPath+"/") && strings.HasSuffix(path, videosSuffix) &&
		strings.Count(path[len(accountsPath)+1:], "/") == 1 && len(path) > len(accountsPath)+len(videosSuffix)+1:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.accountVideos(ctx, strings.TrimSuffix(path[len(accountsPath)+1:], videosSuffix))
		}
	case strings.HasPrefix(path, accountsPath+"/") && !strings.Contains(path[len(accountsPath)+1:], "/"):
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.getAccount(ctx, path[len(accountsPath)+1:])
		}
	default:
		return false
	}
	return true
}

// roleLabels are PeerTube's USER_ROLE_LABELS.
var roleLabels = map[origin.Role]string{origin.RoleAdministrator: "Administrator", 1: "Moderator", 2: "User"}

// accountSummaryJSON is PeerTube's AccountSummary.
type accountSummaryJSON struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	URL         string   `json:"url"`
	Host        string   `json:"host"`
	Avatars     []string `json:"avatars"`
}

func (a *API) accountSummary(u origin.User) accountSummaryJSON {
	return accountSummaryJSON{ID: u.ID, Name: u.Username, DisplayName: u.Username, URL: a.cfg.URLs.Account(u.Username), Host: a.cfg.URLs.Host(), Avatars: []string{}}
}

// me answers GET /api/v1/users/me in PeerTube's User shape. What the node
// does not have (quotas, notification settings, two-factor, themes) is
// answered with the value of a fresh PeerTube administrator.
func (a *API) me(ctx *fasthttp.RequestCtx) {
	c, ok := a.caller(ctx)
	if !ok || c.User.ID == 0 {
		a.unauthorized(ctx)
		return
	}
	u := c.User
	chans, err := a.cfg.Accounts.UserChannels(ctx, u.ID)
	if err != nil {
		a.logger.Error("channels of a user", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	counts, ok := a.countsOrProblem(ctx)
	if !ok {
		return
	}
	channels := make([]channelJSON, 0, len(chans))
	for _, ch := range chans {
		channels = append(channels, a.channel(ch, u, counts))
	}
	type role struct {
		ID    origin.Role `json:"id"`
		Label string      `json:"label"`
	}
	writeJSON(ctx, http.StatusOK, struct {
		ID                           int64         `json:"id"`
		Username                     string        `json:"username"`
		Email                        string        `json:"email"`
		PendingEmail                 *string       `json:"pendingEmail"`
		EmailVerified                bool          `json:"emailVerified"`
		EmailPublic                  bool          `json:"emailPublic"`
		NSFWPolicy                   string        `json:"nsfwPolicy"`
		AdminFlags                   int           `json:"adminFlags"`
		AutoPlayVideo                bool          `json:"autoPlayVideo"`
		AutoPlayNextVideo            bool          `json:"autoPlayNextVideo"`
		AutoPlayNextVideoPlaylist    bool          `json:"autoPlayNextVideoPlaylist"`
		P2PEnabled                   bool          `json:"p2pEnabled"`
		VideosHistoryEnabled         bool          `json:"videosHistoryEnabled"`
		VideoLanguages               []string      `json:"videoLanguages"`
		Role                         role          `json:"role"`
		VideoQuota                   int64         `json:"videoQuota"`
		VideoQuotaDaily              int64         `json:"videoQuotaDaily"`
		VideoQuotaUsed               int64         `json:"videoQuotaUsed"`
		VideoQuotaUsedDaily          int64         `json:"videoQuotaUsedDaily"`
		NoInstanceConfigWarningModal bool          `json:"noInstanceConfigWarningModal"`
		NoWelcomeModal               bool          `json:"noWelcomeModal"`
		NoAccountSetupWarningModal   bool          `json:"noAccountSetupWarningModal"`
		Blocked                      bool          `json:"blocked"`
		BlockedReason                *string       `json:"blockedReason"`
		Theme                        string        `json:"theme"`
		TwoFactorEnabled             bool          `json:"twoFactorEnabled"`
		PluginAuth                   *string       `json:"pluginAuth"`
		LastLoginDate                *time.Time    `json:"lastLoginDate"`
		CreatedAt                    time.Time     `json:"createdAt"`
		Account                      accountJSON   `json:"account"`
		VideoChannels                []channelJSON `json:"videoChannels"`
		SpecialPlaylists             []struct{}    `json:"specialPlaylists"`
	}{
		ID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: true, NSFWPolicy: "display",
		AutoPlayVideo: true, AutoPlayNextVideoPlaylist: true, P2PEnabled: true, VideosHistoryEnabled: true,
		Role: role{u.Role, roleLabels[u.Role]}, VideoQuota: -1, VideoQuotaDaily: -1,
		NoInstanceConfigWarningModal: true, NoWelcomeModal: true, NoAccountSetupWarningModal: true,
		Theme: "instance-default", CreatedAt: u.CreatedAt, Account: a.account(u, counts), VideoChannels: channels,
		SpecialPlaylists: []struct{}{},
	})
}

// localName takes the name out of a handle, "name" or "name@host" with
// the node's own host; false for another host's.
func (a *API) localName(handle string) (string, bool) {
	name, host, remote := strings.Cut(handle, "@")
	if remote && !strings.EqualFold(host, a.cfg.URLs.Host()) {
		return "", false
	}
	return name, name != ""
}

// listChannels answers GET /api/v1/video-channels: {total, data}.
func (a *API) listChannels(ctx *fasthttp.RequestCtx) {
	start, count, ok := queryPage(ctx)
	if !ok {
		return
	}
	chans, total, err := a.cfg.Accounts.Channels(ctx, start, count)
	if err != nil {
		a.logger.Error("list channels", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	counts, ok := a.countsOrProblem(ctx)
	if !ok {
		return
	}
	data := make([]channelJSON, 0, len(chans))
	for _, ch := range chans {
		owner, err := a.owner(ctx, ch)
		if err != nil {
			return
		}
		data = append(data, a.channel(ch, owner, counts))
	}
	writeJSON(ctx, http.StatusOK, struct {
		Total int           `json:"total"`
		Data  []channelJSON `json:"data"`
	}{total, data})
}

// owner returns the user whose account owns ch, or answers 500.
func (a *API) owner(ctx *fasthttp.RequestCtx, ch origin.Channel) (origin.User, error) {
	u, err := a.cfg.Accounts.User(ctx, ch.AccountID)
	if err != nil {
		a.logger.Error("owner of a channel", "channel", ch.Name, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
	}
	return u, err
}

// getChannel answers GET /api/v1/video-channels/{handle}.
func (a *API) getChannel(ctx *fasthttp.RequestCtx, handle string) {
	name, ok := a.localName(handle)
	if !ok {
		writeProblem(ctx, http.StatusNotFound, "video channel not found")
		return
	}
	ch, err := a.cfg.Accounts.Channel(ctx, name)
	if errors.Is(err, origin.ErrNotFound) {
		writeProblem(ctx, http.StatusNotFound, "video channel not found")
		return
	}
	if err != nil {
		a.logger.Error("get channel", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	owner, err := a.owner(ctx, ch)
	if err != nil {
		return
	}
	counts, ok := a.countsOrProblem(ctx)
	if !ok {
		return
	}
	writeJSON(ctx, http.StatusOK, a.channel(ch, owner, counts))
}

// getAccount answers GET /api/v1/accounts/{name}.
func (a *API) getAccount(ctx *fasthttp.RequestCtx, handle string) {
	name, ok := a.localName(handle)
	if !ok {
		writeProblem(ctx, http.StatusNotFound, "account not found")
		return
	}
	u, err := a.cfg.Accounts.UserByName(ctx, name)
	if errors.Is(err, origin.ErrNotFound) {
		writeProblem(ctx, http.StatusNotFound, "account not found")
		return
	}
	if err != nil {
		a.logger.Error("get account", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	counts, ok := a.countsOrProblem(ctx)
	if !ok {
		return
	}
	writeJSON(ctx, http.StatusOK, a.account(u, counts))
}
