package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// NewToken returns a fresh bearer token (32 random bytes, base64url) and
// the SHA-256 the store keeps: the token itself is shown once and never
// stored.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = "pw_" + base64.RawURLEncoding.EncodeToString(b[:])
	return token, TokenHash(token)
}

// TokenHash is what the store keeps of a token.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// anonymous is the principal of requests without a token.
var anonymous = store.Principal{Name: "anonymous", Role: vocab.RolePublic}

// authenticator resolves tokens and key ids to principals through a cache
// refreshed every few seconds from the store: revocations made by another
// server on the same database take effect within one refresh interval;
// those made through this server take effect at once.
type authenticator struct {
	st  store.Store
	now func() time.Time

	mu      sync.RWMutex
	byToken map[string]store.Principal // key: string(token hash)
	byKey   map[string][]store.Principal
	loaded  bool
}

func newAuthenticator(st store.Store, now func() time.Time) *authenticator {
	return &authenticator{st: st, now: now}
}

func (a *authenticator) refreshLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = a.reload(ctx) // on failure the old cache stays; lookups that miss go to the store
		}
	}
}

func (a *authenticator) reload(ctx context.Context) error {
	ps, err := a.st.Principals(ctx)
	if err != nil {
		return err
	}
	byToken := make(map[string]store.Principal, len(ps))
	byKey := make(map[string][]store.Principal, len(ps))
	for _, p := range ps {
		if len(p.TokenHash) > 0 {
			byToken[string(p.TokenHash)] = p
		}
		if p.KeyID != "" {
			byKey[p.KeyID] = append(byKey[p.KeyID], p)
		}
	}
	a.mu.Lock()
	a.byToken, a.byKey, a.loaded = byToken, byKey, true
	a.mu.Unlock()
	return nil
}

// byTokenHash finds the principal holding a token, reading through to the
// store on a cache miss (a principal added by another server).
func (a *authenticator) byTokenHash(ctx context.Context, hash []byte) (store.Principal, error) {
	a.mu.RLock()
	p, ok := a.byToken[string(hash)]
	a.mu.RUnlock()
	if ok {
		return p, nil
	}
	return a.st.PrincipalByTokenHash(ctx, hash)
}

// byKeyID lists the principals holding a signing key.
func (a *authenticator) byKeyID(ctx context.Context, keyID string) ([]store.Principal, error) {
	a.mu.RLock()
	ps, ok := a.byKey[keyID]
	a.mu.RUnlock()
	if ok {
		return ps, nil
	}
	return a.st.PrincipalsByKeyID(ctx, keyID)
}

// authenticate returns the request's principal: anonymous (role public)
// without an Authorization header, an EUNAUTHORIZED error for a token
// that is malformed, unknown, revoked or outside its validity.
func (a *authenticator) authenticate(r *http.Request) (store.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return anonymous, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return store.Principal{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "Authorization", "want \"Bearer <token>\"")
	}
	p, err := a.byTokenHash(r.Context(), TokenHash(strings.TrimSpace(token)))
	if pactwatch.ErrorCode(err) == pactwatch.ENOTFOUND {
		return store.Principal{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "Authorization", "unknown token")
	}
	if err != nil {
		return store.Principal{}, err
	}
	now := a.now()
	switch {
	case p.RevokedAt != nil && !now.Before(*p.RevokedAt):
		return store.Principal{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "Authorization", "token revoked")
	case !p.ValidAt(now):
		return store.Principal{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "Authorization", "token outside its validity period")
	}
	return p, nil
}

// allowed reports whether role may call a route with roles.
func allowed(roles []vocab.Role, role vocab.Role) bool { return slices.Contains(roles, role) }

type principalKey struct{}

// principalOf is the authenticated principal of a request handled by wrap.
func principalOf(r *http.Request) store.Principal {
	p, _ := r.Context().Value(principalKey{}).(store.Principal)
	return p
}

// statusWriter records the status a handler wrote, for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap puts a route's handler behind authentication, its role check, the
// rate limit, metrics and the access log.
func (s *Server) wrap(rt Route) http.Handler {
	label := rt.Method + " " + rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		p, err := s.auth.authenticate(r)
		switch {
		case err != nil:
			s.writeError(sw, r, err)
		case !allowed(rt.Roles, p.Role):
			if p.Role == vocab.RolePublic {
				s.writeError(sw, r, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "Authorization", "this endpoint needs a token"))
			} else {
				s.writeError(sw, r, pactwatch.Errorf(pactwatch.EFORBIDDEN, "role %s may not call %s", p.Role, label))
			}
		case !s.limiter.allow(limitKey(r, p)):
			sw.Header().Set("Retry-After", "1")
			s.writeError(sw, r, pactwatch.Errorf(pactwatch.ERATELIMIT, "too many requests; retry later"))
		default:
			rt.handler(sw, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.request(label, sw.status, d)
		if sw.status >= 500 {
			s.log.WarnContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "dur", d, "principal", p.ID)
		} else if s.log.Enabled(r.Context(), slog.LevelDebug) {
			// Checked first: building the attributes costs allocations
			// on every request otherwise.
			s.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "dur", d, "principal", p.ID)
		}
	})
}

// limitKey is whose bucket a request draws from: the principal's, or the
// client address's for anonymous requests.
func limitKey(r *http.Request, p store.Principal) string {
	if p.ID != "" {
		return "p:" + p.ID
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return "ip:" + host
}

// securityHeaders sets the headers every response carries: nothing the
// API returns is meant to be framed, sniffed or to run scripts.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func errNotFound(path string) error {
	return pactwatch.Errorf(pactwatch.ENOTFOUND, "no such endpoint: %s", path)
}
