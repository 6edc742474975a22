package agreement

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/examples"
)

// Limits that make hostile files fail fast instead of exhausting memory:
// a real agreement is tens of kilobytes plus zone files of a few megabytes.
const (
	MaxAgreementSize = 1 << 20  // bytes of YAML; large geometry belongs in zone files
	MaxZoneFileSize  = 4 << 20  // bytes of GeoJSON per zone file
	MaxZoneBytes     = 16 << 20 // bytes of all distinct zone files together
	MaxZones         = 1000     // zones plus their phases
	maxNodes         = 250_000  // YAML values, counting those aliases repeat
	maxAliasValues   = 100_000  // values reached through aliases (a billion laughs)
	maxDepth         = 64       // nesting of mappings and sequences
)

// Load reads, validates and hashes the agreement at path. Zone files are
// read relative to its folder and may not leave it. An invalid agreement
// gives Problems (every problem found); an unreadable file a
// *pactwatch.Error.
func Load(path string) (*Agreement, error) {
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "%s: %v", path, err)
	}
	defer root.Close()
	data, err := readCapped(root.FS(), filepath.Base(path), MaxAgreementSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, pactwatch.Errorf(pactwatch.ENOTFOUND, "%s: no such file", path)
		}
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "%s: %v", path, err)
	}
	return Parse(path, data, func(name string) ([]byte, error) { return readCapped(root.FS(), name, MaxZoneFileSize) })
}

// ParseFS parses the agreement file name in fsys, reading zone files from
// the same folder of fsys (e.g. the embedded example).
func ParseFS(fsys fs.FS, name string) (*Agreement, error) {
	data, err := readCapped(fsys, name, MaxAgreementSize)
	if err != nil {
		return nil, pactwatch.Errorf(pactwatch.EINVALID, "%s: %v", name, err)
	}
	dir := path.Dir(name)
	return Parse(name, data, func(p string) ([]byte, error) { return readCapped(fsys, path.Join(dir, p), MaxZoneFileSize) })
}

// readCapped reads a file of at most limit bytes, without reading more.
func readCapped(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("larger than the %d MiB limit", limit>>20)
	}
	return buf.Bytes(), nil
}

// Parse validates the agreement in data (name is used in messages) and
// returns it, or Problems listing everything wrong. readFile reads a zone
// file given its path as written in the agreement (relative to it); nil
// means zone files are not allowed.
func Parse(name string, data []byte, readFile func(string) ([]byte, error)) (*Agreement, error) {
	p := &parser{file: name, readFile: readFile, pos: map[string]pos{}, keyPos: map[string]pos{}}
	a := p.parse(data)
	if len(p.problems) > 0 {
		p.problems.sort()
		return nil, p.problems
	}
	return a, nil
}

// pos is a place in the YAML source.
type pos struct{ line, col int }

// parser holds the state of one Parse: the problems found so far and where
// each field's value (pos) and key (keyPos) sit in the source, by path.
type parser struct {
	file     string
	readFile func(string) ([]byte, error)
	problems Problems
	pos      map[string]pos
	keyPos   map[string]pos
	nodes    int
	aliased  int // values reached through aliases
	tooBig   bool
	files    map[string]any // zone files read, by path, for the canonical form
}

// addf records a problem at path, located at the path's value or, for a
// field that is missing, at the closest enclosing field that exists.
func (p *parser) addf(path, format string, args ...any) {
	at := p.locate(path, p.pos)
	p.problems = append(p.problems, Problem{File: p.file, Line: at.line, Col: at.col, Path: path, Message: fmt.Sprintf(format, args...)})
}

