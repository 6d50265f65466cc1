package api

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// Accounts keeps the node's users, channels and OAuth tokens (the
// catalogue). Authenticate answers origin.ErrBadCredentials for an
// unknown user and a wrong password alike; the token calls answer
// origin.ErrBadToken for a token that is unknown, used, revoked or expired.
type Accounts interface {
	OAuthClient(ctx context.Context) (origin.OAuthClient, error)
	CheckClient(ctx context.Context, id, secret string) bool
	Authenticate(ctx context.Context, username, password string) (origin.User, error)
	IssueTokens(ctx context.Context, userID int64, ttl origin.TokenTTL) (origin.TokenPair, error)
	RefreshTokens(ctx context.Context, refresh string, ttl origin.TokenTTL) (origin.TokenPair, error)
	TokenUser(ctx context.Context, access string) (origin.User, error)
	RevokeToken(ctx context.Context, access string) error
	User(ctx context.Context, id int64) (origin.User, error)
	UserByName(ctx context.Context, name string) (origin.User, error)
	Channels(ctx context.Context, start, count int) ([]origin.Channel, int, error)
	Channel(ctx context.Context, ref string) (origin.Channel, error)
	UserChannels(ctx context.Context, userID int64) ([]origin.Channel, error)
}

// PeerTube's token lifetimes (OAUTH_LIFETIME), the defaults of
// Config.TokenTTL.
const (
	DefaultAccessTTL  = 24 * time.Hour
	DefaultRefreshTTL = 14 * 24 * time.Hour
)

// The token endpoint's default limit on failed logins (Config.LoginLimit):
// a person mistypes a few times; a guesser needs millions.
const (
	DefaultLoginCount  = 10
	DefaultLoginWindow = 15 * time.Minute
)

// Paths of PeerTube's OAuth and account endpoints.
const (
	oauthClientPath = "/api/v1/oauth-clients/local"
	tokenPath       = "/api/v1/users/token"
	revokePath      = "/api/v1/users/revoke-token"
	mePath          = "/api/v1/users/me"
	channelsPath    = "/api/v1/video-channels"
	accountsPath    = "/api/v1/accounts"
)

// maxTokenBody bounds a token request: a few short fields.
const maxTokenBody = 8 << 10

// peertubeErrorDocs is where PeerTube's error types are documented; its
// OAuth errors carry it as their "type".
const peertubeErrorDocs = "https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/"

// oauthError is a refusal of the token endpoint in PeerTube's terms: the
// OAuth error code (RFC 6749 §5.2) and PeerTube's words for it.
type oauthError struct {
	code   string
	detail string
}

func (e *oauthError) Error() string { return e.code + ": " + e.detail }

// The token endpoint's refusals, worded as PeerTube (node-oauth2-server)
// words them; all are 400.
var (
	errNoClient       = &oauthError{"invalid_client", "Invalid client: cannot retrieve client credentials"}
	errBadClient      = &oauthError{"invalid_client", "Invalid client: client is invalid"}
	errNoGrantType    = &oauthError{"invalid_request", "Missing parameter: `grant_type`"}
	errBadGrantType   = &oauthError{"unsupported_grant_type", "Unsupported grant type: `grant_type` is invalid"}
	errNoUsername     = &oauthError{"invalid_request", "Missing parameter: `username`"}
	errNoPassword     = &oauthError{"invalid_request", "Missing parameter: `password`"}
	errNoRefresh      = &oauthError{"invalid_request", "Missing parameter: `refresh_token`"}
	errBadCredentials = &oauthError{"invalid_grant", "Invalid grant: user credentials are invalid"}
	errBadRefresh     = &oauthError{"invalid_grant", "Invalid grant: refresh token is invalid"}
	errNotForm        = &oauthError{"invalid_request", "Invalid request: content must be application/x-www-form-urlencoded"}
)

// tokenForm is a parsed token request.
type tokenForm struct {
	ClientID, ClientSecret string
	GrantType              string
	Username, Password     string
	RefreshToken           string
}

// parseTokenForm reads a token request's body as PeerTube does: an
// application/x-www-form-urlencoded form with client_id, client_secret and
// grant_type, then username and password (grant "password") or
// refresh_token (grant "refresh_token"). A field given twice is refused.
func parseTokenForm(contentType string, body []byte) (tokenForm, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return tokenForm{}, errNotForm
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return tokenForm{}, &oauthError{"invalid_request", "Invalid request: malformed form body"}
	}
	one := func(name string) (string, error) {
		v := vals[name]
		if len(v) > 1 {
			return "", &oauthError{"invalid_request", "Invalid parameter: `" + name + "` given more than once"}
		}
		if len(v) == 0 {
			return "", nil
		}
		return v[0], nil
	}
	var f tokenForm
	for _, fld := range []struct {
		name string
		dst  *string
	}{
		{"client_id", &f.ClientID}, {"client_secret", &f.ClientSecret}, {"grant_type", &f.GrantType},
		{"username", &f.Username}, {"password", &f.Password}, {"refresh_token", &f.RefreshToken},
	} {
		if *fld.dst, err = one(fld.name); err != nil {
			return tokenForm{}, err
		}
	}
	switch {
	case f.ClientID == "" || f.ClientSecret == "":
		return f, errNoClient
	case f.GrantType == "":
		return f, errNoGrantType
	case f.GrantType == "password" && f.Username == "":
		return f, errNoUsername
	case f.GrantType == "password" && f.Password == "":
		return f, errNoPassword
	case f.GrantType == "refresh_token" && f.RefreshToken == "":
		return f, errNoRefresh
	case f.GrantType != "password" && f.GrantType != "refresh_token":
		return f, errBadGrantType
	}
	return f, nil
}

