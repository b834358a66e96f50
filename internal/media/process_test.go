package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

func process(t *testing.T, data []byte) *Processed {
	t.Helper()
	p, err := ProcessImage(bytes.NewReader(data), 0)
	require.NoError(t, err)
	return p
}

func decodeAs(t *testing.T, mime string, data []byte) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch mime {
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "image/png":
		img, err = png.Decode(bytes.NewReader(data))
	default:
		t.Fatalf("unexpected %s", mime)
	}
	require.NoError(t, err)
	return img
}

// requireNoMetadata asserts that an output carries nothing but pixels.
func requireNoMetadata(t *testing.T, mime string, data []byte) {
	t.Helper()
	switch mime {
	case "image/jpeg":
		for _, m := range jpegMarkers(t, data) {
			// Go's encoder writes only tables, the frame header and the scan.
			require.Contains(t, []byte{0xDB, 0xC0, 0xC4, 0xDA}, m, "marker %#x", m)
		}
	case "image/png":
		for _, c := range pngChunkTypes(t, data) {
			require.Contains(t, []string{"IHDR", "PLTE", "tRNS", "IDAT", "IEND"}, c)
		}
	default:
		t.Fatalf("unexpected %s", mime)
	}
	for _, s := range []string{"Exif", "GPS", "KirokuCam", "SN123", "xmpmeta", "ns.adobe.com", "secret comment", "eXIf"} {
		require.NotContains(t, string(data), s)
	}
}

// A phone photo, as phones write it: EXIF with camera, serial and a GPS
// position, Orientation 6 (held upright, stored sideways), plus XMP and a
// comment. The stored copy must keep none of it and be upright.
func TestProcessImageStripsMetadataAndRotates(t *testing.T) {
	t.Parallel()
	// Stored 64×32, left half red, right half blue: displayed 32×64 with
	// red on top (turned clockwise, the left edge becomes the top).
	stored := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			c := color.NRGBA{R: 255, A: 255}
			if x >= 32 {
				c = color.NRGBA{B: 255, A: 255}
			}
			stored.SetNRGBA(x, y, c)
		}
	}
	upload := withJPEGSegments(encodeJPEG(t, stored),
		jpegSegment(0xE1, cat("Exif\x00\x00", exifWithGPS(6))),
		jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>35,40.87N</exif:GPSLatitude></x:xmpmeta>")),
		jpegSegment(0xED, []byte("Photoshop 3.0\x008BIM")),
		jpegSegment(0xFE, []byte("secret comment")),
	)
	require.Contains(t, string(upload), "GPS")
	require.Equal(t, 6, exifOrientation("image/jpeg", upload))

	p := process(t, upload)
	require.Equal(t, "image/jpeg", p.MIME)
	require.Equal(t, 6, p.Orientation)
	require.Equal(t, 32, p.Width)
	require.Equal(t, 64, p.Height)
	requireNoMetadata(t, "image/jpeg", p.Data)
	requireNoMetadata(t, "image/jpeg", p.Thumb)
	require.Equal(t, 1, exifOrientation("image/jpeg", p.Data))

	out := decodeAs(t, "image/jpeg", p.Data)
	require.Equal(t, image.Rect(0, 0, 32, 64), out.Bounds())
	requireNear(t, color.NRGBA{R: 255, A: 255}, out.At(16, 10), 40)
	requireNear(t, color.NRGBA{B: 255, A: 255}, out.At(16, 54), 40)

	cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Data))
	require.NoError(t, err)
	require.Equal(t, 32, cfg.Width)
	require.Equal(t, 64, cfg.Height)
}

// Every EXIF orientation, through the full JPEG path: a 3×2 grid of 16-pixel
// blocks (A–F) must come out arranged as in the upright table.
func TestProcessImageOrientationsJPEG(t *testing.T) {
	t.Parallel()
	const block = 16
	grid := scaleUp(letters("ABC", "DEF"), block)
	for o := 1; o <= 8; o++ {
		upload := withJPEGSegments(encodeJPEG(t, grid),
			jpegSegment(0xE1, cat("Exif\x00\x00", orientationExif(binary.LittleEndian, uint16(o)))))
		p := process(t, upload)
		require.Equal(t, o, p.Orientation)
		want := upright[o]
		require.Equal(t, len(want[0])*block, p.Width, "orientation %d", o)
		require.Equal(t, len(want)*block, p.Height, "orientation %d", o)
		out := decodeAs(t, p.MIME, p.Data)
		for by, row := range want {
			for bx := range len(row) {
				requireNear(t, letterColor[row[bx]], out.At(bx*block+block/2, by*block+block/2), 40)
			}
		}
	}
}

