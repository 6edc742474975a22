package service_test

import (
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// clock is the fake clock every part of the server reads.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time     { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) at(d time.Duration) { c.mu.Lock(); c.now = t0.Add(d); c.mu.Unlock() }

// node is one running server: the API over HTTP and its response service.
type node struct {
	svc *service.Service
	srv *server.Server
	url string
}

type env struct {
	t      *testing.T
	st     store.Store
	a      *agreement.Agreement
	clk    *clock
	signer notify.Signer
	tokens map[string]string // principal name → token
	n      *node
}

func (e *env) boot() {
	e.t.Helper()
	if e.n != nil {
		e.n.srv.Close()
	}
	svc := service.New(e.st, e.a, e.clk.Now, nil)
	srv, err := server.New(server.Config{Store: e.st, DataDir: e.t.TempDir(), Now: e.clk.Now, Response: svc, Webhook: e.signer})
	if err != nil {
		e.t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	e.t.Cleanup(hs.Close)
	e.t.Cleanup(srv.Close)
	e.n = &node{svc: svc, srv: srv, url: hs.URL}
}

func (e *env) as(name string) *client.Client { return client.New(e.n.url, e.tokens[name]) }

// tick is one pass of the serve loop's body (the server holds the lock).
func (e *env) tick() []response.Transition {
	e.t.Helper()
	ts, err := e.n.svc.Tick(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func (e *env) principal(name string, role vocab.Role, of string) {
	e.t.Helper()
	from := t0.Add(-time.Hour)
	p, tok, err := server.NewPrincipal(client.PrincipalRequest{Name: name, Role: string(role), Of: of, ValidFrom: &from}, t0)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := server.AddPrincipal(e.t.Context(), e.st, p); err != nil {
		e.t.Fatal(err)
	}
	e.tokens[name] = tok
}

// confirm stores a case transition as the incident pipeline does when an
// analyst confirms a case: the service follows the stored case records.
func (e *env) confirm(id string, at time.Duration) {
	e.t.Helper()
	e.confirmOf(id, "ceasefire", at)
}

// confirmOf is confirm against another commitment.
func (e *env) confirmOf(id, commitment string, at time.Duration) {
	e.t.Helper()
	c := compliance.Case{ID: id, Version: 2, Group: compliance.Group{Commitment: commitment, Party: "north", Area: "all", Period: "2026-12-01"},
		Severity: compliance.Serious, Status: compliance.Confirmed, OpenedBy: "ana", Opened: t0, Confirmed: t0.Add(at), Approvals: []string{"ana"}, Violations: []string{}}
	tr := compliance.Transition{ID: id + "/v2", Case: id, Version: 2, Action: "confirm", By: "ana", At: t0.Add(at), Status: compliance.Confirmed, Snapshot: c}
	body, err := tr.Canonical()
	if err != nil {
		e.t.Fatal(err)
	}
	salt := make([]byte, 32)
	entry, err := tr.LedgerEntry(salt)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.AppendRecords(e.t.Context(), []store.GenericRecord{{Type: ledger.TypeCase, ID: tr.ID, Time: tr.At, Body: body,
		Leaf: store.Leaf{Entry: entry, Salt: salt}}}); err != nil {
		e.t.Fatal(err)
	}
}

func stepState(t *testing.T, c *client.Client, caseID, run, key string) response.State {
	t.Helper()
	steps, err := c.CaseSteps(t.Context(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range steps.Runs {
		for _, s := range r.Steps {
			if r.ID == run && s.Key == key {
				return s.State
			}
		}
	}
	t.Fatalf("no step %s %s", run, key)
	return ""
}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	if pactwatch.ErrorCode(err) != code || client.HTTPStatus(err) != status {
		t.Fatalf("got %v (code %s, HTTP %d), want %s / %d", err, pactwatch.ErrorCode(err), client.HTTPStatus(err), code, status)
	}
}

// receiver is a webhook endpoint on loopback that fails its first
// attempts and then accepts, checking every signature.
type receiver struct {
	mu       sync.Mutex
	fail     int
	attempts []string // idempotency keys, every attempt
	got      map[string]int
	pub      string
	now      func() time.Time
	bad      []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get(notify.HeaderKey)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := notify.Verify(rc.pub, r.Header.Get(notify.HeaderTimestamp), key, r.Header.Get(notify.HeaderSignature), body, rc.now(), 5*time.Minute); err != nil {
		rc.bad = append(rc.bad, key+": "+err.Error())
	}
	rc.attempts = append(rc.attempts, key)
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "not yet", http.StatusServiceUnavailable)
		return
	}
	rc.got[key]++
}

// TestProtocolThroughAPI is the scripted scenario end to end, on a
// fake clock: a case is confirmed (stored by the pipeline); the mission
// and guarantor a act on time, b after its deadline (overdue, escalated
// once, then late), c never (missed at the cutoff); a liaison cannot act
// for another guarantor; the server restarts in the middle without
// escalating twice; a loopback webhook receiver (allow-listed) that fails
// its first attempts gets every event once, with one key per event; the
// scorecard shows exactly that.
func TestProtocolThroughAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testProtocol(t, filepath.Join(t.TempDir(), "pactwatch.db")) })
	t.Run("postgres", func(t *testing.T) { testProtocol(t, storetest.PostgresSchema(t)) })
}

