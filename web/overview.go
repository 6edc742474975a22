package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// overviewPage is the data of templates/overview.html.
type overviewPage struct {
	Since7d    time.Time
	Total24h   int
	Total7d    int
	Categories []countRow
	Areas      []countRow
	Checkpoint *checkpointView
	Reports    []ReportSummary // the latest few
	Truncated  bool
	// Kind is what was counted: "violation" (from the pipeline's
	// compliance evaluation), else "incident" or "observation" (from the
	// map's markers, on a server without the pipeline).
	Kind string
	// Unavailable: the pipeline runs on another server right now, so the
	// counts come from the markers and cases and steps are not shown.
	Unavailable bool

	Compliance bool      // the counts are violations; Cases and steps are known
	Cases      []caseRow // open cases the viewer may see, most recent first, at most overviewRows
	OpenCases  int       // all of them
	MoreCases  int       // those not listed
	Responses  bool      // protocol steps are known (a response service runs)
	Due        []stepRow // pending steps due within overviewDueWithin, soonest first
	Overdue    []stepRow // overdue steps, longest overdue first
	StepTables []stepTable
}

// stepTable is the overdue or the due steps, as the template lists them:
// the first overviewRows, and how many more there are.
type stepTable struct {
	ID, Title, None string
	Rows            []stepRow
	More            int
}

// overviewRows is how many cases, and steps of each kind, the overview
// lists: it summarises, and the case board (/cases) has them all.
const overviewRows = 10

// countRow is one line of a 24 h / 7 d table.
type countRow struct {
	Key, Label string
	Day, Week  int
}

// caseRow is one open case: only what the public projection of a case
// (compliance.PublicCase) holds, so one template serves every viewer.
// Commitment and Party are the agreement's names, as written in it.
type caseRow struct {
	ID, Commitment, Party, Status, Severity string
	Since                                   time.Time // confirmed, else opened
	Paused                                  bool
}

// stepRow is one protocol step of an open case; Actor is the agreement's
// name of the guarantor or party that owes it.
type stepRow struct {
	Case, Step, Actor, Action string
	Deadline                  time.Time
}

// overviewReports is how many recent reports the overview links.
const overviewReports = 3

// overviewDueWithin is how far ahead the overview lists pending steps.
const overviewDueWithin = 24 * time.Hour

// overviewGet serves GET /: violations in the last 24 hours and 7 days by
// category and area, the open cases and the protocol steps due and overdue
// (from the pipeline and the response service, each viewer seeing what the
// API would show them), the latest checkpoint and its witnesses, and links
// to the rest. Without a pipeline — or while another server leads it — the
// counts are events from the map's markers, as before incidents existed.
func (h *Handler) overviewGet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.opts.Now()
	viewer := h.viewer(r)
	v := h.newView(w, r, nil)
	p := overviewPage{Since7d: now.Add(-7 * 24 * time.Hour)}
	var err error
	if h.opts.Incidents != nil {
		err = h.complianceOverview(ctx, v, viewer, now, &p)
		if pactwatch.ErrorCode(err) == pactwatch.EUNAVAILABLE {
			p, err = overviewPage{Since7d: p.Since7d, Unavailable: true}, nil
		}
	}
	if err == nil && !p.Compliance {
		err = h.markerOverview(r, v, now, &p)
	}
	if err == nil {
		p.Checkpoint, err = h.latestCheckpoint(ctx)
	}
	if err == nil && h.opts.Reports != nil {
		var list []ReportSummary
		list, err = h.opts.Reports.Published(ctx)
		p.Reports = list[:min(len(list), overviewReports)]
	}
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	v.Data = p
	h.render(w, r, http.StatusOK, "overview", v)
}

