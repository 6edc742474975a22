package response

import (
	"fmt"
	"testing"
	"time"
)

// engineWith returns an engine with n confirmed cases an hour apart, across
// the two commitments with protocols.
func engineWith(b *testing.B, n int) (*Engine, []Transition) {
	a := load(b)
	e := New(a, func() time.Time { return t0 })
	var all []Transition
	for i := range n {
		com := "ceasefire"
		if i%2 == 1 {
			com = "access"
		}
		ts, err := e.Confirm(Case{ID: fmt.Sprintf("case-%d", i), Commitment: com, Party: "north", Confirmed: t0.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, ts...)
	}
	return e, all
}

// BenchmarkDue: one scheduler pass over 1,000 open cases at a time when a
// few deadlines are due (the steady state of a tick).
func BenchmarkDue(b *testing.B) {
	e, _ := engineWith(b, 1000)
	now := t0.Add(1000*time.Hour + 30*time.Minute)
	e.Apply(e.Due(now.Add(-2 * time.Hour))...)
	b.ResetTimer()
	for b.Loop() {
		e.Due(now)
	}
}

// BenchmarkReplay: a restart, rebuilding 1,000 cases with every deadline
// passed from their stored transitions.
func BenchmarkReplay(b *testing.B) {
	e, ts := engineWith(b, 1000)
	due := e.Due(t0.Add(2000 * time.Hour))
	ts = append(ts, due...)
	b.ReportMetric(float64(len(ts)), "transitions")
	b.ResetTimer()
	for b.Loop() {
		r := New(e.Agreement, e.Now)
		if err := r.Apply(ts...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore: the scorecard of 1,000 cases over 12 windows.
func BenchmarkScore(b *testing.B) {
	e, _ := engineWith(b, 1000)
	e.Apply(e.Due(t0.Add(2000 * time.Hour))...)
	runs, cases := e.Runs(), e.Cases()
	ws := Windows(t0, t0.Add(2000*time.Hour), "7d")
	b.ResetTimer()
	for b.Loop() {
		Score(e.Agreement, runs, cases, t0.Add(2000*time.Hour), ws)
	}
}
