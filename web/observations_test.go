package web

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/vocab"
)

// fakeStore filters like the store does: [From, To), one category, a Seq
// cursor and a limit.
type fakeStore struct {
	recs  []observation.Record
	calls int
}

func (s *fakeStore) Observations(ctx context.Context, f store.ObservationFilter) ([]observation.Record, error) {
	s.calls++
	var out []observation.Record
	for _, r := range s.recs {
		if r.Seq <= f.After || r.ObservedAt.Before(f.From) || !r.ObservedAt.Before(f.To) {
			continue
		}
		if f.Category != "" && r.Category != f.Category {
			continue
		}
		out = append(out, r)
		if len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func newFakeStore(n int) *fakeStore {
	s := &fakeStore{}
	cats := []vocab.Category{vocab.Explosion, vocab.BurstOfFire, vocab.MovementRestriction}
	for i := range n {
		r := observation.Record{Seq: int64(i + 1)}
		r.ID = fmt.Sprintf("obs-%d", i)
		r.ObservedAt = testNow.Add(-time.Duration(i) * time.Minute)
		r.Category = cats[i%len(cats)]
		r.Count = 2
		r.Narrative = "patrol saw it"
		r.Reporter = "key-123"
		r.Observer = &observation.Position{Lat: 48.0123, Lon: 37.8123, UncertaintyM: 10}
		if i%2 == 0 {
			r.Target = &observation.Position{Lat: 48.1234, Lon: 37.9876, UncertaintyM: 50}
		}
		s.recs = append(s.recs, r)
	}
	return s
}

func TestObservationMap(t *testing.T) {
	st := newFakeStore(4500)
	window := MarkerFilter{From: testNow.Add(-30 * 24 * time.Hour), To: testNow.Add(time.Hour), Limit: maxMarkers + 1}
	tests := []struct {
		name   string
		public bool
		filter func(MarkerFilter) MarkerFilter
		want   int
	}{
		{"all, paged", true, func(f MarkerFilter) MarkerFilter { return f }, 4500},
		{"one category", true, func(f MarkerFilter) MarkerFilter { f.Categories = categoriesFor("explosion"); return f }, 1500},
		{"family", false, func(f MarkerFilter) MarkerFilter { f.Categories = categoriesFor("ceasefire_violation"); return f }, 3000},
		{"observations are only reported", true, func(f MarkerFilter) MarkerFilter { f.Statuses = []string{"verified"}; return f }, 0},
		{"limit", true, func(f MarkerFilter) MarkerFilter { f.Limit = 100; return f }, 100},
		{"window", true, func(f MarkerFilter) MarkerFilter { f.From = testNow.Add(-time.Hour); return f }, 61},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ObservationMap{Store: st, Public: tt.public}
			got, err := m.Markers(context.Background(), tt.filter(window))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("%d markers, want %d", len(got), tt.want)
			}
			for _, mk := range got {
				if mk.Status != "reported" || mk.Kind != "observation" || mk.Count != 2 {
					t.Fatalf("marker %+v", mk)
				}
				if tt.public {
					if mk.Summary != "" {
						t.Fatalf("public marker shows the narrative: %+v", mk)
					}
					if onGrid := func(x float64) bool {
						return math.Abs(x/observation.PublicGridDeg-math.Round(x/observation.PublicGridDeg)) < 1e-6
					}; !onGrid(mk.Lat) || !onGrid(mk.Lon) {
						t.Fatalf("public marker at exact position %v,%v", mk.Lat, mk.Lon)
					}
				} else if mk.Summary != "patrol saw it" {
					t.Fatalf("analyst marker lacks the narrative: %+v", mk)
				}
			}
		})
	}
	// Targets are preferred to the observer's position.
	mk, ok := ObservationMarker(st.recs[0])
	if !ok || mk.Lat != 48.1234 {
		t.Errorf("marker %+v, want the target", mk)
	}
	if mk, ok := ObservationMarker(st.recs[1]); !ok || mk.Lat != 48.0123 {
		t.Errorf("marker %+v, want the observer without a target", mk)
	}
	if _, ok := ObservationMarker(observation.Record{}); ok {
		t.Error("an observation without a position got a marker")
	}
}
