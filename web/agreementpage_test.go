package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/assess"
)

func newAgreementHandler(t testing.TB, a *agreement.Agreement) *Handler {
	t.Helper()
	h, err := New(Options{Map: newFakeMap(0), Location: a.Location(), Now: func() time.Time { return testNow }, Agreement: a})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

// TestAgreementPageGolden compares the example agreement's page in English
// with testdata/agreement.en.html (static version hash replaced by
// "VERSION"). Regenerate with: go test ./web -run AgreementPageGolden -update
func TestAgreementPageGolden(t *testing.T) {
	h := newAgreementHandler(t, loadExample(t))
	rec := get(t, h, "/agreement?lang=en")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /agreement: %d", rec.Code)
	}
	got := strings.ReplaceAll(rec.Body.String(), "/static/"+h.assets.version+"/", "/static/VERSION/")
	path := filepath.Join("testdata", "agreement.en.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("agreement page differs from %s (run with -update and review the diff)", path)
	}
}

// TestAgreementPageContent checks, in every language, what the page must
// say whatever its layout: the hash, each commitment with its wording's
// label and decisive words marked, each protocol's steps, the group's
// members, and the phased zone's link to the map.
func TestAgreementPageContent(t *testing.T) {
	a := loadExample(t)
	h := newAgreementHandler(t, a)
	for _, lang := range []string{"en", "uk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			// html/template writes "+" as "&#43;" (keys are base64).
			body := strings.ReplaceAll(get(t, h, "/agreement?lang="+lang).Body.String(), "&#43;", "+")
			if strings.Contains(body, "⟦") {
				t.Error("untranslated message on the page")
			}
			must := []string{
				`<code class="hash" id="agreement-hash">` + a.Hash() + `</code>`,
				`pactwatch agreement check agreement.yaml`,
				`href="/map?to=2027-03-01"`, // phase-1 of the phased withdrawal
				`id="guarantor-coalition"`,
				a.Mission.Log.PublicKey,
			}
			for _, c := range a.Commitments {
				must = append(must, `id="commitment-`+c.ID+`"`)
				cl, err := assess.AssessClause(c.Text, "")
				if err != nil {
					t.Fatal(err)
				}
				must = append(must, `data-label="`+string(cl.Label)+`"`)
				for _, sp := range cl.Spans {
					if sp.Decisive {
						must = append(must, `<mark title="`)
						break
					}
				}
			}
			for _, p := range a.Protocols {
				must = append(must, `id="protocol-`+p.ID+`"`)
				for _, s := range p.Steps {
					if s.Description != "" {
						must = append(must, s.Description)
					}
				}
			}
			for _, s := range must {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
	// The members of a group are named, not listed by id.
	body := get(t, h, "/agreement?lang=en").Body.String()
	if !strings.Contains(body, "Members: United Kingdom, France, Germany") {
		t.Error("the coalition's members are not named")
	}
	// Rules in words, with their parameters.
	for _, s := range []string{
		"Broken by a weapon of a listed class seen closer to Ukraine&#39;s line",
		"Tornado-S / Uragan / Smerch</dt><dd>70 km",
		"Broken if not done by 1 January 2030.",
		"3 confirmed cases within 30 days start the protocol “Systematic violation”.",
		"within 6 hours",
		"30 years (until 1 October 2056)",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

// TestAgreementCanonicalJSON checks that the served canonical form hashes
// to the hash the page shows, which is what the page tells users to check.
func TestAgreementCanonicalJSON(t *testing.T) {
	a := loadExample(t)
	h := newAgreementHandler(t, a)
	rec := get(t, h, "/agreement/canonical.json")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("canonical.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	sum := sha256.Sum256(rec.Body.Bytes())
	if got := hex.EncodeToString(sum[:]); got != a.Hash() {
		t.Errorf("sha256 of the served canonical JSON = %s, the agreement's hash %s", got, a.Hash())
	}
}

// TestAgreementPageAbsent: without an agreement the page does not exist
// and the header does not link it.
func TestAgreementPageAbsent(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	if rec := get(t, h, "/agreement"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /agreement without an agreement: %d, want 404", rec.Code)
	}
	if strings.Contains(get(t, h, "/map").Body.String(), `href="/agreement"`) {
		t.Error("the header links /agreement without an agreement")
	}
}

// TestAgreementPageWeakerWording: a commitment the agreement calls the
// guarantors' response whose wording reads as an assurance gets the same
// warning as `pactwatch agreement check`; a ceasefire read as an assurance
// of restraint does not (it promises conduct, not a response).
func TestAgreementPageWeakerWording(t *testing.T) {
	a := loadExample(t)
	c := a.Commitment("guarantor-response")
	c.Text = "In the event of a confirmed violation, the guarantors will consult one another and seek immediate action by the United Nations Security Council."
	if cl, err := assess.AssessClause(c.Text, ""); err != nil || cl.Label.IsGuarantee() {
		t.Fatalf("test text reads as %v (%v), want something weaker than a guarantee", cl.Label, err)
	}
	body := get(t, newAgreementHandler(t, a), "/agreement?lang=en").Body.String()
	if n := strings.Count(body, `class="form-error wording-weaker"`); n != 1 {
		t.Errorf("%d wording warnings, want 1", n)
	}
	_, rest, _ := strings.Cut(body, `id="commitment-guarantor-response"`)
	if !strings.Contains(rest, "but its wording reads as “Assurance”") {
		t.Error("the guarantors' response has no warning naming its label")
	}
	// The example's own wording is a guarantee: no warning.
	if strings.Contains(get(t, newAgreementHandler(t, loadExample(t)), "/agreement").Body.String(), "wording-weaker") {
		t.Error("warning on the example agreement, whose response reads as a guarantee")
	}
}

// BenchmarkAgreementPage renders the example agreement's page: the
// wording is assessed once at start, so a request only formats and
// renders. go test -run '^$' -bench AgreementPage ./web
func BenchmarkAgreementPage(b *testing.B) {
	h := newAgreementHandler(b, loadExample(b))
	for b.Loop() {
		if rec := get(b, h, "/agreement?lang=uk"); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// pipelineAgreement is an Incidents that only knows its agreement: without
// Options.Agreement the page shows the one the pipeline enforces.
type pipelineAgreement struct {
	incidentSource // its other methods are never called (nil: they would panic)
	a              *agreement.Agreement
}

// incidentSource names Incidents for embedding (a field named Incidents
// would hide the interface's own Incidents method).
type incidentSource = Incidents

func (p pipelineAgreement) Agreement() *agreement.Agreement { return p.a }

func TestAgreementPageFromPipeline(t *testing.T) {
	a := loadExample(t)
	h, err := New(Options{Map: newFakeMap(0), Now: func() time.Time { return testNow }, Incidents: pipelineAgreement{a: a}})
	if err != nil {
		t.Fatal(err)
	}
	if body := get(t, h, "/agreement").Body.String(); !strings.Contains(body, a.Hash()) {
		t.Error("/agreement does not show the pipeline's agreement")
	}
}

// TestAgreementPageSettings: the verification and case settings are the
// ones the pipeline runs with — the agreement's where it sets them.
func TestAgreementPageSettings(t *testing.T) {
	a := loadExample(t)
	three := 3
	a.Verification.Corroboration.MinIndependent = &three
	a.Cases.TwoPersonRule = false
	a.Cases.DisputePausesDeadlines = true
	body := get(t, newAgreementHandler(t, a), "/agreement?lang=en").Body.String()
	for _, s := range []string{
		"An incident is corroborated by 3 reports from different reporters and kinds of source.",
		"graded A/B corroborates it too",
		"One analyst confirms a case.",
		"A party&#39;s open dispute pauses the case&#39;s response deadlines.",
		"A violation opens a case when it is at least serious.",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}
