package main

import (
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch/web/webbench"
)

// benchWeb measures the map page in headless Chromium: a month of
// synthetic incidents served on loopback, or a running server's map.
func benchWeb(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench web", "[flags]", "Open the map page in headless Chromium and print how long it takes until every incident is on the map:\n"+
		"the first load with an empty cache, then warm loads. Without --url it serves --incidents synthetic incidents over\n"+
		"30 days along the example agreement's contact line, every status (as an analyst sees them), on loopback.", stderr)
	incidents := fs.Int("incidents", 3000, "synthetic incidents (a month at 100 a day)")
	loads := fs.Int("loads", 6, "page loads (the first with an empty cache)")
	url := fs.String("url", "", "measure this map page of a running server instead, e.g. http://127.0.0.1:8080/map")
	tokenFile := fs.String("token-file", "", "with --url: sign in with the token in this file first (e.g. the demo analyst's, to see every status)")
	chromium := fs.String("chromium", "", "Chromium binary (default $PACTWATCH_TEST_CHROMIUM, else /usr/bin/chromium)")
	timeout := fs.Duration("timeout", time.Minute, "time allowed for each page load")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	var token string
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	_, err := webbench.Run(ctx, webbench.Config{Incidents: *incidents, Loads: *loads, URL: *url, Token: token, Chromium: *chromium, Timeout: *timeout}, stdout)
	return err
}
