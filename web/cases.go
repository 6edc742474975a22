package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/response"
	"github.com/pactwatch/pactwatch/vocab"
)

// The case board follows the API's rules (server/review.go handleListCases,
// handleGetCase; server/response.go handleCaseSteps, handleRecordAction):
// analysts, auditors and admins see every case in full; a liaison sees the
// cases against its own party in full (ownCase); everyone else sees the
// public projection of confirmed cases only. Protocol runs exist only for
// confirmed cases, which are public, so their steps are shown to all; who
// recorded an action is shown to signed-in viewers only.

// boardPageSize is how many cases one page of the board lists, newest
// first: a month in which the guarantors ignore every step leaves each
// case dozens of open steps, and 50 such cases are already ~600 KB.
const boardPageSize = 50

// maxActionForm caps the body of an action form (the API's maxReviewBody).
const maxActionForm = 64 << 10

// mountCaseBoard registers the case board and the scorecard, each when
// its source is set.
func (h *Handler) mountCaseBoard() {
	h.mountCases()
	h.mountScorecard()
}

// mountCases registers the case board, the case pages and the action
// form; without Options.Incidents there are no cases and no routes.
func (h *Handler) mountCases() {
	if h.opts.Incidents == nil {
		return
	}
	h.nav = append(h.nav, navItem{"/cases", "nav.cases"})
	h.mux.HandleFunc("GET /cases", h.public("cases", h.casesGet))
	h.mux.HandleFunc("GET /cases/{id}", h.public("cases", h.caseGet))
	h.mux.HandleFunc("POST /cases/{id}/actions", h.public("cases", h.caseAction))
}

// fullCase is whether the viewer sees the case in full: the API's
// reviewer (analysts, auditors, admins), or a liaison of the case's party
// (server/review.go ownCase).
func fullCase(v Viewer, c *compliance.Case) bool {
	return v.Role.SeesWhole() || c.AnsweredBy(v.Role, v.Of)
}

// stepActor is the actor whose steps the viewer records (engine's
// mayRecord): a liaison's guarantor or party, the mission for an analyst;
// "" for everyone else.
func stepActor(v Viewer) string {
	switch {
	case v.Role.NeedsOf():
		return v.Of
	case v.Role == vocab.RoleAnalyst:
		return agreement.ActorMission
	}
	return ""
}

// mayRecord is the engine's rule (response.MayRecord); the engine checks
// again when the form is posted.
func mayRecord(v Viewer, a *agreement.Agreement, actor string) bool {
	return a != nil && response.MayRecord(a, v.Role, v.Of, actor)
}

// caseQuery is the board's GET form as submitted.
type caseQuery struct {
	Status, Commitment, Party, Guarantor string
	Mine                                 bool
}

func (q caseQuery) encode() string {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "commitment": q.Commitment, "party": q.Party, "guarantor": q.Guarantor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Mine {
		v.Set("mine", "1")
	}
	return v.Encode()
}

// check validates the filter by the API's rules: a known status, and
// commitments, parties and actors the agreement names.
func (q caseQuery) check(a *agreement.Agreement, v Viewer) error {
	switch compliance.CaseStatus(q.Status) {
	case "", compliance.Candidate, compliance.Confirmed, compliance.Closed:
	default:
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "status", "want candidate, confirmed or closed, not %q", q.Status)
	}
	if q.Commitment != "" && (a == nil || a.Commitment(q.Commitment) == nil) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "commitment", "the agreement has no commitment %q", q.Commitment)
	}
	if q.Party != "" && q.Party != "unattributed" && q.Party != "joint" && (a == nil || a.Party(q.Party) == nil) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "party", "the agreement has no party %q", q.Party)
	}
	if q.Guarantor != "" && q.Guarantor != agreement.ActorMission && (a == nil || a.Guarantor(q.Guarantor) == nil) {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "guarantor", "the agreement has no guarantor %q", q.Guarantor)
	}
	if q.Mine && stepActor(v) == "" {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "mine", "only liaisons and analysts have steps of their own")
	}
	return nil
}

