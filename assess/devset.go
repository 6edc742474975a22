package assess

import (
	"bytes"
	_ "embed"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/pactwatch/pactwatch"
	"go.yaml.in/yaml/v3"
)

// Item is one labelled clause of an evaluation set.
type Item struct {
	ID         string `yaml:"id"`
	Instrument string `yaml:"instrument"`
	Article    string `yaml:"article"`
	Year       int    `yaml:"year"`
	Lang       string `yaml:"lang"`
	Label      Label  `yaml:"label"`
	Text       string `yaml:"text"`
	// Source is "official" or "translation" for uk/ru items (ours, made to
	// test the lexicons); empty for English originals.
	Source string `yaml:"source"`
	// Of is the id of the English clause a uk/ru item renders.
	Of string `yaml:"of"`
	// Unsure marks wording recalled rather than checked word for word.
	Unsure bool   `yaml:"unsure"`
	Note   string `yaml:"note"`
}

// Group is the id that ties a clause to its language versions.
func (it Item) Group() string {
	if it.Of != "" {
		return it.Of
	}
	return it.ID
}

// Split is "heldout" or "dev". The held-out 30% is fixed by a hash of the
// group id, not chosen by hand, and keeps a clause with its translations.
func (it Item) Split() string {
	h := fnv.New32a()
	h.Write([]byte(it.Group()))
	if h.Sum32()%10 < 3 {
		return "heldout"
	}
	return "dev"
}

//go:embed testdata/devset.yaml
var devset []byte

// DevSet returns the built-in development set (assess/testdata/devset.yaml).
func DevSet() []Item {
	items, err := ParseSet(devset)
	if err != nil {
		panic("assess: built-in development set: " + err.Error())
	}
	return items
}

// ParseSet reads an evaluation set: a YAML list of items. It checks every
// item and names the first bad field ("items[3].label").
func ParseSet(data []byte) ([]Item, error) {
	var items []Item
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&items); err != nil {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "items", "not a YAML list of items: %v", err)
	}
	seen := map[string]bool{}
	for i, it := range items {
		f := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		switch {
		case strings.TrimSpace(it.ID) == "":
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("id"), "missing")
		case seen[it.ID]:
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("id"), "duplicate id %q", it.ID)
		case !slices.Contains(Languages, it.Lang):
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("lang"), "%q is not en, uk or ru", it.Lang)
		case !slices.Contains(Labels, it.Label):
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("label"), "%q is not one of guarantee, conditional_guarantee, assurance, no_commitment", it.Label)
		case strings.TrimSpace(it.Text) == "":
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("text"), "missing")
		case strings.TrimSpace(it.Instrument) == "":
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("instrument"), "missing: every clause needs its source")
		case it.Source != "" && it.Source != "official" && it.Source != "translation":
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, f("source"), "%q is not official or translation", it.Source)
		}
		seen[it.ID] = true
	}
	for i, it := range items {
		if it.Of != "" && !seen[it.Of] {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, fmt.Sprintf("items[%d].of", i), "no item has id %q", it.Of)
		}
	}
	return items, nil
}

// Outcome is one item's assessment.
type Outcome struct {
	Item  Item
	Got   Label
	Score int
}

// Report is an evaluation of the analyser on a set.
type Report struct {
	Outcomes []Outcome
}

// Evaluate assesses every item as one clause in its own language.
func Evaluate(items []Item) Report {
	var r Report
	for _, it := range items {
		c, err := AssessClause(it.Text, it.Lang)
		if err != nil { // ParseSet has checked the language
			panic(err)
		}
		r.Outcomes = append(r.Outcomes, Outcome{Item: it, Got: c.Label, Score: c.Score})
	}
	return r
}

// Accuracy is the share of items whose label matches, among those keep
// selects; n is how many it selected.
func (r Report) Accuracy(keep func(Item) bool) (acc float64, correct, n int) {
	for _, o := range r.Outcomes {
		if keep != nil && !keep(o.Item) {
			continue
		}
		n++
		if o.Got == o.Item.Label {
			correct++
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	return float64(correct) / float64(n), correct, n
}

// Confusion counts items by gold label (rows) and assigned label (columns).
func (r Report) Confusion() map[Label]map[Label]int {
	m := map[Label]map[Label]int{}
	for _, l := range Labels {
		m[l] = map[Label]int{}
	}
	for _, o := range r.Outcomes {
		m[o.Item.Label][o.Got]++
	}
	return m
}

// MeanScores is the mean score of the items of each gold label.
func (r Report) MeanScores() map[Label]float64 {
	sum := map[Label]int{}
	n := map[Label]int{}
	for _, o := range r.Outcomes {
		sum[o.Item.Label] += o.Score
		n[o.Item.Label]++
	}
	m := map[Label]float64{}
	for l, c := range n {
		m[l] = float64(sum[l]) / float64(c)
	}
	return m
}

// Agreement compares every uk/ru item with the English clause it renders:
// how many got the same label as their original.
func (r Report) Agreement() (same, n int, differ []Outcome) {
	byID := map[string]Outcome{}
	for _, o := range r.Outcomes {
		byID[o.Item.ID] = o
	}
	for _, o := range r.Outcomes {
		if o.Item.Of == "" {
			continue
		}
		orig, ok := byID[o.Item.Of]
		if !ok {
			continue
		}
		n++
		if orig.Got == o.Got {
			same++
		} else {
			differ = append(differ, o)
		}
	}
	return same, n, differ
}

// Misses returns the outcomes with a wrong label.
func (r Report) Misses() []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if o.Got != o.Item.Label {
			out = append(out, o)
		}
	}
	return out
}
