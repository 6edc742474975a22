package assess

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pactwatch/pactwatch"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Clauses written for these tests (not from the development set), one per
// rule the label logic rests on.
func TestAssessClauseRules(t *testing.T) {
	tests := []struct {
		name, lang, text string
		want             Label
		decisive         []string // words that must be among the decisive spans
	}{
		{"automatic aid", "en", "If either Party is the object of an armed attack, the other Party shall immediately provide it with military assistance.", Guarantee, []string{"military assistance", "shall"}},
		{"freedom over how keeps a guarantee", "en", "In the event of an armed attack on a Party, each other Party shall assist it by such action as it deems necessary, including the use of armed force.", Guarantee, []string{"assist"}},
		{"freedom over whether lowers it", "en", "In the event of an armed attack on a Party, each other Party will, if necessary, provide assistance.", Assurance, []string{"if necessary"}},
		{"right, not duty", "en", "In the event of an armed attack on a Party, each guarantor reserves the right to take action to assist it.", Assurance, nil},
		{"constitutional processes", "en", "Should a Party be attacked, the other Parties shall assist it in accordance with their constitutional processes.", ConditionalGuarantee, []string{"constitutional"}},
		{"common danger", "en", "Each Party declares that it would act to meet the common danger.", ConditionalGuarantee, []string{"act to meet the common danger"}},
		{"consult within 24 hours is an assurance", "en", "In the event of an armed attack against Ukraine, the Parties shall meet within 24 hours to determine next steps.", Assurance, []string{"meet within"}},
		{"seek action by others", "en", "The Parties will seek immediate Security Council action to provide assistance to the victim of aggression.", Assurance, []string{"seek immediate Security Council action"}},
		{"negated aid is restraint", "en", "If a Party is attacked, the other Party shall not provide any assistance to the aggressor.", Assurance, nil},
		{"aid without a trigger is support", "en", "The United States will provide Ukraine with military assistance.", Assurance, nil},
		{"intent", "en", "The Participants intend to provide military assistance in the event of an armed attack.", Assurance, []string{"military assistance"}},
		{"respect", "en", "The Parties shall respect the sovereignty and the existing borders of Ukraine.", Assurance, nil},
		{"procedure", "en", "This Agreement shall enter into force on the date of its signature.", NoCommitment, nil},
		{"definition", "en", "For the purpose of Article 3, an armed attack is deemed to include an attack on the armed forces of a Party.", NoCommitment, nil},
		{"monitoring of a ceasefire is not a ceasefire", "en", "Ensure verification of the ceasefire by the OSCE.", NoCommitment, nil},
		{"uk guarantee", "uk", "У разі збройного нападу на одну зі Сторін інші Сторони зобов'язані негайно надати їй військову допомогу.", Guarantee, []string{"військову допомогу"}},
		{"uk 'гарантії' that guarantee nothing", "uk", "Гаранти безпеки проведуть консультації у разі нападу на Україну.", Assurance, []string{"консультації"}},
		{"ru conditional", "ru", "В случае нападения на одну из Сторон другая Сторона окажет ей помощь в соответствии со своим законодательством.", ConditionalGuarantee, []string{"законодательством"}},
		{"ru seek", "ru", "Стороны будут добиваться немедленных действий Совета Безопасности ООН с целью предоставления помощи.", Assurance, []string{"добиваться"}},
		// Coordinated lists: every act of the list is governed by its modal,
		// and the label rests on the strongest act.
		{"coordinated list: consult, decide, assist", "en", "In the event of a confirmed violation, the guarantors shall consult within 24 hours, decide a joint response within 72 hours, and provide assistance to Ukraine within 7 days.", Guarantee, []string{"shall", "assistance"}},
		{"coordinated list: consult, then force", "en", "In the event of a confirmed violation, the guarantors shall consult within 24 hours, and within 7 days provide Ukraine with military assistance, including the use of armed force, as each of them deems necessary to restore the ceasefire.", Guarantee, []string{"military assistance", "armed force"}},
		{"lettered list under one lead-in", "en", "In the event of an armed attack against Ukraine, the guarantors shall:\n(a) consult within 24 hours;\n(b) provide Ukraine with military assistance within 7 days.", Guarantee, []string{"shall", "military assistance"}},
		{"uk coordinated list", "uk", "У разі підтвердженого порушення гаранти зобов'язані провести консультації протягом 24 годин, ухвалити рішення про спільну відповідь протягом 72 годин і надати Україні допомогу протягом 7 днів.", Guarantee, []string{"допомогу"}},
		{"ru coordinated list", "ru", "В случае подтвержденного нарушения гаранты обязаны провести консультации в течение 24 часов, принять решение о совместном ответе в течение 72 часов и оказать Украине помощь в течение 7 дней.", Guarantee, []string{"помощь"}},
		{"uk lettered list: б) is a letter, not 'would'", "uk", "У разі збройного нападу на Україну гаранти зобов'язуються:\nа) провести консультації протягом 24 годин;\nб) надати Україні військову допомогу протягом 7 днів.", Guarantee, []string{"зобов'язуються", "військову допомогу"}},
		// What stays deferred: the act is the purpose or the object of the
		// scoping verb, not a new item of the list.
		{"purpose after consult stays deferred", "en", "In the event of an armed attack, the Parties shall consult in order to agree on measures to provide assistance.", Assurance, []string{"consult"}},
		{"object of consult stays deferred", "en", "In the event of an armed attack, the Parties shall consult on the security and assistance needs of Ukraine.", Assurance, []string{"consult"}},
		{"coordinated items with further decision", "en", "The Parties shall consult with each other and take by agreement appropriate measures to ensure their security.", Assurance, []string{"consult"}},
		{"a lead-in's purpose governs its items", "en", "In the event of an armed attack, the Parties shall consult in order to:\n(a) agree on measures;\n(b) provide military assistance.", Assurance, []string{"consult"}},
		{"items after a modal lead-in", "en", "In the event of an armed attack, the Parties shall:\n(a) consult in order to agree on measures;\n(b) provide military assistance.", Guarantee, []string{"military assistance"}},
		{"'including' joins the object of determine", "en", "In the event of an armed attack, the Parties shall meet within 24 hours to determine next steps, including military assistance.", Assurance, nil},
		{"a noun joined to the object of consult", "en", "In the event of an armed attack, the Parties shall consult on the measures needed, and the military assistance to be provided.", Assurance, []string{"consult"}},
		{"a second item that seeks", "en", "In the event of an armed attack, the Parties shall consult, and seek Security Council action to provide assistance.", Assurance, nil},
		{"whether in the item", "en", "In the event of an armed attack, the Parties shall consult, and, if they so agree, provide military assistance.", Assurance, nil},
		{"if necessary in the item", "en", "In the event of an armed attack, the Parties shall consult, and, if necessary, provide military assistance.", Assurance, []string{"if necessary"}},
		{"hortatory list", "en", "In the event of an armed attack, the Parties should consult and provide military assistance.", Assurance, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := AssessClause(tt.text, tt.lang)
			if err != nil {
				t.Fatal(err)
			}
			if c.Label != tt.want {
				t.Fatalf("label %s, want %s; spans %+v", c.Label, tt.want, c.Spans)
			}
			var dec []string
			for _, s := range c.Spans {
				if s.Decisive {
					dec = append(dec, s.Text)
				}
			}
			for _, w := range tt.decisive {
				if !slices.Contains(dec, w) {
					t.Errorf("decisive words %q lack %q", dec, w)
				}
			}
		})
	}
}

