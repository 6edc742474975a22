package observation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
)

// vector is one entry of testdata/vectors.json, produced by
// testdata/gen_vectors.py (Python, from the specification, not from this
// package), so these tests check two implementations against each other.
type vector struct {
	Name               string `json:"name"`
	SeedHex            string `json:"seed_hex"`
	PublicKey          string `json:"public_key"`
	KeyID              string `json:"key_id"`
	Observation        string `json:"observation"`
	SigningBytesHex    string `json:"signing_bytes_hex"`
	SigningBytesBase64 string `json:"signing_bytes_base64"`
	Signature          string `json:"signature"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			seed, _ := hex.DecodeString(v.SeedHex)
			priv := ed25519.NewKeyFromSeed(seed)
			pub := priv.Public().(ed25519.PublicKey)
			if got := base64.StdEncoding.EncodeToString(pub); got != v.PublicKey {
				t.Fatalf("public key %s, want %s", got, v.PublicKey)
			}
			if got := KeyID(pub); got != v.KeyID {
				t.Fatalf("KeyID %s, want %s", got, v.KeyID)
			}
			o, err := Decode([]byte(v.Observation))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := o.Validate(o.SignedAt.Add(time.Minute), time.Minute); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			msg, err := SigningBytes(o)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := hex.DecodeString(v.SigningBytesHex)
			if !bytes.Equal(msg, want) {
				t.Fatalf("signing bytes\n got %q\nwant %q", msg, want)
			}
			if base64.StdEncoding.EncodeToString(msg) != v.SigningBytesBase64 {
				t.Fatal("base64 of signing bytes differs from the hex")
			}
			if err := Verify(o, pub); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			resigned := o
			if err := Sign(&resigned, priv); err != nil {
				t.Fatal(err)
			}
			if resigned.Signature != v.Signature || resigned.Reporter != v.KeyID {
				t.Fatalf("Sign gave %s/%s, want %s/%s", resigned.Reporter, resigned.Signature, v.KeyID, v.Signature)
			}
		})
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	v := loadVectors(t)[1]
	seed, _ := hex.DecodeString(v.SeedHex)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	other, _, _ := ed25519.GenerateKey(nil)
	good, err := Decode([]byte(v.Observation))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		edit   func(o *Observation)
		pub    ed25519.PublicKey
		field  string
		substr string
	}{
		{"count", func(o *Observation) { o.Count++ }, pub, "signature", "does not verify"},
		{"target moved", func(o *Observation) { o.Target.Lat += 0.0001 }, pub, "signature", "does not verify"},
		{"narrative", func(o *Observation) { o.Narrative += " " }, pub, "signature", "does not verify"},
		{"evidence dropped", func(o *Observation) { o.Evidence = nil }, pub, "signature", "does not verify"},
		{"signed later", func(o *Observation) { o.SignedAt = o.SignedAt.Add(time.Second) }, pub, "signature", "does not verify"},
		{"other key", func(o *Observation) {}, other, "reporter", "not the key id"},
		{"reporter swapped", func(o *Observation) { o.Reporter = KeyID(other) }, pub, "reporter", "not the key id"},
		{"no signature", func(o *Observation) { o.Signature = "" }, pub, "signature", "missing"},
		{"short signature", func(o *Observation) { o.Signature = o.Signature[:40] }, pub, "signature", "64-byte"},
		{"unpadded", func(o *Observation) { o.Signature = o.Signature[:86] }, pub, "signature", "base64"},
		{"bad public key", func(o *Observation) {}, pub[:31], "reporter", "not an ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tgt := *good.Target
			o.Target = &tgt
			o.Evidence = append([]string(nil), good.Evidence...)
			tt.edit(&o)
			err := Verify(o, tt.pub)
			assertFieldError(t, err, tt.field, tt.substr)
		})
	}
}

func TestSigningBytesIgnoresLocationAndSignature(t *testing.T) {
	o := validObservation()
	a, err := SigningBytes(o)
	if err != nil {
		t.Fatal(err)
	}
	kyiv := time.FixedZone("EET", 2*3600)
	o.ObservedAt = o.ObservedAt.In(kyiv)
	o.SignedAt = o.SignedAt.In(kyiv)
	o.Signature = "anything"
	b, err := SigningBytes(o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("signing bytes depend on time zone or signature:\n%s\n%s", a, b)
	}
	if !bytes.HasPrefix(a, []byte(SigningContext+"{")) {
		t.Fatalf("signing bytes do not start with the context: %q", a[:40])
	}
}

func TestSignThenDecodeRoundTrip(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	o := validObservation()
	if err := Sign(&o, priv); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode of a signed observation: %v\n%s", err, data)
	}
	if err := Verify(got, priv.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
}

func TestSignRejectsBadKey(t *testing.T) {
	o := validObservation()
	if err := Sign(&o, ed25519.PrivateKey{1, 2, 3}); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
		t.Fatalf("Sign with a short key: %v", err)
	}
}

func TestCanonicalRecordGolden(t *testing.T) {
	r := Record{
		Observation: validObservation(),
		ReceivedAt:  time.Date(2026, 11, 20, 6, 20, 1, 500_000_000, time.FixedZone("EET", 2*3600)),
		PrincipalID: "p-monitor-7",
		Seq:         42,
	}
	r.Reporter = "21fe31dfa154a261"
	r.Signature = base64.StdEncoding.EncodeToString(make([]byte, 64))
	got, err := CanonicalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/record.golden", got)
	r.Seq = 43
	again, _ := CanonicalRecord(r)
	if !bytes.Equal(got, again) {
		t.Fatal("seq changed the canonical record")
	}
}

// checkGolden compares got with a golden file; PACTWATCH_UPDATE_GOLDEN=1
// rewrites it.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv("PACTWATCH_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (PACTWATCH_UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n got %s\nwant %s", path, got, want)
	}
}

func BenchmarkSigningBytes(b *testing.B) {
	o := validObservation()
	for b.Loop() {
		if _, err := SigningBytes(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	o := validObservation()
	if err := Sign(&o, priv); err != nil {
		b.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	for b.Loop() {
		if err := Verify(o, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data := []byte(loadVectors(b)[1].Observation)
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCanonical decodes bodies written by Marshal, the fast path.
func BenchmarkDecodeCanonical(b *testing.B) {
	o, err := Decode([]byte(loadVectors(b)[1].Observation))
	if err != nil {
		b.Fatal(err)
	}
	data, err := Marshal(o)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, v := range loadVectors(t) {
		o, err := Decode([]byte(v.Observation))
		if err != nil {
			t.Fatal(err)
		}
		data, err := Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceJCS(t, o); string(data) != want {
			t.Fatalf("Marshal is not RFC 8785:\n got %s\nwant %s", data, want)
		}
		back, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := SigningBytes(o)
		b, _ := SigningBytes(back)
		if !bytes.Equal(a, b) || back.Signature != v.Signature {
			t.Fatal("Marshal then Decode changed the observation")
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	o := validObservation()
	for b.Loop() {
		if err := o.Validate(testNow, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalRecordAndPublic(b *testing.B) {
	r := testRecord()
	for b.Loop() {
		if _, err := CanonicalRecord(r); err != nil {
			b.Fatal(err)
		}
		if _, err := CanonicalPublic(Public(r)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBatch64 decodes a batch of 64 canonical observations.
func BenchmarkDecodeBatch64(b *testing.B) {
	o, err := Decode([]byte(loadVectors(b)[1].Observation))
	if err != nil {
		b.Fatal(err)
	}
	one, _ := Marshal(o)
	data := append([]byte(`{"observations":[`), one...)
	for range 63 {
		data = append(append(data, ','), one...)
	}
	data = append(data, "]}"...)
	for b.Loop() {
		obs, err := DecodeBatch(data)
		if err != nil || len(obs) != 64 {
			b.Fatal(err)
		}
	}
}