// Every EXIF orientation, losslessly: a PNG with an eXIf chunk must come
// out exactly as in the upright table.
func TestProcessImageOrientationsPNG(t *testing.T) {
	t.Parallel()
	for o := 1; o <= 8; o++ {
		upload := withPNGChunk(encodePNG(t, letters("ABC", "DEF")), pngChunk("eXIf", orientationExif(binary.BigEndian, uint16(o))))
		p := process(t, upload)
		require.Equal(t, "image/png", p.MIME)
		require.Equal(t, o, p.Orientation)
		requireNoMetadata(t, "image/png", p.Data)
		requireSameColors(t, letters(upright[o]...), decodeAs(t, "image/png", p.Data), 0, "orientation %d", o)
	}
}

func TestProcessImageWebP(t *testing.T) {
	t.Parallel()
	lossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	require.NoError(t, err)
	p := process(t, lossy)
	require.Equal(t, "image/jpeg", p.MIME, "opaque lossy WebP is a photo")
	require.Equal(t, 150, p.Width)
	require.Equal(t, 100, p.Height)

	// The same picture in an extended (VP8X) file with an EXIF chunk saying
	// Orientation 6.
	vp8 := lossy[12:]
	exif := orientationExif(binary.LittleEndian, 6)
	vp8x := cat("VP8X", le32(10), byte(0x08), []byte{0, 0, 0}, []byte{149, 0, 0}, []byte{99, 0, 0})
	body := cat("WEBP", vp8x, vp8, "EXIF", le32(uint32(len(exif))), exif)
	if len(exif)%2 == 1 {
		body = cat(body, byte(0))
	}
	extended := cat("RIFF", le32(uint32(len(body))), body)
	p = process(t, extended)
	require.Equal(t, 6, p.Orientation)
	require.Equal(t, 100, p.Width)
	require.Equal(t, 150, p.Height)
	requireNoMetadata(t, p.MIME, p.Data)

	lossless, err := os.ReadFile("testdata/gopher-doc.8bpp.lossless.webp")
	require.NoError(t, err)
	p = process(t, lossless)
	require.Equal(t, "image/png", p.MIME, "lossless stays lossless")

	alpha, err := os.ReadFile("testdata/yellow_rose.lossy-with-alpha.webp")
	require.NoError(t, err)
	p = process(t, alpha)
	require.Equal(t, "image/png", p.MIME, "transparency needs PNG")
	out := decodeAs(t, "image/png", p.Data)
	_, _, _, a := out.At(0, 0).RGBA()
	require.Less(t, a, uint32(0xFFFF), "corner is transparent")
}

func TestProcessImageGIFAndTransparency(t *testing.T) {
	t.Parallel()
	pal := color.Palette{color.Transparent, color.NRGBA{R: 255, A: 255}, color.NRGBA{B: 255, A: 255}}
	frame := func(c uint8) *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 40, 20), pal)
		for i := range m.Pix {
			m.Pix[i] = c
		}
		m.Pix[0] = 0 // one transparent pixel
		return m
	}
	var buf bytes.Buffer
	require.NoError(t, gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame(1), frame(2)}, Delay: []int{10, 10}}))
	p := process(t, buf.Bytes())
	require.Equal(t, "image/png", p.MIME)
	require.Equal(t, 40, p.Width)
	out := decodeAs(t, "image/png", p.Data)
	requireNear(t, color.NRGBA{R: 255, A: 255}, out.At(20, 10), 0) // first frame
	_, _, _, a := out.At(0, 0).RGBA()
	require.Zero(t, a)

	// The thumbnail flattens transparency onto white.
	half := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for y := range 100 {
		for x := range 50 {
			half.SetNRGBA(x, y, color.NRGBA{G: 255, A: 255})
		}
	}
	p = process(t, encodePNG(t, half))
	require.Equal(t, "image/png", p.MIME)
	th := decodeAs(t, "image/jpeg", p.Thumb)
	requireNear(t, color.NRGBA{G: 255, A: 255}, th.At(20, 50), 30)
	requireNear(t, color.NRGBA{R: 255, G: 255, B: 255, A: 255}, th.At(80, 50), 30)
}

