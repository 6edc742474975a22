package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/vocab"
)

// fakeSessions knows one token per principal.
type fakeSessions map[string]Viewer

func (f fakeSessions) Principal(_ context.Context, token string) (Viewer, error) {
	v, ok := f[token]
	if !ok {
		return Viewer{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "token", "unknown token")
	}
	return v, nil
}

var testSessions = fakeSessions{
	"analyst-token": {ID: "analyst-1", Name: "A. Analyst", Role: vocab.RoleAnalyst},
	"liaison-token": {ID: "liaison-uk", Name: "UK liaison", Role: vocab.RoleGuarantorLiaison, Of: "uk"},
}

func newSessionHandler(t testing.TB) *Handler {
	t.Helper()
	h, err := New(Options{Map: newFakeMap(3), Now: func() time.Time { return testNow }, Sessions: testSessions})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

// postForm posts a same-origin form (as a browser does: Sec-Fetch-Site),
// with the session cookie when session is not empty.
func postForm(t testing.TB, h http.Handler, target, session string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestLoginSetsStrictHttpOnlyCookie(t *testing.T) {
	h := newSessionHandler(t)
	rec := postForm(t, h, "/login", "", url.Values{"token": {"analyst-token"}, "next": {"/map"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/map" {
		t.Fatalf("login: %d to %q, want 303 to /map", rec.Code, rec.Header().Get("Location"))
	}
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != sessionCookie || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie = %+v, want one HttpOnly SameSite=Strict session cookie", c)
	}
	for _, tc := range []struct {
		name, token, next string
		want              int
	}{
		{"unknown token", "nope", "/", http.StatusUnauthorized},
		{"empty token", " ", "/", http.StatusBadRequest},
	} {
		rec := postForm(t, h, "/login", "", url.Values{"token": {tc.token}, "next": {tc.next}})
		if rec.Code != tc.want || len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s: %d with cookies %v, want %d and none", tc.name, rec.Code, rec.Result().Cookies(), tc.want)
		}
	}
	// Another site's page cannot log a visitor in (login CSRF).
	rec = postForm(t, h, "/login", "", url.Values{"token": {"analyst-token"}}, "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Errorf("cross-site login: %d, cookies %v; want 403 and none", rec.Code, rec.Result().Cookies())
	}
	// "next" never leaves the site.
	rec = postForm(t, h, "/login", "", url.Values{"token": {"analyst-token"}, "next": {"//evil.example/"}})
	if loc := rec.Header().Get("Location"); loc != "/" {
		t.Errorf("next=//evil.example/ redirected to %q, want /", loc)
	}
}

func TestSignedInFormsNeedTheSessionToken(t *testing.T) {
	h := newSessionHandler(t)
	// The page carries the token in the log-out form.
	page := get(t, h, "/", "Cookie", sessionCookie+"=analyst-token")
	want := csrfToken("analyst-token")
	if !strings.Contains(page.Body.String(), `name="csrf" value="`+want+`"`) {
		t.Fatalf("signed-in page has no csrf field with the session's token")
	}
	if csrfToken("liaison-token") == want {
		t.Fatal("two sessions share a form token")
	}
	for _, tc := range []struct {
		name, csrf, site string
		want             int
	}{
		{"no token", "", "same-origin", http.StatusForbidden},
		{"another session's token", csrfToken("liaison-token"), "same-origin", http.StatusForbidden},
		{"right token, other site", want, "cross-site", http.StatusForbidden},
		{"right token", want, "same-origin", http.StatusSeeOther},
	} {
		rec := postForm(t, h, "/logout", "analyst-token", url.Values{"csrf": {tc.csrf}}, "Sec-Fetch-Site", tc.site)
		if rec.Code != tc.want {
			t.Errorf("%s: logout answered %d, want %d", tc.name, rec.Code, tc.want)
		}
		cleared := false
		for _, c := range rec.Result().Cookies() {
			cleared = cleared || (c.Name == sessionCookie && c.MaxAge < 0)
		}
		if cleared != (tc.want == http.StatusSeeOther) {
			t.Errorf("%s: cookie cleared = %v", tc.name, cleared)
		}
	}
}

func TestLoginPage(t *testing.T) {
	h := newSessionHandler(t)
	tests := []struct {
		name, target, cookie string
		want, wantNot        []string
	}{
		{"form keeps next", "/login?next=%2Fmap%3Fcategory%3Dexplosion&lang=en", "",
			[]string{`<input type="hidden" name="next" value="/map?category=explosion">`, `name="token"`, `type="password"`, `autocomplete="off"`},
			[]string{"Signed in as"}},
		{"next off-site dropped", "/login?next=%2F%2Fevil.example%2F&lang=en", "",
			[]string{`<input type="hidden" name="next" value="">`}, []string{`name="next" value="/`, `name="next" value="h`}},
		{"next as URL dropped", "/login?next=https%3A%2F%2Fevil.example%2F&lang=en", "",
			[]string{`<input type="hidden" name="next" value="">`}, []string{`name="next" value="/`, `name="next" value="h`}},
		{"signed in", "/login?lang=en", "analyst-token",
			[]string{"Signed in as A. Analyst (analyst)"}, nil},
		{"stale cookie is the public", "/login?lang=en", "revoked-token",
			[]string{`class="login-link"`}, []string{"Signed in as", `name="csrf"`}},
	}
	for _, tt := range tests {
		var header []string
		if tt.cookie != "" {
			header = []string{"Cookie", sessionCookie + "=" + tt.cookie}
		}
		rec := get(t, h, tt.target, header...)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", tt.name, rec.Code)
		}
		for _, s := range tt.want {
			if !strings.Contains(body, s) {
				t.Errorf("%s: page lacks %q", tt.name, s)
			}
		}
		for _, s := range tt.wantNot {
			if strings.Contains(body, s) {
				t.Errorf("%s: page has %q", tt.name, s)
			}
		}
	}
}

// TestLoginFailureKeepsNext: a wrong token shows the form again with the
// error, and "next" survives so a second try still lands on the page.
func TestLoginFailureKeepsNext(t *testing.T) {
	h := newSessionHandler(t)
	rec := postForm(t, h, "/login?lang=en", "", url.Values{"token": {"nope"}, "next": {"/reports/daily"}})
	body := rec.Body.String()
	if rec.Code != http.StatusUnauthorized || !strings.Contains(body, `role="alert"`) ||
		!strings.Contains(body, "This token is not valid") || !strings.Contains(body, `name="next" value="/reports/daily"`) {
		t.Errorf("failed login: %d; want 401, the error and next kept", rec.Code)
	}
	if strings.Contains(body, `value="nope"`) {
		t.Error("the failed token is echoed back into the page")
	}
}

// TestSessionHeader: the header names the signed-in viewer and offers the
// log-out form; the public gets a log-in link back to the same page; a
// server without log-in shows neither and has no /login.
func TestSessionHeader(t *testing.T) {
	h := newSessionHandler(t)
	signed := get(t, h, "/map?lang=en", "Cookie", sessionCookie+"=liaison-token").Body.String()
	for _, s := range []string{"Signed in as UK liaison (guarantor liaison)", `<form method="post" action="/logout"`} {
		if !strings.Contains(signed, s) {
			t.Errorf("signed-in header lacks %q", s)
		}
	}
	public := get(t, h, "/map?lang=en").Body.String()
	if !strings.Contains(public, `<a href="/login?next=/map?lang=en"`) && !strings.Contains(public, `<a href="/login?next=%2fmap%3flang%3den"`) {
		t.Error("public header has no log-in link back to the page")
	}
	noLogin := newTestHandler(t, newFakeMap(0))
	if body := get(t, noLogin, "/map").Body.String(); strings.Contains(body, "/login") || strings.Contains(body, "/logout") {
		t.Error("a server without log-in links /login or /logout")
	}
	if rec := get(t, noLogin, "/login"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /login without log-in: %d, want 404", rec.Code)
	}
}
