package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/response/service"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/web"
)

// webOptions wires the web interface to the agreement and the store: the
// public map and the full one for analysts, auditors and admins, the
// daily reports (published ones from the ledger, today's computed as the
// publisher will), the latest checkpoint and the agreement's witnesses,
// and log-in with the principals' tokens.
func webOptions(c serveConfig, agr *agreement.Agreement, st store.Store, pl *pipeline.Pipeline, resp *service.Service, log *slog.Logger) web.Options {
	loc := agr.Location()
	inputs := newReportInputs(st, pl, resp) // the publisher's inputs (newPublisher)
	quorum := checkpointQuorum(c, agr)      // as newCheckpointer decides it
	o := web.Options{
		Map:      web.ObservationMap{Agreement: agr, Store: st, Public: true},
		FullMap:  web.ObservationMap{Agreement: agr, Store: st},
		Location: loc,
		Logger:   log,
		Now:      c.now,
		SiteName: agr.Mission.Name,
		// The agreement page shows the agreement the server runs, with
		// or without the pipeline.
		Agreement:   agr,
		PublicPages: c.publicPages,
		Reports: web.LedgerReports{Store: st, Location: loc, Now: c.now,
			Compute: func(ctx context.Context, day string, asOf time.Time) (*report.Report, error) {
				r, err := computeReport(ctx, st, agr, inputs, day, asOf)
				if pactwatch.ErrorCode(err) == pactwatch.EUNAVAILABLE {
					// Another server runs the pipeline: the provisional
					// report counts observations (and says so).
					return computeReport(ctx, st, agr, nil, day, asOf)
				}
				return r, err
			}},
		Ledger:        st,
		WitnessQuorum: quorum,
		Sessions:      tokenSessions{st: st, now: c.now},
	}
	if pl != nil { // a nil *Pipeline in the interface would not read as absent
		o.Incidents = pl
		// The map shows incidents, with the observations as a second
		// layer and as the fallback while another server leads the pipeline.
		o.Map = web.IncidentMap{Incidents: pl, Observations: o.Map, Public: true}
		o.FullMap = web.IncidentMap{Incidents: pl, Observations: o.FullMap}
	}
	// The incident pages read observations' records and evidence files
	// where the server keeps them (Config.DataDir/evidence).
	o.Evidence = web.StoredEvidence{Store: st, Dir: filepath.Join(c.data, "evidence")}
	if resp != nil {
		o.Responses = resp
	}
	for _, w := range agr.Mission.Witnesses {
		// The key name is what a cosignature line carries: the part of
		// the verifier key before its first "+".
		name, _, _ := strings.Cut(w.PublicKey, "+")
		o.Witnesses = append(o.Witnesses, web.Witness{Name: name, URL: w.URL})
	}
	return o
}

// tokenSessions resolves a pasted token the way the API resolves a bearer
// token: by its hash, valid now and not revoked.
type tokenSessions struct {
	st  store.Store
	now func() time.Time
}

func (s tokenSessions) Principal(ctx context.Context, token string) (web.Viewer, error) {
	p, err := s.st.PrincipalByTokenHash(ctx, server.TokenHash(token))
	if pactwatch.ErrorCode(err) == pactwatch.ENOTFOUND {
		return web.Viewer{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "token", "unknown token")
	}
	if err != nil {
		return web.Viewer{}, err
	}
	if !p.ValidAt(s.now()) {
		return web.Viewer{}, pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "token", "the token is revoked or not valid now")
	}
	return web.Viewer{ID: p.ID, Name: p.Name, Role: p.Role, Of: p.Of}, nil
}
