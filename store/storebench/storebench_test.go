package storebench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	for _, kind := range []string{"observation", "record"} {
		var out bytes.Buffer
		if err := Run(context.Background(), Config{Records: 2500, Batch: 100, Writers: 3, Kind: kind}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "records/s") || !strings.Contains(out.String(), "2500 "+kind+"s") {
			t.Fatalf("output %q", out.String())
		}
	}
	if err := Run(context.Background(), Config{Kind: "nope"}, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

func TestRedact(t *testing.T) {
	if got := redact("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Fatalf("redact kept the password: %s", got)
	}
}

// benchmark appends b.N records; records/s counts only the appending (ns/op
// also includes building the records and opening the store).
func benchmark(b *testing.B, kind string, batch, writers int) {
	res, err := Measure(context.Background(), Config{Records: max(b.N, batch), Batch: batch, Writers: writers, Kind: kind})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.PerSec, "records/s")
}

func BenchmarkObservationsBatch1000(b *testing.B) { benchmark(b, "observation", 1000, 4) }
func BenchmarkRecordsBatch1000(b *testing.B)      { benchmark(b, "record", 1000, 4) }

// BenchmarkObservationsSingle is 64 concurrent single-record calls: what
// group commit is for.
func BenchmarkObservationsSingle(b *testing.B) { benchmark(b, "observation", 1, 64) }
