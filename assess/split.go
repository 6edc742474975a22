package assess

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations are words that end with a full stop without ending a
// sentence in treaty texts (compared lower-cased, without the stop).
var abbreviations = map[string]bool{
	// English
	"art": true, "arts": true, "para": true, "paras": true, "no": true, "nos": true, "e.g": true, "i.e": true,
	"u.n": true, "u.s": true, "u.k": true, "u.s.s.r": true, "mr": true, "mrs": true, "dr": true, "st": true,
	"vs": true, "cf": true, "viz": true, "sec": true, "secs": true, "ch": true, "p": true, "pp": true, "vol": true,
	"doc": true, "res": true, "op": true, "approx": true, "incl": true, "ibid": true,
	// Ukrainian and Russian
	"ст": true, "п": true, "пп": true, "ч": true, "р": true, "рр": true, "г": true, "гг": true, "т": true,
	"напр": true, "див": true, "см": true, "ср": true, "тис": true, "тыс": true, "млн": true, "мин": true,
	"год": true, "хв": true, "абз": true, "підп": true, "подп": true, "розд": true, "разд": true, "гл": true,
	"т.е": true, "т.д": true, "т.п": true, "і.т.д": true, "им": true, "ім": true,
}

// headingWords start a line that is a heading or a numbered provision.
var headingWords = []string{"article", "art.", "section", "chapter", "part", "point", "annex", "стаття", "статья", "ст.", "розділ", "раздел", "глава", "пункт", "п.", "§"}

// Split returns the byte ranges [start, end) of the clauses of text: numbered
// paragraphs and articles, blank-line separated paragraphs, and sentences
// inside them. A heading line ("Article 5") is kept with the text it heads.
// Ranges are in order, do not overlap, and together hold every
// non-whitespace byte of text.
func Split(text string) [][2]int {
	var out [][2]int
	inList := false // the paragraphs so far are a lead-in and its items
	for _, para := range paragraphs(text) {
		// A lead-in that ends with a colon governs the lettered items after
		// it ("The Parties shall: (a) consult; (b) assist"): they are one
		// clause, so that the lead-in's modal and trigger reach every item.
		n := len(out)
		if n > 0 && (inList || strings.HasSuffix(text[out[n-1][0]:out[n-1][1]], ":")) && opensListItem(text[para[0]:para[1]]) {
			out[n-1][1] = para[1]
			inList = true
			continue
		}
		inList = false
		pending := -1 // start of a heading waiting for its text
		for _, s := range sentences(text, para[0], para[1]) {
			if pending >= 0 {
				s[0] = pending
				pending = -1
			}
			if isHeading(text[s[0]:s[1]]) {
				pending = s[0]
				continue
			}
			out = append(out, s)
		}
		if pending >= 0 {
			// A heading with nothing after it in its paragraph: attach it to
			// the next paragraph if there is one, else keep it alone.
			out = append(out, [2]int{pending, para[1]})
		}
	}
	return mergeHeadings(text, out)
}

// mergeHeadings joins a clause that is only a heading to the clause after it.
func mergeHeadings(text string, cl [][2]int) [][2]int {
	var out [][2]int
	for i := 0; i < len(cl); i++ {
		c := cl[i]
		if isHeading(text[c[0]:c[1]]) && i+1 < len(cl) {
			cl[i+1][0] = c[0]
			continue
		}
		out = append(out, c)
	}
	return out
}

// isHeading reports whether s is only a heading or a number: "Article 5",
// "ARTICLE V.", "Стаття 4", "3.", "(a)".
func isHeading(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 || strings.ContainsAny(s, "\n") && len(strings.Fields(s)) > 4 {
		return false
	}
	low := strings.ToLower(s)
	f := strings.Fields(low)
	if len(f) == 1 {
		return isMarker(f[0])
	}
	for _, h := range headingWords {
		if f[0] == h && len(f) <= 3 && isMarker(f[1]) {
			return true
		}
	}
	return false
}

// isMarker reports whether w is a provision number: 5, 5., 4(7), V, (a), 1).
func isMarker(w string) bool {
	w = strings.Trim(w, "().:—-")
	if w == "" {
		return false
	}
	if len([]rune(w)) == 1 && unicode.IsLetter([]rune(w)[0]) {
		return true
	}
	digits, roman := true, true
	for _, r := range w {
		if !(r >= '0' && r <= '9') && r != '.' && r != '(' && r != ')' {
			digits = false
		}
		if !strings.ContainsRune("ivxlc", r) {
			roman = false
		}
	}
	return digits || roman
}

// paragraphs splits at blank lines and at line starts that open a numbered
// or headed provision; single line breaks inside a paragraph are wrapping.
func paragraphs(text string) [][2]int {
	var out [][2]int
	start := -1
	lineStart := 0
	flush := func(end int) {
		if start < 0 {
			return
		}
		e := trimRight(text, start, end)
		if e > start {
			out = append(out, [2]int{start, e})
		}
		start = -1
	}
	for lineStart <= len(text) {
		nl := strings.IndexByte(text[lineStart:], '\n')
		lineEnd := len(text)
		if nl >= 0 {
			lineEnd = lineStart + nl
		}
		line := text[lineStart:lineEnd]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush(lineStart)
		case start >= 0 && opensProvision(trimmed):
			flush(lineStart)
			start = lineStart + (len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace)))
		case start < 0:
			start = lineStart + (len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace)))
		}
		if nl < 0 {
			break
		}
		lineStart = lineEnd + 1
	}
	flush(len(text))
	return out
}

