package web

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
)

// TestCaseBoardOverTheResponseService runs the board on the real response
// service over a SQLite store, as serve wires it: the confirmed case is a
// stored case record, the service starts its protocol, and the liaison's
// form stores the action (read back from a second service on the same
// store, as another server would).
func TestCaseBoardOverTheResponseService(t *testing.T) {
	f := newCasesFake(t) // the cases; the runs come from the service
	now := func() time.Time { return testNow }
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "pactwatch.db"), store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, _, err := f.Case("case-a")
	if err != nil {
		t.Fatal(err)
	}
	tr := compliance.Transition{ID: c.ID + "/v2", Case: c.ID, Version: 2, Action: "confirm", By: "analyst-1", At: c.Confirmed,
		Status: compliance.Confirmed, Snapshot: *c}
	body, err := tr.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	salt := make([]byte, 32)
	entry, err := tr.LedgerEntry(salt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendRecords(t.Context(), []store.GenericRecord{{Type: ledger.TypeCase, ID: tr.ID, Time: tr.At, Body: body,
		Leaf: store.Leaf{Entry: entry, Salt: salt}}}); err != nil {
		t.Fatal(err)
	}
	svc := service.New(st, f.a, now, nil)
	if _, err := svc.Tick(t.Context()); err != nil { // starts the run, marks the passed deadlines overdue
		t.Fatal(err)
	}
	h, err := New(Options{Map: newFakeMap(0), Now: now, Sessions: casesSessions, Incidents: f, Responses: svc})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }

	const step = "case-a/guarantor-response/statement/uk"
	if _, body := as(t, h, "/cases?lang=en&mine=1", "uk-token"); stepState(body, step) != "pending" ||
		stepState(body, "case-a/guarantor-response/consult/uk") != "overdue" {
		t.Fatalf("the board does not show the service's steps: statement %q, consult %q",
			stepState(body, step), stepState(body, "case-a/guarantor-response/consult/uk"))
	}
	form := url.Values{"csrf": {csrfToken("uk-token")}, "step": {step}, "statement": {"Statement by the Foreign Secretary."}}
	if rec := postForm(t, h, "/cases/case-a/actions", "uk-token", form); rec.Code != http.StatusSeeOther {
		t.Fatalf("recording: %d", rec.Code)
	}
	// Another guarantor's liaison: refused by the service with 403.
	form.Set("csrf", csrfToken("us-token"))
	if rec := postForm(t, h, "/cases/case-a/actions?lang=en", "us-token", form); rec.Code != http.StatusForbidden ||
		!strings.Contains(rec.Body.String(), "owed by another guarantor") {
		t.Errorf("the US liaison recording the UK's step: %d", rec.Code)
	}
	other := service.New(st, f.a, now, nil)
	runs, err := other.Runs(t.Context(), "case-a")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range runs[0].Steps {
		if s.Key == "statement/uk" && (s.Done == nil || s.Done.By != "uk-liaison" || s.State != "done") {
			t.Errorf("stored: %+v (done %+v)", s, s.Done)
		}
	}
}
