package web

import (
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pactwatch/pactwatch/web/webtest"
)

// TestOverviewOnAPhone opens the overview on a 360 px screen: the page
// must not be wider than the screen (the wide case and step tables scroll
// inside their box), and the tiles, cases and steps are there.
func TestOverviewOnAPhone(t *testing.T) {
	b := webtest.NewBrowser(t)
	src, resp := ovSources()
	srv := httptest.NewServer(newComplianceOverviewHandler(t, src, resp))
	defer srv.Close()
	b.Do(chromedp.EmulateViewport(360, 800), chromedp.Navigate(srv.URL+"/?lang=uk"))
	b.WaitTrue(`document.getElementById("open-cases-table") !== null`)
	if w := webtest.Run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("page %d px wide on a 360 px screen", w)
	}
	if n := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("#steps-overdue-table tbody tr").length`)); n != 2 {
		t.Errorf("%d overdue steps shown, want 2", n)
	}
	b.Screenshot("overview-phone-uk")
	b.NoConsoleErrors()
}