// opensListItem reports whether a paragraph opens with the marker of a list
// item: "(a)", "b)", "(iv)", "2)", "(3)", "а)", "б)" or a bullet. A
// numbered paragraph ("1.") is a provision of its own, not an item.
func opensListItem(para string) bool {
	f := strings.Fields(para)
	if len(f) == 0 {
		return false
	}
	w := f[0]
	if w == "•" || w == "-" || w == "–" || w == "—" || w == "*" || strings.HasPrefix(w, "•") {
		return true
	}
	if !strings.HasSuffix(w, ")") {
		return false
	}
	inner := []rune(strings.TrimPrefix(strings.TrimSuffix(w, ")"), "("))
	switch {
	case len(inner) == 1 && unicode.IsLetter(inner[0]):
		return true
	case len(inner) == 0:
		return false
	}
	digits, roman := true, true
	for _, r := range inner {
		digits = digits && r >= '0' && r <= '9'
		roman = roman && strings.ContainsRune("ivx", r)
	}
	return digits || roman
}

// opensProvision reports whether a line starts a new provision: "2.",
// "(b)", "Article 6", "Стаття 2", a bullet.
func opensProvision(line string) bool {
	f := strings.Fields(strings.ToLower(line))
	if len(f) == 0 {
		return false
	}
	first := f[0]
	if strings.HasPrefix(first, "•") || first == "-" || first == "–" || first == "*" {
		return true
	}
	for _, h := range headingWords {
		if first == h && len(f) > 1 && isMarker(f[1]) {
			return true
		}
	}
	// "1." "2)" "(a)" "IV." but not a bare word: a marker must carry its
	// punctuation so that "I" or "A" starting a line is not taken for one.
	if strings.ContainsAny(first, ".)") && isMarker(first) {
		return true
	}
	return false
}

func trimRight(text string, start, end int) int {
	for end > start {
		r, w := utf8.DecodeLastRuneInString(text[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= w
	}
	return end
}

func skipSpace(text string, i, end int) int {
	for i < end {
		r, w := utf8.DecodeRuneInString(text[i:end])
		if !unicode.IsSpace(r) {
			break
		}
		i += w
	}
	return i
}

// sentences splits text[start:end] at full stops, question and exclamation
// marks followed by space and a capital letter, digit or opening mark, unless
// the stop ends an abbreviation, an initial (U.N.) or a provision number.
func sentences(text string, start, end int) [][2]int {
	var out [][2]int
	s := start
	for i := start; i < end; {
		r, w := utf8.DecodeRuneInString(text[i:end])
		if r != '.' && r != '!' && r != '?' {
			i += w
			continue
		}
		j := i + w
		for j < end && strings.ContainsRune("\"'”’»)]", rune(text[j])) {
			j++
		}
		k := skipSpace(text, j, end)
		if k == j || k >= end { // no space after, or end of paragraph
			i = j
			continue
		}
		next, _ := utf8.DecodeRuneInString(text[k:end])
		if !(unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune("\"'“«(‘[", next)) {
			i = j
			continue
		}
		if r == '.' && !endsSentence(text, s, i) {
			i = j
			continue
		}
		out = append(out, [2]int{s, trimRight(text, s, j)})
		s = k
		i = k
	}
	if e := trimRight(text, s, end); e > s {
		out = append(out, [2]int{s, e})
	}
	return out
}

// endsSentence decides whether the full stop at text[dot] ends a sentence
// that started at from.
func endsSentence(text string, from, dot int) bool {
	// The word before the stop, with inner stops kept ("U.N", "e.g").
	b := dot
	for b > from {
		r, w := utf8.DecodeLastRuneInString(text[from:b])
		if !(isWordRune(r) || r == '.') {
			break
		}
		b -= w
	}
	word := strings.ToLower(text[b:dot])
	if word == "" {
		return true
	}
	if abbreviations[word] {
		return false
	}
	last := word
	if k := strings.LastIndexByte(word, '.'); k >= 0 {
		last = word[k+1:]
	}
	if abbreviations[last] {
		return false
	}
	// An initial: a single letter ("U.N.", "J. Smith").
	if utf8.RuneCountInString(last) == 1 && unicode.IsLetter([]rune(last)[0]) {
		return false
	}
	// A provision number opening the sentence: "1. To ensure …".
	if strings.TrimSpace(text[from:b]) == "" && isMarker(word) {
		return false
	}
	return true
}

// sentenceStarts returns the byte offsets where the sentences of a clause
// start, for scoping cues inside one sentence.
//
// A paragraph that follows a colon, a semicolon, a comma or a closing
// "and"/"or" continues the sentence before it: it is an item of a list
// ("shall: (a) consult; (b) assist"), in the scope of the lead-in's modal
// and trigger.
func sentenceStarts(text string) []int {
	starts := []int{0}
	for _, p := range paragraphs(text) {
		for i, s := range sentences(text, p[0], p[1]) {
			if s[0] > 0 && !(i == 0 && continuesList(text[:s[0]])) {
				starts = append(starts, s[0])
			}
		}
	}
	return starts
}

// listJoiners end a list item that the next item continues.
var listJoiners = map[string]bool{"and": true, "or": true, "та": true, "і": true, "й": true, "або": true, "чи": true, "и": true, "или": true}

// continuesList reports whether the text before a paragraph leaves its
// sentence open for the paragraph to continue.
func continuesList(before string) bool {
	b := strings.TrimRightFunc(before, unicode.IsSpace)
	if strings.HasSuffix(b, ":") || strings.HasSuffix(b, ";") || strings.HasSuffix(b, ",") {
		return true
	}
	f := strings.Fields(b)
	return len(f) > 0 && listJoiners[strings.ToLower(f[len(f)-1])]
}
