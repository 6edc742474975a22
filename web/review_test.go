package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

var reviewSessions = fakeSessions{
	"analyst-token":  {ID: "analyst-1", Name: "A. Analyst", Role: vocab.RoleAnalyst},
	"analyst2-token": {ID: "analyst-2", Name: "B. Analyst", Role: vocab.RoleAnalyst},
	"auditor-token":  {ID: "auditor-1", Name: "An Auditor", Role: vocab.RoleAuditor},
	"admin-token":    {ID: "admin-1", Name: "An Admin", Role: vocab.RoleAdmin},
	"liaison-token":  {ID: "liaison-uk", Name: "UK liaison", Role: vocab.RoleGuarantorLiaison, Of: "uk"},
	"monitor-token":  {ID: "monitor-p1", Name: "Patrol 1", Role: vocab.RoleMonitor},
}

// reviewFixture is three incidents: A, the oldest open one (two patrol
// and camera reports of explosions, corroborated, with a narrative and a
// JPEG carrying EXIF GPS), B (one open-source report of bursts inside the
// example's demilitarised zone around the nuclear plant: not corroborated)
// and C (a drone's sighting, already verified, older than both).
type reviewFixture struct {
	h       *Handler
	p       *reviewPipeline
	a, b, c string
	jpeg    string // SHA-256 of A's photo
	doc     string // SHA-256 of A's PDF
	now     time.Time
}

const narrative = `Сильні вибухи <script>alert(1)</script> на північ від спостережного пункту`

func newReviewFixture(t testing.TB) *reviewFixture {
	t.Helper()
	f := &reviewFixture{now: testNow}
	clock := func() time.Time { return f.now }
	f.p = newReviewPipeline(loadExample(t), clock)

	photo := exifJPEG(t)
	f.jpeg = sha256Hex(photo)
	pdf := []byte("%PDF-1.4 not really a pdf, a patrol's written report")
	f.doc = sha256Hex(pdf)
	f.p.addFile(f.jpeg, "image/jpeg", photo)
	f.p.addFile(f.doc, "application/pdf", pdf)

	c := reviewRecord("obs-c1", "key-uav", vocab.UAV, "B1", vocab.HeavyWeaponSighted, 2, testNow.Add(-8*time.Hour), orb.Point{36.5123, 47.6234})
	f.c = f.p.add(t, c).ID
	a1 := reviewRecord("obs-a1", "key-p1", vocab.Patrol, "B2", vocab.Explosion, 7, testNow.Add(-5*time.Hour), orb.Point{37.6, 48.0})
	a1.Narrative, a1.Language, a1.Evidence = narrative, "uk", []string{f.jpeg, f.doc}
	f.a = f.p.add(t, a1).ID
	a2 := reviewRecord("obs-a2", "key-cam", vocab.StaticCamera, "C3", vocab.Explosion, 5, testNow.Add(-5*time.Hour+2*time.Minute), orb.Point{37.601, 48.001})
	if got := f.p.add(t, a2).ID; got != f.a {
		t.Fatalf("obs-a2 clustered into %s, not A (%s)", got, f.a)
	}
	b := reviewRecord("obs-b1", "key-osint", vocab.OpenSource, "C3", vocab.BurstOfFire, 3, testNow.Add(-3*time.Hour), orb.Point{34.59, 47.50})
	f.b = f.p.add(t, b).ID
	if _, _, err := f.p.Decide(context.Background(), f.c, "analyst-1", incident.OutcomeVerified, "", "two passes", nil); err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Map: newFakeMap(0), Now: clock, Sessions: reviewSessions, Incidents: f.p, Evidence: f.p})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	f.h = h
	return f
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// getAs fetches path with the session of token ("" for the public).
func (f *reviewFixture) getAs(t testing.TB, token, path string) (int, string) {
	t.Helper()
	var hdr []string
	if token != "" {
		hdr = []string{"Cookie", sessionCookie + "=" + token}
	}
	rec := get(t, f.h, path, hdr...)
	return rec.Code, rec.Body.String()
}

// postAs posts a form with the session's CSRF token.
func (f *reviewFixture) postAs(t testing.TB, token, path string, form url.Values) (int, string, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if token != "" && form.Get("csrf") == "" {
		form.Set("csrf", csrfToken(token))
	}
	rec := postForm(t, f.h, path, token, form)
	return rec.Code, rec.Body.String(), rec.Header().Get("Location")
}

