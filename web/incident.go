package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// incidentPage is the data of templates/incident.html. Full is the
// reviewer's view (Incident, Observations, Decisions, History); the
// public's is Public and PublicObservations only.
type incidentPage struct {
	ID   string
	Full bool

	Incident     *incident.Incident
	Place        string
	When         string // First to Last (timeSpan)
	Where        string // the incident's location (discText); the public's is coarsened
	OriginAt     string // the estimated origin of fire
	Categories   []categoryCount
	Observations []obsView
	Decisions    []*incident.Decision
	History      []incident.Change
	Claim        *incident.Claim // live claim, nil when none
	ClaimMine    bool
	Open         bool // awaiting a decision
	CanAct       bool // the viewer is an analyst and the incident is open
	ReadOnly     bool // open, but the viewer is a reviewer who does not decide

	Public             incident.PublicIncident
	PublicCategories   []categoryCount
	PublicSources      []sourceCount
	PublicObservations []publicObsView

	Form decisionForm
}

type sourceCount struct {
	Source vocab.SourceType
	Count  int
}

// obsView is one observation as a reviewer sees it: the incident's report
// and, when the records are available, the record's narrative and who
// submitted it.
type obsView struct {
	incident.Report
	Narrative   string
	Language    string
	SubmittedBy string // principal id
	TargetAt    string // positions as discText writes them
	ObserverAt  string
	OriginAt    string
	Files       []evidenceView
	Checked     bool // in the decision form's "rests on" list
}

// publicObsView is an observation's public projection on the page.
type publicObsView struct {
	observation.PublicObservation
	TargetAt string
}

// evidenceView is one evidence file: images get a re-encoded preview,
// anything else a download link.
type evidenceView struct {
	SHA256    string
	MediaType string
	Size      int64
	Image     bool
}

// decisionForm is the state of the decision form when it is shown again
// with an error.
type decisionForm struct {
	Error   string // in the viewer's language
	Outcome string
	Reason  string
	Note    string
	Reasons []option
	// Posted is set when the form comes back after an error: the ticks
	// are the ones sent (Observations), not all of them.
	Posted       bool
	Observations []string
}

var rejectReasons = []incident.RejectReason{incident.RejectDuplicate, incident.RejectInaccurate, incident.RejectUnverifiable, incident.RejectOutOfScope}

// previewTypes are the declared media types that get an <img> preview.
var previewTypes = []string{"image/jpeg", "image/png", "image/gif"}

// incidentGet serves GET /incidents/{id}: a reviewer sees the whole
// incident, its observations, evidence and decisions; anyone else sees
// the public projection of a verified incident, and no other exists for
// them (404), as in the API.
func (h *Handler) incidentGet(w http.ResponseWriter, r *http.Request) {
	h.showIncident(w, r, http.StatusOK, decisionForm{})
}

// showIncident renders the incident page with status and the decision
// form's state (an error after a failed action).
func (h *Handler) showIncident(w http.ResponseWriter, r *http.Request, status int, form decisionForm) {
	id := r.PathValue("id")
	viewer := h.viewer(r)
	inc, ds, err := h.opts.Incidents.Incident(id)
	if err == nil && !reviewer(viewer) && !inc.Visible() {
		// Unverified incidents do not exist for the public.
		err = pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
	}
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	v := h.newView(w, r, nil)
	page := incidentPage{ID: inc.ID, Form: form}
	for _, rr := range rejectReasons {
		page.Form.Reasons = append(page.Form.Reasons, option{string(rr), v.T("review.reason." + string(rr)), page.Form.Reason == string(rr)})
	}
	if reviewer(viewer) {
		if err := h.fullIncident(r, v, viewer, inc, ds, &page); err != nil {
			h.pageError(w, r, err)
			return
		}
	} else if err := h.publicIncident(r, v, inc, &page); err != nil {
		h.pageError(w, r, err)
		return
	}
	v.Data = page
	h.render(w, r, status, "incident", v)
}

