package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/store"
)

func msg(id string, at time.Time) notify.Message {
	return notify.Message{ID: "sub-1/" + id, Subscription: "sub-1", URL: "https://example.org/hook", Key: id,
		Body: []byte(`{"k":"` + id + `"}`), Created: at, NextAttempt: at}
}

// testOutbox runs the notify.Outbox contract: idempotent enqueue, claims
// that count attempts and lease, retry, dead letters and replay.
func testOutbox(t *testing.T, open Opener) {
	s := open(t, t.Name())
	ms := []notify.Message{msg("a", t0), msg("b", t0.Add(time.Second)), msg("c", t0.Add(time.Hour))}
	if err := s.Enqueue(ctx(t), ms...); err != nil {
		t.Fatal(err)
	}
	again := msg("a", t0)
	again.Body = []byte("changed")
	if err := s.Enqueue(ctx(t), again); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Enqueue(ctx(t), notify.Message{}), pactwatch.EINVALID)

	got, err := s.Claim(ctx(t), t0.Add(time.Minute), 10, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "sub-1/a" || got[1].ID != "sub-1/b" || got[0].Attempts != 1 ||
		string(got[0].Body) != `{"k":"a"}` || !got[0].NextAttempt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("first claim = %+v", got)
	}
	// Leased: not claimable again before the lease ends.
	if got, _ := s.Claim(ctx(t), t0.Add(2*time.Minute), 10, 2*time.Minute); len(got) != 0 {
		t.Fatalf("claimed leased messages: %+v", got)
	}
	if err := s.Delivered(ctx(t), "sub-1/a", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx(t), "sub-1/b", t0.Add(10*time.Minute), "503"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Retry(ctx(t), "nope", t0, ""), pactwatch.ENOTFOUND)
	got, err = s.Claim(ctx(t), t0.Add(10*time.Minute), 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != "sub-1/b" || got[0].Attempts != 2 || got[0].LastError != "503" {
		t.Fatalf("claim after retry = %+v, %v", got, err)
	}
	if err := s.DeadLetter(ctx(t), "sub-1/b", t0.Add(11*time.Minute), "gave up"); err != nil {
		t.Fatal(err)
	}
	dead, err := s.DeadLetters(ctx(t), 10)
	if err != nil || len(dead) != 1 || dead[0].ID != "sub-1/b" || dead[0].LastError != "gave up" || dead[0].Dead.IsZero() {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
	wantCode(t, s.Replay(ctx(t), "sub-1/a", t0), pactwatch.ENOTFOUND) // delivered, not dead
	if err := s.Replay(ctx(t), "sub-1/b", t0.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if dead, _ := s.DeadLetters(ctx(t), 10); len(dead) != 0 {
		t.Fatalf("dead letters after replay = %+v", dead)
	}
	got, err = s.Claim(ctx(t), t0.Add(2*time.Hour), 10, time.Minute)
	if err != nil || len(got) != 2 || got[0].ID != "sub-1/b" || got[0].Attempts != 1 || got[0].Key != "b" || got[1].ID != "sub-1/c" {
		t.Fatalf("claim after replay = %+v, %v", got, err)
	}
}

// testOutboxConcurrentClaims: workers claiming at once never get the same
// message (PostgreSQL: FOR UPDATE SKIP LOCKED).
func testOutboxConcurrentClaims(t *testing.T, open Opener) {
	s := open(t, t.Name())
	var ms []notify.Message
	for i := range 200 {
		ms = append(ms, msg(fmt.Sprintf("m%03d", i), t0))
	}
	if err := s.Enqueue(ctx(t), ms...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				got, err := s.Claim(ctx(t), t0, 7, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Fatalf("claimed %d distinct messages, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s claimed %d times", id, n)
		}
	}
}

// testRecordsWithMessages: records and their messages are written in one
// transaction; a record already stored is not announced again, and a
// refused call stores neither.
func testRecordsWithMessages(t *testing.T, open Opener) {
	s := open(t, t.Name())
	rec := func(id, body string) store.GenericRecord {
		return store.GenericRecord{Type: ledger.TypeAction, ID: id, Time: t0, Body: []byte(body),
			Leaf: LeafFor(ledger.TypeAction, id, t0, []byte(body))}
	}
	res, err := s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t1", `{"n":1}`), rec("t2", `{"n":2}`)},
		[][]notify.Message{{msg("t1#a", t0), msg("t1#b", t0)}, {msg("t2#a", t0)}})
	if err != nil || len(res) != 2 || res[0].Existed || res[1].Existed {
		t.Fatalf("append = %+v, %v", res, err)
	}
	// t1 again (stored: its new message is not enqueued) with t3 (new).
	res, err = s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t1", `{"n":1}`), rec("t3", `{"n":3}`)},
		[][]notify.Message{{msg("t1#c", t0)}, {msg("t3#a", t0)}})
	if err != nil || !res[0].Existed || res[1].Existed {
		t.Fatalf("second append = %+v, %v", res, err)
	}
	// A conflicting body refuses the whole call: t4 and its message are not stored.
	_, err = s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t4", `{"n":4}`), rec("t2", `{"n":"other"}`)},
		[][]notify.Message{{msg("t4#a", t0)}, nil})
	wantCode(t, err, pactwatch.ECONFLICT)
	if _, err := s.Record(ctx(t), "t4"); err == nil {
		t.Fatal("t4 stored by a refused call")
	}
	_, err = s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t5", `{}`)}, [][]notify.Message{{{ID: "x"}}})
	wantCode(t, err, pactwatch.EINVALID)
	_, err = s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t5", `{}`)}, [][]notify.Message{nil, nil})
	wantCode(t, err, pactwatch.EINVALID)

	// An exclusion: t6 may not be stored next to t1 (stored), t7 next to t8 (not stored).
	_, err = s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t6", `{}`)}, [][]notify.Message{{msg("t6#a", t0)}},
		store.Exclusion{Record: "t6", Excludes: "t1"})
	wantCode(t, err, pactwatch.ECONFLICT)
	if _, err := s.Record(ctx(t), "t6"); err == nil {
		t.Fatal("t6 stored despite its exclusion")
	}
	if _, err := s.AppendRecordsWithMessages(ctx(t), []store.GenericRecord{rec("t7", `{}`)}, nil,
		store.Exclusion{Record: "t7", Excludes: "t8"}, store.Exclusion{Record: "t9", Excludes: "t1"}); err != nil {
		t.Fatalf("exclusions that do not apply: %v", err)
	}
	got, err := s.Claim(ctx(t), t0, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range got {
		ids = append(ids, m.Key)
	}
	slices.Sort(ids)
	if want := []string{"t1#a", "t1#b", "t2#a", "t3#a"}; !slices.Equal(ids, want) {
		t.Fatalf("queued %v, want %v", ids, want)
	}
	checkTree(t, s)
}

