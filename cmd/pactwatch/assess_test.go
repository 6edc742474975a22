package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAssessTable(t *testing.T) {
	out, stderr, err := runCLI(t, "assess", "../../assess/testdata/texts/nato-excerpt.en.txt")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	for _, want := range []string{"NO  LABEL", "guarantee", `"assist"`, "assurance", `"consult"`, "no_commitment"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestAssessVerbose(t *testing.T) {
	out, stderr, err := runCLI(t, "assess", "-v", "../../assess/testdata/texts/nato-excerpt.en.txt")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	for _, want := range []string{"trigger automatic", "military_assistance", "armed_force", "discretion how", "undertaking consult"} {
		if !strings.Contains(out, want) {
			t.Errorf("verbose table lacks %q:\n%s", want, out)
		}
	}
}

func TestAssessJSONFromStdin(t *testing.T) {
	// Feed stdin through a file: runAssess reads os.Stdin for "-".
	f, err := os.CreateTemp(t.TempDir(), "in")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("Сторони консультуватимуться між собою.\n\nУ разі збройного нападу інші Сторони зобов'язані надати військову допомогу.")
	f.Seek(0, 0)
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()

	out, stderr, err := runCLI(t, "assess", "--json", "-")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var res struct {
		Clauses []map[string]json.RawMessage `json:"clauses"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Clauses) != 2 {
		t.Fatalf("%d clauses", len(res.Clauses))
	}
	var labels []string
	for _, c := range res.Clauses {
		if len(c) != 5 {
			t.Errorf("clause has keys %v", c)
		}
		var l string
		json.Unmarshal(c["label"], &l)
		labels = append(labels, l)
	}
	if labels[0] != "assurance" || labels[1] != "guarantee" {
		t.Errorf("labels %v", labels)
	}
}

func TestAssessErrors(t *testing.T) {
	if _, _, err := runCLI(t, "assess"); !errors.Is(err, errUsage) {
		t.Errorf("no file: %v", err)
	}
	_, stderr, err := runCLI(t, "assess", "--lang", "fr", "../../assess/testdata/texts/nato-excerpt.en.txt")
	if !errors.Is(err, errSilent) || !strings.Contains(stderr, "lang") {
		t.Errorf("bad lang: %v %q", err, stderr)
	}
	_, stderr, err = runCLI(t, "assess", filepath.Join(t.TempDir(), "missing.txt"))
	if !errors.Is(err, errSilent) || !strings.Contains(stderr, "cannot open") {
		t.Errorf("missing file: %v %q", err, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("- id: a\n  lang: xx\n"), 0o644)
	_, stderr, err = runCLI(t, "assess", "eval", "--set", bad)
	if !errors.Is(err, errSilent) || !strings.Contains(stderr, "items[0]") {
		t.Errorf("bad set: %v %q", err, stderr)
	}
	if _, stderr, err := runCLI(t, "assess", "eval", "-h"); err != nil || !strings.Contains(stderr, "Usage: pactwatch assess eval") {
		t.Errorf("eval -h: %v %q", err, stderr)
	}
}

func TestAssessEval(t *testing.T) {
	out, stderr, err := runCLI(t, "assess", "eval", "-v")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	for _, want := range []string{"Accuracy", "held-out split", "Confusion matrix", "conditional_guarantee", "Mean score", "uk/ru clauses labelled as their English original"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCLI(t, "assess", "eval", "--set", "../../assess/testdata/blind.yaml")
	if err != nil || !strings.Contains(out, "(") {
		t.Errorf("eval --set: %v\n%s", err, out)
	}
}
