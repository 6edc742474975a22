package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	fwitness "github.com/transparency-dev/formats/witness"
	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/ledgertest"
	"github.com/pactwatch/pactwatch/witness"
)

const testOrigin = "ledger.example.org/ukraine"

func logKey(t testing.TB) (note.Signer, note.Verifier) {
	skey, _, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := ledger.LoadLogKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func grow(m *ledgertest.MemLog, n int) {
	for range n {
		size, _ := m.TreeSize(context.Background())
		m.Append([]byte{'e', byte(size), byte(size >> 8)})
	}
}

// testWitness runs a witness over loopback HTTP and returns a client for it
// and its verifier.
func testWitness(t *testing.T, name string, seed byte, logV note.Verifier) (*witness.Client, note.Verifier, *httptest.Server) {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := witness.NewCosigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(witness.Config{Signer: cs, Logs: []note.Verifier{logV}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &witness.Client{URL: srv.URL, Verifier: v, HTTP: srv.Client()}, v, srv
}

func TestCheckpointerPublishesWhenGrown(t *testing.T) {
	ctx := context.Background()
	m := ledgertest.New()
	s, v := logKey(t)
	c := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v}
	if ok, err := c.Publish(ctx); ok || err != nil {
		t.Fatalf("empty log: published %v, %v", ok, err)
	}
	grow(m, 10)
	if ok, err := c.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish: %v, %v", ok, err)
	}
	if ok, err := c.Publish(ctx); ok || err != nil {
		t.Fatalf("Publish without growth: %v, %v", ok, err)
	}
	size, msg, err := m.LatestCheckpoint(ctx)
	if err != nil || size != 10 {
		t.Fatalf("stored checkpoint %d, %v", size, err)
	}
	cp, _, err := ledger.OpenCheckpoint(msg, v)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := ledger.TreeHash(ctx, m, 10)
	if cp.Hash != root || cp.Origin != testOrigin {
		t.Errorf("checkpoint %+v", cp)
	}
	if sz, _ := c.Latest(); sz != 10 {
		t.Errorf("Latest size %d", sz)
	}
}

func TestCheckpointerRefusesInconsistentTree(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(m *ledgertest.MemLog)
	}{
		{"entry rewritten with its hashes", func(m *ledgertest.MemLog) { m.Rewrite(3, []byte("forged")); grow(m, 5) }},
		{"entry deleted", func(m *ledgertest.MemLog) { m.Delete(3) }},
		{"entry deleted, then grown past", func(m *ledgertest.MemLog) { m.Delete(3); grow(m, 5) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ledgertest.New()
			s, v := logKey(t)
			grow(m, 10)
			c := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v}
			if _, err := c.Publish(ctx); err != nil {
				t.Fatal(err)
			}
			_, before, _ := m.LatestCheckpoint(ctx)
			tc.tamper(m)
			ok, err := c.Publish(ctx)
			if ok || !errors.Is(err, ledger.ErrInconsistent) || pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
				t.Fatalf("Publish after tampering: %v, %v; want a refusal", ok, err)
			}
			// A restarted checkpointer, reading the stored checkpoint,
			// refuses too.
			c2 := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v}
			if _, err := c2.Publish(ctx); !errors.Is(err, ledger.ErrInconsistent) {
				t.Fatalf("restarted Publish: %v, want a refusal", err)
			}
			if _, after, _ := m.LatestCheckpoint(ctx); !bytes.Equal(before, after) {
				t.Error("a checkpoint was stored despite the refusal")
			}
		})
	}
}

func TestCheckpointerWitnessQuorum(t *testing.T) {
	ctx := context.Background()
	m := ledgertest.New()
	s, v := logKey(t)
	w1, v1, _ := testWitness(t, "w1.example.org", 11, v)
	w2, v2, srv2 := testWitness(t, "w2.example.org", 12, v)
	c := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Witnesses: []ledger.WitnessClient{w1, w2}, Quorum: 2}
	grow(m, 300)
	if ok, err := c.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish: %v %v", ok, err)
	}
	_, msg, _ := m.LatestCheckpoint(ctx)
	_, n, err := ledger.OpenCheckpoint(msg, v, v1, v2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ledger.CountSigners(n, []note.Verifier{v1, v2}); got != 2 {
		t.Fatalf("%d cosignatures, want 2:\n%s", got, msg)
	}
	// transparency-dev/formats, independently: the log parses the cosigned
	// checkpoint and its witness policy (2 of w1, w2) is satisfied.
	if _, _, _, err := log.ParseCheckpoint(msg, testOrigin, v, v1, v2); err != nil {
		t.Errorf("formats/log rejects the cosigned checkpoint: %v", err)
	}
	u, _ := url.Parse("http://witness.invalid")
	fw1, err := fwitness.New(w1.Verifier.Name()+"+"+keySuffix(t, 11, "w1.example.org"), u)
	if err != nil {
		t.Fatal(err)
	}
	fw2, err := fwitness.New(w2.Verifier.Name()+"+"+keySuffix(t, 12, "w2.example.org"), u)
	if err != nil {
		t.Fatal(err)
	}
	if !fwitness.NewGroup(2, fw1, fw2).Satisfied(msg) {
		t.Error("formats/witness: the 2-of-2 policy is not satisfied")
	}

	// A restarted checkpointer does not know the witnesses' sizes: they
	// answer 409 with it and it retries with the right proof.
	c = &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Witnesses: []ledger.WitnessClient{w1, w2}, Quorum: 2}
	grow(m, 20)
	if ok, err := c.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish after restart: %v %v", ok, err)
	}

	// One witness down: quorum 2 fails and nothing is published ...
	srv2.Close()
	grow(m, 1)
	ok, err := c.Publish(ctx)
	if ok || pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("Publish with a witness down: %v, %v; want unavailable", ok, err)
	}
	if size, _, _ := m.LatestCheckpoint(ctx); size != 320 {
		t.Fatalf("stored checkpoint size %d, want still 320", size)
	}
	// ... quorum 1 succeeds with the other witness's cosignature.
	c.Quorum = 1
	if ok, err := c.Publish(ctx); !ok || err != nil {
		t.Fatalf("Publish with quorum 1: %v %v", ok, err)
	}
	_, msg, _ = m.LatestCheckpoint(ctx)
	_, n, err = ledger.OpenCheckpoint(msg, v, v1)
	if err != nil || ledger.CountSigners(n, []note.Verifier{v1}) != 1 {
		t.Fatalf("want w1's cosignature: %v\n%s", err, msg)
	}
}

