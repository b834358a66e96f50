package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Defaults and fixed parameters of ProcessImage.
const (
	// DefaultMaxPixels is the pixel budget used when ProcessImage is given
	// maxPixels <= 0: 50 megapixels, above every phone camera's default
	// output (12–48 MP) and below what would let one upload take gigabytes.
	DefaultMaxPixels = 50_000_000
	// ThumbSize is the longest side of a thumbnail, in pixels.
	ThumbSize = 320
	// JPEGQuality is the quality of the stored copy of a JPEG photo.
	JPEGQuality = 90
	// ThumbQuality is the JPEG quality of thumbnails.
	ThumbQuality = 80
	// DownscaleQuality is the JPEG quality of Downscale's output.
	DownscaleQuality = 85
)

// ErrUndecodable reports a recognised image format that ProcessImage cannot
// decode in pure Go: HEIC, HEIF and AVIF. It does not match ErrInvalid: the
// file is fine, Kiroku just cannot look inside. See the package
// documentation for what the caller should do.
var ErrUndecodable = errors.New("image format cannot be decoded")

// ErrInvalid is kerr.ErrInvalid, matched by errors for input that is not a
// decodable image (not an image at all, or corrupt) and by
// *TooManyPixelsError.
var ErrInvalid = kerr.ErrInvalid

// TooManyPixelsError reports an image whose declared dimensions exceed the
// pixel budget. It is returned before any pixel is decoded and matches
// kerr.ErrInvalid.
type TooManyPixelsError struct {
	Width, Height int // as declared in the file's header
	MaxPixels     int // the budget that was exceeded
}

// Error implements error.
func (e *TooManyPixelsError) Error() string {
	return fmt.Sprintf("media: image of %d×%d pixels exceeds the budget of %d pixels", e.Width, e.Height, e.MaxPixels)
}

// Unwrap makes a *TooManyPixelsError match kerr.ErrInvalid.
func (e *TooManyPixelsError) Unwrap() error { return kerr.ErrInvalid }

// Processed is the result of ProcessImage: what to store instead of the
// upload, and its thumbnail. Neither carries any metadata.
type Processed struct {
	// MIME is the type of Data: "image/jpeg" or "image/png".
	MIME string
	// Data is the stored copy: upright, re-encoded, without metadata.
	Data []byte
	// Width and Height are the dimensions of Data (after orientation).
	Width, Height int
	// Thumb is a JPEG whose longest side is ThumbSize pixels (or the
	// image's own size if smaller), transparency flattened onto white.
	Thumb []byte
	// ThumbWidth and ThumbHeight are the dimensions of Thumb.
	ThumbWidth, ThumbHeight int
	// Orientation is the EXIF orientation (1–8) found in the upload and
	// applied to the pixels; 1 when there was none.
	Orientation int
}

type codec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// codecs are the decodable formats, chosen by Sniff's MIME type rather than
// through image.Decode's global registry.
var codecs = map[string]codec{
	"image/jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"image/png":  {png.DecodeConfig, png.Decode},
	"image/gif":  {gif.DecodeConfig, gif.Decode}, // the first frame only
	"image/webp": {webp.DecodeConfig, webp.Decode},
}

