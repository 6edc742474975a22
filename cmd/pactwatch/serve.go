package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/demo"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/ledger/logserver"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/web"
)

// serveConfig is everything `serve` (and `bench ingest`, which starts the
// same server) configures.
type serveConfig struct {
	data, db, agreementFile, addr string
	tlsCert, tlsKey               string
	logKey                        string
	witnessQuorum                 int
	checkpointInterval            time.Duration
	maxBody, maxEvidence          int64
	maxBatch                      int
	rate                          float64
	logLevel                      string
	demo, demoLive                bool
	demoSeed                      int64
	demoDays                      int
	quiet                         bool // no access to stdout announcements (bench)
	// now is the server's one clock, set by startServer: real time, or
	// the demo clock while --demo replays its month (serve_demo.go).
	now        func() time.Time
	noPipeline bool // bench ingest: measure the intake without the incident pipeline
	// publicPages is --public-pages; nil: every page in web.PublicPageNames.
	publicPages map[string]bool
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[flags]", "Run the pactwatch HTTP server: the observation intake, evidence, principals, the ledger and its checkpoints.\nWith no flags it keeps its data in ./pactwatch-data (SQLite) and runs the embedded example agreement.", stderr)
	var c serveConfig
	fs.StringVar(&c.data, "data", "./pactwatch-data", "data folder: SQLite database, evidence files, admin token")
	fs.StringVar(&c.db, "db", "", "database: a SQLite file path, or postgres://… (default: <data>/pactwatch.db)")
	fs.StringVar(&c.agreementFile, "agreement", "", "agreement file (default: the embedded illustrative Ukraine example)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&c.logKey, "log-key", "", "the log's signed-note private key file (default: the example's demo-only key with the example agreement, else <data>/log.key)")
	fs.IntVar(&c.witnessQuorum, "witness-quorum", -1, "witness cosignatures needed to publish a checkpoint (default: the agreement's; 0 with --demo)")
	fs.DurationVar(&c.checkpointInterval, "checkpoint-interval", time.Second, "least time between signed checkpoints")
	fs.Int64Var(&c.maxBody, "max-body", server.DefaultMaxBody, "largest observations request body, bytes")
	fs.IntVar(&c.maxBatch, "max-batch", server.DefaultMaxBatch, "most observations in one request")
	fs.Int64Var(&c.maxEvidence, "max-evidence", server.DefaultMaxEvidence, "largest evidence file, bytes")
	fs.Float64Var(&c.rate, "rate", 50, "requests per second per principal (token bucket, burst 2×); 0 lifts the limit")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.demo, "demo", false, "first replay a simulated month of a monitoring mission (monitors, analysts, cases, guarantors) into a fresh data folder, on a simulated clock, then serve in real time")
	fs.BoolVar(&c.demoLive, "demo-live", false, "with --demo: keep simulating new observations while serving")
	fs.Int64Var(&c.demoSeed, "demo-seed", 1, "with --demo: the simulation's random seed")
	fs.IntVar(&c.demoDays, "demo-days", 30, "with --demo: days of the simulated month replayed before real time")
	fs.Func("public-pages", "pages readable without logging in, comma-separated, from "+strings.Join(web.PublicPageNames, ",")+
		" (default: all of them; \"\": none); signed-in principals see every page", func(v string) (err error) {
		c.publicPages, err = web.ParsePublicPages(v)
		return err
	})
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "tls-cert", "give both --tls-cert and --tls-key, or neither")
	}
	if c.demoLive && !c.demo {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "demo-live", "--demo-live needs --demo")
	}
	if c.demo && c.demoDays < 1 {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "demo-days", "want at least one day")
	}
	log := newLogger(stderr, c.logLevel)
	app, err := startServer(ctx, c, log)
	if err != nil {
		return err
	}
	defer app.close()
	if c.demo {
		if err := app.seedDemo(ctx, c, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "pactwatch %s serving %s\n", versionString(), app.url)
	fmt.Fprintf(stdout, "  agreement %q version %d (%s)\n", app.agreement.Title, app.agreement.Version, app.agreement.Hash()[:16])
	if app.adminToken != "" {
		fmt.Fprintf(stdout, "  admin token (shown once, also in %s): %s\n", filepath.Join(c.data, "admin.token"), app.adminToken)
	} else {
		fmt.Fprintf(stdout, "  admin token: in %s\n", filepath.Join(c.data, "admin.token"))
	}
	seeded := c.demo && demoSeeded(c.data)
	if seeded {
		fmt.Fprintf(stdout, "  demo monitor: key %s, token %s\n  try: pactwatch submit --key %s --server %s --token \"$(cat %s)\" %s\n",
			filepath.Join(c.data, "demo", "monitor.key"), filepath.Join(c.data, "demo", "monitor.token"),
			filepath.Join(c.data, "demo", "monitor.key"), app.url, filepath.Join(c.data, "demo", "monitor.token"),
			filepath.Join(c.data, "demo", "observation.json"))
	}
	if c.demoLive && seeded {
		go app.demoLive(ctx, c)
	}
	return app.wait(ctx)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// app is a running server: store, API, checkpointer, listener.
type app struct {
	log        *slog.Logger
	store      store.Store
	api        *server.Server
	http       *http.Server
	url        string
	agreement  *agreement.Agreement
	adminToken string // set on the first start only
	admin      string // the admin token, read from its file
	cp         *ledger.Checkpointer
	clock      *demo.Clock // the demo's clock while it replays its month; nil otherwise
	pipeline   *pipeline.Pipeline
	response   *service.Service
	served     chan error
	stopBg     context.CancelFunc
	bgDone     chan struct{}
}

// startServer opens the store, logs the agreement and its keys, makes the
// admin token on first start, and starts listening and checkpointing.
func startServer(ctx context.Context, c serveConfig, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, err
	}
	agr, err := serveAgreement(c.agreementFile)
	if err != nil {
		return nil, err
	}
	dsn := c.db
	if dsn == "" {
		dsn = filepath.Join(c.data, "pactwatch.db")
	}
	clock := demoClock(c, agr)
	c.now = time.Now
	if clock != nil {
		c.now = clock.Now
	}
	st, err := store.Open(ctx, dsn, store.Options{Now: c.now})
	if err != nil {
		return nil, err
	}
	a := &app{log: log, store: st, agreement: agr, served: make(chan error, 1), bgDone: make(chan struct{}), clock: clock}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	if err := a.demoFreshStore(ctx); err != nil {
		return nil, err
	}
	now := c.now()
	if err := logAgreement(ctx, st, agr, now); err != nil {
		return nil, err
	}
	if err := syncAgreementKeys(ctx, st, agr, now); err != nil {
		return nil, err
	}
	if a.adminToken, a.admin, err = ensureAdmin(ctx, st, c.data, now); err != nil {
		return nil, err
	}

	cp, err := newCheckpointer(ctx, c, agr, st, log)
	if err != nil {
		return nil, err
	}
	a.cp = cp
	pl, err := newPipeline(c, agr, st, log)
	if err != nil {
		return nil, err
	}
	resp, signer, err := newResponse(c, agr, st, c.now, log)
	if err != nil {
		return nil, err
	}
	a.pipeline, a.response = pl, resp
	api, err := server.New(server.Config{
		Store: st, DataDir: c.data, Log: log, Now: c.now,
		MaxBody: c.maxBody, MaxBatch: c.maxBatch, MaxEvidence: c.maxEvidence, Rate: c.rate,
		Extra: server.LedgerRoutes(), Pipeline: pl, Response: resp, Webhook: signer,
		Mount: func(mux *http.ServeMux, writeError func(http.ResponseWriter, *http.Request, error)) {
			ls := logserver.New(st)
			ls.Error = writeError
			ls.Register(mux)
		},
	})
	if err != nil {
		return nil, err
	}
	a.api = api

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		api.Close()
		return nil, pactwatch.FieldErrorf(pactwatch.EUNAVAILABLE, "addr", "cannot listen on %s: %v", c.addr, err)
	}
	scheme := "http"
	if c.tlsCert != "" {
		scheme = "https"
	}
	a.url = scheme + "://" + ln.Addr().String()
	pages, err := web.New(webOptions(c, agr, st, pl, resp, log))
	if err != nil {
		api.Close()
		ln.Close()
		return nil, err
	}
	a.http = &http.Server{
		Handler:           withPages(api.Handler(), pages),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // evidence uploads over slow links
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		var err error
		if c.tlsCert != "" {
			err = a.http.ServeTLS(ln, c.tlsCert, c.tlsKey)
		} else {
			err = a.http.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		a.served <- err
	}()
	bg, stop := context.WithCancel(context.Background())
	a.stopBg = stop
	go func() {
		defer close(a.bgDone)
		piped := startPipeline(bg, pl, log)
		reported := startReports(bg, st, agr, pl, resp, c.now, log)
		responded := startResponse(bg, resp, st, signer, c.now, log)
		if cp != nil {
			_ = cp.Run(bg)
		}
		<-reported
		<-responded
		<-piped
	}()
	log.Info("serving", "url", a.url, "db", redactDSN(dsn), "agreement", agr.Hash())
	ok = true
	return a, nil
}

