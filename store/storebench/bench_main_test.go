package storebench

import (
	"context"
	"os"
	"strconv"
	"testing"
)

func TestPrintFigure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SB_N"))
	if n == 0 {
		t.Skip()
	}
	b, _ := strconv.Atoi(os.Getenv("SB_BATCH"))
	w, _ := strconv.Atoi(os.Getenv("SB_W"))
	if err := Run(context.Background(), Config{Records: n, Batch: b, Writers: w, Kind: os.Getenv("SB_KIND"), DSN: os.Getenv("SB_DSN")}, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
