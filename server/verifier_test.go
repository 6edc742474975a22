package server

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/url"
	"sync"
	"testing"
)

// Batches with bad signatures anywhere find exactly the bad ones, also
// when concurrent requests share batches.
func TestVerifier(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newVerifier(ctx, 2)
	pub, priv, _ := ed25519.GenerateKey(nil)
	make1 := func(i int, bad bool) sigCheck {
		msg := []byte(fmt.Sprintf("message %d", i))
		sig := ed25519.Sign(priv, msg)
		if bad {
			sig[5] ^= 1
		}
		return sigCheck{pub: pub, msg: msg, sig: sig}
	}
	for _, n := range []int{1, 2, 63, 64, 65, 200} {
		for _, badAt := range []int{-1, 0, n / 2, n - 1} {
			checks := make([]sigCheck, n)
			for i := range checks {
				checks[i] = make1(i, i == badAt)
			}
			ok, err := v.verify(ctx, checks)
			if err != nil {
				t.Fatal(err)
			}
			for i, good := range ok {
				if good != (i != badAt) {
					t.Errorf("n=%d bad=%d: check %d = %v", n, badAt, i, good)
				}
			}
		}
	}
	// Short keys and signatures fail without failing their neighbours.
	ok, _ := v.verify(ctx, []sigCheck{make1(1, false), {pub: pub[:5], msg: []byte("x"), sig: make([]byte, 64)}, {pub: pub, msg: []byte("y"), sig: []byte{1}}, make1(2, false)})
	if !ok[0] || ok[1] || ok[2] || !ok[3] {
		t.Errorf("malformed checks: %v", ok)
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make1(g, g%5 == 0)
			ok, err := v.verify(ctx, []sigCheck{c})
			if err != nil || ok[0] != (g%5 != 0) {
				t.Errorf("concurrent %d: %v %v", g, ok, err)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkVerifierSingles(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newVerifier(ctx, 2)
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("pactwatch/observation/v1\n{}")
	c := sigCheck{pub: pub, msg: msg, sig: ed25519.Sign(priv, msg)}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := v.verify(ctx, []sigCheck{c}); !ok[0] {
				b.Fatal("bad signature")
			}
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z", "bbox=37,47,38,48", "category=explosion&limit=5&cursor=9", "bbox=1,2,3", "limit=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		flt, err := parseFilter(vals)
		if err != nil {
			return
		}
		if flt.Limit < 0 || flt.After < 0 {
			t.Errorf("%q: accepted %+v", q, flt)
		}
		if b := flt.BBox; b != nil && (b[0] > b[2] || b[1] > b[3]) {
			t.Errorf("%q: accepted inverted bbox %v", q, *b)
		}
	})
}

func FuzzIsBatch(f *testing.F) {
	f.Add([]byte(`{"observations":[]}`))
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(` [ ] `))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = isBatch(data) // must not panic
	})
}

func TestCheckPublicKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	if err := CheckPublicKey(pub); err != nil {
		t.Errorf("a real key: %v", err)
	}
	identity := make([]byte, 32)
	identity[0] = 1
	nonCanonical := make([]byte, 32) // y = p+1 encodes y = 1, the identity, non-canonically
	copy(nonCanonical, []byte{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	for name, k := range map[string][]byte{"zero": make([]byte, 32), "identity": identity, "non-canonical": nonCanonical, "short": pub[:31]} {
		if err := CheckPublicKey(k); err == nil {
			t.Errorf("%s key accepted", name)
		}
	}
}
