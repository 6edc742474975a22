package pipeline_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/keys"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/server"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// clock is the settable clock shared by the store, the server and the
// pipeline of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one running server: store, pipeline, HTTP API.
type env struct {
	t      *testing.T
	st     store.Store
	pl     *pipeline.Pipeline
	srv    *server.Server
	http   *httptest.Server
	cancel context.CancelFunc
	done   chan struct{}
}

func start(t *testing.T, dsn, dir string, agr *agreement.Agreement, clk *clock) *env {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.FromAgreement(agr)
	cfg.Store, cfg.Now, cfg.Poll = st, clk.now, 10*time.Millisecond
	pl, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, DataDir: dir, Now: clk.now, Pipeline: pl})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, st: st, pl: pl, srv: srv, http: httptest.NewServer(srv.Handler()), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		if err := pl.Run(ctx); err != nil {
			t.Errorf("pipeline: %v", err)
		}
	}()
	storetest.WaitFor(t, "the pipeline to lead", pl.Ready)
	return e
}

func (e *env) stop() {
	e.cancel()
	<-e.done
	e.http.Close()
	e.srv.Close()
	e.st.Close()
}

func (e *env) client(token string) *client.Client { return client.New(e.http.URL, token) }

// all returns every incident the pipeline holds, by id.
func all(t *testing.T, pl *pipeline.Pipeline) map[string]*incident.Incident {
	t.Helper()
	out := map[string]*incident.Incident{}
	for _, s := range []incident.Status{incident.Reported, incident.Corroborated, incident.Disputed, incident.Verified, incident.Rejected, incident.Merged} {
		list, err := pl.Incidents(pipeline.Filter{Status: s})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range list {
			out[inc.ID] = inc
		}
	}
	return out
}

// monitor is a signing principal.
type monitor struct {
	key   ed25519.PrivateKey
	token string
}