// complianceOverview fills the page from the pipeline's latest evaluation,
// its cases and the response service's runs.
func (h *Handler) complianceOverview(ctx context.Context, v *view, viewer Viewer, now time.Time, p *overviewPage) error {
	res, err := h.opts.Incidents.Violations()
	if err != nil {
		return err
	}
	cases, err := h.opts.Incidents.Cases("")
	if err != nil {
		return err
	}
	p.Compliance, p.Kind = true, "violation"
	dayAgo, weekAgo := now.Add(-24*time.Hour), now.Add(-7*24*time.Hour)
	t := newTally(v)
	for i := range res.Violations {
		vi := &res.Violations[i]
		if vi.At.Before(weekAgo) || vi.At.After(now) {
			continue
		}
		var where *orb.Point
		if vi.Where != nil {
			where = &vi.Where.Point
		}
		t.add(violationCategory(vi), where, 1, !vi.At.Before(dayAgo))
	}
	t.into(p)

	var open []*compliance.Case
	for _, c := range cases {
		if c.Status != compliance.Closed && seesCase(viewer, c) {
			open = append(open, c)
		}
	}
	names := agreementNames{h.opts.Incidents.Agreement(), v}
	for _, c := range open {
		row := caseRow{ID: c.ID, Commitment: names.commitment(c.Group.Commitment), Party: names.actor(c.Group.Party),
			Status: string(c.Status), Severity: c.Severity.String(), Since: c.Confirmed, Paused: c.Paused}
		if row.Since.IsZero() {
			row.Since = c.Opened
		}
		p.Cases = append(p.Cases, row)
	}
	slices.SortStableFunc(p.Cases, func(a, b caseRow) int { return b.Since.Compare(a.Since) })
	p.OpenCases = len(p.Cases)
	p.Cases, p.MoreCases = firstRows(p.Cases)
	if h.opts.Responses == nil {
		return nil
	}
	p.Responses = true
	for _, c := range open {
		if c.Status != compliance.Confirmed {
			continue // runs start on confirmation
		}
		runs, err := h.opts.Responses.Runs(ctx, c.ID)
		if err != nil {
			return err
		}
		due, overdue := dueSteps(c.ID, runs, now)
		for _, rows := range [][]stepRow{due, overdue} {
			for i := range rows {
				rows[i].Actor = names.actor(rows[i].Actor)
			}
		}
		p.Due = append(p.Due, due...)
		p.Overdue = append(p.Overdue, overdue...)
	}
	byDeadline := func(a, b stepRow) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.Case, b.Case), cmp.Compare(a.Step, b.Step))
	}
	slices.SortFunc(p.Due, byDeadline)
	slices.SortFunc(p.Overdue, byDeadline)
	overdue, moreOverdue := firstRows(p.Overdue)
	due, moreDue := firstRows(p.Due)
	p.StepTables = []stepTable{
		{ID: "steps-overdue-table", Title: "overview.overdue", None: "overview.no_overdue", Rows: overdue, More: moreOverdue},
		{ID: "steps-due-table", Title: "overview.due", None: "overview.no_due", Rows: due, More: moreDue},
	}
	return nil
}

// firstRows keeps the first overviewRows rows and says how many it left out.
func firstRows[T any](rows []T) ([]T, int) {
	if len(rows) <= overviewRows {
		return rows, 0
	}
	return rows[:overviewRows], len(rows) - overviewRows
}

// agreementNames names commitments and actors as the agreement does; a
// case's "joint" and "unattributed" parties in the page's language.
type agreementNames struct {
	a *agreement.Agreement
	v *view
}

func (n agreementNames) commitment(id string) string {
	if n.a != nil {
		if c := n.a.Commitment(id); c != nil && c.Title != "" {
			return c.Title
		}
	}
	return id
}

func (n agreementNames) actor(id string) string {
	switch id {
	case "joint", "unattributed", agreement.ActorAllGuarantors:
		return n.v.T("overview.party_" + id)
	}
	if n.a == nil {
		return id
	}
	return n.a.ActorName(id)
}

// seesCase mirrors the API (server/review.go): analysts, auditors and
// admins see every case, a liaison their own party's or guarantor's, the
// public confirmed ones.
func seesCase(viewer Viewer, c *compliance.Case) bool {
	own := viewer.Role.NeedsOf() && viewer.Of != "" && c.Group.Party == viewer.Of
	return viewer.SeesAll() || own || c.Visible()
}

