package notify

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func testSigner() Signer {
	return Signer{KeyID: "notify-1", Key: ed25519.NewKeyFromSeed(make([]byte, 32))}
}

// receiver is a webhook endpoint that fails the first `fail` attempts of
// every event, checks each signature, and keeps the events it accepted by
// idempotency key, as a careful receiver does.
type receiver struct {
	t    *testing.T
	pub  string
	now  func() time.Time
	fail int

	mu       sync.Mutex
	attempts map[string]int    // key → attempts seen
	accepted map[string]string // key → body
	dupes    int               // 2xx answers to keys already accepted
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get(HeaderKey)
	if err := Verify(rc.pub, r.Header.Get(HeaderTimestamp), key, r.Header.Get(HeaderSignature), body, rc.now(), 5*time.Minute); err != nil {
		rc.t.Errorf("bad signature: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.Key != key {
		rc.t.Errorf("body %s does not carry key %s", body, key)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts[key]++
	if rc.attempts[key] <= rc.fail {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	if prev, ok := rc.accepted[key]; ok {
		rc.dupes++
		if prev != string(body) {
			rc.t.Errorf("key %s came with another body", key)
		}
	}
	rc.accepted[key] = string(body)
	w.WriteHeader(http.StatusNoContent)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func loopbackGuard(t *testing.T) *Guard {
	allow, err := ParseAllow([]string{"127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	return &Guard{Allow: allow}
}

func setup(t *testing.T, fail int) (*receiver, *Worker, *MemOutbox, *fakeClock, Subscription) {
	clk := &fakeClock{t: t0}
	sig := testSigner()
	rc := &receiver{t: t, pub: sig.PublicKey(), now: clk.Now, fail: fail, attempts: map[string]int{}, accepted: map[string]string{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	g := loopbackGuard(t)
	sub := Subscription{ID: "sub-a", Actor: "a", URL: srv.URL + "/hook", By: "admin", Created: t0}
	if err := sub.Validate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	ob := NewMemOutbox()
	w := &Worker{Outbox: ob, Client: g.Client(5 * time.Second), Signer: sig, Now: clk.Now,
		Policy: Policy{MaxAttempts: 5, Base: time.Second, Max: time.Minute, Lease: time.Minute, Batch: 4},
		Rand:   func() float64 { return 0.5 }}
	return rc, w, ob, clk, sub
}

func enqueue(t *testing.T, ob Outbox, sub Subscription, n int) []string {
	var keys []string
	for i := range n {
		ev := Event{Key: "case-1/respond/consult/a/overdue#" + string(rune('a'+i)), Type: "step_overdue", Recipient: "a", At: t0,
			Data: json.RawMessage(`{"step":"consult/a"}`)}
		ms, err := Fanout(ev, []Subscription{sub, {ID: "other", Actor: "b", URL: sub.URL}}, t0)
		if err != nil || len(ms) != 1 {
			t.Fatalf("fanout: %v %v", ms, err)
		}
		if err := ob.Enqueue(context.Background(), ms...); err != nil {
			t.Fatal(err)
		}
		// Enqueueing again (a retried transaction) adds nothing.
		if err := ob.Enqueue(context.Background(), ms...); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ev.Key)
	}
	return keys
}

// drain runs the worker, moving the clock past every backoff, until the
// outbox has nothing left to try.
func drain(t *testing.T, w *Worker, clk *fakeClock) {
	for range 100 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.Add(w.Policy.Max)
		done := true
		for _, m := range w.Outbox.(*MemOutbox).Messages() {
			if m.Delivered.IsZero() && m.Dead.IsZero() {
				done = false
			}
		}
		if done {
			return
		}
	}
	t.Fatal("outbox never drained")
}

// A receiver that fails its first attempts still gets every event, once
// by idempotency key, each attempt with the same key.
func TestDeliveryWithRetries(t *testing.T) {
	rc, w, ob, clk, sub := setup(t, 2)
	keys := enqueue(t, ob, sub, 6) // more than a batch
	drain(t, w, clk)
	if len(rc.accepted) != len(keys) || rc.dupes != 0 {
		t.Fatalf("accepted %d of %d events, %d duplicates", len(rc.accepted), len(keys), rc.dupes)
	}
	for _, k := range keys {
		if rc.attempts[k] != 3 {
			t.Errorf("%s: %d attempts, want 3", k, rc.attempts[k])
		}
	}
	for _, m := range ob.Messages() {
		if m.Delivered.IsZero() || m.Attempts != 3 {
			t.Errorf("%s: delivered %v after %d attempts", m.ID, m.Delivered, m.Attempts)
		}
	}
}

// After MaxAttempts failures a message is dead; an admin's replay sends it
// again with the same key.
func TestDeadLetterAndReplay(t *testing.T) {
	rc, w, ob, clk, sub := setup(t, 5)
	keys := enqueue(t, ob, sub, 1)
	drain(t, w, clk)
	dead, _ := ob.DeadLetters(context.Background(), 10)
	if len(dead) != 1 || dead[0].Attempts != 5 || !strings.Contains(dead[0].LastError, "503") || len(rc.accepted) != 0 {
		t.Fatalf("dead letters %+v, accepted %d", dead, len(rc.accepted))
	}
	if err := ob.Replay(context.Background(), "nope", clk.Now()); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Errorf("replay of an unknown message: %v", err)
	}
	if err := ob.Replay(context.Background(), dead[0].ID, clk.Now()); err != nil {
		t.Fatal(err)
	}
	drain(t, w, clk)
	if _, ok := rc.accepted[keys[0]]; !ok || rc.attempts[keys[0]] != 6 {
		t.Fatalf("after replay: accepted %v, %d attempts", ok, rc.attempts[keys[0]])
	}
	if dead, _ := ob.DeadLetters(context.Background(), 10); len(dead) != 0 {
		t.Errorf("still dead: %+v", dead)
	}
}

// A worker that dies after claiming leaves the message to the next claim
// once the lease ends: at least once.
func TestLeaseExpiry(t *testing.T) {
	_, w, ob, clk, sub := setup(t, 0)
	enqueue(t, ob, sub, 1)
	ms, _ := ob.Claim(context.Background(), clk.Now(), 10, w.Policy.Lease)
	if len(ms) != 1 {
		t.Fatal("nothing claimed")
	}
	if again, _ := ob.Claim(context.Background(), clk.Now(), 10, w.Policy.Lease); len(again) != 0 {
		t.Fatal("claimed twice within the lease")
	}
	clk.Add(w.Policy.Lease)
	if again, _ := ob.Claim(context.Background(), clk.Now(), 10, w.Policy.Lease); len(again) != 1 || again[0].Attempts != 2 {
		t.Fatalf("after the lease: %+v", again)
	}
}

func TestBackoff(t *testing.T) {
	p := Policy{Base: time.Second, Max: 10 * time.Second}
	for _, tt := range []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.9, 950 * time.Millisecond},
		{2, 0, time.Second},
		{3, 0.5, 3 * time.Second},
		{4, 0, 4 * time.Second},
		{5, 0, 5 * time.Second}, // capped at 10 s
		{60, 0.5, 7500 * time.Millisecond},
	} {
		if got := p.Backoff(tt.attempt, tt.r).Round(time.Microsecond); got != tt.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tt.attempt, tt.r, got, tt.want)
		}
	}
}

func TestVerify(t *testing.T) {
	s := testSigner()
	body := []byte(`{"x":1}`)
	ts := t0.Unix()
	sig := s.Sign(ts, "k1", body)
	now := t0.Add(time.Minute)
	ok := func(pub, tss, key, sig string, body []byte, now time.Time) error {
		return Verify(pub, tss, key, sig, body, now, 5*time.Minute)
	}
	tsStr := strconv.FormatInt(ts, 10)
	if err := ok(s.PublicKey(), tsStr, "k1", sig, body, now); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	other := Signer{Key: ed25519.NewKeyFromSeed(append(make([]byte, 31), 1))}
	for name, tt := range map[string]struct {
		pub, ts, key, sig string
		body              []byte
		now               time.Time
		code              string
	}{
		"other body":    {s.PublicKey(), tsStr, "k1", sig, []byte(`{"x":2}`), now, pactwatch.EUNAUTHORIZED},
		"other key":     {s.PublicKey(), tsStr, "k2", sig, body, now, pactwatch.EUNAUTHORIZED},
		"other signer":  {other.PublicKey(), tsStr, "k1", sig, body, now, pactwatch.EUNAUTHORIZED},
		"stale":         {s.PublicKey(), tsStr, "k1", sig, body, t0.Add(time.Hour), pactwatch.EUNAUTHORIZED},
		"bad timestamp": {s.PublicKey(), "soon", "k1", sig, body, now, pactwatch.EINVALID},
		"bad signature": {s.PublicKey(), tsStr, "k1", "rsa=abc", body, now, pactwatch.EINVALID},
		"bad pub":       {"xyz", tsStr, "k1", sig, body, now, pactwatch.EINVALID},
		"no key":        {s.PublicKey(), tsStr, "", sig, body, now, pactwatch.EINVALID},
	} {
		if err := ok(tt.pub, tt.ts, tt.key, tt.sig, tt.body, tt.now); pactwatch.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", name, err, tt.code)
		}
	}
}

