package api

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// The reference tables' labels (origin's copy of PeerTube 6.3's).
var (
	videoCategories = origin.VideoCategories
	videoLicences   = origin.VideoLicences
	videoPrivacies  = []string{"Public", "Unlisted", "Private"}
	videoLanguages  = origin.VideoLanguages
)

// idLabel is PeerTube's {id, label} of a category, licence or language:
// id null and label "Unknown" when none is set.
type idLabel struct {
	ID    any    `json:"id"`
	Label string `json:"label"`
}

func labelOf(labels []string, id int) idLabel {
	if id <= 0 {
		return idLabel{nil, "Unknown"}
	}
	if id > len(labels) {
		return idLabel{id, "Unknown"}
	}
	return idLabel{id, labels[id-1]}
}

func languageOf(code string) idLabel {
	if code == "" {
		return idLabel{nil, "Unknown"}
	}
	if l, ok := videoLanguages[code]; ok {
		return idLabel{code, l}
	}
	return idLabel{code, "Unknown"}
}

// byNumber renders labels as PeerTube's {"1": label, …}.
func byNumber(labels []string) map[string]string {
	m := make(map[string]string, len(labels))
	for i, l := range labels {
		m[strconv.Itoa(i+1)] = l
	}
	return m
}

// videoReference answers GET /api/v1/videos/categories, licences,
// languages and privacies; false when ref is none of them.
func (a *API) videoReference(ctx *fasthttp.RequestCtx, ref string) bool {
	var answer any
	switch ref {
	case "categories":
		answer = byNumber(videoCategories)
	case "licences":
		answer = byNumber(videoLicences)
	case "languages":
		answer = videoLanguages
	case "privacies":
		answer = byNumber(videoPrivacies)
	default:
		return false
	}
	if a.method(ctx, allowRead, isRead(ctx)) {
		writeJSON(ctx, http.StatusOK, answer)
	}
	return true
}

// maxTruncatedRunes is PeerTube's TRUNCATED_DESCRIPTION maximum.
const maxTruncatedRunes = 250

// truncatedDescription is the description as PeerTube's lists give it:
// at most 250 characters, the cut ones replaced by "...", null when none.
func truncatedDescription(s string) *string {
	if s == "" {
		return nil
	}
	if utf8.RuneCountInString(s) > maxTruncatedRunes {
		s = string([]rune(s)[:maxTruncatedRunes-3]) + "..."
	}
	return &s
}

// setDetails fills the details of j from d; full adds those PeerTube
// gives only in a video's own answer (not in lists).
func setDetails(j *videoJSON, d origin.Details, full bool) {
	j.Category = labelOf(videoCategories, d.Category)
	j.Licence = labelOf(videoLicences, d.Licence)
	j.Language = languageOf(d.Language)
	p := d.Visibility()
	j.Privacy = labelled{int(p), videoPrivacies[p-1]}
	j.NSFW = d.NSFW
	j.TruncatedDescription = truncatedDescription(j.Description)
	if !full {
		j.Description = derefOr(j.TruncatedDescription)
		return
	}
	tags := append([]string{}, d.Tags...)
	comments := d.Comments() != origin.CommentsDisabled
	download, wait := !d.DownloadDisabled, d.WaitTranscoding
	j.DescriptionPath = videoPrefix + j.UUID + "/description"
	j.Tags, j.CommentsEnabled, j.DownloadEnabled, j.WaitTranscoding = &tags, &comments, &download, &wait
	j.CommentsPolicy = &labelled{d.Comments(), commentPolicies[d.Comments()-1]}
	blacklisted := false
	j.Blacklisted, j.BlacklistedReason, j.InputFileUpdatedAt = &blacklisted, &jsonNull{}, &jsonNull{}
}

var commentPolicies = []string{"Enabled", "Disabled", "Requires approval"}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
