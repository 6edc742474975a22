package notify

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
)

// FuzzVerify: Verify never panics, accepts what Sign signed, and refuses
// the same request with any other body.
func FuzzVerify(f *testing.F) {
	s := testSigner()
	f.Add("1796083200", "k", "ed25519=AAAA", []byte(`{}`))
	f.Add("-1", "", "", []byte{})
	f.Add("99999999999999999999", "a\nb", "ed25519=", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, key, sig string, body []byte) {
		_ = Verify(s.PublicKey(), ts, key, sig, body, t0, 5*time.Minute)
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || n < -1<<40 || n > 1<<40 {
			return
		}
		good := s.Sign(n, key, body)
		now := time.Unix(n, 0)
		err = Verify(s.PublicKey(), ts, key, good, body, now, time.Minute)
		if key == "" || containsNewline(key) {
			if err == nil {
				t.Fatal("accepted a malformed key")
			}
			return
		}
		if err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if Verify(s.PublicKey(), ts, key, good, append(body, 0), now, time.Minute) == nil {
			t.Fatal("accepted another body")
		}
	})
}

func containsNewline(s string) bool {
	for _, r := range s {
		if r == '\n' || r == '\r' {
			return true
		}
	}
	return false
}

// FuzzParseAllow: every accepted entry is a valid, masked prefix that
// contains the address written.
func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.0.0.0/8", "::1", "fe80::1%eth0", "::ffff:1.2.3.4", "1.2.3.4/33", "host"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseAllow([]string{s})
		if err != nil {
			if pactwatch.ErrorCode(err) != pactwatch.EINVALID {
				t.Fatalf("code %s", pactwatch.ErrorCode(err))
			}
			return
		}
		if len(ps) != 1 || !ps[0].IsValid() || ps[0] != ps[0].Masked() {
			t.Fatalf("%q → %v", s, ps)
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" && !ps[0].Contains(a.Unmap()) {
			t.Fatalf("%q → %v does not contain it", s, ps)
		}
	})
}