var queueItem = regexp.MustCompile(`<li class="queue-item[^"]*" data-id="([^"]+)"`)

func queueIDs(body string) []string {
	var ids []string
	for _, m := range queueItem.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestReviewQueueRoles: the queue is for the API's reviewers; the public
// is asked to log in and other roles are refused, and neither sees a
// single incident.
func TestReviewQueueRoles(t *testing.T) {
	f := newReviewFixture(t)
	tests := []struct {
		token  string
		status int
		queue  bool
	}{
		{"", http.StatusUnauthorized, false},
		{"liaison-token", http.StatusForbidden, false},
		{"monitor-token", http.StatusForbidden, false},
		{"analyst-token", http.StatusOK, true},
		{"auditor-token", http.StatusOK, true},
		{"admin-token", http.StatusOK, true},
	}
	for _, tc := range tests {
		code, body := f.getAs(t, tc.token, "/review")
		if code != tc.status {
			t.Errorf("%q: status %d, want %d", tc.token, code, tc.status)
		}
		ids := queueIDs(body)
		// The header links the queue for those who may open it.
		if _, page := f.getAs(t, tc.token, "/map"); strings.Contains(page, `<a href="/review"`) != tc.queue {
			t.Errorf("%q: header links /review: %v, want %v", tc.token, !tc.queue, tc.queue)
		}
		if !tc.queue {
			if len(ids) > 0 || strings.Contains(body, f.a) || strings.Contains(body, f.b) {
				t.Errorf("%q sees incidents on a refused queue", tc.token)
			}
			if tc.token == "" && !strings.Contains(body, `<p><a href="/login?next=%2freview">`) {
				t.Errorf("the public's refusal has no log-in link")
			}
			continue
		}
		// Oldest first; the verified incident is not awaiting review.
		if strings.Join(ids, " ") != f.a+" "+f.b {
			t.Errorf("%q: queue %v, want [A B] = [%s %s]", tc.token, ids, f.a, f.b)
		}
	}
}

func TestReviewQueueFilter(t *testing.T) {
	f := newReviewFixture(t)
	tests := []struct {
		query  string
		status int
		want   []string // nil: an error
		field  string   // in the error message
	}{
		{"", 200, []string{"A", "B"}, ""},
		{"category=burst_of_fire", 200, []string{"B"}, ""},
		{"category=explosion,burst_of_fire", 200, []string{"A", "B"}, ""},
		{"grade=B2", 200, []string{"A"}, ""},
		{"grade=C3", 200, []string{"A", "B"}, ""},
		{"area=znpp", 200, []string{"B"}, ""},
		{"status=corroborated", 200, []string{"A"}, ""},
		{"status=reported", 200, []string{"B"}, ""},
		{"category=airstrike", 200, []string{}, ""},
		{"grade=Z9", 400, nil, "Admiralty grade"},
		{"category=nope", 400, nil, "unknown category"},
		{"area=contact-line", 400, nil, "not an area"},
		{"area=atlantis", 400, nil, "no zone"},
		{"status=verified", 400, nil, "reported, corroborated and disputed"},
	}
	names := map[string]string{f.a: "A", f.b: "B", f.c: "C"}
	for _, tc := range tests {
		code, body := f.getAs(t, "analyst-token", "/review?"+tc.query)
		if code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, code, tc.status)
		}
		if tc.want == nil {
			if !strings.Contains(body, `id="review-error"`) || !strings.Contains(body, tc.field) {
				t.Errorf("%s: no error naming %q", tc.query, tc.field)
			}
			continue
		}
		got := []string{}
		for _, id := range queueIDs(body) {
			got = append(got, names[id])
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: queue %v, want %v", tc.query, got, tc.want)
		}
	}
}

