package webbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/web"
)

// Config says what to measure.
type Config struct {
	// Incidents is how many synthetic incidents to serve (a month at 100 a
	// day is 3,000). Ignored with URL.
	Incidents int
	// Loads is how many times the page is loaded; the first finds the
	// browser's cache empty, the others as a returning user does.
	Loads int
	// URL, if set, is a map page of a running server to measure instead,
	// e.g. http://127.0.0.1:8080/map (what the public sees there).
	URL string
	// Token, with URL, signs in first (the log-in page, as a user does),
	// to measure what that principal sees, e.g. an analyst's every status.
	Token string
	// Chromium is the browser (default PACTWATCH_TEST_CHROMIUM, else
	// /usr/bin/chromium).
	Chromium string
	// Timeout bounds each page load (default 60 s).
	Timeout time.Duration
}

// Load is one page load's figures, in milliseconds.
type Load struct {
	ReadyMs   float64 // navigation start until every marker is on the map (map.js's data-ready-ms)
	MarkersMs float64 // the markers' request until they are drawn (data-render-ms)
	Markers   int     // markers drawn
}

// Result is what Run measured.
type Result struct {
	URL                string
	SignedIn           bool
	Incidents          int // synthetic incidents served (0 with Config.URL)
	MarkersJSONMs      float64
	MarkersJSONBytes   int
	Loads              []Load
	ColdMs, WarmMedian float64
}

// Run measures the map page and prints the figures to w.
func Run(ctx context.Context, cfg Config, w io.Writer) (*Result, error) {
	if cfg.Loads < 1 {
		cfg.Loads = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Chromium == "" {
		cfg.Chromium = os.Getenv("PACTWATCH_TEST_CHROMIUM")
	}
	if cfg.Chromium == "" {
		cfg.Chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(cfg.Chromium); err != nil {
		return nil, fmt.Errorf("webbench: needs Chromium: %w (give its path)", err)
	}
	res := &Result{URL: cfg.URL, SignedIn: cfg.Token != "" && cfg.URL != ""}
	if cfg.URL == "" {
		cfg.Token = "" // the synthetic server shows everything without a session
	}
	if res.URL == "" {
		url, stop, err := serve(cfg.Incidents)
		if err != nil {
			return nil, err
		}
		defer stop()
		res.URL, res.Incidents = url+"/map?lang=en", cfg.Incidents
		res.MarkersJSONMs, res.MarkersJSONBytes, err = timeGet(ctx, url+"/map/markers.json")
		if err != nil {
			return nil, err
		}
	}
	loads, err := loadPages(ctx, cfg, res.URL)
	if err != nil {
		return nil, err
	}
	res.Loads = loads
	res.ColdMs = loads[0].ReadyMs
	if len(loads) > 1 {
		var warm []float64
		for _, l := range loads[1:] {
			warm = append(warm, l.ReadyMs)
		}
		slices.Sort(warm)
		res.WarmMedian = warm[len(warm)/2]
	}
	res.print(w)
	return res, nil
}

func (r *Result) print(w io.Writer) {
	if r.Incidents > 0 {
		fmt.Fprintf(w, "pactwatch bench web: the map page with %d synthetic incidents over a month (every status, as an analyst sees them)\n", r.Incidents)
		fmt.Fprintf(w, "markers.json: %d bytes in %.0f ms (server, uncompressed)\n", r.MarkersJSONBytes, r.MarkersJSONMs)
	} else {
		fmt.Fprintf(w, "pactwatch bench web: %s\n", r.URL)
		if r.SignedIn {
			fmt.Fprintf(w, "signed in with the token given\n")
		}
	}
	for i, l := range r.Loads {
		cache := "warm cache"
		if i == 0 {
			cache = "cold cache"
		}
		fmt.Fprintf(w, "load %d (%s): %d markers on the map %.0f ms after navigation start (markers: %.0f ms from request to drawn)\n",
			i+1, cache, l.Markers, l.ReadyMs, l.MarkersMs)
	}
	if len(r.Loads) > 1 {
		fmt.Fprintf(w, "median of the warm loads: %.0f ms\n", r.WarmMedian)
	}
}

// serve starts the web interface on loopback over n synthetic incidents,
// with the example agreement's zones.
func serve(n int) (string, func(), error) {
	a, err := agreement.ParseFS(examples.Ukraine, "agreement.yaml")
	if err != nil {
		return "", nil, err
	}
	end := time.Now()
	src, err := Month(a, n, end)
	if err != nil {
		return "", nil, err
	}
	h, err := web.New(web.Options{Map: web.IncidentMap{Incidents: src}, Location: a.Location(), Now: func() time.Time { return end }})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// timeGet times one GET, body read.
func timeGet(ctx context.Context, url string) (float64, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("webbench: GET %s: %s", url, resp.Status)
	}
	return float64(time.Since(start).Microseconds()) / 1000, len(b), nil
}

// loadPages opens the page cfg.Loads times in one headless Chromium and
// reads what map.js recorded on #map.
func loadPages(ctx context.Context, cfg Config, url string) ([]Load, error) {
	tab, stop, err := startBrowser(ctx, cfg.Chromium)
	if err != nil {
		return nil, err
	}
	defer stop()
	if cfg.Token != "" {
		if err := signIn(tab, cfg.Timeout, url, cfg.Token); err != nil {
			return nil, err
		}
	}
	var loads []Load
	for range cfg.Loads {
		l, err := loadOnce(tab, cfg.Timeout, url)
		if err != nil {
			return nil, err
		}
		loads = append(loads, l)
	}
	return loads, nil
}

// startBrowser starts headless Chromium with a throw-away profile and no
// network but loopback, and returns its tab.
func startBrowser(ctx context.Context, chromium string) (context.Context, func(), error) {
	profile, err := os.MkdirTemp("", "pactwatch-bench-chromium-")
	if err != nil {
		return nil, nil, err
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true))
	tab, cancel := chromedp.NewContext(allocCtx)
	stop := func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile) // after the browser exited
	}
	if err := chromedp.Do(tab); err != nil {
		stop()
		return nil, nil, fmt.Errorf("webbench: starting %s: %w", chromium, err)
	}
	return tab, stop, nil
}

