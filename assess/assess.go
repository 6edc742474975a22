// Package assess reads the wording of security commitments and says, clause
// by clause, whether each is a guarantee (an obligation to act for the
// protected state that the trigger sets off without a further decision), a
// conditional guarantee (the same, subject to constitutional processes or
// laws), an assurance (consultation, seeking action by others, respect,
// support, intent) or no commitment — with the words that decided it.
//
// The analyser is rule-based and transparent: cue lexicons for English,
// Ukrainian and Russian (stems, so inflected forms match), a few scoping
// rules (negation; which verb governs an act), and a label logic that follows
// the definitions above. docs/assess.md describes the rules, the development
// set and the measured accuracy.
package assess

import (
	"github.com/pactwatch/pactwatch"
)

// Label is the verdict on one clause.
type Label string

const (
	Guarantee            Label = "guarantee"
	ConditionalGuarantee Label = "conditional_guarantee"
	Assurance            Label = "assurance"
	NoCommitment         Label = "no_commitment"
)

// Labels in order of strength, strongest first.
var Labels = []Label{Guarantee, ConditionalGuarantee, Assurance, NoCommitment}

// IsGuarantee reports whether the label promises an act for the protected
// state (a guarantee, conditional or not). A commitment an agreement treats
// as a guarantee but whose text reads otherwise deserves a warning.
func (l Label) IsGuarantee() bool { return l == Guarantee || l == ConditionalGuarantee }

// MaxInput is the largest text Analyse accepts (a long treaty is ~100 kB).
const MaxInput = 2 << 20

// Options tune Analyse.
type Options struct {
	// Lang is "en", "uk" or "ru"; empty means detect it from the text.
	Lang string
}

// Result is the analysis of a whole text. Its JSON form is the CLI's and
// the API's: {"clauses":[{"text","label","score","dimensions","spans"}]}.
type Result struct {
	Clauses []Clause `json:"clauses"`
}

// Clause is one clause of the input and its assessment.
type Clause struct {
	// Text is exactly input[Start:End].
	Text  string `json:"text"`
	Start int    `json:"-"`
	End   int    `json:"-"`
	Label Label  `json:"label"`
	// Score is 0–100: guarantees 70–100, conditional guarantees 50–69,
	// assurances 20–49, no commitment 0–19; inside its band a clause scores
	// higher for binding wording, an automatic trigger, force or military
	// aid, deadlines and third-party monitoring.
	Score      int        `json:"score"`
	Dimensions Dimensions `json:"dimensions"`
	// Spans are the cue words found, as byte offsets into Text.
	Spans []Span `json:"spans"`
}

// Dimensions are the grounds for a label, after Abbott and Keohane's
// obligation, precision and delegation, plus the trigger and the response.
type Dimensions struct {
	// Obligation of the wording: "mandatory" (shall, undertake, obligation),
	// "future" (will, would: binding in a treaty, intent in a political
	// text), "hortatory" (should, may, intend) or "none".
	Obligation string `json:"obligation"`
	// Instrument-level signals of the whole text: "treaty" (Parties, shall,
	// enter into force), "political" (Participants, will, come into effect,
	// not legally binding) or "unknown".
	Instrument string `json:"instrument"`
	// Undertaking is what the clause promises: "act", "consult", "seek"
	// (action by others), "restrain" (respect, refrain, cease fire),
	// "support" (help without a trigger), "intend", or "none".
	Undertaking string `json:"undertaking"`
	// Trigger: "automatic", "discretionary" (left to a judgement), "narrow",
	// or "none".
	Trigger string `json:"trigger"`
	// Response promised: armed_force, military_assistance, sanctions,
	// economic_aid, consultation, action (kind left open), or none.
	Response []string `json:"response"`
	// Discretion: "whether" (if necessary, reserves the right: lowers a
	// guarantee), "how" (such action as it deems necessary: does not), "none".
	Discretion string `json:"discretion"`
	// Precision found: immediacy, deadline, distance, named_measure.
	Precision []string `json:"precision"`
	// Escapes: constitutional (processes or laws), common_danger, carve_out,
	// hedge.
	Escapes []string `json:"escapes"`
	// Delegation to third parties: monitoring, third_party_body.
	Delegation []string `json:"delegation"`
}

