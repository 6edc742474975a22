package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// as fetches target with the session of token ("" for the public).
func as(t testing.TB, h http.Handler, target, token string) (int, string) {
	t.Helper()
	var rec = get(t, h, target)
	if token != "" {
		rec = get(t, h, target, "Cookie", sessionCookie+"="+token)
	}
	return rec.Code, rec.Body.String()
}

var dataCase = regexp.MustCompile(`data-case="([^"]+)"`)

func boardCases(body string) string {
	var ids []string
	for _, m := range dataCase.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return strings.Join(ids, " ")
}

// stepState reads a step's state as the page shows it.
func stepState(body, stepID string) string {
	re := regexp.MustCompile(`data-step="` + regexp.QuoteMeta(stepID) + `" data-actor="[^"]*" data-state="([a-z_]+)"`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// TestCaseBoardVisibility: the board shows each viewer what the API's
// GET /api/v1/cases would: the public and other liaisons confirmed cases
// only (their public projection, without when and by whom they were
// opened), the case's own party liaison and reviewers every case in full.
func TestCaseBoardVisibility(t *testing.T) {
	h, _ := newCasesHandler(t)
	for _, tc := range []struct {
		name, token string
		want        string // cases, newest first
		full        bool   // opening times shown
	}{
		{"public", "", "case-b case-a case-d", false},
		{"guarantor liaison", "uk-token", "case-b case-a case-d", false},
		{"other party's liaison (in full: its own case-d)", "ua-party-token", "case-b case-a case-d", true},
		{"party liaison of the case", "ru-party-token", "case-c case-b case-a case-d", true},
		{"analyst", "analyst-token", "case-c case-b case-a case-d", true},
		{"auditor", "auditor-token", "case-c case-b case-a case-d", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := as(t, h, "/cases?lang=en", tc.token)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if got := boardCases(body); got != tc.want {
				t.Errorf("cases %q, want %q", got, tc.want)
			}
			if strings.Contains(body, "Opened:") != tc.full {
				t.Errorf("opening time shown = %v, want %v", !tc.full, tc.full)
			}
		})
	}
	// A candidate is not found for the public, as in the API.
	if code, _ := as(t, h, "/cases/case-c", ""); code != http.StatusNotFound {
		t.Errorf("public GET /cases/case-c: %d, want 404", code)
	}
	if code, _ := as(t, h, "/cases/case-c", "ru-party-token"); code != http.StatusOK {
		t.Errorf("the party's liaison GET /cases/case-c: %d, want 200", code)
	}
	if code, _ := as(t, h, "/cases/nope", "analyst-token"); code != http.StatusNotFound {
		t.Errorf("GET /cases/nope: %d, want 404", code)
	}
}

// TestCasePagesClosedToThePublic: with --public-pages leaving out "cases"
// and "scorecard", the public is sent to log in; a liaison still sees them.
func TestCasePagesClosedToThePublic(t *testing.T) {
	f := newCasesFake(t)
	h, err := New(Options{Map: newFakeMap(0), Now: func() time.Time { return f.now }, Sessions: casesSessions,
		Incidents: f, Responses: f, PublicPages: map[string]bool{"map": true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/cases", "/cases/case-a", "/scorecard"} {
		if code, _ := as(t, h, target, ""); code != http.StatusFound {
			t.Errorf("public GET %s: %d, want 302 to the log-in page", target, code)
		}
		if code, _ := as(t, h, target, "uk-token"); code != http.StatusOK {
			t.Errorf("liaison GET %s: %d, want 200", target, code)
		}
	}
	if _, body := as(t, h, "/map", ""); strings.Contains(body, `href="/cases"`) || strings.Contains(body, `href="/scorecard"`) {
		t.Error("the header offers the public closed pages")
	}
}

func TestCaseBoardFilters(t *testing.T) {
	h, _ := newCasesHandler(t)
	for _, tc := range []struct {
		name, query, token string
		status             int
		cases              string
		actors             string // the distinct actors of the steps shown
	}{
		{"closed", "status=closed", "", 200, "case-d", ""},
		{"commitment", "commitment=withdrawal-russia", "", 200, "case-b", ""},
		{"party", "party=ukraine", "", 200, "case-d", ""},
		{"steps of one guarantor", "guarantor=us", "", 200, "case-b case-a case-d", "us"},
		{"a group's steps", "guarantor=coalition&commitment=withdrawal-russia", "", 200, "case-b",
			"uk france germany poland canada netherlands denmark finland"},
		{"the mission's steps", "guarantor=mission&status=confirmed", "", 200, "case-b case-a", "mission"},
		{"my steps", "mine=1&status=confirmed", "uk-token", 200, "case-b case-a", "uk"},
		{"unknown status", "status=open", "", 400, "", ""},
		{"unknown commitment", "commitment=peace", "", 400, "", ""},
		{"unknown party", "party=narnia", "", 400, "", ""},
		{"unknown guarantor", "guarantor=atlantis", "", 400, "", ""},
		{"my steps for the public", "mine=1", "", 400, "", ""},
		{"my steps for an auditor", "mine=1", "auditor-token", 400, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := as(t, h, "/cases?lang=en&"+tc.query, tc.token)
			if code != tc.status {
				t.Fatalf("status %d, want %d", code, tc.status)
			}
			if tc.status != 200 {
				if !strings.Contains(body, `id="case-filter-error"`) || !strings.Contains(body, "The filter is not valid") {
					t.Error("no filter error shown")
				}
				return
			}
			if got := boardCases(body); got != tc.cases {
				t.Errorf("cases %q, want %q", got, tc.cases)
			}
			if tc.actors != "" {
				seen := map[string]bool{}
				var got []string
				for _, m := range regexp.MustCompile(`data-actor="([^"]+)" data-state`).FindAllStringSubmatch(body, -1) {
					if !seen[m[1]] {
						seen[m[1]] = true
						got = append(got, m[1])
					}
				}
				if strings.Join(got, " ") != tc.actors {
					t.Errorf("steps of %q, want %q", got, tc.actors)
				}
			}
		})
	}
}

// TestCaseBoardDeadlines: every open step carries its deadline for
// deadlines.js and the server's rendering of the time left or overdue, in
// the page's language; a pending step past its deadline shows as overdue
// even before the scheduler records it.
func TestCaseBoardDeadlines(t *testing.T) {
	h, _ := newCasesHandler(t)
	for _, tc := range []struct {
		lang, left, overdue string
	}{
		{"en", "18 h 00 min 00 s left", "overdue by 6 h 00 min 00 s"},
		{"uk", "залишилося 18 год 00 хв 00 с", "прострочено на 6 год 00 хв 00 с"},
		{"ru", "осталось 18 ч 00 мин 00 с", "просрочено на 6 ч 00 мин 00 с"},
	} {
		_, body := as(t, h, "/cases?lang="+tc.lang, "")
		if !strings.Contains(body, `data-deadline="`+caseDeadline(testNow.Add(18*time.Hour))+`">`+tc.left+`<`) {
			t.Errorf("%s: no countdown %q for the statement", tc.lang, tc.left)
		}
		if !strings.Contains(body, `is-overdue" data-deadline="`+testNow.Add(-6*time.Hour).UTC().Format(time.RFC3339)+`">`+tc.overdue+`<`) {
			t.Errorf("%s: no overdue countdown %q", tc.lang, tc.overdue)
		}
		if !strings.Contains(body, `data-now="`+testNow.Format(time.RFC3339)+`"`) {
			t.Errorf("%s: the server's clock is not on the page", tc.lang)
		}
	}
	_, body := as(t, h, "/cases?lang=en", "")
	if got := stepState(body, "case-a/guarantor-response/consult/uk"); got != "overdue" {
		t.Errorf("consult/uk, 6 h past its deadline, shows %q", got)
	}
	// The board lists open steps, a protocol step's actors on one line,
	// and counts the closed ones; the case page lists every step.
	if n := strings.Count(body, `data-deadline="`+caseDeadline(testNow.Add(18*time.Hour))+`"`); n != 1 {
		t.Errorf("the statement owed by 9 guarantors has %d countdowns on the board, want 1", n)
	}
	if !strings.Contains(body, "Done on time: 1 · Done late: 1 · Missed: 8 · Ended with the case: 19") {
		t.Error("no summary of case-d's closed steps")
	}
	if stepState(body, "case-d/guarantor-response/consult/uk") != "" {
		t.Error("a closed case's steps are listed on the board")
	}
	_, body = as(t, h, "/cases/case-d?lang=en", "")
	if got := stepState(body, "case-d/guarantor-response/consult/uk"); got != "done" {
		t.Errorf("case-d consult/uk shows %q, want done", got)
	}
	if got := stepState(body, "case-d/guarantor-response/consult/us"); got != "done_late" {
		t.Errorf("case-d consult/us shows %q, want done_late", got)
	}
	if got := stepState(body, "case-d/guarantor-response/assistance-us/us"); got != "ended" {
		t.Errorf("case-d assistance-us shows %q, want ended", got)
	}
}

func caseDeadline(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func TestFormatSpan(t *testing.T) {
	units := []string{"d", "h", "min", "s"}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{59 * time.Second, "59 s"},
		{61 * time.Second, "1 min 01 s"},
		{time.Hour + 2*time.Minute + 3*time.Second, "1 h 02 min 03 s"},
		{26*time.Hour + 4*time.Second, "1 d 02 h 00 min 04 s"},
		{-(90*time.Second + 500*time.Millisecond), "1 min 30 s"},
		{1999 * time.Millisecond, "1 s"},
	} {
		if got := formatSpan(units, tc.d); got != tc.want {
			t.Errorf("formatSpan(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestCasePageShowsWhatTheAPIShows: violations (linking to the incident
// pages) and who recorded an action only to those who see them through the
// API; the action form only on the steps the viewer's own state owes.
func TestCasePageShowsWhatTheAPIShows(t *testing.T) {
	h, _ := newCasesHandler(t)
	_, public := as(t, h, "/cases/case-d?lang=en", "")
	_, analyst := as(t, h, "/cases/case-d?lang=en", "analyst-token")
	if strings.Contains(public, `href="/incidents/`) || !strings.Contains(analyst, `href="/incidents/inc-case-d"`) {
		t.Error("violations: want them linked for the analyst only")
	}
	if strings.Contains(public, "uk-liaison") || !strings.Contains(analyst, "by uk-liaison") {
		t.Error("who recorded the action: want it for signed-in viewers only")
	}
	if !strings.Contains(public, "Consulted in Brussels.") || !strings.Contains(public, "recorded after the deadline") {
		t.Error("the public does not see the statement and the late record")
	}
	_, uk := as(t, h, "/cases/case-a?lang=en", "uk-token")
	forms := regexp.MustCompile(`<form method="post" action="/cases/case-a/actions" class="action-form" id="form-step-([^"]+)"`).FindAllStringSubmatch(uk, -1)
	var got []string
	for _, m := range forms {
		got = append(got, m[1])
	}
	want := "case-a_guarantor-response_consult_uk case-a_guarantor-response_statement_uk case-a_guarantor-response_joint-response_uk case-a_guarantor-response_assistance-uk_uk"
	if strings.Join(got, " ") != want {
		t.Errorf("the UK liaison gets forms for %q, want %q", got, want)
	}
	if !strings.Contains(uk, "(one of all the guarantors)") || !strings.Contains(uk, "(as a member of Coalition of the willing)") {
		t.Error("steps of all guarantors or of a group do not say so")
	}
	if !strings.Contains(uk, `name="csrf" value="`+csrfToken("uk-token")+`"`) {
		t.Error("the forms lack the session's csrf token")
	}
	for _, token := range []string{"", "auditor-token", "coalition-token"} {
		if _, body := as(t, h, "/cases/case-a?lang=en", token); strings.Contains(body, `class="action-form"`) {
			t.Errorf("%q gets an action form", token)
		}
	}
	if _, body := as(t, h, "/cases/case-a?lang=en", "analyst-token"); !strings.Contains(body, `id="form-step-case-a_guarantor-response_notify_mission"`) {
		t.Error("an analyst gets no form for the mission's step")
	}
	if _, body := as(t, h, "/cases/case-d?lang=en", "uk-token"); strings.Contains(body, `class="action-form"`) {
		t.Error("a closed case offers a form")
	}
}

// TestRecordAction posts the action form as each kind of principal: the
// engine's refusal shows on the page with the API's status; success goes
// back to the case page, where the step is done.
func TestRecordAction(t *testing.T) {
	const statement = "case-a/guarantor-response/statement/uk"
	for _, tc := range []struct {
		name, token, caseID, step, statement, csrf string
		status                                     int
		message                                    string
	}{
		{"own step", "uk-token", "case-a", statement, "Statement by the Foreign Secretary.", "", http.StatusSeeOther, ""},
		{"own overdue step", "uk-token", "case-a", "case-a/guarantor-response/consult/uk", "Consulted.", "", http.StatusSeeOther, ""},
		{"another guarantor's step", "uk-token", "case-a", "case-a/guarantor-response/statement/us", "x", "", http.StatusForbidden,
			"this step is owed by another guarantor or party"},
		{"closed case", "uk-token", "case-d", "case-d/guarantor-response/statement/uk", "x", "", http.StatusConflict, "the case is closed"},
		{"no statement nor reference", "uk-token", "case-a", statement, " ", "", http.StatusBadRequest, "say what was done"},
		{"unknown step", "uk-token", "case-a", "case-a/guarantor-response/nope/uk", "x", "", http.StatusNotFound, "this case has no such step"},
		{"malformed step id", "uk-token", "case-a", "case-a/statement", "x", "", http.StatusBadRequest, "a step id is"},
		{"step of another case", "uk-token", "case-a", "case-b/withdrawal-russia/statement/uk", "x", "", http.StatusBadRequest, "is not a step of case case-a"},
		{"public", "", "case-a", statement, "x", "", http.StatusUnauthorized, "sign in to record an action"},
		{"auditor", "auditor-token", "case-a", statement, "x", "", http.StatusForbidden, "your role may not record"},
		{"another session's token", "uk-token", "case-a", statement, "x", csrfToken("us-token"), http.StatusForbidden, "the form has expired"},
		{"statement over 64 KB", "uk-token", "case-a", statement, strings.Repeat("x", 70<<10), "", http.StatusRequestEntityTooLarge, "the form is too long"},
		{"unknown case", "uk-token", "nope", "nope/guarantor-response/statement/uk", "x", "", http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, f := newCasesHandler(t)
			csrf := tc.csrf
			if csrf == "" && tc.token != "" {
				csrf = csrfToken(tc.token)
			}
			form := url.Values{"csrf": {csrf}, "step": {tc.step}, "statement": {tc.statement}, "reference": {""}}
			rec := postForm(t, h, "/cases/"+tc.caseID+"/actions?lang=en", tc.token, form)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body: %.300s", rec.Code, tc.status, rec.Body.String())
			}
			if tc.status != http.StatusSeeOther {
				if !strings.Contains(rec.Body.String(), tc.message) {
					t.Errorf("page lacks %q", tc.message)
				}
				// Nothing was recorded.
				if _, body := as(t, h, "/cases/case-a?lang=en", "analyst-token"); stepState(body, statement) != "pending" {
					t.Errorf("statement/uk is %q after a refused post", stepState(body, statement))
				}
				return
			}
			loc := rec.Header().Get("Location")
			if want := "/cases/case-a?recorded=" + url.QueryEscape(tc.step) + "#step-"; !strings.HasPrefix(loc, want) {
				t.Fatalf("redirect to %q, want %q…", loc, want)
			}
			page, _, _ := strings.Cut(loc, "#") // a browser keeps the fragment to itself
			_, body := as(t, h, page+"&lang=en", tc.token)
			want := "done"
			if strings.Contains(tc.step, "consult") {
				want = "done_late"
			}
			if got := stepState(body, tc.step); got != want {
				t.Errorf("step is %q after recording, want %q", got, want)
			}
			if !strings.Contains(body, `id="recorded-notice"`) || !strings.Contains(body, tc.statement) {
				t.Error("no notice or statement after recording")
			}
			// Recording it again is refused: the step is done.
			rec = postForm(t, h, "/cases/case-a/actions?lang=en", tc.token, form)
			if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "this step was already recorded") {
				t.Errorf("second post: %d, want 409 with 'already recorded'", rec.Code)
			}
			runs, _ := f.Runs(t.Context(), "case-a")
			for _, s := range runs[0].Steps {
				if s.Key == strings.TrimPrefix(tc.step, "case-a/guarantor-response/") && (s.Done == nil || s.Done.By != "uk-liaison") {
					t.Errorf("engine has %+v", s.Done)
				}
			}
		})
	}
}

// TestRecordActionCrossSite: a form posted from another site is refused
// whatever its token.
func TestRecordActionCrossSite(t *testing.T) {
	h, _ := newCasesHandler(t)
	form := url.Values{"csrf": {csrfToken("uk-token")}, "step": {"case-a/guarantor-response/statement/uk"}, "statement": {"x"}}
	rec := postForm(t, h, "/cases/case-a/actions", "uk-token", form, "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", rec.Code)
	}
}

// TestCasePagesRenderInEveryLanguage fails on any message a catalog lacks.
func TestCasePagesRenderInEveryLanguage(t *testing.T) {
	h, _ := newCasesHandler(t)
	for _, lang := range []string{"en", "uk", "ru"} {
		for _, target := range []string{"/cases", "/cases/case-a", "/cases/case-d", "/cases/case-c", "/scorecard", "/scorecard?every=1mo", "/cases?status=bad", "/scorecard?every=2d"} {
			for _, token := range []string{"", "uk-token", "analyst-token"} {
				code, body := as(t, h, target+sep(target)+"lang="+lang, token)
				if code >= 500 || strings.Contains(body, "⟦") {
					t.Errorf("%s %s as %q: %d", lang, target, token, code)
				}
			}
		}
	}
}

func FuzzSplitStepID(f *testing.F) {
	for _, s := range []string{"case-a/guarantor-response/statement/uk", "a/b/c", "a//b/c", "x/y/z/w/v", "", "////"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		run, key, err := splitStepID(id)
		if err != nil {
			return
		}
		if run+"/"+key != id || strings.Count(key, "/") != 1 || strings.Count(run, "/") < 1 {
			t.Errorf("splitStepID(%q) = %q, %q", id, run, key)
		}
	})
}

// TestCaseBoardPages: 50 cases a page, newest first, with links to the
// newer and older pages that keep the filter.
func TestCaseBoardPages(t *testing.T) {
	h, f := newCasesHandler(t)
	for i := range 120 {
		at := testNow.Add(-time.Duration(i+3) * time.Hour)
		f.add(t, fmt.Sprintf("case-m%03d", i), "ceasefire", "russia", at.Add(-time.Minute), at)
	}
	f.now = testNow
	for _, tc := range []struct {
		query               string
		status, n           int
		first, newer, older string
	}{
		{"", 200, 50, "case-c", "", "/cases?page=2"},
		{"page=2", 200, 50, "case-m047", "/cases?", "/cases?page=3"},
		{"page=3", 200, 24, "case-m097", "/cases?page=2", ""},
		{"page=4", 200, 0, "", "/cases?page=3", ""},
		{"guarantor=us&page=3", 200, 23, "case-m098", "/cases?guarantor=us&amp;page=2", ""},
		{"guarantor=us&page=2", 200, 50, "case-m048", "/cases?guarantor=us", "/cases?guarantor=us&amp;page=3"},
		{"page=0", 400, 0, "", "", ""},
		{"page=two", 400, 0, "", "", ""},
	} {
		code, body := as(t, h, "/cases?lang=en&"+tc.query, "analyst-token")
		if code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, code, tc.status)
			continue
		}
		ids := strings.Fields(boardCases(body))
		if len(ids) != tc.n || (tc.n > 0 && ids[0] != tc.first) {
			t.Errorf("%s: %d cases from %v, want %d from %s", tc.query, len(ids), ids[:min(len(ids), 1)], tc.n, tc.first)
		}
		for rel, want := range map[string]string{"prev": tc.newer, "next": tc.older} {
			m := regexp.MustCompile(`<a href="([^"]*)" rel="` + rel + `"`).FindStringSubmatch(body)
			if got := ""; m != nil {
				got = m[1]
				if got != want {
					t.Errorf("%s: %s link %q, want %q", tc.query, rel, got, want)
				}
			} else if want != "" {
				t.Errorf("%s: no %s link, want %q", tc.query, rel, want)
			}
		}
	}
}