func TestProcessImageThumbnail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w, h   int
		tw, th int
	}{
		{2000, 1000, 320, 160},
		{1000, 3000, 107, 320},
		{320, 320, 320, 320},
		{321, 100, 320, 100},
		{100, 50, 100, 50}, // never enlarged
		{5000, 3, 320, 1},
		{1, 1, 1, 1},
	} {
		// Grey so that JPEG round trips stay close.
		p := process(t, encodePNG(t, filled(tc.w, tc.h, color.NRGBA{R: 90, G: 120, B: 150, A: 255})))
		require.Equal(t, tc.tw, p.ThumbWidth, "%d×%d", tc.w, tc.h)
		require.Equal(t, tc.th, p.ThumbHeight, "%d×%d", tc.w, tc.h)
		th := decodeAs(t, "image/jpeg", p.Thumb)
		require.Equal(t, image.Rect(0, 0, tc.tw, tc.th), th.Bounds())
		requireNear(t, color.NRGBA{R: 90, G: 120, B: 150, A: 255}, th.At(tc.tw/2, tc.th/2), 12)
		requireNoMetadata(t, "image/jpeg", p.Thumb)
	}
}

// A thin dark pen stroke on a large white page stays visible in the
// thumbnail (box filtering, not point sampling).
func TestProcessImageThumbnailKeepsThinStrokes(t *testing.T) {
	t.Parallel()
	page := image.NewGray(image.Rect(0, 0, 4000, 3000))
	for i := range page.Pix {
		page.Pix[i] = 255
	}
	for y := 1000; y < 1003; y++ { // a 3-pixel stroke: 1/4 of a thumbnail pixel
		for x := range 4000 {
			page.Pix[y*page.Stride+x] = 0
		}
	}
	p := process(t, encodeJPEG(t, page))
	th := decodeAs(t, "image/jpeg", p.Thumb)
	darkest := uint32(0xFFFF)
	for y := range th.Bounds().Dy() {
		r, _, _, _ := th.At(160, y).RGBA()
		darkest = min(darkest, r)
	}
	require.Less(t, darkest>>8, uint32(230), "stroke visible in the thumbnail")
}

func TestProcessImageRefusesBombs(t *testing.T) {
	t.Parallel()
	// A tiny PNG whose header claims 100 000 × 100 000 pixels.
	small := encodePNG(t, filled(1, 1, color.White))
	bomb := bytes.Clone(small)
	binary.BigEndian.PutUint32(bomb[16:], 100_000)
	binary.BigEndian.PutUint32(bomb[20:], 100_000)
	crc := pngChunk("IHDR", bomb[16:29])
	copy(bomb[29:33], crc[len(crc)-4:])

	_, err := ProcessImage(bytes.NewReader(bomb), 0)
	var tooMany *TooManyPixelsError
	require.ErrorAs(t, err, &tooMany)
	require.Equal(t, TooManyPixelsError{Width: 100_000, Height: 100_000, MaxPixels: DefaultMaxPixels}, *tooMany)
	require.ErrorIs(t, err, kerr.ErrInvalid)

	// A real image over a smaller budget.
	_, err = ProcessImage(bytes.NewReader(encodeJPEG(t, filled(100, 100, color.White))), 9_999)
	require.ErrorAs(t, err, &tooMany)
	require.Equal(t, 9_999, tooMany.MaxPixels)
	p, err := ProcessImage(bytes.NewReader(encodeJPEG(t, filled(100, 100, color.White))), 10_000)
	require.NoError(t, err)
	require.Equal(t, 100, p.Width)

	// A GIF whose logical screen is huge.
	g := encodeGIF(t, filled(1, 1, color.White))
	binary.LittleEndian.PutUint16(g[6:], 65535)
	binary.LittleEndian.PutUint16(g[8:], 65535)
	_, err = ProcessImage(bytes.NewReader(g), 0)
	require.ErrorAs(t, err, &tooMany)
}

