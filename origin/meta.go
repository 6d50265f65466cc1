package origin

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
)

// Privacy is who may see a video, numbered as PeerTube's VideoPrivacy.
// The node keeps the first three (PeerTube's internal and
// password-protected videos have no meaning here).
type Privacy int

const (
	PrivacyPublic   Privacy = 1
	PrivacyUnlisted Privacy = 2
	PrivacyPrivate  Privacy = 3
)

// Comment policies, numbered as PeerTube's VideoCommentPolicy.
const (
	CommentsEnabled         = 1
	CommentsDisabled        = 2
	CommentsRequireApproval = 3
	maxCategory, maxLicence = 18, 7 // PeerTube's VIDEO_CATEGORIES and VIDEO_LICENCES ids run from 1
	maxLanguageRunes        = 10
)

// PeerTube's limits of a video's tags.
const (
	MaxTags                  = 5
	MinTagRunes, MaxTagRunes = 2, 30
)

// Details are the PeerTube attributes of a video beyond its texts. Their
// zero values are PeerTube's defaults (public, comments and download
// enabled), so videos stored before they existed read as they behaved.
type Details struct {
	Tags     []string `json:",omitempty"`
	Category int      `json:",omitempty"` // 0: none
	Licence  int      `json:",omitempty"` // 0: none
	Language string   `json:",omitempty"` // an ISO 639 code; "": none
	Privacy  Privacy  `json:",omitempty"` // 0: public
	NSFW     bool     `json:",omitempty"`
	// CommentsPolicy 0 means enabled.
	CommentsPolicy   int  `json:",omitempty"`
	DownloadDisabled bool `json:",omitempty"`
	WaitTranscoding  bool `json:",omitempty"`
}

// Visibility is the video's privacy, public when none was said.
func (d Details) Visibility() Privacy {
	if d.Privacy == 0 {
		return PrivacyPublic
	}
	return d.Privacy
}

// Listed says whether the video shows in lists and federates: public
// ones only (unlisted ones are reached by their uuid, private ones by
// their owner).
func (d Details) Listed() bool { return d.Visibility() == PrivacyPublic }

// Comments is the comment policy, enabled when none was said.
func (d Details) Comments() int {
	if d.CommentsPolicy == 0 {
		return CommentsEnabled
	}
	return d.CommentsPolicy
}

// InvalidField is a field a sender got wrong, with PeerTube's message for
// it; an *IntakeError of kind ErrUploadInvalid wraps it.
type InvalidField struct {
	Field string
	Msg   string
	Value any
}

func (e *InvalidField) Error() string { return e.Field + ": " + e.Msg }

// invalidField refuses field with msg, as PeerTube's "Incorrect request
// parameters" answer does.
func invalidField(field, msg string, value any) *IntakeError {
	return &IntakeError{Kind: ErrUploadInvalid, Reason: "Incorrect request parameters: " + field,
		Err: &InvalidField{Field: field, Msg: msg, Value: value}}
}

// AsInvalidField finds the field err refuses, if it names one.
func AsInvalidField(err error) (*InvalidField, bool) {
	var f *InvalidField
	return f, errors.As(err, &f)
}

// TagsMessage is PeerTube's refusal of a video's tags.
const TagsMessage = "Should have an array of up to 5 tags between 2 and 30 characters each"

// invalidValue is express-validator's message for a check PeerTube gives
// no words of its own.
const invalidValue = "Invalid value"

// Check validates d against PeerTube's limits and normalises it (tags
// trimmed). It refuses with an *IntakeError wrapping an *InvalidField.
func (d *Details) Check() error {
	if len(d.Tags) > MaxTags {
		return invalidField("tags", TagsMessage, d.Tags)
	}
	for i, t := range d.Tags {
		t = strings.TrimSpace(t)
		if n := utf8.RuneCountInString(t); n < MinTagRunes || n > MaxTagRunes || !utf8.ValidString(t) {
			return invalidField("tags", TagsMessage, d.Tags)
		}
		d.Tags[i] = t
	}
	switch {
	case d.Category < 0 || d.Category > maxCategory:
		return invalidField("category", invalidValue, d.Category)
	case d.Licence < 0 || d.Licence > maxLicence:
		return invalidField("licence", invalidValue, d.Licence)
	case utf8.RuneCountInString(d.Language) > maxLanguageRunes || !utf8.ValidString(d.Language):
		return invalidField("language", invalidValue, d.Language)
	case d.Privacy < 0 || d.Privacy > PrivacyPrivate:
		return invalidField("privacy", invalidValue, int(d.Privacy))
	case d.CommentsPolicy < 0 || d.CommentsPolicy > CommentsRequireApproval:
		return invalidField("commentsPolicy", invalidValue, d.CommentsPolicy)
	}
	return nil
}

// countHidden keeps the number of unlisted and private videos as a video
// goes from before to after (a zero Video: none, on create and delete), so
// that lists count the listed ones without reading them all.
func countHidden(txn *badger.Txn, before, after Video) error {
	hidden := func(v Video) int64 {
		if v.ID == 0 || v.Listed() {
			return 0
		}
		return 1
	}
	if d := hidden(after) - hidden(before); d != 0 {
		_, err := addCounter(txn, keyHiddenCount, d)
		return err
	}
	return nil
}
