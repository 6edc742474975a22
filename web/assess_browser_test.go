package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pactwatch/pactwatch/web/webtest"
)

const assessResults = `document.querySelector(".assess-results") !== null`

// TestAssessPageInBrowser pastes the Budapest Memorandum's paragraph 4 and
// NATO's Article 5 into the form in headless Chromium, submits it (a plain
// form post, no script on the page), and checks what a reader sees: an
// assurance and a guarantee, each with its decisive words marked, in
// English and Ukrainian. Screenshots: test-artifacts/TestAssessPageInBrowser/.
func TestAssessPageInBrowser(t *testing.T) {
	b := webtest.NewBrowser(t)
	srv := httptest.NewServer(newTestHandler(t, newFakeMap(0)))
	defer srv.Close()

	tests := []struct {
		ui, text, lang string
		labels         []string
		badges         []string // the badges' visible text
		marks          []string // words that must be marked
	}{
		{"en", budapest4 + "\n\n" + nato5, "", []string{"assurance", "guarantee"}, []string{"Assurance", "Guarantee"},
			[]string{"seek immediate United Nations Security Council action", "armed force"}},
		{"uk", budapest4uk, "uk", []string{"assurance"}, []string{"Запевнення"}, []string{"домагатися"}},
	}
	for _, tt := range tests {
		b.Do(
			chromedp.EmulateViewport(1100, 900),
			chromedp.Navigate(srv.URL+"/assess?lang="+tt.ui),
			chromedp.WaitVisible(chromedp.CSS("#a-text")),
			chromedp.SetValue(chromedp.CSS("#a-text"), tt.text),
			chromedp.SetValue(chromedp.CSS("#a-lang"), tt.lang),
			chromedp.Click(chromedp.CSS("#assess-form button[type=submit]")),
		)
		b.WaitTrue(assessResults)

		labels := webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".clause .badge")).map(e => e.dataset.label)`))
		if strings.Join(labels, " ") != strings.Join(tt.labels, " ") {
			t.Errorf("%s: labels %q, want %q", tt.ui, labels, tt.labels)
		}
		badges := webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".clause .badge")).map(e => e.innerText.trim())`))
		if strings.Join(badges, " ") != strings.Join(tt.badges, " ") {
			t.Errorf("%s: badges read %q, want %q", tt.ui, badges, tt.badges)
		}
		marks := webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".clause-text mark")).map(e => e.textContent)`))
		for _, w := range tt.marks {
			if !strings.Contains(strings.Join(marks, "|"), w) {
				t.Errorf("%s: marks %q lack %q", tt.ui, marks, w)
			}
		}
		// The clause text the reader sees is the pasted text, marks and all.
		shown := webtest.Run(b, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".clause-text")).map(e => e.textContent).join("\n\n")`))
		if shown != tt.text {
			t.Errorf("%s: clauses read %q, want the pasted text", tt.ui, shown)
		}
		// The form keeps what was sent, and the page language stays.
		if got := webtest.Run(b, chromedp.Evaluate[string](`document.getElementById("a-text").value`)); got != tt.text {
			t.Errorf("%s: textarea not refilled", tt.ui)
		}
		if got := webtest.Run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); got != tt.ui {
			t.Errorf("page language %q, want %q", got, tt.ui)
		}
		// The mark is legible: dark text on a light highlight.
		contrast := webtest.Run(b, chromedp.Evaluate[string](`(() => { const m = document.querySelector(".clause-text mark"); const s = getComputedStyle(m); return s.color + " on " + s.backgroundColor; })()`))
		if contrast != "rgb(27, 31, 36) on rgb(255, 224, 102)" {
			t.Errorf("%s: mark drawn %s", tt.ui, contrast)
		}
		b.Do(chromedp.ScrollIntoView(chromedp.CSS(".assess-results")))
		b.Screenshot("assess-" + tt.ui)
		png := webtest.Run(b, chromedp.FullScreenshot(100))
		dir, err := webtest.ArtifactsDir(t)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "assess-"+tt.ui+"-full.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// On a phone the page does not scroll sideways.
	b.Do(chromedp.EmulateViewport(390, 844))
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
		t.Errorf("on a 390 px screen the page is %d px too wide", w)
	}
	b.Screenshot("assess-phone")
	b.NoConsoleErrors()
}