func testSubscriptions(t *testing.T, open Opener) {
	s := open(t, t.Name())
	sub := notify.Subscription{ID: "s1", Actor: "a", URL: "https://example.org/a", By: "admin", Created: t0}
	if err := s.PutSubscription(ctx(t), sub); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSubscription(ctx(t), sub); err != nil {
		t.Fatalf("same subscription again: %v", err)
	}
	other := sub
	other.URL = "https://example.org/other"
	wantCode(t, s.PutSubscription(ctx(t), other), pactwatch.ECONFLICT)
	wantCode(t, s.PutSubscription(ctx(t), notify.Subscription{ID: "s2"}), pactwatch.EINVALID)
	if err := s.PutSubscription(ctx(t), notify.Subscription{ID: "s0", Actor: "b", URL: "https://example.org/b", By: "admin", Created: t0}); err != nil {
		t.Fatal(err)
	}
	list, err := s.Subscriptions(ctx(t))
	if err != nil || len(list) != 2 || list[0].ID != "s0" || list[1] != sub {
		t.Fatalf("subscriptions = %+v, %v", list, err)
	}
	if err := s.DeleteSubscription(ctx(t), "s0"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteSubscription(ctx(t), "s0"), pactwatch.ENOTFOUND)
	if list, _ := s.Subscriptions(ctx(t)); len(list) != 1 {
		t.Fatalf("after delete: %+v", list)
	}

	if l, err := s.Allowlist(ctx(t)); err != nil || len(l) != 0 {
		t.Fatalf("empty allow-list = %v, %v", l, err)
	}
	if err := s.SetAllowlist(ctx(t), []string{"127.0.0.1", "10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetAllowlist(ctx(t), []string{"localhost"}), pactwatch.EINVALID)
	if l, err := s.Allowlist(ctx(t)); err != nil || !slices.Equal(l, []string{"10.0.0.0/8", "127.0.0.1"}) {
		t.Fatalf("allow-list = %v, %v (a refused replacement must change nothing)", l, err)
	}
	if err := s.SetAllowlist(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Allowlist(ctx(t)); len(l) != 0 {
		t.Fatalf("cleared allow-list = %v", l)
	}
}
