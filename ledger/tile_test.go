package ledger_test

import (
	"bytes"
	"context"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
)

// TestTilePaths checks the C2SP tlog-tiles path encoding, including the
// spec's own example (index 1234067 → x001/x234/067).
func TestTilePaths(t *testing.T) {
	for _, tc := range []struct {
		tile ledger.Tile
		path string
	}{
		{ledger.Tile{Level: 0, Index: 0, Width: 256}, "tile/0/000"},
		{ledger.Tile{Level: 0, Index: 1234067, Width: 256}, "tile/0/x001/x234/067"},
		{ledger.Tile{Level: 1, Index: 1234067, Width: 17}, "tile/1/x001/x234/067.p/17"},
		{ledger.Tile{Level: 2, Index: 0, Width: 1}, "tile/2/000.p/1"},
		{ledger.Tile{Level: 63, Index: 999, Width: 255}, "tile/63/999.p/255"},
		{ledger.Tile{Level: 0, Index: 1000, Width: 256}, "tile/0/x001/000"},
		{ledger.Tile{Index: 5, Width: 256, Entries: true}, "tile/entries/005"},
		{ledger.Tile{Index: 1234067, Width: 112, Entries: true}, "tile/entries/x001/x234/067.p/112"},
		{ledger.Tile{Level: 0, Index: 9223372036854775807, Width: 256}, "tile/0/x009/x223/x372/x036/x854/x775/807"},
	} {
		if got := tc.tile.Path(); got != tc.path {
			t.Errorf("%+v.Path() = %q, want %q", tc.tile, got, tc.path)
		}
		got, err := ledger.ParseTilePath(tc.path)
		if err != nil {
			t.Errorf("ParseTilePath(%q): %v", tc.path, err)
		} else if got != tc.tile {
			t.Errorf("ParseTilePath(%q) = %+v, want %+v", tc.path, got, tc.tile)
		}
	}
}

func TestParseTilePathRefusesNonCanonical(t *testing.T) {
	for _, p := range []string{
		"", "tile", "tile/", "tile/0", "tile/0/", "tile/00/000", "tile/64/000", "tile/-1/000",
		"tile/0/0", "tile/0/0000", "tile/0/1234", "tile/0/x000/001", "tile/0/001/002",
		"tile/0/x001", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/012", "tile/0/000.p/",
		"tile/0/000.p", "tile/data/000", "tile/8/0/000", "tile/entries/000.p/1/2",
		"tile/0/x010/x000/x000/x000/x000/x000/x000/000", "tile/0/x009/x223/x372/x036/x854/x775/808",
		"/tile/0/000", "tile/0/00a", "tile/+1/000",
	} {
		if tile, err := ledger.ParseTilePath(p); err == nil {
			t.Errorf("ParseTilePath(%q) = %+v, want an error", p, tile)
		}
	}
}

// TestTileWidths follows the spec's example: a tree of 70,000 entries has
// 273 full level-0 tiles and a partial one of width 112, one full level-1
// tile and a partial one of width 17, and a partial level-2 tile of width 1.
func TestTileWidths(t *testing.T) {
	for _, tc := range []struct {
		level int
		index int64
		size  int64
		width int
	}{
		{0, 0, 70000, 256}, {0, 272, 70000, 256}, {0, 273, 70000, 112}, {0, 274, 70000, 0},
		{1, 0, 70000, 256}, {1, 1, 70000, 17}, {1, 2, 70000, 0},
		{2, 0, 70000, 1}, {3, 0, 70000, 0},
		{0, 0, 256, 256}, {1, 0, 256, 1}, {0, 1, 256, 0}, {0, 0, 0, 0},
	} {
		if got := ledger.TileWidthAt(tc.level, tc.index, tc.size); got != tc.width {
			t.Errorf("TileWidthAt(%d, %d, %d) = %d, want %d", tc.level, tc.index, tc.size, got, tc.width)
		}
	}
	if !(ledger.Tile{Level: 0, Index: 273, Width: 100}).Exists(70000) {
		t.Error("a narrower partial tile than the tree's should exist")
	}
	if (ledger.Tile{Level: 0, Index: 273, Width: 113}).Exists(70000) {
		t.Error("a partial tile wider than the tree's should not exist")
	}
	if (ledger.Tile{Level: 0, Index: 273, Width: 256}).Exists(70000) {
		t.Error("a full tile should not exist before it is full")
	}
}

