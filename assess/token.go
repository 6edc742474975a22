package assess

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a clause: its lower-cased, apostrophe-normalised form
// and its byte offsets in the clause text. Words keep internal hyphens and
// apostrophes ("self-defence", "зобов'язання") so that a stem can match them.
type token struct {
	norm       string
	first      rune // first letter of norm, for a quick pattern test
	start, end int
	sentence   int // index of the sentence the word is in
}

// isWordRune reports whether r can be part of a word.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isJoiner reports whether r joins two word runes into one word: hyphens and
// the apostrophes Ukrainian writes inside words (’ ʼ ').
func isJoiner(r rune) bool {
	switch r {
	case '-', '\'', '’', 'ʼ', '‘':
		return true
	}
	return false
}

// tokenize splits text into words. sentenceStarts are byte offsets where a new
// sentence begins (sorted); each token records which sentence it falls in.
func tokenize(text string, sentenceStarts []int) []token {
	var toks []token
	sent := 0
	i := 0
	for i < len(text) {
		r, w := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += w
			continue
		}
		start := i
		var b strings.Builder
		for i < len(text) {
			r, w = utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) {
				b.WriteRune(unicode.ToLower(r))
				i += w
				continue
			}
			if isJoiner(r) && i+w < len(text) {
				next, _ := utf8.DecodeRuneInString(text[i+w:])
				if isWordRune(next) {
					if r == '-' {
						b.WriteRune('-')
					} else {
						b.WriteRune('\'')
					}
					i += w
					continue
				}
			}
			break
		}
		for sent+1 < len(sentenceStarts) && sentenceStarts[sent+1] <= start {
			sent++
		}
		norm := b.String()
		if isListMarker(text, start, i) {
			continue
		}
		first, _ := utf8.DecodeRuneInString(norm)
		toks = append(toks, token{norm: norm, first: first, start: start, end: i, sentence: sent})
	}
	return toks
}

// isNumber reports whether a token is written in digits.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isListMarker reports whether the word text[start:end] is the letter of a
// list item, "(b)" or "б)", not a word: Ukrainian "б" is also the particle
// of the conditional mood, which would otherwise read as "would".
func isListMarker(text string, start, end int) bool {
	if utf8.RuneCountInString(text[start:end]) != 1 || end >= len(text) || text[end] != ')' {
		return false
	}
	if start == 0 {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(text[:start])
	return before == '(' || unicode.IsSpace(before)
}
