package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// wantField is wantCode that also checks the error's Field.
func wantField(t *testing.T, err error, code, field string) {
	t.Helper()
	wantCode(t, err, code)
	var pe *pactwatch.Error
	if !errors.As(err, &pe) || pe.Field != field {
		t.Fatalf("error %v does not name field %q", err, field)
	}
}

func wantTreeSize(t *testing.T, s store.Store, n int64) {
	t.Helper()
	if got, err := s.TreeSize(ctx(t)); err != nil || got != n {
		t.Fatalf("TreeSize = %d, %v; want %d", got, err, n)
	}
}

func principal(id string) store.Principal {
	return store.Principal{ID: id, Name: "Monitor " + id, Role: vocab.RoleMonitor, ValidFrom: t0, Source: "api"}
}

// testTimesOutOfRange: times are Unix nanoseconds, which wrap outside
// 1678–2262; the store must refuse such times (naming the field) rather
// than read back a key "valid until 2300" as expired in 1715.
func testTimesOutOfRange(t *testing.T, h Harness) {
	s := h.Open(t, t.Name(), store.Options{})
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	early := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)

	p := principal("m1")
	p.ValidUntil = far
	err := s.PutPrincipal(ctx(t), p, LeafFor(ledger.TypeKey, "principal:m1:add", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "valid_until")
	if _, err := s.Principal(ctx(t), "m1"); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Fatalf("refused principal stored: %v", err)
	}
	p.ValidFrom = early
	p.ValidUntil = time.Time{}
	err = s.PutPrincipal(ctx(t), p, LeafFor(ledger.TypeKey, "principal:m1:add", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "valid_from")

	// The last years the store keeps round-trip exactly, and putting the
	// same principal again is still a no-op.
	p.ValidFrom, p.ValidUntil = t0, time.Date(2261, 12, 31, 23, 59, 59, 0, time.UTC)
	for range 2 {
		if err := s.PutPrincipal(ctx(t), p, LeafFor(ledger.TypeKey, "principal:m1:add", t0, nil)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Principal(ctx(t), "m1")
	if err != nil || !got.ValidUntil.Equal(p.ValidUntil) || !got.ValidAt(t0) {
		t.Fatalf("read back valid_until %v (%v), want %v", got.ValidUntil, err, p.ValidUntil)
	}
	err = s.RevokePrincipal(ctx(t), "m1", far, LeafFor(ledger.TypeKey, "principal:m1:revoke", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "revoked_at")
	err = s.RevokePrincipal(ctx(t), "m1", time.Unix(0, 0), LeafFor(ledger.TypeKey, "principal:m1:revoke", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "revoked_at")

	r, l := Obs(1, vocab.Explosion, far, nil)
	_, err = s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{l})
	wantField(t, err, pactwatch.EINVALID, "observations[0].observed_at")
	r, l = Obs(1, vocab.Explosion, t0, nil)
	r.ReceivedAt = early
	_, err = s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{l})
	wantField(t, err, pactwatch.EINVALID, "observations[0].received_at")

	_, err = s.AppendRecords(ctx(t), []store.GenericRecord{{Type: ledger.TypeDecision, ID: "d1", Time: far, Body: []byte(`{}`),
		Leaf: LeafFor(ledger.TypeDecision, "d1", t0, []byte(`{}`))}})
	wantField(t, err, pactwatch.EINVALID, "records[0].time")

	_, err = s.PutEvidence(ctx(t), store.Evidence{SHA256: strings.Repeat("ab", 32), Size: 1, UploadedAt: early},
		LeafFor(ledger.TypeEvidence, "evidence:1", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "uploaded_at")
	wantTreeSize(t, s, 1)

	// Filter bounds beyond the span still bound: nothing after 3000, all
	// before it.
	r, _ = Obs(1, vocab.Explosion, t0, nil)
	insert(t, s, r)
	for _, tc := range []struct {
		f    store.ObservationFilter
		want int
	}{
		{store.ObservationFilter{From: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, 0},
		{store.ObservationFilter{To: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, 1},
		{store.ObservationFilter{From: early}, 1},
		{store.ObservationFilter{To: early}, 0},
	} {
		got, err := s.Observations(ctx(t), tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("Observations(%v..%v) = %d, %v; want %d", tc.f.From, tc.f.To, len(got), err, tc.want)
		}
	}
}

// testMissingHash: a stored hash deleted behind the store's back must fail
// the next append (nothing committed) rather than be read as zero and
// extend a damaged tree.
func testMissingHash(t *testing.T, h Harness) {
	s := h.Open(t, t.Name(), store.Options{})
	for _, id := range []string{"r0", "r1", "r2"} {
		appendRecord(t, s, id, []byte(`{}`))
	}
	db := h.SQL(t, t.Name())
	if _, err := db.ExecContext(ctx(t), rebind(h, "DELETE FROM ledger_hashes WHERE idx = ?"), tlog.StoredHashIndex(0, 2)); err != nil {
		t.Fatal(err)
	}
	_, err := s.AppendRecords(ctx(t), []store.GenericRecord{{Type: ledger.TypeDecision, ID: "r3", Time: t0, Body: []byte(`{}`),
		Leaf: LeafFor(ledger.TypeDecision, "r3", t0, []byte(`{}`))}})
	wantCode(t, err, pactwatch.EINTERNAL)
	wantTreeSize(t, s, 3)
	if _, err := s.Record(ctx(t), "r3"); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Fatalf("record appended onto a damaged tree: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx(t), "SELECT COUNT(*) FROM ledger_hashes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := int(tlog.StoredHashCount(3)) - 1; n != want {
		t.Fatalf("%d stored hashes after the failed append, want %d", n, want)
	}
}

func rebind(h Harness, q string) string {
	if h.Postgres {
		return strings.Replace(q, "?", "$1", 1)
	}
	return q
}

// testBadText: PostgreSQL cannot store a NUL byte or invalid UTF-8 in
// TEXT, SQLite can; both stores must refuse the same values with EINVALID
// (and find nothing under them).
func testBadText(t *testing.T, h Harness) {
	s := h.Open(t, t.Name(), store.Options{})
	p := principal("m1")
	p.Name = "bad\x00name"
	wantField(t, s.PutPrincipal(ctx(t), p, LeafFor(ledger.TypeKey, "principal:m1:add", t0, nil)), pactwatch.EINVALID, "name")
	p = principal("m\x00")
	wantField(t, s.PutPrincipal(ctx(t), p, LeafFor(ledger.TypeKey, "principal:m\x00:add", t0, nil)), pactwatch.EINVALID, "id")

	body := []byte(`{}`)
	_, err := s.AppendRecords(ctx(t), []store.GenericRecord{{Type: ledger.TypeDecision, ID: "d\x001", Time: t0, Body: body,
		Leaf: LeafFor(ledger.TypeDecision, "d\x001", t0, body)}})
	wantField(t, err, pactwatch.EINVALID, "records[0].id")
	_, err = s.AppendRecords(ctx(t), []store.GenericRecord{{Type: ledger.TypeDecision, ID: "d\xff", Time: t0, Body: body,
		Leaf: LeafFor(ledger.TypeDecision, "d\xff", t0, body)}})
	wantField(t, err, pactwatch.EINVALID, "records[0].id")

	r, l := Obs(1, vocab.Explosion, t0, nil)
	r.Reporter = "rep\x00"
	_, err = s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{l})
	wantField(t, err, pactwatch.EINVALID, "observations[0].reporter")

	_, err = s.PutEvidence(ctx(t), store.Evidence{SHA256: strings.Repeat("ab", 32), Size: 1, MediaType: "image/\x00", UploadedAt: t0},
		LeafFor(ledger.TypeEvidence, "evidence:1", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "media_type")
	wantTreeSize(t, s, 0)

	_, err = s.Principal(ctx(t), "m\x00")
	wantCode(t, err, pactwatch.ENOTFOUND)
	_, err = s.Record(ctx(t), "d\x001")
	wantCode(t, err, pactwatch.ENOTFOUND)
	_, err = s.Observation(ctx(t), "\x00")
	wantCode(t, err, pactwatch.ENOTFOUND)
	_, _, err = s.LeafByRecord(ctx(t), "\xff")
	wantCode(t, err, pactwatch.ENOTFOUND)
	_, err = s.Evidence(ctx(t), "\x00")
	wantCode(t, err, pactwatch.ENOTFOUND)
	err = s.RevokePrincipal(ctx(t), "m\x00", t0, LeafFor(ledger.TypeKey, "principal:m:revoke", t0, nil))
	wantCode(t, err, pactwatch.ENOTFOUND)
	_, err = s.Observations(ctx(t), store.ObservationFilter{Reporter: "\x00"})
	wantField(t, err, pactwatch.EINVALID, "reporter")
	_, err = s.Records(ctx(t), "\x00", 0, 10)
	wantField(t, err, pactwatch.EINVALID, "type")
	if ps, err := s.PrincipalsByKeyID(ctx(t), "\x00"); err != nil || len(ps) != 0 {
		t.Fatalf("PrincipalsByKeyID(NUL) = %v, %v", ps, err)
	}
}

// testUnreadableEntries: an entry ledger.ParseEntry refuses, or of the
// wrong type for the method, must be refused before it is committed: once
// in the log it could never be read or audited again.
func testUnreadableEntries(t *testing.T, h Harness) {
	s := h.Open(t, t.Name(), store.Options{})
	body := []byte(`{}`)
	gen := func(typ, id string, at time.Time) []store.GenericRecord {
		return []store.GenericRecord{{Type: typ, ID: id, Time: t0, Body: body, Leaf: LeafFor(typ, id, at, body)}}
	}
	_, err := s.AppendRecords(ctx(t), gen("decision\nid x", "d1", t0))
	wantCode(t, err, pactwatch.EINVALID)
	_, err = s.AppendRecords(ctx(t), gen(ledger.TypeDecision, "d1\ntime", t0))
	wantCode(t, err, pactwatch.EINVALID)
	_, err = s.AppendRecords(ctx(t), gen(ledger.TypeDecision, "d1", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)))
	wantCode(t, err, pactwatch.EINVALID)
	_, err = s.AppendRecords(ctx(t), gen(ledger.TypeObservation, "00000000-0000-4000-8000-000000000001", t0))
	wantField(t, err, pactwatch.EINVALID, "records[0].type")

	r, _ := Obs(1, vocab.Explosion, t0, nil)
	_, err = s.InsertObservations(ctx(t), []observation.Record{r}, []store.Leaf{LeafFor(ledger.TypeDecision, r.ID, t0, body)})
	wantField(t, err, pactwatch.EINVALID, "entry.type")
	_, err = s.PutEvidence(ctx(t), store.Evidence{SHA256: strings.Repeat("ab", 32), Size: 1, UploadedAt: t0},
		LeafFor(ledger.TypeKey, "evidence:1", t0, nil))
	wantField(t, err, pactwatch.EINVALID, "entry.type")
	err = s.PutPrincipal(ctx(t), principal("m1"), LeafFor(ledger.TypeKey, "", t0, nil))
	wantCode(t, err, pactwatch.EINVALID)
	wantTreeSize(t, s, 0)
}

// testCommitTimeout: a database that stops answering (here: another
// session holds the tree head's lock) fails the group with EUNAVAILABLE
// after Options.CommitTimeout instead of blocking every writer, and
// nothing of it is stored.
func testCommitTimeout(t *testing.T, h Harness) {
	s := h.Open(t, t.Name(), store.Options{CommitTimeout: 300 * time.Millisecond})
	appendRecord(t, s, "r0", []byte(`{}`))
	conn, err := h.SQL(t, t.Name()).Conn(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx(t), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx(t), "UPDATE ledger_head SET size = size WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.AppendRecords(context.Background(), []store.GenericRecord{{Type: ledger.TypeDecision, ID: "r1", Time: t0,
			Body: []byte(`{}`), Leaf: LeafFor(ledger.TypeDecision, "r1", t0, []byte(`{}`))}})
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(time.Minute): // a hang, not a speed goal
		conn.ExecContext(ctx(t), "ROLLBACK")
		t.Fatal("a write blocked behind a locked database never returned")
	}
	wantCode(t, err, pactwatch.EUNAVAILABLE)
	if _, err := conn.ExecContext(ctx(t), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	wantTreeSize(t, s, 1)
	appendRecord(t, s, "r2", []byte(`{}`))
	wantTreeSize(t, s, 2)
}

// testLeaderEnds: TryLead's context ends with the leadership (release,
// the holder's context, Close), and Close returns while a lock is held.
func testLeaderEnds(t *testing.T, h Harness) {
	a := h.Open(t, t.Name(), store.Options{})
	b := h.Open(t, t.Name(), store.Options{})
	lead, release, ok, err := a.TryLead(ctx(t), "cp")
	if err != nil || !ok {
		t.Fatalf("TryLead = %v, %v", ok, err)
	}
	if lead.Err() != nil {
		t.Fatal("a fresh leadership's context is done")
	}
	release()
	if lead.Err() == nil {
		t.Fatal("release left the leadership's context running")
	}
	release()

	c, cancel := context.WithCancel(ctx(t))
	lead, release, ok, err = a.TryLead(c, "cp")
	if err != nil || !ok {
		t.Fatalf("TryLead after release = %v, %v", ok, err)
	}
	defer release()
	cancel()
	<-lead.Done()
	release() // waits until the lock is given up
	if _, rel, ok, err := b.TryLead(ctx(t), "cp"); err != nil || !ok {
		t.Fatalf("another store cannot lead after the holder's context ended: %v, %v", ok, err)
	} else {
		rel()
	}

	// Close with leaderships still held (TryLeader's and TryLead's): it
	// must end them and return, and another store may then lead.
	if _, ok, err := a.TryLeader(ctx(t), "one"); err != nil || !ok {
		t.Fatalf("TryLeader = %v, %v", ok, err)
	}
	lead, _, ok, err = a.TryLead(ctx(t), "two")
	if err != nil || !ok {
		t.Fatalf("TryLead = %v, %v", ok, err)
	}
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a hang, not a speed goal
		t.Fatal("Close never returned while a leader lock was held")
	}
	if lead.Err() == nil {
		t.Fatal("Close left a leadership's context running")
	}
	for _, name := range []string{"one", "two"} {
		if _, rel, ok, err := b.TryLead(ctx(t), name); err != nil || !ok {
			t.Fatalf("lock %s still held after its store closed: %v, %v", name, ok, err)
		} else {
			rel()
		}
	}
	if _, _, _, err := a.TryLead(ctx(t), "three"); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("TryLead on a closed store: %v, want EUNAVAILABLE", err)
	}
}

// testLeaderLost (PostgreSQL): when the session holding the advisory lock
// dies, the lock is free for another server at once; the holder must learn
// it lost the lock (its context is cancelled at the next check) instead of
// signing on beside the new leader.
func testLeaderLost(t *testing.T, h Harness) {
	if !h.Postgres {
		t.Skip("only PostgreSQL leader locks live on a connection that can be lost")
	}
	a := h.Open(t, t.Name(), store.Options{LeaderCheck: 50 * time.Millisecond})
	b := h.Open(t, t.Name(), store.Options{})
	lead, release, ok, err := a.TryLead(ctx(t), "checkpointer")
	if err != nil || !ok {
		t.Fatalf("TryLead = %v, %v", ok, err)
	}
	defer release()
	killed, err := TerminateLeader(ctx(t), h.SQL(t, t.Name()), "checkpointer")
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d lock holders (%v), want 1", killed, err)
	}
	select {
	case <-lead.Done():
	case <-time.After(time.Minute): // a hang, not a speed goal
		t.Fatal("the holder was never told it lost the leader lock")
	}
	var rel func()
	for ok = false; !ok; { // the server frees the lock when the backend has exited
		if _, rel, ok, err = b.TryLead(ctx(t), "checkpointer"); err != nil {
			t.Fatal(err)
		}
		if !ok {
			time.Sleep(10 * time.Millisecond)
		}
	}
	rel()
	release()
	if _, rel, ok, err := a.TryLead(ctx(t), "checkpointer"); err != nil || !ok {
		t.Fatalf("the store that lost the lock cannot lead again: %v, %v", ok, err)
	} else {
		rel()
	}
}
