package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/origin"
)

// PeerTube's messages for its boolean fields (its validators' words).
var boolMessages = map[string]string{
	"nsfw":            "Should have a valid nsfw boolean",
	"waitTranscoding": "Should have a valid waitTranscoding boolean",
	"commentsEnabled": "Should have valid commentsEnabled boolean",
	"downloadEnabled": "Should have downloadEnabled boolean",
}

// isTagField says whether a form field carries a tag: "tags", "tags[]"
// or "tags[N]", as PeerTube's clients and multer name them.
func isTagField(field string) bool {
	if field == "tags" || field == "tags[]" {
		return true
	}
	idx, ok := strings.CutPrefix(field, "tags[")
	if !ok || !strings.HasSuffix(idx, "]") {
		return false
	}
	_, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
	return err == nil
}

// isDetailField says whether field is one of the details setDetail takes.
func isDetailField(field string) bool {
	switch field {
	case "category", "licence", "language", "privacy", "commentsPolicy",
		"nsfw", "waitTranscoding", "commentsEnabled", "downloadEnabled":
		return true
	}
	return isTagField(field)
}

// setDetail reads one detail field of a form (or a JSON value as text:
// "null" clears) into e, as PeerTube's sanitizers read them.
func setDetail(e *origin.Edit, field, value string) error {
	value = strings.TrimSpace(value)
	null := value == "" || value == "null"
	if isTagField(field) {
		tags := []string{}
		if e.Tags != nil {
			tags = *e.Tags
		}
		if !null || field != "tags" {
			tags = append(tags, value)
		}
		e.Tags = &tags
		return nil
	}
	if msg, ok := boolMessages[field]; ok {
		var b bool
		switch value {
		case "true", "1":
			b = true
		case "false", "0":
		default:
			return invalidParam(field, msg, value)
		}
		switch field {
		case "nsfw":
			e.NSFW = &b
		case "waitTranscoding":
			e.WaitTranscoding = &b
		case "downloadEnabled":
			e.DownloadEnabled = &b
		case "commentsEnabled": // PeerTube 6.2 deprecated it for commentsPolicy
			p := origin.CommentsDisabled
			if b {
				p = origin.CommentsEnabled
			}
			if e.CommentsPolicy == nil {
				e.CommentsPolicy = &p
			}
		}
		return nil
	}
	if field == "language" {
		if null {
			value = ""
		}
		e.Language = &value
		return nil
	}
	n := 0
	if !null {
		var err error
		if n, err = strconv.Atoi(value); err != nil || n <= 0 {
			return invalidParam(field, "Invalid value", value)
		}
	} else if field == "privacy" || field == "commentsPolicy" {
		return nil // left as it is (PeerTube: optional)
	}
	switch field {
	case "category":
		e.Category = &n
	case "licence":
		e.Licence = &n
	case "privacy":
		p := origin.Privacy(n)
		e.Privacy = &p
	case "commentsPolicy":
		e.CommentsPolicy = &n
	}
	return nil
}

func invalidParam(field, msg string, value any) *origin.IntakeError {
	return &origin.IntakeError{Kind: origin.ErrUploadInvalid, Reason: "Incorrect request parameters: " + field,
		Err: &origin.InvalidField{Field: field, Msg: msg, Value: value}}
}

// setDetailsJSON reads the detail fields of a JSON body (PUT, or the
// resumable upload's metadata) into e.
func setDetailsJSON(e *origin.Edit, fields map[string]json.RawMessage) error {
	for field, raw := range fields {
		if !isDetailField(field) {
			continue
		}
		raw = bytes.TrimSpace(raw)
		if field == "tags" {
			var tags []string
			if err := json.Unmarshal(raw, &tags); err != nil {
				return invalidParam("tags", origin.TagsMessage, string(raw))
			}
			if tags == nil {
				tags = []string{}
			}
			e.Tags = &tags
			continue
		}
		value := string(raw)
		if len(raw) > 0 && raw[0] == '"' {
			if err := json.Unmarshal(raw, &value); err != nil {
				return invalidParam(field, "Invalid value", string(raw))
			}
		}
		if err := setDetail(e, field, value); err != nil {
			return err
		}
	}
	return nil
}

// uploadDetails are the details an upload sets, from PeerTube's defaults.
func uploadDetails(e origin.Edit) origin.Details {
	var d origin.Details
	e.ApplyDetails(&d)
	return d
}

// writeInvalid answers err as PeerTube's "Incorrect request parameters"
// with invalid-params when it names a field, and says whether it did.
func writeInvalid(ctx *fasthttp.RequestCtx, err error) bool {
	f, ok := origin.AsInvalidField(err)
	if !ok {
		return false
	}
	problem.WriteDetails(ctx, problem.Details{
		Status:        http.StatusBadRequest,
		Detail:        "Incorrect request parameters: " + f.Field,
		Instance:      string(ctx.Path()),
		InvalidParams: map[string]problem.InvalidParam{f.Field: problem.Field("body", f.Field, f.Msg, f.Value)},
	})
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
	return true
}
