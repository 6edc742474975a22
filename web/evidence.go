package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
)

// EvidenceSource is what the incident page reads besides the pipeline: the
// observation records an incident rests on (the narrative as submitted,
// exact positions, who submitted it) and the evidence files they cite.
// StoredEvidence implements it over the store and the server's evidence
// folder. Errors are *pactwatch.Error (ENOTFOUND for an unknown id or hash).
type EvidenceSource interface {
	Observation(ctx context.Context, id string) (observation.Record, error)
	// Evidence returns a file's metadata (type, size, uploader).
	Evidence(ctx context.Context, sha256 string) (store.Evidence, error)
	// OpenEvidence returns a file's metadata and its bytes; the caller
	// closes them.
	OpenEvidence(ctx context.Context, sha256 string) (store.Evidence, io.ReadCloser, error)
}

// EvidenceStore is the part of store.Store StoredEvidence reads.
type EvidenceStore interface {
	Observation(ctx context.Context, id string) (observation.Record, error)
	Evidence(ctx context.Context, sha256Hex string) (store.Evidence, error)
}

// StoredEvidence reads observations from the store and evidence bytes from
// the server's content-addressed folder (Config.DataDir/evidence, laid out
// as the server writes it: <dir>/<first two hex digits>/<sha256>).
type StoredEvidence struct {
	Store EvidenceStore
	Dir   string
}

// Observation implements EvidenceSource.
func (s StoredEvidence) Observation(ctx context.Context, id string) (observation.Record, error) {
	return s.Store.Observation(ctx, id)
}

// Evidence implements EvidenceSource.
func (s StoredEvidence) Evidence(ctx context.Context, sum string) (store.Evidence, error) {
	return s.Store.Evidence(ctx, sum)
}

// OpenEvidence implements EvidenceSource. The hash is checked before it
// becomes a path, so no request can name a file outside the folder.
func (s StoredEvidence) OpenEvidence(ctx context.Context, sum string) (store.Evidence, io.ReadCloser, error) {
	if !isSHA256Hex(sum) {
		return store.Evidence{}, nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "sha256", "want 64 lowercase hex digits")
	}
	ev, err := s.Store.Evidence(ctx, sum)
	if err != nil {
		return store.Evidence{}, nil, err
	}
	f, err := os.Open(filepath.Join(s.Dir, sum[:2], sum))
	if err != nil {
		return store.Evidence{}, nil, pactwatch.Internal(err)
	}
	return ev, f, nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Limits of the image previews. A compressed image can claim enormous
// dimensions in a few bytes (a decompression bomb): the header is read
// first (DecodeConfig) and the image decoded only within these bounds.
const (
	maxImageBytes = 32 << 20   // larger files get no preview
	maxImageSide  = 16384      // pixels, either side
	maxImagePixel = 40_000_000 // width × height: decoding takes up to 4 bytes each
	previewSide   = 1280       // previews are scaled down to fit this
)

// imageSlots bounds how many previews decode at once: decoding a large
// photo costs a core and up to ~200 MB, and the page shows several.
var imageSlots = make(chan struct{}, 2)

var (
	errNotImage      = errors.New("not a JPEG, PNG or GIF image")
	errImageTooLarge = errors.New("image too large to preview")
)

// sniffImage names the format of data by its signature: only the three
// formats the standard library decodes, whatever other decoders the
// binary registered with package image.
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	}
	return ""
}

// reencodeImage decodes a JPEG, PNG or GIF (the first frame) and encodes
// its pixels afresh, scaled down to fit previewSide: only pixels survive,
// so EXIF (with its GPS position and camera serial), XMP, ICC profiles,
// comments, PNG text chunks and anything appended after the image are
// gone. JPEGs stay JPEGs; PNGs and GIFs become PNGs. It returns the new
// bytes and their media type, or errNotImage / errImageTooLarge.
func reencodeImage(data []byte) ([]byte, string, error) {
	return reencode(data, maxImagePixel)
}

// reencode is reencodeImage with a cap on width × height.
func reencode(data []byte, maxPixels int64) ([]byte, string, error) {
	format := sniffImage(data)
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch format {
	case "jpeg":
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	case "png":
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case "gif":
		decodeConfig, decode = gif.DecodeConfig, gif.Decode
	default:
		return nil, "", errNotImage
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide ||
		int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, "", fmt.Errorf("%w: %d×%d pixels", errImageTooLarge, cfg.Width, cfg.Height)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errNotImage, err)
	}
	img = fitWithin(img, previewSide)
	if format == "jpeg" {
		// The metadata goes, but what it says about how to hold the
		// photo is applied to the pixels: a phone's portrait shot is
		// stored sideways with an EXIF orientation tag.
		img = orient(img, jpegOrientation(data))
	}
	var out bytes.Buffer
	if format == "jpeg" {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 85})
		return out.Bytes(), "image/jpeg", err
	}
	err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img)
	return out.Bytes(), "image/png", err
}

// fitWithin scales img down (never up) so that neither side exceeds side,
// averaging each output pixel over up to 2×2 samples of its source area:
// enough for a preview, and cheap on a shared two-core server.
func fitWithin(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	var nw, nh int
	if w >= h {
		nw, nh = side, max(1, h*side/w)
	} else {
		nw, nh = max(1, w*side/h), side
	}
	dst := image.NewNRGBA(image.Rect(0, 0, nw, nh))
	for y := range nh {
		y0 := b.Min.Y + y*h/nh
		y1 := b.Min.Y + ((2*y+1)*h)/(2*nh)
		for x := range nw {
			x0 := b.Min.X + x*w/nw
			x1 := b.Min.X + ((2*x+1)*w)/(2*nw)
			var r, g, bl, a uint32
			for _, p := range [4]image.Point{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
				pr, pg, pb, pa := img.At(p.X, p.Y).RGBA()
				r, g, bl, a = r+pr, g+pg, bl+pb, a+pa
			}
			// Average the premultiplied samples, then un-premultiply.
			c := color.RGBA64{uint16(r / 4), uint16(g / 4), uint16(bl / 4), uint16(a / 4)}
			dst.Set(x, y, c)
		}
	}
	return dst
}

