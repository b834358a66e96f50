package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
)

// EXIF orientation values (TIFF tag 0x0112): how the stored pixels must be
// transformed to be displayed upright.
const (
	orientNormal     = 1 // as stored
	orientFlipH      = 2 // mirrored left-right
	orientRotate180  = 3
	orientFlipV      = 4 // mirrored top-bottom
	orientTranspose  = 5 // mirrored along the top-left/bottom-right diagonal
	orientRotate90   = 6 // rotate 90° clockwise to display
	orientTransverse = 7 // mirrored along the top-right/bottom-left diagonal
	orientRotate270  = 8 // rotate 90° counter-clockwise to display
)

// exifOrientation returns the EXIF orientation (1–8) recorded in an encoded
// image, or 1 when there is none or it cannot be read. It reads the EXIF
// block of JPEG (APP1 "Exif"), PNG (eXIf chunk) and WebP (EXIF chunk), then
// only IFD0's Orientation tag: a few bounds-checked lines instead of a
// general EXIF library, because nothing else in EXIF is wanted and every
// byte of it is untrusted.
func exifOrientation(mime string, data []byte) int {
	var tiff []byte
	switch mime {
	case "image/jpeg":
		tiff = jpegExif(data)
	case "image/png":
		tiff = pngExif(data)
	case "image/webp":
		tiff = webpExif(data)
	}
	return tiffOrientation(tiff)
}

// jpegExif returns the TIFF structure inside the first APP1 "Exif\0\0"
// segment before the image data, or nil.
func jpegExif(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return nil
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x01 || m == 0xD8 || (0xD0 <= m && m <= 0xD7): // no length
			i += 2
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		end := i + 2 + n
		if n < 2 || end > len(b) {
			return nil
		}
		if seg := b[i+4 : end]; m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i = end
	}
	return nil
}

// pngExif returns the payload of the eXIf chunk, or nil.
func pngExif(b []byte) []byte {
	const sig = 8
	for i := sig; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || n > len(b)-i-12 {
			return nil
		}
		switch typ {
		case "eXIf":
			return trimExifPrefix(b[i+8 : i+8+n])
		case "IEND":
			return nil
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the payload of the EXIF chunk of an extended WebP file,
// or nil.
func webpExif(b []byte) []byte {
	for i := 12; i+8 <= len(b); {
		typ := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return nil
		}
		if typ == "EXIF" {
			return trimExifPrefix(b[i+8 : i+8+n])
		}
		i += 8 + n + n&1 // chunks are padded to an even size
	}
	return nil
}

// trimExifPrefix drops the "Exif\0\0" that some writers put before the TIFF
// header where the format does not call for it.
func trimExifPrefix(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
}

// tiffOrientation reads the Orientation tag (0x0112, SHORT) of IFD0 of a
// TIFF structure. It returns 1 when absent, malformed or out of range.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return orientNormal
	}
	var bo binary.ByteOrder
	switch string(t[0:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return orientNormal
	}
	if bo.Uint16(t[2:]) != 42 {
		return orientNormal
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return orientNormal
	}
	count := int64(bo.Uint16(t[ifd:]))
	for i := range count {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			break
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		var v uint32
		switch typ := bo.Uint16(t[e+2:]); typ {
		case 3: // SHORT
			v = uint32(bo.Uint16(t[e+8:]))
		case 4: // LONG, seen in the wild
			v = bo.Uint32(t[e+8:])
		default:
			return orientNormal
		}
		if v < 1 || v > 8 {
			return orientNormal
		}
		return int(v)
	}
	return orientNormal
}

// orient returns img transformed for display according to an EXIF
// orientation, as a new image with its bounds at the origin. Orientation 1
// (or an invalid value) returns img itself. The usual types (YCbCr from JPEG and WebP, RGBA, NRGBA, Gray,
// Paletted, CMYK, 16-bit) are transformed plane by plane without colour
// conversion; others are first converted to NRGBA.
func orient(img image.Image, o int) image.Image {
	if o <= orientNormal || o > orientRotate270 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= orientTranspose {
		dw, dh = h, w
	}
	dr := image.Rect(0, 0, dw, dh)
	switch m := img.(type) {
	case *image.YCbCr:
		if out := orientYCbCr(m, o); out != nil {
			return out
		}
	case *image.NYCbCrA:
		if out := orientYCbCr(&m.YCbCr, o); out != nil {
			a, stride := transformPlane(m.A[m.AOffset(b.Min.X, b.Min.Y):], w, h, m.AStride, 1, o)
			return &image.NYCbCrA{YCbCr: *out, A: a, AStride: stride}
		}
	case *image.RGBA:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 4, o)
		return &image.RGBA{Pix: pix, Stride: stride, Rect: dr}
	case *image.NRGBA:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 4, o)
		return &image.NRGBA{Pix: pix, Stride: stride, Rect: dr}
	case *image.RGBA64:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 8, o)
		return &image.RGBA64{Pix: pix, Stride: stride, Rect: dr}
	case *image.NRGBA64:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 8, o)
		return &image.NRGBA64{Pix: pix, Stride: stride, Rect: dr}
	case *image.Gray:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 1, o)
		return &image.Gray{Pix: pix, Stride: stride, Rect: dr}
	case *image.Gray16:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 2, o)
		return &image.Gray16{Pix: pix, Stride: stride, Rect: dr}
	case *image.CMYK:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 4, o)
		return &image.CMYK{Pix: pix, Stride: stride, Rect: dr}
	case *image.Paletted:
		pix, stride := transformPlane(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w, h, m.Stride, 1, o)
		return &image.Paletted{Pix: pix, Stride: stride, Rect: dr, Palette: m.Palette}
	}
	n := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
	return orient(n, o)
}

