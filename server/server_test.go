package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// t0 is the test clock's "now".
var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// fixture is a server on a fresh SQLite store with an admin, a monitor
// and principals of every other role, each with its token.
type fixture struct {
	t      *testing.T
	srv    *Server
	http   *httptest.Server
	store  store.Store
	now    time.Time
	mu     sync.Mutex
	tokens map[vocab.Role]string
	ids    map[vocab.Role]string
	key    ed25519.PrivateKey // the monitor's signing key
}

type option func(*Config)

func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "pactwatch.db"), store.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, now: t0, tokens: map[vocab.Role]string{}, ids: map[vocab.Role]string{}}
	cfg := Config{Store: st, DataDir: dir, Now: f.clock}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f.srv = srv
	f.http = httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)

	pub, priv, _ := ed25519.GenerateKey(nil)
	f.key = priv
	for _, role := range vocab.Roles() {
		if role == vocab.RolePublic {
			continue
		}
		req := client.PrincipalRequest{Name: "test " + string(role), Role: string(role)}
		if role.NeedsOf() {
			req.Of = "ua"
		}
		if role == vocab.RoleMonitor {
			req.PublicKey = b64(pub)
		}
		from := t0.Add(-24 * time.Hour)
		req.ValidFrom = &from
		p, token, err := NewPrincipal(req, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := AddPrincipal(ctx, st, p); err != nil {
			t.Fatal(err)
		}
		f.tokens[role], f.ids[role] = token, p.ID
	}
	if err := srv.InvalidatePrincipals(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// client returns an API client acting as role ("" or public: no token).
func (f *fixture) client(role vocab.Role) *client.Client {
	return client.New(f.http.URL, f.tokens[role])
}

// obs returns a valid observation signed by key (the monitor's if nil).
func (f *fixture) obs(key ed25519.PrivateKey, edit ...func(*observation.Observation)) observation.Observation {
	if key == nil {
		key = f.key
	}
	o := observation.Observation{
		ID:            uuid.NewString(),
		ObservedAt:    t0.Add(-time.Hour),
		TimePrecision: "minute",
		SignedAt:      t0.Add(-50 * time.Minute),
		Target:        &observation.Position{Lat: 48.0159, Lon: 37.8028, UncertaintyM: 500},
		Category:      vocab.Explosion,
		Count:         3,
		SourceType:    vocab.Patrol,
		Grade:         "B2",
	}
	for _, e := range edit {
		e(&o)
	}
	if err := observation.Sign(&o, key); err != nil {
		f.t.Fatal(err)
	}
	return o
}

// post sends body to path as role and returns the status and body.
func (f *fixture) post(role vocab.Role, path, contentType string, body []byte) (int, []byte) {
	f.t.Helper()
	return f.do(role, "POST", path, contentType, body)
}

func (f *fixture) do(role vocab.Role, method, path, contentType string, body []byte) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok := f.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type apiError struct {
	Error struct {
		Code, Field, Message string
		Items                []ItemError
	}
}

func decodeAPIError(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an API error: %s", body)
	}
	return e
}

func TestSubmitIdempotent(t *testing.T) {
	f := newFixture(t)
	o := f.obs(nil)
	status, body := f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", mustJSON(t, o))
	if status != http.StatusCreated {
		t.Fatalf("first submit: %d %s", status, body)
	}
	var rec observation.Record
	if err := json.Unmarshal(body, &rec); err != nil || rec.ID != o.ID || rec.Seq == 0 || rec.PrincipalID != f.ids[vocab.RoleMonitor] {
		t.Fatalf("record %+v, %v", rec, err)
	}
	status, body = f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", mustJSON(t, o))
	var again observation.Record
	if status != http.StatusOK || json.Unmarshal(body, &again) != nil || again.Seq != rec.Seq {
		t.Fatalf("resubmit: %d %s", status, body)
	}
	other := f.obs(nil, func(x *observation.Observation) { x.ID = o.ID; x.Count = 4 })
	status, body = f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", mustJSON(t, other))
	if status != http.StatusConflict {
		t.Fatalf("other body under the same id: %d %s", status, body)
	}
	size, err := f.store.TreeSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Principals (one leaf each) plus one observation.
	if want := int64(len(f.ids) + 1); size != want {
		t.Errorf("ledger size %d, want %d", size, want)
	}
}

func TestSubmitBatch(t *testing.T) {
	f := newFixture(t)
	var obs []observation.Observation
	for range 10 {
		obs = append(obs, f.obs(nil))
	}
	res, err := f.client(vocab.RoleMonitor).SubmitBatch(context.Background(), obs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observations) != 10 {
		t.Fatalf("%d results", len(res.Observations))
	}
	for i, r := range res.Observations {
		if r.ID != obs[i].ID || r.Existed || r.Seq == 0 {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	// One bad item rejects the batch, listing every bad item; nothing of it is stored.
	fresh := []observation.Observation{f.obs(nil), f.obs(nil), f.obs(nil), f.obs(nil)}
	fresh[1].Count = 99 // breaks the signature
	fresh[3].Target.Lat = 91
	status, body := f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", mustJSON(t, map[string]any{"observations": fresh}))
	e := decodeAPIError(t, body)
	if status != http.StatusBadRequest || len(e.Error.Items) != 2 || e.Error.Items[0].Index != 1 || e.Error.Items[1].Index != 3 {
		t.Fatalf("bad batch: %d %s", status, body)
	}
	if e.Error.Items[0].Field != "observations[1].signature" || !strings.HasPrefix(e.Error.Items[1].Field, "observations[3].target.lat") {
		t.Errorf("item fields: %+v", e.Error.Items)
	}
	for _, o := range fresh {
		if _, err := f.store.Observation(context.Background(), o.ID); err == nil {
			t.Errorf("observation %s of a rejected batch was stored", o.ID)
		}
	}
}

// Every bad input gets its own 4xx error naming the field, and changes nothing.
func TestSubmitBadInput(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBody = 64 << 10; c.MaxBatch = 5 })
	ctx := context.Background()
	_, analystPriv, _ := ed25519.GenerateKey(nil)
	_, strangerPriv, _ := ed25519.GenerateKey(nil)
	// Another monitor, revoked; one whose key expired; the analyst with a key.
	addKeyed := func(name string, role vocab.Role, priv ed25519.PrivateKey, until *time.Time) string {
		from := t0.Add(-48 * time.Hour)
		p, _, err := NewPrincipal(client.PrincipalRequest{Name: name, Role: string(role), PublicKey: b64(priv.Public().(ed25519.PublicKey)), ValidFrom: &from, ValidUntil: until}, t0.Add(-48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := AddPrincipal(ctx, f.store, p); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	_, revokedPriv, _ := ed25519.GenerateKey(nil)
	revokedID := addKeyed("revoked", vocab.RoleMonitor, revokedPriv, nil)
	if _, err := RevokePrincipal(ctx, f.store, revokedID, t0.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, expiredPriv, _ := ed25519.GenerateKey(nil)
	until := t0.Add(-3 * time.Hour)
	addKeyed("expired", vocab.RoleMonitor, expiredPriv, &until)
	addKeyed("analyst with key", vocab.RoleAnalyst, analystPriv, nil)
	if err := f.srv.InvalidatePrincipals(ctx); err != nil {
		t.Fatal(err)
	}

	good := mustJSON(t, f.obs(nil))
	edit := func(e func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		e(m)
		return mustJSON(t, m)
	}
	signedBy := func(k ed25519.PrivateKey) []byte { return mustJSON(t, f.obs(k)) }
	var big []observation.Observation
	for range 6 {
		big = append(big, f.obs(nil))
	}
	tests := []struct {
		name   string
		body   []byte
		status int
		code   string
		field  string
	}{
		{"malformed JSON", []byte(`{"id":`), 400, "invalid", ""},
		{"unknown field", edit(func(m map[string]any) { m["colour"] = "red" }), 400, "invalid", "colour"},
		{"missing field", edit(func(m map[string]any) { delete(m, "category") }), 400, "invalid", "category"},
		{"latitude off the planet", edit(func(m map[string]any) { m["target"].(map[string]any)["lat"] = 91.5 }), 400, "invalid", "target.lat"},
		{"longitude off the planet", edit(func(m map[string]any) { m["target"].(map[string]any)["lon"] = -181 }), 400, "invalid", "target.lon"},
		{"time in the future", signedByEdit(f, func(o *observation.Observation) { o.ObservedAt = t0.Add(time.Hour); o.SignedAt = t0.Add(time.Hour) }), 400, "invalid", "observed_at"},
		{"bad signature", edit(func(m map[string]any) { m["count"] = 4 }), 400, "invalid", "signature"},
		{"missing signature", edit(func(m map[string]any) { delete(m, "signature") }), 400, "invalid", "signature"},
		{"unknown key", signedBy(strangerPriv), 400, "invalid", "reporter"},
		{"revoked key", signedBy(revokedPriv), 400, "invalid", "reporter"},
		{"expired key", signedBy(expiredPriv), 400, "invalid", "reporter"},
		{"key outside its role", signedBy(analystPriv), 400, "invalid", "reporter"},
		{"body over the limit", edit(func(m map[string]any) { m["narrative"] = strings.Repeat("x", 70<<10) }), 413, "too_large", ""},
		{"batch over the limit", mustJSON(t, map[string]any{"observations": big}), 413, "too_large", "observations"},
	}
	before, _ := f.store.TreeSize(ctx)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", tt.body)
			e := decodeAPIError(t, body)
			if status != tt.status || e.Error.Code != tt.code || (tt.field != "" && e.Error.Field != tt.field) {
				t.Errorf("got %d %s, want %d %s field %q", status, body, tt.status, tt.code, tt.field)
			}
		})
	}
	if after, _ := f.store.TreeSize(ctx); after != before {
		t.Errorf("bad input changed the ledger: %d → %d", before, after)
	}
	// Another monitor's key with this monitor's token is the credential's problem.
	otherID := addKeyed("other monitor", vocab.RoleMonitor, strangerPriv, nil)
	_ = otherID
	_ = f.srv.InvalidatePrincipals(ctx)
	status, body := f.post(vocab.RoleMonitor, "/api/v1/observations", "application/json", signedBy(strangerPriv))
	if status != http.StatusForbidden {
		t.Errorf("someone else's key: %d %s", status, body)
	}
	// An admin may submit on a monitor's behalf.
	status, body = f.post(vocab.RoleAdmin, "/api/v1/observations", "application/json", signedBy(strangerPriv))
	if status != http.StatusCreated {
		t.Errorf("admin on a monitor's behalf: %d %s", status, body)
	}
}

func signedByEdit(f *fixture, e func(*observation.Observation)) []byte {
	return mustJSON(f.t, f.obs(nil, e))
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Rate = 1; c.Burst = 3 })
	var codes []int
	for range 5 {
		status, _ := f.do(vocab.RoleMonitor, "GET", "/api/v1/whoami", "", nil)
		codes = append(codes, status)
	}
	if codes[0] != 200 || codes[2] != 200 || codes[3] != 429 || codes[4] != 429 {
		t.Errorf("statuses %v, want 3×200 then 429", codes)
	}
	// Buckets are per principal: the analyst is not limited by the monitor.
	if status, _ := f.do(vocab.RoleAnalyst, "GET", "/api/v1/whoami", "", nil); status != 200 {
		t.Errorf("analyst: %d", status)
	}
	// Time refills the bucket.
	f.mu.Lock()
	f.now = f.now.Add(2 * time.Second)
	f.mu.Unlock()
	if status, _ := f.do(vocab.RoleMonitor, "GET", "/api/v1/whoami", "", nil); status != 200 {
		t.Errorf("after refill: %d", status)
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ header string }{{"Bearer nope"}, {"Basic abc"}, {"Bearer"}} {
		req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/whoami", nil)
		req.Header.Set("Authorization", tc.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: %d", tc.header, resp.StatusCode)
		}
	}
	// A revoked principal's token stops working at once.
	ctx := context.Background()
	admin := f.client(vocab.RoleAdmin)
	if _, err := admin.RevokePrincipal(ctx, f.ids[vocab.RoleAnalyst]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client(vocab.RoleAnalyst).Whoami(ctx); client.HTTPStatus(err) != 401 {
		t.Errorf("revoked token: %v", err)
	}
	if _, err := admin.RevokePrincipal(ctx, f.ids[vocab.RoleAnalyst]); client.HTTPStatus(err) != 409 {
		t.Errorf("second revocation: %v", err)
	}
}

func TestAddPrincipal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.client(vocab.RoleAdmin)
	pub, priv, _ := ed25519.GenerateKey(nil)
	np, err := admin.AddPrincipal(ctx, client.PrincipalRequest{Name: "Patrol 7", Role: "monitor", PublicKey: b64(pub)})
	if err != nil {
		t.Fatal(err)
	}
	if np.Token == "" || np.Principal.KeyID != observation.KeyID(pub) {
		t.Fatalf("%+v", np)
	}
	c := client.New(f.http.URL, np.Token)
	if _, _, err := c.Submit(ctx, f.obs(priv, func(o *observation.Observation) { o.SignedAt = t0 })); err != nil {
		t.Fatalf("new monitor submits: %v", err)
	}
	list, err := f.client(vocab.RoleAuditor).Principals(ctx)
	if err != nil || len(list) != len(f.ids)+1 {
		t.Fatalf("%d principals, %v", len(list), err)
	}
	raw, _ := json.Marshal(list)
	if strings.Contains(string(raw), "token") {
		t.Errorf("principal list mentions tokens: %s", raw)
	}
	for _, tc := range []struct {
		req   client.PrincipalRequest
		field string
	}{
		{client.PrincipalRequest{Role: "monitor", PublicKey: b64(pub)}, "name"},
		{client.PrincipalRequest{Name: "x", Role: "king"}, "role"},
		{client.PrincipalRequest{Name: "x", Role: "public"}, "role"},
		{client.PrincipalRequest{Name: "x", Role: "party_liaison"}, "of"},
		{client.PrincipalRequest{Name: "x", Role: "monitor"}, "public_key"},
		{client.PrincipalRequest{Name: "x", Role: "monitor", PublicKey: "AAAA"}, "public_key"},
	} {
		_, err := admin.AddPrincipal(ctx, tc.req)
		var pe interface{ Error() string }
		pe = err
		if client.HTTPStatus(err) != 400 || !strings.HasPrefix(pe.Error(), tc.field+":") {
			t.Errorf("%+v: %v", tc.req, err)
		}
	}
	status, body := f.post(vocab.RoleAdmin, "/api/v1/principals", "application/json", []byte(`{"name":"x","role":"analyst","extra":1}`))
	if status != 400 {
		t.Errorf("unknown field: %d %s", status, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Get(f.http.URL + "/api/v1/observations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "frame-ancestors 'none'",
	} {
		if !strings.Contains(resp.Header.Get(k), want) {
			t.Errorf("%s: %q", k, resp.Header.Get(k))
		}
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t)
	status, body := f.do("", "GET", "/api/v1/nothing", "", nil)
	if status != 404 || decodeAPIError(t, body).Error.Code != "not_found" {
		t.Errorf("%d %s", status, body)
	}
	status, body = f.do(vocab.RoleAdmin, "GET", "/api/v1/observations/"+uuid.NewString(), "", nil)
	if status != 404 {
		t.Errorf("unknown observation: %d %s", status, body)
	}
}
