package origin

import (
	"strings"
	"unicode/utf8"
)

// PeerTube's limits on a video's texts, in characters (its
// VIDEOS_CONSTRAINTS_FIELDS): a text that is set has at least 3.
const (
	minTextRunes        = 3
	maxDescriptionRunes = 10000
	maxSupportRunes     = 1000
)

// validText checks an optional text against PeerTube's limits; empty (after
// trimming) means none.
func validText(field, s string, maxRunes int) error {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case s == "":
		return nil
	case !utf8.ValidString(s):
		return intakeErr(ErrUploadInvalid, nil, "%s is not valid UTF-8", field)
	case n < minTextRunes || n > maxRunes:
		return intakeErr(ErrUploadInvalid, nil, "%s must be %d to %d characters long", field, minTextRunes, maxRunes)
	}
	return nil
}

func validMetadataText(m Metadata) error {
	if err := validText("description", m.Description, maxDescriptionRunes); err != nil {
		return err
	}
	return validText("support", m.Support, maxSupportRunes)
}

// Edit is a change of a video's texts, as PeerTube's PUT
// /api/v1/videos/{id} makes it: a nil field stays as it is, an empty
// description or support text clears it.
type Edit struct {
	Name        *string
	Description *string
	Support     *string
	// The details; for Category, Licence and Language, 0 or "" clears.
	Tags            *[]string
	Category        *int
	Licence         *int
	Language        *string
	Privacy         *Privacy
	NSFW            *bool
	CommentsPolicy  *int
	DownloadEnabled *bool
	WaitTranscoding *bool
}

// ApplyDetails sets the details the edit gives on d.
func (e Edit) ApplyDetails(d *Details) {
	set := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&d.Category, e.Category)
	set(&d.Licence, e.Licence)
	set(&d.CommentsPolicy, e.CommentsPolicy)
	if e.Tags != nil {
		d.Tags = append([]string(nil), (*e.Tags)...)
	}
	if e.Language != nil {
		d.Language = *e.Language
	}
	if e.Privacy != nil {
		d.Privacy = *e.Privacy
	}
	if e.NSFW != nil {
		d.NSFW = *e.NSFW
	}
	if e.DownloadEnabled != nil {
		d.DownloadDisabled = !*e.DownloadEnabled
	}
	if e.WaitTranscoding != nil {
		d.WaitTranscoding = *e.WaitTranscoding
	}
}

// Apply checks the edit (an *IntakeError of kind ErrUploadInvalid says
// why it is refused) and applies it to v; use it with Catalog.UpdateVideo.
func (e Edit) Apply(v *Video) error {
	m := Metadata{Name: v.Name, Description: v.Description, Support: v.Support}
	if e.Name != nil {
		m.Name = *e.Name
	}
	if e.Description != nil {
		m.Description = *e.Description
	}
	if e.Support != nil {
		m.Support = *e.Support
	}
	name, err := validName(m.Name)
	if err != nil {
		return err
	}
	if err := validMetadataText(m); err != nil {
		return err
	}
	d := v.Details
	d.Tags = append([]string(nil), d.Tags...)
	e.ApplyDetails(&d)
	if err := d.Check(); err != nil {
		return err
	}
	v.Name, v.Description, v.Support = name, strings.TrimSpace(m.Description), strings.TrimSpace(m.Support)
	v.Details = d
	return nil
}
