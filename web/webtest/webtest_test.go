package webtest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pactwatch/pactwatch/web/webtest"
)

// TestBrowserReportsPageErrors checks the harness itself: a page's
// exceptions, console.error calls and CSP violations reach Errors, values
// come back from Run, and screenshots land in test-artifacts/.
func TestBrowserReportsPageErrors(t *testing.T) {
	b := webtest.NewBrowser(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><h1>hello</h1>
<script src="/app.js"></script><script>window.inline = true</script>`))
	})
	mux.HandleFunc("/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(`console.error("boom from app.js"); document.body.dataset.ready = "yes"; setTimeout(() => { throw new Error("uncaught later") }, 0);`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b.Do(chromedp.Navigate(srv.URL))
	b.WaitTrue(`document.body.dataset.ready === "yes"`)
	if h1 := webtest.Run(b, chromedp.Text("h1")); h1 != "hello" {
		t.Errorf("h1 %q", h1)
	}
	if inline := webtest.Run(b, chromedp.Evaluate[bool](`window.inline === true`)); inline {
		t.Error("the inline script ran despite the CSP")
	}
	want := []string{"boom from app.js", "uncaught later", "Content Security Policy"}
	b.WaitTrue(`new Promise(r => setTimeout(() => r(true), 100))`) // let late errors arrive
	got := strings.Join(b.Errors(), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("errors lack %q:\n%s", w, got)
		}
	}

	path := b.Screenshot("hello page")
	if filepath.Base(path) != "hello_page.png" || !strings.Contains(path, filepath.Join("test-artifacts", "TestBrowserReportsPageErrors")) {
		t.Errorf("screenshot path %s", path)
	}
	if data, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
		t.Errorf("screenshot: %v, %d bytes", err, len(data))
	}
}
