package origin

import (
	_ "embed"
	"encoding/json"
)

// PeerTube 6.3's VIDEO_CATEGORIES and VIDEO_LICENCES (ids from 1).
var (
	VideoCategories = []string{"Music", "Films", "Vehicles", "Art", "Sports", "Travels", "Gaming", "People",
		"Comedy", "Entertainment", "News & Politics", "How To", "Education", "Activism", "Science & Technology",
		"Animals", "Kids", "Food"}
	VideoLicences = []string{"Attribution", "Attribution - Share Alike", "Attribution - No Derivatives",
		"Attribution - Non Commercial", "Attribution - Non Commercial - Share Alike",
		"Attribution - Non Commercial - No Derivatives", "Public Domain Dedication"}
)

// languagesJSON is PeerTube 6.3's VIDEO_LANGUAGES as its buildLanguages
// makes them (living ISO 639-1 languages, some ISO 639-3 sign and
// constructed languages, its overrides), generated once from the
// iso-639-3 package PeerTube uses.
//
//go:embed languages.json
var languagesJSON []byte

// VideoLanguages maps a language code to its label.
var VideoLanguages = func() map[string]string {
	m := map[string]string{}
	if err := json.Unmarshal(languagesJSON, &m); err != nil {
		panic("origin: languages.json: " + err.Error()) // a build defect, caught by any test
	}
	return m
}()

// label is labels' entry for id (from 1), "" when none.
func label(labels []string, id int) string {
	if id <= 0 || id > len(labels) {
		return ""
	}
	return labels[id-1]
}

// CategoryLabel, LicenceLabel and LanguageLabel name a video's category,
// licence and language as PeerTube does ("" when unknown).
func CategoryLabel(id int) string      { return label(VideoCategories, id) }
func LicenceLabel(id int) string       { return label(VideoLicences, id) }
func LanguageLabel(code string) string { return VideoLanguages[code] }
