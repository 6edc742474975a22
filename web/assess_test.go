package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pactwatch/pactwatch/assess"
	"golang.org/x/text/language"
)

// budapest4 and nato5 are the two clauses the page's tests paste: the
// Budapest Memorandum's paragraph 4 (an assurance: the signatories only
// "seek" Security Council action) and the North Atlantic Treaty's Article 5
// (a guarantee).
const (
	budapest4   = "4. The United States of America, the Russian Federation, and the United Kingdom of Great Britain and Northern Ireland, reaffirm their commitment to seek immediate United Nations Security Council action to provide assistance to Ukraine, as a non-nuclear-weapon State Party to the Treaty on the Non-Proliferation of Nuclear Weapons, if Ukraine should become a victim of an act of aggression or an object of a threat of aggression in which nuclear weapons are used."
	nato5       = "Article 5\n\nThe Parties agree that an armed attack against one or more of them in Europe or North America shall be considered an attack against them all and consequently they agree that, if such an armed attack occurs, each of them, in exercise of the right of individual or collective self-defence recognised by Article 51 of the Charter of the United Nations, will assist the Party or Parties so attacked by taking forthwith, individually and in concert with the other Parties, such action as it deems necessary, including the use of armed force, to restore and maintain the security of the North Atlantic area."
	budapest4uk = "4. Сполучені Штати Америки, Російська Федерація та Сполучене Королівство Великої Британії і Північної Ірландії підтверджують своє зобов'язання домагатися негайних дій з боку Ради Безпеки ООН з метою надання допомоги Україні як державі-учасниці Договору про нерозповсюдження ядерної зброї, яка не володіє ядерною зброєю, в разі, якщо Україна стане жертвою акту агресії або об'єктом загрози агресії з використанням ядерної зброї."
)

// postAssess posts the form as a browser on the same site would.
func postAssess(t testing.TB, h http.Handler, target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://example.com") // httptest's Host
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	badgeRe = regexp.MustCompile(`<span class="badge badge-[a-z_]+" data-label="([a-z_]+)">`)
	markRe  = regexp.MustCompile(`<mark title="[^"]*">([^<]*)</mark>`)
)

