package api

import (
	"net/http"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/origin"
)

// Paging limits, PeerTube's (PAGINATION.GLOBAL.COUNT): count defaults to
// 15, and more than 100 is refused.
const (
	defaultCount = 15
	maxCount     = 100
)

// Messages of PeerTube's list validators (express-validator's own
// "Invalid value" where PeerTube gives none).
const (
	countMessage   = "Should have a number count (max: 100)"
	privacyMessage = "Should have a valid privacyOneOf array"
	isLocalMessage = "Should have a valid isLocal boolean"
	seeAllMessage  = "You are not allowed to see all videos, specify a custom include or auto tags filter."
	maxSearchBytes = 1 << 10 // a search longer than any video name finds nothing anyway
	maxTagsOneOf   = 32
)

// videoSorts are PeerTube's sortable video columns the node has
// (SORTABLE_COLUMNS.VIDEOS less likes, hot, best, originallyPublishedAt
// and localVideoFilesSize), each also with "-" for descending.
var videoSorts = map[string]origin.SortField{
	"publishedAt": origin.SortPublished,
	"createdAt":   origin.SortCreated,
	"name":        origin.SortName,
	"duration":    origin.SortDuration,
	"views":       origin.SortViews,
	"trending":    origin.SortTrending,
}

// writeQueryInvalid answers 400 in PeerTube's invalid-params shape for
// one query parameter.
func writeQueryInvalid(ctx *fasthttp.RequestCtx, param, msg string, value any) {
	problem.WriteDetails(ctx, problem.Details{
		Status:        http.StatusBadRequest,
		Detail:        "Incorrect request parameters: " + param,
		Instance:      string(ctx.Path()),
		InvalidParams: map[string]problem.InvalidParam{param: problem.Field("query", param, msg, value)},
	})
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
}

// queryPage reads PeerTube's start and count paging parameters, or
// answers 400 as its pagination validator does.
func queryPage(ctx *fasthttp.RequestCtx) (start, count int, ok bool) {
	args := ctx.QueryArgs()
	start, count = 0, defaultCount
	if s := args.Peek("start"); len(s) > 0 {
		n, err := strconv.Atoi(string(s))
		if err != nil || n < 0 {
			writeQueryInvalid(ctx, "start", "Invalid value", string(s))
			return 0, 0, false
		}
		start = n
	}
	if s := args.Peek("count"); len(s) > 0 {
		n, err := strconv.Atoi(string(s))
		if err != nil || n < 0 || n > maxCount {
			writeQueryInvalid(ctx, "count", countMessage, string(s))
			return 0, 0, false
		}
		count = n
	}
	return start, count, true
}

// queryList reads the list options of PeerTube's video lists (paging,
// sort, isLocal, privacyOneOf, search, tagsOneOf), or answers 400 for a
// bad value and 401 for privacyOneOf from a caller who may not see every
// video (PeerTube's SEE_ALL_VIDEOS right: administrators here). An array
// is given by repeating the parameter, with or without "[]".
func (a *API) queryList(ctx *fasthttp.RequestCtx) (origin.ListQuery, bool) {
	var q origin.ListQuery
	var ok bool
	if q.Start, q.Count, ok = queryPage(ctx); !ok {
		return q, false
	}
	args := ctx.QueryArgs()
	if s := string(args.Peek("sort")); s != "" {
		field, known := videoSorts[s]
		if s[0] == '-' {
			field, known = videoSorts[s[1:]]
		}
		if !known {
			writeQueryInvalid(ctx, "sort", "Invalid value", s)
			return q, false
		}
		q.Sort, q.Ascending = field, s[0] != '-'
	}
	// PeerTube's toBoolean takes any string but "0", "false" and "" as
	// true; the node refuses what is not a boolean instead of guessing.
	if s := string(args.Peek("isLocal")); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			writeQueryInvalid(ctx, "isLocal", isLocalMessage, s)
			return q, false
		}
		q.Local = &b
	}
	q.Search = string(args.Peek("search"))
	if len(q.Search) > maxSearchBytes {
		writeQueryInvalid(ctx, "search", "Invalid value", q.Search[:64]+"…")
		return q, false
	}
	for _, t := range queryArray(args, "tagsOneOf") {
		q.TagsOneOf = append(q.TagsOneOf, string(t))
	}
	if len(q.TagsOneOf) > maxTagsOneOf {
		writeQueryInvalid(ctx, "tagsOneOf", "Should have a valid tagsOneOf array", q.TagsOneOf)
		return q, false
	}
	privacies := queryArray(args, "privacyOneOf")
	for _, p := range privacies {
		n, err := strconv.Atoi(string(p))
		if err != nil {
			writeQueryInvalid(ctx, "privacyOneOf", privacyMessage, string(p))
			return q, false
		}
		q.Privacies = append(q.Privacies, origin.Privacy(n))
	}
	if len(privacies) > 0 {
		if c, ok := a.caller(ctx); !ok || c.User.Role != origin.RoleAdministrator {
			writeProblem(ctx, http.StatusUnauthorized, seeAllMessage)
			return q, false
		}
	}
	return q, true
}

// queryArray is every value of name and name[] in args.
func queryArray(args *fasthttp.Args, name string) [][]byte {
	return append(args.PeekMulti(name), args.PeekMulti(name+"[]")...)
}
