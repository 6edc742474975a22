package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
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
