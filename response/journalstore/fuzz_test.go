package journalstore

import (
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// FuzzOwnHistory: the exclusions never refuse one engine's own history.
// Arbitrary confirmations, actions, closures, pauses and ticks on one
// engine produce calls that a store keeping the exclusions must accept
// whole: no new record of a call may exclude a record stored before it or
// stored in the same call. (That the exclusions refuse what two engines
// compute apart is TestStepRaces'.)
func FuzzOwnHistory(f *testing.F) {
	f.Add([]byte{0, 0, 2, 30, 1, 9, 2, 200, 3, 0})
	f.Add([]byte{0, 0, 0, 1, 2, 23, 3, 2, 2, 2, 1, 1, 2, 250, 2, 250})
	f.Add([]byte{0, 2, 4, 0, 2, 100, 5, 0, 1, 7, 2, 30, 3, 1})
	a, err := agreement.Load("../testdata/agreement.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		now := t0
		e := response.New(a, func() time.Time { return now })
		stored := map[string]bool{}
		keep := func(ts []response.Transition, err error) {
			if err != nil || len(ts) == 0 {
				return
			}
			inCall := map[string]bool{}
			for _, tr := range ts {
				inCall[tr.ID] = true
			}
			for _, x := range exclusions(ts) {
				if !stored[x.Record] && (stored[x.Excludes] || inCall[x.Excludes]) {
					t.Fatalf("%s excludes %s, which one engine stored (call %v)", x.Record, x.Excludes, ids(ts))
				}
			}
			for id := range inCall {
				stored[id] = true
			}
		}
		ncases := 0
		caseID := func(b byte) string { return "c" + string(rune('0'+int(b)%max(ncases, 1))) }
		for i := 0; i+1 < len(prog) && i < 200; i += 2 {
			op, arg := prog[i]%7, prog[i+1]
			switch op {
			case 0:
				if ncases < 8 {
					com := []string{"ceasefire", "access"}[int(arg)%2]
					keep(e.Confirm(response.Case{ID: "c" + string(rune('0'+ncases)), Commitment: com, Party: "north", Confirmed: now}))
					ncases++
				}
			case 1:
				runs := e.Runs()
				if len(runs) == 0 {
					continue
				}
				run := runs[int(arg)%len(runs)]
				s := run.Steps[int(arg/8)%len(run.Steps)]
				by := response.Recorder{Principal: "p", Role: vocab.RoleGuarantorLiaison, Of: s.Actor}
				if s.Actor == agreement.ActorMission {
					by.Role = vocab.RoleAnalyst
				}
				keep(e.Record(by, run.ID, s.Key, response.Action{Statement: "done"}))
			case 2:
				now = now.Add(time.Duration(arg) * time.Hour)
				ts := e.Due(now)
				keep(ts, e.Apply(ts...))
			case 3:
				keep(e.Close(caseID(arg), []string{response.Remedied, response.Withdrawn}[arg%2], "r"))
			case 4:
				keep(e.Pause(caseID(arg)))
			case 5:
				keep(e.Resume(caseID(arg)))
			case 6:
				now = now.Add(time.Duration(arg) * time.Minute)
			}
		}
	})
}

func ids(ts []response.Transition) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
