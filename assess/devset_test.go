package assess

import (
	"os"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
)

// minAccuracy is the bar: at least 90% on the development set.
const minAccuracy = 0.90

func evalFile(t *testing.T, path string) Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	items, err := ParseSet(b)
	if err != nil {
		t.Fatal(err)
	}
	return Evaluate(items)
}

// TestDevSetAccuracy guards against regressions: each set, and each split
// of the development set, must stay at or above 90%.
func TestDevSetAccuracy(t *testing.T) {
	sets := map[string]Report{
		"devset": Evaluate(DevSet()),
		"blind":  evalFile(t, "testdata/blind.yaml"),
		"blind2": evalFile(t, "testdata/blind2.yaml"),
		"blind3": evalFile(t, "testdata/blind3.yaml"),
	}
	for name, r := range sets {
		splits := map[string]func(Item) bool{"all": nil}
		if name == "devset" {
			splits["dev"] = func(it Item) bool { return it.Split() == "dev" }
			splits["heldout"] = func(it Item) bool { return it.Split() == "heldout" }
		}
		for split, keep := range splits {
			acc, ok, n := r.Accuracy(keep)
			t.Logf("%s %s: %.1f%% (%d/%d)", name, split, 100*acc, ok, n)
			if acc < minAccuracy {
				t.Errorf("%s %s accuracy %.1f%% < %.0f%%", name, split, 100*acc, 100*minAccuracy)
			}
		}
		for _, o := range r.Misses() {
			t.Logf("miss %s: gold %s, got %s", o.Item.ID, o.Item.Label, o.Got)
		}
	}
}

// blind4.yaml is the held-out set nobody tunes on (docs/assess.md): its
// first run scored 67.7%. This floor catches a change that makes the rules
// generalise worse; raising the score by tuning on its misses would spend
// the set, so write a new blind set instead.
func TestHeldOutFloor(t *testing.T) {
	const floor = 0.60
	r := evalFile(t, "testdata/blind4.yaml")
	acc, ok, n := r.Accuracy(nil)
	t.Logf("blind4: %.1f%% (%d/%d)", 100*acc, ok, n)
	if acc < floor {
		t.Errorf("blind4 accuracy %.1f%% fell below %.0f%%", 100*acc, 100*floor)
	}
}

// blind5.yaml was written for this round (coordinated lists, guarantees,
// conditional guarantees) and committed with its first run (88.9%) before
// the coordination rule was written; its five misses were not tuned on, so
// it stays a held-out set. The floor catches a change that generalises
// worse.
func TestBlind5Floor(t *testing.T) {
	const floor = 0.80
	r := evalFile(t, "testdata/blind5.yaml")
	acc, ok, n := r.Accuracy(nil)
	t.Logf("blind5: %.1f%% (%d/%d)", 100*acc, ok, n)
	if acc < floor {
		t.Errorf("blind5 accuracy %.1f%% fell below %.0f%%", 100*acc, 100*floor)
	}
	if same, n, differ := r.Agreement(); same != n {
		t.Errorf("blind5: %d of %d uk/ru clauses differ from their English original: %v", n-same, n, differ)
	}
}

// Mean scores must order guarantee > conditional guarantee > assurance >
// no commitment, by gold label.
func TestMeanScoreOrder(t *testing.T) {
	m := Evaluate(DevSet()).MeanScores()
	for i := 1; i < len(Labels); i++ {
		if m[Labels[i-1]] <= m[Labels[i]] {
			t.Errorf("mean score of %s (%.1f) not above %s (%.1f)", Labels[i-1], m[Labels[i-1]], Labels[i], m[Labels[i]])
		}
	}
}