// actor is whose steps the filter keeps ("" for everyone's).
func (q caseQuery) actor(v Viewer) string {
	if q.Mine {
		return stepActor(v)
	}
	return q.Guarantor
}

// casesPage is the data of templates/cases.html.
type casesPage struct {
	Query       caseQuery
	Page        int    // 1-based
	Newer       string // the previous page's URL ("" on the first)
	Older       string // the next page's URL ("" on the last)
	Error       string // the filter's problem, in the viewer's language
	Statuses    []option
	Commitments []option
	Parties     []option
	Guarantors  []option
	CanMine     bool
	Cases       []*caseView
	Full        bool // the viewer sees cases in full (else: public projection)
	Countdown   countdownText
	FilterText  string
}

// caseView is a case as the viewer may see it, with its runs.
type caseView struct {
	ID              string
	Full            bool // the whole case; else its public projection
	Commitment      string
	CommitmentTitle string
	Party           string
	PartyName       string
	Status          compliance.CaseStatus
	Closure         compliance.Closure
	Reason          string
	Severity        string
	Opened          time.Time // zero in the public projection
	OpenedBy        string
	Approvals       []string
	Confirmed       time.Time
	Paused          bool
	Violations      int
	Disputes        []disputeView
	Runs            []*runView
}

type disputeView struct {
	Party, Position, Resolution, Answer string
	At, Resolved                        time.Time
}

// runView is one protocol run of a case.
type runView struct {
	ID, Protocol, ProtocolTitle, Trigger string
	Started, Cutoff                      time.Time
	Steps                                []*stepView
	// The board's compact form (see compact): the steps still open, in
	// groups of one protocol step in one state (a step owed by every
	// guarantor is one line naming them), and how many steps ended in
	// each final state.
	Groups  []*stepGroup
	Summary []stateCount
}

// stepGroup is one protocol step's actors in one state.
type stepGroup struct {
	StepID    string
	Action    vocab.ActionKind
	Deadline  time.Time
	State     response.State
	Open      bool
	Paused    bool
	Countdown string
	Members   []*stepView
}

type stateCount struct {
	State response.State
	Count int
}

// finalStates are the summary's states, in order.
var finalStates = []response.State{response.Done, response.DoneLate, response.Missed, response.Ended, response.Cancelled}

// compact prepares the board's form of the case: open steps grouped,
// the rest counted. With all set (a filter on one actor's steps), the
// final steps are listed too, so that "my steps" reads as a record.
func (c *caseView) compact(all bool) {
	for _, r := range c.Runs {
		counts := map[response.State]int{}
		index := map[string]*stepGroup{}
		for _, s := range r.Steps {
			if !s.Open && !all {
				counts[s.State]++
				continue
			}
			key := s.StepID + "|" + string(s.State)
			g := index[key]
			if g == nil {
				g = &stepGroup{StepID: s.StepID, Action: s.Action, Deadline: s.Deadline, State: s.State, Open: s.Open,
					Paused: s.Paused, Countdown: s.Countdown}
				index[key] = g
				r.Groups = append(r.Groups, g)
			}
			g.Members = append(g.Members, s)
		}
		for _, st := range finalStates {
			if counts[st] > 0 {
				r.Summary = append(r.Summary, stateCount{st, counts[st]})
			}
		}
	}
}

// stepView is one step as the board shows it.
type stepView struct {
	FullID      string // <case>/<protocol>/<step>/<actor>: the API's step id
	Anchor      string // the element id on the case page
	StepID      string
	Actor       string
	ActorName   string
	Via         string
	ViaName     string // the group the protocol named, as people name it
	Action      vocab.ActionKind
	Description string
	Deadline    time.Time
	// State is the step's state as of now: a pending step past its
	// deadline shows as overdue before the scheduler has recorded it.
	State     response.State
	Open      bool   // pending or overdue: the deadline still counts
	Countdown string // time left or overdue by, as rendered now
	Paused    bool   // the case's deadlines stand still
	Done      *response.Action
	OverdueAt time.Time
	Closed    time.Time
	CanAct    bool
	Form      *actionForm // the form as posted, when it failed
}

