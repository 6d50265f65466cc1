package layout

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestShortUUIDVectors(t *testing.T) {
	tests := []struct{ uuid, short string }{
		// From the README of npm's short-uuid, the library PeerTube uses.
		{"a44521d0-0fb8-4ade-8002-3385545c3318", "mhvXdrZT4jP5T8vBxuvm75"},
		// Small values are padded with "1" (the alphabet's zero) to 22 characters.
		{"01542709-aa56-ae25-5ad3-09237c6c3318", "1avXdrZT4jP5T8vBxuvm75"},
		{"00000000-0000-0000-0000-000000000000", "1111111111111111111111"},
		{"00000000-0000-0000-0000-000000000001", "1111111111111111111112"},
		{"00000000-0000-0000-0000-00000000003a", "1111111111111111111121"},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", "xBuEXKpA6iqZQK5Kf2TnkV"},
	}
	for _, tt := range tests {
		got, err := ShortUUID(tt.uuid)
		if err != nil || got != tt.short {
			t.Errorf("ShortUUID(%s) = %q, %v; want %q", tt.uuid, got, err, tt.short)
		}
	}
}

// fromShort decodes a shortUUID (test only: the node resolves shortUUIDs
// through the catalogue's index, never by decoding).
func fromShort(t *testing.T, s string) string {
	t.Helper()
	n := new(big.Int)
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(flickrBase58, s[i])
		if d < 0 {
			t.Fatalf("%q: %q is not in the alphabet", s, s[i])
		}
		n.Mul(n, base58).Add(n, big.NewInt(int64(d)))
	}
	var u uuid.UUID
	n.FillBytes(u[:])
	return u.String()
}

func TestShortUUIDRoundTrip(t *testing.T) {
	for range 1000 {
		id := uuid.NewString()
		s, err := ShortUUID(id)
		if err != nil || len(s) != ShortUUIDLen {
			t.Fatalf("ShortUUID(%s) = %q, %v", id, s, err)
		}
		if back := fromShort(t, s); back != id {
			t.Fatalf("round trip %s → %s → %s", id, s, back)
		}
	}
}

func TestUUIDInvalid(t *testing.T) {
	for _, s := range []string{"", "not-a-uuid", strings.Repeat("a", 36)} {
		if _, err := ShortUUID(s); !errors.Is(err, ErrInvalidUUID) {
			t.Errorf("ShortUUID(%q) err = %v", s, err)
		}
	}
	for _, s := range []string{
		"", "a44521d0-0fb8-4ade-8002-3385545c331", "{a44521d0-0fb8-4ade-8002-3385545c3318}",
		"urn:uuid:a44521d0-0fb8-4ade-8002-3385545c3318", "a44521d00fb84ade80023385545c3318",
		"../../../../../../../../../etc/passw", "a44521d0-0fb8-4ade-8002-3385545c331/",
	} {
		if _, err := CanonicalUUID(s); !errors.Is(err, ErrInvalidUUID) {
			t.Errorf("CanonicalUUID(%q) err = %v", s, err)
		}
	}
	if got, err := CanonicalUUID("A44521D0-0FB8-4ADE-8002-3385545C3318"); err != nil || got != "a44521d0-0fb8-4ade-8002-3385545c3318" {
		t.Errorf("upper case: %q, %v", got, err)
	}
}

// FuzzCanonicalUUID checks CanonicalUUID against google/uuid: whatever it
// accepts is a 36-character UUID that uuid.Parse reads as the same value,
// printed in the one form used in names.
func FuzzCanonicalUUID(f *testing.F) {
	for _, s := range []string{"a44521d0-0fb8-4ade-8002-3385545c3318", "A44521D0-0FB8-4ADE-8002-3385545C3318", "", "x", "../a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CanonicalUUID(s)
		ref, refErr := uuid.Parse(s)
		if err != nil {
			if refErr == nil && len(s) == UUIDLen {
				t.Fatalf("CanonicalUUID(%q) refused what uuid.Parse accepts: %v", s, err)
			}
			return
		}
		if refErr != nil || got != ref.String() || len(s) != UUIDLen {
			t.Fatalf("CanonicalUUID(%q) = %q; uuid.Parse: %v %v", s, got, ref, refErr)
		}
		if again, err := CanonicalUUID(got); err != nil || again != got || !IsCanonicalUUID(got) {
			t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
		}
		if IsCanonicalUUID(s) != (s == got) {
			t.Fatalf("IsCanonicalUUID(%q) = %v, but its canonical form is %q", s, IsCanonicalUUID(s), got)
		}
	})
}
