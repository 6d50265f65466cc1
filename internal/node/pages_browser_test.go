package node

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// pagesResult is what pages.mjs prints.
type pagesResult struct {
	Error string   `json:"error"`
	Logs  []string `json:"logs"`
	CSP   []string `json:"csp"`
	Home  []struct {
		Name, Duration, Href string
		Thumb                *struct {
			Src, Alt, Loading           string
			NaturalWidth, NaturalHeight int
		}
	} `json:"home"`
	Watch struct {
		Path, Title, H1 string
		Player, Stats   int
	} `json:"watch"`
	About     map[string]string `json:"about"`
	Tabs      []string          `json:"tabs"`
	AfterSkip string            `json:"afterSkip"`
	Empty     map[string]any    `json:"empty"`
	Cases     []struct {
		Field, API, Value, Shown, Invalid, DescribedBy string
		Server                                         struct {
			Status int
			Msg    string
		}
	} `json:"cases"`
	Sent struct {
		Status, Error string
		After         []string
	} `json:"sent"`
	Limited *struct {
		Status     int
		RetryAfter string
	} `json:"limited"`
	Refused struct {
		Status, Error, Kept string
	} `json:"refused"`
	WidthPhone struct{ Client, Scroll int } `json:"width-phone"`
}

// TestBrowserPages: a real Chromium on the node's pages. The home page
// lists an uploaded video and links to its watch page; the about page
// shows the limits the node was started with (not the defaults); the
// contact form shows each rule's message next to its field (aria-invalid
// set), the server refuses the same values with the same words, a valid
// message is accepted and listed for the admin, and the rate limit's 429
// is shown with its minutes; Tab walks skip link → navigation → fields →
// button. Screenshots of /, /about and /contact at desktop and phone
// sizes go to the test's artifact directory.
func TestBrowserPages(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	n := startNode(t, Config{
		Tracker:      tracker.Config{MaxPeers: 7, Rate: 0.5, Burst: 9, AlarmDistinct: 11, AlarmWindow: 7 * time.Minute},
		ContactLimit: api.RateLimit{Count: 40, Window: 10 * time.Minute},
	})
	const name = `Browser <b>clip</b> & co`
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 3})
	body, ct := multipartBody(t, map[string]string{"name": name}, clip)
	resp, b := n.upload(t, n.token, body, ct)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	var up struct {
		Video struct{ UUID, ShortUUID string }
	}
	if err := json.Unmarshal(b, &up); err != nil {
		t.Fatal(err)
	}
	n.waitPublished(t, up.Video.UUID)

	message := map[string]string{"fromEmail": "someone@example.org", "fromName": "Zoë <script>", "subject": "From the browser test " + up.Video.ShortUUID, "body": "Hello 😀, this is a test."}
	args, _ := json.Marshal(map[string]any{"base": n.base, "artifacts": t.ArtifactDir(), "video": name, "message": message})
	var r pagesResult
	runBrowser(t, 3*time.Minute, &r, "pages.mjs", string(args))
	if r.Error != "" {
		t.Fatalf("browser: %s\nconsole: %q", r.Error, r.Logs)
	}
	// The refusals the test provokes are logged by Chromium; nothing else
	// may be (a missing file, a script error, a CSP violation).
	expected := regexp.MustCompile(`^Failed to load resource: the server responded with a status of (400|429) `)
	logs := slices.DeleteFunc(slices.Clone(r.Logs), expected.MatchString)
	if len(r.CSP) > 0 || len(logs) > 0 {
		t.Errorf("CSP violations %q, console errors %q", r.CSP, logs)
	}
	if r.WidthPhone.Scroll > r.WidthPhone.Client {
		t.Errorf("the contact page scrolls sideways on a phone: %+v", r.WidthPhone)
	}

	// Home → watch.
	if len(r.Home) != 1 || r.Home[0].Name != name || r.Home[0].Href != "/w/"+up.Video.ShortUUID || r.Home[0].Duration != "Duration: 0:03" {
		t.Errorf("home lists %+v, want %q (0:03) linking to /w/%s", r.Home, name, up.Video.ShortUUID)
	}
	// Its tile shows the thumbnail the transcode made, decorative and lazy.
	if len(r.Home) == 1 {
		th := r.Home[0].Thumb
		if th == nil || !strings.HasPrefix(th.Src, layout.ThumbnailsPrefix+up.Video.UUID+"-") || th.Alt != "" || th.Loading != "lazy" ||
			th.NaturalWidth != layout.ThumbnailWidth || th.NaturalHeight != layout.ThumbnailHeight {
			t.Errorf("home tile's thumbnail: %+v", th)
		}
	}
	if r.Watch.Path != "/w/"+up.Video.ShortUUID || r.Watch.H1 != name || r.Watch.Title != name+" · peeredge" || r.Watch.Player != 1 || r.Watch.Stats != 1 {
		t.Errorf("watch page: %+v", r.Watch)
	}

	// About: the values the node was started with.
	for id, want := range map[string]string{"peer-cap": "7", "peer-cap-example": "143", "rate-limit": "1 request every 2 seconds",
		"rate-burst": "9", "alarm-distinct": "11", "alarm-window": "7 minutes", "socket-peer-ttl": "5 minutes"} {
		if got := r.About[id]; got != want {
			t.Errorf("about #%s = %q, want %q", id, got, want)
		}
	}

	// Keyboard.
	if want := []string{"a:Skip to main content", "a:Videos", "a:About", "a:Contact", "email", "name", "subject", "message", "contact-submit"}; !slices.Equal(r.Tabs, want) {
		t.Errorf("Tab order %q, want %q", r.Tabs, want)
	}
	if r.AfterSkip != "main" {
		t.Errorf("the skip link left the focus on %q", r.AfterSkip)
	}

	// The contact form's rules, in the page and at the server.
	required := map[string]string{"email": "Email is required.", "name": "Your name is required.", "subject": "A subject is required.", "message": "A message is required."}
	if r.Empty["focus"] != "email" {
		t.Errorf("after sending the empty form the focus is on %v", r.Empty["focus"])
	}
	for f, want := range required {
		got, _ := r.Empty[f].(map[string]any)
		if got["shown"] != want || got["invalid"] != "true" {
			t.Errorf("empty form, %s: %v, want %q and aria-invalid", f, got, want)
		}
	}
	wants := []string{
		"Email is required.", "Email must be valid.", "Email must be valid.",
		"Your name is required.", "Your name must be at least 1 character long.", "Your name cannot be more than 120 characters long.",
		"A subject is required.", "The subject must be at least 1 character long.", "The subject cannot be more than 120 characters long.",
		"A message is required.", "The message must be at least 3 characters long.", "The message cannot be more than 5000 characters long.",
		"", "", "", "",
	}
	if len(r.Cases) != len(wants) {
		t.Fatalf("%d cases, want %d", len(r.Cases), len(wants))
	}
	for i, c := range r.Cases {
		want := wants[i]
		invalid := map[bool]string{true: "true", false: ""}[want != ""]
		if c.Shown != want || c.Invalid != invalid || c.DescribedBy != c.Field+"-error" {
			t.Errorf("%s = %q: page shows %q (aria-invalid %q, described by %q), want %q", c.Field, c.Value, c.Shown, c.Invalid, c.DescribedBy, want)
		}
		status := map[bool]int{true: http.StatusBadRequest, false: http.StatusNoContent}[want != ""]
		if c.Server.Status != status || c.Server.Msg != want {
			t.Errorf("%s = %q: server answers %d %q, want %d %q", c.Field, c.Value, c.Server.Status, c.Server.Msg, status, want)
		}
	}

	// A valid message: accepted, the form cleared, listed for the admin.
	if r.Sent.Status == "" || r.Sent.Error != "" || !slices.Equal(r.Sent.After, []string{"", "", "", ""}) {
		t.Errorf("valid message: status %q, error %q, fields after %q", r.Sent.Status, r.Sent.Error, r.Sent.After)
	}
	var list struct {
		Total int `json:"total"`
		Data  []struct {
			FromEmail, FromName, Subject, Body string
		} `json:"data"`
	}
	req, _ := http.NewRequest(http.MethodGet, n.base+"/api/v1/admin/contact?count=100", nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	lresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer lresp.Body.Close()
	if err := json.NewDecoder(lresp.Body).Decode(&list); err != nil || lresp.StatusCode != http.StatusOK {
		t.Fatalf("admin list: %s %v", lresp.Status, err)
	}
	found := slices.ContainsFunc(list.Data, func(m struct{ FromEmail, FromName, Subject, Body string }) bool {
		return m.FromEmail == message["fromEmail"] && m.FromName == message["fromName"] && m.Subject == message["subject"] && m.Body == message["body"]
	})
	if !found {
		t.Errorf("the message sent through the form is not in the admin's list: %+v", list)
	}

	// The rate limit.
	if r.Limited == nil || r.Limited.RetryAfter == "" {
		t.Fatalf("never refused with 429: %+v", r.Limited)
	}
	if !regexp.MustCompile(`^Too many messages from your address; try again in (9|10) minutes\.$`).MatchString(r.Refused.Error) || r.Refused.Status != "" || r.Refused.Kept == "" {
		t.Errorf("rate-limited send: error %q, status %q, message kept %q (Retry-After %s)", r.Refused.Error, r.Refused.Status, r.Refused.Kept, r.Limited.RetryAfter)
	}
	t.Logf("screenshots in %s: home, about, contact at 1280×800 and 390×844; contact-refused-desktop shows the 429", t.ArtifactDir())
}
