package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/assess"
)

// maxAssessText is the largest text the page assesses, in bytes. The
// analyser takes up to assess.MaxInput (2 MiB), but a page that highlights
// every clause of a text that size is too heavy for a browser on a field
// office's link; a long treaty is ~100 kB. Longer texts go to the CLI.
const maxAssessText = 200_000

// maxAssessForm bounds the request body: the text percent-encoded (up to
// three bytes per byte, "%D0%B0" for "а") plus the other fields.
const maxAssessForm = 3*maxAssessText + 4096

// assessPage is the data of templates/assess.html.
type assessPage struct {
	Text        string
	TextLang    string // "" (detect), en, uk or ru
	LangOptions []option
	MaxBytes    int
	Error       string // a translated message, shown above the form
	Submitted   bool   // results are shown (possibly none)
	Clauses     []assessClause
	Counts      []labelCount
	Labels      []labelInfo // the legend: each label and what it means
}

// assessClause is one clause as the page shows it.
type assessClause struct {
	N         int
	Label     string // the label's value, for the badge's class
	LabelText string
	Score     int
	Lang      string // the language the clause was read in, for lang=""
	Segments  []segment
	Dims      []dimView
}

type labelCount struct {
	Label, Text string
	Count       int
}

type labelInfo struct {
	Label, Text, About string
}

type dimView struct {
	Name   string
	Values []string
}

// segment is a run of a clause's text: plain, a decisive cue (<mark>) or
// another cue the analyser found (underlined). html/template escapes Text.
type segment struct {
	Text  string
	Mark  bool
	Cue   bool
	Title string
}

// crossOrigin refuses a form posted from another site (CSRF). The web
// interface has no session or token of its own, so it relies on the
// browser's Sec-Fetch-Site and Origin headers, which every browser that can
// be tricked into posting the form sends.
var crossOrigin = http.NewCrossOriginProtection()

// assessGet serves GET /assess: the empty form.
func (h *Handler) assessGet(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, nil)
	v.Data = h.newAssessPage(v.locale, "", "")
	h.render(w, r, http.StatusOK, "assess", v)
}

// assessPost serves POST /assess: a plain form post (the page needs no
// JavaScript), answered with the form, still filled in, and the results.
func (h *Handler) assessPost(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, nil)
	fail := func(status int, page assessPage, msg string, kv ...any) {
		page.Error = v.T(msg, kv...)
		v.Data = page
		h.render(w, r, status, "assess", v)
	}
	if err := crossOrigin.Check(r); err != nil {
		fail(http.StatusForbidden, h.newAssessPage(v.locale, "", ""), "assess.error.cross_origin")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAssessForm)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			fail(http.StatusRequestEntityTooLarge, h.newAssessPage(v.locale, "", ""), "assess.error.too_large", "Max", v.Number(maxAssessText))
			return
		}
		fail(http.StatusBadRequest, h.newAssessPage(v.locale, "", ""), "assess.error.bad_form")
		return
	}
	text, lang := r.PostForm.Get("text"), r.PostForm.Get("text_lang")
	if lang != "" && !slices.Contains(assess.Languages, lang) {
		fail(http.StatusBadRequest, h.newAssessPage(v.locale, text, ""), "assess.error.lang")
		return
	}
	page := h.newAssessPage(v.locale, text, lang)
	switch {
	case len(text) > maxAssessText:
		// The text is not sent back: the user still has it, and echoing
		// 200 kB of it only slows the answer.
		page.Text = ""
		fail(http.StatusRequestEntityTooLarge, page, "assess.error.too_large_size", "Size", v.Number(len(text)), "Max", v.Number(maxAssessText))
		return
	case !utf8.ValidString(text):
		fail(http.StatusBadRequest, page, "assess.error.bad_form")
		return
	case strings.TrimSpace(text) == "":
		fail(http.StatusBadRequest, page, "assess.error.empty")
		return
	}
	res, err := assess.Analyse(text, assess.Options{Lang: lang})
	if err != nil {
		if pactwatch.ErrorCode(err) == pactwatch.EINTERNAL {
			h.pageError(w, r, err)
			return
		}
		fail(httpStatus(pactwatch.ErrorCode(err)), page, "assess.error.bad_form")
		return
	}
	textLang := lang
	if textLang == "" {
		textLang = assess.DetectLanguage(text)
	}
	page.Submitted = true
	counts := map[assess.Label]int{}
	for i, c := range res.Clauses {
		counts[c.Label]++
		page.Clauses = append(page.Clauses, newAssessClause(v.locale, i+1, c, textLang))
	}
	for _, l := range assess.Labels {
		page.Counts = append(page.Counts, labelCount{string(l), v.T("assess.label." + string(l)), counts[l]})
	}
	v.Data = page
	h.render(w, r, http.StatusOK, "assess", v)
}

