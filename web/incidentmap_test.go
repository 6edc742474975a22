package web

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/vocab"
)

// mapIncidents is an Incidents that behaves like the pipeline for what the
// map and the overview read: Incidents with its status rule (no status =
// the review queue), Cases, Violations. err, when set, is what every
// method answers (EUNAVAILABLE on a follower).
type mapIncidents struct {
	agreement *agreement.Agreement
	incidents []*incident.Incident
	cases     []*compliance.Case
	result    compliance.Result
	err       error
	calls     []pipeline.Filter
}

func (p *mapIncidents) Agreement() *agreement.Agreement { return p.agreement }

func (p *mapIncidents) Incidents(f pipeline.Filter) ([]*incident.Incident, error) {
	p.calls = append(p.calls, f)
	if p.err != nil {
		return nil, p.err
	}
	var out []*incident.Incident
	for _, inc := range p.incidents {
		if f.Status == "" && !inc.Status.Open() || f.Status != "" && inc.Status != f.Status {
			continue
		}
		if len(f.Categories) > 0 && !slices.ContainsFunc(f.Categories, func(c vocab.Category) bool { _, ok := inc.Counts[c]; return ok }) {
			continue
		}
		c := *inc // the pipeline returns copies
		out = append(out, &c)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func (p *mapIncidents) Incident(id string) (*incident.Incident, []*incident.Decision, error) {
	for _, inc := range p.incidents {
		if inc.ID == id {
			return inc, nil, p.err
		}
	}
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
}

func (p *mapIncidents) Claim(id, analyst string) (*incident.Claim, error) {
	return nil, pactwatch.Errorf(pactwatch.EFORBIDDEN, "read-only fake")
}

func (p *mapIncidents) Decide(ctx context.Context, id, analyst string, outcome incident.Outcome, reason incident.RejectReason, note string, observations []string) (*incident.Decision, *incident.Incident, error) {
	return nil, nil, pactwatch.Errorf(pactwatch.EFORBIDDEN, "read-only fake")
}

func (p *mapIncidents) Cases(status compliance.CaseStatus) ([]*compliance.Case, error) {
	if p.err != nil {
		return nil, p.err
	}
	var out []*compliance.Case
	for _, c := range p.cases {
		if status == "" || c.Status == status {
			cc := *c
			out = append(out, &cc)
		}
	}
	return out, nil
}

func (p *mapIncidents) Case(id string) (*compliance.Case, []compliance.Violation, error) {
	for _, c := range p.cases {
		if c.ID == id {
			return c, nil, p.err
		}
	}
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", id)
}

func (p *mapIncidents) Violations() (*compliance.Result, error) {
	if p.err != nil {
		return nil, p.err
	}
	r := p.result
	return &r, nil
}

// testIncident is an incident of one report per reporter, at lon, lat
// (±radius km), first reported at first.
func testIncident(id string, st incident.Status, first time.Time, lon, lat, radius float64, counts map[vocab.Category]int) *incident.Incident {
	inc := &incident.Incident{
		ID: id, Version: 1, Status: st, First: first, Last: first.Add(time.Minute),
		Location: &incident.Disc{Point: orb.Point{lon, lat}, RadiusKm: radius},
		Counts:   counts, BestGrade: "B2",
	}
	for c := range counts {
		inc.Family = c.Family()
		inc.Reports = append(inc.Reports, incident.Report{ID: id + "-obs-" + string(c), Reporter: "monitor-7", SourceType: vocab.SourceType("patrol"), Category: c})
	}
	return inc
}

func testIncidents() *mapIncidents {
	day := testNow.Add(-24 * time.Hour)
	fire := map[vocab.Category]int{vocab.Explosion: 12, vocab.BurstOfFire: 30}
	return &mapIncidents{incidents: []*incident.Incident{
		testIncident("inc-verified", incident.Verified, day, 37.61234, 47.95678, 0.4, fire),
		testIncident("inc-reported", incident.Reported, day.Add(time.Hour), 37.7, 48.1, 2, map[vocab.Category]int{vocab.MuzzleFlash: 1}),
		testIncident("inc-corroborated", incident.Corroborated, day.Add(2*time.Hour), 37.8, 48.2, 1, map[vocab.Category]int{vocab.DroneStrike: 1}),
		testIncident("inc-disputed", incident.Disputed, day.Add(3*time.Hour), 37.9, 48.3, 1, map[vocab.Category]int{vocab.HeavyWeaponSighted: 2}),
		testIncident("inc-rejected", incident.Rejected, day.Add(4*time.Hour), 38.0, 48.4, 1, map[vocab.Category]int{vocab.Explosion: 1}),
		testIncident("inc-merged", incident.Merged, day.Add(5*time.Hour), 38.1, 48.5, 1, map[vocab.Category]int{vocab.Explosion: 1}),
		testIncident("inc-old", incident.Verified, testNow.Add(-40*24*time.Hour), 38.2, 48.6, 1, map[vocab.Category]int{vocab.Explosion: 3}),
		{ID: "inc-nowhere", Status: incident.Verified, First: day, Counts: map[vocab.Category]int{vocab.Explosion: 1}},
	}}
}

// obsLayer is an observation layer that answers one marker, so a test
// sees when the map fell back to it.
type obsLayer struct{ fakeMap }

func newObsLayer() *obsLayer {
	return &obsLayer{fakeMap{markers: []Marker{{ID: "obs-1", Kind: "observation", Time: testNow.Add(-time.Hour), Lat: 48.0, Lon: 37.6, Category: vocab.Explosion, Status: "reported"}}}}
}

func ids(ms []Marker) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestIncidentMapMarkers(t *testing.T) {
	month := MarkerFilter{From: testNow.Add(-30 * 24 * time.Hour), To: testNow, Limit: 100}
	with := func(change func(*MarkerFilter)) MarkerFilter {
		f := month
		change(&f)
		return f
	}
	unavailable := pactwatch.Errorf(pactwatch.EUNAVAILABLE, "this server does not lead the pipeline")
	tests := []struct {
		name    string
		public  bool
		err     error // the pipeline's answer
		noObs   bool  // no observation layer
		filter  MarkerFilter
		want    []string
		wantErr string
	}{
		{name: "full: every status but merged, newest first", filter: month,
			want: []string{"inc-rejected", "inc-disputed", "inc-corroborated", "inc-reported", "inc-verified"}},
		{name: "public: verified only", public: true, filter: month, want: []string{"inc-verified"}},
		{name: "public may ask for verified", public: true, filter: with(func(f *MarkerFilter) { f.Statuses = []string{"verified"} }), want: []string{"inc-verified"}},
		{name: "public may not ask for rejected", public: true, filter: with(func(f *MarkerFilter) { f.Statuses = []string{"rejected"} }), wantErr: pactwatch.EFORBIDDEN},
		{name: "status filter", filter: with(func(f *MarkerFilter) { f.Statuses = []string{"disputed", "reported"} }), want: []string{"inc-disputed", "inc-reported"}},
		{name: "a merged incident is never shown", filter: with(func(f *MarkerFilter) { f.Statuses = []string{"merged"} }), want: nil},
		{name: "category: any of the incident's", filter: with(func(f *MarkerFilter) { f.Categories = []vocab.Category{vocab.BurstOfFire} }), want: []string{"inc-verified"}},
		{name: "time window", filter: with(func(f *MarkerFilter) {
			f.From = testNow.Add(-50 * 24 * time.Hour)
			f.To = testNow.Add(-30 * 24 * time.Hour)
		}), want: []string{"inc-old"}},
		{name: "limit keeps the newest", filter: with(func(f *MarkerFilter) { f.Limit = 2 }), want: []string{"inc-rejected", "inc-disputed"}},
		{name: "observation layer", filter: with(func(f *MarkerFilter) { f.Layer = LayerObservations }), want: []string{"obs-1"}},
		{name: "follower falls back to observations", err: unavailable, filter: month, want: []string{"obs-1"}},
		{name: "asked for incidents, a follower says so", err: unavailable, filter: with(func(f *MarkerFilter) { f.Layer = LayerIncidents }), wantErr: pactwatch.EUNAVAILABLE},
		{name: "follower without observations says so", err: unavailable, noObs: true, filter: month, wantErr: pactwatch.EUNAVAILABLE},
		{name: "other errors are not hidden", err: pactwatch.Errorf(pactwatch.EINTERNAL, "boom"), filter: month, wantErr: pactwatch.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := testIncidents()
			src.err = tt.err
			m := IncidentMap{Incidents: src, Public: tt.public}
			if !tt.noObs {
				m.Observations = newObsLayer()
			}
			got, err := m.Markers(context.Background(), tt.filter)
			if code := pactwatch.ErrorCode(err); tt.wantErr != "" || err != nil {
				if code != tt.wantErr {
					t.Fatalf("error %v (%s), want %s", err, code, tt.wantErr)
				}
				return
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("markers %v, want %v", ids(got), tt.want)
			}
		})
	}
}

func TestIncidentMarkerFields(t *testing.T) {
	inc := testIncidents().incidents[0]
	full, ok := IncidentMarker(pipeline.SummaryOf(inc))
	if !ok {
		t.Fatal("no marker")
	}
	want := Marker{
		ID: "inc-verified", Kind: "incident", Time: inc.First, Until: inc.Last,
		Lat: 47.95678, Lon: 37.61234, RadiusKm: 0.4, Category: vocab.BurstOfFire, Status: "verified",
		Count: 42, Grade: "B2", Reports: 2, URL: "/incidents/inc-verified",
	}
	if full != want {
		t.Errorf("full marker\n got %+v\nwant %+v", full, want)
	}
	pub, ok := PublicIncidentMarker(pipeline.SummaryOf(inc))
	if !ok {
		t.Fatal("no public marker")
	}
	if pub.Grade != "" || pub.Count != 42 || pub.Reports != 2 || pub.Status != "verified" {
		t.Errorf("public marker %+v", pub)
	}
	// The public position lies on the public grid, and its radius still
	// covers the true position.
	g := observation.PublicGridDeg
	for _, x := range []float64{pub.Lat, pub.Lon} {
		if r := math.Abs(x/g - math.Round(x/g)); r > 1e-6 {
			t.Errorf("public coordinate %v is off the %v° grid", x, g)
		}
	}
	if pub.Lat == full.Lat && pub.Lon == full.Lon {
		t.Errorf("public marker at the exact position %v,%v", pub.Lat, pub.Lon)
	}
	if km := orbDistanceKm(pub, full); km > pub.RadiusKm {
		t.Errorf("public disc (radius %.3f km) misses the true position by %.3f km", pub.RadiusKm, km)
	}
	// An incident with no position has no marker.
	if _, ok := IncidentMarker(pipeline.SummaryOf(&incident.Incident{ID: "x", Counts: map[vocab.Category]int{vocab.Explosion: 1}})); ok {
		t.Error("marker for an incident with no position")
	}
}

// TestIncidentMarkerAtObserver: an incident known only from where it was
// observed (a lone bearing, sounds heard) is placed at its most precise
// observer — exactly for reviewers, on the public observer grid (0.25°)
// for the public.
func TestIncidentMarkerAtObserver(t *testing.T) {
	inc := &incident.Incident{ID: "heard", Status: incident.Verified, Counts: map[vocab.Category]int{vocab.Explosion: 20},
		Reports: []incident.Report{
			{ID: "o1", Observer: &incident.Disc{Point: orb.Point{37.9, 48.1}, RadiusKm: 0.5}},
			{ID: "o2", Observer: &incident.Disc{Point: orb.Point{37.81234, 48.01234}, RadiusKm: 0.05}},
			{ID: "o3"},
		}}
	full, ok := IncidentMarker(pipeline.SummaryOf(inc))
	if !ok || !full.Observer || full.Lat != 48.01234 || full.Lon != 37.81234 || full.RadiusKm != 0.05 {
		t.Errorf("full marker %+v, want at the most precise observer", full)
	}
	pub, ok := PublicIncidentMarker(pipeline.SummaryOf(inc))
	if !ok || !pub.Observer {
		t.Fatalf("public marker %+v, %v", pub, ok)
	}
	g := observation.PublicObserverGridDeg
	for _, x := range []float64{pub.Lat, pub.Lon} {
		if r := math.Abs(x/g - math.Round(x/g)); r > 1e-6 {
			t.Errorf("public observer coordinate %v is off the %v° grid", x, g)
		}
	}
	if km := orbDistanceKm(pub, full); km > pub.RadiusKm {
		t.Errorf("public disc (radius %.3f km) misses the observer by %.3f km", pub.RadiusKm, km)
	}
}

func orbDistanceKm(a, b Marker) float64 {
	const kmPerDeg = 111.32
	dy := (a.Lat - b.Lat) * kmPerDeg
	dx := (a.Lon - b.Lon) * kmPerDeg * math.Cos(a.Lat*math.Pi/180)
	return math.Hypot(dx, dy)
}

func TestMainCategory(t *testing.T) {
	tests := []struct {
		counts map[vocab.Category]int
		want   vocab.Category
		n      int
	}{
		{map[vocab.Category]int{vocab.Explosion: 3}, vocab.Explosion, 3},
		{map[vocab.Category]int{vocab.Explosion: 3, vocab.BurstOfFire: 5}, vocab.BurstOfFire, 8},
		{map[vocab.Category]int{vocab.BurstOfFire: 4, vocab.Explosion: 4}, vocab.Explosion, 8}, // tie: the report's order
		{map[vocab.Category]int{vocab.CivilianCasualty: 0}, vocab.CivilianCasualty, 1},
		{nil, vocab.Other, 0},
	}
	for _, tt := range tests {
		got, n := mainCategory(tt.counts)
		if got != tt.want || n != tt.n {
			t.Errorf("mainCategory(%v) = %s, %d; want %s, %d", tt.counts, got, n, tt.want, tt.n)
		}
	}
}

// TestIncidentMapPipelineCalls checks the map asks the pipeline once per
// status group and passes the category filter down.
func TestIncidentMapPipelineCalls(t *testing.T) {
	src := testIncidents()
	m := IncidentMap{Incidents: src}
	cats := []vocab.Category{vocab.Explosion}
	if _, err := m.Markers(context.Background(), MarkerFilter{Categories: cats, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range src.calls {
		if !slices.Equal(f.Categories, cats) {
			t.Errorf("call %+v lost the category filter", f)
		}
		got = append(got, fmt.Sprintf("%q", f.Status))
	}
	if want := []string{`""`, `"verified"`, `"rejected"`}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

// TestIncidentMapPage checks the filter form each viewer gets and the
// markers endpoint's answers over the incident map.
func TestIncidentMapPage(t *testing.T) {
	h := newIncidentMapHandler(t, testIncidents())
	analyst := []string{"Cookie", sessionCookie + "=analyst-token"}
	tests := []struct {
		name, target string
		header       []string
		code         int
		has, lacks   []string
	}{
		{name: "public form", target: "/map?lang=en", code: 200,
			has: []string{`id="f-layer"`, `map-note`, `#fam-strike`}, lacks: []string{`id="f-status"`, `pw-st-rejected`}},
		{name: "analyst form", target: "/map?lang=en", header: analyst, code: 200,
			has: []string{`id="f-layer"`, `id="f-status"`, `pw-st-rejected`}, lacks: []string{`map-note`}},
		{name: "layer kept", target: "/map?lang=en&layer=observations", code: 200,
			has: []string{`<option value="observations" selected>`, `layer=observations`}},
		{name: "bad layer", target: "/map/markers.json?layer=rumours", code: 400, has: []string{`"field":"layer"`}},
		{name: "public markers: verified only", target: "/map/markers.json", code: 200,
			has: []string{`"inc-verified"`}, lacks: []string{`"inc-reported"`, `"B2"`}},
		{name: "public may not ask for rejected", target: "/map/markers.json?status=rejected", code: 403, has: []string{`"field":"status"`}},
		{name: "analyst markers: every status, grades", target: "/map/markers.json", header: analyst, code: 200,
			has: []string{`"inc-verified"`, `"inc-rejected"`, `"B2"`}, lacks: []string{`"inc-merged"`}},
		{name: "observation layer", target: "/map/markers.json?layer=observations", code: 200, has: []string{`"obs-1"`}, lacks: []string{`"inc-verified"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, tt.target, tt.header...)
			body := rec.Body.String()
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d: %.300s", rec.Code, tt.code, body)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %s", s)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("has %s", s)
				}
			}
		})
	}
}

// TestMarkerSprite checks every category family has its shape.
func TestMarkerSprite(t *testing.T) {
	data, err := staticFS.ReadFile("static/" + spritePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families() {
		if !strings.Contains(string(data), `<symbol id="fam-`+string(f.Family)+`"`) {
			t.Errorf("no marker shape for family %s", f.Family)
		}
	}
}

// TestMapQueryLayer: the layer is checked, kept in the filter and in the
// URL the page links to.
func TestMapQueryLayer(t *testing.T) {
	h := newIncidentMapHandler(t, testIncidents())
	for _, tt := range []struct {
		raw, want string
		ok        bool
	}{
		{"", "", true}, {"layer=incidents", LayerIncidents, true}, {"layer=observations", LayerObservations, true},
		{"layer=rumours", "", false}, {"layer=Incidents", "", false},
	} {
		q, _ := url.ParseQuery(tt.raw)
		mq, err := h.parseMapQuery(q)
		if (err == nil) != tt.ok {
			t.Errorf("%q: error %v, want ok=%v", tt.raw, err, tt.ok)
			continue
		}
		if err != nil {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID || !strings.Contains(err.Error(), "layer") {
				t.Errorf("%q: error %v, want invalid layer", tt.raw, err)
			}
			continue
		}
		back, _ := url.ParseQuery(mq.encode())
		if mq.filter.Layer != tt.want || back.Get("layer") != tt.want {
			t.Errorf("%q: layer %q, encoded %q; want %q", tt.raw, mq.filter.Layer, back.Get("layer"), tt.want)
		}
	}
}