// dueSteps splits a case's open steps into those due within
// overviewDueWithin and those overdue. A pending step whose deadline has
// passed is overdue even before the scheduler's next tick says so.
func dueSteps(caseID string, runs []*response.Run, now time.Time) (due, overdue []stepRow) {
	for _, run := range runs {
		for _, st := range run.Steps {
			action := st.Action
			if !action.Valid() {
				action = vocab.ActionOther
			}
			row := stepRow{Case: caseID, Step: st.ID, Actor: st.Actor, Action: string(action), Deadline: st.Deadline}
			switch {
			case st.State == response.Overdue, st.State == response.Pending && !st.Deadline.After(now):
				overdue = append(overdue, row)
			case st.State == response.Pending && st.Deadline.Before(now.Add(overviewDueWithin)):
				due = append(due, row)
			}
		}
	}
	return due, overdue
}

// violationCategory is the category a violation is counted under: the
// first of its incident's categories in the report's order, so a
// violation counts once however many categories its incident has.
func violationCategory(v *compliance.Violation) vocab.Category {
	for _, c := range orderedCategories() {
		if slices.Contains(v.Categories, c) {
			return c
		}
	}
	return vocab.Other
}

// markerOverview fills the counts from the map's markers (the viewer's
// projection): events by category and area, rejected incidents left out.
func (h *Handler) markerOverview(r *http.Request, v *view, now time.Time, p *overviewPage) error {
	dayAgo, weekAgo := now.Add(-24*time.Hour), now.Add(-7*24*time.Hour)
	markers, err := h.mapData(r).Markers(r.Context(), MarkerFilter{From: weekAgo, To: now.Add(time.Nanosecond), Limit: maxMarkers})
	if err != nil {
		return err
	}
	p.Truncated, p.Kind = len(markers) >= maxMarkers, "observation"
	t := newTally(v)
	for _, m := range markers {
		if m.Status == "rejected" {
			continue
		}
		if m.Kind == "incident" {
			p.Kind = "incident"
		}
		t.add(m.Category, &orb.Point{m.Lon, m.Lat}, max(m.Count, 1), !m.Time.Before(dayAgo))
	}
	t.into(p)
	return nil
}

// tally counts by category and by area (the report's gazetteer: the
// nearest town's area, as in the daily report).
type tally struct {
	v        *view
	g        *report.Gazetteer
	cats     map[vocab.Category]*countRow
	areas    map[string]*countRow
	day, all int
}

func newTally(v *view) *tally {
	return &tally{v: v, g: report.DefaultGazetteer(), cats: map[vocab.Category]*countRow{}, areas: map[string]*countRow{}}
}

// add counts n at p (nil: no position, "other areas"), in the last 24
// hours if inDay, and always in the week.
func (t *tally) add(cat vocab.Category, p *orb.Point, n int, inDay bool) {
	area := report.OtherArea
	if p != nil {
		if town, _, ok := t.g.Nearest(*p); ok {
			area = t.g.Area(town.Area)
		}
	}
	c := t.cats[cat]
	if c == nil {
		c = &countRow{Key: string(cat), Label: t.v.T("category." + string(cat))}
		t.cats[cat] = c
	}
	a := t.areas[area.ID]
	if a == nil {
		a = &countRow{Key: area.ID, Label: area.Names.In(t.v.Lang)}
		t.areas[area.ID] = a
	}
	c.Week += n
	a.Week += n
	t.all += n
	if inDay {
		c.Day += n
		a.Day += n
		t.day += n
	}
}

func (t *tally) into(p *overviewPage) {
	p.Total24h, p.Total7d = t.day, t.all
	p.Categories = sortedRows(t.cats)
	p.Areas = sortedRows(t.areas)
}

// sortedRows orders rows by the week's count, most first, then by key.
func sortedRows[K comparable](m map[K]*countRow) []countRow {
	out := make([]countRow, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b countRow) int {
		return cmp.Or(b.Week-a.Week, b.Day-a.Day, cmp.Compare(a.Key, b.Key))
	})
	return out
}
