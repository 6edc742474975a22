package assess

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A pattern is a sequence of word tests matched against consecutive tokens,
// written as a string so that lexicons read like the phrases they catch:
//
//	"consult*"                       a word starting with "consult"
//	"armed force|forces"             "armed" then "force" or "forces"
//	"seek ~6 security council"       "seek", up to 6 other words, "security council"
//	"within ~1 # hours|days"         "#" is any number written in digits
//
// Stems (a trailing "*") are how the inflected uk and ru forms are caught:
// "допомо*" matches допомога, допомогу, допоможе.
type pattern struct {
	src   string
	elems []elem
	// starts holds the first letters a match can begin with, and
	// number whether it can begin with a number: findAll skips other
	// tokens without trying them.
	starts map[rune]bool
	number bool
}

type elem struct {
	gap  int   // >0: skip up to gap tokens; the element matches nothing itself
	alts []alt // otherwise: one of these must match the token
}

type alt struct {
	word   string
	prefix bool
	number bool
}

func mustPattern(src string) pattern {
	p, err := parsePattern(src)
	if err != nil {
		panic(err)
	}
	return p
}

func parsePattern(src string) (pattern, error) {
	p := pattern{src: src}
	for _, f := range strings.Fields(strings.ToLower(src)) {
		if strings.HasPrefix(f, "~") {
			n, err := strconv.Atoi(f[1:])
			if err != nil || n <= 0 {
				return p, fmt.Errorf("pattern %q: bad gap %q", src, f)
			}
			p.elems = append(p.elems, elem{gap: n})
			continue
		}
		var e elem
		for _, a := range strings.Split(f, "|") {
			switch {
			case a == "#":
				e.alts = append(e.alts, alt{number: true})
			case strings.HasSuffix(a, "*") && len(a) > 1:
				e.alts = append(e.alts, alt{word: strings.TrimSuffix(a, "*"), prefix: true})
			case a != "":
				e.alts = append(e.alts, alt{word: a})
			}
		}
		if len(e.alts) == 0 {
			return p, fmt.Errorf("pattern %q: empty word in %q", src, f)
		}
		p.elems = append(p.elems, e)
	}
	if len(p.elems) == 0 || p.elems[0].gap > 0 || p.elems[len(p.elems)-1].gap > 0 {
		return p, fmt.Errorf("pattern %q: must start and end with a word", src)
	}
	p.starts = map[rune]bool{}
	for _, a := range p.elems[0].alts {
		if a.number {
			p.number = true
			continue
		}
		r, _ := utf8.DecodeRuneInString(a.word)
		p.starts[r] = true
	}
	return p, nil
}

func (a alt) matches(s string) bool {
	switch {
	case a.number:
		return isNumber(s)
	case a.prefix:
		return strings.HasPrefix(s, a.word)
	}
	return s == a.word
}

func (e elem) matches(s string) bool {
	for _, a := range e.alts {
		if a.matches(s) {
			return true
		}
	}
	return false
}

// matchAt returns the index of the last token of a match starting at toks[i],
// or -1. A match never crosses a sentence boundary or a masked token.
func (p pattern) matchAt(toks []token, masked []bool, i int) int {
	return p.match(toks, masked, i, 0, toks[i].sentence)
}

func (p pattern) match(toks []token, masked []bool, i, k, sent int) int {
	if k == len(p.elems) {
		return i - 1
	}
	e := p.elems[k]
	if e.gap > 0 {
		for skip := 0; skip <= e.gap && i+skip < len(toks); skip++ {
			if skip > 0 && (toks[i+skip-1].sentence != sent) {
				break
			}
			if end := p.match(toks, masked, i+skip, k+1, sent); end >= 0 {
				return end
			}
		}
		return -1
	}
	if i >= len(toks) || toks[i].sentence != sent || (masked != nil && masked[i]) || !e.matches(toks[i].norm) {
		return -1
	}
	return p.match(toks, masked, i+1, k+1, sent)
}

// findAll returns the [first, last] token ranges of the non-overlapping
// matches of p, left to right.
func (p pattern) findAll(toks []token, masked []bool) [][2]int {
	var out [][2]int
	for i := 0; i < len(toks); i++ {
		if !p.starts[toks[i].first] && !(p.number && toks[i].first >= '0' && toks[i].first <= '9') {
			continue
		}
		if end := p.matchAt(toks, masked, i); end >= i {
			out = append(out, [2]int{i, end})
			i = end
		}
	}
	return out
}