func (h *Handler) fullIncident(r *http.Request, v *view, viewer Viewer, inc *incident.Incident, ds []*incident.Decision, p *incidentPage) error {
	now := h.opts.Now()
	p.Full, p.Incident, p.Decisions, p.History = true, inc, ds, inc.History
	p.Open = inc.Status.Open()
	p.CanAct = p.Open && decides(viewer)
	p.ReadOnly = p.Open && !decides(viewer)
	p.Where, p.OriginAt = discText(v.locale, inc.Location), discText(v.locale, inc.Origin)
	p.When = timeSpan(v.locale, inc.First, inc.Last)
	if c := liveClaim(inc, now); c != nil {
		p.Claim, p.ClaimMine = c, c.Analyst == viewer.ID
	}
	if inc.Location != nil {
		p.Place = placeName(v.Lang, inc.Location.Point)
	}
	for _, c := range inc.Categories() {
		p.Categories = append(p.Categories, categoryCount{c, inc.Counts[c]})
	}
	ctx := r.Context()
	for _, rep := range inc.Reports {
		checked := !p.Form.Posted || len(p.Form.Observations) == 0 || slices.Contains(p.Form.Observations, rep.ID)
		o := obsView{Report: rep, Checked: checked, TargetAt: discText(v.locale, rep.Target),
			ObserverAt: discText(v.locale, rep.Observer), OriginAt: discText(v.locale, rep.Origin)}
		if src := h.opts.Evidence; src != nil {
			rec, err := src.Observation(ctx, rep.ID)
			if err != nil {
				return err
			}
			o.Narrative, o.Language, o.SubmittedBy = rec.Narrative, rec.Language, rec.PrincipalID
			for _, sum := range rep.Evidence {
				ev, err := src.Evidence(ctx, sum)
				if pactwatch.ErrorCode(err) == pactwatch.ENOTFOUND {
					// Cited but never uploaded: listed without a link.
					o.Files = append(o.Files, evidenceView{SHA256: sum})
					continue
				}
				if err != nil {
					return err
				}
				o.Files = append(o.Files, evidenceView{SHA256: sum, MediaType: ev.MediaType, Size: ev.Size,
					Image: slices.Contains(previewTypes, ev.MediaType)})
			}
		}
		p.Observations = append(p.Observations, o)
	}
	return nil
}

func (h *Handler) publicIncident(r *http.Request, v *view, inc *incident.Incident, p *incidentPage) error {
	p.Public = incident.Public(inc)
	p.Where, p.OriginAt = publicDiscText(v.locale, p.Public.Location), publicDiscText(v.locale, p.Public.Origin)
	p.When = timeSpan(v.locale, p.Public.First, p.Public.Last)
	for _, c := range inc.Categories() {
		p.PublicCategories = append(p.PublicCategories, categoryCount{c, p.Public.Counts[c]})
	}
	for _, s := range vocab.SourceTypes() {
		if n := p.Public.Sources[s]; n > 0 {
			p.PublicSources = append(p.PublicSources, sourceCount{s, n})
		}
	}
	if h.opts.Evidence == nil {
		return nil
	}
	for _, id := range p.Public.Observations {
		rec, err := h.opts.Evidence.Observation(r.Context(), id)
		if err != nil {
			return err
		}
		po := publicObsView{PublicObservation: observation.Public(rec)}
		if t := po.Target; t != nil {
			po.TargetAt = spotText(v.locale, t.Lat, t.Lon, t.UncertaintyM/1000, 2)
		}
		p.PublicObservations = append(p.PublicObservations, po)
	}
	return nil
}

// actionAllowed runs the checks every action form passes before it acts:
// the body cap, the CSRF check, and the API's role rule (analysts only).
// It answers the request itself when they fail.
func (h *Handler) actionAllowed(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxReviewForm)
	if err := h.checkForm(r); err != nil {
		status := httpStatus(pactwatch.ErrorCode(err))
		h.render(w, r, status, "error", h.newView(w, r, errorPage{status, "review.error.form"}))
		return false
	}
	if v := h.viewer(r); !decides(v) {
		status, msg := http.StatusForbidden, "review.error.analysts_only"
		if !v.SignedIn() {
			status = http.StatusUnauthorized
		}
		h.render(w, r, status, "error", h.newView(w, r, errorPage{status, msg}))
		return false
	}
	return true
}