// TestIncidentPageRoles: reviewers see the whole incident; the public sees
// verified incidents only, as their public projection, and nothing that
// says who reported them.
func TestIncidentPageRoles(t *testing.T) {
	f := newReviewFixture(t)
	for _, token := range []string{"", "liaison-token", "monitor-token"} {
		if code, body := f.getAs(t, token, "/incidents/"+f.a); code != http.StatusNotFound || strings.Contains(body, "key-p1") {
			t.Errorf("%q: unverified incident answered %d, want 404 without its details", token, code)
		}
		code, body := f.getAs(t, token, "/incidents/"+f.c)
		if code != http.StatusOK {
			t.Fatalf("%q: verified incident answered %d", token, code)
		}
		for _, secret := range []string{"key-uav", "monitor-key-uav", "analyst-1", "two passes", "36.5123", "47.6234", "decision-form"} {
			if strings.Contains(body, secret) {
				t.Errorf("%q: public page shows %q", token, secret)
			}
		}
		if !strings.Contains(body, "47.60, 36.50 ±") { // the public grid
			t.Errorf("%q: public page lacks the coarsened position", token)
		}
	}
	if code, _ := f.getAs(t, "", "/incidents/inc-nope"); code != http.StatusNotFound {
		t.Errorf("unknown incident: %d, want 404", code)
	}

	code, body := f.getAs(t, "auditor-token", "/incidents/"+f.a)
	if code != http.StatusOK {
		t.Fatalf("auditor: %d", code)
	}
	for _, want := range []string{"key-p1", "monitor-key-p1", "key-cam",
		`lang="uk">Сильні вибухи &lt;script&gt;alert(1)&lt;/script&gt; на північ`, // as submitted, escaped
		`<img src="/incidents/` + f.a + `/evidence/` + f.jpeg + `"`,
		`href="/incidents/` + f.a + `/evidence/` + f.doc + `/file"`,
		"48.0000, 37.6000", // the observation's exact target
	} {
		if !strings.Contains(body, want) {
			t.Errorf("auditor's page lacks %q", want)
		}
	}
	if strings.Contains(body, "decision-form") || strings.Contains(body, "claim-form") {
		t.Error("an auditor is offered the analyst's forms")
	}
	if _, body := f.getAs(t, "analyst-token", "/incidents/"+f.a); !strings.Contains(body, `id="decision-form"`) || !strings.Contains(body, `name="csrf" value="`+csrfToken("analyst-token")+`"`) {
		t.Error("the analyst's page has no decision form with the session's token")
	}
}

// TestReviewActions: each action's outcome, in order (the state carries
// from one row to the next), with the status the API would answer.
func TestReviewActions(t *testing.T) {
	f := newReviewFixture(t)
	tests := []struct {
		name     string
		token    string
		path     string // "A", "B" or "C" replaced by the incident id
		form     url.Values
		status   int
		location string // for redirects
		text     string // in the page
	}{
		{"public claims", "", "/incidents/A/claim", nil, http.StatusUnauthorized, "", "Only analysts"},
		{"auditor claims", "auditor-token", "/incidents/A/claim", nil, http.StatusForbidden, "", "Only analysts"},
		{"no csrf", "analyst-token", "/incidents/A/claim", url.Values{"csrf": {"forged"}}, http.StatusForbidden, "", "Reload the page"},
		{"claim", "analyst-token", "/incidents/A/claim", nil, http.StatusSeeOther, "/incidents/A", ""},
		{"claimed by another", "analyst2-token", "/incidents/A/claim", nil, http.StatusConflict, "", "analyst-1 is reviewing this incident until"},
		{"decided while claimed by another", "analyst2-token", "/incidents/A/decision", url.Values{"outcome": {"rejected"}, "reason": {"duplicate"}}, http.StatusConflict, "", "analyst-1 is reviewing"},
		{"verify uncorroborated", "analyst-token", "/incidents/B/decision", url.Values{"outcome": {"verified"}}, http.StatusBadRequest, "", "not corroborated"},
		{"reject without reason", "analyst-token", "/incidents/B/decision", url.Values{"outcome": {"rejected"}}, http.StatusBadRequest, "", "needs a reason"},
		{"no outcome", "analyst-token", "/incidents/B/decision", url.Values{"note": {"kept"}}, http.StatusBadRequest, "", ">kept</textarea>"},
		{"merge by form", "analyst-token", "/incidents/B/decision", url.Values{"outcome": {"merged"}}, http.StatusBadRequest, "", "want verified, rejected or disputed"},
		{"foreign observation", "analyst-token", "/incidents/B/decision", url.Values{"outcome": {"disputed"}, "observation": {"obs-a1"}}, http.StatusBadRequest, "", "not in incident"},
		{"unknown incident", "analyst-token", "/incidents/inc-nope/decision", url.Values{"outcome": {"verified"}}, http.StatusNotFound, "", ""},
		{"verify", "analyst-token", "/incidents/A/decision", url.Values{"outcome": {"verified"}, "reason": {"duplicate"}, "note": {"two sources agree"}, "observation": {"obs-a1", "obs-a2"}}, http.StatusSeeOther, "/review?done=A", ""},
		{"already decided", "analyst2-token", "/incidents/A/decision", url.Values{"outcome": {"rejected"}, "reason": {"inaccurate"}}, http.StatusConflict, "", "already been decided (Verified)"},
		{"dispute", "analyst2-token", "/incidents/B/decision", url.Values{"outcome": {"disputed"}, "note": {"the party denies it"}}, http.StatusSeeOther, "/review?done=B", ""},
		{"dispute twice", "analyst-token", "/incidents/B/decision", url.Values{"outcome": {"disputed"}}, http.StatusBadRequest, "", "already disputed"},
	}
	ids := strings.NewReplacer("/A", "/"+f.a, "/B", "/"+f.b, "=A", "="+f.a, "=B", "="+f.b)
	for _, tc := range tests {
		code, body, loc := f.postAs(t, tc.token, ids.Replace(tc.path), tc.form)
		if code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.status)
		}
		if tc.location != "" && loc != ids.Replace(tc.location) {
			t.Errorf("%s: redirected to %q, want %q", tc.name, loc, ids.Replace(tc.location))
		}
		if tc.text != "" && !strings.Contains(body, tc.text) {
			t.Errorf("%s: page lacks %q", tc.name, tc.text)
		}
	}
	// The queue confirms the decision and no longer lists A; the incident
	// shows its decision.
	_, body := f.getAs(t, "analyst-token", "/review?done="+f.a)
	if ids := queueIDs(body); len(ids) != 1 || ids[0] != f.b {
		t.Errorf("queue after deciding A: %v, want [B]", ids)
	}
	if !strings.Contains(body, "Incident "+f.a+" is now: Verified.") {
		t.Error("queue does not confirm the decision")
	}
	_, body = f.getAs(t, "analyst-token", "/incidents/"+f.a)
	for _, want := range []string{`data-status="verified"`, `<tr data-outcome="verified">`, "two sources agree", "<code>obs-a1</code>, <code>obs-a2</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("decided incident's page lacks %q", want)
		}
	}
	if strings.Contains(body, "decision-form") {
		t.Error("a decided incident still offers the decision form")
	}
}

