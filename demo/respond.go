package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// Behaviour is how a simulated guarantor answers its protocol steps.
type Behaviour string

const (
	OnTime Behaviour = "on_time" // acts as soon as a step is assigned
	Late   Behaviour = "late"    // acts only once its step is overdue (after the escalation)
	Never  Behaviour = "never"   // never acts: overdue, escalated, missed at the cutoff
)

// behaviours is the demo's cast of guarantors: the scorecard shows each
// outcome. A guarantor not listed (or not in the agreement) is left alone.
var behaviours = map[string]Behaviour{
	"us": OnTime, "uk": OnTime, "france": OnTime, "germany": OnTime,
	"poland": Late, "canada": Late,
	"netherlands": Never, "denmark": Never, "finland": Never,
	// The response tests' agreement.
	"a": OnTime, "b": Late, "c": Never,
}

// BehaviourOf returns how the demo's liaison of a guarantor behaves.
func BehaviourOf(guarantor string) Behaviour {
	if b, ok := behaviours[guarantor]; ok {
		return b
	}
	return Never
}

// RespondResult counts the actions the simulated liaisons recorded.
type RespondResult struct {
	Runs, OnTime, Late int
}

// Respond plays the guarantors' liaisons (and the mission's analyst) on the
// protocol runs of every confirmed case, through the real API: a step
// owed by an on-time guarantor is recorded while pending, a late
// guarantor's only once it is overdue, and a never-acting guarantor's
// never; the mission's steps are recorded on time. Call it after Review and
// again from time to time (Live does): each pass records what is due now
// on the server's clock, so late guarantors turn late once their
// deadlines pass. Liaison tokens are saved in Dir/liaison-<guarantor>.token.
func Respond(ctx context.Context, cfg Config) (RespondResult, error) {
	var res RespondResult
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tok, err := analystToken(ctx, cfg, 1)
	if err != nil {
		return res, err
	}
	analyst := client.New(cfg.Client.BaseURL, tok)
	var cases client.Cases
	if err := paced(ctx, func() (err error) { cases, err = analyst.Cases(ctx, string(compliance.Confirmed)); return err }); err != nil {
		return res, fmt.Errorf("demo: listing confirmed cases: %w", err)
	}
	liaisons := map[string]*client.Client{}
	for _, raw := range cases.Cases {
		var c compliance.Case
		if err := json.Unmarshal(raw, &c); err != nil {
			return res, err
		}
		var steps client.Steps
		if err := paced(ctx, func() (err error) { steps, err = analyst.CaseSteps(ctx, c.ID); return err }); err != nil {
			// The scheduler starts the runs on its next tick.
			continue
		}
		for _, run := range steps.Runs {
			res.Runs++
			for _, s := range run.Steps {
				by, late, ok := whoActs(s)
				if !ok {
					continue
				}
				api := analyst
				if by != "mission" {
					if api = liaisons[by]; api == nil {
						t, err := liaisonToken(ctx, cfg, by)
						if err != nil {
							return res, err
						}
						api = client.New(cfg.Client.BaseURL, t)
						liaisons[by] = api
					}
				}
				req := client.ActionRequest{Statement: statement(s, late), Reference: fmt.Sprintf("demo note %s", s.Key)}
				if err := paced(ctx, func() error { _, err := api.RecordAction(ctx, run.ID, s.Key, req); return err }); err != nil {
					return res, fmt.Errorf("demo: %s recording %s/%s: %w", by, run.ID, s.Key, err)
				}
				if late {
					res.Late++
				} else {
					res.OnTime++
				}
			}
		}
	}
	return res, nil
}

// whoActs decides whether the step is recorded on this pass, by whom, and
// whether that is late.
func whoActs(s *response.Step) (actor string, late, ok bool) {
	if s.Actor == "mission" {
		return "mission", s.State == response.Overdue, s.State == response.Pending || s.State == response.Overdue
	}
	switch BehaviourOf(s.Actor) {
	case OnTime:
		return s.Actor, s.State == response.Overdue, s.State == response.Pending || s.State == response.Overdue
	case Late:
		return s.Actor, true, s.State == response.Overdue
	}
	return "", false, false
}

func statement(s *response.Step, late bool) string {
	what := strings.ReplaceAll(string(s.Action), "_", " ")
	if late {
		return fmt.Sprintf("%s done after the deadline (demo)", what)
	}
	return fmt.Sprintf("%s done (demo)", what)
}

// liaisonToken creates the simulated liaison of a guarantor (or reads its
// saved token).
func liaisonToken(ctx context.Context, cfg Config, guarantor string) (string, error) {
	file := filepath.Join(cfg.Dir, "liaison-"+guarantor+".token")
	if b, err := os.ReadFile(file); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	from := cfg.Now().UTC().Add(-time.Duration(max(cfg.Days, 3)+1) * 24 * time.Hour)
	var np client.NewPrincipal
	err := paced(ctx, func() (err error) {
		np, err = cfg.Client.AddPrincipal(ctx, client.PrincipalRequest{Name: "demo liaison " + guarantor, Role: string(vocab.RoleGuarantorLiaison),
			Of: guarantor, ValidFrom: &from})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("demo: registering the liaison of %s: %w", guarantor, err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return "", err
	}
	return np.Token, os.WriteFile(file, []byte(np.Token+"\n"), 0o600)
}
