package server

import (
	"context"
	"crypto/ed25519"

	"github.com/hdevalence/ed25519consensus"
)

// maxVerifyBatch is how many signatures one batch verification takes. The
// gain of batch verification flattens out around 64.
const maxVerifyBatch = 64

// sigCheck is one signature to verify.
type sigCheck struct {
	pub ed25519.PublicKey
	msg []byte
	sig []byte
}

// verifyJob is a request's share of work: its checks and where to report
// which passed.
type verifyJob struct {
	checks []sigCheck
	ok     []bool
	done   chan struct{}
}

// verifier checks ed25519 signatures in batches
// (github.com/hdevalence/ed25519consensus, ZIP-215 rules), coalescing the
// checks of concurrent requests: a single-observation request waiting while
// others are being verified joins the next batch instead of paying for a
// verification of its own. A failed batch is re-checked one signature at a
// time to find the bad ones.
type verifier struct {
	jobs chan *verifyJob
}

func newVerifier(ctx context.Context, workers int) *verifier {
	v := &verifier{jobs: make(chan *verifyJob, 4096)}
	for range workers {
		go v.work(ctx)
	}
	return v
}

// verify reports, per check, whether its signature is valid. Large
// requests are split into chunks so that all workers share them.
func (v *verifier) verify(ctx context.Context, checks []sigCheck) ([]bool, error) {
	ok := make([]bool, len(checks))
	var jobs []*verifyJob
	for i := 0; i < len(checks); i += maxVerifyBatch {
		j := min(i+maxVerifyBatch, len(checks))
		job := &verifyJob{checks: checks[i:j], ok: ok[i:j], done: make(chan struct{})}
		select {
		case v.jobs <- job:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		jobs = append(jobs, job)
	}
	for _, job := range jobs {
		select {
		case <-job.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return ok, nil
}

func (v *verifier) work(ctx context.Context) {
	batch := make([]*verifyJob, 0, maxVerifyBatch)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case j := <-v.jobs:
			batch = append(batch, j)
		}
		n := len(batch[0].checks)
	drain:
		for n < maxVerifyBatch {
			select {
			case j := <-v.jobs:
				batch = append(batch, j)
				n += len(j.checks)
			default:
				break drain
			}
		}
		verifyBatch(batch, n)
		for _, j := range batch {
			close(j.done)
		}
	}
}

// verifyBatch fills every job's ok slice.
func verifyBatch(batch []*verifyJob, n int) {
	if n == 1 {
		c := batch[0].checks[0]
		batch[0].ok[0] = len(c.pub) == ed25519.PublicKeySize && ed25519consensus.Verify(c.pub, c.msg, c.sig)
		return
	}
	bv := ed25519consensus.NewPreallocatedBatchVerifier(n)
	for _, j := range batch {
		for _, c := range j.checks {
			bv.Add(c.pub, c.msg, c.sig)
		}
	}
	if bv.Verify() {
		for _, j := range batch {
			for i := range j.ok {
				j.ok[i] = true
			}
		}
		return
	}
	for _, j := range batch {
		for i, c := range j.checks {
			j.ok[i] = len(c.pub) == ed25519.PublicKeySize && ed25519consensus.Verify(c.pub, c.msg, c.sig)
		}
	}
}
