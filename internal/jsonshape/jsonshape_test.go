package jsonshape

import (
	"encoding/json"
	"slices"
	"testing"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		reference, candidate string
		total, matched       int
		missing, wrongType   []string
		extra                []string
	}{
		{
			name:      "same shape, other values",
			reference: `{"a":1,"b":"x","c":{"d":true}}`,
			candidate: `{"a":2,"b":"y","c":{"d":false}}`,
			total:     4, matched: 4,
		},
		{
			name:      "missing nested field and extra field",
			reference: `{"a":1,"c":{"d":true,"e":null}}`,
			candidate: `{"a":1,"c":{"d":true},"z":0}`,
			total:     4, matched: 3,
			missing: []string{"c.e"}, extra: []string{"z"},
		},
		{
			name:      "array elements count once",
			reference: `{"files":[{"id":1,"url":"u"},{"id":2,"url":"v"}]}`,
			candidate: `{"files":[{"id":1}]}`,
			total:     3, matched: 2,
			missing: []string{"files[].url"},
		},
		{
			name:      "empty array on the candidate lacks the element fields",
			reference: `{"files":[{"id":1,"url":"u"}],"tags":["a"]}`,
			candidate: `{"files":[],"tags":[]}`,
			total:     5, matched: 2,
			missing: []string{"files[].id", "files[].url", "tags[]"},
		},
		{
			name:      "empty array in the reference counts only itself",
			reference: `{"files":[]}`,
			candidate: `{"files":[{"id":1}]}`,
			total:     1, matched: 1,
			extra: []string{"files[].id"},
		},
		{
			name:      "reference null matches anything",
			reference: `{"category":{"id":null,"label":"Unknown"},"support":null}`,
			candidate: `{"category":{"id":null,"label":"Unknown"},"support":"text"}`,
			total:     4, matched: 4,
		},
		{
			name:      "candidate null does not cover a typed field",
			reference: `{"publishedAt":"2024-01-01T00:00:00Z"}`,
			candidate: `{"publishedAt":null}`,
			total:     1, matched: 0,
			wrongType: []string{"publishedAt: reference string, candidate null"},
		},
		{
			name:      "wrong type",
			reference: `{"id":1,"state":{"id":1}}`,
			candidate: `{"id":"1","state":1}`,
			total:     3, matched: 0,
			missing:   []string{"state.id"},
			wrongType: []string{"id: reference number, candidate string", "state: reference object, candidate number"},
		},
		{
			name:      "null elements merge with typed ones",
			reference: `{"a":[{"x":null},{"x":"s"}]}`,
			candidate: `{"a":[{"x":3}]}`,
			total:     2, matched: 1,
			wrongType: []string{"a[].x: reference string, candidate number"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Compare(decode(t, tc.reference), decode(t, tc.candidate))
			if c.Total != tc.total || c.Matched != tc.matched {
				t.Errorf("coverage %s, want %d/%d", c, tc.matched, tc.total)
			}
			if !slices.Equal(c.Missing, tc.missing) {
				t.Errorf("missing %q, want %q", c.Missing, tc.missing)
			}
			if !slices.Equal(c.WrongType, tc.wrongType) {
				t.Errorf("wrong type %q, want %q", c.WrongType, tc.wrongType)
			}
			if !slices.Equal(c.Extra, tc.extra) {
				t.Errorf("extra %q, want %q", c.Extra, tc.extra)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	if p := (Coverage{Total: 8, Matched: 6}).Percent(); p != 75 {
		t.Errorf("6/8 = %v %%", p)
	}
	if p := (Coverage{}).Percent(); p != 100 {
		t.Errorf("empty reference = %v %%", p)
	}
}
