package layout

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/google/uuid"
)

// ErrInvalidUUID reports a string that is not a video id in the form asked for.
var ErrInvalidUUID = errors.New("invalid uuid")

// UUIDLen is the length of a canonical UUID, the prefix of every rendition
// and torrent file name.
const UUIDLen = 36

// CanonicalUUID returns id in lower-case 8-4-4-4-12 form, the only form used
// in keys, file names and URLs; anything else (other UUID spellings, path
// tricks) is refused.
func CanonicalUUID(id string) (string, error) {
	if IsCanonicalUUID(id) {
		return id, nil
	}
	if len(id) != UUIDLen {
		return "", fmt.Errorf("%w: %q", ErrInvalidUUID, id)
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrInvalidUUID, id)
	}
	return u.String(), nil
}

// IsCanonicalUUID reports whether id is already in the one form used in
// names (lower-case hex, 8-4-4-4-12), without allocating: the edge asks it
// of every WebSeed request.
func IsCanonicalUUID(id string) bool {
	if len(id) != UUIDLen {
		return false
	}
	for i := 0; i < UUIDLen; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// flickrBase58 is the alphabet of npm's short-uuid, which PeerTube uses for
// its shortUUID field (no 0, O, I or l).
const flickrBase58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// ShortUUIDLen is ceil(128 / log2(58)): short-uuid pads every id to this
// length with the alphabet's first character, and PeerTube recognises a
// shortUUID by this length.
const ShortUUIDLen = 22

var base58 = big.NewInt(58)

// ShortUUID translates a UUID into PeerTube's shortUUID: the UUID's 128-bit
// value written in base 58 with the flickr alphabet, left-padded with "1" to
// 22 characters (short-uuid's consistentLength, its default since v4).
func ShortUUID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrInvalidUUID, id)
	}
	n := new(big.Int).SetBytes(u[:])
	out := make([]byte, ShortUUIDLen)
	digit := new(big.Int)
	for i := ShortUUIDLen - 1; i >= 0; i-- {
		n.DivMod(n, base58, digit)
		out[i] = flickrBase58[digit.Int64()]
	}
	return string(out), nil
}
