package assess

import (
	"slices"
	"strings"
	"unicode"
)

// hit is one cue found in a clause: token range [first, last].
type hit struct {
	cue         *cueDef
	first, last int
	sent        int
}

// findCues runs the lexicon of lang over toks. Masks go first and hide
// their words from later cues; the words of an act serve one act cue only.
func findCues(toks []token, lang string) []hit {
	masked := make([]bool, len(toks))
	actUsed := make([]bool, len(toks))
	var hits []hit
	for _, cc := range compiled[lang] {
		used := make([]bool, len(toks)) // one hit per word per cue
		for _, p := range cc.pats {
			for _, m := range p.findAll(toks, masked) {
				if anyIn(used, m) || (cc.def.kind == kAct || cc.def.kind == kCommonDanger) && anyIn(actUsed, m) {
					continue
				}
				setIn(used, m)
				if cc.def.kind == kAct || cc.def.kind == kCommonDanger {
					setIn(actUsed, m)
				}
				hits = append(hits, hit{cue: cc.def, first: m[0], last: m[1], sent: toks[m[0]].sentence})
			}
		}
		if cc.def.mask {
			for _, h := range hits {
				if h.cue == cc.def {
					setIn(masked, [2]int{h.first, h.last})
				}
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.first - b.first })
	return hits
}

func anyIn(b []bool, m [2]int) bool {
	for i := m[0]; i <= m[1]; i++ {
		if b[i] {
			return true
		}
	}
	return false
}

func setIn(b []bool, m [2]int) {
	for i := m[0]; i <= m[1]; i++ {
		b[i] = true
	}
}

// relativeWords introduce a relative clause: a modal after them ("the
// measures which must be taken") does not govern the sentence.
var relativeWords = map[string]bool{"which": true, "that": true, "who": true, "які": true, "яка": true, "який": true, "що": true, "которые": true, "которая": true, "который": true, "что": true}

// act statuses
const (
	actDirect        = "direct"
	actDeferred      = "deferred"      // under seek, consult, determine: a further decision
	actHortatory     = "hortatory"     // under intend, should, may
	actDiscretionary = "discretionary" // if necessary, reserves the right
	actNegated       = "negated"       // shall not provide assistance (to the aggressor)
	actPower         = "power"         // a third-party body may act: no state promises anything
)

type analysis struct {
	text     string
	toks     []token
	hits     []hit
	decisive map[int]bool // indexes into hits
	trigger  []int        // hits forming triggers
	actState map[int]string
}

func (a *analysis) of(k kind) []int {
	var out []int
	for i, h := range a.hits {
		if h.cue.kind == k {
			out = append(out, i)
		}
	}
	return out
}

func (a *analysis) has(k kind) bool { return len(a.of(k)) > 0 }

func isGovernor(k kind) bool {
	switch k {
	case kMandatory, kFuture, kHortatory, kIntend, kDefer, kSeek, kConsult, kWhether, kMonitor:
		return true
	}
	return false
}

func isScoping(k kind) bool {
	return k == kDefer || k == kSeek || k == kConsult || k == kMonitor
}

func (a *analysis) relative(h hit) bool {
	if h.cue.kind != kMandatory && h.cue.kind != kFuture && h.cue.kind != kHortatory {
		return false
	}
	return h.first > 0 && relativeWords[a.toks[h.first-1].norm] && a.toks[h.first-1].sentence == h.sent
}

// governorOf returns the hits that decide how an act or restraint at hit i
// is promised: the nearest governing verb before it in its sentence, and the
// scoping verb (seek, consult, determine, monitor) it falls under, if any.
//
// An act that opens a new item of a coordinated list ("shall consult within
// 24 hours, decide a joint response within 72 hours, and provide
// assistance") is not the object of the scoping verbs before it: every item
// of the list is governed by the list's modal, so the search passes over
// them to that modal.
func (a *analysis) governorOf(i int) (nearest, scope int) {
	nearest, scope = -1, -1
	h := a.hits[i]
	for j := i - 1; j >= 0; j-- {
		g := a.hits[j]
		if g.sent != h.sent || g.last >= h.first || !isGovernor(g.cue.kind) || a.relative(g) {
			continue
		}
		if isScoping(g.cue.kind) {
			if h.cue.kind != kRestrain && g.cue.kind != kMonitor && a.coordinated(g.last, h.first) {
				continue
			}
			if nearest < 0 {
				nearest = j
			}
			scope = j
			break
		}
		if nearest < 0 {
			nearest = j
		}
		if g.cue.kind == kMandatory || g.cue.kind == kFuture {
			// A new commitment verb between a scoping verb and the act
			// ("shall consult and shall assist") ends the scope.
			break
		}
	}
	return nearest, scope
}

// conjunctions that join the items of a list. In "проведут консультации и
// окажут помощь" Russian and Ukrainian put the second promise in a verb of
// its own, with no "will" to end the scope of "consult"; the conjunction
// does.
var conjunctions = map[string]bool{"and": true, "и": true, "і": true, "й": true, "та": true}

// purposeWords tie what follows to the verb before them as its purpose or
// object ("consult in order to agree on", "seek action to provide", "з
// метою надання"): what follows them is not a new item of a list.
var purposeWords = map[string]bool{
	"to": true, "order": true, "view": true, "purpose": true, "aimed": true, "so": true,
	"щоб": true, "метою": true, "задля": true, "для": true,
	"чтобы": true, "целью": true, "целях": true,
}

// itemOpeners cannot open an item of a list of acts, which opens with its
// verb or an adverbial ("and within 7 days provide"). A preposition ("on",
// "of", "for") attaches what follows to the verb before; an article or
// "including" makes it a noun in that verb's object ("consult on the
// measures, and the assistance", "determine next steps, including
// assistance").
var itemOpeners = map[string]bool{
	"on": true, "of": true, "for": true, "at": true, "by": true, "from": true, "into": true, "towards": true,
	"upon": true, "about": true, "regarding": true, "with": true, "in": true,
	"the": true, "a": true, "an": true, "any": true, "all": true, "its": true, "their": true, "such": true, "other": true,
	"including": true, "notably": true, "namely": true, "especially": true, "particularly": true, "e.g": true,
	"про": true, "щодо": true, "з": true, "із": true, "о": true, "об": true, "по": true, "с": true, "в": true, "у": true, "на": true,
	"зокрема": true, "включно": true, "включаючи": true, "включая": true, "том": true, "частности": true, "числе": true,
}

// coordinated reports whether the act starting at token to opens a new item
// of a list after the verb ending at token from: the last list boundary
// between them (a conjunction, comma or semicolon) is followed by at least
// one word before the act (its verb: "and provide assistance"), none of
// them a purpose word, and not by a preposition. A colon between them
// means the verb is a lead-in ("shall consult in order to: (a) …; (b)
// provide assistance") that governs every item after it.
func (a *analysis) coordinated(from, to int) bool {
	if strings.Contains(a.text[a.toks[from].end:a.toks[to].start], ":") {
		return false
	}
	// Walk back over the boundaries: one that opens a noun or a
	// prepositional phrase ("…, including the use of armed force") is inside
	// an item; the first that opens an item decides.
	for k := to - 1; k > from; k-- {
		seg := -1 // first token after the boundary
		switch {
		case conjunctions[a.toks[k].norm]:
			seg = k + 1
		case strings.ContainsAny(a.text[a.toks[k-1].end:a.toks[k].start], ",;"):
			seg = k
		}
		if seg < 0 || seg >= to || itemOpeners[a.toks[seg].norm] || conjunctions[a.toks[seg].norm] {
			continue
		}
		for j := seg; j < to; j++ {
			// "and to afford": an infinitive coordinated with "to consult".
			if j == seg && a.toks[j].norm == "to" && conjunctions[a.toks[j-1].norm] {
				continue
			}
			if purposeWords[a.toks[j].norm] {
				return false
			}
		}
		return true
	}
	return false
}

// negated reports whether a negation or a restraint verb stands within
// three words before hit i in its sentence.
func (a *analysis) negated(i int) int {
	h := a.hits[i]
	for j, g := range a.hits {
		if g.sent != h.sent || g.last >= h.first || h.first-g.last > 3 {
			continue
		}
		if g.cue.kind == kNegation || g.cue.kind == kRestrain && g.last < h.first {
			return j
		}
	}
	return -1
}

// findTriggers marks the hits that make a trigger: complete trigger phrases,
// and a condition marker followed by an attack word within 60 words of the
// same sentence. Hortatory "should"/"may" inside a trigger ("if any Party
// should be attacked") are conditions, not hortatory, and are dropped.
func (a *analysis) findTriggers() {
	drop := map[int]bool{}
	for i, h := range a.hits {
		switch h.cue.kind {
		case kTrigger:
			a.trigger = append(a.trigger, i)
		case kMarker:
			for j := i + 1; j < len(a.hits); j++ {
				g := a.hits[j]
				if g.sent != h.sent || g.first-h.last > 60 {
					break
				}
				if g.cue.kind == kAttack {
					a.trigger = append(a.trigger, i, j)
					for k := range a.hits {
						if a.hits[k].cue.kind == kHortatory && a.hits[k].first >= h.first && a.hits[k].last <= g.last {
							drop[k] = true
						}
					}
					break
				}
			}
		}
	}
	if len(drop) == 0 {
		return
	}
	// Rebuild hits without the dropped ones, remapping trigger indexes.
	remap := map[int]int{}
	var hits []hit
	for i, h := range a.hits {
		if drop[i] {
			continue
		}
		remap[i] = len(hits)
		hits = append(hits, h)
	}
	var trig []int
	for _, t := range a.trigger {
		if n, ok := remap[t]; ok {
			trig = append(trig, n)
		}
	}
	a.hits, a.trigger = hits, trig
}

func (a *analysis) mark(idx ...int) {
	for _, i := range idx {
		if i >= 0 {
			a.decisive[i] = true
		}
	}
}

// assessClause is the whole analysis of one clause: find the cues, classify
// every act by what governs it, decide the label, then fill in the
// dimensions and the score.
func assessClause(text, lang, instr string) Clause {
	a := &analysis{text: text, decisive: map[int]bool{}, actState: map[int]string{}}
	a.toks = tokenize(text, sentenceStarts(text))
	a.hits = findCues(a.toks, lang)
	a.findTriggers()
	a.classifyActs()

	d := Dimensions{Instrument: instr, Response: []string{}, Precision: []string{}, Escapes: []string{}, Delegation: []string{}}
	d.Trigger = a.triggerKind()
	label := a.decide(text, &d)
	a.fillDimensions(label, &d)
	return Clause{
		Text:       text,
		Label:      label,
		Score:      score(label, d),
		Dimensions: d,
		Spans:      a.spans(text),
	}
}

// classifyActs gives every act its status: negated, deferred to a further
// decision, a third-party body's power, hortatory, discretionary, or direct.
func (a *analysis) classifyActs() {
	for _, i := range a.acts() {
		if a.hits[i].cue.kind == kAct && a.negated(i) >= 0 {
			a.actState[i] = actNegated
			continue
		}
		nearest, scope := a.governorOf(i)
		nk := kind(-1)
		if nearest >= 0 {
			nk = a.hits[nearest].cue.kind
		}
		whether := nk == kWhether
		for _, w := range a.of(kWhether) {
			if a.hits[w].sent == a.hits[i].sent && a.whetherApplies(w, i) {
				whether = true
			}
		}
		switch {
		case scope >= 0:
			a.actState[i] = actDeferred
		case a.bodyBefore(i) && (whether || nk == kHortatory):
			a.actState[i] = actPower
		case nk == kHortatory || nk == kIntend:
			a.actState[i] = actHortatory
		case whether:
			a.actState[i] = actDiscretionary
		default:
			a.actState[i] = actDirect
		}
	}
}

// acts are the hits that promise an act, common danger included.
func (a *analysis) acts() []int {
	return append(a.of(kAct), a.of(kCommonDanger)...)
}

// withState returns the acts in state st, in text order.
func (a *analysis) withState(st string) []int {
	var out []int
	for _, i := range a.acts() {
		if a.actState[i] == st {
			out = append(out, i)
		}
	}
	return out
}

// restraints are the restraint cues the clause promises, negated acts
// included. Restraint that is only the object of monitoring ("verification
// of the ceasefire") is not promised by this clause.
func (a *analysis) restraints() []int {
	var out []int
	for _, i := range a.of(kRestrain) {
		if _, scope := a.governorOf(i); scope >= 0 && a.hits[scope].cue.kind == kMonitor {
			continue
		}
		out = append(out, i)
	}
	out = append(out, a.withState(actNegated)...)
	slices.Sort(out)
	return out
}

func (a *analysis) triggerKind() string {
	switch {
	case a.has(kOpinion):
		return "discretionary"
	case len(a.trigger) > 0 && a.has(kNarrow):
		return "narrow"
	case len(a.trigger) > 0:
		return "automatic"
	}
	return "none"
}

// decide applies the label rules in order (docs/assess.md, "Label") and
// marks the decisive hits.
func (a *analysis) decide(text string, d *Dimensions) Label {
	// Direct acts of military assistance or sanctions, and those of armed
	// force: "Joint Command of the armed forces" is no promise to fight, so
	// force counts only with a trigger. Economic aid, or an act of
	// unspecified kind, never makes a guarantee.
	var directMil, triggeredMil []int
	for _, i := range a.withState(actDirect) {
		r := a.hits[i].cue.response
		if r == MilitaryAssistance || r == Sanctions {
			directMil = append(directMil, i)
		}
		if (r == MilitaryAssistance || r == Sanctions || r == ArmedForce) && a.triggered(i) {
			triggeredMil = append(triggeredMil, i)
		}
	}
	constitutional := a.of(kConstitutional)
	commonDanger := a.of(kCommonDanger)

	d.Undertaking = "act"
	switch {
	case a.has(kDefinition):
		a.mark(a.of(kDefinition)...)
		d.Undertaking = "none"
		return NoCommitment
	case isRecital(text, a.toks):
		d.Undertaking = "none"
		return NoCommitment
	case len(commonDanger) > 0 && a.actState[commonDanger[0]] == actDirect:
		a.mark(commonDanger...)
		a.markGovernors(commonDanger)
		a.mark(directMil...)
		a.markGovernors(directMil)
		a.mark(constitutional...)
		return ConditionalGuarantee
	case len(triggeredMil) > 0:
		a.mark(triggeredMil...)
		a.markGovernors(triggeredMil)
		a.mark(a.trigger...)
		if len(constitutional) > 0 {
			a.mark(constitutional...)
			return ConditionalGuarantee
		}
		return Guarantee
	}
	label, undertaking := a.assurance(a.restraints(), directMil)
	d.Undertaking = undertaking
	return label
}

// fillDimensions records obligation, response, discretion, escapes,
// precision and delegation.
func (a *analysis) fillDimensions(label Label, d *Dimensions) {
	switch {
	case a.has(kMandatory):
		d.Obligation = "mandatory"
	case a.has(kFuture):
		d.Obligation = "future"
	case a.has(kHortatory) || a.has(kIntend):
		d.Obligation = "hortatory"
	default:
		d.Obligation = "none"
	}

	// Response: what the clause itself promises to do.
	if label == Guarantee || label == ConditionalGuarantee {
		for _, i := range a.withState(actDirect) {
			d.Response = appendOnce(d.Response, a.hits[i].cue.response)
		}
	}
	if a.has(kConsult) {
		d.Response = appendOnce(d.Response, Consultation)
	}
	if len(d.Response) == 0 {
		d.Response = append(d.Response, NoResponse)
	}

	d.Discretion = "none"
	if a.has(kHow) {
		d.Discretion = "how"
	}
	if a.has(kWhether) {
		d.Discretion = "whether"
	}

	if a.has(kConstitutional) && len(a.actState) > 0 {
		d.Escapes = append(d.Escapes, "constitutional")
	}
	for _, e := range []struct {
		k    kind
		name string
	}{{kCommonDanger, "common_danger"}, {kCarveOut, "carve_out"}, {kHedge, "hedge"}} {
		if a.has(e.k) {
			d.Escapes = append(d.Escapes, e.name)
		}
	}
	for _, p := range []struct {
		k    kind
		name string
	}{{kImmediacy, "immediacy"}, {kDeadline, "deadline"}, {kDistance, "distance"}} {
		if a.has(p.k) {
			d.Precision = append(d.Precision, p.name)
		}
	}
	for _, r := range d.Response {
		if r == ArmedForce || r == Sanctions || r == EconomicAid {
			d.Precision = appendOnce(d.Precision, "named_measure")
		}
	}
	if a.has(kMonitor) {
		d.Delegation = append(d.Delegation, "monitoring")
	}
	if a.has(kBody) {
		d.Delegation = append(d.Delegation, "third_party_body")
	}
}

// recitalWords open a preambular recital.
var recitalWords = map[string]bool{
	"welcoming": true, "noting": true, "recalling": true, "recognizing": true, "recognising": true, "considering": true,
	"desiring": true, "convinced": true, "reaffirming": true, "affirming": true, "mindful": true, "bearing": true, "taking": true,
	"вітаючи": true, "відзначаючи": true, "посилаючись": true, "визнаючи": true, "враховуючи": true, "беручи": true, "приймаючи": true, "підтверджуючи": true,
	"приветствуя": true, "отмечая": true, "ссылаясь": true, "признавая": true, "учитывая": true, "принимая": true, "подтверждая": true, "будучи": true,
}

// isRecital reports a preambular paragraph: it opens with a participle
// ("Welcoming", "Taking into account", "Беручи до уваги") and ends with a
// comma or semicolon, as recitals do; an operative clause that opens the
// same way ends with a full stop.
func isRecital(text string, toks []token) bool {
	t := strings.TrimRightFunc(text, unicode.IsSpace)
	if len(toks) == 0 || !recitalWords[toks[0].norm] {
		return false
	}
	return strings.HasSuffix(t, ",") || strings.HasSuffix(t, ";")
}

// triggered reports whether the act at hit i is set off by a trigger: a
// complete trigger phrase anywhere in the clause ("an attack against one …
// against them all" defines the casus foederis for the whole article), or a
// condition in the act's own sentence.
func (a *analysis) triggered(i int) bool {
	for _, t := range a.trigger {
		if a.hits[t].cue.kind == kTrigger || a.hits[t].sent == a.hits[i].sent {
			return true
		}
	}
	return false
}

// whetherApplies reports whether the "freedom over whether" cue at hit w
// bears on the act at hit i. A cue within five words before an act binds to that act
// alone ("aid and assistance, and if necessary with the use of armed force"
// leaves the aid unconditional); otherwise it bears on its whole sentence.
func (a *analysis) whetherApplies(w, i int) bool {
	for _, j := range append(a.of(kAct), a.of(kCommonDanger)...) {
		h := a.hits[j]
		if h.sent == a.hits[w].sent && h.first > a.hits[w].last && h.first-a.hits[w].last <= 5 {
			return j == i
		}
	}
	return true
}

// bodyBefore reports whether a third-party body is named before hit i in its
// sentence: "the Security Council … may take such action" is the body's
// power, not a state's promise.
func (a *analysis) bodyBefore(i int) bool {
	for _, b := range a.of(kBody) {
		if a.hits[b].sent == a.hits[i].sent && a.hits[b].last < a.hits[i].first {
			return true
		}
	}
	return false
}

func (a *analysis) markGovernors(acts []int) {
	for _, i := range acts {
		n, _ := a.governorOf(i)
		a.mark(n)
	}
}

// assurance decides between assurance and no commitment when no act is
// directly promised, and names the undertaking.
func (a *analysis) assurance(restraints, directMil []int) (Label, string) {
	deferred := a.withState(actDeferred)
	soft := append(a.withState(actHortatory), a.withState(actDiscretionary)...)
	slices.Sort(soft)
	switch {
	case a.has(kSeek):
		a.mark(a.of(kSeek)...)
		a.mark(deferred...)
		return Assurance, "seek"
	case a.has(kConsult):
		a.mark(a.of(kConsult)...)
		a.mark(deferred...)
		if len(soft) > 0 {
			// "shall consult and, if necessary, assist": the discretion is
			// why the assistance does not make a guarantee.
			a.mark(soft...)
			a.mark(a.of(kWhether)...)
		}
		return Assurance, "consult"
	case len(deferred) > 0:
		a.mark(deferred...)
		a.markGovernors(deferred)
		return Assurance, "further_decision"
	case len(soft) > 0:
		a.mark(soft...)
		a.markGovernors(soft)
		a.mark(a.of(kWhether)...)
		return Assurance, "discretionary_act"
	case len(restraints) > 0:
		a.mark(restraints...)
		return Assurance, "restrain"
	case a.has(kIntend):
		a.mark(a.of(kIntend)...)
		return Assurance, "intend"
	case len(directMil) > 0 || a.has(kSupport):
		a.mark(directMil...)
		a.mark(a.of(kSupport)...)
		return Assurance, "support"
	case a.has(kUphold):
		a.mark(a.of(kUphold)...)
		return Assurance, "uphold"
	}
	return NoCommitment, "none"
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// dimensionOf names the dimension a cue kind bears on, for spans.
func dimensionOf(k kind) string {
	switch k {
	case kMandatory, kFuture, kHortatory, kIntend:
		return "obligation"
	case kAct, kConsult:
		return "response"
	case kSeek, kDefer, kRestrain, kSupport, kUphold:
		return "undertaking"
	case kMarker, kAttack, kTrigger, kOpinion, kNarrow:
		return "trigger"
	case kWhether, kHow:
		return "discretion"
	case kConstitutional, kCommonDanger, kCarveOut, kHedge:
		return "escape"
	case kImmediacy, kDeadline, kDistance:
		return "precision"
	case kMonitor, kBody:
		return "delegation"
	case kDefinition:
		return "definition"
	case kNegation:
		return "negation"
	}
	return "instrument"
}

// spans lists the cues as byte ranges of text. Condition markers and attack
// words appear only where they form a trigger; instrument-level words and
// negations not attached to anything are left out as noise.
func (a *analysis) spans(text string) []Span {
	inTrigger := map[int]bool{}
	for _, t := range a.trigger {
		inTrigger[t] = true
	}
	out := []Span{}
	for i, h := range a.hits {
		k := h.cue.kind
		if k == kTreaty || k == kPolitical || k == kNegation {
			continue
		}
		if (k == kMarker || k == kAttack) && !inTrigger[i] {
			continue
		}
		s, e := a.toks[h.first].start, a.toks[h.last].end
		name := h.cue.name
		if st, ok := a.actState[i]; ok && st != actDirect {
			name += " (" + st + ")"
		}
		out = append(out, Span{Start: s, End: e, Text: text[s:e], Dimension: dimensionOf(k), Cue: name, Decisive: a.decisive[i]})
	}
	return out
}

// score places a clause inside its label's band by its dimensions, so that
// a guarantee always outscores a conditional guarantee, which outscores an
// assurance.
func score(l Label, d Dimensions) int {
	lo, hi := 0, 19
	switch l {
	case Guarantee:
		lo, hi = 70, 100
	case ConditionalGuarantee:
		lo, hi = 50, 69
	case Assurance:
		lo, hi = 20, 49
	}
	p := 0
	switch d.Obligation {
	case "mandatory":
		p += 8
	case "future":
		p += 4
	}
	switch d.Trigger {
	case "automatic":
		p += 6
	case "narrow":
		p += 3
	case "discretionary":
		p += 2
	}
	for _, r := range d.Response {
		switch r {
		case ArmedForce:
			p += 8
		case MilitaryAssistance:
			p += 5
		case Sanctions:
			p += 4
		case Consultation:
			p += 3
		case EconomicAid, Action:
			p += 2
		}
	}
	for _, x := range d.Precision {
		switch x {
		case "deadline", "distance":
			p += 4
		default:
			p += 3
		}
	}
	p += 3 * len(d.Delegation)
	if d.Discretion == "whether" {
		p -= 4
	}
	for _, e := range d.Escapes {
		if e == "carve_out" || e == "hedge" {
			p -= 3
		}
	}
	switch d.Instrument {
	case "treaty":
		p += 3
	case "political":
		p -= 6
	}
	return min(max(lo+p, lo), hi)
}

// instrument reads instrument-level signals: treaty wording (Parties, shall,
// enter into force, ratification) against political wording (Participants,
// will, come into effect, not legally binding). One kind must outweigh the
// other two to one.
func instrument(text, lang string) string {
	toks := tokenize(text, nil)
	var t, p int
	for _, h := range findCues(toks, lang) {
		switch h.cue.kind {
		case kTreaty:
			t++
		case kPolitical:
			p++
		}
	}
	switch {
	case t >= 2 && t >= 2*p:
		return "treaty"
	case p >= 2 && p >= 2*t:
		return "political"
	}
	return "unknown"
}