// jpegOrientation returns the EXIF orientation (1 to 8) of a JPEG's
// first APP1 "Exif" segment, or 1 (as stored) when there is none or it
// cannot be read. It reads only the segments before the image data, and
// checks every offset against the segment it points into.
func jpegOrientation(data []byte) int {
	be := binary.BigEndian
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8): // no length
			i += 2
			continue
		case marker == 0xda || marker == 0xd9: // image data or end: no EXIF before
			return 1
		}
		n := int(be.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 (Orientation) of IFD0 in a TIFF
// structure (EXIF's layout), or returns 1.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd+2 > int64(len(t)) {
		return 1
	}
	n := int64(bo.Uint16(t[ifd:]))
	for k := int64(0); k < n; k++ {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // Orientation, SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img as EXIF orientation o asks (2 to 8: mirrored and/or
// rotated by quarter turns), so the preview stands as the photographer
// held the camera.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // a quarter turn swaps the sides
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // upside down
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored upside down
				sx, sy = x, h-1-y
			case 5: // mirrored across the diagonal
				sx, sy = y, x
			case 6: // stored a quarter turn anticlockwise: turn clockwise
				sx, sy = y, h-1-x
			case 7: // mirrored across the other diagonal
				sx, sy = w-1-y, h-1-x
			case 8: // stored a quarter turn clockwise: turn anticlockwise
				sx, sy = w-1-y, x
			}
			dst.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return dst
}

// evidenceOf returns the evidence file of the incident named by the
// request, for a reviewer; ENOTFOUND when the viewer may not see evidence
// (the public projection carries none) or the hash is not evidence of one
// of the incident's observations.
func (h *Handler) evidenceOf(r *http.Request) (store.Evidence, io.ReadCloser, error) {
	id, sum := r.PathValue("id"), r.PathValue("sha256")
	notFound := pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "sha256", "no evidence %q in incident %q", sum, id)
	if !reviewer(h.viewer(r)) || h.opts.Evidence == nil || !isSHA256Hex(sum) {
		return store.Evidence{}, nil, notFound
	}
	inc, _, err := h.opts.Incidents.Incident(id)
	if err != nil {
		return store.Evidence{}, nil, err
	}
	if !slices.ContainsFunc(inc.Reports, func(rep incident.Report) bool { return slices.Contains(rep.Evidence, sum) }) {
		return store.Evidence{}, nil, notFound
	}
	return h.opts.Evidence.OpenEvidence(r.Context(), sum)
}

// setEvidenceHeaders keeps a served file inert in this origin: never
// sniffed, never run (a sandboxing policy), cached only by the browser.
func setEvidenceHeaders(hd http.Header, sum string) {
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "private, max-age=31536000, immutable")
	hd.Set("ETag", `"`+sum+`"`)
	hd.Set("Referrer-Policy", "same-origin")
}

// evidencePreview serves GET /incidents/{id}/evidence/{sha256}: the image
// re-encoded without its metadata (see reencodeImage). Files that are not
// images answer 415; the page links those to their download instead.
func (h *Handler) evidencePreview(w http.ResponseWriter, r *http.Request) {
	_, f, err := h.evidenceOf(r)
	if err != nil {
		h.evidenceError(w, r, err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImageBytes+1))
	if err != nil {
		h.evidenceError(w, r, pactwatch.Internal(err))
		return
	}
	if len(data) > maxImageBytes {
		h.evidenceError(w, r, pactwatch.Errorf(pactwatch.ETOOLARGE, "evidence file over %d bytes: no preview", maxImageBytes))
		return
	}
	select {
	case imageSlots <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	out, ctype, err := reencodeImage(data)
	<-imageSlots
	switch {
	case errors.Is(err, errNotImage):
		http.Error(w, "not a JPEG, PNG or GIF image", http.StatusUnsupportedMediaType)
		return
	case errors.Is(err, errImageTooLarge):
		h.evidenceError(w, r, pactwatch.Errorf(pactwatch.ETOOLARGE, "%v", err))
		return
	case err != nil:
		h.evidenceError(w, r, pactwatch.Internal(err))
		return
	}
	hd := w.Header()
	setEvidenceHeaders(hd, "preview-"+r.PathValue("sha256"))
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", "inline")
	w.Write(out)
}

// evidenceFile serves GET /incidents/{id}/evidence/{sha256}/file: the
// file as uploaded, as an attachment of opaque bytes, for reviewers (what
// the API's evidence endpoint gives the same roles).
func (h *Handler) evidenceFile(w http.ResponseWriter, r *http.Request) {
	ev, f, err := h.evidenceOf(r)
	if err != nil {
		h.evidenceError(w, r, err)
		return
	}
	defer f.Close()
	hd := w.Header()
	setEvidenceHeaders(hd, ev.SHA256)
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Disposition", `attachment; filename="`+ev.SHA256+`"`)
	io.Copy(w, f)
}

// evidenceError answers an evidence request in plain text (an <img> shows
// no page), logging what is the server's fault.
func (h *Handler) evidenceError(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(pactwatch.ErrorCode(err))
	if status >= 500 {
		h.opts.Logger.Error("web: evidence", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}
