package witness_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/witness"
)

var clock = func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }

func key(t *testing.T, name string, seed byte) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// fixture is a log of n entries, its key, and a witness that trusts it.
type fixture struct {
	log      *ledgertest.MemLog
	signer   note.Signer
	w        *witness.Witness
	cosigner *witness.Cosigner
	state    string
}

const origin = "ledger.example.org/test"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	lsk, lvk := key(t, origin, 1)
	ls, err := note.NewSigner(lsk)
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := note.NewVerifier(lvk)
	wsk, _ := key(t, "witness.example.org/w1", 2)
	cs, err := witness.NewCosigner(wsk, clock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{log: ledgertest.New(), signer: ls, cosigner: cs, state: filepath.Join(t.TempDir(), "state.json")}
	f.w, err = witness.New(witness.Config{Signer: cs, Logs: []note.Verifier{lv}, StatePath: f.state})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) grow(n int) {
	for range n {
		size, _ := f.log.TreeSize(context.Background())
		f.log.Append([]byte{byte(size), byte(size >> 8)})
	}
}

func (f *fixture) checkpoint(t *testing.T, size int64) []byte {
	t.Helper()
	root, err := ledger.TreeHash(context.Background(), f.log, size)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := ledger.Checkpoint{Origin: origin, Size: size, Hash: root}.Sign(f.signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func (f *fixture) request(t *testing.T, old, size int64) []byte {
	t.Helper()
	p, err := ledger.ConsistencyProof(context.Background(), f.log, old, size)
	if err != nil {
		t.Fatal(err)
	}
	return witness.Request{OldSize: old, Proof: p, Checkpoint: f.checkpoint(t, size)}.Marshal()
}

func post(t *testing.T, h http.Handler, body []byte) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/add-checkpoint", bytes.NewReader(body)))
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()
}

func TestWitnessCosignsAndFormatsVerifies(t *testing.T) {
	f := newFixture(t)
	f.grow(10)
	h := f.w.Handler()
	code, _, body := post(t, h, f.request(t, 0, 10))
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if !strings.HasPrefix(body, "— witness.example.org/w1 ") || !strings.HasSuffix(body, "\n") {
		t.Fatalf("answer %q is not a signature line", body)
	}
	// transparency-dev/formats verifies the cosignature/v1 independently,
	// from the witness's plain Ed25519 verifier key as keygen prints it.
	_, wvk := key(t, "witness.example.org/w1", 2)
	fv, err := fnote.NewVerifierForCosignatureV1(wvk)
	if err != nil {
		t.Fatal(err)
	}
	if fv.KeyHash() != f.cosigner.KeyHash() {
		t.Errorf("key hash %08x, formats computes %08x", f.cosigner.KeyHash(), fv.KeyHash())
	}
	n, err := note.Open(append(f.checkpoint(t, 10), body...), note.VerifierList(fv))
	if err != nil {
		t.Fatalf("formats rejects the cosignature: %v", err)
	}
	ts, err := fnote.CoSigV1Timestamp(n.Sigs[0])
	if err != nil || !ts.Equal(clock()) {
		t.Errorf("cosignature time %v (%v), want the injected clock's %v", ts, err, clock())
	}
	fv2, err := fnote.NewVerifierForCosignatureV1(f.cosigner.VerifierKey())
	if err != nil || fv2.KeyHash() != fv.KeyHash() {
		t.Errorf("VerifierKey %q does not parse to the same key: %v", f.cosigner.VerifierKey(), err)
	}

	// It grows: consistency proof from 10 to 300.
	f.grow(290)
	if code, _, body := post(t, h, f.request(t, 10, 300)); code != 200 {
		t.Fatalf("10→300: status %d: %s", code, body)
	}
	// The same checkpoint again is fine (idempotent).
	if code, _, body := post(t, h, f.request(t, 300, 300)); code != 200 {
		t.Fatalf("300→300: status %d: %s", code, body)
	}

	// State survives a restart.
	_, lvk := key(t, origin, 1)
	lv, _ := note.NewVerifier(lvk)
	w2, err := witness.New(witness.Config{Signer: f.cosigner, Logs: []note.Verifier{lv}, StatePath: f.state})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := w2.State(origin); !ok || st.Size != 300 {
		t.Errorf("after restart the witness remembers %+v", st)
	}
}

func TestWitnessRefusals(t *testing.T) {
	f := newFixture(t)
	f.grow(20)
	h := f.w.Handler()
	if code, _, body := post(t, h, f.request(t, 0, 20)); code != 200 {
		t.Fatalf("setup: %d %s", code, body)
	}

	// A forked log, signed with the same key: entry 5 differs.
	fork := newFixture(t)
	fork.signer = f.signer
	for i := range 30 {
		e := []byte{byte(i), 0}
		if i == 5 {
			e = []byte("forked")
		}
		fork.log.Append(e)
	}
	forkSame := fork.request(t, 20, 20)
	forkProof, _ := ledger.ConsistencyProof(context.Background(), fork.log, 20, 30)
	forkGrow := witness.Request{OldSize: 20, Proof: forkProof, Checkpoint: fork.checkpoint(t, 30)}.Marshal()

	strangerSK, _ := key(t, origin, 7) // same origin, a key the witness does not trust
	stranger, _ := note.NewSigner(strangerSK)
	root20, _ := ledger.TreeHash(context.Background(), f.log, 20)
	badSig, _ := ledger.Checkpoint{Origin: origin, Size: 20, Hash: root20}.Sign(stranger)
	unknownSK, _ := key(t, "other.example.org/log", 8)
	unknown, _ := note.NewSigner(unknownSK)
	unknownCP, _ := ledger.Checkpoint{Origin: "other.example.org/log", Size: 20, Hash: root20}.Sign(unknown)

	f.grow(10)
	good := f.request(t, 20, 30)
	badProof := witness.Request{OldSize: 20, Proof: make([]ledger.Hash, 3), Checkpoint: f.checkpoint(t, 30)}.Marshal()
	okProof, _ := ledger.ConsistencyProof(context.Background(), f.log, 20, 30)
	proofFromZero := witness.Request{OldSize: 0, Proof: okProof, Checkpoint: f.checkpoint(t, 30)}.Marshal()

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		size   string // text/x.tlog.size body on 409s
	}{
		{"malformed", []byte("old x\n\n"), 400, ""},
		{"no checkpoint", []byte("old 20\n\n"), 400, ""},
		{"unknown log", witness.Request{OldSize: 20, Checkpoint: unknownCP}.Marshal(), 404, ""},
		{"untrusted key", witness.Request{OldSize: 20, Checkpoint: badSig}.Marshal(), 403, ""},
		{"old over size", witness.Request{OldSize: 25, Checkpoint: f.checkpoint(t, 20)}.Marshal(), 400, ""},
		{"stale old size", f.request(t, 10, 30), 409, "20\n"},
		{"old size zero asks for state", witness.Request{Checkpoint: f.checkpoint(t, 30)}.Marshal(), 409, "20\n"},
		{"rollback", f.request(t, 10, 10), 409, "20\n"},
		{"fork at same size", forkSame, 409, ""},
		{"fork with growth", forkGrow, 422, ""},
		{"bad proof", badProof, 422, ""},
		{"proof from zero", proofFromZero, 409, "20\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, ctype, body := post(t, h, tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d (%s)", code, tc.status, body)
			}
			if tc.size != "" && (ctype != "text/x.tlog.size" || body != tc.size) {
				t.Errorf("409 answer %q (%s), want %q as text/x.tlog.size", body, ctype, tc.size)
			}
			if st, _ := f.w.State(origin); st.Size != 20 || st.Hash != root20 {
				t.Errorf("a refused request changed the state to %+v", st)
			}
		})
	}
	if code, _, body := post(t, h, good); code != 200 {
		t.Fatalf("after the refusals a good request fails: %d %s", code, body)
	}
}

