package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"strings"

	"github.com/kirokuhq/kiroku/internal/media"
)

func ExampleSniff() {
	for _, head := range []string{
		"%PDF-1.7\n",
		"#!AMR\n",
		"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
		`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`,
		"PK\x03\x04\x14\x00\x06\x00", // xlsx
		"MZ\x90\x00",                 // Windows executable
	} {
		kind, mime, ok := media.Sniff([]byte(head))
		fmt.Printf("%q %q %v\n", kind, mime, ok)
	}
	// Output:
	// "pdf" "application/pdf" true
	// "audio" "audio/amr" true
	// "image" "image/heic" true
	// "" "" false
	// "" "" false
	// "" "" false
}

func ExampleProcessImage() {
	// A 1000×500 screenshot.
	var upload bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 1000, 500))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	_ = png.Encode(&upload, img)

	p, err := media.ProcessImage(&upload, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.MIME, p.Width, p.Height, p.ThumbWidth, p.ThumbHeight)

	// HEIC cannot be decoded: the caller decides (see the package docs).
	_, err = media.ProcessImage(strings.NewReader("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), 0)
	fmt.Println(errors.Is(err, media.ErrUndecodable))

	// A decompression bomb is refused before decoding.
	_, err = media.ProcessImage(bytes.NewReader(bombPNG()), 0)
	var tooMany *media.TooManyPixelsError
	fmt.Println(errors.As(err, &tooMany), errors.Is(err, media.ErrInvalid))
	// Output:
	// image/png 1000 500 320 160
	// true
	// true true
}

// bombPNG is a 1×1 PNG whose header is rewritten to claim 60 000 × 60 000
// pixels (3.6 gigapixels, 14 GB as RGBA).
func bombPNG() []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	p := b.Bytes()
	binary.BigEndian.PutUint32(p[16:], 60000) // IHDR width
	binary.BigEndian.PutUint32(p[20:], 60000) // IHDR height
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}
