// Package webtest runs pactwatch's browser tests in a real headless
// Chromium driven by chromedp. A page test serves the web handler with
// httptest, opens it in the browser, and checks what a user would see:
//
//	b := webtest.NewBrowser(t)           // skips when Chromium is absent (fatal under CI=true)
//	srv := httptest.NewServer(handler)
//	b.Do(chromedp.Navigate(srv.URL + "/map"))
//	n := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll(".pw-marker").length`))
//	b.Screenshot("map-en")               // test-artifacts/<Test>/map-en.png
//	b.NoConsoleErrors()                  // exceptions, console.error, CSP violations
//
// Chromium comes from PACTWATCH_TEST_CHROMIUM, default /usr/bin/chromium.
package webtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds each Do and Run call, so a page that never becomes
// ready fails its test instead of hanging until go test's timeout.
const DefaultTimeout = 30 * time.Second

// ChromiumPath returns the Chromium binary the tests use. When it is missing
// the test is skipped with a message, except under CI=true, where a missing
// browser is a failure: CI must run the browser tests.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("PACTWATCH_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("browser test needs Chromium: %v (set PACTWATCH_TEST_CHROMIUM, or install Debian's chromium; scripts/test.sh does)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// Browser is one headless Chromium with one tab, closed when the test ends.
type Browser struct {
	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// NewBrowser starts headless Chromium with a throw-away profile and opens a
// tab. The flags keep the browser off the network (no component updates, no
// sync, no background requests): tests talk only to their loopback server.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path := ChromiumPath(t)
	profile, err := os.MkdirTemp("", "pactwatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	// Chromium may still write to its profile while it shuts down; remove the
	// folder after it has exited (cleanups run last-registered first).
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &Browser{t: t, ctx: ctx}
	// The first action starts the browser; it must run on the tab's own
	// context, not a timeout child, or the timeout would end the browser.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// Context is the tab's context, for chromedp calls the helpers do not cover.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs actions in order with DefaultTimeout, failing the test on error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v%s", err, b.consoleSummary())
	}
}

// Run runs one action with DefaultTimeout and returns its value, failing the
// test on error.
func Run[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("browser: %v%s", err, b.consoleSummary())
	}
	return v
}

// WaitTrue polls a JavaScript expression until it is truthy. It survives
// navigations (a click on a link) that destroy the page's JavaScript context
// while it polls.
func (b *Browser) WaitTrue(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(DefaultTimeout)
	for {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !navigating(err) {
			b.t.Fatalf("browser: waiting for %s: %v%s", expr, err, b.consoleSummary())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// navigating reports whether err comes from a page being replaced under an
// evaluation, which a retry on the new page resolves.
func navigating(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "context with specified id") ||
		strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated or closed")
}

// Console returns the console messages, exceptions and browser log entries
// seen so far.
func (b *Browser) Console() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.console...)
}

// Errors returns the console messages that mean something went wrong: an
// uncaught exception, console.error, or an error in the browser log (failed
// requests, Content-Security-Policy violations).
func (b *Browser) Errors() []string {
	var out []string
	for _, m := range b.Console() {
		if m.IsException() || m.Type == chromedp.ConsoleError {
			out = append(out, m.String())
		}
	}
	return out
}

// NoConsoleErrors fails the test if the page logged any error.
func (b *Browser) NoConsoleErrors() {
	b.t.Helper()
	if errs := b.Errors(); len(errs) > 0 {
		b.t.Errorf("browser console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

func (b *Browser) consoleSummary() string {
	if errs := b.Errors(); len(errs) > 0 {
		return "\nconsole errors:\n  " + strings.Join(errs, "\n  ")
	}
	return ""
}

// Screenshot saves a PNG of the viewport as
// test-artifacts/<TestName>/<name>.png at the module root and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Run(b, chromedp.CaptureScreenshot())
	dir, err := ArtifactsDir(b.t)
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, sanitize(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// ArtifactsDir returns (and creates) test-artifacts/<TestName> at the module
// root, where CI collects screenshots; the folder is ignored by git.
func ArtifactsDir(t testing.TB) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("webtest: no go.mod above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, "test-artifacts", sanitize(t.Name()))
	return out, os.MkdirAll(out, 0o755)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func sanitize(s string) string { return unsafeName.ReplaceAllString(s, "_") }
