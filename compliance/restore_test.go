package compliance_test

import (
	"encoding/json"
	"testing"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/compliance"
)

// A book restored from its cases' latest snapshots (as a store keeps them)
// behaves like the original: ingesting the same violations again opens
// nothing, later violations of a group join its open case, escalated minor
// cases keep their group, and closed cases take nothing more.
func TestBookRestore(t *testing.T) {
	a, _ := example(t)
	clk := &clock{caseDay}
	p := compliance.DefaultPolicy()
	p.EscalateMinorAt = 3
	b := compliance.NewBook(a, p, clk.now)
	serious := violations(4, compliance.Serious, "russia")
	minor := violations(3, compliance.Minor, "")
	for i := range minor {
		minor[i].ID += "/minor"
	}
	closedGroup := violations(1, compliance.Serious, "ukraine")
	closedGroup[0].ID += "/ua"
	if trs := b.Ingest(append(append(serious[:2:2], minor...), closedGroup...)); len(trs) != 3 {
		t.Fatalf("%d transitions, want 3 openings", len(trs))
	}
	var ua string
	for _, c := range b.Cases() {
		if c.Group.Party == "ukraine" {
			ua = c.ID
		}
	}
	if _, err := b.Close(ua, "analyst-1", compliance.Withdrawn, "misattributed"); err != nil {
		t.Fatal(err)
	}
	// What a store keeps: each case's JSON.
	var saved []*compliance.Case
	for _, c := range b.Cases() {
		data, _ := json.Marshal(c)
		var cp compliance.Case
		if err := json.Unmarshal(data, &cp); err != nil {
			t.Fatal(err)
		}
		saved = append(saved, &cp)
	}
	r := compliance.NewBook(a, p, clk.now)
	if err := r.Restore(saved); err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(saved); pactwatch.ErrorCode(err) != pactwatch.ECONFLICT {
		t.Fatalf("restoring twice: %v", err)
	}
	if trs := r.Ingest(append(append(serious[:2:2], minor...), closedGroup...)); len(trs) != 0 {
		t.Fatalf("re-ingesting after restore made %d transitions", len(trs))
	}
	more := append(serious[2:], violations(1, compliance.Serious, "ukraine")...)
	more[len(more)-1].ID += "/ua-later"
	trs := r.Ingest(more)
	if len(trs) != 2 || trs[0].Action != compliance.ActViolationsAdded || trs[1].Action != compliance.ActOpened {
		t.Fatalf("later violations: %+v", trs)
	}
	if len(r.Cases()) != 4 {
		t.Fatalf("%d cases, want 4 (a closed group opens a new case)", len(r.Cases()))
	}

	// Refused: a case twice, a violation in two cases.
	dup := compliance.NewBook(a, p, clk.now)
	if err := dup.Restore([]*compliance.Case{saved[0], saved[0]}); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("a case twice: %v", err)
	}
	twin := *saved[0]
	twin.ID = "case-twin"
	if err := compliance.NewBook(a, p, clk.now).Restore([]*compliance.Case{saved[0], &twin}); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("a violation in two cases: %v", err)
	}
}
