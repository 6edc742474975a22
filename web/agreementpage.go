package web

import (
	"bytes"
	"cmp"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/assess"
	"github.com/pactwatch/pactwatch/vocab"
)

// agreementPage is the data of templates/agreement.html: the agreement the
// mission enforces, in words, for people who will not read its YAML.
type agreementPage struct {
	Title       string
	Version     int
	Hash        string
	Supersedes  string
	Notes       string
	Effective   string // a formatted date, "" when the file gives none
	Until       string // the day the agreement's duration ends, "" open-ended
	Duration    string // in words
	ReviewEvery string
	TimeZone    string
	Parties     []*agreement.Party
	Guarantors  []agrGuarantor
	Mission     agrMission
	Zones       []agrZone
	Commitments []agrCommitment
	Protocols   []agrProtocol
	// How reports become incidents and violations cases, in sentences.
	Verification, Cases []string
	FileName            string // what to call the file in the check instructions
	ServerURL           string // this server, for the curl command
}

type agrGuarantor struct {
	ID, Name string
	Group    bool
	Members  string // the group's members' names, listed
}

type agrMission struct {
	Name, LogOrigin, LogKey string
	Witnesses               []agreement.Witness
	Quorum                  int
}

// agrZone is one zone: its kind and what defines it.
type agrZone struct {
	ID, Name, Kind, KindText string
	About                    string // its party, a buffer's width and line, its description
	Illustrative             bool
	Inventory                []agrParam
	Phases                   []agrPhase
	MapURL                   string
}

type agrPhase struct {
	ID, From, Until string
	MapURL          string // the map with the zones as in force on the phase's first day
}

// agrParam is one line of a definition list: a name, its value, and a link
// to what the value names when it is on the page.
type agrParam struct {
	Name, Value, Href string
}

type agrCommitment struct {
	ID, Title, Text string
	Kind            string // its message, e.g. "Ceasefire"
	Obligors        string // their names, listed
	Term            string // "from … until …" in words
	RuleKind        string
	Rule            string // the rule in one sentence
	Params          []agrParam
	Protocol        *agrParam // its response protocol, linked
	Assessment      *assessClause
	AssessError     bool   // the wording could not be assessed
	Weaker          string // a commitment called a guarantee whose wording reads weaker: the warning
}

type agrProtocol struct {
	ID, Title  string
	Steps      []agrStep
	Cutoff     string
	Escalation []string // sentences
}

type agrStep struct {
	N                                        int
	ID, Actor, Action, Deadline, Description string
}

// agrWording is one commitment's assessment, computed once: the analyser's
// verdict does not depend on the viewer, only its words do.
type agrWording struct {
	clause assess.Clause
	lang   string
	err    error
}

// mountAgreement adds /agreement when the web interface knows the
// agreement (Options.Agreement, else the one the pipeline enforces), with
// its navigation entry, and assesses each commitment's wording once.
func (h *Handler) mountAgreement() {
	if h.opts.Agreement == nil && h.opts.Incidents != nil {
		h.opts.Agreement = h.opts.Incidents.Agreement()
	}
	a := h.opts.Agreement
	if a == nil {
		return
	}
	words := make(map[string]agrWording, len(a.Commitments))
	for _, c := range a.Commitments {
		if strings.TrimSpace(c.Text) == "" {
			continue
		}
		cl, err := assess.AssessClause(c.Text, "")
		words[c.ID] = agrWording{cl, assess.DetectLanguage(c.Text), err}
	}
	h.nav = append(h.nav, navItem{"/agreement", "nav.agreement"})
	h.mux.HandleFunc("GET /agreement", h.public("agreement", func(w http.ResponseWriter, r *http.Request) {
		h.agreementGet(w, r, a, words)
	}))
	h.mux.HandleFunc("GET /agreement/canonical.json", h.public("agreement", func(w http.ResponseWriter, r *http.Request) {
		agreementCanonical(w, r, a)
	}))
}

