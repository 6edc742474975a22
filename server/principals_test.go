package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch/vocab"
)

// The admin API refuses key validity times the store cannot keep (outside
// store.MinTime to store.MaxTime, or the Unix epoch) with a 400 naming the
// field, instead of a 500 from the ledger entry or the store.
func TestAddPrincipalTimesOutOfRange(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		times string // JSON members
		field string // "" when accepted
	}{
		{`"valid_until":"9999-12-31T00:00:00Z"`, "valid_until"},
		{`"valid_until":"2262-01-01T00:00:00Z"`, "valid_until"},
		{`"valid_until":"2261-12-31T23:59:59Z"`, ""},
		{`"valid_from":"0001-01-01T00:00:00Z"`, "valid_from"},
		{`"valid_from":"1677-12-31T23:59:59Z"`, "valid_from"},
		{`"valid_from":"1678-01-01T00:00:00Z"`, ""},
		{`"valid_from":"1970-01-01T00:00:00Z"`, "valid_from"},
		{`"valid_from":"2026-01-01T00:00:00+02:00","valid_until":"2262-01-01T01:00:00+02:00"`, ""},
		{`"valid_from":"1600-01-01T00:00:00Z","valid_until":"3000-01-01T00:00:00Z"`, "valid_from"},
	} {
		status, body := f.post(vocab.RoleAdmin, "/api/v1/principals", "application/json", []byte(`{"name":"x","role":"analyst",`+tc.times+`}`))
		if tc.field == "" {
			if status != http.StatusCreated {
				t.Errorf("%s: %d %s, want 201", tc.times, status, body)
			}
			continue
		}
		if status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tc.times, status, body)
			continue
		}
		e := decodeAPIError(t, body).Error
		if e.Field != tc.field || !strings.Contains(e.Message, "the store can keep") && !strings.Contains(e.Message, "Unix epoch") {
			t.Errorf("%s: field %q: %s, want %s named", tc.times, e.Field, e.Message, tc.field)
		}
	}
}