func TestAssessPageForm(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	for _, tag := range languages {
		rec := get(t, h, "/assess?lang="+tag.String())
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tag, rec.Code)
		}
		for _, want := range []string{`<form method="post" action="/assess"`, `<textarea id="a-text" name="text"`, `<select id="a-lang" name="text_lang">`, `<option value="" selected>`, `href="/assess" aria-current="page"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %s", tag, want)
			}
		}
		if strings.Contains(body, `class="assess-results"`) {
			t.Errorf("%s: results on an empty form", tag)
		}
	}
}

func TestAssessPageResults(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	tests := []struct {
		name, lang, text string
		labels           []string
		marks            []string // texts that must be marked
	}{
		{"en", "en", budapest4 + "\n\n" + nato5, []string{"assurance", "guarantee"}, []string{"seek immediate United Nations Security Council action", "attack against them all", "armed force"}},
		{"uk, detected", "", budapest4uk, []string{"assurance"}, []string{"домагатися"}},
		{"uk, chosen", "uk", budapest4uk, []string{"assurance"}, []string{"домагатися"}},
	}
	for _, tt := range tests {
		for _, tag := range languages {
			t.Run(tt.name+"/"+tag.String(), func(t *testing.T) {
				rec := postAssess(t, h, "/assess?lang="+tag.String(), url.Values{"text": {tt.text}, "text_lang": {tt.lang}})
				body := rec.Body.String()
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, body)
				}
				var labels []string
				for _, m := range badgeRe.FindAllStringSubmatch(body, -1) {
					labels = append(labels, m[1])
				}
				if strings.Join(labels, " ") != strings.Join(tt.labels, " ") {
					t.Errorf("labels %q, want %q", labels, tt.labels)
				}
				var marks []string
				for _, m := range markRe.FindAllStringSubmatch(body, -1) {
					marks = append(marks, m[1])
				}
				for _, w := range tt.marks {
					if !strings.Contains(strings.Join(marks, "|"), w) {
						t.Errorf("marks %q lack %q", marks, w)
					}
				}
				// The form keeps the text and the chosen language.
				if !strings.Contains(body, `<option value="`+tt.lang+`" selected>`) {
					t.Errorf("language %q not kept selected", tt.lang)
				}
				if !strings.Contains(body, "Ukraine") && !strings.Contains(body, "Україн") {
					t.Error("text not shown")
				}
			})
		}
	}
}

// The page shows each clause's text exactly, markup escaped: the marks are
// the only tags inside it.
func TestAssessPageEscapes(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	text := `If a Party is attacked, the other <b>Parties</b> shall provide military assistance & "aid" <script>alert(1)</script>.`
	body := postAssess(t, h, "/assess?lang=en", url.Values{"text": {text}}).Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>Parties") {
		t.Fatal("pasted markup reached the page unescaped")
	}
	clause := regexp.MustCompile(`(?s)<p class="clause-text" lang="en">(.*?)</p>`).FindStringSubmatch(body)
	if clause == nil {
		t.Fatal("no clause text")
	}
	inner := regexp.MustCompile(`</?(mark|span)[^>]*>`).ReplaceAllString(clause[1], "")
	if strings.Contains(inner, "<") {
		t.Errorf("a tag other than mark/span in the clause: %s", clause[1])
	}
	unescaped := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(inner)
	if unescaped != text {
		t.Errorf("clause shown as %q, want %q", unescaped, text)
	}
}

func TestAssessPageErrors(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	big := strings.Repeat("The Parties shall consult. ", maxAssessText/27+1)
	tests := []struct {
		name   string
		form   url.Values
		header []string
		status int
		msg    string // message id whose English text must be shown
	}{
		{"empty", url.Values{"text": {"  \n "}}, nil, http.StatusBadRequest, "Paste a text to assess."},
		{"unknown language", url.Values{"text": {"x"}, "text_lang": {"de"}}, nil, http.StatusBadRequest, "Choose the language of the text from the list."},
		{"too large", url.Values{"text": {big}}, nil, http.StatusRequestEntityTooLarge, "The text is too long: " + h.locale(language.English).Number(len(big)) + " bytes, and this page accepts at most 200,000."},
		{"body too large", url.Values{"text": {strings.Repeat("ї", maxAssessForm/6+10)}}, nil, http.StatusRequestEntityTooLarge, "this page accepts at most 200,000 bytes"},
		{"cross-site form", url.Values{"text": {budapest4}}, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden, "The form was sent from another site"},
		{"foreign origin", url.Values{"text": {budapest4}}, []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, http.StatusForbidden, "The form was sent from another site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := postAssess(t, h, "/assess?lang=en", tt.form, tt.header...)
			body := rec.Body.String()
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, tt.msg) {
				t.Errorf("page lacks the error %q", tt.msg)
			}
			if strings.Contains(body, `class="assess-results"`) {
				t.Error("results shown with an error")
			}
		})
	}
}

func TestHighlight(t *testing.T) {
	title := func(s assess.Span) string { return s.Dimension }
	uk := "надати військову допомогу" // 2-byte letters
	tests := []struct {
		name  string
		text  string
		spans []assess.Span
		want  []segment
	}{
		{"none", "abc", nil, []segment{{Text: "abc"}}},
		{"one mark", "shall assist now", []assess.Span{{Start: 6, End: 12, Dimension: "response", Decisive: true}},
			[]segment{{Text: "shall "}, {Text: "assist", Mark: true, Title: "response"}, {Text: " now"}}},
		{"overlapping marks merge", "attack against them all", []assess.Span{{Start: 0, End: 23, Dimension: "trigger", Decisive: true}, {Start: 0, End: 6, Dimension: "trigger", Decisive: true}},
			[]segment{{Text: "attack against them all", Mark: true, Title: "trigger"}}},
		{"a cue inside a mark is dropped", "shall assist", []assess.Span{{Start: 6, End: 12, Dimension: "response"}, {Start: 0, End: 12, Dimension: "obligation", Decisive: true}},
			[]segment{{Text: "shall assist", Mark: true, Title: "obligation"}}},
		{"cue", "shall assist", []assess.Span{{Start: 0, End: 5, Dimension: "obligation"}},
			[]segment{{Text: "shall", Cue: true, Title: "obligation"}, {Text: " assist"}}},
		{"offsets inside a letter move outward", uk, []assess.Span{{Start: 13, End: 30, Dimension: "response", Decisive: true}},
			[]segment{{Text: "надати "}, {Text: "військову", Mark: true, Title: "response"}, {Text: " допомогу"}}},
		{"out of range is clamped", "ab", []assess.Span{{Start: -5, End: 99, Decisive: true}}, []segment{{Text: "ab", Mark: true}}},
		{"empty span", "ab", []assess.Span{{Start: 1, End: 1, Decisive: true}}, []segment{{Text: "ab"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := highlight(tt.text, tt.spans, title)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("segment %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzHighlight checks that highlighting never loses, reorders or splits a
// character of the clause, whatever the offsets.
func FuzzHighlight(f *testing.F) {
	f.Add("надати військову допомогу", 3, 14, 13, 30)
	f.Add("shall assist", 0, 5, 6, 12)
	f.Fuzz(func(t *testing.T, text string, s1, e1, s2, e2 int) {
		if !utf8.ValidString(text) {
			return
		}
		spans := []assess.Span{{Start: s1, End: e1, Decisive: true}, {Start: s2, End: e2}, {Start: s2, End: e1, Decisive: true}}
		var b strings.Builder
		for _, s := range highlight(text, spans, func(assess.Span) string { return "" }) {
			if s.Text == "" || !utf8.ValidString(s.Text) {
				t.Fatalf("segment %q", s.Text)
			}
			b.WriteString(s.Text)
		}
		if b.String() != text {
			t.Fatalf("segments make %q, want %q", b.String(), text)
		}
	})
}

// Every label, dimension and value the analyser can report has a message.
func TestAssessMessagesComplete(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	for _, tag := range languages {
		l := h.locale(tag)
		for _, lb := range assess.Labels {
			l.T("assess.label." + string(lb))
			l.T("assess.about." + string(lb))
		}
		for dim, vals := range assess.DimensionValues {
			l.T("assess.dim." + dim)
			for _, v := range vals {
				l.T("assess.value." + v)
			}
		}
		for _, dim := range assess.SpanDimensions {
			l.T("assess.dim." + dim)
		}
	}
}

// The results page obeys the same strict CSP as the others: no inline
// script or style, no event handler attributes.
func TestAssessPageIsCSPCompatible(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	rec := postAssess(t, h, "/assess?lang=uk", url.Values{"text": {budapest4uk + "\n\n" + nato5}})
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("CSP %q", csp)
	}
	body := rec.Body.String()
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`<script`), regexp.MustCompile(`\son[a-z]+=`), regexp.MustCompile(`\sstyle=`), regexp.MustCompile(`<style`)} {
		if m := bad.FindString(body); m != "" {
			t.Errorf("page has %q", m)
		}
	}
}

// BenchmarkAssessPage posts a text of the page's largest size (200 kB of
// treaty clauses) and renders the results: the time a user waits for the
// server. go test ./web -run '^$' -bench AssessPage
func BenchmarkAssessPage(b *testing.B) {
	h := newTestHandler(b, newFakeMap(0))
	var sb strings.Builder
	for sb.Len()+len(nato5)+len(budapest4)+4 < maxAssessText {
		sb.WriteString(nato5 + "\n\n" + budapest4 + "\n\n")
	}
	form := url.Values{"text": {sb.String()}}
	b.SetBytes(int64(sb.Len()))
	for b.Loop() {
		if rec := postAssess(b, h, "/assess?lang=en", form); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