// TestReadTileMatchesTlog checks tile contents against tlog's own tile
// reader (the same data under another path scheme) and the bundle against
// the entries.
func TestReadTileMatchesTlog(t *testing.T) {
	ctx := context.Background()
	m := ledgertest.New()
	var entries [][]byte
	for i := range 70000 {
		e := []byte{byte(i), byte(i >> 8), byte(i >> 16)}
		entries = append(entries, e)
	}
	m.Append(entries...)
	for _, tile := range []ledger.Tile{
		{Level: 0, Index: 0, Width: 256}, {Level: 0, Index: 273, Width: 112},
		{Level: 1, Index: 0, Width: 256}, {Level: 1, Index: 1, Width: 17}, {Level: 2, Index: 0, Width: 1},
	} {
		got, err := ledger.ReadTile(ctx, m, tile)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tile.Width*32 {
			t.Fatalf("%s: %d bytes", tile.Path(), len(got))
		}
		want, err := tlog.ReadTileData(tlog.Tile{H: 8, L: tile.Level, N: tile.Index, W: tile.Width}, ledger.HashReader(ctx, m))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from tlog's tile", tile.Path())
		}
	}
	// Level-1 hash 0 is the root of the first 256 entries.
	l1, _ := ledger.ReadTile(ctx, m, ledger.Tile{Level: 1, Index: 0, Width: 256})
	root256, _ := ledger.TreeHash(ctx, m, 256)
	if !bytes.Equal(l1[:32], root256[:]) {
		t.Error("level-1 tile's first hash is not the tree hash of the first 256 entries")
	}
	b, err := ledger.ReadBundle(ctx, m, ledger.Tile{Index: 273, Width: 112, Entries: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ledger.ParseBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 112 || !bytes.Equal(got[0], entries[273*256]) || !bytes.Equal(got[111], entries[273*256+111]) {
		t.Error("bundle does not hold entries [69888, 70000)")
	}
}

func TestBundleRoundTrip(t *testing.T) {
	in := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("z"), ledger.MaxEntrySize)}
	b, err := ledger.MarshalBundle(in)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 || b[1] != 0 || b[2] != 0 || b[3] != 1 || b[4] != 'a' || b[5] != 0xff || b[6] != 0xff {
		t.Errorf("bundle prefix bytes % x, want big-endian uint16 lengths", b[:7])
	}
	out, err := ledger.ParseBundle(b)
	if err != nil || len(out) != 3 || !bytes.Equal(out[2], in[2]) {
		t.Fatalf("ParseBundle: %d entries, %v", len(out), err)
	}
	if _, err := ledger.MarshalBundle([][]byte{make([]byte, ledger.MaxEntrySize+1)}); err == nil {
		t.Error("MarshalBundle accepted an entry over 65535 bytes")
	}
	for _, bad := range [][]byte{{0}, {0, 2, 'a'}, {0, 1}} {
		if _, err := ledger.ParseBundle(bad); err == nil {
			t.Errorf("ParseBundle(% x) accepted a truncated bundle", bad)
		}
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/1/x001/x234/067.p/17", "tile/entries/005", "tile/0/x000/001", "tile/00/000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tile, err := ledger.ParseTilePath(p)
		if err != nil {
			return
		}
		if got := tile.Path(); got != p {
			t.Fatalf("ParseTilePath(%q) = %+v, whose Path is %q", p, tile, got)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 0})
	f.Add([]byte{0, 5, 'a'})
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ledger.ParseBundle(data)
		if err != nil {
			return
		}
		b, err := ledger.MarshalBundle(entries)
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("round trip of % x: % x, %v", data, b, err)
		}
	})
}
