package web

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pactwatch/pactwatch/web/webtest"
)

// TestCaseBoardInBrowser walks a guarantor liaison through the board in
// headless Chromium: log in, see its pending step with a countdown that
// ticks, open the case, record an action with the plain form, and see the
// step done; another guarantor's liaison then gets no form for that step.
// The scorecard draws its charts in English and Ukrainian. Screenshots:
// test-artifacts/TestCaseBoardInBrowser/.
func TestCaseBoardInBrowser(t *testing.T) {
	b := webtest.NewBrowser(t)
	h, f := newCasesHandler(t)
	srv := httptest.NewServer(h)
	defer srv.Close()

	const step = "case-a/guarantor-response/statement/uk"
	const anchor = "step-case-a_guarantor-response_statement_uk"
	countdown := `document.querySelector('[data-step="` + step + `"]').closest("li").querySelector(".countdown").textContent`
	login := func(token string) {
		b.Do(
			chromedp.Navigate(srv.URL+"/login?lang=en&next=/cases"),
			chromedp.WaitVisible(chromedp.CSS("#l-token")),
			chromedp.SetValue(chromedp.CSS("#l-token"), token),
			chromedp.Click(chromedp.CSS(".login-form button[type=submit]")),
		)
		b.WaitTrue(`location.pathname === "/cases" && document.getElementById("case-board")?.dataset.live === "true"`)
	}

	// A case whose first step falls due two seconds after the page loads.
	f.add(t, "case-e", "withdrawal-ukraine", "ukraine", testNow.Add(-7*time.Hour), testNow.Add(-6*time.Hour+2*time.Second))
	f.now = testNow

	b.Do(chromedp.EmulateViewport(1100, 900))
	login("uk-token")
	first := webtest.Run(b, chromedp.Evaluate[string](countdown))
	// The server's clock is testNow; the page counts from it, not from
	// this machine's clock: 18 h left, less a second or two.
	if !regexp.MustCompile(`^1[78] h \d\d min \d\d s left$`).MatchString(first) {
		t.Fatalf("countdown reads %q, want about 18 h left", first)
	}
	time.Sleep(1100 * time.Millisecond)
	if second := webtest.Run(b, chromedp.Evaluate[string](countdown)); second == first {
		t.Errorf("countdown did not tick: %q", second)
	}
	overdue := webtest.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-step="case-a/guarantor-response/consult/uk"]').closest("li").querySelector(".countdown").textContent`))
	if !strings.HasPrefix(overdue, "overdue by 6 h 00 min") {
		t.Errorf("overdue step reads %q", overdue)
	}
	// The mission's notification of case-e passes its deadline while the
	// page is open: the countdown and the step's state turn overdue.
	notify := `document.querySelector('[data-step="case-e/guarantor-response/notify/mission"]')`
	if got := webtest.Run(b, chromedp.Evaluate[string](notify+`.dataset.state`)); got != "pending" {
		t.Errorf("case-e notify is %q on load, want pending", got)
	}
	b.WaitTrue(notify + `.dataset.state === "overdue"`)
	badge := webtest.Run(b, chromedp.Evaluate[string](notify+`.closest("li").querySelector(".step-state").textContent`))
	left := webtest.Run(b, chromedp.Evaluate[string](notify+`.closest("li").querySelector(".countdown").textContent`))
	if badge != "Overdue" || !strings.HasPrefix(left, "overdue by ") {
		t.Errorf("after its deadline case-e notify reads %q, %q", badge, left)
	}
	b.Screenshot("board-uk-liaison")

	b.Do(chromedp.Click(chromedp.CSS(`[data-step="` + step + `"] .act-link`)))
	b.WaitTrue(`location.pathname === "/cases/case-a" && document.getElementById("statement-` + anchor + `") !== null`)
	b.Do(
		chromedp.SetValue(chromedp.CSS("#statement-"+anchor), "The Foreign Secretary attributed the shelling to Russia."),
		chromedp.SetValue(chromedp.CSS("#reference-"+anchor), "https://gov.example/statement/2026-11-22"),
		chromedp.Click(chromedp.CSS("#form-"+anchor+" button[type=submit]")),
	)
	b.WaitTrue(`document.getElementById("recorded-notice") !== null`)
	if got := webtest.Run(b, chromedp.Evaluate[string](`document.getElementById("`+anchor+`").dataset.state`)); got != "done" {
		t.Errorf("step is %q after recording, want done", got)
	}
	if n := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("#form-`+anchor+`").length`)); n != 0 {
		t.Error("the done step still offers a form")
	}
	b.Screenshot("case-recorded")

	// On a phone the page fits the screen.
	b.Do(chromedp.EmulateViewport(360, 740))
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("the case page is %d px wide on a 360 px screen", w)
	}
	b.Screenshot("case-phone")
	b.Do(chromedp.EmulateViewport(1100, 900))

	// Another guarantor's liaison: a form for its own step, none for the UK's.
	login("us-token")
	b.Do(chromedp.Navigate(srv.URL + "/cases/case-a"))
	b.WaitTrue(`document.getElementById("case-board")?.dataset.live === "true"`)
	forms := webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("form.action-form input[name=step]")).map(e => e.value)`))
	if strings.Contains(strings.Join(forms, " "), step) || !strings.Contains(strings.Join(forms, " "), "case-a/guarantor-response/statement/us") {
		t.Errorf("the US liaison gets forms for %q", forms)
	}

	for _, tc := range []struct{ lang, title string }{{"en", "Guarantor scorecard"}, {"uk", "Показники гарантів"}} {
		b.Do(chromedp.Navigate(srv.URL + "/scorecard?lang=" + tc.lang))
		b.WaitTrue(`document.getElementById("chart-guarantors") !== null`)
		if got := webtest.Run(b, chromedp.Evaluate[string](`document.querySelector("h1").textContent`)); got != tc.title {
			t.Errorf("%s: title %q", tc.lang, got)
		}
		segs := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("#chart-guarantors rect.seg").length`))
		cols := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("#chart-cases rect.bar-cases").length`))
		if segs == 0 || cols == 0 {
			t.Errorf("%s: %d bar segments, %d columns", tc.lang, segs, cols)
		}
		// The segments are coloured by the stylesheet (no inline style).
		fill := webtest.Run(b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#chart-guarantors rect.seg-on_time")).fill`))
		if fill != "rgb(30, 123, 60)" {
			t.Errorf("%s: on-time segments filled %s", tc.lang, fill)
		}
		b.Screenshot("scorecard-" + tc.lang)
	}
	// On a phone the charts scale down and the wide tables scroll in place.
	b.Do(chromedp.EmulateViewport(360, 740))
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("the scorecard is %d px wide on a 360 px screen", w)
	}
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.getElementById("chart-guarantors").getBoundingClientRect().width`)); w > 340 {
		t.Errorf("the guarantors' chart is %d px wide on a 360 px screen", w)
	}
	b.Screenshot("scorecard-phone")
	b.NoConsoleErrors()
}
