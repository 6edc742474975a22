package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pactwatch/pactwatch/web/webtest"
)

// TestLoginInBrowser goes through the session in headless Chromium as a
// user does: the overview's log-in link, the token form (a plain post), the
// viewer's name in the header, the language switch keeping the session,
// and the log-out form. Screenshots: test-artifacts/TestLoginInBrowser/.
func TestLoginInBrowser(t *testing.T) {
	b := webtest.NewBrowser(t)
	a := loadExample(t)
	h, err := New(Options{Map: newFakeMap(50), Location: a.Location(), Now: func() time.Time { return testNow },
		Agreement: a, Ledger: fakeLedger{}, Witnesses: testWitnesses, WitnessQuorum: 1, Sessions: testSessions})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	text := func(sel string) string {
		return webtest.Run(b, chromedp.Evaluate[string](`(document.querySelector("`+sel+`") || {innerText: ""}).innerText`))
	}
	b.Do(
		chromedp.EmulateViewport(1000, 800),
		chromedp.Navigate(srv.URL+"/?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(".login-link")),
		chromedp.Click(chromedp.CSS(".login-link")),
		chromedp.WaitVisible(chromedp.CSS("#l-token")),
		chromedp.SendKeys(chromedp.CSS("#l-token"), "analyst-token"),
		chromedp.Click(chromedp.CSS(".login-form button[type=submit]")),
	)
	b.WaitTrue(`document.querySelector(".who") !== null`)
	if got := text(".who"); !strings.Contains(got, "A. Analyst") || !strings.Contains(got, "analyst") {
		t.Errorf("header after log-in reads %q, want the analyst's name and role", got)
	}
	// "next" brought the user back to the overview in English.
	if path := webtest.Run(b, chromedp.Evaluate[string](`location.pathname + location.search`)); path != "/?lang=en" {
		t.Errorf("after log-in the browser is at %q, want /?lang=en", path)
	}
	b.Screenshot("signed-in-en")

	b.Do(chromedp.Click(chromedp.CSS(`.lang-switch a[data-lang="uk"]`)))
	b.WaitTrue(`document.documentElement.lang === "uk"`)
	if got := text(".who"); !strings.Contains(got, "A. Analyst") || strings.Contains(got, "Signed in") {
		t.Errorf("header in Ukrainian reads %q, want the name in a Ukrainian sentence", got)
	}
	if h1 := text("h1"); h1 == "Overview" || h1 == "" {
		t.Errorf("overview heading in Ukrainian is %q", h1)
	}
	b.Screenshot("signed-in-uk")

	b.Do(chromedp.Click(chromedp.CSS(".logout-form button[type=submit]")))
	b.WaitTrue(`document.querySelector(".login-link") !== null && document.querySelector(".who") === null`)
	// The session is gone, not just hidden: a fresh load is the public's.
	b.Do(chromedp.Navigate(srv.URL + "/"))
	b.WaitTrue(`document.querySelector(".login-link") !== null`)
	if lang := webtest.Run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "uk" {
		t.Errorf("after log-out the page is in %q, want the remembered uk", lang)
	}
	b.Screenshot("signed-out")
	b.NoConsoleErrors()
}

// TestAgreementPageOnPhone opens the agreement page at 360 px: nothing may
// be wider than the screen (keys, hashes and tables wrap or scroll in
// their own box), and the wording assessments' marks are there.
func TestAgreementPageOnPhone(t *testing.T) {
	b := webtest.NewBrowser(t)
	srv := httptest.NewServer(newAgreementHandler(t, loadExample(t)))
	defer srv.Close()
	b.Do(
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(srv.URL+"/agreement?lang=uk"),
		chromedp.WaitVisible(chromedp.CSS("#agreement-hash")),
	)
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		wide := webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main *")).filter(e => e.getBoundingClientRect().right > 361 && !e.closest(".table-wrap")).slice(0, 5).map(e => e.tagName + "." + e.className)`))
		t.Errorf("page is %d px wide on a 360 px screen; too wide: %v", w, wide)
	}
	if n := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll(".wording mark").length`)); n == 0 {
		t.Error("no decisive words marked in the wording assessments")
	}
	b.Screenshot("agreement-phone-uk")
	webtest.Run(b, chromedp.Evaluate[bool](`document.querySelector("#a-commitments").scrollIntoView(), true`))
	b.Screenshot("agreement-phone-commitments")
	b.NoConsoleErrors()
}