// wait serves until ctx ends (SIGINT/SIGTERM), then shuts down gracefully:
// requests in flight finish (up to 30 s), then the checkpointer stops.
func (a *app) wait(ctx context.Context) error {
	select {
	case err := <-a.served:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.http.Shutdown(sctx); err != nil {
		return err
	}
	return <-a.served
}

func (a *app) close() {
	_ = a.http.Close()
	a.stopBg()
	<-a.bgDone
	a.api.Close()
	a.store.Close()
}

// withPages sends the API's paths to the API and everything else to the
// web interface (which sets its own Content-Security-Policy for pages).
func withPages(api, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/log/") || p == "/metrics" || p == "/healthz" {
			api.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		pages.ServeHTTP(w, r)
	})
}

func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 && strings.Contains(dsn, "://") {
		return dsn[:strings.Index(dsn, "://")+3] + "…" + dsn[i:]
	}
	return dsn
}

func serveAgreement(path string) (*agreement.Agreement, error) {
	if path == "" {
		return agreement.Default()
	}
	return agreement.Load(path)
}

// logAgreement appends the agreement version the server runs to the
// ledger, once per version (its id is its canonical hash).
func logAgreement(ctx context.Context, st store.Store, agr *agreement.Agreement, now time.Time) error {
	id := "agreement:" + agr.Hash()
	if _, err := st.Record(ctx, id); err == nil {
		return nil
	} else if pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		return err
	}
	body := agr.CanonicalJSON()
	// The agreement is public: its public projection is itself.
	leaf := server.NewLeaf(ledger.TypeAgreement, id, now, body, body)
	_, err := st.AppendRecords(ctx, []store.GenericRecord{{Type: ledger.TypeAgreement, ID: id, Time: now.UTC(), Body: body, Leaf: leaf}})
	return err
}

