package media

import (
	"encoding/binary"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTIFFOrientation(t *testing.T) {
	t.Parallel()
	le, be := binary.LittleEndian, binary.BigEndian
	long := tiffBlock(le, []tiffEntry{{tag: 0x0112, typ: 4, count: 1, value: le.AppendUint32(nil, 8)}}, nil)
	wrongType := tiffBlock(le, []tiffEntry{{tag: 0x0112, typ: 2, count: 2, value: []byte("6\x00")}}, nil)
	manyTags := tiffBlock(be, []tiffEntry{
		{tag: 0x010F, typ: 2, count: 4, value: []byte("abc\x00")},
		{tag: 0x0110, typ: 2, count: 8, value: []byte("abcdefg\x00")},
		{tag: 0x0112, typ: 3, count: 1, value: short(be, 3)},
	}, nil)
	hugeCount := orientationExif(le, 6)
	hugeCount[8], hugeCount[9] = 0xFF, 0xFF // entry count 65535, data ends after one
	badOffset := orientationExif(le, 6)
	le.PutUint32(badOffset[4:], 1<<31)

	for _, tc := range []struct {
		name string
		tiff []byte
		want int
	}{
		{"little endian", orientationExif(le, 6), 6},
		{"big endian", orientationExif(be, 8), 8},
		{"among other tags", manyTags, 3},
		{"with gps", exifWithGPS(5), 5},
		{"long", long, 8},
		{"every value", orientationExif(be, 7), 7},
		{"zero", orientationExif(le, 0), 1},
		{"nine", orientationExif(le, 9), 1},
		{"wrong type", wrongType, 1},
		{"no tag", tiffBlock(le, []tiffEntry{{tag: 0x010F, typ: 2, count: 2, value: []byte("a\x00")}}, nil), 1},
		{"huge entry count", hugeCount, 6},
		{"ifd offset outside", badOffset, 1},
		{"truncated", orientationExif(le, 6)[:20], 1},
		{"bad byte order", append([]byte("XX"), orientationExif(le, 6)[2:]...), 1},
		{"bad magic", append([]byte("II\x2B\x00"), orientationExif(le, 6)[4:]...), 1},
		{"empty", nil, 1},
	} {
		require.Equal(t, tc.want, tiffOrientation(tc.tiff), tc.name)
	}
}

func TestExifOrientationContainers(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, filled(8, 8, color.White))
	exif := cat("Exif\x00\x00", orientationExif(binary.BigEndian, 6))
	app0 := jpegSegment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	xmp := jpegSegment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))

	require.Equal(t, 6, exifOrientation("image/jpeg", withJPEGSegments(jpg, jpegSegment(0xE1, exif))))
	require.Equal(t, 6, exifOrientation("image/jpeg", withJPEGSegments(jpg, app0, xmp, jpegSegment(0xE1, exif))))
	require.Equal(t, 6, exifOrientation("image/jpeg", withJPEGSegments(jpg, []byte{0xFF, 0xFF}, jpegSegment(0xE1, exif))), "fill bytes")
	require.Equal(t, 1, exifOrientation("image/jpeg", jpg))
	require.Equal(t, 1, exifOrientation("image/jpeg", withJPEGSegments(jpg, jpegSegment(0xE1, []byte("Exif\x00\x00")))))
	// Only the first EXIF segment counts.
	second := jpegSegment(0xE1, cat("Exif\x00\x00", orientationExif(binary.BigEndian, 3)))
	require.Equal(t, 6, exifOrientation("image/jpeg", withJPEGSegments(jpg, jpegSegment(0xE1, exif), second)))
	// A segment length running past the end.
	require.Equal(t, 1, exifOrientation("image/jpeg", []byte("\xFF\xD8\xFF\xE1\xFF\xFFExif\x00\x00")))

	p := encodePNG(t, filled(8, 8, color.White))
	require.Equal(t, 6, exifOrientation("image/png", withPNGChunk(p, pngChunk("eXIf", orientationExif(binary.LittleEndian, 6)))))
	require.Equal(t, 6, exifOrientation("image/png", withPNGChunk(p, pngChunk("eXIf", exif))), "with Exif prefix")
	require.Equal(t, 1, exifOrientation("image/png", p))

	require.Equal(t, 1, exifOrientation("image/gif", withJPEGSegments(jpg, jpegSegment(0xE1, exif))))
}