// actionForm is an action form as posted, re-shown with its error.
type actionForm struct {
	Kind, Statement, Reference string
	Error                      string
}

// countdownText is what deadlines.js needs to write a countdown in the
// page's language: the units and the two phrases with {t} for the time.
type countdownText struct {
	Units   string // "d h min s"
	Left    string
	Overdue string
	Now     string // the server's clock (RFC 3339), so a wrong client clock does not skew deadlines
}

func (h *Handler) countdownText(v *view) countdownText {
	return countdownText{
		Units:   strings.Join([]string{v.T("cases.unit.d"), v.T("cases.unit.h"), v.T("cases.unit.min"), v.T("cases.unit.s")}, " "),
		Left:    v.T("cases.left", "Time", "{t}"),
		Overdue: v.T("cases.overdue_by", "Time", "{t}"),
		Now:     h.opts.Now().UTC().Format(time.RFC3339),
	}
}

// formatSpan writes a duration as deadlines.js does: "1 d 02 h 03 min
// 04 s", leading zero units left out, to the second.
func formatSpan(units []string, d time.Duration) string {
	if len(units) != 4 {
		units = []string{"d", "h", "min", "s"}
	}
	s := int64(d / time.Second)
	if s < 0 {
		s = -s
	}
	days, hours, mins, secs := s/86400, s/3600%24, s/60%60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d %s %02d %s %02d %s %02d %s", days, units[0], hours, units[1], mins, units[2], secs, units[3])
	case hours > 0:
		return fmt.Sprintf("%d %s %02d %s %02d %s", hours, units[1], mins, units[2], secs, units[3])
	case mins > 0:
		return fmt.Sprintf("%d %s %02d %s", mins, units[2], secs, units[3])
	}
	return fmt.Sprintf("%d %s", secs, units[3])
}

// countdown is the server-rendered text of a live deadline.
func countdown(ct countdownText, deadline, now time.Time) string {
	units := strings.Fields(ct.Units)
	if d := deadline.Sub(now); d >= 0 {
		return strings.Replace(ct.Left, "{t}", formatSpan(units, d), 1)
	}
	return strings.Replace(ct.Overdue, "{t}", formatSpan(units, now.Sub(deadline)), 1)
}

// agreement is the agreement the cases are judged under.
func (h *Handler) casesAgreement() *agreement.Agreement {
	if a := h.opts.Incidents.Agreement(); a != nil {
		return a
	}
	return h.opts.Agreement
}

// casesGet serves GET /cases: the cases the viewer may see, newest first,
// with their protocol steps and live deadlines.
func (h *Handler) casesGet(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, nil)
	viewer := h.viewer(r)
	qs := r.URL.Query()
	a := h.casesAgreement()
	page := casesPage{
		Query: caseQuery{Status: qs.Get("status"), Commitment: qs.Get("commitment"), Party: qs.Get("party"),
			Guarantor: qs.Get("guarantor"), Mine: qs.Get("mine") != ""},
		Page:      1,
		Full:      reviewer(viewer),
		CanMine:   stepActor(viewer) != "",
		Countdown: h.countdownText(v),
	}
	h.boardOptions(v, a, &page)
	status := http.StatusOK
	err := page.Query.check(a, viewer)
	if p := qs.Get("page"); err == nil && p != "" {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 100000 {
			err = pactwatch.FieldErrorf(pactwatch.EINVALID, "page", "want a page number from 1, not %q", p)
		}
		page.Page = n
	}
	if err != nil {
		status = httpStatus(pactwatch.ErrorCode(err))
		page.Error = v.T("cases.error.filter", "Message", pactwatch.ErrorMessage(err))
	} else if err := h.boardCases(r, v, a, viewer, &page); err != nil {
		h.pageError(w, r, err)
		return
	}
	page.FilterText = page.Query.encode()
	v.Data = page
	h.render(w, r, status, "cases", v)
}

