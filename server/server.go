// Package server is pactwatch's HTTP API: authentication by bearer token,
// a role check on every route, the intake of signed observations and
// evidence, principals, metrics and the OpenAPI document. It holds no
// domain rules of its own: observations are validated and verified by
// package observation, stored (with their ledger entries) by package store.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/pactwatch/pactwatch/notify"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// Defaults for Config's limits.
const (
	DefaultMaxBody     = 4 << 20  // bytes of one observations request
	DefaultMaxBatch    = 1000     // observations in one request
	DefaultMaxEvidence = 64 << 20 // bytes of one evidence file
	DefaultSkew        = 5 * time.Minute
)

// Config is what a Server needs. Zero limits take the defaults above; a
// zero Rate disables rate limiting.
type Config struct {
	Store   store.Store
	DataDir string // evidence lives in DataDir/evidence
	Now     func() time.Time
	Log     *slog.Logger

	MaxBody     int64
	MaxBatch    int
	MaxEvidence int64
	Skew        time.Duration // allowed clock skew for times in the future

	Rate  float64 // requests per second per principal (0 = unlimited)
	Burst int     // bucket size; defaults to 2×Rate

	// Mount registers extra handlers (the ledger's read API) on the
	// server's mux; their routes must be listed in Extra so the role
	// table and the OpenAPI document know them.
	Mount func(mux *http.ServeMux, writeError func(http.ResponseWriter, *http.Request, error))
	Extra []Route

	// Verifiers is the number of signature-verifying goroutines
	// (default 1: one worker lets concurrent requests queue up behind
	// the batch in progress and be verified together, which measured
	// better on two cores than two workers verifying mostly alone).
	Verifiers int

	// Pipeline serves the incidents and cases endpoints (nil: they answer
	// 503) and is told when observations are accepted.
	Pipeline *pipeline.Pipeline

	// Response runs the response protocols and the scorecard (nil: those
	// endpoints answer 503); Webhook is the key webhooks are signed with
	// (published at /api/v1/notify/key).
	Response *service.Service
	Webhook  notify.Signer
}

// Server is the HTTP API. Create it with New, serve Handler, and Close it
// to stop its background work.
type Server struct {
	cfg      Config
	store    store.Store
	now      func() time.Time
	log      *slog.Logger
	evDir    string
	routes   []Route
	handler  http.Handler
	auth     *authenticator
	limiter  *limiter
	verifier *verifier
	metrics  *metrics
	stop     context.CancelFunc
}

// New builds a Server. It creates the evidence folder.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxEvidence <= 0 {
		cfg.MaxEvidence = DefaultMaxEvidence
	}
	if cfg.Skew <= 0 {
		cfg.Skew = DefaultSkew
	}
	if cfg.Verifiers <= 0 {
		cfg.Verifiers = 1
	}
	s := &Server{
		cfg:   cfg,
		store: cfg.Store,
		now:   cfg.Now,
		log:   cfg.Log,
		evDir: filepath.Join(cfg.DataDir, "evidence"),
	}
	if err := os.MkdirAll(filepath.Join(s.evDir, "tmp"), 0o700); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.auth = newAuthenticator(cfg.Store, cfg.Now)
	go s.auth.refreshLoop(ctx, 2*time.Second)
	s.limiter = newLimiter(cfg.Rate, cfg.Burst, cfg.Now)
	s.verifier = newVerifier(ctx, cfg.Verifiers)
	s.metrics = newMetrics()
	s.routes = append(append(append(append(s.apiRoutes(), s.reviewRoutes()...), s.assessRoutes()...), s.responseRoutes()...), cfg.Extra...)
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		if rt.handler != nil {
			mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
		}
	}
	if cfg.Mount != nil {
		// The mounted handlers still pass through the common wrapping
		// (headers, metrics, roles) via wrapMounted.
		inner := http.NewServeMux()
		cfg.Mount(inner, s.writeError)
		for _, rt := range cfg.Extra {
			rt.handler = inner.ServeHTTP
			mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
		}
	}
	mux.HandleFunc("/", s.notFound)
	s.handler = s.securityHeaders(mux)
	return s, nil
}

// Handler is the API's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists every route the server answers: the OpenAPI document is
// checked against it.
func (s *Server) Routes() []Route { return s.routes }

// Close stops the background goroutines. It does not close the store.
func (s *Server) Close() { s.stop() }

// InvalidatePrincipals drops cached principals (after a change made
// outside this server, e.g. by the CLI at start).
func (s *Server) InvalidatePrincipals(ctx context.Context) error { return s.auth.reload(ctx) }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, errNotFound(r.URL.Path))
}

// everyone may call a route; signedIn any authenticated principal.
var (
	everyone = []vocab.Role{vocab.RolePublic, vocab.RoleMonitor, vocab.RoleAnalyst, vocab.RoleAuditor,
		vocab.RoleGuarantorLiaison, vocab.RolePartyLiaison, vocab.RoleAdmin}
	signedIn = []vocab.Role{vocab.RoleMonitor, vocab.RoleAnalyst, vocab.RoleAuditor,
		vocab.RoleGuarantorLiaison, vocab.RolePartyLiaison, vocab.RoleAdmin}
	submitters = []vocab.Role{vocab.RoleMonitor, vocab.RoleAdmin}
	staff      = []vocab.Role{vocab.RoleMonitor, vocab.RoleAnalyst, vocab.RoleAuditor, vocab.RoleAdmin}
	admins     = []vocab.Role{vocab.RoleAdmin}
	overseers  = []vocab.Role{vocab.RoleAdmin, vocab.RoleAuditor}
)

// Route is one endpoint: the pattern registered on the mux, the roles
// allowed to call it and the handler. The same table feeds the mux, the
// role middleware and the OpenAPI check.
type Route struct {
	Method  string
	Pattern string // net/http ServeMux pattern path, e.g. /api/v1/observations/{id}
	Roles   []vocab.Role
	handler http.HandlerFunc
}

// apiRoutes is the route table of the server's own endpoints.
func (s *Server) apiRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/openapi.json", everyone, s.handleOpenAPI},
		{"GET", "/metrics", everyone, s.handleMetrics},
		{"GET", "/healthz", everyone, s.handleHealth},
		{"GET", "/api/v1/whoami", signedIn, s.handleWhoami},
		{"POST", "/api/v1/observations", submitters, s.handlePostObservations},
		{"GET", "/api/v1/observations", everyone, s.handleListObservations},
		{"GET", "/api/v1/observations/{id}", everyone, s.handleGetObservation},
		{"POST", "/api/v1/evidence", submitters, s.handlePostEvidence},
		{"GET", "/api/v1/evidence/{sha256}", staff, s.handleGetEvidence},
		{"POST", "/api/v1/principals", admins, s.handleAddPrincipal},
		{"GET", "/api/v1/principals", overseers, s.handleListPrincipals},
		{"POST", "/api/v1/principals/{id}/revoke", admins, s.handleRevokePrincipal},
		{"GET", "/api/v1/ledger/records/{index}", overseers, s.handleGetLedgerRecord},
	}
}

// PublicRoute makes a Route for Config.Extra readable by everyone.
func PublicRoute(method, pattern string) Route {
	return Route{Method: method, Pattern: pattern, Roles: everyone}
}
