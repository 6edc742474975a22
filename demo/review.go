package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

// ReviewResult counts what the simulated analysts did.
type ReviewResult struct {
	Incidents, Verified, Rejected, Disputed int
	Cases, Confirmed                        int
}

// Share of the corroborated incidents the simulated analysts get to: the
// oldest; the newest stay in the queue for a visitor to review.
const reviewShare = 0.7

// Review plays two analysts working through the review queue after Seed,
// through the real API: they wait for the pipeline to cluster the seeded
// observations, claim and decide the oldest share of the corroborated
// incidents (mostly verified, some rejected as duplicates or unverifiable,
// one disputed), reject some uncorroborated open-source reports as
// unverifiable, and confirm every candidate case (two analysts, for
// agreements with a two-person rule). Their tokens are saved in
// Dir/analyst-1.token and Dir/analyst-2.token.
func Review(ctx context.Context, cfg Config) (ReviewResult, error) {
	var res ReviewResult
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var analysts [2]*client.Client
	for i := range analysts {
		tok, err := analystToken(ctx, cfg, i+1)
		if err != nil {
			return res, err
		}
		analysts[i] = client.New(cfg.Client.BaseURL, tok)
	}
	queue, err := settledQueue(ctx, analysts[0])
	if err != nil {
		return res, err
	}
	res.Incidents = len(queue)
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x72657669))
	var corroborated []incident.Incident
	for _, inc := range queue {
		if inc.Corroborated {
			corroborated = append(corroborated, inc)
		}
	}
	disputed := false
	for i, inc := range corroborated[:int(float64(len(corroborated))*reviewShare)] {
		a := analysts[i%2]
		if i%5 == 0 { // some analysts claim before they look; deciding unclaimed is allowed
			if err := paced(ctx, func() error { _, err := a.Claim(ctx, inc.ID); return err }); err != nil {
				return res, fmt.Errorf("demo: claiming %s: %w", inc.ID, err)
			}
		}
		req := client.DecisionRequest{Decision: "verified", Note: "consistent reports from independent sources"}
		switch r := rng.Float64(); {
		case !disputed && len(inc.Reports) > 1 && r < 0.2:
			req = client.DecisionRequest{Decision: "disputed", Note: "the reports disagree on the place of impact; a second patrol is tasked"}
			disputed = true
			res.Disputed++
		case r < 0.06:
			req = client.DecisionRequest{Decision: "rejected", Reason: "duplicate", Note: "the same shelling as the incident before it, reported late"}
			res.Rejected++
		case r < 0.1:
			req = client.DecisionRequest{Decision: "rejected", Reason: "unverifiable", Note: "no imagery; the patrol could not reach the site"}
			res.Rejected++
		default:
			res.Verified++
		}
		if err := paced(ctx, func() error { _, err := a.Decide(ctx, inc.ID, req); return err }); err != nil {
			return res, fmt.Errorf("demo: deciding %s: %w", inc.ID, err)
		}
	}
	for _, inc := range queue {
		if inc.Corroborated || len(inc.Reports) != 1 || inc.Reports[0].SourceType != vocab.OpenSource || rng.Float64() > 0.3 {
			continue
		}
		req := client.DecisionRequest{Decision: "rejected", Reason: "unverifiable", Note: "a single open-source claim with no corroboration"}
		if err := paced(ctx, func() error { _, err := analysts[0].Decide(ctx, inc.ID, req); return err }); err != nil {
			return res, fmt.Errorf("demo: rejecting %s: %w", inc.ID, err)
		}
		res.Rejected++
	}
	var cases client.Cases
	if err := paced(ctx, func() (err error) { cases, err = analysts[0].Cases(ctx, string(compliance.Candidate)); return err }); err != nil {
		return res, fmt.Errorf("demo: listing cases: %w", err)
	}
	res.Cases = len(cases.Cases)
	for _, raw := range cases.Cases {
		var c compliance.Case
		if err := json.Unmarshal(raw, &c); err != nil {
			return res, err
		}
		for _, a := range analysts {
			var tr client.TransitionResponse
			err := paced(ctx, func() (err error) { tr, err = a.CaseAction(ctx, c.ID, "confirm", nil); return err })
			if err != nil {
				return res, fmt.Errorf("demo: confirming %s: %w", c.ID, err)
			}
			if tr.Transition.Status == compliance.Confirmed {
				res.Confirmed++
				break
			}
		}
	}
	return res, nil
}

// paced runs an API call, waiting and retrying while the server's rate
// limit (per principal) refuses it: the analysts work at the pace the
// server allows.
func paced(ctx context.Context, call func() error) error {
	for {
		err := call()
		if pactwatch.ErrorCode(err) != pactwatch.ERATELIMIT {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// analystToken creates the nth simulated analyst (or reads its saved
// token).
func analystToken(ctx context.Context, cfg Config, n int) (string, error) {
	file := filepath.Join(cfg.Dir, fmt.Sprintf("analyst-%d.token", n))
	if b, err := os.ReadFile(file); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	from := cfg.Now().UTC().Add(-time.Duration(max(cfg.Days, 3)+1) * 24 * time.Hour)
	var np client.NewPrincipal
	err := paced(ctx, func() (err error) {
		np, err = cfg.Client.AddPrincipal(ctx, client.PrincipalRequest{Name: fmt.Sprintf("demo analyst %d", n), Role: string(vocab.RoleAnalyst), ValidFrom: &from})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("demo: registering analyst %d: %w", n, err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return "", err
	}
	return np.Token, os.WriteFile(file, []byte(np.Token+"\n"), 0o600)
}

// settledQueue waits until the pipeline has clustered what was submitted
// (the queue stops changing) and returns it, oldest first.
func settledQueue(ctx context.Context, c *client.Client) ([]incident.Incident, error) {
	var last []json.RawMessage
	stable := 0
	deadline := time.Now().Add(5 * time.Minute)
	for stable < 3 {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("demo: the incident pipeline did not settle")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		q, err := c.Incidents(ctx, client.IncidentQuery{Limit: 10000})
		if err != nil {
			stable = 0 // not leading yet, or still restoring
			continue
		}
		if len(q.Incidents) > 0 && sameVersions(q.Incidents, last) {
			stable++
		} else {
			stable = 0
		}
		last = q.Incidents
	}
	out := make([]incident.Incident, len(last))
	for i, raw := range last {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameVersions reports whether two queue answers hold the same incidents
// at the same versions.
func sameVersions(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	type head struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	for i := range a {
		var x, y head
		if json.Unmarshal(a[i], &x) != nil || json.Unmarshal(b[i], &y) != nil || x != y {
			return false
		}
	}
	return true
}
