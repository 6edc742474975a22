package webbench

import (
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/examples"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/vocab"
	"github.com/pactwatch/pactwatch/web"
)

var (
	_ web.Incidents  = (*Source)(nil)
	_ web.Summarised = (*Source)(nil)
)

func TestMonth(t *testing.T) {
	a, err := agreement.ParseFS(examples.Ukraine, "agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	src, err := Month(a, 3000, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.incidents) != 3000 {
		t.Fatalf("%d incidents, want 3000", len(src.incidents))
	}
	byStatus := map[incident.Status]int{}
	fire := 0
	for _, inc := range src.incidents {
		byStatus[inc.Status]++
		if inc.First.After(end) || inc.First.Before(end.Add(-29*24*time.Hour)) {
			t.Fatalf("%s at %s, outside the month", inc.ID, inc.First)
		}
		if inc.Family == vocab.FamilyFire {
			fire++
		}
	}
	// Roughly the shares asked for: a wrong pick would skew them.
	if v := byStatus[incident.Verified]; v < 1500 || v > 1800 {
		t.Errorf("%d verified of 3000, want about 55%%", v)
	}
	if fire < 2200 || fire > 2600 {
		t.Errorf("%d ceasefire violations of 3000, want about 80%%", fire)
	}
	// The pipeline's rules: no status is the queue.
	queue, _ := src.Incidents(pipeline.Filter{})
	if want := byStatus[incident.Reported] + byStatus[incident.Corroborated] + byStatus[incident.Disputed]; len(queue) != want {
		t.Errorf("queue of %d, want %d", len(queue), want)
	}
	explosions, _ := src.Incidents(pipeline.Filter{Status: incident.Verified, Categories: []vocab.Category{vocab.Explosion}, Limit: 5})
	if len(explosions) != 5 || explosions[0].Counts[vocab.Explosion] == 0 || explosions[0].Status != incident.Verified {
		t.Errorf("filtered incidents %v", explosions)
	}
	// Copies: changing one does not change the source.
	explosions[0].Status = incident.Rejected
	if again, _, _ := src.Incident(explosions[0].ID); again.Status != incident.Verified {
		t.Error("Incidents returned the source's own incident, not a copy")
	}
	sums, _ := src.Summaries(pipeline.Filter{Status: incident.Verified, Categories: []vocab.Category{vocab.Explosion}, Limit: 5})
	if len(sums) != 5 || sums[0].ID != explosions[0].ID {
		t.Errorf("summaries %v do not follow Incidents", sums)
	}
	// Deterministic.
	again, _ := Month(a, 3000, end)
	if again.incidents[1234].Location.Point != src.incidents[1234].Location.Point {
		t.Error("Month is not deterministic")
	}
}
