package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServePublicPages: --public-pages keeps the unlisted pages from the
// public (sent to log in) and serves the listed ones, the agreement page
// showing the agreement the server runs.
func TestServePublicPages(t *testing.T) {
	url, _ := serveInProcess(t, "--data", t.TempDir(), "--public-pages", "map,agreement")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path, location string
		status         int
	}{
		{"/map", "", http.StatusOK},
		{"/agreement", "", http.StatusOK},
		{"/ledger", "/login?next=%2Fledger", http.StatusFound},
		{"/", "/login?next=%2F", http.StatusFound},
		{"/login", "", http.StatusOK},
	} {
		resp, err := client.Get(url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
			t.Errorf("GET %s: %d to %q, want %d to %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.status, tc.location)
		}
		if tc.path == "/agreement" && !strings.Contains(string(body), "Illustrative security-guarantee agreement") {
			t.Error("the agreement page does not show the example agreement")
		}
	}
	if _, stderr, err := runCLI(t, "serve", "--data", t.TempDir(), "--public-pages", "map,review"); err == nil || !strings.Contains(stderr, `unknown page "review"`) {
		t.Errorf("--public-pages map,review: %v, %q; want an error naming review", err, stderr)
	}
}