// The signed bytes are fixed by the format: receivers in other languages
// rebuild them from this description.
func TestSignedBytes(t *testing.T) {
	got := string(SignedBytes(1796083200, "case-1/closed#a", []byte(`{"a":1}`)))
	want := "pactwatch-webhook/v1\n1796083200\ncase-1/closed#a\n{\"a\":1}"
	if got != want {
		t.Fatalf("%q", got)
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestAllowed(t *testing.T) {
	g := &Guard{}
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:4700::1111": true, "8.8.8.8": true,
		"127.0.0.1": false, "127.9.9.9": false, "10.1.2.3": false, "172.16.0.1": false, "172.31.255.255": false,
		"172.32.0.1": true, "192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "100.127.255.255": false,
		"100.128.0.1": true, "0.0.0.0": false, "224.0.0.1": false, "255.255.255.255": false,
		"::1": false, "::": false, "fe80::1": false, "fd00::1": false, "fc00::1": false, "ff02::1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "2002:a00:1::1": false,
	} {
		if got := g.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	allow, _ := ParseAllow([]string{"10.20.0.0/16", "::ffff:127.0.0.1"})
	g = &Guard{Allow: allow}
	for addr, want := range map[string]bool{"10.20.3.4": true, "10.21.0.1": false, "127.0.0.1": true, "127.0.0.2": false} {
		if got := g.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("allow-listed Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	if _, err := ParseAllow([]string{"hooks.example.org"}); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Errorf("a name in the allow-list: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	res := fakeResolver{
		"hooks.example.org": {netip.MustParseAddr("93.184.215.14")},
		"intranet.example":  {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.5")}, // one bad address is enough
		"metadata.example":  {netip.MustParseAddr("169.254.169.254")},
	}
	allow, _ := ParseAllow([]string{"10.0.0.5"})
	for _, tt := range []struct {
		url   string
		allow bool
		code  string
	}{
		{"https://hooks.example.org/pw", false, ""},
		{"https://intranet.example/pw", false, pactwatch.EFORBIDDEN},
		{"https://intranet.example/pw", true, ""},
		{"http://metadata.example/latest", true, pactwatch.EFORBIDDEN},
		{"http://127.0.0.1:8080/", false, pactwatch.EFORBIDDEN},
		{"http://[::1]:8080/", false, pactwatch.EFORBIDDEN},
		{"http://[fd12::1]/", false, pactwatch.EFORBIDDEN},
		{"http://0x7f000001/", false, pactwatch.EINVALID}, // not an address, not a resolvable name
		{"ftp://hooks.example.org/", false, pactwatch.EINVALID},
		{"https://user:pw@hooks.example.org/", false, pactwatch.EINVALID},
		{"https:///path", false, pactwatch.EINVALID},
		{"::not a url", false, pactwatch.EINVALID},
		{"https://unknown.example/", false, pactwatch.EINVALID},
	} {
		g := &Guard{Resolver: res}
		if tt.allow {
			g.Allow = allow
		}
		_, err := g.CheckURL(context.Background(), tt.url)
		if pactwatch.ErrorCode(err) != tt.code {
			t.Errorf("CheckURL(%s, allow %v): %v, want %q", tt.url, tt.allow, err, tt.code)
		}
		if tt.code == pactwatch.EFORBIDDEN && !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v is not ErrBlocked", tt.url, err)
		}
	}
}

// DNS rebinding: a name that resolved to a public address when the admin
// subscribed it resolves to loopback when the worker dials. The dialer's
// Control refuses the connection; the allow-listed guard lets it through.
func TestDialTimeGuard(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	rebound := "http://localhost:" + u.Port() + "/"

	g := &Guard{Resolver: fakeResolver{"localhost": {netip.MustParseAddr("93.184.215.14")}}}
	if _, err := g.CheckURL(context.Background(), rebound); err != nil {
		t.Fatalf("at subscription time the name looked public: %v", err)
	}
	resp, err := g.Client(5 * time.Second).Get(rebound)
	if err == nil {
		resp.Body.Close()
		t.Fatal("dialled a loopback address")
	}
	if !errors.Is(err, ErrBlocked) || hits != 0 {
		t.Fatalf("error %v (blocked: %v), %d hits", err, errors.Is(err, ErrBlocked), hits)
	}
	resp, err = loopbackGuard(t).Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("%d hits", hits)
	}
}

// Redirects are not followed: a 3xx is a failed attempt.
func TestNoRedirects(t *testing.T) {
	rc, w, ob, _, sub := setup(t, 0)
	redirect := httptest.NewServer(http.RedirectHandler(sub.URL, http.StatusFound))
	defer redirect.Close()
	sub.URL = redirect.URL
	enqueue(t, ob, sub, 1)
	st, err := w.RunOnce(context.Background())
	if err != nil || st.Retried != 1 || len(rc.accepted) != 0 {
		t.Fatalf("%+v %v, accepted %d", st, err, len(rc.accepted))
	}
}

func TestFanoutAndBody(t *testing.T) {
	if _, err := Fanout(Event{Key: "k", Type: "t"}, nil, t0); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Errorf("no recipient: %v", err)
	}
	if _, err := Fanout(Event{Key: "k\nx", Type: "t", Recipient: "a"}, nil, t0); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Errorf("key with a newline: %v", err)
	}
	b, err := Event{Key: "k", Type: "t", Recipient: "a", At: t0.In(time.FixedZone("x", 3600))}.Body()
	if err != nil || string(b) != `{"idempotency_key":"k","type":"t","recipient":"a","at":"2026-12-01T00:00:00Z","data":null}` {
		t.Errorf("%s %v", b, err)
	}
}

// Run delivers until its context ends.
func TestRun(t *testing.T) {
	rc, w, ob, _, sub := setup(t, 0)
	keys := enqueue(t, ob, sub, 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, time.Millisecond); close(done) }()
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		rc.mu.Lock()
		n := len(rc.accepted)
		rc.mu.Unlock()
		if n == len(keys) {
			break
		}
		if time.Since(start) > time.Minute { // a hang guard, not a speed test
			t.Fatalf("%d of %d delivered", n, len(keys))
		}
	}
	cancel()
	<-done
}