// boardCases fills one page of the board: the cases the viewer may see
// that match the filter, newest first. Only the page's cases are built
// (with an actor filter, the cases before them are built to know whether
// they have that actor's steps).
func (h *Handler) boardCases(r *http.Request, v *view, a *agreement.Agreement, viewer Viewer, page *casesPage) error {
	q := page.Query
	cases, err := h.opts.Incidents.Cases(compliance.CaseStatus(q.Status))
	if err != nil {
		return err
	}
	cases = slices.DeleteFunc(cases, func(c *compliance.Case) bool {
		return (!fullCase(viewer, c) && !c.Visible()) ||
			(q.Commitment != "" && c.Group.Commitment != q.Commitment) || (q.Party != "" && c.Group.Party != q.Party)
	})
	slices.SortStableFunc(cases, func(x, y *compliance.Case) int {
		return cmp.Or(latest(y).Compare(latest(x)), strings.Compare(x.ID, y.ID))
	})
	runs, err := h.caseRuns(r, "")
	if err != nil {
		return err
	}
	byCase := map[string][]*response.Run{}
	for _, run := range runs {
		byCase[run.Case] = append(byCase[run.Case], run)
	}
	actor := q.actor(viewer)
	now := h.opts.Now()
	skip := (page.Page - 1) * boardPageSize
	more := false
	for _, c := range cases {
		full := len(page.Cases) == boardPageSize
		if actor == "" {
			if full {
				more = true
				break
			}
			if skip > 0 {
				skip--
				continue
			}
		}
		cv := h.caseView(v, a, viewer, c, byCase[c.ID], now, page.Countdown)
		if actor != "" {
			if !cv.keepActor(actor) {
				continue
			}
			if full {
				more = true // one more case with the actor's steps
				break
			}
			if skip > 0 {
				skip--
				continue
			}
		}
		cv.compact(actor != "")
		page.Cases = append(page.Cases, cv)
	}
	link := func(n int) string {
		vals, _ := url.ParseQuery(q.encode())
		if n > 1 {
			vals.Set("page", strconv.Itoa(n))
		}
		return "/cases?" + vals.Encode()
	}
	if page.Page > 1 {
		page.Newer = link(page.Page - 1)
	}
	if more {
		page.Older = link(page.Page + 1)
	}
	return nil
}

// latest is when the case last moved forward: confirmed, else opened.
func latest(c *compliance.Case) time.Time {
	if !c.Confirmed.IsZero() {
		return c.Confirmed
	}
	return c.Opened
}

// keepActor narrows the case's steps to those owed by actor (a state, a
// group the step came from, or the mission) and reports whether any is
// left.
func (c *caseView) keepActor(actor string) bool {
	n := 0
	for _, r := range c.Runs {
		r.Steps = slices.DeleteFunc(r.Steps, func(s *stepView) bool { return s.Actor != actor && s.Via != actor })
		n += len(r.Steps)
	}
	c.Runs = slices.DeleteFunc(c.Runs, func(r *runView) bool { return len(r.Steps) == 0 })
	return n > 0
}

// caseRuns reads the protocol runs (of one case, or all); without a
// response service there are none.
func (h *Handler) caseRuns(r *http.Request, caseID string) ([]*response.Run, error) {
	if h.opts.Responses == nil {
		return nil, nil
	}
	return h.opts.Responses.Runs(r.Context(), caseID)
}

// boardOptions fills the filter's choices from the agreement.
func (h *Handler) boardOptions(v *view, a *agreement.Agreement, page *casesPage) {
	q := page.Query
	for _, s := range []compliance.CaseStatus{compliance.Candidate, compliance.Confirmed, compliance.Closed} {
		if s == compliance.Candidate && !page.Full && !v.Viewer.Role.NeedsOf() {
			continue // the public never sees a candidate
		}
		page.Statuses = append(page.Statuses, option{string(s), v.T("cases.status." + string(s)), q.Status == string(s)})
	}
	if a == nil {
		return
	}
	for _, c := range a.Commitments {
		page.Commitments = append(page.Commitments, option{c.ID, cmp.Or(c.Title, c.ID), q.Commitment == c.ID})
	}
	for _, p := range a.Parties {
		page.Parties = append(page.Parties, option{p.ID, p.Name, q.Party == p.ID})
	}
	page.Parties = append(page.Parties,
		option{"joint", v.T("cases.party.joint"), q.Party == "joint"},
		option{"unattributed", v.T("cases.party.unattributed"), q.Party == "unattributed"})
	page.Guarantors = append(page.Guarantors, option{agreement.ActorMission, v.T("cases.actor.mission"), q.Guarantor == agreement.ActorMission})
	for _, g := range a.Guarantors {
		page.Guarantors = append(page.Guarantors, option{g.ID, g.Name, q.Guarantor == g.ID})
	}
}