// ProcessImage turns an uploaded image into the copy Kiroku stores and a
// thumbnail. See the package documentation for the rules; in short:
//
//  1. r is read to the end (bound it with blob.Limit) and its type sniffed.
//     Not an image → an error matching ErrInvalid. HEIC, HEIF, AVIF →
//     ErrUndecodable.
//  2. The header's dimensions are checked against maxPixels (<= 0 means
//     DefaultMaxPixels) before decoding: a *TooManyPixelsError otherwise.
//  3. The image is decoded (GIF: first frame) and turned upright according
//     to its EXIF orientation.
//  4. It is re-encoded without any metadata: JPEG (quality JPEGQuality)
//     for JPEG uploads and opaque lossy WebP, PNG for everything else.
//  5. A ThumbSize JPEG thumbnail is made.
func ProcessImage(r io.Reader, maxPixels int) (*Processed, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("media: read image: %w", err)
	}
	kind, mime, ok := Sniff(data[:min(len(data), SniffLen)])
	if !ok || kind != KindImage {
		return nil, fmt.Errorf("media: not an image: %w", kerr.ErrInvalid)
	}
	c, ok := codecs[mime]
	if !ok {
		return nil, fmt.Errorf("media: %s: %w", mime, ErrUndecodable)
	}

	cfg, err := recovering(func() (image.Config, error) { return c.config(bytes.NewReader(data)) })
	if err != nil {
		return nil, fmt.Errorf("media: read %s header: %v: %w", mime, err, kerr.ErrInvalid)
	}
	if err := checkPixels(cfg.Width, cfg.Height, maxPixels); err != nil {
		return nil, err
	}
	o := exifOrientation(mime, data)
	img, err := recovering(func() (image.Image, error) { return c.decode(bytes.NewReader(data)) })
	if err != nil {
		return nil, fmt.Errorf("media: decode %s: %v: %w", mime, err, kerr.ErrInvalid)
	}
	data = nil // let the encoded upload be collected while we work
	if err := checkPixels(img.Bounds().Dx(), img.Bounds().Dy(), maxPixels); err != nil {
		return nil, err
	}

	img = orient(img, o)
	p := &Processed{Orientation: o, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var buf bytes.Buffer
	if jpegOutput(mime, img) {
		p.MIME = "image/jpeg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality})
	} else {
		p.MIME = "image/png"
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	}
	if err != nil {
		return nil, fmt.Errorf("media: encode %s: %w", p.MIME, err)
	}
	p.Data = buf.Bytes()

	p.Thumb, p.ThumbWidth, p.ThumbHeight, err = thumbnail(img)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// readAll is io.ReadAll with one allocation when r knows its length
// (bytes.Reader, bytes.Buffer, strings.Reader).
func readAll(r io.Reader) ([]byte, error) {
	size := 512
	if l, ok := r.(interface{ Len() int }); ok {
		size += l.Len()
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

func checkPixels(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("media: image of %d×%d pixels: %w", w, h, kerr.ErrInvalid)
	}
	if int64(w)*int64(h) > int64(maxPixels) {
		return &TooManyPixelsError{Width: w, Height: h, MaxPixels: maxPixels}
	}
	return nil
}

// jpegOutput decides the stored format: photos stay JPEG, everything that
// may be lossless or transparent becomes PNG.
func jpegOutput(mime string, img image.Image) bool {
	switch mime {
	case "image/jpeg":
		return true
	case "image/webp":
		_, lossyOpaque := img.(*image.YCbCr) // VP8 without an alpha channel
		return lossyOpaque
	}
	return false
}

// recovering runs a third-party decoder on untrusted input; a panic in it
// becomes an error instead of taking the request down.
func recovering[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return f()
}

// thumbnail scales img to fit ThumbSize×ThumbSize (never enlarging),
// flattens it onto white and encodes it as JPEG.
func thumbnail(img image.Image) ([]byte, int, int, error) {
	b := img.Bounds()
	tw, th := fit(b.Dx(), b.Dy(), ThumbSize, ThumbSize)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, resample(img, tw, th), &jpeg.Options{Quality: ThumbQuality}); err != nil {
		return nil, 0, 0, fmt.Errorf("media: encode thumbnail: %w", err)
	}
	return buf.Bytes(), tw, th, nil
}

// Downscale decodes an image from r (of the given MIME type; the stored
// copies are image/jpeg or image/png) and scales it down to fit
// maxW×maxH pixels, keeping its aspect ratio and never enlarging it, for
// a use that needs no more pixels (a printed page, say). A JPEG photo at
// least twice that size is only reduced by an integer factor (½, ⅓, …),
// which is much cheaper than resampling, so the result may be up to 1.5
// times larger than asked (never smaller). The result is
// flattened onto white and encoded like a stored copy: JPEG at quality
// DownscaleQuality for a JPEG, PNG (lossless) otherwise. It returns the
// encoded image and its size. The input is decoded as it is read, so only
// its decoded pixels are held, never the encoded file; pass an image that
// already fits through rather than re-encoding it here. Errors match
// ErrInvalid (not a decodable image of that type) or ErrUndecodable.
func Downscale(r io.Reader, mime string, maxW, maxH int) ([]byte, int, int, error) {
	c, ok := codecs[mime]
	if !ok {
		return nil, 0, 0, fmt.Errorf("media: downscale %s: %w", mime, ErrUndecodable)
	}
	if maxW <= 0 || maxH <= 0 {
		return nil, 0, 0, fmt.Errorf("media: downscale to %d×%d pixels: %w", maxW, maxH, kerr.ErrInvalid)
	}
	img, err := recovering(func() (image.Image, error) { return c.decode(r) })
	if err != nil {
		return nil, 0, 0, fmt.Errorf("media: decode %s: %v: %w", mime, err, kerr.ErrInvalid)
	}
	b := img.Bounds()
	tw, th := fit(b.Dx(), b.Dy(), maxW, maxH)
	asJPEG := jpegOutput(mime, img)
	var small *image.RGBA
	// A photo at least twice the size is only box-reduced, by the largest
	// integer factor k that keeps the pixels asked for: cheaper than
	// resampling, and less than (k+1)/k ≤ 1.5 times the size.
	if k := min(b.Dx()/tw, b.Dy()/th); asJPEG && k >= 2 {
		small = shrink(img, k)
	} else {
		small = resample(img, tw, th)
	}
	var buf bytes.Buffer
	if asJPEG {
		err = jpeg.Encode(&buf, small, &jpeg.Options{Quality: DownscaleQuality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, small)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("media: encode downscaled %s: %w", mime, err)
	}
	return buf.Bytes(), small.Rect.Dx(), small.Rect.Dy(), nil
}

// resample scales img to tw×th pixels on a white background. Very large
// reductions first shrink the image by an integer factor with a box
// filter, which keeps thin pen strokes visible and bounds the scaler's
// temporary memory (the shrunk copy is under 2·tw × 2·th pixels);
// Catmull-Rom does the rest.
func resample(img image.Image, tw, th int) *image.RGBA {
	b := img.Bounds()
	src := img
	if k := min(b.Dx()/tw, b.Dy()/th); k >= 2 {
		src = shrink(img, k)
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	return dst
}

// fit returns the size of a w×h image scaled to fit maxW×maxH, never
// enlarged.
func fit(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	if int64(w)*int64(maxH) >= int64(h)*int64(maxW) {
		return maxW, max(1, int((int64(h)*int64(maxW)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(maxH)+int64(h)/2)/int64(h))), maxH
}

// shrink reduces img by the integer factor k, averaging each k×k block
// (partial blocks at the right and bottom edges average what they have) in
// premultiplied RGBA.
func shrink(img image.Image, k int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	sw, sh := (w+k-1)/k, (h+k-1)/k
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	row := make([]uint8, 4*w)
	sums := make([]uint64, 4*sw)
	for oy := range sh {
		clear(sums)
		y0, y1 := oy*k, min((oy+1)*k, h)
		for y := y0; y < y1; y++ {
			rowRGBA(img, b.Min.Y+y, row)
			for x := range w {
				s := sums[4*(x/k):]
				p := row[4*x:]
				s[0] += uint64(p[0])
				s[1] += uint64(p[1])
				s[2] += uint64(p[2])
				s[3] += uint64(p[3])
			}
		}
		dst := out.Pix[oy*out.Stride:]
		for ox := range sw {
			n := uint64(min((ox+1)*k, w)-ox*k) * uint64(y1-y0)
			for c := range 4 {
				dst[4*ox+c] = uint8((sums[4*ox+c] + n/2) / n)
			}
		}
	}
	return out
}

// rowRGBA fills row with the premultiplied 8-bit RGBA pixels of line y,
// quickly for the common types.
func rowRGBA(img image.Image, y int, row []uint8) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		for x := b.Min.X; x < b.Max.X; x++ {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			p := row[4*(x-b.Min.X):]
			p[0], p[1], p[2], p[3] = r, g, bb, 0xFF
		}
	case *image.RGBA:
		copy(row, m.Pix[m.PixOffset(b.Min.X, y):])
	case *image.NRGBA:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for i := 0; i < len(row); i += 4 {
			a := uint32(src[i+3])
			row[i] = uint8((uint32(src[i])*a + 127) / 255)
			row[i+1] = uint8((uint32(src[i+1])*a + 127) / 255)
			row[i+2] = uint8((uint32(src[i+2])*a + 127) / 255)
			row[i+3] = uint8(a)
		}
	case *image.Gray:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range b.Dx() {
			v := src[x]
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = v, v, v, 0xFF
		}
	default:
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, a := img.At(x, y).RGBA()
			p := row[4*(x-b.Min.X):]
			p[0], p[1], p[2], p[3] = uint8(r>>8), uint8(g>>8), uint8(bb>>8), uint8(a>>8)
		}
	}
}
