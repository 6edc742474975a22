package main

import "testing"

func TestSplitStep(t *testing.T) {
	for _, tc := range []struct {
		id, run, key string
		ok           bool
	}{
		{"case-1/respond/consult/us", "case-1/respond", "consult/us", true},
		{"case-1/guarantor-response/notify/mission", "case-1/guarantor-response", "notify/mission", true},
		{"consult/us", "", "", false},
		{"case-1/respond/consult/", "", "", false},
		{"case-1/respond//us", "", "", false},
		{"", "", "", false},
	} {
		run, key, ok := splitStep(tc.id)
		if ok != tc.ok || (ok && (run != tc.run || key != tc.key)) {
			t.Errorf("splitStep(%q) = %q, %q, %v; want %q, %q, %v", tc.id, run, key, ok, tc.run, tc.key, tc.ok)
		}
	}
}