// agreementCanonical serves the agreement's canonical JSON: the bytes its
// hash is the SHA-256 of, so anyone can check the hash the page shows
// (and the ledger's agreement entry) without pactwatch.
func agreementCanonical(w http.ResponseWriter, r *http.Request, a *agreement.Agreement) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", `"`+a.Hash()+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.CanonicalJSON()))
}

// agreementGet serves GET /agreement.
func (h *Handler) agreementGet(w http.ResponseWriter, r *http.Request, a *agreement.Agreement, words map[string]agrWording) {
	v := h.newView(w, r, nil)
	p := agreementPage{
		Title: a.Title, Version: a.Version, Hash: a.Hash(), Supersedes: a.Supersedes, Notes: a.Notes,
		TimeZone: a.Reporting.TimeZone, Parties: a.Parties, FileName: "agreement.yaml",
		Effective: agreementDate(v.locale, a, a.Effective), Duration: agrDuration(v.locale, a.Duration),
		ReviewEvery: agrDuration(v.locale, a.ReviewEvery), ServerURL: agrServerURL(r),
	}
	if a.Effective != "" && a.Duration != "" {
		if t, err := a.Effective.In(a.Location()); err == nil {
			p.Until = v.Date(agrNoon(a.Duration.AddTo(t), v.locale))
		}
	}
	for _, g := range a.Guarantors {
		gv := agrGuarantor{ID: g.ID, Name: g.Name, Group: g.Kind == "group"}
		var members []string
		for _, m := range g.Members {
			members = append(members, h.agrActor(v.locale, a, m))
		}
		gv.Members = strings.Join(members, ", ")
		p.Guarantors = append(p.Guarantors, gv)
	}
	p.Mission = agrMission{Name: a.Mission.Name, LogOrigin: a.Mission.Log.Origin, LogKey: a.Mission.Log.PublicKey,
		Witnesses: a.Mission.Witnesses, Quorum: a.Mission.WitnessQuorum}
	for _, z := range a.Zones {
		p.Zones = append(p.Zones, h.newAgrZone(v.locale, a, z))
	}
	for _, c := range a.Commitments {
		cv := h.newAgrCommitment(v.locale, a, c)
		if wd, ok := words[c.ID]; ok {
			if wd.err != nil {
				cv.AssessError = true
			} else {
				ac := newAssessClause(v.locale, 1, wd.clause, wd.lang)
				cv.Assessment = &ac
				if c.ClaimsGuarantee() && !wd.clause.Label.IsGuarantee() {
					cv.Weaker = v.T("agreement.wording_weaker", "Label", ac.LabelText)
				}
			}
		}
		p.Commitments = append(p.Commitments, cv)
	}
	for _, pr := range a.Protocols {
		p.Protocols = append(p.Protocols, h.newAgrProtocol(v.locale, a, pr))
	}
	p.Verification, p.Cases = agreementSettings(v.locale, a)
	v.Data = p
	h.render(w, r, http.StatusOK, "agreement", v)
}

// agrActor names an obligor or protocol actor in the viewer's language:
// the mission and "all guarantors" are words of the page; parties and
// guarantors keep the names the agreement gives them.
func (h *Handler) agrActor(l *locale, a *agreement.Agreement, id string) string {
	if id == agreement.ActorAllGuarantors {
		return l.T("agreement.actor.all_guarantors")
	}
	return a.ActorName(id)
}

// agreementDate formats one of the agreement's dates as a day; "" when
// the file gives none.
func agreementDate(l *locale, a *agreement.Agreement, d agreement.Date) string {
	if d == "" {
		return ""
	}
	t, err := d.In(a.Location())
	if err != nil {
		return string(d)
	}
	// The day's noon, so that a reporting zone other than the page's
	// cannot move it to the day before.
	return l.Date(time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, l.location))
}

// agrDuration writes a calendar duration in words ("30 years", "72 hours").
func agrDuration(l *locale, d agreement.Duration) string {
	if d == "" {
		return ""
	}
	n, unit, err := d.Parse()
	if err != nil {
		return string(d)
	}
	return l.T("agreement.duration."+unit, "Count", n)
}

// agrZoneRef links a zone of the agreement by its name.
func agrZoneRef(a *agreement.Agreement, id string) agrParam {
	name := id
	if z := a.Zone(id); z != nil && z.Name != "" {
		name = z.Name
	}
	return agrParam{Value: name, Href: "#zone-" + id}
}

// newAgrZone is a zone as the page lists it.
func (h *Handler) newAgrZone(l *locale, a *agreement.Agreement, z *agreement.Zone) agrZone {
	zv := agrZone{ID: z.ID, Name: cmp.Or(z.Name, z.ID), Kind: string(z.Kind), Illustrative: z.Illustrative, MapURL: "/map"}
	var about []string
	zv.KindText = l.T("zone." + string(z.Kind))
	if !slices.Contains(zoneKinds, string(z.Kind)) {
		zv.KindText = l.T("zone.other")
	}
	if z.Party != "" {
		about = append(about, l.T("agreement.zone_party", "Party", a.ActorName(z.Party)))
	}
	if z.Kind == agreement.Buffer {
		line := agrZoneRef(a, z.Of).Value
		km := l.Number(z.DistanceKm)
		switch {
		case z.Towards != "":
			about = append(about, l.T("agreement.buffer.towards", "Km", km, "Line", line, "Party", a.ActorName(z.Towards)))
		case z.Side == "left" || z.Side == "right":
			about = append(about, l.T("agreement.buffer."+z.Side, "Km", km, "Line", line))
		default:
			about = append(about, l.T("agreement.buffer.both", "Km", km, "Line", line))
		}
	}
	if z.Description != "" {
		about = append(about, z.Description)
	}
	zv.About = strings.Join(about, " ")
	for _, w := range slices.Sorted(maps.Keys(z.Inventory)) {
		zv.Inventory = append(zv.Inventory, agrParam{Name: agrWeapon(l, w), Value: l.Number(z.Inventory[w])})
	}
	for _, ph := range z.Phases {
		pv := agrPhase{ID: ph.ID, From: agreementDate(l, a, ph.From), Until: agreementDate(l, a, ph.Until)}
		pv.MapURL = "/map?" + url.Values{"to": {string(ph.From)}}.Encode()
		zv.Phases = append(zv.Phases, pv)
	}
	return zv
}

// agrWeapon names a weapon class as the map does, or shows the agreement's
// own word for a class the vocabulary does not know.
func agrWeapon(l *locale, class string) string {
	if slices.Contains(vocab.WeaponClasses(), vocab.WeaponClass(class)) {
		return l.T("weapon." + class)
	}
	return class
}

// newAgrCommitment is a commitment in words, without its wording
// assessment (agreementGet adds it).
func (h *Handler) newAgrCommitment(l *locale, a *agreement.Agreement, c *agreement.Commitment) agrCommitment {
	cv := agrCommitment{ID: c.ID, Title: c.Title, Text: c.Text, RuleKind: l.T("agreement.rule." + c.Rule.Kind)}
	cv.Kind = l.T("agreement.kind." + c.Kind)
	var obligors []string
	for _, o := range c.Obligors {
		obligors = append(obligors, h.agrActor(l, a, o))
	}
	cv.Obligors = strings.Join(obligors, ", ")
	from, until := c.Period()
	switch {
	case !from.IsZero() && !until.IsZero():
		cv.Term = l.T("agreement.term.from_until", "From", l.Date(agrNoon(from, l)), "Until", l.Date(agrNoon(until, l)))
	case !from.IsZero():
		cv.Term = l.T("agreement.term.from", "From", l.Date(agrNoon(from, l)))
	}
	if c.Protocol != "" {
		name := c.Protocol
		if pr := a.Protocol(c.Protocol); pr != nil && pr.Title != "" {
			name = pr.Title
		}
		cv.Protocol = &agrParam{Value: name, Href: "#protocol-" + c.Protocol}
	}
	cv.Rule, cv.Params = agrRule(l, a, c.Rule)
	return cv
}

func agrNoon(t time.Time, l *locale) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, l.location)
}

// agrRule says what breaks a commitment, in one sentence, with the rule's
// parameters as a list (the distances, the holding areas' inventories, …).
func agrRule(l *locale, a *agreement.Agreement, r agreement.Rule) (string, []agrParam) {
	var ps []agrParam
	categories := func(cats []vocab.Category) {
		names := make([]string, 0, len(cats))
		for _, c := range cats {
			names = append(names, l.T("category."+string(c)))
		}
		if len(names) > 0 {
			ps = append(ps, agrParam{Name: l.T("agreement.param.categories"), Value: strings.Join(names, ", ")})
		}
	}
	switch r.Kind {
	case agreement.RuleFireInZone:
		z := agrZoneRef(a, r.Zone)
		if r.From != "" {
			ps = append(ps, agrParam{Name: l.T("agreement.param.from"), Value: agreementDate(l, a, r.From)})
		}
		categories(r.Categories)
		return l.T("agreement.rule_text.fire_in_zone", "Zone", z.Value), append([]agrParam{{Name: l.T("agreement.param.zone"), Value: z.Value, Href: z.Href}}, ps...)
	case agreement.RuleWeaponDistance:
		line := agrZoneRef(a, r.Line)
		ps = append(ps, agrParam{Name: l.T("agreement.param.line"), Value: line.Value, Href: line.Href})
		if r.Party != "" {
			ps = append(ps, agrParam{Name: l.T("agreement.param.party"), Value: a.ActorName(r.Party)})
		}
		// Farthest first: the heaviest weapons lead, as agreements list them.
		classes := slices.Collect(maps.Keys(r.Distances))
		slices.SortFunc(classes, func(x, y vocab.WeaponClass) int {
			return cmp.Or(cmp.Compare(r.Distances[y], r.Distances[x]), cmp.Compare(x, y))
		})
		for _, w := range classes {
			ps = append(ps, agrParam{Name: agrWeapon(l, string(w)), Value: l.T("agreement.km", "Km", l.Number(r.Distances[w]))})
		}
		return l.T("agreement.rule_text.weapon_distance", "Line", line.Value), ps
	case agreement.RuleHoldingInventory:
		for _, id := range r.Zones {
			z := agrZoneRef(a, id)
			var inv []string
			if zone := a.Zone(id); zone != nil {
				for _, w := range slices.Sorted(maps.Keys(zone.Inventory)) {
					inv = append(inv, agrWeapon(l, w)+": "+l.Number(zone.Inventory[w]))
				}
			}
			ps = append(ps, agrParam{Name: z.Value, Value: strings.Join(inv, "; "), Href: z.Href})
		}
		return l.T("agreement.rule_text.holding_inventory"), ps
	case agreement.RuleMissionRestriction:
		cats := r.Categories
		if len(cats) == 0 {
			cats = agreement.DefaultMissionCategories
		}
		categories(cats)
		return l.T("agreement.rule_text.mission_restriction"), ps
	case agreement.RuleZoneIncursion:
		z := agrZoneRef(a, r.Zone)
		ps = append(ps, agrParam{Name: l.T("agreement.param.zone"), Value: z.Value, Href: z.Href})
		if r.Party == "" {
			return l.T("agreement.rule_text.zone_incursion_any", "Zone", z.Value), ps
		}
		return l.T("agreement.rule_text.zone_incursion", "Zone", z.Value, "Party", a.ActorName(r.Party)), ps
	case agreement.RuleLevelBelow:
		ps = append(ps, agrParam{Name: l.T("agreement.param.metric"), Value: r.Metric},
			agrParam{Name: l.T("agreement.param.minimum"), Value: strings.TrimSpace(l.Number(r.Minimum) + " " + r.Unit)})
		if r.Period != "" {
			ps = append(ps, agrParam{Name: l.T("agreement.param.period"), Value: agrDuration(l, r.Period)})
		}
		return l.T("agreement.rule_text.level_below"), ps
	case agreement.RuleMilestone:
		ps = append(ps, agrParam{Name: l.T("agreement.param.due"), Value: agreementDate(l, a, r.Due)})
		if r.Evidence != "" {
			ps = append(ps, agrParam{Name: l.T("agreement.param.evidence"), Value: r.Evidence})
		}
		return l.T("agreement.rule_text.milestone", "Due", agreementDate(l, a, r.Due)), ps
	case agreement.RuleManual:
		if r.Guidance != "" {
			ps = append(ps, agrParam{Name: l.T("agreement.param.guidance"), Value: r.Guidance})
		}
		return l.T("agreement.rule_text.manual"), ps
	}
	return r.Kind, nil
}

// newAgrProtocol is a response protocol's steps and escalation in words.
func (h *Handler) newAgrProtocol(l *locale, a *agreement.Agreement, pr *agreement.Protocol) agrProtocol {
	pv := agrProtocol{ID: pr.ID, Title: cmp.Or(pr.Title, pr.ID), Cutoff: agrDuration(l, pr.Cutoff)}
	for i, s := range pr.Steps {
		pv.Steps = append(pv.Steps, agrStep{N: i + 1, ID: s.ID, Actor: h.agrActor(l, a, s.Actor),
			Action: l.T("agreement.action." + string(s.Action)), Deadline: agrDuration(l, s.Deadline), Description: s.Description})
	}
	protocolName := func(id string) string {
		if p := a.Protocol(id); p != nil && p.Title != "" {
			return p.Title
		}
		return id
	}
	if e := pr.Escalation; e != nil {
		switch e.OnOverdue {
		case "":
		case agreement.NotifyAll:
			pv.Escalation = append(pv.Escalation, l.T("agreement.escalation.notify_all"))
		default:
			pv.Escalation = append(pv.Escalation, l.T("agreement.escalation.protocol", "Protocol", protocolName(e.OnOverdue)))
		}
		if rp := e.Repeated; rp != nil {
			pv.Escalation = append(pv.Escalation, l.T("agreement.escalation.repeated",
				"Count", rp.Count, "Within", agrDuration(l, rp.Within), "Protocol", protocolName(rp.Protocol)))
		}
	}
	return pv
}

// agrServerURL is this server's address as the browser reached it, for the
// commands the pages suggest.
func agrServerURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
