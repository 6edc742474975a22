package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/pactwatch/pactwatch"
)

// csrfToken derives a signed-in session's form token from its cookie value.
// Another site can neither read the HttpOnly cookie nor this page, so it
// cannot know the token; deriving it (instead of storing a random one) keeps
// sessions stateless, so any server on the database accepts the form, and a
// new log-in gets a new token. The domain prefix keeps the hash from being
// anything else the token is hashed into (the API stores SHA-256(token)).
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("pactwatch/web-csrf/v1\n" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkForm is the CSRF check every state-changing form handler runs before
// acting: the browser's Sec-Fetch-Site/Origin must say same origin
// (http.CrossOriginProtection), and a signed-in viewer's form must carry the
// session's token in its "csrf" field. It parses the form (callers cap
// r.Body first with http.MaxBytesReader). The two layers cover each other:
// old browsers without Sec-Fetch-Site still fail the token, and a token
// leaked into a log still needs a same-origin request.
func (h *Handler) checkForm(r *http.Request) error {
	if err := crossOrigin.Check(r); err != nil {
		return pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "origin", "the form was posted from another site")
	}
	if err := r.ParseForm(); err != nil {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "form", "the form could not be read: %v", err)
	}
	v := h.viewer(r)
	if !v.SignedIn() {
		return nil
	}
	got := r.PostForm.Get("csrf")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(v.csrf)) != 1 {
		return pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "csrf", "the form's token is missing or belongs to another session; reload the page")
	}
	return nil
}