// TestReviewPagesInEveryLanguage renders the pages in each language (the
// catalogs test checks the ids; this checks the templates use them).
func TestReviewPagesInEveryLanguage(t *testing.T) {
	f := newReviewFixture(t)
	f.p.Claim(f.a, "analyst-2")
	for _, lang := range []string{"en", "uk", "ru"} {
		for _, path := range []string{"/review", "/incidents/" + f.a, "/incidents/" + f.c} {
			code, body := f.getAs(t, "analyst-token", path+"?lang="+lang)
			if code != http.StatusOK || strings.Contains(body, "⟦") {
				t.Errorf("%s in %s: %d or a missing message", path, lang, code)
			}
		}
		if _, body := f.getAs(t, "", "/incidents/"+f.c+"?lang="+lang); strings.Contains(body, "⟦") {
			t.Errorf("public incident page in %s misses a message", lang)
		}
	}
	_, body := f.getAs(t, "analyst-token", "/review?lang=uk")
	if !strings.Contains(body, "Розглядає analyst-2 до") {
		t.Error("the Ukrainian queue does not say who is reviewing A")
	}
}

// TestReviewPagesGolden compares the main content of the review pages
// (the layout around them is other pages' business) with
// testdata/review-*.html, so a change to the templates or catalogs shows
// up as a reviewable diff. Regenerate with: go test ./web -run Golden -update
func TestReviewPagesGolden(t *testing.T) {
	f := newReviewFixture(t)
	f.p.Claim(f.a, "analyst-2")
	tests := []struct{ name, token, path string }{
		{"review-queue.en", "analyst-token", "/review?lang=en"},
		{"review-incident.en", "analyst-token", "/incidents/" + f.a + "?lang=en"},
		{"review-incident.uk", "analyst-token", "/incidents/" + f.a + "?lang=uk"},
		{"review-public-incident.ru", "", "/incidents/" + f.c + "?lang=ru"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, body := f.getAs(t, tc.token, tc.path)
			start, end := strings.Index(body, "<main"), strings.Index(body, "</main>")
			if start < 0 || end < start {
				t.Fatalf("no <main> in %s", tc.path)
			}
			got := body[start:end] + "</main>\n"
			path := filepath.Join("testdata", tc.name+".html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run with -update and review the diff)", tc.path, path)
			}
		})
	}
}