// BenchmarkCaseBoard renders the first page of /cases for an analyst over
// a month of 200 confirmed cases whose guarantors never act (about 13,000
// protocol steps, nearly all overdue: the heaviest board there is).
func BenchmarkCaseBoard(b *testing.B) {
	h, f := newCasesHandler(b)
	start := testNow.Add(-30 * 24 * time.Hour)
	for i := range 200 {
		at := start.Add(time.Duration(i) * 30 * 24 * time.Hour / 200)
		f.add(b, fmt.Sprintf("case-m%03d", i), "ceasefire", []string{"russia", "ukraine"}[i%2], at.Add(-time.Hour), at)
	}
	f.now = testNow
	if err := f.eng.Apply(f.eng.Due(testNow)...); err != nil { // the scheduler's tick
		b.Fatal(err)
	}
	var size int
	b.ResetTimer()
	for b.Loop() {
		rec := get(b, h, "/cases?lang=uk", "Cookie", sessionCookie+"=analyst-token")
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size)/1024, "KB/page")
}

// BenchmarkScorecardPage renders /scorecard over the same month.
func BenchmarkScorecardPage(b *testing.B) {
	h, f := newCasesHandler(b)
	start := testNow.Add(-30 * 24 * time.Hour)
	for i := range 200 {
		at := start.Add(time.Duration(i) * 30 * 24 * time.Hour / 200)
		f.add(b, fmt.Sprintf("case-m%03d", i), "ceasefire", "russia", at.Add(-time.Hour), at)
	}
	f.now = testNow
	b.ResetTimer()
	for b.Loop() {
		if rec := get(b, h, "/scorecard?lang=uk"); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// FuzzCaseBoardQuery: whatever the query, the board answers 200 or 400,
// never an error page of its own making, and never shows the public a
// case that is not confirmed.
func FuzzCaseBoardQuery(f *testing.F) {
	for _, q := range []string{"status=candidate", "commitment=ceasefire&party=russia", "guarantor=coalition&page=2",
		"mine=1", "page=-1", "status=%ff", "party=joint&guarantor=mission"} {
		f.Add(q)
	}
	h, _ := newCasesHandler(f)
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseRequestURI("/cases?" + query); err != nil || strings.ContainsAny(query, "# ") {
			return // not a request line a browser sends
		}
		code, body := as(t, h, "/cases?"+query, "")
		if code != http.StatusOK && code != http.StatusBadRequest {
			t.Fatalf("%q: status %d", query, code)
		}
		if strings.Contains(body, `data-case="case-c"`) {
			t.Fatalf("%q: the public sees the candidate case-c", query)
		}
	})
}