// keySuffix is the "<hash>+<base64>" part of a test witness's verifier key.
func keySuffix(t *testing.T, seed byte, name string) string {
	_, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(vkey, name+"+")
}

func TestCheckpointerRunAndWait(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := ledgertest.New()
	s, v := logKey(t)
	c := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Interval: 10 * time.Millisecond, Leader: m}
	done := make(chan error)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- c.Run(runCtx) }()
	grow(m, 7)
	if err := c.Wait(ctx, 7); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	grow(m, 3)
	if err := c.Wait(ctx, 10); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	// A second checkpointer on the same store is not the leader: it never
	// signs, but follows what the leader publishes.
	follower := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Interval: 10 * time.Millisecond, Leader: m}
	fdone := make(chan error)
	go func() { fdone <- follower.Run(runCtx) }()
	grow(m, 5)
	if err := follower.Wait(ctx, 15); err != nil {
		t.Fatalf("follower Wait: %v", err)
	}
	if _, ok, _ := m.TryLeader(ctx, "ledger-checkpointer"); ok {
		t.Error("leadership was free while a checkpointer ran")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-fdone; err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.TryLeader(ctx, "ledger-checkpointer"); !ok {
		t.Error("Run did not release leadership")
	}
}

// TestLoadLogKey checks signer and verifier match, including for keys whose
// base64 contains "+".
func TestLoadLogKey(t *testing.T) {
	plus := 0
	for seed := range 64 {
		skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{byte(seed)}, 32)), testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(skey, "+") > 4 {
			plus++
		}
		s, v, err := ledger.LoadLogKey(skey + "\n")
		if err != nil {
			t.Fatalf("LoadLogKey(%q): %v", skey, err)
		}
		want, _ := note.NewVerifier(vkey)
		if v.KeyHash() != want.KeyHash() || s.KeyHash() != want.KeyHash() {
			t.Errorf("seed %d: key hashes %08x/%08x, want %08x", seed, s.KeyHash(), v.KeyHash(), want.KeyHash())
		}
	}
	if plus == 0 {
		t.Error("no test key had a + in its base64")
	}
	if _, _, err := ledger.LoadLogKey("PRIVATE+KEY+x+00000000+AAAA"); err == nil {
		t.Error("accepted a malformed key")
	}
}

// A witness beyond the quorum that hangs delays publication by the grace,
// not by the witness timeout, and misses only that checkpoint.
func TestCheckpointerSlowWitnessBeyondQuorum(t *testing.T) {
	ctx := context.Background()
	m := ledgertest.New()
	s, v := logKey(t)
	fast, vf, _ := testWitness(t, "fast.example.org", 21, v)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leaving
		<-r.Context().Done()
	}))
	defer hang.Close()
	_, hv, _ := testWitness(t, "hang.example.org", 22, v)
	slow := &witness.Client{URL: hang.URL, Verifier: hv, HTTP: hang.Client()}
	c := &ledger.Checkpointer{Source: m, Store: m, Signer: s, Verifier: v, Witnesses: []ledger.WitnessClient{slow, fast}, Quorum: 1,
		WitnessTimeout: time.Minute, WitnessGrace: 20 * time.Millisecond}
	grow(m, 5)
	done := make(chan error, 1)
	go func() { _, err := c.Publish(ctx); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish waited for the hanging witness")
	}
	_, msg, _ := m.LatestCheckpoint(ctx)
	_, n, err := ledger.OpenCheckpoint(msg, v, vf)
	if err != nil || ledger.CountSigners(n, []note.Verifier{vf}) != 1 {
		t.Fatalf("want the fast witness's cosignature: %v\n%s", err, msg)
	}
}
