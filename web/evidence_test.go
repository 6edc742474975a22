package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
)

// testPicture is a small gradient, so re-encoding has pixels to keep.
func testPicture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

// gpsMarker is text inside the EXIF block the tests look for afterwards.
const gpsMarker = "PACTWATCH-CAMERA-SERIAL-0042"

// exifJPEG builds a JPEG whose APP1 segment is an EXIF block, as a phone
// writes it: a TIFF header, IFD0 with the camera's model (gpsMarker) and
// a pointer to a GPS IFD holding latitude 48°0'0" N and longitude 37°36'0" E.
func exifJPEG(t testing.TB) []byte { return exifJPEGOf(t, testPicture(64, 48), 0) }

// exifJPEGOf is exifJPEG of img, with an Orientation tag when orientation
// is not 0.
func exifJPEGOf(t testing.TB, img image.Image, orientation uint16) []byte {
	t.Helper()
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var tiff []byte
	u16 := func(v uint16) { tiff = le.AppendUint16(tiff, v) }
	u32 := func(v uint32) { tiff = le.AppendUint32(tiff, v) }
	entry := func(tag, typ uint16, count, value uint32) { u16(tag); u16(typ); u32(count); u32(value) }
	// Layout: header (8) | IFD0: n0 entries (2+12·n0+4) | GPS IFD: 4
	// entries (2+48+4) | model text | latitude and longitude rationals.
	n0 := uint32(2)
	if orientation != 0 {
		n0++
	}
	const ifd0 = 8
	gpsIFD := ifd0 + 2 + 12*n0 + 4
	model := gpsMarker + "\x00"
	modelAt := gpsIFD + 54
	latAt := modelAt + uint32(len(model))
	lonAt := latAt + 24
	tiff = append(tiff, 'I', 'I')
	u16(42)
	u32(ifd0)
	u16(uint16(n0))
	entry(0x0110, 2, uint32(len(model)), modelAt) // Model, ASCII
	if orientation != 0 {
		entry(0x0112, 3, 1, uint32(orientation)) // Orientation, SHORT
	}
	entry(0x8825, 4, 1, gpsIFD) // GPSInfo IFD pointer
	u32(0)
	u16(4)
	entry(0x0001, 2, 2, uint32('N')) // GPSLatitudeRef "N"
	entry(0x0002, 5, 3, latAt)       // GPSLatitude
	entry(0x0003, 2, 2, uint32('E')) // GPSLongitudeRef "E"
	entry(0x0004, 5, 3, lonAt)       // GPSLongitude
	u32(0)
	tiff = append(tiff, model...)
	for _, v := range []uint32{48, 1, 0, 1, 0, 1, 37, 1, 36, 1, 0, 1} {
		u32(v)
	}
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	seg = append(seg, app1...)
	src := plain.Bytes()
	out := append(append(append([]byte{}, src[:2]...), seg...), src[2:]...)
	// The file is a valid JPEG that still carries its EXIF block.
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("built EXIF JPEG does not decode: %v", err)
	}
	if !bytes.Contains(out, []byte("Exif\x00\x00II*\x00")) || !bytes.Contains(out, []byte(gpsMarker)) {
		t.Fatal("built JPEG lacks its EXIF block")
	}
	return out
}