func addPrincipal(t *testing.T, e *env, role vocab.Role, of string, pub ed25519.PublicKey, now time.Time) string {
	t.Helper()
	from := now.Add(-72 * time.Hour)
	req := client.PrincipalRequest{Name: "e2e " + string(role) + " " + of, Role: string(role), Of: of, ValidFrom: &from}
	if pub != nil {
		req.PublicKey = keys.FormatPublic(pub)
	}
	p, token, err := server.NewPrincipal(req, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.AddPrincipal(context.Background(), e.st, p); err != nil {
		t.Fatal(err)
	}
	return token
}

func newMonitor(t *testing.T, e *env, now time.Time) *monitor {
	pub, priv, _ := ed25519.GenerateKey(nil)
	return &monitor{key: priv, token: addPrincipal(t, e, vocab.RoleMonitor, "", pub, now)}
}

func (m *monitor) submit(t *testing.T, e *env, obs ...observation.Observation) []string {
	t.Helper()
	var ids []string
	for i := range obs {
		o := &obs[i]
		o.ID = uuid.NewString()
		o.TimePrecision = "minute"
		o.SignedAt = o.ObservedAt.Add(time.Minute)
		o.Reporter = observation.KeyID(m.key.Public().(ed25519.PublicKey))
		if err := observation.Sign(o, m.key); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	if _, err := e.client(m.token).SubmitBatch(context.Background(), obs); err != nil {
		t.Fatalf("submitting: %v", err)
	}
	return ids
}

func pos(p orb.Point, uncertaintyKm float64) *observation.Position {
	return &observation.Position{Lon: p[0], Lat: p[1], UncertaintyM: uncertaintyKm * 1000}
}

// destination is the point km from p on the initial bearing az (degrees),
// on a sphere: close enough to place test points whose distances the test
// then measures with package geo.
func destination(p orb.Point, az, km float64) orb.Point {
	const r = 6371.0088
	lat1, lon1, th, d := p[1]*math.Pi/180, p[0]*math.Pi/180, az*math.Pi/180, km/r
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(th))
	lon2 := lon1 + math.Atan2(math.Sin(th)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	return orb.Point{lon2 * 180 / math.Pi, lat2 * 180 / math.Pi}
}

// bearing is the initial bearing from p to q on a sphere, in degrees.
func bearing(p, q orb.Point) float64 {
	lat1, lat2, dl := p[1]*math.Pi/180, q[1]*math.Pi/180, (q[0]-p[0])*math.Pi/180
	y := math.Sin(dl) * math.Cos(lat2)
	x := math.Cos(lat1)*math.Sin(lat2) - math.Sin(lat1)*math.Cos(lat2)*math.Cos(dl)
	return math.Mod(math.Atan2(y, x)*180/math.Pi+360, 360)
}

// offset places a point km from the line zone, on party's side of it,
// perpendicular to segment i, and checks the distance with package geo.
func offset(t *testing.T, a *agreement.Agreement, zone string, i int, party string, km float64) orb.Point {
	t.Helper()
	z := a.Zone(zone)
	ls := z.Geometry.(orb.LineString)
	mid := orb.Point{(ls[i][0] + ls[i+1][0]) / 2, (ls[i][1] + ls[i+1][1]) / 2}
	az := bearing(ls[i], ls[i+1])
	want := a.PartySide(z, party)
	for _, perp := range []float64{az + 90, az - 90} {
		lo, hi := 0.0, 3*km
		for range 60 {
			m := (lo + hi) / 2
			if z.Line().DistanceKm(destination(mid, perp, m)) < km {
				lo = m
			} else {
				hi = m
			}
		}
		p := destination(mid, perp, lo)
		if d, side := z.Line().Measure(p); side == want && math.Abs(d-km) < 0.01 {
			return p
		}
	}
	t.Fatalf("no point %.1f km on %s's side of %s", km, party, zone)
	return orb.Point{}
}

// TestEndToEnd runs the scripted scenario through the HTTP API on
// SQLite, restarting the server mid-way.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	scenario(t, filepath.Join(dir, "pactwatch.db"), dir)
}

// TestEndToEndPostgres is the same on PostgreSQL.
func TestEndToEndPostgres(t *testing.T) {
	scenario(t, pgSchema(t), t.TempDir())
}

// With two servers on one PostgreSQL database only one runs the pipeline;
// when it stops, the other takes over with the same state.
func TestOneLeaderPostgres(t *testing.T) {
	dsn := pgSchema(t)
	agr, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)}
	first := start(t, dsn, t.TempDir(), agr, clk)
	st, err := store.Open(context.Background(), dsn, store.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := pipeline.FromAgreement(agr)
	cfg.Store, cfg.Now, cfg.Poll = st, clk.now, 10*time.Millisecond
	second, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := second.Run(ctx); err != nil {
			t.Errorf("second pipeline: %v", err)
		}
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond)
	if second.Ready() {
		t.Fatal("two pipelines lead one database")
	}
	if _, err := second.Incidents(pipeline.Filter{}); pactwatch.ErrorCode(err) != pactwatch.EUNAVAILABLE {
		t.Fatalf("the follower answered: %v", err)
	}
	first.stop()
	storetest.WaitFor(t, "the second server to take over", second.Ready)
}