func TestProcessImageUndecodable(t *testing.T) {
	t.Parallel()
	for _, head := range [][]byte{
		cat(ftyp("heic", "mif1", "heic"), box("meta", make([]byte, 32))),
		cat(ftyp("avif", "avif", "mif1", "miaf"), box("meta", make([]byte, 32))),
		ftyp("mif1", "mif1"),
	} {
		_, err := ProcessImage(bytes.NewReader(head), 0)
		require.ErrorIs(t, err, ErrUndecodable)
		require.NotErrorIs(t, err, kerr.ErrInvalid)
	}
}

func TestProcessImageInvalid(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, filled(64, 64, color.White))
	for name, data := range map[string][]byte{
		"empty":          nil,
		"pdf":            []byte("%PDF-1.7\n"),
		"mp3":            cat(mp3Frame(), mp3Frame()),
		"svg":            []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"text":           []byte("hello"),
		"truncated jpeg": jpg[:len(jpg)/2],
		"jpeg header":    jpg[:4],
		"broken png":     encodePNG(t, filled(4, 4, color.White))[:40],
		"zero size gif":  []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00;"),
	} {
		_, err := ProcessImage(bytes.NewReader(data), 0)
		require.ErrorIs(t, err, kerr.ErrInvalid, name)
		require.NotErrorIs(t, err, ErrUndecodable, name)
	}
	boom := errors.New("boom")
	_, err := ProcessImage(io.MultiReader(bytes.NewReader(jpg[:100]), &errReader{boom}), 0)
	require.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

func TestProcessImageGrayJPEG(t *testing.T) {
	t.Parallel()
	g := image.NewGray(image.Rect(0, 0, 30, 20))
	for i := range g.Pix {
		g.Pix[i] = 128
	}
	upload := withJPEGSegments(encodeJPEG(t, g), jpegSegment(0xE1, cat("Exif\x00\x00", orientationExif(binary.BigEndian, 8))))
	p := process(t, upload)
	require.Equal(t, "image/jpeg", p.MIME)
	require.Equal(t, 20, p.Width)
	require.Equal(t, 30, p.Height)
	requireNear(t, color.Gray{Y: 128}, decodeAs(t, "image/jpeg", p.Data).At(10, 15), 4)
}

func TestFit(t *testing.T) {
	t.Parallel()
	for _, tc := range [][4]int{
		{640, 480, 320, 240}, {480, 640, 240, 320}, {320, 10, 320, 10}, {10000, 1, 320, 1}, {1, 10000, 1, 320}, {3, 2, 3, 2},
	} {
		w, h := fit(tc[0], tc[1], 320, 320)
		require.Equal(t, [2]int{tc[2], tc[3]}, [2]int{w, h}, "%d×%d", tc[0], tc[1])
	}
	// In a box that is not square, the tighter side decides.
	for _, tc := range [][6]int{
		{4032, 3024, 1387, 1000, 1333, 1000}, {3024, 4032, 1387, 1000, 750, 1000}, {4000, 1000, 1387, 1000, 1387, 347},
		{1387, 1000, 1387, 1000, 1387, 1000}, {1388, 10, 1387, 1000, 1387, 10},
	} {
		w, h := fit(tc[0], tc[1], tc[2], tc[3])
		require.Equal(t, [2]int{tc[4], tc[5]}, [2]int{w, h}, "%d×%d in %d×%d", tc[0], tc[1], tc[2], tc[3])
	}
}