// writeOAuthError answers a refused token request in PeerTube's shape.
func writeOAuthError(ctx *fasthttp.RequestCtx, e *oauthError) {
	problem.WriteDetails(ctx, problem.Details{
		Status: http.StatusBadRequest, Detail: e.detail, Code: e.code, Type: peertubeErrorDocs + e.code,
	})
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
}

// oauthClient answers GET /api/v1/oauth-clients/local: the node's one
// client, which PeerTube hands to anyone (its tools and web client ask
// for it before logging in).
func (a *API) oauthClient(ctx *fasthttp.RequestCtx) {
	cl, err := a.cfg.Accounts.OAuthClient(ctx)
	if err != nil {
		a.logger.Error("oauth client", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	writeJSON(ctx, http.StatusOK, struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}{cl.ID, cl.Secret})
}

// token answers POST /api/v1/users/token. Failed attempts (a bad client,
// user, password or refresh token) count against the client's address;
// once it has used up LoginLimit it gets 429 with Retry-After, before
// anything is checked.
func (a *API) token(ctx *fasthttp.RequestCtx) {
	addr := tracker.AccountKey(a.clientAddr(ctx))
	if wait := a.loginLimit.wait(addr, time.Now()); wait > 0 {
		a.tooMany(ctx, wait, "too many failed logins from your address")
		return
	}
	body, ok := a.readBody(ctx, maxTokenBody, "token request")
	if !ok {
		return
	}
	pair, err := a.grant(ctx, string(ctx.Request.Header.ContentType()), body)
	var oe *oauthError
	if errors.As(err, &oe) {
		if oe.code == "invalid_client" || oe.code == "invalid_grant" {
			a.loginLimit.allow(addr, time.Now())
		}
		a.logger.Info("login refused", "remote", a.clientAddr(ctx).String(), "code", oe.code)
		writeOAuthError(ctx, oe)
		return
	}
	if err != nil {
		a.logger.Error("login", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not issue a token")
		return
	}
	ctx.Response.Header.Set("Pragma", "no-cache")
	writeJSON(ctx, http.StatusOK, struct {
		TokenType             string `json:"token_type"`
		AccessToken           string `json:"access_token"`
		RefreshToken          string `json:"refresh_token"`
		ExpiresIn             int64  `json:"expires_in"`
		RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	}{"Bearer", pair.Access, pair.Refresh, int64(a.cfg.TokenTTL.Access.Seconds()), int64(a.cfg.TokenTTL.Refresh.Seconds())})
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
}

// grant checks a token request and issues its pair; the refusals are
// *oauthError.
func (a *API) grant(ctx context.Context, contentType string, body []byte) (origin.TokenPair, error) {
	f, err := parseTokenForm(contentType, body)
	if err != nil {
		return origin.TokenPair{}, err
	}
	if !a.cfg.Accounts.CheckClient(ctx, f.ClientID, f.ClientSecret) {
		return origin.TokenPair{}, errBadClient
	}
	if f.GrantType == "refresh_token" {
		pair, err := a.cfg.Accounts.RefreshTokens(ctx, f.RefreshToken, a.cfg.TokenTTL)
		if errors.Is(err, origin.ErrBadToken) {
			return origin.TokenPair{}, errBadRefresh
		}
		return pair, err
	}
	u, err := a.cfg.Accounts.Authenticate(ctx, f.Username, f.Password)
	if errors.Is(err, origin.ErrBadCredentials) {
		return origin.TokenPair{}, errBadCredentials
	}
	if err != nil {
		return origin.TokenPair{}, err
	}
	return a.cfg.Accounts.IssueTokens(ctx, u.ID, a.cfg.TokenTTL)
}

// revokeToken answers POST /api/v1/users/revoke-token: the bearer's token
// pair stops working. PeerTube answers {"success": true}.
func (a *API) revokeToken(ctx *fasthttp.RequestCtx) {
	token, ok := bearer(ctx)
	if !ok {
		a.unauthorized(ctx)
		return
	}
	if _, err := a.cfg.Accounts.TokenUser(ctx, token); err != nil {
		a.unauthorized(ctx)
		return
	}
	if err := a.cfg.Accounts.RevokeToken(ctx, token); err != nil {
		a.logger.Error("revoke token", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not revoke the token")
		return
	}
	writeJSON(ctx, http.StatusOK, struct {
		Success bool `json:"success"`
	}{true})
}

// bearer returns the request's bearer token.
func bearer(ctx *fasthttp.RequestCtx) (string, bool) {
	token, ok := bytes.CutPrefix(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), bearerPrefix)
	token = bytes.TrimSpace(token)
	return string(token), ok && len(token) > 0
}
