package storetest

import (
	"os"
	"testing"
)

// PostgresURL returns PACTWATCH_TEST_POSTGRES, the admin URL of a
// throw-away PostgreSQL server (scripts/test.sh starts one). Without it the
// test is skipped, except under CI=true, where PostgreSQL must be tested.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PACTWATCH_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PACTWATCH_TEST_POSTGRES is not set, and CI=true requires the PostgreSQL tests to run (scripts/test.sh sets it)")
		}
		t.Skip("PACTWATCH_TEST_POSTGRES is not set: skipping the PostgreSQL tests (scripts/test.sh starts a server and sets it)")
	}
	return u
}
