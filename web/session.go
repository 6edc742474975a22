package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/vocab"
)

// Sessions resolves the token a user pasted on the log-in page. The server
// implements it over its principals (a revoked, expired or unknown token is
// EUNAUTHORIZED).
type Sessions interface {
	Principal(ctx context.Context, token string) (Viewer, error)
}

// Viewer is who is looking at a page: the public (zero Viewer) or a
// signed-in principal.
type Viewer struct {
	ID   string
	Name string
	Role vocab.Role
	// Of is the guarantor or party a liaison acts for ("" for other roles).
	Of string

	// csrf is the session's form token (see csrfToken); set by withViewer.
	csrf string
}

// SignedIn reports whether the viewer logged in.
func (v Viewer) SignedIn() bool { return v.ID != "" }

// SeesAll reports whether the viewer may see whole observations (exact
// positions, narratives, who reported): the roles the API shows whole
// records to. Everyone else gets the public projection.
func (v Viewer) SeesAll() bool {
	return v.Role.SeesWhole()
}

// sessionCookie holds the session: the principal's bearer token itself,
// HttpOnly (no script reads it), SameSite=Strict (no other site's page
// sends it) and Secure over TLS. Keeping the token rather than a session id
// means nothing to store or share between servers on one database, and a
// revoked token ends its sessions at once; the cost is that the cookie is
// as powerful as the token, which is why it never leaves this origin.
const sessionCookie = "pactwatch_session"

// sessionTTL is how long the browser keeps a session.
const sessionTTL = 12 * time.Hour

type viewerKey struct{}

// viewer returns the request's viewer, looking the session cookie up once.
func (h *Handler) viewer(r *http.Request) Viewer {
	if v, ok := r.Context().Value(viewerKey{}).(Viewer); ok {
		return v
	}
	return Viewer{}
}

// withViewer resolves the session cookie, if any, into the request's
// context. A cookie whose token no longer works is ignored (the page shows
// the public view and the log-in link).
func (h *Handler) withViewer(r *http.Request) *http.Request {
	if h.opts.Sessions == nil {
		return r
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return r
	}
	v, err := h.opts.Sessions.Principal(r.Context(), c.Value)
	if err != nil {
		if code := pactwatch.ErrorCode(err); code != pactwatch.EUNAUTHORIZED && code != pactwatch.ENOTFOUND {
			h.opts.Logger.Error("web: resolving session", "err", err)
		}
		return r
	}
	v.csrf = csrfToken(c.Value)
	return r.WithContext(context.WithValue(r.Context(), viewerKey{}, v))
}

// loginPage is the data of templates/login.html.
type loginPage struct {
	Next  string
	Error string // message id
}

// loginGet serves GET /login.
func (h *Handler) loginGet(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, loginPage{Next: nextPath(r.URL.Query().Get("next"))})
	h.render(w, r, http.StatusOK, "login", v)
}

// loginPost serves POST /login: the pasted token becomes the session
// cookie when it names a principal valid now.
func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, next, msg string) {
		h.render(w, r, status, "login", h.newView(w, r, loginPage{Next: next, Error: msg}))
	}
	if err := crossOrigin.Check(r); err != nil {
		fail(http.StatusForbidden, "", "login.error.cross_origin")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "", "login.error.bad_form")
		return
	}
	next := nextPath(r.PostForm.Get("next"))
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		fail(http.StatusBadRequest, next, "login.error.empty")
		return
	}
	v, err := h.opts.Sessions.Principal(r.Context(), token)
	if err != nil {
		switch pactwatch.ErrorCode(err) {
		case pactwatch.EUNAUTHORIZED, pactwatch.ENOTFOUND, pactwatch.EFORBIDDEN:
			fail(http.StatusUnauthorized, next, "login.error.bad_token")
		default:
			h.pageError(w, r, err)
		}
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	h.opts.Logger.Info("web: signed in", "principal", v.ID, "role", v.Role)
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout serves POST /logout (a form, so another site cannot log a user out
// with a link): the cookie is cleared.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := h.checkForm(r); err != nil {
		h.render(w, r, http.StatusForbidden, "error", h.newView(w, r, errorPage{http.StatusForbidden, "login.error.cross_origin"}))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// nextPath keeps a "next" address only when it is a path on this site
// (not "//evil.example" nor "https://…"), so the log-in page cannot be
// used to send users elsewhere.
func nextPath(p string) string {
	if !localPath(p) {
		return ""
	}
	return p
}

// mapData is the map data the viewer may see: whole observations for the
// roles that read them through the API, the public projection otherwise.
func (h *Handler) mapData(r *http.Request) MapData {
	if h.opts.FullMap != nil && h.viewer(r).SeesAll() {
		return h.opts.FullMap
	}
	return h.opts.Map
}