// syncAgreementKeys makes each of the agreement's keys a principal (id =
// the key's id) and revokes those the agreement no longer lists. Stored
// identical principals are left alone, so this runs on every start. A key
// whose attributes changed in a new agreement version is refused by the
// store (ECONFLICT): give it a new id.
func syncAgreementKeys(ctx context.Context, st store.Store, agr *agreement.Agreement, now time.Time) error {
	loc := agr.Location()
	for i, k := range agr.Keys {
		raw, err := base64.StdEncoding.DecodeString(k.PublicKey)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("keys[%d].public_key", i), "not a base64 ed25519 key")
		}
		if err := server.CheckPublicKey(raw); err != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("keys[%d].public_key", i), "%s", pactwatch.ErrorMessage(err))
		}
		p := store.Principal{
			ID: k.ID, Name: k.ID, Role: k.Role, Of: k.Of, PublicKey: raw, KeyID: observation.KeyID(raw),
			Source: "agreement", CreatedAt: now.UTC(),
		}
		if p.ValidFrom, err = k.ValidFrom.In(loc); err != nil {
			return pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("keys[%d].valid_from", i), "%v", err)
		}
		p.ValidFrom = p.ValidFrom.UTC()
		if k.ValidUntil != "" {
			if p.ValidUntil, err = k.ValidUntil.In(loc); err != nil {
				return pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("keys[%d].valid_until", i), "%v", err)
			}
			p.ValidUntil = p.ValidUntil.UTC()
		}
		if existing, err := st.Principal(ctx, p.ID); err == nil && samePrincipal(existing, p) {
			continue
		}
		if err := server.AddPrincipal(ctx, st, p); err != nil {
			return fmt.Errorf("agreement key %s: %w", k.ID, err)
		}
	}
	// A key the agreement no longer lists (a new version dropped it) is
	// revoked now: only the agreement in force says who may sign.
	ps, err := st.Principals(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Source == "agreement" && p.RevokedAt == nil && agr.Key(p.ID) == nil {
			if _, err := server.RevokePrincipal(ctx, st, p.ID, now); err != nil {
				return fmt.Errorf("revoking key %s, gone from the agreement: %w", p.ID, err)
			}
		}
	}
	return nil
}

