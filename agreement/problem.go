package agreement

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/pactwatch/pactwatch"
)

// Problem is one thing wrong with an agreement file, located as precisely as
// the YAML allows: Line and Col are 1-based, 0 when unknown; Path is the
// field in the agreement's own terms ("zones[2].geometry.coordinates[0]").
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as compilers do, so editors can jump to it:
// FILE:LINE:COL: path: message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in an agreement, in file order. It is the
// error Parse and Load return for an invalid agreement.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets callers ask errors.As for the *pactwatch.Error (EINVALID,
// naming the first problem's field) without knowing this type.
func (ps Problems) Unwrap() error {
	if len(ps) == 0 {
		return nil
	}
	return &pactwatch.Error{Code: pactwatch.EINVALID, Field: ps[0].Path, Message: ps[0].Message}
}

func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