// TestReencodeOrients: a photo stored sideways with an EXIF orientation
// comes out standing as the camera was held, for each of the eight
// orientations. The source is 64×48 with a red top-left corner; the test
// looks for the red corner where the orientation puts it.
func TestReencodeOrients(t *testing.T) {
	src := testPicture(64, 48)
	for y := range 12 {
		for x := range 12 {
			src.Set(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	tests := []struct {
		o          uint16
		w, h       int
		redX, redY int // a point inside the red corner after orienting
	}{
		{1, 64, 48, 3, 3},
		{2, 64, 48, 60, 3},
		{3, 64, 48, 60, 44},
		{4, 64, 48, 3, 44},
		{5, 48, 64, 3, 3},
		{6, 48, 64, 44, 3},
		{7, 48, 64, 44, 60},
		{8, 48, 64, 3, 60},
	}
	for _, tc := range tests {
		out, _, err := reencodeImage(exifJPEGOf(t, src, tc.o))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("orientation %d: %d×%d, want %d×%d", tc.o, b.Dx(), b.Dy(), tc.w, tc.h)
			continue
		}
		r, g, _, _ := img.At(tc.redX, tc.redY).RGBA()
		if r < 0xc000 || g > 0x4000 {
			t.Errorf("orientation %d: (%d,%d) is not red (r=%#x g=%#x)", tc.o, tc.redX, tc.redY, r, g)
		}
	}
	if got := jpegOrientation([]byte{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff}); got != 1 {
		t.Errorf("truncated segment: orientation %d, want 1", got)
	}
}

// pngWithText is a PNG with a tEXt chunk (where tools put comments and
// locations) inserted before its image data.
func pngWithText(t testing.TB, key, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testPicture(40, 30)); err != nil {
		t.Fatal(err)
	}
	src := buf.Bytes()
	ihdrEnd := 8 + 4 + 4 + 13 + 4
	data := append([]byte(key+"\x00"), text...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	typed := append([]byte("tEXt"), data...)
	chunk = append(chunk, typed...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(typed))
	return append(append(append([]byte{}, src[:ihdrEnd]...), chunk...), src[ihdrEnd:]...)
}

// pngClaiming is a PNG header that claims w×h pixels: a decompression
// bomb needs nothing more to make a naive decoder allocate w×h×4 bytes.
func pngClaiming(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	typed := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, typed...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(typed))
}

func TestReencodeStripsMetadata(t *testing.T) {
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, testPicture(30, 20), nil); err != nil {
		t.Fatal(err)
	}
	gifWithComment := append(bytes.Clone(gifBuf.Bytes()[:len(gifBuf.Bytes())-1]),
		0x21, 0xfe, byte(len(gpsMarker)))
	gifWithComment = append(append(gifWithComment, gpsMarker...), 0, 0x3b)
	tests := []struct {
		name, wantType string
		in             []byte
		w, h           int
	}{
		{"JPEG with EXIF GPS", "image/jpeg", exifJPEG(t), 64, 48},
		{"PNG with a text chunk", "image/png", pngWithText(t, "Comment", gpsMarker), 40, 30},
		{"GIF with a comment", "image/png", gifWithComment, 30, 20},
		{"JPEG with trailing bytes", "image/jpeg", append(exifJPEG(t), gpsMarker...), 64, 48},
	}
	for _, tc := range tests {
		if !bytes.Contains(tc.in, []byte(gpsMarker)) {
			t.Fatalf("%s: input lacks the marker", tc.name)
		}
		out, ctype, err := reencodeImage(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ctype != tc.wantType {
			t.Errorf("%s: type %s, want %s", tc.name, ctype, tc.wantType)
		}
		for _, leak := range []string{gpsMarker, "Exif", "II*\x00", "tEXt", "\xff\xe1"} {
			if bytes.Contains(out, []byte(leak)) {
				t.Errorf("%s: output still holds %q", tc.name, leak)
			}
		}
		img, _, err := image.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: output does not decode: %v", tc.name, err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: output %v, want %d×%d", tc.name, b, tc.w, tc.h)
		}
	}
}

func TestReencodeLimits(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"bomb: 100000×100000 claimed", pngClaiming(100000, 100000), errImageTooLarge},
		{"one side too long", pngClaiming(maxImageSide+1, 10), errImageTooLarge},
		{"too many pixels", pngClaiming(10000, 10000), errImageTooLarge},
		{"zero width", pngClaiming(0, 10), errNotImage},
		{"header only, within limits", pngClaiming(100, 100), errNotImage},
		{"PDF", []byte("%PDF-1.4"), errNotImage},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), errNotImage},
		{"empty", nil, errNotImage},
	}
	for _, tc := range tests {
		if _, _, err := reencodeImage(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A large photo is scaled down to fit the preview.
	var big bytes.Buffer
	if err := jpeg.Encode(&big, testPicture(3000, 1000), nil); err != nil {
		t.Fatal(err)
	}
	out, _, err := reencodeImage(big.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
	if err != nil || cfg.Width != previewSide || cfg.Height != previewSide/3 {
		t.Errorf("3000×1000 preview is %d×%d (%v), want %d×%d", cfg.Width, cfg.Height, err, previewSide, previewSide/3)
	}
}

// FuzzReencodeImage: whatever the bytes, re-encoding does not panic, and
// what it returns decodes within the preview's size.
func FuzzReencodeImage(f *testing.F) {
	f.Add(exifJPEG(f))
	f.Add(pngWithText(f, "Comment", "x"))
	f.Add(pngClaiming(100000, 100000))
	var g bytes.Buffer
	gif.Encode(&g, testPicture(8, 8), nil)
	f.Add(g.Bytes())
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A lower pixel cap keeps each run fast: a few bytes claiming
		// 6000×6000 pixels would have the decoder allocate 144 MB.
		out, _, err := reencode(data, 1<<20)
		if err != nil {
			return
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-encoded image does not decode: %v", err)
		}
		if cfg.Width > previewSide || cfg.Height > previewSide {
			t.Fatalf("preview %d×%d exceeds %d", cfg.Width, cfg.Height, previewSide)
		}
	})
}