func TestIsGuarantee(t *testing.T) {
	for l, want := range map[Label]bool{Guarantee: true, ConditionalGuarantee: true, Assurance: false, NoCommitment: false, "": false} {
		if l.IsGuarantee() != want {
			t.Errorf("%q.IsGuarantee() = %v", l, !want)
		}
	}
}

func TestDimensions(t *testing.T) {
	c, err := AssessClause("If a Party is attacked, the other Parties shall immediately, within 24 hours, come to its assistance with all such means as they deem necessary, including armed force. The OSCE shall monitor compliance.", "en")
	if err != nil {
		t.Fatal(err)
	}
	d := c.Dimensions
	if d.Obligation != "mandatory" || d.Trigger != "automatic" || d.Discretion != "how" || d.Undertaking != "act" {
		t.Errorf("dimensions %+v", d)
	}
	for _, r := range []string{ArmedForce, MilitaryAssistance} {
		if !slices.Contains(d.Response, r) {
			t.Errorf("response %v lacks %s", d.Response, r)
		}
	}
	for _, p := range []string{"immediacy", "deadline", "named_measure"} {
		if !slices.Contains(d.Precision, p) {
			t.Errorf("precision %v lacks %s", d.Precision, p)
		}
	}
	if !slices.Contains(d.Delegation, "monitoring") {
		t.Errorf("delegation %v", d.Delegation)
	}
	if d.Instrument != "treaty" {
		t.Errorf("instrument %q", d.Instrument)
	}
	p, _ := AssessClause("The Participants will consult. This arrangement will come into effect on signature and is not legally binding.", "en")
	if p.Dimensions.Instrument != "political" {
		t.Errorf("instrument %q, want political", p.Dimensions.Instrument)
	}
	// The same promise scores lower in a political instrument.
	if p.Score >= 49 || p.Label != Assurance {
		t.Errorf("political consult: %s %d", p.Label, p.Score)
	}
}

