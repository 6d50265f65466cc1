package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/origin"
)

// login posts a password grant with the node's client.
func (e *testEnv) login(t testing.TB, user, password string) (*http.Response, []byte) {
	t.Helper()
	cl, err := e.catalog.OAuthClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"client_id": {cl.ID}, "client_secret": {cl.Secret}, "grant_type": {"password"}, "username": {user}, "password": {password}}
	return e.do(t, http.MethodPost, tokenPath, "", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// TestLoginRateLimit makes failed logins from one address until it is
// refused with 429 and Retry-After, and checks that then even the right
// password waits, and that successful logins do not count.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{loginLimit: RateLimit{Count: 3, Window: time.Hour}})
	for range 2 { // successes do not use the allowance up
		if resp, b := env.login(t, "root", testPassword); resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %s %s", resp.Status, b)
		}
	}
	for i := range 3 {
		if resp, b := env.login(t, "root", "guess"+strconv.Itoa(i)); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("failure %d: %s %s", i, resp.Status, b)
		}
	}
	resp, b := env.login(t, "root", testPassword)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures: %s %s", resp.Status, b)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 3500 || s > 3600 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
}

// TestAccessTokenExpires checks an access token is refused once its time
// is up, while its refresh token still gets a new pair.
func TestAccessTokenExpires(t *testing.T) {
	t.Parallel()
	const ttl = 500 * time.Millisecond
	env := newTestEnv(t, envOptions{tokenTTL: origin.TokenTTL{Access: ttl, Refresh: time.Hour}})
	issued := time.Now()
	resp, b := env.login(t, "root", testPassword)
	var tok struct {
		Access    string `json:"access_token"`
		Refresh   string `json:"refresh_token"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.ExpiresIn != 0 {
		t.Fatalf("login: %s %s", resp.Status, b)
	}
	// Poll until it is refused (bounded), then check that was not early.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := env.do(t, http.MethodGet, mePath, tok.Access, nil, nil)
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if resp.StatusCode != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("me: %s", resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if since := time.Since(issued); since < ttl {
		t.Fatalf("refused after %v, before its %v", since, ttl)
	}
	cl, _ := env.catalog.OAuthClient(t.Context())
	form := url.Values{"client_id": {cl.ID}, "client_secret": {cl.Secret}, "grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}}
	resp, b = env.do(t, http.MethodPost, tokenPath, "", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after the access token expired: %s %s", resp.Status, b)
	}
}

// TestTokenRefusals checks the token endpoint's refusals are PeerTube's.
func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	cl, err := env.catalog.OAuthClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	form := "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, ct, body, code string
	}{
		{"json", "application/json", `{"client_id":"x"}`, "invalid_request"},
		{"no client", form, "grant_type=password&username=root&password=x", "invalid_client"},
		{"wrong secret", form, "client_id=" + cl.ID + "&client_secret=no&grant_type=password&username=root&password=x", "invalid_client"},
		{"no grant", form, "client_id=" + cl.ID + "&client_secret=" + cl.Secret, "invalid_request"},
		{"other grant", form, "client_id=" + cl.ID + "&client_secret=" + cl.Secret + "&grant_type=client_credentials", "unsupported_grant_type"},
		{"no password", form, "client_id=" + cl.ID + "&client_secret=" + cl.Secret + "&grant_type=password&username=root", "invalid_request"},
		{"twice", form, "client_id=" + cl.ID + "&client_id=" + cl.ID + "&client_secret=" + cl.Secret + "&grant_type=password", "invalid_request"},
		{"bad refresh", form, "client_id=" + cl.ID + "&client_secret=" + cl.Secret + "&grant_type=refresh_token&refresh_token=nope", "invalid_grant"},
	} {
		resp, b := env.do(t, http.MethodPost, tokenPath, "", strings.NewReader(tt.body), map[string]string{"Content-Type": tt.ct})
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &p) != nil || p.Code != tt.code || p.Status != 400 {
			t.Errorf("%s: %s %s, want 400 %s", tt.name, resp.Status, b, tt.code)
		}
	}
	if resp, _ := env.do(t, http.MethodGet, tokenPath, "", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET token: %s", resp.Status)
	}
	if resp, _ := env.do(t, http.MethodPost, revokePath, "nope", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoke with a bad token: %s", resp.Status)
	}
}

// FuzzParseTokenForm feeds the token form parser arbitrary bodies: it
// must not panic, and what it accepts must be complete.
func FuzzParseTokenForm(f *testing.F) {
	for _, s := range []string{
		"client_id=a&client_secret=b&grant_type=password&username=root&password=x",
		"client_id=a&client_secret=b&grant_type=refresh_token&refresh_token=r",
		"client_id=a&client_id=b", "%zz", "grant_type=password&&&=", "password=%00%ff",
	} {
		f.Add("application/x-www-form-urlencoded", s)
	}
	f.Add("application/x-www-form-urlencoded; charset=UTF-8", "client_id=a")
	f.Add("multipart/form-data; boundary=x", "--x--")
	f.Fuzz(func(t *testing.T, ct, body string) {
		form, err := parseTokenForm(ct, []byte(body))
		if err != nil {
			if _, ok := err.(*oauthError); !ok {
				t.Fatalf("error %T %v is not an OAuth error", err, err)
			}
			return
		}
		if form.ClientID == "" || form.ClientSecret == "" {
			t.Fatalf("accepted without a client: %+v", form)
		}
		switch form.GrantType {
		case "password":
			if form.Username == "" || form.Password == "" {
				t.Fatalf("password grant without credentials: %+v", form)
			}
		case "refresh_token":
			if form.RefreshToken == "" {
				t.Fatalf("refresh grant without a token: %+v", form)
			}
		default:
			t.Fatalf("accepted grant %q", form.GrantType)
		}
	})
}