// With Parallel > 1 a receiver that hangs holds up only its own message:
// the batch's other messages are delivered while it waits, and its outcome
// is stored when it answers.
func TestParallelSlowReceiver(t *testing.T) {
	rc, w, ob, _, sub := setup(t, 0)
	w.Policy.Parallel = 2
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		<-release
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(slow.Close)
	stuck := Message{ID: "slow/k", Subscription: "slow", URL: slow.URL, Key: "k", Body: []byte(`{}`), Created: t0, NextAttempt: t0}
	if err := ob.Enqueue(context.Background(), stuck); err != nil {
		t.Fatal(err)
	}
	keys := enqueue(t, ob, sub, 3) // a batch of 4 with the slow one
	done := make(chan Stats)
	go func() {
		st, err := w.RunOnce(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- st
	}()
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		rc.mu.Lock()
		n := len(rc.accepted)
		rc.mu.Unlock()
		if n == len(keys) {
			break
		}
		if time.Since(start) > time.Minute { // a hang guard, not a speed test
			t.Fatalf("%d of %d delivered while one receiver hangs", n, len(keys))
		}
	}
	close(release)
	if st := <-done; st.Delivered != 4 {
		t.Fatalf("stats %+v, want 4 delivered", st)
	}
	for _, m := range ob.Messages() {
		if m.Delivered.IsZero() {
			t.Errorf("%s not marked delivered", m.ID)
		}
	}
}
