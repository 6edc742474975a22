package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// runCLI runs the CLI as a user would and returns what it printed.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "pactwatch ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, err := runCLI(t, "frobnicate")
	if !errors.Is(err, errUsage) || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("got %v, %q", err, stderr)
	}
}

// Every command answers -h with its usage and succeeds.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		_, stderr, err := runCLI(t, c.name, "-h")
		if err != nil {
			t.Errorf("%s -h: %v", c.name, err)
		}
		if !strings.Contains(stderr, "Usage: pactwatch "+c.name) {
			t.Errorf("%s -h printed %q", c.name, stderr)
		}
	}
}