// Every uk and ru clause gets the same label as its English original.
func TestTranslationsAgree(t *testing.T) {
	for name, r := range map[string]Report{
		"devset": Evaluate(DevSet()),
		"blind":  evalFile(t, "testdata/blind.yaml"),
		"blind2": evalFile(t, "testdata/blind2.yaml"),
		"blind3": evalFile(t, "testdata/blind3.yaml"),
		"blind4": evalFile(t, "testdata/blind4.yaml"),
	} {
		same, n, differ := r.Agreement()
		if n == 0 {
			t.Fatalf("%s: no uk/ru items", name)
		}
		for _, o := range differ {
			t.Errorf("%s: %s (%s) labelled %s, unlike its original %s", name, o.Item.ID, o.Item.Lang, o.Got, o.Item.Of)
		}
		t.Logf("%s: %d/%d uk/ru clauses agree with the English", name, same, n)
	}
}

// The development set holds what the brief asks of it.
func TestDevSetContents(t *testing.T) {
	items := DevSet()
	count := map[Label]int{}
	langs := map[string]int{}
	heldout := 0
	for _, it := range items {
		count[it.Label]++
		langs[it.Lang]++
		if it.Split() == "heldout" {
			heldout++
		}
		if it.Lang != "en" && it.Source == "" {
			t.Errorf("%s: uk/ru item without source (official or translation)", it.ID)
		}
	}
	if len(items) < 120 {
		t.Errorf("%d items, want at least 120", len(items))
	}
	for _, l := range Labels {
		if count[l] < 10 {
			t.Errorf("only %d %s items", count[l], l)
		}
	}
	for _, l := range Languages {
		if langs[l] < 15 {
			t.Errorf("only %d %s items", langs[l], l)
		}
	}
	if share := float64(heldout) / float64(len(items)); share < 0.15 || share > 0.45 {
		t.Errorf("held-out share %.2f", share)
	}
}

func TestParseSetErrors(t *testing.T) {
	good := "- id: a\n  instrument: X\n  lang: en\n  label: assurance\n  text: t\n"
	tests := []struct{ name, in, field string }{
		{"not yaml list", "a: b", "items"},
		{"unknown field", good + "  colour: red\n", "items"},
		{"missing id", strings.Replace(good, "id: a", "id: ''", 1), "items[0].id"},
		{"duplicate id", good + good, "items[1].id"},
		{"bad lang", strings.Replace(good, "lang: en", "lang: fr", 1), "items[0].lang"},
		{"bad label", strings.Replace(good, "label: assurance", "label: promise", 1), "items[0].label"},
		{"no text", strings.Replace(good, "text: t", "text: ' '", 1), "items[0].text"},
		{"no source instrument", strings.Replace(good, "instrument: X", "instrument: ''", 1), "items[0].instrument"},
		{"bad source", good + "  source: memory\n", "items[0].source"},
		{"dangling of", good + "  of: zz\n", "items[0].of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSet([]byte(tt.in))
			var e *pactwatch.Error
			if !asError(err, &e) || e.Code != pactwatch.EINVALID || e.Field != tt.field {
				t.Fatalf("got %v, want field %s", err, tt.field)
			}
		})
	}
	if items, err := ParseSet([]byte(good)); err != nil || len(items) != 1 {
		t.Fatalf("good set: %v", err)
	}
}

func FuzzParseSet(f *testing.F) {
	f.Add([]byte("- id: a\n  instrument: X\n  lang: en\n  label: assurance\n  text: t\n"))
	f.Add([]byte("[]"))
	f.Add([]byte("- {id: a, of: a, lang: uk, label: guarantee, text: x, instrument: y}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := ParseSet(b)
		if err != nil {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Fatalf("error code %s", pactwatch.ErrorCode(err))
			}
			return
		}
		Evaluate(items) // any valid set can be evaluated
	})
}

func BenchmarkAnalyse(b *testing.B) {
	var all strings.Builder
	for _, it := range DevSet() {
		all.WriteString(it.Text)
		all.WriteString("\n\n")
	}
	text := all.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Analyse(text, Options{Lang: "en"}); err != nil {
			b.Fatal(err)
		}
	}
}