// The letters of TestOrient's 3×2 test image, and the colour of each.
var letterColor = map[byte]color.NRGBA{
	'A': {R: 255, A: 255}, 'B': {G: 255, A: 255}, 'C': {B: 255, A: 255},
	'D': {R: 255, G: 255, A: 255}, 'E': {G: 255, B: 255, A: 255}, 'F': {R: 255, B: 255, A: 255},
}

// upright lists, for each EXIF orientation, how the stored image
//
//	A B C
//	D E F
//
// must look once displayed, worked out by hand from the EXIF specification
// (not from the implementation's formulas).
var upright = map[int][]string{
	1: {"ABC", "DEF"},
	2: {"CBA", "FED"},     // mirrored left-right
	3: {"FED", "CBA"},     // turned 180°
	4: {"DEF", "ABC"},     // mirrored top-bottom
	5: {"AD", "BE", "CF"}, // mirrored along the main diagonal
	6: {"DA", "EB", "FC"}, // turned 90° clockwise
	7: {"FC", "EB", "DA"}, // mirrored along the other diagonal
	8: {"CF", "BE", "AD"}, // turned 90° counter-clockwise
}

func letters(rows ...string) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, row := range rows {
		for x := range len(row) {
			m.SetNRGBA(x, y, letterColor[row[x]])
		}
	}
	return m
}

// TestOrient checks the pixel transform for every image type it handles.
func TestOrient(t *testing.T) {
	t.Parallel()
	src := letters("ABC", "DEF")
	for o := 1; o <= 8; o++ {
		want := letters(upright[o]...)
		for name, img := range map[string]image.Image{
			"nrgba":    src,
			"rgba":     convert(src, func(r image.Rectangle) draw8 { return image.NewRGBA(r) }),
			"rgba64":   convert(src, func(r image.Rectangle) draw8 { return image.NewRGBA64(r) }),
			"nrgba64":  convert(src, func(r image.Rectangle) draw8 { return image.NewNRGBA64(r) }),
			"cmyk":     convert(src, func(r image.Rectangle) draw8 { return image.NewCMYK(r) }),
			"paletted": convert(src, func(r image.Rectangle) draw8 { return image.NewPaletted(r, palette()) }),
			"subimage": subImage(src),
			"ycbcr444": ycbcr(src, image.YCbCrSubsampleRatio444),
			"generic":  genericImage{src},
		} {
			got := orient(img, o)
			if o != 1 {
				require.Equal(t, want.Bounds(), got.Bounds(), "%s orientation %d", name, o)
			}
			tol := 0
			if name == "ycbcr444" {
				tol = 3 // RGB → YCbCr → RGB rounding
			}
			requireSameColors(t, want, got, tol, "%s orientation %d", name, o)
		}
	}
}

// TestOrientPlanes checks gray and subsampled planes with a gradient, where
// every pixel value is distinct.
func TestOrientPlanes(t *testing.T) {
	t.Parallel()
	const w, h = 6, 4
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 10)
	}
	for o := 1; o <= 8; o++ {
		got := orient(g, o).(*image.Gray)
		for y := range h {
			for x := range w {
				dx, dy := displayed(x, y, w, h, o)
				require.Equal(t, g.GrayAt(x, y), got.GrayAt(dx, dy), "orientation %d (%d,%d)", o, x, y)
			}
		}
		for _, ratio := range []image.YCbCrSubsampleRatio{
			image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440,
		} {
			m := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
			copy(m.Y, g.Pix)
			for i := range m.Cb {
				m.Cb[i], m.Cr[i] = uint8(100+i), uint8(200-i)
			}
			got := orient(m, o).(*image.YCbCr)
			for y := range h {
				for x := range w {
					dx, dy := displayed(x, y, w, h, o)
					require.Equal(t, m.YCbCrAt(x, y), got.YCbCrAt(dx, dy), "%v orientation %d (%d,%d)", ratio, o, x, y)
				}
			}
		}
	}
	// 4:1:1 turned sideways has no Go representation: converted instead.
	m := image.NewYCbCr(image.Rect(0, 0, 8, 2), image.YCbCrSubsampleRatio411)
	got := orient(m, 6)
	require.Equal(t, image.Rect(0, 0, 2, 8), got.Bounds())
	_, isNRGBA := got.(*image.NRGBA)
	require.True(t, isNRGBA)
}

