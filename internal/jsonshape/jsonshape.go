// Package jsonshape compares the shapes of two JSON answers — field names
// and JSON types, nested — to measure how much of a reference API (a real
// PeerTube's) another one (the node's) covers. Test support.
//
// The rules:
//   - A field is named by its dotted path; the elements of an array are
//     merged under "name[]", so a files[] entry's fields count once
//     however many files there are. An array of scalars counts its
//     elements' type as one field, "name[]".
//   - An array that is empty on the candidate but not in the reference
//     lacks the reference's element fields: they count as missing.
//   - null in the reference means "unset" (PeerTube's category.id,
//     originallyPublishedAt): it says nothing of the type, so any value of
//     the candidate's matches it, null included. null in the candidate
//     matches only the reference's null: a field the reference fills with a
//     type is not covered by the candidate leaving it unset.
package jsonshape

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Kind is a JSON value's type.
type Kind string

// The JSON types.
const (
	Null   Kind = "null"
	Bool   Kind = "boolean"
	Number Kind = "number"
	String Kind = "string"
	Array  Kind = "array"
	Object Kind = "object"
)

// KindOf is the type of a value decoded by encoding/json into any.
func KindOf(v any) Kind {
	switch v.(type) {
	case nil:
		return Null
	case bool:
		return Bool
	case float64, json.Number:
		return Number
	case string:
		return String
	case []any:
		return Array
	case map[string]any:
		return Object
	}
	return Kind(fmt.Sprintf("%T", v))
}

// Fields maps the dotted path of every field of v to its type. Array
// elements merge: a path keeps its first non-null type.
func Fields(v any) map[string]Kind {
	fields := map[string]Kind{}
	var walk func(path string, v any)
	note := func(path string, k Kind) {
		if old, ok := fields[path]; !ok || old == Null {
			fields[path] = k
		}
	}
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for name, e := range x {
				p := name
				if path != "" {
					p = path + "." + name
				}
				note(p, KindOf(e))
				walk(p, e)
			}
		case []any:
			for _, e := range x {
				if k := KindOf(e); k != Object && k != Array {
					note(path+"[]", k)
					continue
				}
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
	return fields
}

// Coverage is how much of the reference's shape a candidate has.
type Coverage struct {
	Total   int      // the reference's fields
	Matched int      // of them, present in the candidate with a matching type
	Missing []string // reference fields the candidate lacks, sorted
	// WrongType are fields both have with different types, as
	// "path: reference T, candidate U", sorted.
	WrongType []string
	Extra     []string // candidate fields the reference lacks, sorted
}

// Percent is Matched over Total (100 for an empty reference).
func (c Coverage) Percent() float64 {
	if c.Total == 0 {
		return 100
	}
	return 100 * float64(c.Matched) / float64(c.Total)
}

// Compare measures candidate against reference under the package's rules.
func Compare(reference, candidate any) Coverage {
	ref, cand := Fields(reference), Fields(candidate)
	c := Coverage{Total: len(ref)}
	for _, path := range slices.Sorted(maps.Keys(ref)) {
		want := ref[path]
		got, ok := cand[path]
		switch {
		case !ok:
			c.Missing = append(c.Missing, path)
		case want == Null || want == got:
			c.Matched++
		default:
			c.WrongType = append(c.WrongType, fmt.Sprintf("%s: reference %s, candidate %s", path, want, got))
		}
	}
	for _, path := range slices.Sorted(maps.Keys(cand)) {
		if _, ok := ref[path]; !ok {
			c.Extra = append(c.Extra, path)
		}
	}
	return c
}

// String is a one-line summary, e.g. "120/137 fields (87.6 %)".
func (c Coverage) String() string {
	return fmt.Sprintf("%d/%d fields (%.1f %%)", c.Matched, c.Total, c.Percent())
}

// Report lists what the candidate lacks and gets wrong, one per line.
func (c Coverage) Report() string {
	var b strings.Builder
	for _, p := range c.Missing {
		b.WriteString("  missing     " + p + "\n")
	}
	for _, p := range c.WrongType {
		b.WriteString("  wrong type  " + p + "\n")
	}
	return b.String()
}
