package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/client"
	"github.com/pactwatch/pactwatch/vocab"
)

// paced runs an API call, waiting and retrying while the server's rate
// limit (per principal) refuses it: the analysts work at the pace the
// server allows.
func paced(ctx context.Context, call func() error) error {
	for {
		err := call()
		if pactwatch.ErrorCode(err) != pactwatch.ERATELIMIT {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// analystToken creates the nth simulated analyst (or reads its saved
// token).
func analystToken(ctx context.Context, cfg Config, n int) (string, error) {
	file := filepath.Join(cfg.Dir, fmt.Sprintf("analyst-%d.token", n))
	if b, err := os.ReadFile(file); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	from := cfg.Now().UTC().Add(-time.Duration(max(cfg.Days, 3)+1) * 24 * time.Hour)
	var np client.NewPrincipal
	err := paced(ctx, func() (err error) {
		np, err = cfg.Client.AddPrincipal(ctx, client.PrincipalRequest{Name: fmt.Sprintf("demo analyst %d", n), Role: string(vocab.RoleAnalyst), ValidFrom: &from})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("demo: registering analyst %d: %w", n, err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return "", err
	}
	return np.Token, os.WriteFile(file, []byte(np.Token+"\n"), 0o600)
}