// displayed is where the stored pixel (x, y) of a w×h image appears after
// orientation o: the inverse view of the table in upright, by geometry.
func displayed(x, y, w, h, o int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return h - 1 - y, x
	case 7:
		return h - 1 - y, w - 1 - x
	case 8:
		return y, w - 1 - x
	}
	return x, y
}

type draw8 interface {
	image.Image
	Set(x, y int, c color.Color)
}

func convert(src image.Image, mk func(image.Rectangle) draw8) image.Image {
	dst := mk(src.Bounds())
	for y := src.Bounds().Min.Y; y < src.Bounds().Max.Y; y++ {
		for x := src.Bounds().Min.X; x < src.Bounds().Max.X; x++ {
			dst.Set(x, y, src.At(x, y))
		}
	}
	return dst
}

func palette() color.Palette {
	p := color.Palette{}
	for _, c := range []byte("ABCDEF") {
		p = append(p, letterColor[c])
	}
	return p
}

// subImage returns src drawn at an offset inside a larger image and cut out
// again, so that its bounds do not start at the origin.
func subImage(src *image.NRGBA) image.Image {
	big := image.NewNRGBA(image.Rect(-5, -7, 10, 10))
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			big.Set(x+2, y+3, src.At(x, y))
		}
	}
	return big.SubImage(b.Add(image.Pt(2, 3)))
}

func ycbcr(src image.Image, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	m := image.NewYCbCr(src.Bounds(), ratio)
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := src.At(x, y).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bb>>8))
			m.Y[m.YOffset(x, y)], m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)] = yy, cb, cr
		}
	}
	return m
}

// genericImage hides the concrete type.
type genericImage struct{ image.Image }

// requireSameColors compares two images pixel by pixel (relative to their
// bounds) within tol per 8-bit channel.
func requireSameColors(t *testing.T, want, got image.Image, tol int, msg string, args ...any) {
	t.Helper()
	wb, gb := want.Bounds(), got.Bounds()
	require.Equal(t, wb.Size(), gb.Size(), append([]any{msg}, args...)...)
	for y := range wb.Dy() {
		for x := range wb.Dx() {
			wr, wg, wbb, wa := want.At(wb.Min.X+x, wb.Min.Y+y).RGBA()
			gr, gg, gbb, ga := got.At(gb.Min.X+x, gb.Min.Y+y).RGBA()
			for _, d := range []int{int(wr>>8) - int(gr>>8), int(wg>>8) - int(gg>>8), int(wbb>>8) - int(gbb>>8), int(wa>>8) - int(ga>>8)} {
				if d < -tol || d > tol {
					t.Fatalf("%s: pixel (%d,%d): want %v, got %v", fmtMsg(msg, args), x, y,
						want.At(wb.Min.X+x, wb.Min.Y+y), got.At(gb.Min.X+x, gb.Min.Y+y))
				}
			}
		}
	}
}

func FuzzExifOrientation(f *testing.F) {
	f.Add(withJPEGSegments(encodeJPEG(f, filled(8, 8, color.White)), jpegSegment(0xE1, cat("Exif\x00\x00", exifWithGPS(6)))))
	f.Add(withPNGChunk(encodePNG(f, filled(2, 2, color.Black)), pngChunk("eXIf", orientationExif(binary.LittleEndian, 5))))
	f.Add(cat("RIFF", le32(30), "WEBPVP8X", le32(10), make([]byte, 10), "EXIF", le32(8), orientationExif(binary.BigEndian, 3)))
	f.Add(orientationExif(binary.BigEndian, 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mime := range []string{"image/jpeg", "image/png", "image/webp"} {
			if o := exifOrientation(mime, data); o < 1 || o > 8 {
				t.Fatalf("%s: orientation %d", mime, o)
			}
		}
		if o := tiffOrientation(data); o < 1 || o > 8 {
			t.Fatalf("tiff: orientation %d", o)
		}
	})
}