func TestDownscale(t *testing.T) {
	t.Parallel()
	grey := color.NRGBA{R: 90, G: 120, B: 150, A: 255}
	photo := encodeJPEG(t, filled(4032, 3024, grey))
	for _, tc := range []struct {
		name, mime string
		data       []byte
		maxW, maxH int
		w, h       int
	}{
		{"jpeg photo, less than halved: resampled", "image/jpeg", photo, 2500, 2000, 2500, 1875},
		{"jpeg photo, reduced to a third (1333×1000 asked)", "image/jpeg", photo, 1387, 1000, 1344, 1008},
		{"png upright", "image/png", encodePNG(t, filled(600, 2000, grey)), 1387, 1000, 300, 1000},
		{"fits already", "image/jpeg", encodeJPEG(t, filled(200, 100, grey)), 1387, 1000, 200, 100},
	} {
		out, w, h, err := Downscale(bytes.NewReader(tc.data), tc.mime, tc.maxW, tc.maxH)
		require.NoError(t, err, tc.name)
		require.Equal(t, [2]int{tc.w, tc.h}, [2]int{w, h}, tc.name)
		kind, mime, ok := Sniff(out[:min(len(out), SniffLen)])
		require.True(t, ok, tc.name)
		require.Equal(t, KindImage, kind, tc.name)
		require.Equal(t, tc.mime, mime, "the stored format is kept: %s", tc.name)
		img := decodeAs(t, mime, out)
		require.Equal(t, image.Rect(0, 0, tc.w, tc.h), img.Bounds(), tc.name)
		requireNear(t, grey, img.At(tc.w/2, tc.h/2), 12)
		requireNoMetadata(t, mime, out)
	}

	// Transparency is flattened onto white, as in thumbnails.
	out, _, _, err := Downscale(bytes.NewReader(encodePNG(t, filled(40, 40, color.NRGBA{}))), "image/png", 20, 20)
	require.NoError(t, err)
	requireNear(t, color.White, decodeAs(t, "image/png", out).At(10, 10), 0)

	_, _, _, err = Downscale(bytes.NewReader([]byte("%PDF-1.7\n")), "image/jpeg", 100, 100)
	require.ErrorIs(t, err, kerr.ErrInvalid)
	_, _, _, err = Downscale(bytes.NewReader(nil), "image/heic", 100, 100)
	require.ErrorIs(t, err, ErrUndecodable)
	_, _, _, err = Downscale(bytes.NewReader(encodePNG(t, filled(4, 4, grey))), "image/png", 0, 100)
	require.ErrorIs(t, err, kerr.ErrInvalid)
}

func TestShrink(t *testing.T) {
	t.Parallel()
	// 5×3 NRGBA, half-transparent red: averages stay premultiplied.
	src := filled(5, 3, color.NRGBA{R: 255, A: 128})
	out := shrink(src, 2)
	require.Equal(t, image.Rect(0, 0, 3, 2), out.Bounds())
	for y := range 2 {
		for x := range 3 {
			require.Equal(t, color.RGBA{R: 128, A: 128}, out.RGBAAt(x, y), "(%d,%d)", x, y)
		}
	}
}

func FuzzProcessImage(f *testing.F) {
	f.Add(encodePNG(f, filled(3, 2, color.White)))
	f.Add(encodeGIF(f, filled(3, 2, color.White)))
	f.Add(withJPEGSegments(encodeJPEG(f, filled(8, 8, color.White)), jpegSegment(0xE1, cat("Exif\x00\x00", exifWithGPS(6)))))
	f.Add(withPNGChunk(encodePNG(f, filled(2, 2, color.Black)), pngChunk("eXIf", orientationExif(binary.LittleEndian, 5))))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ProcessImage(bytes.NewReader(data), 1<<16)
		if err != nil {
			if !errors.Is(err, kerr.ErrInvalid) && !errors.Is(err, ErrUndecodable) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if p.Width <= 0 || p.Height <= 0 || p.ThumbWidth > ThumbSize || p.ThumbHeight > ThumbSize {
			t.Fatalf("bad result %d×%d thumb %d×%d", p.Width, p.Height, p.ThumbWidth, p.ThumbHeight)
		}
		if exifOrientation(p.MIME, p.Data) != 1 || bytes.Contains(p.Data, []byte("Exif")) {
			t.Fatal("metadata survived")
		}
	})
}

// scaleUp enlarges every pixel to an n×n block.
func scaleUp(src *image.NRGBA, n int) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()*n, b.Dy()*n))
	for y := range dst.Bounds().Dy() {
		for x := range dst.Bounds().Dx() {
			dst.Set(x, y, src.At(x/n, y/n))
		}
	}
	return dst
}

// requireNear compares two colours within tol per 8-bit channel.
func requireNear(t *testing.T, want, got color.Color, tol int) {
	t.Helper()
	wr, wg, wb, wa := want.RGBA()
	gr, gg, gb, ga := got.RGBA()
	for _, d := range []int{int(wr>>8) - int(gr>>8), int(wg>>8) - int(gg>>8), int(wb>>8) - int(gb>>8), int(wa>>8) - int(ga>>8)} {
		if d < -tol || d > tol {
			t.Fatalf("colour: want %v, got %v (tolerance %d)", want, got, tol)
		}
	}
}
