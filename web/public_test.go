package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// newPublicHandler serves every page that this package mounts itself, with
// the given public pages (nil: the default, all).
func newPublicHandler(t *testing.T, public map[string]bool, sessions Sessions) *Handler {
	t.Helper()
	a := loadExample(t)
	h, err := New(Options{Map: newFakeMap(5), Location: a.Location(), Now: func() time.Time { return testNow },
		Agreement: a, Reports: newFakeReports(t), Ledger: fakeLedger{}, Sessions: sessions, PublicPages: public})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

// publicRoutes are a page and data endpoint of each public page this
// package mounts (the scorecard is mounted with the response pages).
var publicRoutes = []struct{ page, target string }{
	{"overview", "/"},
	{"map", "/map"},
	{"map", "/map/markers.json"},
	{"map", "/map/zones.geojson"},
	{"reports", "/reports/daily"},
	{"reports", "/reports/daily/2026-11-20.json"},
	{"ledger", "/ledger"},
	{"agreement", "/agreement"},
	{"agreement", "/agreement/canonical.json"},
	{"assess", "/assess"},
}

// TestPublicPages: each page, for the public and for a signed-in viewer,
// listed in --public-pages or not: the public is sent to log in to an
// unlisted page (and comes back to it), a signed-in viewer sees it anyway,
// and the header links only what the viewer may open.
func TestPublicPages(t *testing.T) {
	for _, listed := range []bool{true, false} {
		for _, signedIn := range []bool{false, true} {
			for _, rt := range publicRoutes {
				public := map[string]bool{}
				for _, p := range PublicPageNames {
					public[p] = p != rt.page || listed
				}
				h := newPublicHandler(t, public, testSessions)
				var header []string
				if signedIn {
					header = []string{"Cookie", sessionCookie + "=analyst-token"}
				}
				rec := get(t, h, rt.target, header...)
				name := rt.target
				if listed {
					name += " listed"
				} else {
					name += " unlisted"
				}
				if signedIn {
					name += ", signed in"
				}
				if listed || signedIn {
					if rec.Code != http.StatusOK {
						t.Errorf("%s: %d, want 200", name, rec.Code)
					}
					continue
				}
				want := "/login?next=" + url.QueryEscape(rt.target)
				if rec.Code != http.StatusFound || rec.Header().Get("Location") != want {
					t.Errorf("%s: %d to %q, want 302 to %q", name, rec.Code, rec.Header().Get("Location"), want)
				}
			}
		}
	}
}

func TestPublicPagesNav(t *testing.T) {
	h := newPublicHandler(t, map[string]bool{"map": true, "agreement": true}, testSessions)
	public := get(t, h, "/map").Body.String()
	signedIn := get(t, h, "/map", "Cookie", sessionCookie+"=analyst-token").Body.String()
	for path, page := range navPages {
		if path == "/scorecard" || path == "/cases" {
			continue // mounted with the response and case pages
		}
		link := `<li><a href="` + path + `"`
		if got, want := strings.Contains(public, link), page == "map" || page == "agreement"; got != want {
			t.Errorf("public header links %s: %v, want %v", path, got, want)
		}
		if !strings.Contains(signedIn, link) {
			t.Errorf("signed-in header does not link %s", path)
		}
	}
}

// TestPublicPagesWithoutLogin: with log-in disabled an unlisted page
// cannot be seen by anyone, so it does not exist.
func TestPublicPagesWithoutLogin(t *testing.T) {
	h := newPublicHandler(t, map[string]bool{"map": true}, nil)
	if rec := get(t, h, "/ledger"); rec.Code != http.StatusNotFound {
		t.Errorf("unlisted /ledger without log-in: %d, want 404", rec.Code)
	}
	if rec := get(t, h, "/map"); rec.Code != http.StatusOK {
		t.Errorf("listed /map without log-in: %d, want 200", rec.Code)
	}
}

// TestPublicPagesPost: a form posted to an unlisted page sends the public
// to log in and back to the page, not to a replay of the post.
func TestPublicPagesPost(t *testing.T) {
	h := newPublicHandler(t, map[string]bool{}, testSessions)
	rec := postForm(t, h, "/assess?x=1", "", url.Values{"text": {"The Parties shall consult."}})
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/login?next=%2Fassess" {
		t.Errorf("POST /assess unlisted: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = postForm(t, h, "/assess", "analyst-token", url.Values{"text": {"The Parties shall consult."}})
	if rec.Code != http.StatusOK {
		t.Errorf("POST /assess signed in: %d, want 200", rec.Code)
	}
}

func TestParsePublicPages(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"map,reports,ledger,agreement,overview,scorecard,assess,cases", PublicPageNames, false},
		{" map , ledger ", []string{"ledger", "map"}, false},
		{"", nil, false},
		{"map,,map", []string{"map"}, false},
		{"map,review", nil, true},
		{"Map", nil, true},
	}
	for _, tt := range tests {
		got, err := ParsePublicPages(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePublicPages(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "public-pages") && !strings.Contains(err.Error(), "unknown page") {
				t.Errorf("ParsePublicPages(%q) error %q does not say what is wrong", tt.in, err)
			}
			continue
		}
		var names []string
		for n := range got {
			names = append(names, n)
		}
		slices.Sort(names)
		want := slices.Sorted(slices.Values(tt.want))
		if got == nil || !slices.Equal(names, want) {
			t.Errorf("ParsePublicPages(%q) = %v, want %v (non-nil)", tt.in, names, want)
		}
	}
}

func FuzzParsePublicPages(f *testing.F) {
	f.Add("map,reports")
	f.Add(" , ledger,,")
	f.Add("review")
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParsePublicPages(s)
		if err != nil {
			return
		}
		for n := range set {
			if !slices.Contains(PublicPageNames, n) {
				t.Fatalf("ParsePublicPages(%q) accepted %q", s, n)
			}
		}
	})
}
