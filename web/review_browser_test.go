package web

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pactwatch/pactwatch/web/webtest"
)

// TestReviewInBrowser: in headless Chromium an analyst logs in, opens the
// review queue and its oldest incident, claims it; a second analyst sees
// who is reviewing it and cannot take it; the first verifies it, sees it
// leave the queue, and finds its status and decision history changed. The
// page also fits a 360 px phone. Plain forms, no script on these pages.
// Screenshots: test-artifacts/TestReviewInBrowser/.
func TestReviewInBrowser(t *testing.T) {
	b := webtest.NewBrowser(t)
	f := newReviewFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()

	login := func(token, next string) {
		t.Helper()
		b.Do(
			chromedp.Navigate(srv.URL+"/login?lang=en&next="+next),
			chromedp.SetValue(chromedp.CSS("#l-token"), token),
			chromedp.Click(chromedp.CSS("main form button")),
		)
		b.WaitTrue(`location.pathname === "` + next + `"`)
	}
	logout := func() {
		t.Helper()
		b.Do(chromedp.Click(chromedp.CSS(".logout-form button")))
		b.WaitTrue(`location.pathname === "/" && !document.querySelector(".logout-form")`)
	}
	text := func(sel string) string {
		t.Helper()
		return webtest.Run(b, chromedp.Evaluate[string](`(document.querySelector(`+"`"+sel+"`"+`) || {innerText: ""}).innerText`))
	}
	queue := func() []string {
		return webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#queue .queue-item")).map(e => e.dataset.id)`))
	}

	b.Do(chromedp.EmulateViewport(1100, 900))
	login("analyst-token", "/review")
	if got := queue(); strings.Join(got, " ") != f.a+" "+f.b {
		t.Fatalf("queue %v, want [%s %s] (oldest first)", got, f.a, f.b)
	}
	b.Screenshot("queue")

	// The oldest incident: its observations, narrative and evidence preview.
	b.Do(chromedp.Click(chromedp.CSS("#queue .queue-item:first-child h2 a")))
	b.WaitTrue(`location.pathname === "/incidents/` + f.a + `"`)
	b.WaitTrue(`document.querySelector(".evidence-img") && document.querySelector(".evidence-img").complete`)
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.querySelector(".evidence-img").naturalWidth`)); w != 64 {
		t.Errorf("evidence preview is %d px wide, want the photo's 64", w)
	}
	if got := text(".narrative"); got != narrative {
		t.Errorf("narrative shown as %q, want it as submitted", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#claim-form button")))
	b.WaitTrue(`document.getElementById("incident-claim") !== null`)
	if got := text("#incident-claim"); !strings.Contains(got, "You are reviewing this incident until") {
		t.Errorf("after claiming: %q", got)
	}
	b.Screenshot("claimed")
	logout()

	// A second analyst sees who holds it and cannot take it.
	login("analyst2-token", "/review")
	if got := text(`#queue .queue-item[data-id="` + f.a + `"] .claim`); !strings.Contains(got, "Being reviewed by analyst-1 until") {
		t.Errorf("second analyst's queue says %q", got)
	}
	b.Screenshot("second-analyst")
	checkContrast(t, b, ".queue-title a", ".facts dt", ".facts dd", ".status-badge", ".claim", ".hint", "label", "button")
	b.Do(chromedp.Click(chromedp.CSS("#queue .queue-item:first-child h2 a")))
	b.WaitTrue(`location.pathname === "/incidents/` + f.a + `"`)
	b.Do(chromedp.Click(chromedp.CSS("#claim-form button")))
	b.WaitTrue(`document.getElementById("incident-error") !== null`)
	if got := text("#incident-error"); !strings.Contains(got, "analyst-1 is reviewing this incident") {
		t.Errorf("second analyst's claim: %q", got)
	}
	checkContrast(t, b, ".form-error", ".narrative", ".evidence .hint", "legend", ".choice label", "code")
	logout()

	// The first analyst verifies it.
	login("analyst-token", "/incidents/"+f.a)
	b.Do(
		chromedp.Click(chromedp.CSS("#o-verified")),
		chromedp.SetValue(chromedp.CSS("#d-note"), "patrol and camera agree"),
		chromedp.Click(chromedp.CSS("#decision-form button[type=submit]")),
	)
	b.WaitTrue(`location.pathname === "/review" && document.getElementById("review-done") !== null`)
	if got := queue(); strings.Join(got, " ") != f.b {
		t.Errorf("queue after verifying: %v, want [%s]", got, f.b)
	}
	if got := text("#review-done"); !strings.Contains(got, "is now: Verified") {
		t.Errorf("confirmation %q", got)
	}
	b.Screenshot("verified-queue")
	b.Do(chromedp.Click(chromedp.CSS("#review-done a")))
	b.WaitTrue(`location.pathname === "/incidents/` + f.a + `"`)
	if got := text("#incident-status"); got != "Verified" {
		t.Errorf("status after verifying: %q", got)
	}
	if got := text("#decisions tbody"); !strings.Contains(got, "analyst-1") || !strings.Contains(got, "patrol and camera agree") {
		t.Errorf("decision history %q", got)
	}
	if webtest.Run(b, chromedp.Evaluate[bool](`document.getElementById("decision-form") !== null`)) {
		t.Error("a verified incident still offers the decision form")
	}
	b.Screenshot("verified-incident")

	// On a phone the page reflows: nothing wider than the screen.
	b.Do(chromedp.EmulateViewport(360, 780), chromedp.Navigate(srv.URL+"/incidents/"+f.b))
	b.WaitTrue(`document.getElementById("decision-form") !== null`)
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("incident page is %d px wide on a 360 px screen", w)
	}
	b.Screenshot("phone-incident")
	// The refused claim's page came with the API's 409, which Chromium
	// logs; anything else (a CSP violation, a failed image) is an error.
	for _, e := range b.Errors() {
		if !strings.Contains(e, "status of 409") {
			t.Errorf("browser console: %s", e)
		}
	}
}

// checkContrast fails the test for text under WCAG AA contrast (4.5:1)
// among the elements the selectors match (contrastJS).
func checkContrast(t *testing.T, b *webtest.Browser, selectors ...string) {
	t.Helper()
	type contrast struct {
		Text  string  `json:"text"`
		Ratio float64 `json:"ratio"`
	}
	for _, sel := range selectors {
		for _, c := range webtest.Run(b, chromedp.Evaluate[[]contrast]("("+contrastJS+")("+strconv.Quote(sel)+")")) {
			if c.Ratio < 4.5 {
				t.Errorf("%s %q: contrast %.2f:1, want ≥ 4.5:1", sel, c.Text, c.Ratio)
			}
		}
	}
}