func TestScoreBands(t *testing.T) {
	bands := map[Label][2]int{Guarantee: {70, 100}, ConditionalGuarantee: {50, 69}, Assurance: {20, 49}, NoCommitment: {0, 19}}
	for _, it := range DevSet() {
		c, _ := AssessClause(it.Text, it.Lang)
		b := bands[c.Label]
		if c.Score < b[0] || c.Score > b[1] {
			t.Errorf("%s: %s scored %d, outside %v", it.ID, c.Label, c.Score, b)
		}
	}
}

func TestDetectLanguage(t *testing.T) {
	tests := []struct{ text, want string }{
		{"The Parties will consult together.", "en"},
		{"Сторони консультуватимуться між собою.", "uk"},
		{"Стороны будут консультироваться друг с другом.", "ru"},
		{"Україна, Російська Федерація", "uk"},
		{"Объединенных Наций", "ru"},
		{"", "en"},
		{"1994", "en"},
		{"Об'єднаних", "uk"},
	}
	for _, tt := range tests {
		if got := DetectLanguage(tt.text); got != tt.want {
			t.Errorf("DetectLanguage(%q) = %s, want %s", tt.text, got, tt.want)
		}
	}
}

func TestBilingualText(t *testing.T) {
	text := "The Parties will consult together.\n\nУ разі збройного нападу на одну зі Сторін інші Сторони зобов'язані надати їй військову допомогу.\n\nThis Agreement shall enter into force on signature."
	res, err := Analyse(text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Label
	for _, c := range res.Clauses {
		got = append(got, c.Label)
	}
	if want := []Label{Assurance, Guarantee, NoCommitment}; !slices.Equal(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}
	// A forced language applies to every clause.
	res, _ = Analyse(text, Options{Lang: "en"})
	if res.Clauses[1].Label != NoCommitment {
		t.Errorf("forced en read the Ukrainian clause as %s", res.Clauses[1].Label)
	}
}

func TestBadLanguage(t *testing.T) {
	_, err := Analyse("text", Options{Lang: "fr"})
	if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("err %v", err)
	}
	var e *pactwatch.Error
	if !asError(err, &e) || e.Field != "lang" {
		t.Fatalf("field: %v", err)
	}
	if _, err := AssessClause("x", "de"); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("AssessClause: %v", err)
	}
	if _, err := Analyse(strings.Repeat("a", MaxInput+1), Options{}); pactwatch.ErrorCode(err) != pactwatch.ETOOLARGE {
		t.Fatalf("large input: %v", err)
	}
}