// TestClient runs the client against a witness over loopback HTTP,
// including the 409 round trip that tells a log the witness's size.
func TestClient(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.w.Handler())
	defer srv.Close()
	wv, err := fnote.NewVerifierForCosignatureV1(f.cosigner.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	c := &witness.Client{URL: srv.URL, Verifier: wv, HTTP: srv.Client()}
	ctx := context.Background()
	f.grow(5)
	sigs, err := c.AddCheckpoint(ctx, 0, nil, f.checkpoint(t, 5))
	if err != nil || len(sigs) != 1 {
		t.Fatalf("AddCheckpoint: %v, %d sigs", err, len(sigs))
	}
	f.grow(5)
	_, err = c.AddCheckpoint(ctx, 0, nil, f.checkpoint(t, 10))
	var sc *witness.SizeConflictError
	if !asSizeConflict(err, &sc) || sc.Known != 5 {
		t.Fatalf("want a size conflict at 5, got %v", err)
	}
	p, _ := ledger.ConsistencyProof(ctx, f.log, 5, 10)
	if _, err := c.AddCheckpoint(ctx, 5, p, f.checkpoint(t, 10)); err != nil {
		t.Fatal(err)
	}
	// A client expecting another witness key refuses the answer.
	_, vk := key(t, "witness.example.org/w1", 3)
	other, _ := fnote.NewVerifierForCosignatureV1(vk)
	c2 := &witness.Client{URL: srv.URL, Verifier: other, HTTP: srv.Client()}
	if _, err := c2.AddCheckpoint(ctx, 10, nil, f.checkpoint(t, 10)); err == nil {
		t.Error("accepted a cosignature by an unexpected key")
	}
}