// incidentClaim serves POST /incidents/{id}/claim: the analyst says they
// are reviewing the incident (a claim expires; claiming again renews it).
func (h *Handler) incidentClaim(w http.ResponseWriter, r *http.Request) {
	if !h.actionAllowed(w, r) {
		return
	}
	id := r.PathValue("id")
	if _, err := h.opts.Incidents.Claim(id, h.viewer(r).ID); err != nil {
		h.actionFailed(w, r, err, decisionForm{})
		return
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

// incidentDecide serves POST /incidents/{id}/decision: verified, rejected
// with a reason, or disputed, with a note and the observations the
// decision rests on (all of them when none is ticked). The reason list
// only applies to a rejection, so it is ignored for the other outcomes
// rather than refused as the API refuses it: a form sends every field.
func (h *Handler) incidentDecide(w http.ResponseWriter, r *http.Request) {
	if !h.actionAllowed(w, r) {
		return
	}
	id := r.PathValue("id")
	form := decisionForm{
		Outcome: r.PostForm.Get("outcome"),
		Reason:  r.PostForm.Get("reason"),
		Note:    strings.TrimSpace(r.PostForm.Get("note")),
		Posted:  true, Observations: r.PostForm["observation"],
	}
	outcome := incident.Outcome(form.Outcome)
	var err error
	switch outcome {
	case incident.OutcomeVerified, incident.OutcomeRejected, incident.OutcomeDisputed:
	default:
		err = pactwatch.FieldErrorf(pactwatch.EINVALID, "decision", "want verified, rejected or disputed")
	}
	reason := incident.RejectReason(form.Reason)
	if outcome != incident.OutcomeRejected {
		reason = ""
	}
	if err == nil {
		_, _, err = h.opts.Incidents.Decide(r.Context(), id, h.viewer(r).ID, outcome, reason, form.Note, form.Observations)
	}
	if err != nil {
		h.actionFailed(w, r, err, form)
		return
	}
	http.Redirect(w, r, "/review?done="+url.QueryEscape(id), http.StatusSeeOther)
}

// actionFailed shows the incident again with what went wrong, in the
// viewer's language where the error is one the analyst can act on, and
// with the status the API would answer.
func (h *Handler) actionFailed(w http.ResponseWriter, r *http.Request, err error, form decisionForm) {
	code := pactwatch.ErrorCode(err)
	switch code {
	case pactwatch.EINVALID, pactwatch.ECONFLICT:
	default:
		// Unknown incident, a pipeline not led here, an internal error:
		// the error page says which.
		h.pageError(w, r, err)
		return
	}
	l := h.locale(h.pickLanguage(w, r))
	switch {
	case errors.Is(err, incident.ErrClaimed):
		if inc, _, gerr := h.opts.Incidents.Incident(r.PathValue("id")); gerr == nil && liveClaim(inc, h.opts.Now()) != nil {
			form.Error = l.T("review.error.claimed", "Analyst", inc.Claim.Analyst, "Until", l.DateTime(inc.Claim.Until))
			break
		}
		form.Error = l.T("review.error.conflict", "Message", pactwatch.ErrorMessage(err))
	case errors.Is(err, incident.ErrDecided):
		status := "?"
		if inc, _, gerr := h.opts.Incidents.Incident(r.PathValue("id")); gerr == nil {
			status = l.T("status." + string(inc.Status))
		}
		form.Error = l.T("review.error.decided", "Status", status)
	case code == pactwatch.ECONFLICT:
		form.Error = l.T("review.error.conflict", "Message", pactwatch.ErrorMessage(err))
	default:
		form.Error = l.T("review.error.invalid", "Message", pactwatch.ErrorMessage(err))
	}
	h.showIncident(w, r, httpStatus(code), form)
}