// pgSchema returns a PostgreSQL URL on a fresh schema, dropped after the
// test (or skips without PACTWATCH_TEST_POSTGRES).
func pgSchema(t *testing.T) string {
	t.Helper()
	admin := storetest.PostgresURL(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("e2e_%x", sha256.Sum256([]byte(t.Name()+time.Now().String())))[:40]
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func scenario(t *testing.T, dsn, dir string) {
	ctx := context.Background()
	agr, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2027, 1, 15, 6, 0, 0, 0, time.UTC)
	day2 := time.Date(2027, 1, 15, 22, 10, 0, 0, time.UTC) // 00:10 on the 16th in Kyiv
	clk := &clock{t: day1.Add(7 * time.Hour)}
	e := start(t, dsn, dir, agr, clk)

	now := clk.now()
	patrols := []*monitor{newMonitor(t, e, now), newMonitor(t, e, now), newMonitor(t, e, now)}
	uav, desk, patrol4 := newMonitor(t, e, now), newMonitor(t, e, now), newMonitor(t, e, now)
	analyst1 := addPrincipal(t, e, vocab.RoleAnalyst, "", nil, now)
	analyst2 := addPrincipal(t, e, vocab.RoleAnalyst, "", nil, now)
	auditor := addPrincipal(t, e, vocab.RoleAuditor, "", nil, now)
	adminTok := addPrincipal(t, e, vocab.RoleAdmin, "", nil, now)
	russia := addPrincipal(t, e, vocab.RolePartyLiaison, "russia", nil, now)
	ukraine := addPrincipal(t, e, vocab.RolePartyLiaison, "ukraine", nil, now)
	if err := e.srv.InvalidatePrincipals(ctx); err != nil {
		t.Fatal(err)
	}

	// 1. A shelling heard by three patrols with bearings to one origin in
	// the area Russia controls; one also saw the impact.
	origin := orb.Point{38.00, 48.45}
	impact := orb.Point{37.62, 48.47}
	spots := []orb.Point{{37.80, 48.38}, {37.78, 48.52}, {37.80, 48.56}}
	var shellIDs []string
	for i, p := range spots {
		o := observation.Observation{ObservedAt: day1.Add(2*time.Hour + time.Duration(i)*time.Minute), Category: vocab.Explosion, Count: 30,
			SourceType: vocab.Patrol, Grade: "B2", Observer: pos(p, 0.05),
			Fire: &observation.Fire{BearingDeg: math.Round(bearing(p, origin)*10) / 10, BearingErr: 2, DistanceMinM: 8000, DistanceMaxM: 30000}}
		if i == 0 {
			o.Target = pos(impact, 1)
		}
		shellIDs = append(shellIDs, patrols[i].submit(t, e, o)...)
	}
	// 2. A 122 mm howitzer 10 km from Ukraine's line on its side (25 km
	// withdrawal distance); 3. a tank 20 ± 10 km from Russia's (15 km).
	howitzerID := uav.submit(t, e, observation.Observation{ObservedAt: day1.Add(3 * time.Hour), Category: vocab.HeavyWeaponSighted, Count: 1,
		SourceType: vocab.UAV, Grade: "A1", WeaponClass: vocab.Artillery, CalibreMM: 122, Target: pos(offset(t, agr, "ukraine-line", 15, "ukraine", 10), 0.05)})[0]
	tankID := uav.submit(t, e, observation.Observation{ObservedAt: day1.Add(4 * time.Hour), Category: vocab.HeavyWeaponSighted, Count: 1,
		SourceType: vocab.UAV, Grade: "A2", WeaponClass: vocab.Tank, Target: pos(offset(t, agr, "russia-line", 14, "russia", 20), 10)})[0]
	// 4. A patrol blocked in the area Russia controls.
	blockedID := patrol4.submit(t, e, observation.Observation{ObservedAt: day1.Add(5 * time.Hour), Category: vocab.MovementRestriction, Count: 1,
		SourceType: vocab.Patrol, Grade: "B2", Observer: pos(orb.Point{38.10, 48.10}, 0.1),
		Attribution: &observation.Attribution{Party: "russia", Confidence: "high"}})[0]
	// 5. A party's complaint of an airstrike, uncorroborated.
	complaintID := desk.submit(t, e, observation.Observation{ObservedAt: day1.Add(6 * time.Hour), Category: vocab.Airstrike, Count: 1,
		SourceType: vocab.PartyComplaint, Grade: "C3", Target: pos(orb.Point{35.20, 47.85}, 2),
		Attribution: &observation.Attribution{Party: "russia", Confidence: "high"}})[0]

	storetest.WaitFor(t, "5 incidents", func() bool { return len(all(t, e.pl)) == 5 })
	incOf := func(obs string) *incident.Incident {
		t.Helper()
		for _, inc := range all(t, e.pl) {
			if slices.Contains(inc.ObservationIDs(), obs) {
				return inc
			}
		}
		t.Fatalf("no incident holds %s", obs)
		return nil
	}
	shelling := incOf(shellIDs[0])
	if len(shelling.Reports) != 3 || shelling.Counts[vocab.Explosion] != 30 || shelling.Origin == nil {
		t.Fatalf("shelling: %d reports, %d explosions, origin %v", len(shelling.Reports), shelling.Counts[vocab.Explosion], shelling.Origin)
	}
	if d := geo.DistanceKm(shelling.Origin.Point, origin); d > 0.5 {
		t.Fatalf("shelling origin %.2f km from the true origin", d)
	}
	howitzer, tank, blocked, complaint := incOf(howitzerID), incOf(tankID), incOf(blockedID), incOf(complaintID)

	a1, a2 := e.client(analyst1), e.client(analyst2)
	// The queue, oldest first, as the analyst sees it.
	q, err := a1.Incidents(ctx, client.IncidentQuery{})
	if err != nil || len(q.Incidents) != 5 {
		t.Fatalf("queue: %d, %v", len(q.Incidents), err)
	}
	var first incident.Incident
	if err := json.Unmarshal(q.Incidents[0], &first); err != nil || first.ID != shelling.ID {
		t.Fatalf("queue starts with %s (%v), want the shelling", first.ID, err)
	}
	// Filters: category and grade.
	if q, err := a1.Incidents(ctx, client.IncidentQuery{Category: "airstrike"}); err != nil || len(q.Incidents) != 1 {
		t.Fatalf("airstrike filter: %d, %v", len(q.Incidents), err)
	}
	if q, err := a1.Incidents(ctx, client.IncidentQuery{Grade: "A2"}); err != nil || len(q.Incidents) != 2 {
		t.Fatalf("grade A2 filter: %d, %v", len(q.Incidents), err)
	}
	// Area: the zone Russia controls holds the shelling's origin and the
	// tank (wholly or not: the filter looks at the estimate), not the
	// howitzer on Ukraine's side.
	q, err = a1.Incidents(ctx, client.IncidentQuery{Area: "russia-controlled"})
	if err != nil {
		t.Fatal(err)
	}
	inArea := map[string]bool{}
	for _, raw := range q.Incidents {
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			t.Fatal(err)
		}
		inArea[inc.ID] = true
	}
	if !inArea[shelling.ID] || !inArea[tank.ID] || inArea[howitzer.ID] {
		t.Fatalf("incidents in russia-controlled: %v", inArea)
	}
	for _, bad := range []client.IncidentQuery{{Area: "ukraine-line"}, {Area: "atlantis"}, {Area: "russia-controlled", BBox: &[4]float64{36, 47, 39, 49}}} {
		_, err := a1.Incidents(ctx, bad)
		if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
			t.Fatalf("area %q: %v, want invalid", bad.Area, err)
		}
	}

	// Claims and decisions, with their specific errors; nothing changes on
	// error.
	mustCode := func(err error, code string, what string) {
		t.Helper()
		if pactwatch.ErrorCode(err) != code {
			t.Fatalf("%s: %v, want %s", what, err, code)
		}
	}
	if _, err := a1.Claim(ctx, shelling.ID); err != nil {
		t.Fatal(err)
	}
	_, err = a2.Claim(ctx, shelling.ID)
	mustCode(err, pactwatch.ECONFLICT, "claiming another's claim")
	_, err = a2.Decide(ctx, shelling.ID, client.DecisionRequest{Decision: "verified"})
	mustCode(err, pactwatch.ECONFLICT, "deciding another's claim")
	_, err = a1.Decide(ctx, "inc-nope", client.DecisionRequest{Decision: "verified"})
	mustCode(err, pactwatch.ENOTFOUND, "unknown incident")
	_, err = a1.Decide(ctx, shelling.ID, client.DecisionRequest{Decision: "approved"})
	mustCode(err, pactwatch.EINVALID, "unknown outcome")
	_, err = a1.Decide(ctx, shelling.ID, client.DecisionRequest{Decision: "verified", Observations: []string{complaintID}})
	mustCode(err, pactwatch.EINVALID, "an observation of another incident")
	if got := incOf(shellIDs[0]); got.Version != shelling.Version || got.Status != incident.Corroborated {
		t.Fatalf("a failed request changed the incident: v%d %s", got.Version, got.Status)
	}
	var decisions []*incident.Decision
	decide := func(c *client.Client, id string, req client.DecisionRequest) {
		t.Helper()
		clk.advance(time.Minute)
		res, err := c.Decide(ctx, id, req)
		if err != nil {
			t.Fatalf("deciding %s: %v", id, err)
		}
		decisions = append(decisions, res.Decision)
	}
	decide(a1, shelling.ID, client.DecisionRequest{Decision: "verified", Note: "three bearings cross", Observations: shellIDs})
	_, err = a1.Decide(ctx, shelling.ID, client.DecisionRequest{Decision: "rejected", Reason: "duplicate"})
	mustCode(err, pactwatch.ECONFLICT, "deciding a decided incident")
	decide(a2, howitzer.ID, client.DecisionRequest{Decision: "verified", Note: "UAV imagery"})
	decide(a1, tank.ID, client.DecisionRequest{Decision: "disputed", Note: "position too uncertain; ask for a second pass"})
	decide(a1, tank.ID, client.DecisionRequest{Decision: "verified", Note: "second pass confirms the tank"})
	decide(a2, blocked.ID, client.DecisionRequest{Decision: "verified", Note: "patrol report and video"})
	_, err = a1.Decide(ctx, complaint.ID, client.DecisionRequest{Decision: "verified"})
	mustCode(err, pactwatch.EINVALID, "verifying an uncorroborated incident")
	decide(a1, complaint.ID, client.DecisionRequest{Decision: "rejected", Reason: "unverifiable", Note: "no corroboration"})

	// Three candidate cases: the shelling (Russia), the howitzer (Ukraine),
	// the blocked patrol (Russia); the tank is indeterminate.
	cases := func(c *client.Client) map[string]compliance.Case {
		t.Helper()
		list, err := c.Cases(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]compliance.Case{}
		for _, raw := range list.Cases {
			var cs compliance.Case
			if err := json.Unmarshal(raw, &cs); err != nil {
				t.Fatal(err)
			}
			out[cs.Group.Commitment] = cs
		}
		return out
	}
	got := cases(a1)
	if len(got) != 3 || got["ceasefire"].Group.Party != "russia" || got["withdrawal-ukraine"].Group.Party != "ukraine" || got["freedom-of-movement"].Group.Party != "russia" {
		t.Fatalf("cases: %+v", got)
	}
	res, err := e.pl.Violations()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Indeterminate) != 1 || res.Indeterminate[0].Incident != tank.ID {
		t.Fatalf("indeterminate: %+v, want the tank", res.Indeterminate)
	}

	// Restart mid-way: everything is restored, nothing processed twice.
	before := all(t, e.pl)
	e.stop()
	e = start(t, dsn, dir, agr, clk)
	after := all(t, e.pl)
	if len(after) != len(before) {
		t.Fatalf("after the restart %d incidents, before %d", len(after), len(before))
	}
	for id, inc := range before {
		if a := after[id]; a == nil || a.Version != inc.Version || a.Status != inc.Status || len(a.Reports) != len(inc.Reports) {
			t.Fatalf("incident %s changed over the restart", id)
		}
	}
	a1, a2 = e.client(analyst1), e.client(analyst2)
	if got := cases(a1); len(got) != 3 {
		t.Fatalf("after the restart %d cases", len(got))
	}

	// 6. 300 minor violations in a day: bursts at 30 places, each place
	// every two hours, reported by the three patrols.
	var burstIDs []string
	var batch []observation.Observation
	for i := range 300 {
		batch = append(batch, observation.Observation{ObservedAt: day2.Add(time.Duration(i) * 4 * time.Minute), Category: vocab.BurstOfFire, Count: 1,
			SourceType: vocab.Patrol, Grade: "B2", WeaponClass: vocab.SmallArms,
			Target: pos(offset(t, agr, "ukraine-line", i%30%(len(agr.Zone("ukraine-line").Geometry.(orb.LineString))-1), "ukraine", 8), 0.5)})
	}
	clk.advance(30 * time.Hour) // the 17th: the bursts are in the past
	burstIDs = append(burstIDs, patrols[0].submit(t, e, batch[:150]...)...)
	burstIDs = append(burstIDs, patrols[1].submit(t, e, batch[150:]...)...)
	storetest.WaitFor(t, "305 incidents", func() bool { return len(all(t, e.pl)) == 305 })
	q, err = a1.Incidents(ctx, client.IncidentQuery{Category: "burst_of_fire", Limit: 1000})
	if err != nil || len(q.Incidents) != 300 {
		t.Fatalf("burst queue: %d, %v", len(q.Incidents), err)
	}
	for _, raw := range q.Incidents {
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			t.Fatal(err)
		}
		decide(a2, inc.ID, client.DecisionRequest{Decision: "verified", Note: "patrol, direct observation"})
	}
	res, err = e.pl.Violations()
	if err != nil {
		t.Fatal(err)
	}
	minor := 0
	for _, v := range res.Violations {
		if v.Severity == compliance.Minor {
			minor++
		}
	}
	if minor != 300 || len(res.Violations) != 303 {
		t.Fatalf("%d violations, %d minor; want 303 and 300", len(res.Violations), minor)
	}
	got = cases(a1)
	if len(got) != 3 {
		t.Fatalf("after the bursts %d cases, want 3 (bursts are tallied, not cased)", len(got))
	}

	// Case transitions with their roles and errors.
	var transitions []compliance.Transition
	act := func(c *client.Client, id, action string, req any) {
		t.Helper()
		clk.advance(time.Minute)
		tr, err := c.CaseAction(ctx, id, action, req)
		if err != nil {
			t.Fatalf("%s %s: %v", action, id, err)
		}
		transitions = append(transitions, tr.Transition)
	}
	ceasefire := got["ceasefire"]
	_, err = e.client(russia).CaseAction(ctx, ceasefire.ID, "dispute", client.DisputeRequest{Position: "not us"})
	mustCode(err, pactwatch.EINVALID, "disputing a candidate case")
	// The example agreement's two-person rule: the first analyst approves,
	// a second confirms.
	act(a1, ceasefire.ID, "confirm", nil)
	if tr := transitions[len(transitions)-1]; tr.Action != compliance.ActApproved || tr.Status != compliance.Candidate {
		t.Fatalf("first confirmation: %s → %s, want an approval", tr.Action, tr.Status)
	}
	_, err = a1.CaseAction(ctx, ceasefire.ID, "confirm", nil)
	mustCode(err, pactwatch.ECONFLICT, "the same analyst confirming twice")
	act(a2, ceasefire.ID, "confirm", nil)
	_, err = a1.CaseAction(ctx, ceasefire.ID, "confirm", nil)
	mustCode(err, pactwatch.EINVALID, "confirming a confirmed case")
	_, err = e.client(ukraine).CaseAction(ctx, ceasefire.ID, "dispute", client.DisputeRequest{Position: "not us"})
	mustCode(err, pactwatch.EFORBIDDEN, "disputing another party's case")
	_, err = a1.CaseAction(ctx, ceasefire.ID, "dispute", client.DisputeRequest{Position: "x"})
	mustCode(err, pactwatch.EFORBIDDEN, "an analyst disputing")
	act(e.client(russia), ceasefire.ID, "dispute", client.DisputeRequest{Position: "the fire came from the other side", Evidence: []string{"ab12"}})
	act(a2, ceasefire.ID, "resolve", client.ResolveRequest{Resolution: "upheld", Answer: "three bearings cross inside the area Russia controls"})
	act(a2, got["withdrawal-ukraine"].ID, "confirm", nil)
	act(a1, got["withdrawal-ukraine"].ID, "confirm", nil)
	act(a1, got["freedom-of-movement"].ID, "close", client.CloseRequest{Closure: "withdrawn", Reason: "the checkpoint was a misunderstanding, cleared the same day"})
	_, err = a1.CaseAction(ctx, got["freedom-of-movement"].ID, "confirm", nil)
	mustCode(err, pactwatch.ECONFLICT, "confirming a closed case")
	opened, err := a1.OpenCase(ctx, client.CaseRequest{Commitment: "ceasefire", Party: "russia", Reason: "pattern of fire across three days", Violations: []string{"nope"}})
	mustCode(err, pactwatch.ENOTFOUND, "opening a case with an unknown violation")
	opened, err = a1.OpenCase(ctx, client.CaseRequest{Commitment: "ceasefire", Party: "russia", Reason: "pattern of fire across three days"})
	if err != nil || !opened.Transition.Snapshot.Manual {
		t.Fatalf("opening by hand: %+v %v", opened, err)
	}
	transitions = append(transitions, opened.Transition)

	// The public: verified incidents and confirmed cases only, redacted.
	pub := e.client("")
	pq, err := pub.Incidents(ctx, client.IncidentQuery{Limit: 1000})
	if err != nil || len(pq.Incidents) != 304 {
		t.Fatalf("public incidents: %d, %v; want 304 verified", len(pq.Incidents), err)
	}
	var pi map[string]any
	if err := json.Unmarshal(pq.Incidents[0], &pi); err != nil || pi["reports"] != nil || pi["history"] != nil {
		t.Fatalf("public incident not redacted: %v", pi)
	}
	_, err = pub.Incident(ctx, complaint.ID)
	mustCode(err, pactwatch.ENOTFOUND, "the public reading a rejected incident")
	_, err = pub.Incidents(ctx, client.IncidentQuery{Status: "rejected"})
	mustCode(err, pactwatch.EFORBIDDEN, "the public listing rejected incidents")
	pc, err := pub.Cases(ctx, "")
	if err != nil || len(pc.Cases) != 2 {
		t.Fatalf("public cases: %d, %v; want the 2 confirmed", len(pc.Cases), err)
	}
	detail, err := e.client(auditor).Incident(ctx, shelling.ID)
	if err != nil || len(detail.Decisions) != 1 || detail.Decisions[0].Analyst == "" {
		t.Fatalf("auditor's view of the shelling: %+v %v", detail, err)
	}

	// Roles per endpoint: who may not call what.
	roleCases := []struct {
		token  string
		method string
		path   string
		want   int
	}{
		{"", "POST", "/api/v1/incidents/" + shelling.ID + "/claim", 401},
		{patrols[0].token, "POST", "/api/v1/incidents/" + shelling.ID + "/claim", 403},
		{adminTok, "POST", "/api/v1/incidents/" + shelling.ID + "/decision", 403},
		{russia, "POST", "/api/v1/incidents/merge", 403},
		{auditor, "POST", "/api/v1/incidents/" + shelling.ID + "/split", 403},
		{"", "POST", "/api/v1/cases", 401},
		{russia, "POST", "/api/v1/cases/" + ceasefire.ID + "/confirm", 403},
		{ukraine, "POST", "/api/v1/cases/" + ceasefire.ID + "/close", 403},
		{auditor, "POST", "/api/v1/cases/" + ceasefire.ID + "/resolve", 403},
		{"", "POST", "/api/v1/cases/" + ceasefire.ID + "/dispute", 401},
	}
	for _, rc := range roleCases {
		req, _ := http.NewRequest(rc.method, e.http.URL+rc.path, nil)
		if rc.token != "" {
			req.Header.Set("Authorization", "Bearer "+rc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != rc.want {
			t.Errorf("%s %s: %d, want %d", rc.method, rc.path, resp.StatusCode, rc.want)
		}
	}

	// Every decision and transition is in the ledger, its digest covering
	// the record's canonical bytes.
	for _, d := range decisions {
		_, leaf, err := e.st.LeafByRecord(ctx, d.ID)
		if err != nil || leaf.Entry.Type != ledger.TypeDecision {
			t.Fatalf("decision %s: %+v %v", d.ID, leaf.Entry, err)
		}
		b, _ := d.Canonical()
		if leaf.Entry.Digest != ledger.SaltedDigest(leaf.Salt, b) {
			t.Fatalf("decision %s: the ledger digest does not cover it", d.ID)
		}
	}
	for _, tr := range transitions {
		_, leaf, err := e.st.LeafByRecord(ctx, tr.ID)
		if err != nil || leaf.Entry.Type != ledger.TypeCase {
			t.Fatalf("transition %s: %+v %v", tr.ID, leaf.Entry, err)
		}
		b, _ := tr.Canonical()
		if leaf.Entry.Digest != ledger.SaltedDigest(leaf.Salt, b) {
			t.Fatalf("transition %s: the ledger digest does not cover it", tr.ID)
		}
	}
	// Every automatic case opening is in the ledger too.
	for _, c := range got {
		if _, leaf, err := e.st.LeafByRecord(ctx, c.ID+"/v1"); err != nil || leaf.Entry.Type != ledger.TypeCase {
			t.Fatalf("case %s opening: %v", c.ID, err)
		}
	}

	// A second restart: the same incidents, cases and records, and no new
	// records once the pipeline has caught up.
	count := func() int {
		n := 0
		var from int64
		for {
			recs, err := e.st.Records(ctx, "", from, store.MaxLimit)
			if err != nil {
				t.Fatal(err)
			}
			n += len(recs)
			if len(recs) < store.MaxLimit {
				return n
			}
			from = recs[len(recs)-1].Index + 1
		}
	}
	records := count()
	before = all(t, e.pl)
	casesBefore := cases(a1)
	e.stop()
	e = start(t, dsn, dir, agr, clk)
	defer e.stop()
	if _, err := e.pl.Step(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	after = all(t, e.pl)
	for id, inc := range before {
		if a := after[id]; a == nil || a.Version != inc.Version || a.Status != inc.Status {
			t.Fatalf("incident %s changed over the second restart", id)
		}
	}
	casesAfter := cases(e.client(analyst1))
	for k, c := range casesBefore {
		if a := casesAfter[k]; a.Version != c.Version || a.Status != c.Status {
			t.Fatalf("case %s: v%d %s before, v%d %s after", k, c.Version, c.Status, a.Version, a.Status)
		}
	}
	if n := count(); n != records {
		t.Fatalf("%d records before the restart, %d after: something was processed twice", records, n)
	}
	// Every observation is in exactly one live incident.
	held := map[string]int{}
	for _, inc := range after {
		if inc.Status == incident.Merged {
			continue
		}
		for _, id := range inc.ObservationIDs() {
			held[id]++
		}
	}
	for _, id := range append(append(slices.Clone(shellIDs), burstIDs...), howitzerID, tankID, blockedID, complaintID) {
		if held[id] != 1 {
			t.Fatalf("observation %s is in %d incidents", id, held[id])
		}
	}
}