func asSizeConflict(err error, sc **witness.SizeConflictError) bool {
	for err != nil {
		if s, ok := err.(*witness.SizeConflictError); ok {
			*sc = s
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestParseRequest(t *testing.T) {
	cp := "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— o AAAA\n"
	h := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{"old 0\n\n" + cp, true},
		{"old 5\n" + h + h + "\n" + cp, true},
		{"old 05\n\n" + cp, false},
		{"old -1\n\n" + cp, false},
		{"old 5\n" + h, false},
		{"old 5\nAAAA\n\n" + cp, false},
		{"old 5\n\n", false},
		{"new 5\n\n" + cp, false},
		{"old 5\n" + strings.Repeat(h, 64) + "\n" + cp, false},
		{"old 5\n" + strings.Repeat(h, 63) + "\n" + cp, true},
	} {
		r, err := witness.ParseRequest([]byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("ParseRequest(%.40q…) error %v, want ok=%v", tc.body, err, tc.ok)
			continue
		}
		if err == nil && string(r.Marshal()) != tc.body {
			t.Errorf("round trip of %.40q… differs", tc.body)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 0\n\no\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— o AAAA\n"))
	f.Add([]byte("old 5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\nx"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := witness.ParseRequest(body)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Marshal(), body) {
			t.Fatalf("ParseRequest(%q) round trips to %q", body, r.Marshal())
		}
	})
}

func TestNewClient(t *testing.T) {
	_, vk := key(t, "w.example.org", 4)
	c, err := witness.NewClient("http://127.0.0.1:8081", vk, nil)
	if err != nil || c.Name() != "w.example.org" {
		t.Fatalf("NewClient: %v", err)
	}
	if _, err := witness.NewClient("ftp://x", vk, nil); err == nil {
		t.Error("accepted a non-HTTP URL")
	}
	if _, err := witness.NewClient("http://x", "garbage", nil); err == nil {
		t.Error("accepted a bad key")
	}
}

// TestCosignerKeyWithPlus parses a key whose base64 contains "+" (as the
// demo press witness's does) and agrees with formats on its key hash.
func TestCosignerKeyWithPlus(t *testing.T) {
	const skey = "PRIVATE+KEY+press-witness.example+da27be46+AdLFU+kZTu3DGOFWfR1wKBbtkWA3L7V3KYnonSxuzLGi"
	c, err := witness.NewCosigner(skey, clock)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyHash() != fs.KeyHash() || c.Name() != fs.Name() {
		t.Errorf("key %s/%08x, formats %s/%08x", c.Name(), c.KeyHash(), fs.Name(), fs.KeyHash())
	}
}

func FuzzParseSizeBody(f *testing.F) {
	for _, s := range []string{"0\n", "50\n", "050\n", "50", "-1\n", "9223372036854775808\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := witness.ParseSizeBody(body)
		if err != nil {
			return
		}
		if got := fmt.Sprintf("%d\n", n); got != string(body) {
			t.Fatalf("ParseSizeBody(%q) = %d, which formats as %q", body, n, got)
		}
	})
}
