package origin

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/google/uuid"
)

// flickrBase58 is the alphabet of npm's short-uuid, which PeerTube uses for
// its shortUUID field (no 0, O, I or l).
const flickrBase58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// shortUUIDLength is ceil(128 / log2(58)): short-uuid pads every id to this
// length with the alphabet's first character, and PeerTube recognises a
// shortUUID by this length.
const shortUUIDLength = 22

// ErrInvalidUUID reports a string that is neither a UUID nor a shortUUID.
var ErrInvalidUUID = errors.New("invalid uuid")

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
	out := make([]byte, shortUUIDLength)
	digit := new(big.Int)
	for i := shortUUIDLength - 1; i >= 0; i-- {
		n.DivMod(n, base58, digit)
		out[i] = flickrBase58[digit.Int64()]
	}
	return string(out), nil
}

// UUIDFromShort is the inverse of ShortUUID. Like short-uuid's toUUID it
// also accepts unpadded forms (fewer than 22 characters).
func UUIDFromShort(short string) (string, error) {
	if short == "" || len(short) > shortUUIDLength {
		return "", fmt.Errorf("%w: short uuid %q", ErrInvalidUUID, short)
	}
	n := new(big.Int)
	for i := 0; i < len(short); i++ {
		d := strings.IndexByte(flickrBase58, short[i])
		if d < 0 {
			return "", fmt.Errorf("%w: short uuid %q", ErrInvalidUUID, short)
		}
		n.Mul(n, base58)
		n.Add(n, big.NewInt(int64(d)))
	}
	if n.BitLen() > 128 {
		return "", fmt.Errorf("%w: short uuid %q exceeds 128 bits", ErrInvalidUUID, short)
	}
	var u uuid.UUID
	n.FillBytes(u[:])
	return u.String(), nil
}

// canonicalUUID returns id in lower-case 8-4-4-4-12 form, the only form used
// in keys and file names; anything else (including path tricks) is refused.
func canonicalUUID(id string) (string, error) {
	if len(id) != 36 {
		return "", fmt.Errorf("%w: %q", ErrInvalidUUID, id)
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrInvalidUUID, id)
	}
	return u.String(), nil
}
