package logserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/ledger/logserver"
	"github.com/pactwatch/pactwatch/ledger/tileclient"
	"github.com/pactwatch/pactwatch/store"
)

const origin = "ledger.example.org/ukraine"

type fixture struct {
	log *ledgertest.MemLog
	srv *httptest.Server
	v   note.Verifier
	cp  *ledger.Checkpointer
}

// newFixture serves a log of n entries with a published checkpoint.
func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	skey, _, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), origin)
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := ledger.LoadLogKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	m := ledgertest.New()
	for i := range n {
		e := ledger.NewEntry(ledger.TypeObservation, fmt.Sprintf("obs-%d", i), time.Date(2026, 11, 20, 0, 0, i, 0, time.UTC),
			[]byte(fmt.Sprintf("record %d", i)), []byte("salt"), []byte("public"), []byte("psalt"))
		m.AppendLeaf(store.Leaf{Entry: e, Salt: []byte("salt"), PublicSalt: []byte("psalt")})
	}
	c := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v}
	if _, err := c.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	logserver.New(m).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{log: m, srv: srv, v: v, cp: c}
}

func (f *fixture) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := f.srv.Client().Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestTileEndpoints(t *testing.T) {
	f := newFixture(t, 70000)
	for _, tc := range []struct {
		path   string
		status int
		size   int
		cache  string
	}{
		{"/log/tile/0/000", 200, 8192, "public, max-age=31536000, immutable"},
		{"/log/tile/0/272", 200, 8192, "public, max-age=31536000, immutable"},
		{"/log/tile/0/273.p/112", 200, 112 * 32, "public, max-age=10"},
		{"/log/tile/0/273.p/5", 200, 5 * 32, "public, max-age=10"},
		{"/log/tile/0/273", 404, -1, ""},
		{"/log/tile/0/273.p/113", 404, -1, ""},
		{"/log/tile/1/000", 200, 8192, "public, max-age=31536000, immutable"},
		{"/log/tile/1/001.p/17", 200, 17 * 32, "public, max-age=10"},
		{"/log/tile/2/000.p/1", 200, 32, "public, max-age=10"},
		{"/log/tile/3/000.p/1", 404, -1, ""},
		{"/log/tile/0/x001/000", 404, -1, ""},
		{"/log/tile/0/0", 400, -1, ""},
		{"/log/tile/8/0/000", 400, -1, ""},
		{"/log/tile/entries/000", 200, -1, "public, max-age=31536000, immutable"},
		{"/log/tile/entries/273.p/112", 200, -1, "public, max-age=10"},
	} {
		resp, body := f.get(t, tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: %d, want %d (%s)", tc.path, resp.StatusCode, tc.status, body)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if tc.size >= 0 && len(body) != tc.size {
			t.Errorf("GET %s: %d bytes, want %d", tc.path, len(body), tc.size)
		}
		if got := resp.Header.Get("Cache-Control"); got != tc.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("GET %s: Access-Control-Allow-Origin %q", tc.path, got)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/octet-stream" {
			t.Errorf("GET %s: Content-Type %q", tc.path, got)
		}
	}
	resp, body := f.get(t, "/log/checkpoint")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("checkpoint: %d %v", resp.StatusCode, resp.Header)
	}
	if _, _, _, err := log.ParseCheckpoint(body, origin, f.v); err != nil {
		t.Errorf("formats/log rejects the served checkpoint: %v", err)
	}
}