// newEnv opens the store at dsn on a fake clock at t0, with the response
// tests' agreement and a fresh webhook key; tests add principals.
func newEnv(t *testing.T, dsn string) *env {
	clk := &clock{now: t0}
	st, err := store.Open(t.Context(), dsn, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	return &env{t: t, st: st, a: a, clk: clk, signer: notify.Signer{KeyID: "webhook-test", Key: key}, tokens: map[string]string{}}
}

func testProtocol(t *testing.T, dsn string) {
	e := newEnv(t, dsn)
	clk, st := e.clk, e.st
	e.principal("admin", vocab.RoleAdmin, "")
	e.principal("ana", vocab.RoleAnalyst, "")
	for _, g := range []string{"a", "b", "c"} {
		e.principal("liaison-"+g, vocab.RoleGuarantorLiaison, g)
	}
	e.boot()
	ctx := t.Context()
	h := time.Hour
	admin := e.as("admin")

	// The webhook receiver, subscribed for b and c (allow-listed loopback).
	wk, err := e.as("").WebhookKey(ctx)
	if err != nil || wk.PublicKey != e.signer.PublicKey() {
		t.Fatalf("webhook key %+v, %v", wk, err)
	}
	rc := &receiver{fail: 3, got: map[string]int{}, pub: wk.PublicKey, now: clk.Now}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	_, err = admin.Subscribe(ctx, client.SubscriptionRequest{ID: "hook-b", Actor: "b", URL: hook.URL})
	wantCode(t, err, pactwatch.EFORBIDDEN, http.StatusForbidden) // loopback, not allow-listed
	_, err = e.as("liaison-b").Subscribe(ctx, client.SubscriptionRequest{ID: "hook-b", Actor: "b", URL: hook.URL})
	wantCode(t, err, pactwatch.EFORBIDDEN, http.StatusForbidden) // admins only
	if err := admin.SetAllowlist(ctx, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"b", "c"} {
		if _, err := admin.Subscribe(ctx, client.SubscriptionRequest{ID: "hook-" + g, Actor: g, URL: hook.URL}); err != nil {
			t.Fatal(err)
		}
	}

	// The case is confirmed; the protocol starts at the next tick.
	e.confirm("case-1", 0)
	if ts := e.tick(); len(ts) != 2 {
		t.Fatalf("confirm: %d transitions", len(ts))
	}
	run := "case-1/respond"
	if s := stepState(t, e.as(""), "case-1", run, "consult/c"); s != response.Pending {
		t.Fatalf("consult/c %s", s)
	}

	clk.at(1 * h)
	if _, err := e.as("ana").RecordAction(ctx, run, "notify/mission", client.ActionRequest{Statement: "notified all"}); err != nil {
		t.Fatal(err)
	}
	clk.at(20 * h)
	if _, err := e.as("liaison-a").RecordAction(ctx, run, "consult/a", client.ActionRequest{Statement: "consulted", Reference: "note 12/2026"}); err != nil {
		t.Fatal(err)
	}
	// Another guarantor's step: refused, and nothing changes.
	_, err = e.as("liaison-a").RecordAction(ctx, run, "consult/b", client.ActionRequest{Statement: "for b"})
	wantCode(t, err, pactwatch.EFORBIDDEN, http.StatusForbidden)
	_, err = e.as("liaison-a").RecordAction(ctx, run, "consult/a", client.ActionRequest{Statement: "again"})
	wantCode(t, err, pactwatch.ECONFLICT, http.StatusConflict)
	_, err = e.as("liaison-a").RecordAction(ctx, run, "nope/a", client.ActionRequest{Statement: "x"})
	wantCode(t, err, pactwatch.ENOTFOUND, http.StatusNotFound)
	_, err = e.as("liaison-b").RecordAction(ctx, run, "consult/b", client.ActionRequest{})
	wantCode(t, err, pactwatch.EINVALID, http.StatusBadRequest)
	_, err = e.as("admin").RecordAction(ctx, run, "consult/b", client.ActionRequest{Statement: "x"})
	wantCode(t, err, pactwatch.EFORBIDDEN, http.StatusForbidden) // the role may not record at all
	if s := stepState(t, e.as(""), "case-1", run, "consult/b"); s != response.Pending {
		t.Fatalf("consult/b after refused actions: %s", s)
	}

	// 24 h pass: b and c are overdue, escalated once.
	clk.at(24*h + time.Minute)
	if ts := e.tick(); len(ts) != 2 || ts[0].Kind != response.KindStepOverdue || ts[1].Kind != response.KindStepOverdue {
		t.Fatalf("at 24h: %+v", ts)
	}
	if ts := e.tick(); len(ts) != 0 {
		t.Fatalf("second tick at 24h: %d transitions", len(ts))
	}
	// The server restarts mid-protocol: nothing fires twice.
	e.boot()
	clk.at(25 * h)
	if ts := e.tick(); len(ts) != 0 {
		t.Fatalf("tick after restart: %+v", ts)
	}

	clk.at(30 * h)
	res, err := e.as("liaison-b").RecordAction(ctx, run, "consult/b", client.ActionRequest{Statement: "consulted late"})
	if err != nil || len(res.Transitions) != 1 || res.Transitions[0].Kind != response.KindStepDoneLate {
		t.Fatalf("b at 30h: %+v, %v", res, err)
	}

	// Cases 2 and 3 within the period start the heavier protocol.
	clk.at(48 * h)
	e.confirm("case-2", 48*h)
	e.tick()
	clk.at(72 * h)
	e.confirm("case-3", 72*h)
	e.tick()
	steps, err := e.as("").CaseSteps(ctx, "case-3")
	if err != nil || len(steps.Runs) != 2 || steps.Runs[1].ID != "case-3/systematic" {
		t.Fatalf("case-3 runs: %+v, %v", steps, err)
	}

	// The cutoff (7 days): c's step is missed.
	clk.at(7*24*h + time.Minute)
	e.tick()
	if s := stepState(t, e.as(""), "case-1", run, "consult/c"); s != response.Missed {
		t.Fatalf("consult/c at the cutoff: %s", s)
	}
	_, err = e.as("liaison-c").RecordAction(ctx, run, "consult/c", client.ActionRequest{Statement: "too late"})
	wantCode(t, err, pactwatch.ECONFLICT, http.StatusConflict)

	// Every step transition is in the ledger, each once.
	overdue := 0
	recs, err := st.Records(ctx, ledger.TypeAction, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if strings.HasPrefix(r.ID, run+"/") && strings.HasSuffix(r.ID, "/overdue") {
			overdue++
		}
	}
	if overdue != 2 {
		t.Fatalf("%d overdue records for case-1, want 2 (b and c, once each)", overdue)
	}

	// Delivery: passes an hour apart on the fake clock until nothing is left.
	d := &service.Deliverer{Store: st, Signer: e.signer, Now: clk.Now}
	for i := 0; i < 20; i++ {
		clk.at(8*24*h + time.Duration(i)*h)
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(rc.bad) > 0 {
		t.Fatalf("bad signatures: %v", rc.bad)
	}
	var want []string
	left, err := st.Claim(ctx, clk.Now().Add(1000*h), 1000, time.Minute)
	if err != nil || len(left) != 0 {
		t.Fatalf("undelivered messages: %d, %v", len(left), err)
	}
	for _, r := range recs {
		tr, err := response.ParseTransition(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		ns, _ := tr.Notifications()
		for _, n := range ns {
			if n.Recipient == "b" || n.Recipient == "c" {
				want = append(want, n.Key)
			}
		}
	}
	var got []string
	for k, n := range rc.got {
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) < 6 {
		t.Fatalf("delivered %v\nwant %v", got, want)
	}
	for _, k := range rc.attempts[:3] {
		if rc.got[k] != 1 {
			t.Fatalf("failed attempt %s never delivered under the same key", k)
		}
	}

	// The scorecard: a on time, b late, c missed (case 1), as of the cutoff.
	sc, err := e.as("").Scorecard(ctx, t0.Add(7*24*h+time.Minute), "1mo")
	if err != nil {
		t.Fatal(err)
	}
	byActor := map[string]response.Tally{}
	for _, as := range sc.Actors {
		byActor[as.Actor] = as.Overall
	}
	if g := byActor["a"]; g.OnTime < 1 || g.Late != 0 || g.Missed != 0 {
		t.Errorf("a: %+v", g)
	}
	if g := byActor["b"]; g.Late != 1 {
		t.Errorf("b: %+v", g)
	}
	if g := byActor["c"]; g.Missed != 1 {
		t.Errorf("c: %+v", g)
	}
	_, err = e.as("").Scorecard(ctx, time.Time{}, "often")
	wantCode(t, err, pactwatch.EINVALID, http.StatusBadRequest)

	// The dead-letter endpoints answer (the whole path, a receiver that
	// keeps failing through a replay: TestDeadLetterReplay).
	if _, err := admin.DeadLetters(ctx); err != nil {
		t.Fatal(err)
	}
	err = admin.Replay(ctx, "nope")
	wantCode(t, err, pactwatch.ENOTFOUND, http.StatusNotFound)
	if err := admin.Unsubscribe(ctx, "hook-c"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, admin.Unsubscribe(ctx, "hook-c"), pactwatch.ENOTFOUND, http.StatusNotFound)
}
