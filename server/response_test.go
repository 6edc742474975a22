package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/vocab"
)

func TestSplitStepID(t *testing.T) {
	for _, tc := range []struct{ id, run, key string }{
		{"case-1/respond/consult/us", "case-1/respond", "consult/us"},
		{"a/b/c/d/e", "a/b/c", "d/e"},
		{"case-1/respond/consult", "", ""},
		{"case-1//consult/us", "", ""},
	} {
		run, key, err := splitStepID(tc.id)
		if tc.run == "" {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Errorf("%q: %v, want invalid", tc.id, err)
			}
			continue
		}
		if err != nil || run != tc.run || key != tc.key {
			t.Errorf("%q = %q, %q, %v", tc.id, run, key, err)
		}
	}
}

// Without a response service or a webhook key the endpoints say so (503);
// the admin-only ones refuse other roles first.
func TestResponseRoutesUnavailable(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		role         vocab.Role
		method, path string
		want         int
	}{
		{"", "GET", "/api/v1/scorecard", http.StatusServiceUnavailable},
		{"", "GET", "/api/v1/cases/c1/steps", http.StatusServiceUnavailable},
		{"", "GET", "/api/v1/notify/key", http.StatusServiceUnavailable},
		{vocab.RoleGuarantorLiaison, "POST", "/api/v1/steps/c1%2Fp%2Fs%2Fua/actions", http.StatusServiceUnavailable},
		{vocab.RoleMonitor, "POST", "/api/v1/steps/c1%2Fp%2Fs%2Fua/actions", http.StatusForbidden},
		{vocab.RoleAnalyst, "GET", "/api/v1/subscriptions", http.StatusForbidden},
		{"", "GET", "/api/v1/notify/dead-letters", http.StatusUnauthorized},
		{vocab.RoleAdmin, "GET", "/api/v1/subscriptions", http.StatusOK},
		{vocab.RoleAdmin, "GET", "/api/v1/notify/allowlist", http.StatusOK},
		{vocab.RoleAdmin, "PUT", "/api/v1/notify/allowlist", http.StatusBadRequest}, // no list given
		{vocab.RoleAdmin, "DELETE", "/api/v1/subscriptions/nope", http.StatusNotFound},
		{vocab.RoleAdmin, "POST", "/api/v1/notify/dead-letters/nope/replay", http.StatusNotFound},
	} {
		status, body := f.do(tc.role, tc.method, tc.path, "application/json", nil)
		if status != tc.want {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.role, status, body, tc.want)
		}
	}
}

// FuzzSplitStepID: a step id that parses joins back to itself, with a key
// of exactly "<step>/<actor>".
func FuzzSplitStepID(f *testing.F) {
	for _, s := range []string{"case-1/respond/consult/us", "a/b/c/d/e", "//", "a/b/c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		run, key, err := splitStepID(id)
		if err != nil {
			return
		}
		if run+"/"+key != id || strings.Count(key, "/") != 1 || run == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
			t.Fatalf("%q split into %q and %q", id, run, key)
		}
	})
}

// The dead-letter endpoints: limit checked (400 naming the field); a
// message id holding "/" and "#" (as every id does: subscription "/" key,
// key = transition id "#" recipient) travels escaped in the path; a replay
// makes the message due again and takes it off the list.
func TestDeadLetterEndpoints(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, q := range []string{"0", "1001", "x"} {
		status, body := f.do(vocab.RoleAdmin, "GET", "/api/v1/notify/dead-letters?limit="+q, "", nil)
		if status != http.StatusBadRequest || decodeAPIError(t, body).Error.Field != "limit" {
			t.Errorf("limit=%s: %d %s", q, status, body)
		}
	}
	status, body := f.do(vocab.RoleAdmin, "GET", "/api/v1/notify/dead-letters", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"messages":[]`) {
		t.Fatalf("empty list: %d %s", status, body)
	}
	key := "case-1/respond/consult/b/overdue#b"
	m := notify.Message{ID: "hook-b/" + key, Subscription: "hook-b", URL: "http://127.0.0.1:9/", Key: key, Body: []byte(`{}`), Created: t0, NextAttempt: t0}
	if err := f.store.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeadLetter(ctx, m.ID, t0, "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	status, body = f.do(vocab.RoleAdmin, "GET", "/api/v1/notify/dead-letters?limit=1", "", nil)
	var list client.DeadLetters
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list.Messages) != 1 || list.Messages[0].ID != m.ID {
		t.Fatalf("list: %d %s", status, body)
	}
	path := "/api/v1/notify/dead-letters/" + url.PathEscape(m.ID) + "/replay"
	if status, body := f.do(vocab.RoleAnalyst, "POST", path, "", nil); status != http.StatusForbidden {
		t.Fatalf("analyst replay: %d %s", status, body)
	}
	if status, body := f.do(vocab.RoleAdmin, "POST", path, "", nil); status != http.StatusNoContent {
		t.Fatalf("replay: %d %s", status, body)
	}
	if status, _ := f.do(vocab.RoleAdmin, "POST", path, "", nil); status != http.StatusNotFound {
		t.Fatalf("second replay: %d, want 404", status)
	}
	due, err := f.store.Claim(ctx, t0, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].ID != m.ID || due[0].Attempts != 1 {
		t.Fatalf("after the replay: %+v, %v", due, err)
	}
}