// addKeyf records a problem located at the key of path (for unknown or
// duplicate fields).
func (p *parser) addKeyf(path, format string, args ...any) {
	at, ok := p.keyPos[path]
	if !ok {
		at = p.locate(path, p.pos)
	}
	p.problems = append(p.problems, Problem{File: p.file, Line: at.line, Col: at.col, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) locate(path string, m map[string]pos) pos {
	for {
		if at, ok := m[path]; ok {
			return at
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return m[""]
		}
		path = path[:i]
	}
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parse runs every stage, collecting problems; later stages run only when
// the earlier ones produced something to check.
func (p *parser) parse(data []byte) *Agreement {
	if len(data) > MaxAgreementSize {
		p.addf("", "file is larger than the %d MiB limit (put large geometry in zone files)", MaxAgreementSize>>20)
		return nil
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		p.addf("", "binary data, not YAML (a NUL byte at offset %d)", i)
		return nil
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		p.addf("", "not UTF-8 text (invalid byte at offset %d)", i)
		return nil
	}
	// Every YAML value follows one of these characters, so their count
	// bounds the values before the (slower) YAML parser sees the file.
	if n := structural(data); n > maxNodes {
		p.addf("", "refused: the document has more than %d values (put large geometry in zone files)", maxNodes)
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if err == nil {
		// A second document would be silently ignored; refuse it instead.
		var next yaml.Node
		if dec.Decode(&next) == nil {
			p.problems = append(p.problems, Problem{File: p.file, Line: next.Line, Col: next.Column, Message: "more than one YAML document: an agreement is one document"})
			return nil
		}
	}
	if err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		p.problems = append(p.problems, Problem{File: p.file, Line: line, Message: "YAML syntax: " + msg})
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.addf("", "empty file: an agreement is a YAML mapping")
		return nil
	}
	p.pos[""] = pos{doc.Content[0].Line, doc.Content[0].Column}
	inst := p.convert(doc.Content[0], "", 0, false)
	if p.tooBig {
		return nil
	}
	if _, ok := inst.(map[string]any); !ok {
		p.addf("", "an agreement is a YAML mapping of fields, got %s", jsonType(inst))
		return nil
	}
	p.validateSchema(rootSchema, inst, "")
	a := decode(inst)
	p.check(a, inst)
	if len(p.problems) > 0 {
		return nil
	}
	canon, err := canonicalJSON(inst, p.files)
	if err != nil {
		p.addf("", "cannot form the canonical JSON: %v", err)
		return nil
	}
	a.setCanonical(canon)
	return a
}

// convert turns a YAML node into the JSON value it stands for (maps,
// slices, strings, json.Number, bool, nil), recording each value's position
// by path. Aliases are expanded, but values reached through an alias keep
// no position of their own (problems there point at the alias) and are
// capped, so an alias bomb (a billion laughs) stops early and cheaply.
func (p *parser) convert(n *yaml.Node, path string, depth int, aliased bool) any {
	if p.tooBig {
		return nil
	}
	p.nodes++
	if aliased {
		p.aliased++
	}
	if p.nodes > maxNodes || p.aliased > maxAliasValues || depth > maxDepth {
		p.tooBig = true
		what := fmt.Sprintf("more than %d values", maxNodes)
		switch {
		case depth > maxDepth:
			what = fmt.Sprintf("values nested more than %d levels deep", maxDepth)
		case p.aliased > maxAliasValues:
			what = fmt.Sprintf("more than %d values repeated through aliases", maxAliasValues)
		}
		p.problems = append(p.problems, Problem{File: p.file, Line: n.Line, Col: n.Column, Message: "refused: the document has " + what})
		return nil
	}
	if !aliased {
		if _, seen := p.pos[path]; !seen {
			p.pos[path] = pos{n.Line, n.Column}
		}
	}
	child := func(suffix func() string) string {
		if aliased {
			return path // no positions inside an alias: problems point at it
		}
		return suffix()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return p.convert(n.Content[0], path, depth, aliased)
	case yaml.AliasNode:
		return p.convert(n.Alias, path, depth+1, true)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				p.problems = append(p.problems, Problem{File: p.file, Line: k.Line, Col: k.Column, Path: path, Message: "a field name must be a plain string"})
				continue
			}
			cp := child(func() string { return joinKey(path, k.Value) })
			if _, dup := m[k.Value]; dup {
				first := p.keyPos[cp]
				p.problems = append(p.problems, Problem{File: p.file, Line: k.Line, Col: k.Column, Path: cp, Message: fmt.Sprintf("duplicate field %q (first at line %d)", k.Value, first.line)})
				continue
			}
			if !aliased {
				p.keyPos[cp] = pos{k.Line, k.Column}
			}
			m[k.Value] = p.convert(v, cp, depth+1, aliased)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			s = append(s, p.convert(c, child(func() string { return path + "[" + strconv.Itoa(i) + "]" }), depth+1, aliased))
		}
		return s
	}
	return p.scalar(n, path)
}

func (p *parser) scalar(n *yaml.Node, path string) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		p.addf(path, "number %s is out of range", n.Value)
		return nil
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				p.addf(path, "number %s is not finite", n.Value)
				return nil
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	// Strings, and also timestamps (dates stay as written: 2026-03-01).
	return n.Value
}

// structural counts the characters that can introduce a YAML value.
func structural(data []byte) int {
	n := 1
	for _, b := range data {
		switch b {
		case ',', '[', '{', '-', ':', '\n', '?', '*':
			n++
		}
	}
	return n
}

// joinKey appends a mapping key to a path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonType names a JSON value's type for messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// Default returns the embedded illustrative Ukraine agreement
// (examples/ukraine), which `serve` runs when given no agreement.
func Default() (*Agreement, error) {
	return ParseFS(examples.Ukraine, "agreement.yaml")
}
