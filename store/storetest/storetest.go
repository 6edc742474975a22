// Package storetest is the one test-suite every store.Store implementation
// must pass: store/sqlite and store/postgres run it against their database,
// so the two dialects cannot drift apart.
package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// Opener opens the store under test. Called twice with the same reopen
// key, it must open the same database (to test persistence across Close);
// each new key is a fresh, empty database.
type Opener func(t *testing.T, key string) store.Store

// Harness is the database under test.
type Harness struct {
	// Open opens the store with opts, as Opener does.
	Open func(t *testing.T, key string, opts store.Options) store.Store
	// SQL opens a plain database/sql handle on the database of key (the
	// same file or schema), for the cases that damage the database or hold
	// its locks behind the store's back; the harness closes it.
	SQL func(t *testing.T, key string) *sql.DB
	// Postgres is set for PostgreSQL, whose sessions a test can kill.
	Postgres bool
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	open := func(t *testing.T, key string) store.Store { return h.Open(t, key, store.Options{}) }
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"TimesOutOfRange", testTimesOutOfRange},
		{"MissingHash", testMissingHash},
		{"BadText", testBadText},
		{"UnreadableEntries", testUnreadableEntries},
		{"CommitTimeout", testCommitTimeout},
		{"LeaderEnds", testLeaderEnds},
		{"LeaderLost", testLeaderLost},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"InsertAndRead", testInsertAndRead},
		{"Idempotency", testIdempotency},
		{"ConflictFailsOnlyItsCaller", testConflictFailsOnlyItsCaller},
		{"ConcurrentInserts", testConcurrentInserts},
		{"MixedConcurrentWrites", testMixedConcurrentWrites},
		{"TreeHashes", testTreeHashes},
		{"Filters", testFilters},
		{"Pagination", testPagination},
		{"Principals", testPrincipals},
		{"Evidence", testEvidence},
		{"GenericRecords", testGenericRecords},
		{"Checkpoints", testCheckpoints},
		{"Leader", testLeader},
		{"Reopen", testReopen},
		{"Canceled", testCanceled},
		{"Closed", testClosed},
		{"Outbox", testOutbox},
		{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
		{"RecordsWithMessages", testRecordsWithMessages},
		{"Subscriptions", testSubscriptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

var t0 = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

// Obs returns a valid-looking observation record (not signed: stores do not
// check signatures) with its leaf.
func Obs(i int, cat vocab.Category, at time.Time, target *observation.Position) (observation.Record, store.Leaf) {
	o := observation.Observation{
		ID:            fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		ObservedAt:    at,
		TimePrecision: "minute",
		SignedAt:      at.Add(time.Minute),
		Target:        target,
		Category:      cat,
		Count:         1 + i%3,
		SourceType:    "patrol",
		Grade:         "B2",
		Reporter:      fmt.Sprintf("reporter-%d", i%2),
		Narrative:     fmt.Sprintf("report %d", i),
		Signature:     "c2ln",
	}
	r := observation.Record{Observation: o, ReceivedAt: at.Add(2 * time.Minute), PrincipalID: "p-monitor"}
	return r, LeafFor(ledger.TypeObservation, o.ID, at, []byte(o.Narrative))
}

// LeafFor returns a leaf with deterministic salts for a record.
func LeafFor(typ, id string, at time.Time, body []byte) store.Leaf {
	salt := sha256.Sum256([]byte("salt:" + id))
	psalt := sha256.Sum256([]byte("public:" + id))
	return store.Leaf{
		Entry:      ledger.NewEntry(typ, id, at, body, salt[:], body, psalt[:]),
		Salt:       salt[:],
		PublicSalt: psalt[:],
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := pactwatch.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func insert(t *testing.T, s store.Store, recs ...observation.Record) []store.InsertResult {
	t.Helper()
	leaves := make([]store.Leaf, len(recs))
	for i, r := range recs {
		leaves[i] = LeafFor(ledger.TypeObservation, r.ID, r.ObservedAt, []byte(r.Narrative))
	}
	res, err := s.InsertObservations(ctx(t), recs, leaves)
	if err != nil {
		t.Fatalf("InsertObservations: %v", err)
	}
	return res
}

func testInsertAndRead(t *testing.T, open Opener) {
	s := open(t, t.Name())
	r, _ := Obs(1, vocab.Explosion, t0, &observation.Position{Lat: 48.1, Lon: 37.7, UncertaintyM: 100})
	res := insert(t, s, r)
	if len(res) != 1 || res[0].Existed || res[0].Record.Seq != 1 {
		t.Fatalf("result %+v, want one new record with seq 1", res)
	}
	got, err := s.Observation(ctx(t), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r.ID || got.Seq != 1 || !got.ObservedAt.Equal(r.ObservedAt) || !got.ReceivedAt.Equal(r.ReceivedAt) ||
		got.PrincipalID != "p-monitor" || *got.Target != *r.Target || got.Narrative != r.Narrative {
		t.Fatalf("read back %+v, want %+v", got, r)
	}
	_, err = s.Observation(ctx(t), "nope")
	wantCode(t, err, pactwatch.ENOTFOUND)
	idx, leaf, err := s.LeafByRecord(ctx(t), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := LeafFor(ledger.TypeObservation, r.ID, r.ObservedAt, []byte(r.Narrative))
	if idx != 0 || leaf.Entry != want.Entry || !bytes.Equal(leaf.Salt, want.Salt) || !bytes.Equal(leaf.PublicSalt, want.PublicSalt) {
		t.Fatalf("LeafByRecord = %d %+v, want 0 %+v", idx, leaf, want)
	}
	if n, err := s.TreeSize(ctx(t)); err != nil || n != 1 {
		t.Fatalf("TreeSize = %d, %v; want 1", n, err)
	}
	// A leaf for another record is refused.
	r2, _ := Obs(2, vocab.Explosion, t0, nil)
	_, err = s.InsertObservations(ctx(t), []observation.Record{r2}, []store.Leaf{want})
	wantCode(t, err, pactwatch.EINVALID)
}

func testIdempotency(t *testing.T, open Opener) {
	s := open(t, t.Name())
	a, _ := Obs(1, vocab.Explosion, t0, nil)
	b, _ := Obs(2, vocab.BurstOfFire, t0, nil)
	insert(t, s, a)
	res := insert(t, s, a, b, b)
	if !res[0].Existed || res[0].Record.Seq != 1 {
		t.Errorf("resubmitted record: %+v, want Existed with seq 1", res[0])
	}
	if res[1].Existed || res[1].Record.Seq != 2 || !res[2].Existed || res[2].Record.Seq != 2 {
		t.Errorf("new record twice in one call: %+v %+v, want new then Existed, both seq 2", res[1], res[2])
	}
	changed := a
	changed.Narrative = "edited"
	_, err := s.InsertObservations(ctx(t), []observation.Record{changed}, []store.Leaf{LeafFor(ledger.TypeObservation, a.ID, t0, nil)})
	wantCode(t, err, pactwatch.ECONFLICT)
	// A conflict anywhere in a call stores nothing of the call.
	c, _ := Obs(3, vocab.Explosion, t0, nil)
	_, err = s.InsertObservations(ctx(t), []observation.Record{c, changed},
		[]store.Leaf{LeafFor(ledger.TypeObservation, c.ID, t0, nil), LeafFor(ledger.TypeObservation, a.ID, t0, nil)})
	wantCode(t, err, pactwatch.ECONFLICT)
	_, err = s.Observation(ctx(t), c.ID)
	wantCode(t, err, pactwatch.ENOTFOUND)
	if n, _ := s.TreeSize(ctx(t)); n != 2 {
		t.Fatalf("tree size %d after conflicts, want 2", n)
	}
	checkTree(t, s)
}

// testConflictFailsOnlyItsCaller sends many concurrent calls, some of which
// conflict, so that they share group commits: the others must succeed.
func testConflictFailsOnlyItsCaller(t *testing.T, open Opener) {
	s := open(t, t.Name())
	base, _ := Obs(0, vocab.Explosion, t0, nil)
	insert(t, s, base)
	// An id the observation table does not know but the ledger does.
	appendRecord(t, s, "clash", []byte(`{}`))
	bad := base
	bad.Narrative = "other body"
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, l := Obs(1000+i, vocab.Explosion, t0, nil)
			switch {
			case i%4 == 0:
				r, l = bad, LeafFor(ledger.TypeObservation, bad.ID, t0, nil)
			case i%8 == 1:
				r.ID = "clash"
				l = LeafFor(ledger.TypeObservation, r.ID, t0, nil)
			}
			_, errs[i] = s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{l})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%4 == 0 || i%8 == 1 {
			wantCode(t, err, pactwatch.ECONFLICT)
		} else if err != nil {
			t.Errorf("call %d failed with %v", i, err)
		}
	}
	if n, _ := s.TreeSize(ctx(t)); n != 27 {
		t.Fatalf("tree size %d, want 27", n)
	}
	checkTree(t, s)
}

// testConcurrentInserts writes from many goroutines through two stores on
// one database, as two servers sharing a PostgreSQL database would.
func testConcurrentInserts(t *testing.T, open Opener) {
	s := open(t, t.Name())
	stores := []store.Store{s, open(t, t.Name())}
	const workers, perWorker, batch = 16, 10, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	seqs := map[int64]string{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perWorker {
				var recs []observation.Record
				for j := range batch {
					r, _ := Obs((w*perWorker+k)*batch+j, vocab.Explosion, t0, nil)
					recs = append(recs, r)
				}
				leaves := make([]store.Leaf, len(recs))
				for i, r := range recs {
					leaves[i] = LeafFor(ledger.TypeObservation, r.ID, t0, []byte(r.Narrative))
				}
				res, err := stores[w%2].InsertObservations(context.Background(), recs, leaves)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, r := range res {
					if other, dup := seqs[r.Record.Seq]; dup {
						t.Errorf("seq %d given to %s and %s", r.Record.Seq, other, r.Record.ID)
					}
					seqs[r.Record.Seq] = r.Record.ID
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	const total = workers * perWorker * batch
	n, err := s.TreeSize(ctx(t))
	if err != nil || n != total {
		t.Fatalf("TreeSize = %d, %v; want %d", n, err, total)
	}
	entries, err := s.Entries(ctx(t), 0, n)
	if err != nil {
		t.Fatal(err)
	}
	// Gapless, and every record has exactly one leaf: the entry at seq-1.
	seen := map[string]bool{}
	for i, data := range entries {
		e, err := ledger.ParseEntry(data)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if seen[e.RecordID] {
			t.Fatalf("record %s has two leaves", e.RecordID)
		}
		seen[e.RecordID] = true
		if seqs[int64(i)+1] != e.RecordID {
			t.Fatalf("entry %d is for %s, but seq %d is %s", i, e.RecordID, i+1, seqs[int64(i)+1])
		}
	}
	checkTree(t, s)
}

// checkTree recomputes the tree hash from the entries alone, independently
// of the stored hashes, and compares it with the one tlog computes from the
// stored hashes.
func checkTree(t *testing.T, s store.Store) {
	t.Helper()
	n, err := s.TreeSize(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.Entries(ctx(t), 0, n)
	if err != nil {
		t.Fatal(err)
	}
	leaves := make([][32]byte, len(entries))
	for i, e := range entries {
		leaves[i] = tlog.RecordHash(e)
	}
	want := rfc6962Root(leaves)
	got, err := tlog.TreeHash(n, hashReader{ctx(t), s})
	if err != nil {
		t.Fatalf("TreeHash from stored hashes: %v", err)
	}
	if got != want {
		t.Fatalf("stored tree hash %x, recomputed %x", got, want)
	}
}

// rfc6962Root is the RFC 6962 Merkle tree hash, written out from the RFC
// rather than with tlog, so that the test does not check tlog against
// itself.
func rfc6962Root(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:])
	return sha256.Sum256(slices.Concat([]byte{1}, l[:], r[:]))
}

type hashReader struct {
	ctx context.Context
	s   store.Store
}

func (h hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hs, err := h.s.ReadHashes(h.ctx, indexes)
	out := make([]tlog.Hash, len(hs))
	for i, x := range hs {
		out[i] = x
	}
	return out, err
}

func testTreeHashes(t *testing.T, open Opener) {
	s := open(t, t.Name())
	checkTree(t, s)
	total := 0
	for _, n := range []int{1, 2, 3, 7, 1, 300} {
		var recs []observation.Record
		for range n {
			r, _ := Obs(total, vocab.Explosion, t0, nil)
			recs = append(recs, r)
			total++
		}
		insert(t, s, recs...)
		checkTree(t, s)
	}
	_, err := s.ReadHashes(ctx(t), []int64{tlog.StoredHashCount(int64(total))})
	wantCode(t, err, pactwatch.ENOTFOUND)
	_, err = s.Entries(ctx(t), 0, int64(total)+1)
	wantCode(t, err, pactwatch.ENOTFOUND)
}

func testFilters(t *testing.T, open Opener) {
	s := open(t, t.Name())
	in := &observation.Position{Lat: 48.0, Lon: 37.5}
	out := &observation.Position{Lat: 47.0, Lon: 36.0}
	var recs []observation.Record
	for i := range 10 {
		cat := vocab.Explosion
		if i%2 == 1 {
			cat = vocab.BurstOfFire
		}
		pos := out
		if i < 3 {
			pos = in
		}
		r, _ := Obs(i, cat, t0.Add(time.Duration(i)*time.Hour), pos)
		if i == 9 { // inside only through its observer position
			r.Target = out
			r.Observer = in
		}
		recs = append(recs, r)
	}
	insert(t, s, recs...)
	ids := func(f store.ObservationFilter) []int {
		t.Helper()
		got, err := s.Observations(ctx(t), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, r := range got {
			out = append(out, int(r.Seq-1))
		}
		return out
	}
	bbox := [4]float64{37, 47.5, 38, 48.5}
	tests := []struct {
		name string
		f    store.ObservationFilter
		want []int
	}{
		{"all", store.ObservationFilter{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"time", store.ObservationFilter{From: t0.Add(2 * time.Hour), To: t0.Add(5 * time.Hour)}, []int{2, 3, 4}},
		{"category", store.ObservationFilter{Category: vocab.BurstOfFire}, []int{1, 3, 5, 7, 9}},
		{"reporter", store.ObservationFilter{Reporter: "reporter-0"}, []int{0, 2, 4, 6, 8}},
		{"bbox any position", store.ObservationFilter{BBox: &bbox}, []int{0, 1, 2, 9}},
		{"combined", store.ObservationFilter{BBox: &bbox, Category: vocab.Explosion}, []int{0, 2}},
		{"after", store.ObservationFilter{After: 8}, []int{8, 9}},
		{"limit", store.ObservationFilter{Limit: 3}, []int{0, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.f); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	bad := [4]float64{38, 47, 37, 48}
	_, err := s.Observations(ctx(t), store.ObservationFilter{BBox: &bad})
	wantCode(t, err, pactwatch.EINVALID)
}

func testPagination(t *testing.T, open Opener) {
	s := open(t, t.Name())
	var recs []observation.Record
	for i := range 25 {
		r, _ := Obs(i, vocab.Explosion, t0, nil)
		recs = append(recs, r)
	}
	insert(t, s, recs...)
	// Interleave another record kind so that seqs have gaps.
	appendRecord(t, s, "gap-record", []byte(`{}`))
	r, _ := Obs(25, vocab.Explosion, t0, nil)
	insert(t, s, r)
	var got []string
	after := int64(0)
	for pages := 0; ; pages++ {
		page, err := s.Observations(ctx(t), store.ObservationFilter{After: after, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		for _, r := range page {
			got = append(got, r.ID)
		}
		after = page[len(page)-1].Seq
	}
	if len(got) != 26 {
		t.Fatalf("paged through %d records, want 26", len(got))
	}
	for i, id := range got {
		want, _ := Obs(i, vocab.Explosion, t0, nil)
		if id != want.ID {
			t.Fatalf("record %d is %s, want %s", i, id, want.ID)
		}
	}
}

func appendRecord(t *testing.T, s store.Store, id string, body []byte) store.AppendResult {
	t.Helper()
	res, err := s.AppendRecords(ctx(t), []store.GenericRecord{{
		Type: ledger.TypeDecision, ID: id, Time: t0, Body: body,
		Leaf: LeafFor(ledger.TypeDecision, id, t0, body),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func testPrincipals(t *testing.T, open Opener) {
	s := open(t, t.Name())
	pub, _, _ := ed25519.GenerateKey(nil)
	token := sha256.Sum256([]byte("token"))
	p := store.Principal{
		ID: "p1", Name: "Patrol 1", Role: vocab.RoleMonitor, PublicKey: pub, KeyID: "key-1",
		TokenHash: token[:], ValidFrom: t0, ValidUntil: t0.Add(24 * time.Hour), Source: "api", CreatedAt: t0,
	}
	leaf := LeafFor(ledger.TypeKey, "key-event-1", t0, []byte("p1"))
	if err := s.PutPrincipal(ctx(t), p, leaf); err != nil {
		t.Fatal(err)
	}
	// Syncing the same principal again is a no-op: no new leaf.
	if err := s.PutPrincipal(ctx(t), p, LeafFor(ledger.TypeKey, "key-event-1b", t0, []byte("p1"))); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.TreeSize(ctx(t)); n != 1 {
		t.Fatalf("tree size %d, want 1", n)
	}
	changed := p
	changed.Role = vocab.RoleAdmin
	wantCode(t, s.PutPrincipal(ctx(t), changed, LeafFor(ledger.TypeKey, "key-event-2", t0, nil)), pactwatch.ECONFLICT)
	other := p
	other.ID, other.KeyID = "p2", ""
	wantCode(t, s.PutPrincipal(ctx(t), other, LeafFor(ledger.TypeKey, "key-event-3", t0, nil)), pactwatch.ECONFLICT) // same token
	other.TokenHash = nil
	other.PublicKey = nil
	if err := s.PutPrincipal(ctx(t), other, LeafFor(ledger.TypeKey, "key-event-4", t0, nil)); err != nil {
		t.Fatal(err)
	}

	got, err := s.PrincipalByTokenHash(ctx(t), token[:])
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "p1" || !got.PublicKey.Equal(pub) || !got.ValidUntil.Equal(p.ValidUntil) || got.RevokedAt != nil || got.Role != vocab.RoleMonitor {
		t.Fatalf("PrincipalByTokenHash = %+v", got)
	}
	if !got.ValidAt(t0.Add(time.Hour)) || got.ValidAt(t0.Add(25*time.Hour)) {
		t.Fatal("ValidAt disagrees with the validity period")
	}
	_, err = s.PrincipalByTokenHash(ctx(t), []byte("nope"))
	wantCode(t, err, pactwatch.ENOTFOUND)
	byKey, err := s.PrincipalsByKeyID(ctx(t), "key-1")
	if err != nil || len(byKey) != 1 || byKey[0].ID != "p1" {
		t.Fatalf("PrincipalsByKeyID = %+v, %v", byKey, err)
	}
	all, err := s.Principals(ctx(t))
	if err != nil || len(all) != 2 {
		t.Fatalf("Principals = %+v, %v", all, err)
	}
	if all[1].PublicKey != nil || all[1].TokenHash != nil {
		t.Fatalf("key-less principal read back with key %x token %x", all[1].PublicKey, all[1].TokenHash)
	}

	at := t0.Add(2 * time.Hour)
	if err := s.RevokePrincipal(ctx(t), "p1", at, LeafFor(ledger.TypeKey, "revoke-1", at, nil)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.RevokePrincipal(ctx(t), "p1", at, LeafFor(ledger.TypeKey, "revoke-2", at, nil)), pactwatch.ECONFLICT)
	wantCode(t, s.RevokePrincipal(ctx(t), "ghost", at, LeafFor(ledger.TypeKey, "revoke-3", at, nil)), pactwatch.ENOTFOUND)
	got, err = s.Principal(ctx(t), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at) || got.ValidAt(at) || !got.ValidAt(at.Add(-time.Minute)) {
		t.Fatalf("revoked principal %+v", got)
	}
	if idx, _, err := s.LeafByRecord(ctx(t), "revoke-1"); err != nil || idx != 2 {
		t.Fatalf("revocation leaf at %d, %v; want 2", idx, err)
	}
	_, err = s.Principal(ctx(t), "ghost")
	wantCode(t, err, pactwatch.ENOTFOUND)
	checkTree(t, s)
}

func testEvidence(t *testing.T, open Opener) {
	s := open(t, t.Name())
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte("photo")))
	ev := store.Evidence{SHA256: sum, Size: 5, MediaType: "image/jpeg", UploadedBy: "p1", UploadedAt: t0}
	existed, err := s.PutEvidence(ctx(t), ev, LeafFor(ledger.TypeEvidence, "evidence:"+sum, t0, nil))
	if err != nil || existed {
		t.Fatalf("PutEvidence = %v, %v; want new", existed, err)
	}
	existed, err = s.PutEvidence(ctx(t), ev, LeafFor(ledger.TypeEvidence, "evidence:"+sum+":again", t0, nil))
	if err != nil || !existed {
		t.Fatalf("PutEvidence again = %v, %v; want existed", existed, err)
	}
	if n, _ := s.TreeSize(ctx(t)); n != 1 {
		t.Fatalf("tree size %d after a duplicate upload, want 1", n)
	}
	got, err := s.Evidence(ctx(t), sum)
	if err != nil || got != ev {
		t.Fatalf("Evidence = %+v, %v; want %+v", got, err, ev)
	}
	_, err = s.Evidence(ctx(t), fmt.Sprintf("%x", sha256.Sum256(nil)))
	wantCode(t, err, pactwatch.ENOTFOUND)
	ev.SHA256 = "ABC"
	_, err = s.PutEvidence(ctx(t), ev, LeafFor(ledger.TypeEvidence, "x", t0, nil))
	wantCode(t, err, pactwatch.EINVALID)
}

func testGenericRecords(t *testing.T, open Opener) {
	s := open(t, t.Name())
	a := appendRecord(t, s, "agreement-v1", []byte(`{"version":1}`))
	if a.Existed || a.Index != 0 {
		t.Fatalf("first record %+v", a)
	}
	if again := appendRecord(t, s, "agreement-v1", []byte(`{"version":1}`)); !again.Existed || again.Index != 0 {
		t.Fatalf("same record again %+v, want Existed at 0", again)
	}
	_, err := s.AppendRecords(ctx(t), []store.GenericRecord{{
		Type: ledger.TypeDecision, ID: "agreement-v1", Time: t0, Body: []byte(`{"version":2}`),
		Leaf: LeafFor(ledger.TypeDecision, "agreement-v1", t0, nil),
	}})
	wantCode(t, err, pactwatch.ECONFLICT)
	// The ledger record id space is shared: an observation cannot reuse it.
	r, _ := Obs(1, vocab.Explosion, t0, nil)
	r.ID = "agreement-v1"
	_, err = s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{LeafFor(ledger.TypeObservation, r.ID, t0, nil)})
	wantCode(t, err, pactwatch.ECONFLICT)

	appendRecord(t, s, "case-1", []byte(`{"case":1}`))
	got, err := s.Record(ctx(t), "case-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Index != 1 || got.Type != ledger.TypeDecision || string(got.Body) != `{"case":1}` || !got.Time.Equal(t0) || got.Leaf.Entry.RecordID != "case-1" {
		t.Fatalf("Record = %+v", got)
	}
	appendRecord(t, s, "case-2", []byte(`{"case":2}`))
	list, err := s.Records(ctx(t), ledger.TypeDecision, 0, 10)
	if err != nil || len(list) != 3 || list[0].ID != "agreement-v1" || list[2].ID != "case-2" {
		t.Fatalf("Records from 0 = %+v, %v", list, err)
	}
	list, err = s.Records(ctx(t), "", list[0].Index+1, 1)
	if err != nil || len(list) != 1 || list[0].ID != "case-1" || list[0].Leaf.Entry.RecordID != "case-1" {
		t.Fatalf("second page = %+v, %v", list, err)
	}
	_, err = s.Record(ctx(t), "nope")
	wantCode(t, err, pactwatch.ENOTFOUND)
	checkTree(t, s)
}

func testCheckpoints(t *testing.T, open Opener) {
	s := open(t, t.Name())
	_, _, err := s.LatestCheckpoint(ctx(t))
	wantCode(t, err, pactwatch.ENOTFOUND)
	appendRecord(t, s, "r1", nil)
	appendRecord(t, s, "r2", nil)
	wantCode(t, s.PutCheckpoint(ctx(t), 3, []byte("too big")), pactwatch.EINVALID)
	for _, c := range []struct {
		size int64
		note string
	}{{1, "one"}, {2, "two"}, {2, "two, cosigned"}} {
		if err := s.PutCheckpoint(ctx(t), c.size, []byte(c.note)); err != nil {
			t.Fatal(err)
		}
	}
	size, note, err := s.LatestCheckpoint(ctx(t))
	if err != nil || size != 2 || string(note) != "two, cosigned" {
		t.Fatalf("LatestCheckpoint = %d %q %v", size, note, err)
	}
}

// testLeader checks that one leader holds a lock name per database, also
// across two stores on it (two servers on one PostgreSQL database).
func testLeader(t *testing.T, open Opener) {
	a := open(t, t.Name())
	b := open(t, t.Name())
	release, ok, err := a.TryLeader(ctx(t), "checkpointer")
	if err != nil || !ok {
		t.Fatalf("first TryLeader = %v, %v", ok, err)
	}
	if _, ok, err := a.TryLeader(ctx(t), "checkpointer"); err != nil || ok {
		t.Fatalf("second TryLeader on the same store = %v, %v; want refused", ok, err)
	}
	if _, ok, err := b.TryLeader(ctx(t), "checkpointer"); err != nil || ok {
		t.Fatalf("TryLeader on a second store = %v, %v; want refused", ok, err)
	}
	if rel, ok, err := a.TryLeader(ctx(t), "other"); err != nil || !ok {
		t.Fatalf("another lock name = %v, %v", ok, err)
	} else {
		rel()
	}
	release()
	release() // idempotent
	release2, ok, err := b.TryLeader(ctx(t), "checkpointer")
	if err != nil || !ok {
		t.Fatalf("TryLeader on the second store after release = %v, %v", ok, err)
	}
	if _, ok, err := a.TryLeader(ctx(t), "checkpointer"); err != nil || ok {
		t.Fatalf("TryLeader on the first store while the second leads = %v, %v; want refused", ok, err)
	}
	release2()
}

func testReopen(t *testing.T, open Opener) {
	key := t.Name()
	s := open(t, key)
	var recs []observation.Record
	for i := range 20 {
		r, _ := Obs(i, vocab.Explosion, t0, nil)
		recs = append(recs, r)
	}
	insert(t, s, recs...)
	appendRecord(t, s, "rec", []byte(`{}`))
	if err := s.PutCheckpoint(ctx(t), 21, []byte("cp")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, key)
	if n, err := s.TreeSize(ctx(t)); err != nil || n != 21 {
		t.Fatalf("TreeSize after reopen = %d, %v", n, err)
	}
	if got, err := s.Observations(ctx(t), store.ObservationFilter{}); err != nil || len(got) != 20 {
		t.Fatalf("%d observations after reopen, %v", len(got), err)
	}
	if size, _, err := s.LatestCheckpoint(ctx(t)); err != nil || size != 21 {
		t.Fatalf("checkpoint after reopen = %d, %v", size, err)
	}
	r, _ := Obs(20, vocab.Explosion, t0, nil)
	if res := insert(t, s, r); res[0].Record.Seq != 22 {
		t.Fatalf("seq after reopen %d, want 22", res[0].Record.Seq)
	}
	checkTree(t, s)
}

func testCanceled(t *testing.T, open Opener) {
	s := open(t, t.Name())
	c, cancel := context.WithCancel(context.Background())
	cancel()
	r, l := Obs(1, vocab.Explosion, t0, nil)
	_, err := s.InsertObservations(c, []observation.Record{r}, []store.Leaf{l})
	wantCode(t, err, pactwatch.EUNAVAILABLE)
	if _, err := s.Observation(ctx(t), r.ID); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Fatalf("a write abandoned before it was queued was stored (%v)", err)
	}
}

func testClosed(t *testing.T, open Opener) {
	s := open(t, t.Name())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, l := Obs(1, vocab.Explosion, t0, nil)
	_, err := s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{l})
	wantCode(t, err, pactwatch.EUNAVAILABLE)
}

// testMixedConcurrentWrites races every kind of write through the group
// committer — observation batches sharing ids with the same or another
// body, generic records (some reusing an observation's id), duplicate
// evidence, principals — and checks that each call got the answer its
// outcome deserves and that the ledger holds exactly the stored records.
func testMixedConcurrentWrites(t *testing.T, open Opener) {
	s := open(t, t.Name())
	// variant v of shared observation n: same id, body differs by v.
	obs := func(n, v int) (observation.Record, store.Leaf) {
		r, _ := Obs(n, vocab.Explosion, t0, nil)
		r.ID = fmt.Sprintf("mix-obs-%d", n)
		r.Narrative = fmt.Sprintf("variant %d", v)
		return r, LeafFor(ledger.TypeObservation, r.ID, t0, []byte(r.Narrative))
	}
	type call struct {
		kind string
		ids  []string
		vars []int
		err  error
	}
	const workers, ops = 12, 15
	calls := make([][]call, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ops {
				x := (w*31 + k*17) % 97 // deterministic spread
				c := call{}
				switch k % 4 {
				case 0, 1: // a batch of 3 distinct shared observations
					c.kind = "obs"
					var recs []observation.Record
					var leaves []store.Leaf
					for j := range 3 {
						n, v := (x+j*7)%40, (x/3+j)%2
						r, l := obs(n, v)
						recs, leaves = append(recs, r), append(leaves, l)
						c.ids, c.vars = append(c.ids, r.ID), append(c.vars, v)
					}
					_, c.err = s.InsertObservations(context.Background(), recs, leaves)
				case 2: // a generic record, sometimes with an observation's id
					c.kind = "rec"
					id := fmt.Sprintf("mix-rec-%d", x%20)
					if x%5 == 0 {
						id = fmt.Sprintf("mix-obs-%d", x%40)
					}
					body := fmt.Appendf(nil, `{"v":%d}`, x%2)
					c.ids, c.vars = []string{id}, []int{x % 2}
					_, c.err = s.AppendRecords(context.Background(), []store.GenericRecord{{
						Type: ledger.TypeDecision, ID: id, Time: t0, Body: body, Leaf: LeafFor(ledger.TypeDecision, id, t0, body)}})
				case 3: // evidence, most of it uploaded twice
					c.kind = "ev"
					sum := fmt.Sprintf("%x", sha256.Sum256(fmt.Appendf(nil, "file %d", x%6)))
					c.ids = []string{sum}
					_, c.err = s.PutEvidence(context.Background(),
						store.Evidence{SHA256: sum, Size: 1, MediaType: "image/png", UploadedBy: "p", UploadedAt: t0},
						LeafFor(ledger.TypeEvidence, fmt.Sprintf("evidence:%s:%d:%d", sum, w, k), t0, nil))
				}
				calls[w] = append(calls[w], c)
			}
		}()
	}
	wg.Wait()

	c := ctx(t)
	outcomes := map[string]int{}
	for _, cs := range calls {
		for _, call := range cs {
			outcomes[call.kind+" "+pactwatch.ErrorCode(call.err)]++
			switch {
			case call.err == nil && call.kind == "obs":
				for j, id := range call.ids {
					r, err := s.Observation(c, id)
					if err != nil || r.Narrative != fmt.Sprintf("variant %d", call.vars[j]) {
						t.Fatalf("acknowledged %s (variant %d) reads back as %q, %v", id, call.vars[j], r.Narrative, err)
					}
				}
			case call.err == nil && call.kind == "rec":
				r, err := s.Record(c, call.ids[0])
				if err != nil || string(r.Body) != fmt.Sprintf(`{"v":%d}`, call.vars[0]) {
					t.Fatalf("acknowledged record %s reads back as %s, %v", call.ids[0], r.Body, err)
				}
			case call.err == nil && call.kind == "ev":
				if _, err := s.Evidence(c, call.ids[0]); err != nil {
					t.Fatalf("acknowledged evidence %s: %v", call.ids[0], err)
				}
			case pactwatch.ErrorCode(call.err) != pactwatch.ECONFLICT:
				t.Fatalf("%s call %v failed with %v, want success or ECONFLICT", call.kind, call.ids, call.err)
			default: // a conflict must have a cause: an id stored with another body or kind
				cause := false
				for j, id := range call.ids {
					if r, err := s.Observation(c, id); err == nil && (call.kind != "obs" || r.Narrative != fmt.Sprintf("variant %d", call.vars[j])) {
						cause = true
					}
					if r, err := s.Record(c, id); err == nil && (call.kind != "rec" || string(r.Body) != fmt.Sprintf(`{"v":%d}`, call.vars[j])) {
						cause = true
					}
				}
				if !cause {
					t.Fatalf("%s call %v got ECONFLICT (%v) but nothing conflicting is stored", call.kind, call.ids, call.err)
				}
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
	for _, o := range []string{"obs ", "obs " + pactwatch.ECONFLICT, "rec ", "rec " + pactwatch.ECONFLICT, "ev "} {
		if outcomes[o] == 0 {
			t.Fatalf("no %q outcome: the test no longer exercises it (%v)", o, outcomes)
		}
	}
	// Exactly one leaf per stored record, and the other way round.
	n, err := s.TreeSize(c)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.Entries(c, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	evidenceLeaves := map[string]int{}
	for i, data := range entries {
		e, err := ledger.ParseEntry(data)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		switch e.Type {
		case ledger.TypeObservation:
			if r, err := s.Observation(c, e.RecordID); err != nil || r.Seq != int64(i)+1 {
				t.Fatalf("entry %d: observation %s: seq %d, %v", i, e.RecordID, r.Seq, err)
			}
		case ledger.TypeDecision:
			if r, err := s.Record(c, e.RecordID); err != nil || r.Index != int64(i) {
				t.Fatalf("entry %d: record %s: index %d, %v", i, e.RecordID, r.Index, err)
			}
		case ledger.TypeEvidence:
			sum := strings.Split(e.RecordID, ":")[1]
			if _, err := s.Evidence(c, sum); err != nil {
				t.Fatalf("entry %d: evidence %s: %v", i, sum, err)
			}
			evidenceLeaves[sum]++
		}
	}
	for sum, k := range evidenceLeaves {
		if k != 1 {
			t.Fatalf("evidence %s has %d leaves", sum, k)
		}
	}
	checkTree(t, s)
}
