package ledger

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
)

// TileHeight is the height of C2SP tiles: each holds up to 2⁸ = 256 hashes.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
)

// Tile names one C2SP tlog-tiles resource (c2sp.org/tlog-tiles): a Merkle
// tile tile/<L>/<N>[.p/<W>] or, when Entries is set, an entry bundle
// tile/entries/<N>[.p/<W>]. Width is 1…256; 256 is a full tile, anything
// less a partial one. This is deliberately not tlog.Tile.Path, whose paths
// (tile/8/0/… and tile/8/data/…) are the Go checksum database's, not C2SP's.
type Tile struct {
	Level   int // 0…63; 0 for entry bundles
	Index   int64
	Width   int
	Entries bool
}

// Path is the tile's path relative to the log's prefix, e.g.
// "tile/0/x001/x234/067.p/8".
func (t Tile) Path() string {
	var b strings.Builder
	b.WriteString("tile/")
	if t.Entries {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(t.Level))
	}
	b.WriteByte('/')
	b.WriteString(encodeIndex(t.Index))
	if t.Width < TileWidth {
		b.WriteString(".p/")
		b.WriteString(strconv.Itoa(t.Width))
	}
	return b.String()
}

// encodeIndex writes n in zero-padded groups of three digits, all but the
// last prefixed with "x": 1234067 → x001/x234/067.
func encodeIndex(n int64) string {
	s := fmt.Sprintf("%03d", n)
	for len(s)%3 != 0 {
		s = "0" + s
	}
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		if i > 0 {
			b.WriteByte('/')
		}
		if i+3 < len(s) {
			b.WriteByte('x')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// ParseTilePath parses a path such as "tile/1/x001/234.p/17" or
// "tile/entries/000", refusing every non-canonical spelling (leading zeroes
// in the level or width, a leading x000 group, ".p/256") so that each
// resource has exactly one path.
func ParseTilePath(path string) (Tile, error) {
	var t Tile
	bad := func(why string) (Tile, error) {
		return Tile{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "path", "malformed tile path %q: %s", truncate(path, 80), why)
	}
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return bad("want tile/…")
	}
	level, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return bad("missing index")
	}
	if level == "entries" {
		t.Entries = true
	} else {
		l, err := parseSmall(level, 63)
		if err != nil {
			return bad("level: " + err.Error())
		}
		t.Level = l
	}
	t.Width = TileWidth
	if idx, w, ok := strings.Cut(rest, ".p/"); ok {
		width, err := parseSmall(w, TileWidth-1)
		if err != nil || width == 0 {
			return bad("width: want 1…255")
		}
		t.Width, rest = width, idx
	}
	elems := strings.Split(rest, "/")
	if len(elems) > 7 {
		return bad("index too large")
	}
	var n int64
	for i, e := range elems {
		if i < len(elems)-1 {
			d, ok := strings.CutPrefix(e, "x")
			if !ok {
				return bad("all index elements but the last must start with x")
			}
			if i == 0 && d == "000" {
				return bad("leading zero index element")
			}
			e = d
		}
		if len(e) != 3 || !isDigits(e) {
			return bad("index elements must be three digits")
		}
		d, _ := strconv.Atoi(e)
		if n > (1<<63-1-int64(d))/1000 {
			return bad("index too large")
		}
		n = n*1000 + int64(d)
	}
	t.Index = n
	return t, nil
}

func parseSmall(s string, max int) (int, error) {
	if s == "" || len(s) > 3 || !isDigits(s) || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("want a decimal with no leading zeroes")
	}
	n, _ := strconv.Atoi(s)
	if n > max {
		return 0, fmt.Errorf("%d is over %d", n, max)
	}
	return n, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// tlogTile is the tile in tlog's terms, for its tile hash arithmetic.
func (t Tile) tlogTile() tlog.Tile {
	return tlog.Tile{H: TileHeight, L: t.Level, N: t.Index, W: t.Width}
}

// Exists reports whether the tile is part of a tree of the given size: a
// partial tile of width W exists once the tree has at least W hashes in
// that tile (it stays servable after the tile fills up), a full tile once
// the tile is full.
func (t Tile) Exists(size int64) bool {
	if t.Width < 1 || t.Width > TileWidth || (t.Entries && t.Level != 0) {
		return false
	}
	return t.Width <= TileWidthAt(t.Level, t.Index, size)
}

// TileWidthAt is the width of tile (level, index) in a tree of the given
// size: 256 for a full tile, less for the rightmost partial one, 0 when the
// tree does not reach it.
func TileWidthAt(level int, index, size int64) int {
	if level < 0 || level*TileHeight >= 63 {
		return 0
	}
	hashes := size >> (TileHeight * level)
	start := index * TileWidth
	if index < 0 || start >= hashes {
		return 0
	}
	return int(min(TileWidth, hashes-start))
}

// ReadTile returns the bytes of a Merkle tile: its Width hashes, 32 bytes
// each, read from src's stored hashes. An entry bundle tile is refused; use
// ReadBundle.
func ReadTile(ctx context.Context, src Source, t Tile) ([]byte, error) {
	if t.Entries {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "entry bundles are read with ReadBundle")
	}
	data, err := tlog.ReadTileData(t.tlogTile(), HashReader(ctx, src))
	if err != nil {
		return nil, wrap(err)
	}
	return data, nil
}

// ReadBundle returns an entry bundle: the tile's entries, each prefixed with
// its length as a big-endian uint16.
func ReadBundle(ctx context.Context, src Source, t Tile) ([]byte, error) {
	if !t.Entries {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "Merkle tiles are read with ReadTile")
	}
	from := t.Index * TileWidth
	entries, err := src.Entries(ctx, from, from+int64(t.Width))
	if err != nil {
		return nil, wrap(err)
	}
	if len(entries) != t.Width {
		return nil, pactwatch.Internal(fmt.Errorf("ledger: source returned %d entries for [%d, %d)", len(entries), from, from+int64(t.Width)))
	}
	return MarshalBundle(entries)
}

// MarshalBundle encodes entries as a C2SP entry bundle.
func MarshalBundle(entries [][]byte) ([]byte, error) {
	n := 0
	for _, e := range entries {
		n += 2 + len(e)
	}
	b := make([]byte, 0, n)
	for i, e := range entries {
		if len(e) > MaxEntrySize {
			return nil, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, fmt.Sprintf("entries[%d]", i), "%d bytes, over %d", len(e), MaxEntrySize)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b, nil
}

// ParseBundle splits a C2SP entry bundle into its entries.
func ParseBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for off := 0; off < len(data); {
		if len(data)-off < 2 {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "bundle", "truncated length prefix of entry %d", len(out))
		}
		n := int(binary.BigEndian.Uint16(data[off:]))
		off += 2
		if len(data)-off < n {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "bundle", "entry %d is truncated", len(out))
		}
		out = append(out, data[off:off+n:off+n])
		off += n
		if len(out) > TileWidth {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "bundle", "more than %d entries", TileWidth)
		}
	}
	return out, nil
}
