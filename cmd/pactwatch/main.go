// Command pactwatch runs a peace agreement's monitoring and guarantee
// machinery: see README.md and `pactwatch help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (if any) and maps it to the process exit status:
// 0 success, 1 failure (such as an invalid agreement), 2 usage errors.
func exitCode(err error, stderr *os.File) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errSilent):
		return 1
	default:
		fmt.Fprintln(stderr, "pactwatch:", userMessage(err))
		return 1
	}
}