// Span is one cue in a clause's text.
type Span struct {
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Text      string `json:"text"`
	Dimension string `json:"dimension"`
	Cue       string `json:"cue"`
	// Decisive marks the words the label rests on.
	Decisive bool `json:"decisive"`
}

// Analyse splits text into clauses and assesses each. The language is
// opt.Lang or, when empty, detected for the whole text (and for a clause
// written in the other script); instrument-level signals are read from the
// whole text.
func Analyse(text string, opt Options) (Result, error) {
	lang, err := resolveLang(text, opt.Lang)
	if err != nil {
		return Result{}, err
	}
	if len(text) > MaxInput {
		return Result{}, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, "text", "text is %d bytes, more than the %d the analyser accepts", len(text), MaxInput)
	}
	instr := instrument(text, lang)
	res := Result{Clauses: []Clause{}}
	for _, r := range Split(text) {
		cl := lang
		if opt.Lang == "" {
			// A bilingual document: a clause in the other script gets its
			// own language. Within one script the document's language
			// stands, since a short Ukrainian clause may lack the letters
			// that tell it from Russian.
			if d := DetectLanguage(text[r[0]:r[1]]); (d == "en") != (lang == "en") {
				cl = d
			}
		}
		c := assessClause(text[r[0]:r[1]], cl, instr)
		c.Start, c.End = r[0], r[1]
		res.Clauses = append(res.Clauses, c)
	}
	return res, nil
}

// AssessClause assesses text as one clause, without splitting it; lang is
// "en", "uk", "ru" or "" to detect. Instrument-level signals come from the
// clause alone. agreement check uses it to see whether a commitment the
// agreement calls a guarantee reads as one.
func AssessClause(text, lang string) (Clause, error) {
	l, err := resolveLang(text, lang)
	if err != nil {
		return Clause{}, err
	}
	if len(text) > MaxInput {
		return Clause{}, pactwatch.FieldErrorf(pactwatch.ETOOLARGE, "text", "text is %d bytes, more than the %d the analyser accepts", len(text), MaxInput)
	}
	c := assessClause(text, l, instrument(text, l))
	c.End = len(text)
	return c, nil
}

func resolveLang(text, lang string) (string, error) {
	if lang == "" {
		return DetectLanguage(text), nil
	}
	for _, l := range Languages {
		if l == lang {
			return l, nil
		}
	}
	return "", pactwatch.FieldErrorf(pactwatch.EINVALID, "lang", "unknown language %q: want en, uk or ru", lang)
}

// DimensionValues lists, per dimension (its JSON name), every value the
// analyser reports, so that a user interface can translate each one and a
// test can check that none is missing.
var DimensionValues = map[string][]string{
	"obligation":  {"mandatory", "future", "hortatory", "none"},
	"instrument":  {"treaty", "political", "unknown"},
	"undertaking": {"act", "consult", "seek", "further_decision", "discretionary_act", "restrain", "intend", "support", "uphold", "none"},
	"trigger":     {"automatic", "discretionary", "narrow", "none"},
	"response":    {ArmedForce, MilitaryAssistance, Sanctions, EconomicAid, Consultation, Action, NoResponse},
	"discretion":  {"whether", "how", "none"},
	"precision":   {"immediacy", "deadline", "distance", "named_measure"},
	"escapes":     {"constitutional", "common_danger", "carve_out", "hedge"},
	"delegation":  {"monitoring", "third_party_body"},
}

// SpanDimensions are the values of Span.Dimension: the dimension a cue
// bears on ("escape" for one escape clause; "definition" and "negation"
// for cues that only steer the rules).
var SpanDimensions = []string{"obligation", "instrument", "undertaking", "trigger", "response", "discretion", "precision", "escape", "delegation", "definition", "negation"}

// List returns the dimensions as (JSON name, values) pairs in a fixed
// order, for display; an empty list stays empty.
func (d Dimensions) List() []DimensionValue {
	return []DimensionValue{
		{"obligation", []string{d.Obligation}},
		{"instrument", []string{d.Instrument}},
		{"undertaking", []string{d.Undertaking}},
		{"trigger", []string{d.Trigger}},
		{"response", d.Response},
		{"discretion", []string{d.Discretion}},
		{"precision", d.Precision},
		{"escapes", d.Escapes},
		{"delegation", d.Delegation},
	}
}

// DimensionValue is one dimension of a clause and its values.
type DimensionValue struct {
	Name   string
	Values []string
}
