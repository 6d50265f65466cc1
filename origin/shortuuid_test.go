package origin

import (
	"errors"
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
		back, err := UUIDFromShort(tt.short)
		if err != nil || back != tt.uuid {
			t.Errorf("UUIDFromShort(%s) = %q, %v; want %s", tt.short, back, err, tt.uuid)
		}
	}
	// short-uuid's toUUID also accepts the unpadded form.
	if back, err := UUIDFromShort("avXdrZT4jP5T8vBxuvm75"); err != nil || back != "01542709-aa56-ae25-5ad3-09237c6c3318" {
		t.Errorf("unpadded: %q, %v", back, err)
	}
}

func TestShortUUIDRoundTrip(t *testing.T) {
	for range 1000 {
		id := uuid.NewString()
		s, err := ShortUUID(id)
		if err != nil || len(s) != shortUUIDLength {
			t.Fatalf("ShortUUID(%s) = %q, %v", id, s, err)
		}
		back, err := UUIDFromShort(s)
		if err != nil || back != id {
			t.Fatalf("round trip %s → %s → %s, %v", id, s, back, err)
		}
	}
}

func TestShortUUIDInvalid(t *testing.T) {
	for _, s := range []string{"", "0", "O", "I", "l", "mhvXdrZT4jP5T8vBxuvm75x", "zzzzzzzzzzzzzzzzzzzzzz", "mhvXdrZT4jP5T8vBxuvm7-"} {
		if _, err := UUIDFromShort(s); !errors.Is(err, ErrInvalidUUID) {
			t.Errorf("UUIDFromShort(%q) err = %v", s, err)
		}
	}
	for _, s := range []string{"", "not-a-uuid", strings.Repeat("a", 36)} {
		if _, err := ShortUUID(s); !errors.Is(err, ErrInvalidUUID) {
			t.Errorf("ShortUUID(%q) err = %v", s, err)
		}
	}
}

func FuzzUUIDFromShort(f *testing.F) {
	for _, s := range []string{"mhvXdrZT4jP5T8vBxuvm75", "1", "zzzzzzzzzzzzzzzzzzzzzz", "0OIl", "xBuEXKpA6iqZQK5Kf2TnkV"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := UUIDFromShort(s)
		if err != nil {
			return
		}
		short, err := ShortUUID(id)
		if err != nil {
			t.Fatalf("ShortUUID(%s): %v", id, err)
		}
		if strings.TrimLeft(short, "1") != strings.TrimLeft(s, "1") {
			t.Fatalf("%q → %s → %q", s, id, short)
		}
	})
}
