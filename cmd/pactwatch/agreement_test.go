package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

const exampleAgreement = "../../examples/ukraine/agreement.yaml"

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", path, got)
	}
}

func TestAgreementCheckValid(t *testing.T) {
	out, stderr, err := runCLI(t, "agreement", "check", exampleAgreement)
	if err != nil || stderr != "" {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("check printed %q, want the hash", out)
	}
}

func TestAgreementCheckInvalid(t *testing.T) {
	file := "../../agreement/testdata/broken/overlapping-phases.yaml"
	out, stderr, err := runCLI(t, "agreement", "check", file)
	if !errors.Is(err, errSilent) || out != "" {
		t.Fatalf("got %v, stdout %q", err, out)
	}
	want := file + `:24:15: zones[1].phases[1].from: phase "two" overlaps phase "one", which runs until 2027-07-01
` + file + `:27:15: zones[1].phases[2].from: phase "three" overlaps phase "two", which has no end
` + file + `:28:16: zones[1].phases[2].until: must be after from (2027-09-01)
` + file + `: 3 problem(s)
`
	if stderr != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestAgreementShowGolden(t *testing.T) {
	text, _, err := runCLI(t, "agreement", "show", exampleAgreement)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "agreement-show.txt", text)
	js, _, err := runCLI(t, "agreement", "show", exampleAgreement, "--json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "agreement-show.json", js)
}

func TestAgreementUsage(t *testing.T) {
	for _, args := range [][]string{
		{"agreement"},
		{"agreement", "sign"},
		{"agreement", "check"},
		{"agreement", "show", "a.yaml", "b.yaml"},
	} {
		if _, _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	_, stderr, err := runCLI(t, "agreement", "check", "-h")
	if err != nil || !strings.Contains(stderr, "Usage: pactwatch agreement check FILE") {
		t.Errorf("check -h: %v %q", err, stderr)
	}
	_, _, err = runCLI(t, "agreement", "check", "no/such/file.yaml")
	if err == nil || !strings.Contains(userMessage(err), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// A commitment the agreement calls a guarantee but words as an assurance
// (consult, seek Security Council action: the Budapest pattern) is flagged;
// the file stays valid.
func TestAgreementCheckWarnsOnAssuranceWording(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(exampleAgreement)
	if err != nil {
		t.Fatal(err)
	}
	const strong = `      In the event of a confirmed violation, each guarantor shall, within 7
      days, provide Ukraine with military assistance, including the use of
      armed force, to restore the ceasefire, and the guarantors shall consult
      within 24 hours and decide a joint response within 72 hours.`
	const weak = `      In the event of a confirmed violation, the guarantors will consult
      within 24 hours and seek immediate action by the Security Council.`
	if !strings.Contains(string(data), strong) {
		t.Fatal("the example's response commitment changed; update this test")
	}
	weakened := strings.Replace(string(data), strong, weak, 1)
	if err := os.CopyFS(dir, os.DirFS(filepath.Dir(exampleAgreement))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "agreement.yaml")
	if err := os.WriteFile(file, []byte(weakened), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCLI(t, "agreement", "check", file)
	if err != nil || len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("check: %v, stdout %q", err, out)
	}
	for _, want := range []string{"warning: commitments[11].text (guarantor-response)", `kind "response"`, "reads as assurance", `"seek`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// The example itself words its response as a guarantee: no warning.
	_, stderr, err = runCLI(t, "agreement", "check", exampleAgreement)
	if err != nil || strings.Contains(stderr, "warning") {
		t.Errorf("example: %v, %q", err, stderr)
	}
}
