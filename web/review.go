package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/vocab"
)

// The review pages follow the API's rules (server/review.go) exactly, so
// the web never shows a principal more than the API would: analysts,
// auditors and admins see incidents in full and the queue; only analysts
// claim and decide; everyone else sees public projections of verified
// incidents and nothing of the queue.

// reviewer is whether the viewer sees incidents in full and the queue:
// the API's reviewer (analysts, auditors and admins).
func reviewer(v Viewer) bool { return v.Role.SeesWhole() }

// decides is whether the viewer may claim and decide incidents: the
// API's analysts route roles.
func decides(v Viewer) bool { return v.Role == vocab.RoleAnalyst }

// navRoles are the header's entries shown only to some roles.
var navRoles = map[string]func(Viewer) bool{
	"/review": reviewer,
}

// queueLimit is how many incidents the queue page lists: the oldest, as
// the analysts work through them; the filter narrows the rest.
const queueLimit = 200

// maxReviewForm caps the body of a claim or decision form (the API's
// maxReviewBody).
const maxReviewForm = 64 << 10

// mountReview registers the review queue and the incident pages; without
// Options.Incidents there is nothing to review and no routes.
func (h *Handler) mountReview() {
	if h.opts.Incidents == nil {
		return
	}
	h.nav = append(h.nav, navItem{"/review", "nav.review"})
	h.mux.HandleFunc("GET /review", h.reviewGet)
	// An incident's page is the map's detail: public (its verified
	// incidents) exactly when the map is.
	h.mux.HandleFunc("GET /incidents/{id}", h.public("map", h.incidentGet))
	h.mux.HandleFunc("POST /incidents/{id}/claim", h.incidentClaim)
	h.mux.HandleFunc("POST /incidents/{id}/decision", h.incidentDecide)
	h.mux.HandleFunc("GET /incidents/{id}/evidence/{sha256}", h.evidencePreview)
	h.mux.HandleFunc("GET /incidents/{id}/evidence/{sha256}/file", h.evidenceFile)
}

// reviewPage is the data of templates/review.html.
type reviewPage struct {
	// Denied is set when the viewer may not see the queue: Status 401
	// (not signed in: the page offers the log-in link) or 403.
	Denied int

	Query      queueQuery
	Error      string // the filter's problem, in the viewer's language
	Areas      []option
	Families   []familyOption
	Grades     []option
	Statuses   []option
	Rows       []queueRow
	Truncated  bool
	Limit      int
	Done       *doneNotice // the decision just recorded (after ?done=)
	CanAct     bool
	FilterText string // the filter as a query string, for links
}

// queueQuery is the queue's GET form as submitted.
type queueQuery struct {
	Area, Category, Grade, Status string
}

// queueRow is one incident of the queue.
type queueRow struct {
	ID           string
	Status       incident.Status
	Categories   []categoryCount
	When         string // First to Last (timeSpan)
	Place        string // the nearest town and area, in the viewer's language
	Where        string // the position and its uncertainty (spotText)
	Grade        vocab.Grade
	Corroborated bool
	Sources      int // distinct reporters
	Observations int
	Claim        *incident.Claim // a live claim, nil when none
	ClaimMine    bool
}

type categoryCount struct {
	Category vocab.Category
	Count    int
}

// doneNotice confirms a decision on the queue page, from the incident's
// stored status (not from the URL, which anyone can write).
type doneNotice struct {
	ID     string
	Status incident.Status
}

// openStatuses are the statuses the queue may be narrowed to: those
// awaiting a decision.
var openStatuses = []incident.Status{incident.Reported, incident.Corroborated, incident.Disputed}