// signIn pastes the token into the log-in page of the server that serves
// page, and waits until the session cookie is set (the page moves on).
func signIn(tab context.Context, timeout time.Duration, page, token string) error {
	u, err := neturl.Parse(page)
	if err != nil {
		return err
	}
	login := u.Scheme + "://" + u.Host + "/login?next=/"
	ctx, cancel := context.WithTimeout(tab, timeout)
	defer cancel()
	err = chromedp.Do(ctx, chromedp.Navigate(login), chromedp.SetValue(chromedp.CSS("#l-token"), token))
	if err == nil {
		// The click navigates away, which may end the click's own call.
		if err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("main form button"))); navigating(err) {
			err = nil
		}
	}
	for err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`location.pathname !== "/login"`, chromedp.WithPollingTimeout(timeout)))
		if err == nil {
			return nil
		}
		if navigating(err) && ctx.Err() == nil {
			err = nil
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fmt.Errorf("webbench: signing in at %s: %w", login, err)
}

// navigating reports whether err comes from a page being replaced under a
// call, which a retry on the new page resolves.
func navigating(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "context with specified id") || strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated or closed")
}

const ready = `(() => { const m = document.getElementById("map"); return !!m && m.dataset.ready === "true"; })()`

func loadOnce(tab context.Context, timeout time.Duration, url string) (Load, error) {
	ctx, cancel := context.WithTimeout(tab, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return Load{}, fmt.Errorf("webbench: opening %s: %w", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingTimeout(timeout))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("map") || {dataset: {}}).dataset.error || ""`))
		return Load{}, errors.Join(fmt.Errorf("webbench: the map at %s did not become ready: %w", url, err), errorIf(msg))
	}
	data, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.assign({}, document.getElementById("map").dataset)`))
	if err != nil {
		return Load{}, err
	}
	num := func(k string) float64 {
		f, _ := strconv.ParseFloat(data[k], 64)
		return f
	}
	return Load{ReadyMs: num("readyMs"), MarkersMs: num("renderMs"), Markers: int(num("markerCount"))}, nil
}

func errorIf(msg string) error {
	if msg == "" {
		return nil
	}
	return errors.New("the page says: " + msg)
}
