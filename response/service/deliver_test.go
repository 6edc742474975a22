package service_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
)

// TestDelivererDrainsBacklog: a backlog of several batches is delivered
// in consecutive passes, not one batch per interval (here an hour, which
// the test would otherwise wait for).
func TestDelivererDrainsBacklog(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, key, _ := ed25519.GenerateKey(nil)
	signer := notify.Signer{KeyID: "k", Key: key}
	rc := &receiver{got: map[string]int{}, pub: signer.PublicKey(), now: time.Now}
	hs := httptest.NewServer(rc)
	t.Cleanup(hs.Close)
	if err := st.SetAllowlist(t.Context(), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	const batch, n = 4, 4*4 + 1
	var ms []notify.Message
	for i := range n {
		k := fmt.Sprintf("event-%d#b", i)
		ms = append(ms, notify.Message{ID: "hook/" + k, Subscription: "hook", URL: hs.URL, Key: k, Body: []byte(`{}`), Created: time.Now(), NextAttempt: time.Now()})
	}
	if err := st.Enqueue(t.Context(), ms...); err != nil {
		t.Fatal(err)
	}
	p := notify.DefaultPolicy()
	p.Batch = batch
	d := &service.Deliverer{Store: st, Signer: signer, Policy: p, Now: time.Now}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx, time.Hour) })
	defer wg.Wait()
	defer cancel()
	storetest.WaitFor(t, "the backlog to drain without waiting for the interval", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return len(rc.got) == n
	})
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 || len(rc.attempts) != n {
		t.Fatalf("%d attempts for %d messages, bad signatures %v", len(rc.attempts), n, rc.bad)
	}
}

// TestDelivererWakesOnAppend: with Wake = Service.Appended, a state
// change's webhooks leave as soon as it is stored — a case record followed,
// a deadline passed — not at the worker's next interval (an hour here,
// which the test would otherwise wait for).
func TestDelivererWakesOnAppend(t *testing.T) {
	clk := &clock{now: t0}
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	signer := notify.Signer{KeyID: "k", Key: key}
	rc := &receiver{got: map[string]int{}, pub: signer.PublicKey(), now: clk.Now}
	hs := httptest.NewServer(rc)
	t.Cleanup(hs.Close)
	if err := st.SetAllowlist(t.Context(), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSubscription(t.Context(), notify.Subscription{ID: "hook-b", Actor: "b", URL: hs.URL, By: "admin", Created: t0}); err != nil {
		t.Fatal(err)
	}
	received := func(key string) func() bool {
		return func() bool {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			return rc.got[key] == 1
		}
	}
	// A first message, so that the test knows when the first pass is over
	// and the worker waits.
	probe := notify.Message{ID: "hook-b/probe", Subscription: "hook-b", URL: hs.URL, Key: "probe", Body: []byte(`{}`), Created: t0, NextAttempt: t0}
	if err := st.Enqueue(t.Context(), probe); err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, a, clk.Now, nil)
	d := &service.Deliverer{Store: st, Signer: signer, Now: clk.Now, Wake: svc.Appended()}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx, time.Hour) })
	defer wg.Wait()
	defer cancel()
	storetest.WaitFor(t, "the first pass", received("probe"))

	e := &env{t: t, st: st}
	e.confirm("case-1", 0)
	if _, err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, "the webhook of the case record followed", received("case-1/respond/started#b"))
	clk.at(24*time.Hour + time.Minute)
	if _, err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.WaitFor(t, "the webhook of the deadline passed", received("case-1/respond/consult/b/overdue#b"))
}