// orientYCbCr transforms the three planes of a YCbCr image. It returns nil
// for layouts it does not handle (bounds not at the origin, 4:1:1 and 4:1:0
// subsampling turned sideways), which the caller converts instead. With an
// odd width or height, chroma may land one pixel off: invisible.
func orientYCbCr(m *image.YCbCr, o int) *image.YCbCr {
	if m.Rect.Min != (image.Point{}) {
		return nil
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	var cw, ch int
	ratio := m.SubsampleRatio
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		cw, ch = w, h
	case image.YCbCrSubsampleRatio422:
		cw, ch = (w+1)/2, h
	case image.YCbCrSubsampleRatio420:
		cw, ch = (w+1)/2, (h+1)/2
	case image.YCbCrSubsampleRatio440:
		cw, ch = w, (h+1)/2
	case image.YCbCrSubsampleRatio411:
		cw, ch = (w+3)/4, h
	case image.YCbCrSubsampleRatio410:
		cw, ch = (w+3)/4, (h+1)/2
	default:
		return nil
	}
	if o >= orientTranspose {
		switch ratio {
		case image.YCbCrSubsampleRatio422:
			ratio = image.YCbCrSubsampleRatio440
		case image.YCbCrSubsampleRatio440:
			ratio = image.YCbCrSubsampleRatio422
		case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
			return nil
		}
	}
	dw, dh := w, h
	if o >= orientTranspose {
		dw, dh = h, w
	}
	y, ys := transformPlane(m.Y, w, h, m.YStride, 1, o)
	cb, cs := transformPlane(m.Cb, cw, ch, m.CStride, 1, o)
	cr, _ := transformPlane(m.Cr, cw, ch, m.CStride, 1, o)
	return &image.YCbCr{
		Y: y, Cb: cb, Cr: cr,
		YStride: ys, CStride: cs,
		SubsampleRatio: ratio,
		Rect:           image.Rect(0, 0, dw, dh),
	}
}

// transformPlane applies orientation o to a plane of w×h pixels of bpp
// bytes each, stored row by row with the given stride, and returns the new
// plane (tightly packed) and its stride.
//
// With dst pixel (x, y) and src size w×h, the source pixel is:
//
//	2: (w-1-x, y)        3: (w-1-x, h-1-y)    4: (x, h-1-y)
//	5: (y, x)            6: (y, h-1-x)        7: (w-1-y, h-1-x)    8: (w-1-y, x)
func transformPlane(src []byte, w, h, stride, bpp, o int) ([]byte, int) {
	dw, dh := w, h
	if o >= orientTranspose {
		dw, dh = h, w
	}
	dstride := dw * bpp
	dst := make([]byte, dstride*dh)
	if w == 0 || h == 0 {
		return dst, dstride
	}
	for y := range dh {
		// Source position of (0, y) and the source step for x+1.
		var sx, sy, dx, dy int
		switch o {
		case orientFlipH:
			sx, sy, dx, dy = w-1, y, -1, 0
		case orientRotate180:
			sx, sy, dx, dy = w-1, h-1-y, -1, 0
		case orientFlipV:
			sx, sy, dx, dy = 0, h-1-y, 1, 0
		case orientTranspose:
			sx, sy, dx, dy = y, 0, 0, 1
		case orientRotate90:
			sx, sy, dx, dy = y, h-1, 0, -1
		case orientTransverse:
			sx, sy, dx, dy = w-1-y, h-1, 0, -1
		case orientRotate270:
			sx, sy, dx, dy = w-1-y, 0, 0, 1
		default:
			sx, sy, dx, dy = 0, y, 1, 0
		}
		s := sy*stride + sx*bpp
		step := dy*stride + dx*bpp
		row := dst[y*dstride : (y+1)*dstride]
		if bpp == 1 {
			for x := range row {
				row[x] = src[s]
				s += step
			}
			continue
		}
		for d := 0; d < len(row); d += bpp {
			copy(row[d:d+bpp], src[s:s+bpp])
			s += step
		}
	}
	return dst, dstride
}
