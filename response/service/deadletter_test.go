package service_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// TestDeadLetterReplay: a webhook receiver that keeps failing gets a
// state change's message MaxAttempts times; the message goes to the dead
// letters; an admin lists it over HTTP and replays it; the receiver, now
// healthy, gets it once, under the idempotency key of the failed attempts
// and with a valid signature. Non-admins may neither list nor replay; an
// unknown id is 404 and changes nothing; a second replay while the first
// is pending (sequential or concurrent) neither succeeds nor delivers
// twice.
func TestDeadLetterReplay(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDeadLetterReplay(t, filepath.Join(t.TempDir(), "pactwatch.db")) })
	t.Run("postgres", func(t *testing.T) { testDeadLetterReplay(t, storetest.PostgresSchema(t)) })
}

func testDeadLetterReplay(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	clk, st := e.clk, e.st
	e.principal("admin", vocab.RoleAdmin, "")
	e.principal("ana", vocab.RoleAnalyst, "")
	e.principal("liaison-b", vocab.RoleGuarantorLiaison, "b")
	e.boot()
	ctx := t.Context()
	admin := e.as("admin")

	rc := &receiver{fail: 1 << 30, got: map[string]int{}, pub: e.signer.PublicKey(), now: clk.Now} // down until healed
	hs := httptest.NewServer(rc)
	t.Cleanup(hs.Close)
	hook := hs.URL
	if err := admin.SetAllowlist(ctx, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Subscribe(ctx, client.SubscriptionRequest{ID: "hook-b", Actor: "b", URL: hook}); err != nil {
		t.Fatal(err)
	}

	// The state change: case-1's protocol assigns b a step (one message).
	e.confirm("case-1", 0)
	e.tick()
	policy := notify.Policy{MaxAttempts: 3, Base: time.Minute, Max: time.Hour, Lease: time.Minute, Batch: 8}
	d := &service.Deliverer{Store: st, Signer: e.signer, Policy: policy, Now: clk.Now}
	pass := func(at time.Duration) notify.Stats {
		t.Helper()
		clk.at(at)
		stats, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return stats
	}
	var dead int
	for i := range 10 {
		dead += pass(time.Duration(i+1) * time.Hour).Dead
	}
	if dead != 1 || len(rc.attempts) != policy.MaxAttempts {
		t.Fatalf("%d dead after %d attempts, want 1 after %d", dead, len(rc.attempts), policy.MaxAttempts)
	}
	failedKey := rc.attempts[0]

	// Only admins see the dead letters.
	for _, who := range []string{"ana", "liaison-b"} {
		_, err := e.as(who).DeadLetters(ctx)
		wantCode(t, err, pactwatch.EFORBIDDEN, http.StatusForbidden)
	}
	_, err := e.as("").DeadLetters(ctx)
	wantCode(t, err, pactwatch.EUNAUTHORIZED, http.StatusUnauthorized)
	letters, err := admin.DeadLetters(ctx)
	if err != nil || len(letters) != 1 {
		t.Fatalf("dead letters %+v, %v", letters, err)
	}
	m := letters[0]
	if m.Key != failedKey || m.Subscription != "hook-b" || m.Attempts != policy.MaxAttempts || m.Dead.IsZero() || m.LastError == "" {
		t.Fatalf("dead letter %+v", m)
	}

	// Refused replays change nothing.
	wantCode(t, admin.Replay(ctx, "hook-b/no-such-event#b"), pactwatch.ENOTFOUND, http.StatusNotFound)
	wantCode(t, e.as("liaison-b").Replay(ctx, m.ID), pactwatch.EFORBIDDEN, http.StatusForbidden)
	wantCode(t, e.as("ana").Replay(ctx, m.ID), pactwatch.EFORBIDDEN, http.StatusForbidden)
	if again, err := admin.DeadLetters(ctx); err != nil || !reflect.DeepEqual(again, letters) {
		t.Fatalf("after refused replays: %+v, %v", again, err)
	}
	pass(11 * time.Hour)
	if len(rc.attempts) != policy.MaxAttempts {
		t.Fatalf("a dead letter was attempted without a replay")
	}

	// The receiver heals; two admins replay at once: one wins.
	rc.mu.Lock()
	rc.fail = 0
	rc.mu.Unlock()
	clk.at(12 * time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = admin.Replay(ctx, m.ID) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("concurrent replays: %v and %v, want exactly one to succeed", errs[0], errs[1])
	}
	// Pending now: a third replay is refused (the message is no dead letter).
	wantCode(t, admin.Replay(ctx, m.ID), pactwatch.ENOTFOUND, http.StatusNotFound)
	if letters, err := admin.DeadLetters(ctx); err != nil || len(letters) != 0 {
		t.Fatalf("dead letters after the replay: %+v, %v", letters, err)
	}
	for i := range 5 {
		pass(12*time.Hour + time.Duration(i)*time.Hour)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Fatalf("bad signatures: %v", rc.bad)
	}
	if rc.got[failedKey] != 1 || len(rc.got) != 1 || len(rc.attempts) != policy.MaxAttempts+1 {
		t.Fatalf("after the replay: delivered %v in %d attempts, want %s once in %d", rc.got, len(rc.attempts), failedKey, policy.MaxAttempts+1)
	}
	wantCode(t, admin.Replay(ctx, m.ID), pactwatch.ENOTFOUND, http.StatusNotFound) // delivered: nothing to replay
}