func asError(err error, e **pactwatch.Error) bool {
	pe, ok := err.(*pactwatch.Error)
	*e = pe
	return ok
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"sentences", "The Parties shall consult. They shall assist.", []string{"The Parties shall consult.", "They shall assist."}},
		{"abbreviations", "Under Art. 5 and para. 2 of the U.N. Charter, e.g. Art. 51, the Parties act. No. 3 follows.",
			[]string{"Under Art. 5 and para. 2 of the U.N. Charter, e.g. Art. 51, the Parties act.", "No. 3 follows."}},
		{"cyrillic abbreviations", "Відповідно до ст. 5 і п. 2 ч. 1 Сторони діють. Інше речення.", []string{"Відповідно до ст. 5 і п. 2 ч. 1 Сторони діють.", "Інше речення."}},
		{"numbered paragraphs", "1. To ensure a ceasefire.\n2. To ensure monitoring.\n3. Release all hostages.", []string{"1. To ensure a ceasefire.", "2. To ensure monitoring.", "3. Release all hostages."}},
		{"heading kept with its text", "Article 5\n\nThe Parties agree.\n\nArticle 6\nFor the purpose of Article 5.", []string{"Article 5\n\nThe Parties agree.", "Article 6\nFor the purpose of Article 5."}},
		{"wrapped lines", "The Parties will consult\ntogether whenever\nthreatened.", []string{"The Parties will consult\ntogether whenever\nthreatened."}},
		{"lettered items", "(a) the first case;\n(b) the second case.", []string{"(a) the first case;", "(b) the second case."}},
		{"lead-in keeps its items", "The Parties shall:\n(a) consult;\n(b) assist.\n\n2. Next.", []string{"The Parties shall:\n(a) consult;\n(b) assist.", "2. Next."}},
		{"lead-in keeps cyrillic items", "Сторони зобов'язуються:\nа) консультуватися;\nб) допомагати.\nСтаття 2\nІнше.", []string{"Сторони зобов'язуються:\nа) консультуватися;\nб) допомагати.", "Стаття 2\nІнше."}},
		{"numbered paragraphs after a colon stay apart", "They affirm the following:\n1. Respect.\n2. Refrain.", []string{"They affirm the following:", "1. Respect.", "2. Refrain."}},
		{"initials", "The U.S.S.R. and France shall assist.", []string{"The U.S.S.R. and France shall assist."}},
		{"quotes", `It said "stop." Then it stopped.`, []string{`It said "stop."`, "Then it stopped."}},
		{"empty", "  \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range Split(tt.text) {
				got = append(got, tt.text[r[0]:r[1]])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParsePattern(t *testing.T) {
	for _, bad := range []string{"", "~2 word", "word ~2", "a ~x b", "a ~0 b", "|"} {
		if _, err := parsePattern(bad); err == nil {
			t.Errorf("parsePattern(%q) accepted", bad)
		}
	}
	p := mustPattern("seek ~3 security council|assembly")
	toks := tokenize("They will seek immediate U.N. Security Council action.", nil)
	if m := p.findAll(toks, nil); len(m) != 1 {
		t.Errorf("matches %v", m)
	}
	// A match does not cross a sentence boundary.
	text := "They will seek. Security Council"
	toks = tokenize(text, sentenceStarts(text))
	if m := p.findAll(toks, nil); len(m) != 0 {
		t.Errorf("matched across sentences: %v", m)
	}
}

// The lexicon's patterns all parse, for every language (init would panic
// otherwise); every cue has at least one pattern in each language except
// those that only make sense in English.
func TestLexiconComplete(t *testing.T) {
	for _, c := range lexicon {
		for _, lang := range Languages {
			if len(c.patterns(lang)) == 0 {
				t.Errorf("cue %q has no %s patterns", c.name, lang)
			}
		}
	}
}

// TestGolden runs the analyser on whole texts and compares the JSON with
// testdata/texts/*.golden.json (go test ./assess -update rewrites them).
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/texts/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata/texts/*.txt")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Analyse(string(in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(res, "", "  ")
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".txt") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./assess -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("output differs from %s (run go test ./assess -update and review the diff)", golden)
			}
		})
	}
}

// The JSON form has exactly the documented keys.
func TestJSONShape(t *testing.T) {
	res, _ := Analyse("The Parties will consult.", Options{})
	b, _ := json.Marshal(res)
	var m map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m["clauses"][0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"dimensions", "label", "score", "spans", "text"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
}

// checkResult holds the invariants of Analyse's output for any input.
func checkResult(t *testing.T, text string, res Result) {
	t.Helper()
	prev := 0
	covered := make([]bool, len(text))
	for _, c := range res.Clauses {
		if c.Start < prev || c.End <= c.Start || c.End > len(text) {
			t.Fatalf("clause [%d,%d) out of order or bounds (prev end %d, len %d)", c.Start, c.End, prev, len(text))
		}
		if c.Text != text[c.Start:c.End] {
			t.Fatalf("clause text is not input[%d:%d]", c.Start, c.End)
		}
		for i := c.Start; i < c.End; i++ {
			covered[i] = true
		}
		prev = c.End
		for _, s := range c.Spans {
			if s.Start < 0 || s.End > len(c.Text) || s.Start >= s.End || c.Text[s.Start:s.End] != s.Text {
				t.Fatalf("span %+v out of clause %q", s, c.Text)
			}
		}
		if !slices.Contains(Labels, c.Label) {
			t.Fatalf("label %q", c.Label)
		}
	}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		if !covered[i] && !unicode.IsSpace(r) {
			t.Fatalf("byte %d (%q) of %q is in no clause", i, r, text)
		}
		i += w
	}
}

func TestAnalyseInvariantsOnDevSet(t *testing.T) {
	var all strings.Builder
	for _, it := range DevSet() {
		all.WriteString(it.Text)
		all.WriteString("\n\n")
	}
	res, err := Analyse(all.String(), Options{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, all.String(), res)
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"Art. 5. The Parties shall. 1. x\n2. y",
		"Article V\n\nIf any of the High Contracting Parties should be attacked.",
		"ст. 5 п. 2. Сторони. «Так.» (а) б",
		"U.N.", ". . .", "\n\n1.", "Стаття 4\n", "a.\xffB", "(a)\n(b)\n",
		"If attacked, the Parties shall:\n(a) consult;\n(b) assist.\n\n2. Next:", "зобов'язуються:\nа) б);\nб) допомога,\n- x",
	} {
		f.Add(s)
	}
	for _, it := range DevSet()[:20] {
		f.Add(it.Text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		res, err := Analyse(text, Options{})
		if err != nil {
			if len(text) > MaxInput {
				return
			}
			t.Fatal(err)
		}
		checkResult(t, text, res)
	})
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"a", "a ~2 b|c*", "~", "* *", "# ~1 km", "a|", "~-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := parsePattern(src)
		if err != nil {
			return
		}
		toks := tokenize("the parties shall consult 24 hours a b c", nil)
		for _, m := range p.findAll(toks, nil) {
			if m[0] < 0 || m[1] >= len(toks) || m[1] < m[0] {
				t.Fatalf("match %v out of range", m)
			}
		}
	})
}

// TestDimensionValuesComplete checks that every dimension value the
// analyser gives on the development set and the blind sets is listed in
// DimensionValues, which the web page translates.
func TestDimensionValuesComplete(t *testing.T) {
	items := DevSet()
	for _, f := range []string{"blind", "blind2", "blind3", "blind4", "blind5"} {
		b, err := os.ReadFile("testdata/" + f + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		set, err := ParseSet(b)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, set...)
	}
	seen := map[string]bool{}
	for _, it := range items {
		c, err := AssessClause(it.Text, it.Lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range c.Spans {
			if !slices.Contains(SpanDimensions, sp.Dimension) {
				t.Errorf("%s: span dimension %q not in SpanDimensions", it.ID, sp.Dimension)
			}
		}
		list := c.Dimensions.List()
		if len(list) != len(DimensionValues) {
			t.Fatalf("List gives %d dimensions, DimensionValues %d", len(list), len(DimensionValues))
		}
		for _, d := range list {
			for _, v := range d.Values {
				seen[d.Name+"="+v] = true
				if !slices.Contains(DimensionValues[d.Name], v) {
					t.Errorf("%s: %s=%q not in DimensionValues", it.ID, d.Name, v)
				}
			}
		}
	}
	t.Logf("%d distinct dimension values seen", len(seen))
}