// TestIndependentVerifier checks the served checkpoint, tiles and proofs
// with transparency-dev's code only: formats/log parses and verifies the
// checkpoint, merkle/rfc6962 hashes the entries of a bundle into the
// level-0 tile, merkle/compact rebuilds the root from the level-0 tiles,
// and merkle/proof verifies the proof endpoints' answers.
func TestIndependentVerifier(t *testing.T) {
	f := newFixture(t, 1000)
	_, body := f.get(t, "/log/checkpoint")
	cp, _, _, err := log.ParseCheckpoint(body, origin, f.v)
	if err != nil {
		t.Fatal(err)
	}
	h := rfc6962.DefaultHasher
	_, bundle := f.get(t, "/log/tile/entries/001")
	_, tile := f.get(t, "/log/tile/0/001")
	for i, off := 0, 0; off < len(bundle); i++ {
		n := int(bundle[off])<<8 | int(bundle[off+1])
		entry := bundle[off+2 : off+2+n]
		off += 2 + n
		if !bytes.Equal(h.HashLeaf(entry), tile[i*32:(i+1)*32]) {
			t.Fatalf("entry %d of bundle 1 does not hash to its level-0 tile hash", 256+i)
		}
	}
	// merkle/compact recomputes the root from the level-0 tiles alone.
	rf := compact.RangeFactory{Hash: h.HashChildren}
	cr := rf.NewEmptyRange(0)
	for _, p := range []string{"/log/tile/0/000", "/log/tile/0/001", "/log/tile/0/002", "/log/tile/0/003.p/232"} {
		resp, tile := f.get(t, p)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		for off := 0; off < len(tile); off += 32 {
			if err := cr.Append(tile[off:off+32], nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if root, err := cr.GetRootHash(nil); err != nil || !bytes.Equal(root, cp.Hash) || cr.End() != cp.Size {
		t.Errorf("merkle/compact's root over the tiles %x (%d leaves, %v) is not the checkpoint's %x", root, cr.End(), err, cp.Hash)
	}
	for _, idx := range []uint64{0, 255, 256, 999} {
		var p struct{ Hashes [][]byte }
		_, body := f.get(t, fmt.Sprintf("/api/v1/ledger/proof/inclusion?index=%d&size=%d", idx, cp.Size))
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		entries, _ := f.log.Entries(context.Background(), int64(idx), int64(idx)+1)
		if err := proof.VerifyInclusion(h, idx, cp.Size, h.HashLeaf(entries[0]), p.Hashes, cp.Hash); err != nil {
			t.Errorf("inclusion of %d: %v", idx, err)
		}
	}
	root300, _ := ledger.TreeHash(context.Background(), f.log, 300)
	var p struct{ Hashes [][]byte }
	_, body = f.get(t, fmt.Sprintf("/api/v1/ledger/proof/consistency?old=300&new=%d", cp.Size))
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(h, 300, cp.Size, p.Hashes, root300[:], cp.Hash); err != nil {
		t.Errorf("consistency 300→%d: %v", cp.Size, err)
	}
}

func TestProofEndpointErrors(t *testing.T) {
	f := newFixture(t, 10)
	for _, tc := range []struct {
		path, field string
	}{
		{"/api/v1/ledger/proof/inclusion?size=10", "index"},
		{"/api/v1/ledger/proof/inclusion?index=x&size=10", "index"},
		{"/api/v1/ledger/proof/inclusion?index=10&size=10", "index"},
		{"/api/v1/ledger/proof/inclusion?index=1&size=11", "size"},
		{"/api/v1/ledger/proof/consistency?old=5&new=4", "old"},
		{"/api/v1/ledger/proof/consistency?old=5&new=07", "new"},
	} {
		resp, body := f.get(t, tc.path)
		var e struct{ Error struct{ Code, Field string } }
		json.Unmarshal(body, &e)
		if resp.StatusCode != 400 || e.Error.Field != tc.field {
			t.Errorf("GET %s: %d %s, want 400 naming %q", tc.path, resp.StatusCode, body, tc.field)
		}
	}
}

func TestEntryEndpoint(t *testing.T) {
	f := newFixture(t, 20)
	resp, body := f.get(t, "/api/v1/ledger/entries/obs-7")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var e logserver.EntryJSON
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Index != 7 || e.RecordID != "obs-7" || e.PublicDigest == nil || e.TreeSize != 20 {
		t.Errorf("entry %+v", e)
	}
	cp, _, err := ledger.OpenCheckpoint([]byte(e.Checkpoint), f.v)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.CheckInclusion(e.Inclusion, cp.Size, cp.Hash, e.Index, e.Entry); err != nil {
		t.Errorf("the answer's own proof: %v", err)
	}
	if strings.Contains(string(body), "salt") {
		t.Errorf("the public entry endpoint leaks a salt: %s", body)
	}
	if resp, _ := f.get(t, "/api/v1/ledger/entries/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown record: %d", resp.StatusCode)
	}
}

// TestAuditOverTiles audits the served log through tileclient and names an
// entry altered in the store after the checkpoint was signed.
func TestAuditOverTiles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 700)
	c := &tileclient.Client{URL: f.srv.URL + "/log", HTTP: f.srv.Client()}
	msg, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, err := ledger.OpenCheckpoint(msg, f.v)
	if err != nil {
		t.Fatal(err)
	}
	c.Size = cp.Size
	rep, err := ledger.Audit(ctx, c, cp, nil, nil)
	if err != nil || rep.Size != 700 {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	forged := ledger.NewEntry(ledger.TypeObservation, "obs-523", time.Now(), []byte("other"), []byte("salt"), nil, nil)
	f.log.SetEntry(523, forged.Marshal())
	c2 := &tileclient.Client{URL: f.srv.URL + "/log", HTTP: f.srv.Client(), Size: cp.Size}
	_, err = ledger.Audit(ctx, c2, cp, nil, nil)
	var ae *ledger.AuditError
	if !errors.As(err, &ae) || ae.Index != 523 {
		t.Fatalf("audit of the altered log: %v, want entry 523 named", err)
	}
}

// TestConfidentialFieldsNeverServed builds entries from records holding
// what must stay confidential (an observation post's position, a patrol
// route, a casualty's name, the reporter) and checks that no byte of it is
// served by any public endpoint: entries carry salted digests only.
func TestConfidentialFieldsNeverServed(t *testing.T) {
	secrets := []string{"OP-FALCON", "48.01234", "37.80567", "Olena Kovalenko", "patrol route Bravo-7", "monitor-patrol-1"}
	m := ledgertest.New()
	for i := range 300 {
		record := fmt.Sprintf(`{"post":"OP-FALCON","observer":{"lat":48.01234,"lon":37.80567},"casualty":"Olena Kovalenko","route":"patrol route Bravo-7","reporter":"monitor-patrol-1","n":%d}`, i)
		public := fmt.Sprintf(`{"category":"explosion","area":"grid 37U","n":%d}`, i)
		e := ledger.NewEntry(ledger.TypeObservation, fmt.Sprintf("0190f1c2-%04d", i), time.Date(2026, 12, 1, 0, 0, i, 0, time.UTC),
			[]byte(record), []byte("salt-that-only-auditors-get-"+fmt.Sprint(i)), []byte(public), []byte("public-salt"))
		m.AppendLeaf(store.Leaf{Entry: e, Salt: []byte("salt"), PublicSalt: []byte("public-salt")})
	}
	skey, _, _ := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), origin)
	s, v, _ := ledger.LoadLogKey(skey)
	if _, err := (&ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v}).Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	logserver.New(m).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := &fixture{log: m, srv: srv, v: v}
	var served bytes.Buffer
	for _, p := range []string{"/log/checkpoint", "/log/tile/0/000", "/log/tile/0/001.p/44", "/log/tile/1/000.p/1",
		"/log/tile/entries/000", "/log/tile/entries/001.p/44", "/api/v1/ledger/entries/0190f1c2-0007",
		"/api/v1/ledger/proof/inclusion?index=7&size=300"} {
		resp, body := f.get(t, p)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		served.Write(body)
	}
	for _, s := range append(secrets, "salt-that-only-auditors-get", "public-salt") {
		if bytes.Contains(served.Bytes(), []byte(s)) {
			t.Errorf("a public endpoint serves %q", s)
		}
	}
}