// reviewGet serves GET /review: the incidents awaiting review, oldest
// first, filtered by area (an agreement zone), category and minimum grade.
func (h *Handler) reviewGet(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, nil)
	viewer := h.viewer(r)
	if !reviewer(viewer) {
		status := http.StatusForbidden
		if !viewer.SignedIn() {
			status = http.StatusUnauthorized
		}
		v.Data = reviewPage{Denied: status}
		h.render(w, r, status, "review", v)
		return
	}
	q := r.URL.Query()
	page := reviewPage{
		Query:  queueQuery{Area: q.Get("area"), Category: q.Get("category"), Grade: q.Get("grade"), Status: q.Get("status")},
		Limit:  queueLimit,
		CanAct: decides(viewer),
	}
	now := h.opts.Now()
	agr := h.opts.Incidents.Agreement()
	h.queueOptions(v, agr, now, &page)
	status := http.StatusOK
	f, err := queueFilter(page.Query, agr, now)
	if err != nil {
		status = httpStatus(pactwatch.ErrorCode(err))
		page.Error = v.T("review.error.filter", "Message", pactwatch.ErrorMessage(err))
	} else {
		f.Limit = queueLimit + 1
		incs, err := h.opts.Incidents.Incidents(f)
		if err != nil {
			h.pageError(w, r, err)
			return
		}
		if len(incs) > queueLimit {
			incs, page.Truncated = incs[:queueLimit], true
		}
		for _, inc := range incs {
			page.Rows = append(page.Rows, h.queueRow(v, inc, viewer, now))
		}
	}
	if id := q.Get("done"); id != "" {
		if inc, _, err := h.opts.Incidents.Incident(id); err == nil {
			page.Done = &doneNotice{ID: inc.ID, Status: inc.Status}
		}
	}
	page.FilterText = page.Query.encode()
	v.Data = page
	h.render(w, r, status, "review", v)
}

// encode is the filter as a query string.
func (q queueQuery) encode() string {
	v := url.Values{}
	for k, s := range map[string]string{"area": q.Area, "category": q.Category, "grade": q.Grade, "status": q.Status} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// queueFilter turns the form into the pipeline's filter by the API's
// rules (incidentFilter and zoneFilter in server/review.go): known
// categories (comma separated), an Admiralty grade, an agreement zone that
// is an area now; the status only narrows the queue to one open status.
func queueFilter(q queueQuery, a *agreement.Agreement, now time.Time) (pipeline.Filter, error) {
	var f pipeline.Filter
	switch st := incident.Status(q.Status); {
	case st == "":
	case st.Open():
		f.Status = st
	default:
		return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "status", "the queue holds reported, corroborated and disputed incidents, not %q", q.Status)
	}
	if q.Category != "" {
		for _, s := range strings.Split(q.Category, ",") {
			cat := vocab.Category(strings.TrimSpace(s))
			if !cat.Valid() {
				return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "category", "unknown category %q", cat)
			}
			f.Categories = append(f.Categories, cat)
		}
	}
	if q.Grade != "" {
		f.MinGrade = vocab.Grade(q.Grade)
		if !f.MinGrade.Valid() {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "grade", "want an Admiralty grade such as B2, not %q", q.Grade)
		}
	}
	if q.Area != "" {
		var z *agreement.Zone
		if a != nil {
			z = a.Zone(q.Area)
		}
		if z == nil {
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "area", "no zone %q in the agreement", q.Area)
		}
		switch g := z.GeometryAt(now).(type) {
		case orb.Polygon, orb.MultiPolygon:
			f.Area = g
		default:
			return f, pactwatch.FieldErrorf(pactwatch.EINVALID, "area", "zone %q is a %s, not an area", q.Area, z.Kind)
		}
	}
	return f, nil
}