// caseView builds what the viewer may see of a case and its runs.
func (h *Handler) caseView(v *view, a *agreement.Agreement, viewer Viewer, c *compliance.Case, runs []*response.Run, now time.Time, ct countdownText) *caseView {
	cv := &caseView{ID: c.ID, Full: fullCase(viewer, c), Commitment: c.Group.Commitment, Party: c.Group.Party,
		Status: c.Status, Closure: c.Closure, Severity: c.Severity.String(), Confirmed: c.Confirmed, Paused: c.Paused,
		Violations: len(c.Violations)}
	cv.CommitmentTitle = cv.Commitment
	cv.PartyName = h.actorName(v, a, cv.Party)
	if a != nil {
		if com := a.Commitment(cv.Commitment); com != nil && com.Title != "" {
			cv.CommitmentTitle = com.Title
		}
	}
	for _, d := range c.Disputes {
		dv := disputeView{Resolution: cmp.Or(d.Resolution, "open")}
		if cv.Full {
			dv.Party, dv.Position, dv.Answer, dv.At, dv.Resolved = d.Party, d.Position, d.Answer, d.At, d.Resolved
		}
		cv.Disputes = append(cv.Disputes, dv)
	}
	if cv.Full {
		cv.Opened, cv.OpenedBy, cv.Approvals, cv.Reason = c.Opened, c.OpenedBy, c.Approvals, c.Reason
	}
	closed := c.Status == compliance.Closed
	for _, r := range runs {
		rv := &runView{ID: r.ID, Protocol: r.Protocol, ProtocolTitle: r.Protocol, Trigger: r.Trigger, Started: r.Started, Cutoff: r.Cutoff}
		var proto *agreement.Protocol
		if a != nil {
			proto = a.Protocol(r.Protocol)
		}
		if proto != nil && proto.Title != "" {
			rv.ProtocolTitle = proto.Title
		}
		for _, s := range r.Steps {
			sv := &stepView{FullID: r.ID + "/" + s.Key, StepID: s.ID, Actor: s.Actor, ActorName: h.actorName(v, a, s.Actor),
				Via: s.Via, Action: s.Action, Deadline: s.Deadline, State: s.State, Done: s.Done,
				OverdueAt: s.OverdueAt, Closed: s.Closed, Paused: c.Paused}
			sv.Anchor = "step-" + anchorSafe(sv.FullID)
			switch sv.Via {
			case "":
			case agreement.ActorAllGuarantors:
				sv.ViaName = v.T("case.via_all")
			default:
				sv.ViaName = v.T("case.via", "Group", h.actorName(v, a, sv.Via))
			}
			if proto != nil {
				for _, ps := range proto.Steps {
					if ps.ID == s.ID {
						sv.Description = ps.Description
					}
				}
			}
			sv.Open = !s.State.Final() && !closed
			if sv.Open && s.State == response.Pending && now.After(s.Deadline) && !c.Paused {
				sv.State = response.Overdue
			}
			if sv.Open && !sv.Paused {
				sv.Countdown = countdown(ct, s.Deadline, now)
			}
			if sv.Done != nil && !viewer.SignedIn() {
				d := *sv.Done
				d.By = "" // who recorded it: for signed-in viewers only
				sv.Done = &d
			}
			sv.CanAct = sv.Open && mayRecord(viewer, a, s.Actor)
			rv.Steps = append(rv.Steps, sv)
		}
		cv.Runs = append(cv.Runs, rv)
	}
	return cv
}

