// Package tileclient reads a remote log through its C2SP tlog-tiles API
// (c2sp.org/tlog-tiles): it is a ledger.Source over HTTP, so the same
// ledger.Audit that checks a local database checks a remote log from its
// public tiles alone, trusting nothing but the signed checkpoint.
package tileclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
)

// maxCachedTiles bounds the tile cache: an audit walks the tree left to
// right and needs only the tiles along the right edge plus the current ones.
const maxCachedTiles = 256

// Client reads one log. Set Size (from a verified checkpoint) before
// reading: tiles are fetched at the widths that tree size implies.
type Client struct {
	// URL is the log's prefix, e.g. "https://pactwatch.example.org/log".
	URL  string
	HTTP *http.Client
	// Size is the tree size of the checkpoint being audited.
	Size int64

	tiles map[[2]int64][]byte // (level, index) → tile data at width for Size
	// Fetches counts HTTP requests, for tests and progress.
	Fetches int
}

// Checkpoint fetches the signed checkpoint.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.get(ctx, "checkpoint")
}

// TreeSize implements ledger.Source: the checkpoint's size.
func (c *Client) TreeSize(ctx context.Context) (int64, error) { return c.Size, nil }

// ReadHashes implements ledger.Source from Merkle tiles: a hash at a level
// that is a multiple of 8 is read from its tile, one in between is
// recomputed from the tile below, as tlog.HashFromTile does.
func (c *Client) ReadHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		t := tlog.TileForIndex(ledger.TileHeight, x)
		w := ledger.TileWidthAt(t.L, t.N, c.Size)
		if w < t.W {
			return nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "stored hash %d is beyond the tree of size %d", x, c.Size)
		}
		t.W = w
		data, err := c.tile(ctx, ledger.Tile{Level: t.L, Index: t.N, Width: w})
		if err != nil {
			return nil, err
		}
		h, err := tlog.HashFromTile(t, data, x)
		if err != nil {
			return nil, pactwatch.Errorf(pactwatch.EINVALID, "tile %s: %v", ledger.Tile{Level: t.L, Index: t.N, Width: w}.Path(), err)
		}
		out[i] = h
	}
	return out, nil
}

func (c *Client) tile(ctx context.Context, t ledger.Tile) ([]byte, error) {
	key := [2]int64{int64(t.Level), t.Index}
	if data, ok := c.tiles[key]; ok {
		return data, nil
	}
	data, err := c.get(ctx, t.Path())
	if err != nil {
		return nil, err
	}
	if len(data) != t.Width*tlog.HashSize {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, t.Path(), "%d bytes, want %d", len(data), t.Width*tlog.HashSize)
	}
	if c.tiles == nil || len(c.tiles) >= maxCachedTiles {
		c.tiles = map[[2]int64][]byte{}
	}
	c.tiles[key] = data
	return data, nil
}

// Entries implements ledger.Source from entry bundles.
func (c *Client) Entries(ctx context.Context, from, to int64) ([][]byte, error) {
	to = min(to, c.Size)
	var out [][]byte
	for n := from / ledger.TileWidth; n*ledger.TileWidth < to; n++ {
		w := ledger.TileWidthAt(0, n, c.Size)
		t := ledger.Tile{Index: n, Width: w, Entries: true}
		data, err := c.get(ctx, t.Path())
		if err != nil {
			return nil, err
		}
		bundle, err := ledger.ParseBundle(data)
		if err != nil {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, t.Path(), "%v", err)
		}
		start := n * ledger.TileWidth
		for i, e := range bundle {
			if idx := start + int64(i); idx >= from && idx < to {
				out = append(out, e)
			}
		}
		if len(bundle) < w {
			break // a short bundle: Audit names the first missing entry
		}
	}
	return out, nil
}

func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimSuffix(c.URL, "/") + "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "server", "%v", err)
	}
	c.Fetches++
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "server", Message: fmt.Sprintf("GET %s failed", u), Err: err}
	}
	defer resp.Body.Close()
	// A full tile is 8 KiB; a bundle at most 256 × 64 KiB.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256*(ledger.MaxEntrySize+2)+1))
	if err != nil {
		return nil, &pactwatch.Error{Code: pactwatch.EUNAVAILABLE, Field: "server", Message: fmt.Sprintf("GET %s: reading the body", u), Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, path, "GET %s: 404 Not Found", u)
	default:
		return nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, path, "GET %s: %s", u, resp.Status)
	}
}

var _ ledger.Source = (*Client)(nil)