// TestAuditOverTamperedTiles serves a log through a proxy that alters one
// resource, as a compromised mirror or cache would, and checks the audit
// over tiles names what the alteration touches.
func TestAuditOverTamperedTiles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 600)
	for _, tc := range []struct {
		path      string
		wantIndex int64
		wantLevel int
	}{
		{"/log/tile/0/001", 256 + 3, 0},            // a leaf hash of the second level-0 tile
		{"/log/tile/1/000.p/2", 0, 8},              // the level-1 hash of entries [0, 256)
		{"/log/tile/entries/002.p/88", 512 + 3, 0}, // an entry in the last bundle
	} {
		t.Run(tc.path, func(t *testing.T) {
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resp, err := f.srv.Client().Get(f.srv.URL + r.URL.Path)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if r.URL.Path == tc.path {
					if strings.Contains(tc.path, "entries") {
						body = bytes.Replace(body, []byte("obs-515\n"), []byte("obs-999\n"), 1)
					} else {
						body[3*32%len(body)] ^= 1
						if len(body) == 64 {
							body[0] ^= 1
						}
					}
				}
				w.WriteHeader(resp.StatusCode)
				w.Write(body)
			}))
			defer proxy.Close()
			c := &tileclient.Client{URL: proxy.URL + "/log", HTTP: proxy.Client()}
			msg, err := c.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cp, _, err := ledger.OpenCheckpoint(msg, f.v)
			if err != nil {
				t.Fatal(err)
			}
			c.Size = cp.Size
			_, err = ledger.Audit(ctx, c, cp, nil, nil)
			var ae *ledger.AuditError
			if !errors.As(err, &ae) || ae.Index != tc.wantIndex || ae.Level != tc.wantLevel {
				t.Fatalf("audit: %v, want entry %d level %d named", err, tc.wantIndex, tc.wantLevel)
			}
		})
	}
}