// newAssessClause is clause number n as the pages show it (this page and
// the agreement page's wording assessments): its label and score in the
// viewer's language, its text cut into highlighted segments, and its
// dimensions; lang is the language the clause was read in.
func newAssessClause(l *locale, n int, c assess.Clause, lang string) assessClause {
	ac := assessClause{
		N:         n,
		Label:     string(c.Label),
		LabelText: l.T("assess.label." + string(c.Label)),
		Score:     c.Score,
		Lang:      lang,
		Segments: highlight(c.Text, c.Spans, func(s assess.Span) string {
			return l.T("assess.dim." + s.Dimension)
		}),
	}
	for _, d := range c.Dimensions.List() {
		dv := dimView{Name: l.T("assess.dim." + d.Name)}
		for _, val := range d.Values {
			dv.Values = append(dv.Values, l.T("assess.value."+val))
		}
		if len(dv.Values) == 0 {
			dv.Values = []string{l.T("assess.value.none")}
		}
		ac.Dims = append(ac.Dims, dv)
	}
	return ac
}

func (h *Handler) newAssessPage(l *locale, text, lang string) assessPage {
	p := assessPage{Text: text, TextLang: lang, MaxBytes: maxAssessText}
	p.LangOptions = append(p.LangOptions, option{"", l.T("assess.lang_auto"), lang == ""})
	for _, code := range assess.Languages {
		p.LangOptions = append(p.LangOptions, option{code, l.T("lang." + code), lang == code})
	}
	for _, lb := range assess.Labels {
		p.Labels = append(p.Labels, labelInfo{string(lb), l.T("assess.label." + string(lb)), l.T("assess.about." + string(lb))})
	}
	return p
}

// highlight cuts a clause's text into segments: the decisive spans become
// marks (overlapping ones merge into one), the other cues underlined runs
// where they do not overlap a mark, the rest plain text. Span offsets are
// bytes into text; they are clamped to it and moved outward to rune
// boundaries, so that a mark never splits a Cyrillic letter even if an
// offset is off.
func highlight(text string, spans []assess.Span, title func(assess.Span) string) []segment {
	type run struct {
		start, end int
		mark       bool
		titles     []string
	}
	var marks, cues []run
	for _, s := range spans {
		start, end := max(0, min(s.Start, len(text))), max(0, min(s.End, len(text)))
		for start > 0 && !utf8.RuneStart(text[start]) {
			start--
		}
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end++
		}
		if start >= end {
			continue
		}
		r := run{start, end, s.Decisive, []string{title(s)}}
		if s.Decisive {
			marks = append(marks, r)
		} else {
			cues = append(cues, r)
		}
	}
	// Merge overlapping marks into one.
	slices.SortFunc(marks, func(a, b run) int { return a.start - b.start })
	var runs []run
	for _, m := range marks {
		if n := len(runs); n > 0 && m.start < runs[n-1].end {
			last := &runs[n-1]
			last.end = max(last.end, m.end)
			for _, t := range m.titles {
				if !slices.Contains(last.titles, t) {
					last.titles = append(last.titles, t)
				}
			}
			continue
		}
		runs = append(runs, m)
	}
	// Other cues only where nothing is shown yet.
	for _, c := range cues {
		if !slices.ContainsFunc(runs, func(r run) bool { return c.start < r.end && r.start < c.end }) {
			runs = append(runs, c)
		}
	}
	slices.SortFunc(runs, func(a, b run) int { return a.start - b.start })
	var out []segment
	at := 0
	for _, r := range runs {
		if r.start > at {
			out = append(out, segment{Text: text[at:r.start]})
		}
		out = append(out, segment{Text: text[r.start:r.end], Mark: r.mark, Cue: !r.mark, Title: strings.Join(r.titles, ", ")})
		at = r.end
	}
	if at < len(text) {
		out = append(out, segment{Text: text[at:]})
	}
	return out
}