// TestEvidenceEndpoints: the preview carries no metadata and is served
// inert; files are for reviewers, and only files of the incident's own
// observations.
func TestEvidenceEndpoints(t *testing.T) {
	f := newReviewFixture(t)
	base := "/incidents/" + f.a + "/evidence/"
	rec := get(t, f.h, base+f.jpeg, "Cookie", sessionCookie+"=analyst-token")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("preview: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if body := rec.Body.Bytes(); bytes.Contains(body, []byte(gpsMarker)) || bytes.Contains(body, []byte("Exif")) {
		t.Error("the preview keeps the EXIF block")
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("preview served without sandbox/nosniff: %q", csp)
	}
	tests := []struct {
		name, token, path string
		status            int
	}{
		{"public", "", base + f.jpeg, http.StatusNotFound},
		{"liaison", "liaison-token", base + f.jpeg, http.StatusNotFound},
		{"auditor", "auditor-token", base + f.jpeg, http.StatusOK},
		{"not an image", "analyst-token", base + f.doc, http.StatusUnsupportedMediaType},
		{"download", "analyst-token", base + f.doc + "/file", http.StatusOK},
		{"public download", "", base + f.doc + "/file", http.StatusNotFound},
		{"another incident's file", "analyst-token", "/incidents/" + f.b + "/evidence/" + f.jpeg, http.StatusNotFound},
		{"not a hash", "analyst-token", base + "..%2f..%2fetc", http.StatusNotFound},
		{"unknown incident", "analyst-token", "/incidents/inc-nope/evidence/" + f.jpeg, http.StatusNotFound},
	}
	for _, tc := range tests {
		var hdr []string
		if tc.token != "" {
			hdr = []string{"Cookie", sessionCookie + "=" + tc.token}
		}
		rec := get(t, f.h, tc.path, hdr...)
		if rec.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.status)
		}
		if tc.name == "download" {
			if rec.Header().Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") {
				t.Errorf("download served as %q, %q", rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"))
			}
		}
	}
}

// fakeEvidenceStore is the store side of StoredEvidence.
type fakeEvidenceStore map[string]store.Evidence

func (fakeEvidenceStore) Observation(context.Context, string) (observation.Record, error) {
	return observation.Record{}, pactwatch.Errorf(pactwatch.ENOTFOUND, "none")
}

func (s fakeEvidenceStore) Evidence(_ context.Context, sum string) (store.Evidence, error) {
	ev, ok := s[sum]
	if !ok {
		return ev, pactwatch.Errorf(pactwatch.ENOTFOUND, "no evidence %s", sum)
	}
	return ev, nil
}

// TestStoredEvidenceLayout reads a file where the server puts it
// (<dir>/<ab>/<abcdef…>) and refuses anything but a hash.
func TestStoredEvidenceLayout(t *testing.T) {
	dir := t.TempDir()
	data := []byte("evidence bytes")
	sum := sha256Hex(data)
	if err := os.MkdirAll(filepath.Join(dir, sum[:2]), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, sum[:2], sum), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := StoredEvidence{Store: fakeEvidenceStore{sum: {SHA256: sum, Size: int64(len(data)), MediaType: "text/plain"}}, Dir: dir}
	ev, rc, err := s.OpenEvidence(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) || ev.MediaType != "text/plain" {
		t.Errorf("read %q (%s)", got, ev.MediaType)
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.ToUpper(sum), sum[:63]} {
		if _, _, err := s.OpenEvidence(context.Background(), bad); pactwatch.ErrorCode(err) != pactwatch.EINVALID {
			t.Errorf("%q: %v, want EINVALID", bad, err)
		}
	}
	if _, _, err := s.OpenEvidence(context.Background(), sha256Hex([]byte("other"))); pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		t.Errorf("unknown hash: %v, want ENOTFOUND", err)
	}
}

// BenchmarkReencodeImage is the cost of one preview of a 12-megapixel
// phone photo (4000×3000 JPEG): decode, scale to previewSide, encode.
func BenchmarkReencodeImage(b *testing.B) {
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, testPicture(4000, 3000), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(photo.Len()))
	for b.Loop() {
		if _, _, err := reencodeImage(photo.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
