package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Pages are gzipped for browsers that accept it, keeping their status and
// headers; clients that do not ask get the plain page.
func TestPagesCompressed(t *testing.T) {
	h := newTestHandler(t, newFakeMap(3))
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/map", http.StatusOK},
		{"/no-such-page", http.StatusNotFound},
	} {
		plain := get(t, h, tc.path)
		zipped := get(t, h, tc.path, "Accept-Encoding", "gzip, deflate, br")
		if plain.Code != tc.status || zipped.Code != tc.status {
			t.Fatalf("%s: status %d plain, %d gzip; want %d", tc.path, plain.Code, zipped.Code, tc.status)
		}
		if plain.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed for a client that did not ask", tc.path)
		}
		if zipped.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(zipped.Header().Values("Vary"), ","), "Accept-Encoding") {
			t.Fatalf("%s: headers %v, want gzip and Vary: Accept-Encoding", tc.path, zipped.Header())
		}
		if zipped.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: the compressed page lost its security headers", tc.path)
		}
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != plain.Body.String() {
			t.Errorf("%s: the gzipped page differs from the plain one", tc.path)
		}
	}
}