// actorName names a guarantor, party or the mission in the viewer's
// language where the catalog has it, else as the agreement names it.
func (h *Handler) actorName(v *view, a *agreement.Agreement, id string) string {
	switch id {
	case "":
		return ""
	case agreement.ActorMission:
		return v.T("cases.actor.mission")
	case "joint":
		return v.T("cases.party.joint")
	case "unattributed":
		return v.T("cases.party.unattributed")
	}
	if a != nil {
		if g := a.Guarantor(id); g != nil {
			return cmp.Or(g.Name, id)
		}
		if p := a.Party(id); p != nil {
			return cmp.Or(p.Name, id)
		}
	}
	return id
}

// anchorSafe turns a step id into an HTML id.
func anchorSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// casePage is the data of templates/case.html.
type casePage struct {
	Case       *caseView
	Violations []compliance.Violation // for full viewers only
	Kinds      []option               // the action kinds, for the forms
	Countdown  countdownText
	Recorded   *stepView // the step just recorded (after ?recorded=), from the stored state
	Error      string    // a problem not tied to one step's form
}

// loadCase reads a case the viewer may see (ENOTFOUND otherwise, as the
// API answers) with its runs.
func (h *Handler) loadCase(r *http.Request, v *view, id string) (*casePage, error) {
	viewer := h.viewer(r)
	c, vs, err := h.opts.Incidents.Case(id)
	if err == nil && !fullCase(viewer, c) && !c.Visible() {
		err = pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", id)
	}
	if err != nil {
		return nil, err
	}
	runs, err := h.caseRuns(r, c.ID)
	if err != nil {
		return nil, err
	}
	page := &casePage{Countdown: h.countdownText(v)}
	a := h.casesAgreement()
	page.Case = h.caseView(v, a, viewer, c, runs, h.opts.Now(), page.Countdown)
	if page.Case.Full {
		page.Violations = vs
	}
	for _, k := range vocab.ActionKinds() {
		page.Kinds = append(page.Kinds, option{Value: string(k), Label: v.T("cases.action." + string(k))})
	}
	return page, nil
}

// caseGet serves GET /cases/{id}.
func (h *Handler) caseGet(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, nil)
	page, err := h.loadCase(r, v, r.PathValue("id"))
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	if id := r.URL.Query().Get("recorded"); id != "" {
		if s := page.step(id); s != nil && s.Done != nil {
			page.Recorded = s
		}
	}
	v.Data = page
	h.render(w, r, http.StatusOK, "case", v)
}

// step finds a step of the page by its full id.
func (p *casePage) step(id string) *stepView {
	for _, r := range p.Case.Runs {
		for _, s := range r.Steps {
			if s.FullID == id {
				return s
			}
		}
	}
	return nil
}

// splitStepID splits the API's step id "<case>/<protocol>/<step>/<actor>"
// into the run and the step key (server/response.go splitStepID).
func splitStepID(id string) (run, key string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) < 4 || slices.Contains(parts, "") {
		return "", "", pactwatch.FieldErrorf(pactwatch.EINVALID, "step", "a step id is <case>/<protocol>/<step>/<actor>, got %q", id)
	}
	n := len(parts)
	return strings.Join(parts[:n-2], "/"), parts[n-2] + "/" + parts[n-1], nil
}

