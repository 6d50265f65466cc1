package swarm

// Piece length bounds. 16 KiB is the BitTorrent block size, so a smaller piece
// would be split below what peers request; 16 MiB keeps a single piece (which a
// peer must fetch whole before it can verify it) short enough for video start-up.
const (
	MinPieceLength = 16 << 10
	MaxPieceLength = 16 << 20

	// maxExplicitPieceLength is the largest piece length a caller may ask for
	// explicitly (2^28, the largest mktorrent accepts).
	maxExplicitPieceLength = 256 << 20

	// targetMaxPieces caps the piece count PieceLengthFor aims for; doubling
	// from the smallest fitting length leaves every file between roughly 1,000
	// and 2,000 pieces once it is large enough.
	targetMaxPieces = 2000
)

// PieceLengthFor picks a power of two in [16 KiB, 16 MiB] so that a file of
// size bytes has roughly 1,000–2,000 pieces: fewer for small files (which stay
// at 16 KiB), more only once 16 MiB is reached. It is the smallest such length
// giving at most 2,000 pieces, so halving it would exceed 2,000.
func PieceLengthFor(size int64) int64 {
	pieceLength := int64(MinPieceLength)
	for pieceLength < MaxPieceLength && pieceCount(size, pieceLength) > targetMaxPieces {
		pieceLength <<= 1
	}
	return pieceLength
}

// pieceCount is the number of pieces a file of size bytes splits into.
func pieceCount(size, pieceLength int64) int64 {
	if size <= 0 {
		return 0
	}
	return (size-1)/pieceLength + 1
}

// validPieceLength reports whether n is a power of two a torrent may use.
func validPieceLength(n int64) bool {
	return n >= MinPieceLength && n <= maxExplicitPieceLength && n&(n-1) == 0
}