func samePrincipal(a, b store.Principal) bool {
	return a.Name == b.Name && a.Role == b.Role && a.Of == b.Of && string(a.PublicKey) == string(b.PublicKey) &&
		a.ValidFrom.Equal(b.ValidFrom) && a.ValidUntil.Equal(b.ValidUntil)
}

// adminID is the principal the first start creates for the operator.
const adminID = "admin"

// ensureAdmin creates the operator's admin principal on the first start
// and writes its token to <data>/admin.token (0600). It returns the new
// token (first start only) and the token from the file.
func ensureAdmin(ctx context.Context, st store.Store, data string, now time.Time) (fresh, token string, err error) {
	path := filepath.Join(data, "admin.token")
	_, err = st.Principal(ctx, adminID)
	switch {
	case err == nil:
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			// The operator removed the file: the token is gone with it
			// (only its hash is stored). Add another admin with the API
			// from a token you hold, or start with a fresh data folder.
			return "", "", nil
		}
		return "", strings.TrimSpace(string(b)), nil
	case pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND:
		return "", "", err
	}
	token, hash := server.NewToken()
	p := store.Principal{ID: adminID, Name: "operator (first start)", Role: "admin", TokenHash: hash, ValidFrom: now.UTC(), Source: "serve", CreatedAt: now.UTC()}
	// The token file is written first: a crash between the two leaves a
	// file whose token does not work yet, and the next start writes a new one.
	if err := writeSecret(path, token); err != nil {
		return "", "", err
	}
	if err := server.AddPrincipal(ctx, st, p); err != nil {
		return "", "", err
	}
	return token, token, nil
}

// writeSecret writes a one-line secret atomically with mode 0600.
func writeSecret(path, secret string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(secret + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// newCheckpointer sets up checkpoint signing with the log key: the
// example's demo-only key when running the embedded example, --log-key or
// <data>/log.key otherwise. Without a key the server runs but publishes no
// checkpoints (logged).
func newCheckpointer(ctx context.Context, c serveConfig, agr *agreement.Agreement, st store.Store, log *slog.Logger) (*ledger.Checkpointer, error) {
	var skey []byte
	var err error
	switch {
	case c.logKey != "":
		skey, err = os.ReadFile(c.logKey)
	case c.agreementFile == "":
		skey, err = fs.ReadFile(examples.Ukraine, "keys/log.key")
	default:
		skey, err = os.ReadFile(filepath.Join(c.data, "log.key"))
		if errors.Is(err, fs.ErrNotExist) {
			log.Warn("no log key: checkpoints will not be published; give --log-key or put it in <data>/log.key")
			return nil, nil
		}
	}
	if err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "log-key", "reading the log key: %v", err)
	}
	signer, verifier, err := ledger.LoadLogKey(string(skey))
	if err != nil {
		return nil, err
	}
	if pinned, err := note.NewVerifier(agr.Mission.Log.PublicKey); err != nil || pinned.KeyHash() != verifier.KeyHash() || pinned.Name() != verifier.Name() {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "log-key", "the log key does not match the agreement's mission.log.public_key")
	}
	// Witnesses with a URL, and with --demo the example's own, run here.
	ws, quorum, err := checkpointWitnesses(ctx, c, agr, verifier, log)
	if err != nil {
		return nil, err
	}
	return &ledger.Checkpointer{
		Source: st, Store: st, Signer: signer, Verifier: verifier,
		Witnesses: ws, Quorum: quorum, Interval: c.checkpointInterval,
		Leader: st, Logger: log, Now: c.now,
		// The signer's memory of what it signed, outside the database
		// (docs/ledger.md, "The log's state file").
		State: ledger.StateFile{Path: filepath.Join(c.data, "log.state")},
	}, nil
}