// queueOptions fills the filter form's choices: the agreement's area
// zones in force now, the categories by family, grades and open statuses.
func (h *Handler) queueOptions(v *view, a *agreement.Agreement, now time.Time, p *reviewPage) {
	if a != nil {
		for _, z := range a.Zones {
			switch z.GeometryAt(now).(type) {
			case orb.Polygon, orb.MultiPolygon:
			default:
				continue
			}
			label := z.Name
			if label == "" {
				label = z.ID
			}
			p.Areas = append(p.Areas, option{z.ID, label, p.Query.Area == z.ID})
		}
	}
	for _, f := range families() {
		fo := familyOption{Label: v.T("family." + string(f.Family))}
		for _, c := range f.Categories {
			fo.Options = append(fo.Options, option{string(c), v.T("category." + string(c)), p.Query.Category == string(c)})
		}
		p.Families = append(p.Families, fo)
	}
	for rel := 'A'; rel <= 'F'; rel++ {
		for cred := '1'; cred <= '6'; cred++ {
			g := string([]rune{rel, cred})
			p.Grades = append(p.Grades, option{g, g, p.Query.Grade == g})
		}
	}
	for _, s := range openStatuses {
		p.Statuses = append(p.Statuses, option{string(s), v.T("status." + string(s)), p.Query.Status == string(s)})
	}
}

// queueRow summarises an incident for the queue.
func (h *Handler) queueRow(v *view, inc *incident.Incident, viewer Viewer, now time.Time) queueRow {
	row := queueRow{
		ID: inc.ID, Status: inc.Status, When: timeSpan(v.locale, inc.First, inc.Last), Where: discText(v.locale, inc.Location),
		Grade: inc.BestGrade, Corroborated: inc.Corroborated, Observations: len(inc.Reports),
	}
	for _, c := range inc.Categories() {
		row.Categories = append(row.Categories, categoryCount{c, inc.Counts[c]})
	}
	reporters := map[string]bool{}
	for _, rep := range inc.Reports {
		reporters[rep.Reporter] = true
	}
	row.Sources = len(reporters)
	if d := inc.Location; d != nil {
		row.Place = placeName(v.Lang, d.Point)
	}
	if c := liveClaim(inc, now); c != nil {
		row.Claim, row.ClaimMine = c, c.Analyst == viewer.ID
	}
	return row
}

// liveClaim is the incident's claim while it lasts.
func liveClaim(inc *incident.Incident, now time.Time) *incident.Claim {
	if inc.Claim != nil && now.Before(inc.Claim.Until) {
		return inc.Claim
	}
	return nil
}

// timeSpan writes an incident's time from first to last, the day once
// when both fall on the same day of the reporting time zone.
func timeSpan(l *locale, first, last time.Time) string {
	a, b := first.In(l.location), last.In(l.location)
	if a.Year() == b.Year() && a.YearDay() == b.YearDay() {
		return l.DateTime(first) + " – " + b.Format("15:04")
	}
	return l.DateTime(first) + " – " + l.DateTime(last)
}

// discText writes a position and its uncertainty ("48.0512, 37.7301 ±
// 0.4 km"), or "" for none. Coordinates keep the decimal point in every
// language, as maps and GPS devices write them; the radius is a number of
// the viewer's language.
func discText(l *locale, d *incident.Disc) string {
	if d == nil {
		return ""
	}
	return spotText(l, d.Point[1], d.Point[0], d.RadiusKm, 4)
}

// publicDiscText is discText for a public projection's position: two
// decimals, as many as its grid (0.05°) has, so the text claims no more
// precision than the position keeps.
func publicDiscText(l *locale, d *incident.Disc) string {
	if d == nil {
		return ""
	}
	return spotText(l, d.Point[1], d.Point[0], d.RadiusKm, 2)
}

func spotText(l *locale, lat, lon, radiusKm float64, digits int) string {
	r := math.Round(radiusKm*10) / 10
	if radiusKm < 1 {
		r = math.Round(radiusKm*100) / 100
	}
	return fmt.Sprintf("%.*f, %.*f ", digits, lat, digits, lon) + l.T("review.radius", "Km", l.Number(r))
}

// gazetteer names places on the review pages (read only).
var gazetteer = report.DefaultGazetteer()

// placeName names the nearest town of the report gazetteer and its area
// ("Avdiivka, Donetsk"), or "" beyond the gazetteer's reach.
func placeName(lang string, p orb.Point) string {
	g := gazetteer
	t, _, ok := g.Nearest(p)
	if !ok {
		return ""
	}
	return t.Names.In(lang) + ", " + g.Area(t.Area).Names.In(lang)
}