// caseAction serves POST /cases/{id}/actions: a liaison (or, for the
// mission's steps, an analyst) records what its state did for a step. The
// engine decides, as for the API; its refusal is shown on the step's form
// with the API's status. Success goes back to the case page (303).
func (h *Handler) caseAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxActionForm)
	caseID := r.PathValue("id")
	form := &actionForm{}
	stepID := ""
	var err error
	if r.ContentLength > maxActionForm {
		// The API refuses such a body with 413 before reading it.
		err = pactwatch.Errorf(pactwatch.ETOOLARGE, "the form is over %d bytes", maxActionForm)
	} else {
		err = h.checkForm(r)
	}
	if err == nil {
		stepID = r.PostForm.Get("step")
		form.Kind = r.PostForm.Get("kind")
		form.Statement = r.PostForm.Get("statement")
		form.Reference = r.PostForm.Get("reference")
		err = h.recordAction(r, caseID, stepID, form)
	}
	if err == nil {
		target := "/cases/" + url.PathEscape(caseID) + "?recorded=" + url.QueryEscape(stepID) + "#step-" + anchorSafe(stepID)
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	v := h.newView(w, r, nil)
	page, lerr := h.loadCase(r, v, caseID)
	if lerr != nil {
		h.pageError(w, r, lerr)
		return
	}
	form.Error = v.T("cases.error.record", "Message", h.actionErrorText(v, err))
	if s := page.step(stepID); s != nil && s.CanAct {
		s.Form = form
	} else {
		page.Error = form.Error
	}
	v.Data = page
	h.render(w, r, httpStatus(pactwatch.ErrorCode(err)), "case", v)
}

// recordAction checks who posts and records the action.
func (h *Handler) recordAction(r *http.Request, caseID, stepID string, form *actionForm) error {
	viewer := h.viewer(r)
	switch {
	case !viewer.SignedIn():
		return pactwatch.FieldErrorf(pactwatch.EUNAUTHORIZED, "session", "sign in to record an action")
	case viewer.Role != vocab.RoleGuarantorLiaison && viewer.Role != vocab.RolePartyLiaison && viewer.Role != vocab.RoleAnalyst:
		return pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "role", "a %s may not record protocol actions", viewer.Role)
	case h.opts.Responses == nil:
		return pactwatch.Errorf(pactwatch.EUNAVAILABLE, "this server runs no response protocols")
	}
	run, key, err := splitStepID(stepID)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(run, caseID+"/") {
		return pactwatch.FieldErrorf(pactwatch.EINVALID, "step", "step %q is not a step of case %s", stepID, caseID)
	}
	_, err = h.opts.Responses.Record(r.Context(), response.Recorder{Principal: viewer.ID, Role: viewer.Role, Of: viewer.Of}, run, key,
		response.Action{Kind: vocab.ActionKind(form.Kind), Statement: strings.TrimSpace(form.Statement), Reference: strings.TrimSpace(form.Reference)})
	return err
}

// actionErrorText says in the viewer's language why an action was
// refused: the engine's known refusals by name, anything else by its
// message (internal errors never show theirs).
func (h *Handler) actionErrorText(v *view, err error) string {
	for sentinel, id := range map[error]string{
		response.ErrNotYourStep: "cases.error.not_yours",
		response.ErrCaseClosed:  "cases.error.case_closed",
		response.ErrAlreadyDone: "cases.error.already_done",
		response.ErrStepClosed:  "cases.error.step_closed",
		response.ErrUnknownStep: "cases.error.unknown_step",
	} {
		if errors.Is(err, sentinel) {
			return v.T(id)
		}
	}
	var pe *pactwatch.Error
	if errors.As(err, &pe) {
		switch {
		case pe.Code == pactwatch.ETOOLARGE:
			return v.T("cases.error.too_large")
		case pe.Code == pactwatch.EUNAUTHORIZED:
			return v.T("cases.error.sign_in")
		case pe.Code == pactwatch.EFORBIDDEN && (pe.Field == "csrf" || pe.Field == "origin"):
			return v.T("cases.error.csrf")
		case pe.Code == pactwatch.EFORBIDDEN:
			return v.T("cases.error.role")
		case pe.Code == pactwatch.EINVALID && pe.Field == "action.statement":
			return v.T("cases.error.statement")
		case pe.Code == pactwatch.EINVALID && pe.Field == "action.kind":
			return v.T("cases.error.kind")
		}
	}
	if pactwatch.ErrorCode(err) == pactwatch.EUNAVAILABLE {
		return v.T("error.unavailable")
	}
	if httpStatus(pactwatch.ErrorCode(err)) >= 500 {
		h.opts.Logger.Error("web: recording an action", "err", err)
		return v.T("error.internal")
	}
	return pactwatch.ErrorMessage(err)
}
