package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"
)

// cat concatenates byte slices and strings.
func cat(parts ...any) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		case []byte:
			b.Write(v)
		case byte:
			b.WriteByte(v)
		default:
			panic("cat: unsupported part")
		}
	}
	return b.Bytes()
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// box builds an ISO BMFF box.
func box(typ string, payload ...[]byte) []byte {
	p := bytes.Join(payload, nil)
	return cat(be32(uint32(8+len(p))), typ, p)
}

// ftyp builds a file type box.
func ftyp(major string, compatible ...string) []byte {
	p := cat(major, be32(0))
	for _, c := range compatible {
		p = cat(p, c)
	}
	return box("ftyp", p)
}

// hdlr builds a handler reference box of the given type.
func hdlr(handler string) []byte {
	return box("hdlr", cat(be32(0), be32(0), handler, make([]byte, 12), "x\x00"))
}

// trak builds a track with one handler.
func trak(handler string) []byte {
	return box("trak", box("tkhd", make([]byte, 84)), box("mdia", box("mdhd", make([]byte, 24)), hdlr(handler)))
}

// ebml builds a Matroska element with a 1- or 2-byte size (or an unknown
// size when data is nil and unknown is set through ebmlUnknown).
func ebml(id uint32, data ...[]byte) []byte {
	d := bytes.Join(data, nil)
	idb := be32(id)
	for len(idb) > 1 && idb[0] == 0 {
		idb = idb[1:]
	}
	var size []byte
	if len(d) < 127 {
		size = []byte{0x80 | byte(len(d))}
	} else {
		size = []byte{0x40 | byte(len(d)>>8), byte(len(d))}
	}
	return cat(idb, size, d)
}

// ebmlUnknown builds an element of unknown size (live recordings).
func ebmlUnknown(id uint32, data ...[]byte) []byte {
	return cat(be32(id), []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, bytes.Join(data, nil))
}

func ebmlHeader(docType string) []byte {
	return ebml(ebmlHeaderID,
		ebml(0x4286, []byte{1}), // EBMLVersion
		ebml(0x42F7, []byte{1}), // EBMLReadVersion
		ebml(0x42F2, []byte{4}), // EBMLMaxIDLength
		ebml(0x42F3, []byte{8}), // EBMLMaxSizeLength
		ebml(ebmlDocTypeID, []byte(docType)),
		ebml(0x4287, []byte{4}), // DocTypeVersion
		ebml(0x4285, []byte{2}), // DocTypeReadVersion
	)
}

func mkvTrack(typ byte, codec string) []byte {
	return ebml(mkvEntryID, ebml(0xD7, []byte{1}), ebml(mkvTypeID, []byte{typ}), ebml(0x86, []byte(codec)))
}

// mp3Frame is an MPEG-1 layer III frame: 128 kbit/s, 44.1 kHz, 417 bytes.
func mp3Frame() []byte {
	f := make([]byte, 417)
	copy(f, []byte{0xFF, 0xFB, 0x90, 0x64})
	return f
}

// adtsFrame is an AAC ADTS frame of n bytes (LC, 44.1 kHz, stereo).
func adtsFrameBytes(n int) []byte {
	f := make([]byte, n)
	copy(f, []byte{0xFF, 0xF1, 0x50, 0x80 | byte(n>>11)&3, byte(n >> 3), byte(n<<5) | 0x1F, 0xFC})
	return f
}

// oggPage builds the first page of an Ogg stream holding one packet.
func oggPage(packet []byte) []byte {
	return cat("OggS", byte(0), byte(2), make([]byte, 8), be32(1), be32(0), be32(0), byte(1), byte(len(packet)), packet)
}

// tiffEntry is one IFD entry for tiffBlock.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // inline when ≤ 4 bytes, else stored after the IFDs
}

// tiffBlock builds a little- or big-endian TIFF structure with IFD0 and,
// when gps is not nil, a GPS IFD linked from IFD0.
func tiffBlock(bo binary.AppendByteOrder, ifd0 []tiffEntry, gps []tiffEntry) []byte {
	order := "II"
	if bo == binary.BigEndian {
		order = "MM"
	}
	if gps != nil {
		ifd0 = append(ifd0, tiffEntry{tag: 0x8825, typ: 4, count: 1, value: nil}) // patched below
	}
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0Off := 8
	gpsOff := ifd0Off + ifdSize(len(ifd0))
	dataOff := gpsOff
	if gps != nil {
		dataOff += ifdSize(len(gps))
	}
	var data []byte
	writeIFD := func(entries []tiffEntry) []byte {
		b := bo.AppendUint16(nil, uint16(len(entries)))
		for _, e := range entries {
			b = bo.AppendUint16(b, e.tag)
			b = bo.AppendUint16(b, e.typ)
			b = bo.AppendUint32(b, e.count)
			v := e.value
			if e.tag == 0x8825 && gps != nil {
				v = bo.AppendUint32(nil, uint32(gpsOff))
			}
			if len(v) <= 4 {
				b = append(b, v...)
				b = append(b, make([]byte, 4-len(v))...)
				continue
			}
			b = bo.AppendUint32(b, uint32(dataOff+len(data)))
			data = append(data, v...)
		}
		return bo.AppendUint32(b, 0)
	}
	out := cat(order, bo.AppendUint16(nil, 42), bo.AppendUint32(nil, uint32(ifd0Off)))
	out = append(out, writeIFD(ifd0)...)
	if gps != nil {
		out = append(out, writeIFD(gps)...)
	}
	return append(out, data...)
}

func short(bo binary.AppendByteOrder, v uint16) []byte { return bo.AppendUint16(nil, v) }

func rationals(bo binary.AppendByteOrder, vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = bo.AppendUint32(b, v)
		b = bo.AppendUint32(b, 1)
	}
	return b
}

// exifWithGPS is an EXIF block as a phone writes it: camera make and model,
// an orientation, and the position of Tokyo Station.
func exifWithGPS(orientation uint16) []byte {
	bo := binary.BigEndian
	return tiffBlock(bo,
		[]tiffEntry{
			{tag: 0x010F, typ: 2, count: 10, value: []byte("KirokuCam\x00")},
			{tag: 0x0110, typ: 2, count: 12, value: []byte("Model SN123\x00")},
			{tag: 0x0112, typ: 3, count: 1, value: short(bo, orientation)},
		},
		[]tiffEntry{
			{tag: 0x0001, typ: 2, count: 2, value: []byte("N\x00")},
			{tag: 0x0002, typ: 5, count: 3, value: rationals(bo, 35, 40, 52)},
			{tag: 0x0003, typ: 2, count: 2, value: []byte("E\x00")},
			{tag: 0x0004, typ: 5, count: 3, value: rationals(bo, 139, 46, 0)},
		},
	)
}

func orientationExif(bo binary.AppendByteOrder, o uint16) []byte {
	return tiffBlock(bo, []tiffEntry{{tag: 0x0112, typ: 3, count: 1, value: short(bo, o)}}, nil)
}

// jpegSegment builds a marker segment.
func jpegSegment(marker byte, payload []byte) []byte {
	return cat(byte(0xFF), marker, byte((len(payload)+2)>>8), byte(len(payload)+2), payload)
}

// withJPEGSegments inserts segments right after SOI.
func withJPEGSegments(jpg []byte, segs ...[]byte) []byte {
	return cat(jpg[:2], bytes.Join(segs, nil), jpg[2:])
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	return cat(be32(uint32(len(data))), typ, data, be32(crc.Sum32()))
}

// withPNGChunk inserts a chunk right after IHDR.
func withPNGChunk(p []byte, chunk []byte) []byte {
	ihdrEnd := 8 + 8 + 13 + 4
	return cat(p[:ihdrEnd], chunk, p[ihdrEnd:])
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}))
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, gif.Encode(&b, img, nil))
	return b.Bytes()
}

// filled returns a w×h image of one colour.
func filled(w, h int, c color.Color) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	return m
}

// jpegMarkers lists the markers of a JPEG up to the start of scan.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte{0xFF, 0xD8}), "JPEG SOI")
	var markers []byte
	for i := 2; i+4 <= len(b); {
		require.Equal(t, byte(0xFF), b[i], "marker at %d", i)
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xDA {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return markers
}

// pngChunkTypes lists the chunk types of a PNG.
func pngChunkTypes(t *testing.T, b []byte) []string {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")))
	var types []string
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		types = append(types, string(b[i+4:i+8]))
		i += 12 + n
	}
	return types
}

func fmtMsg(msg string, args []any) string { return fmt.Sprintf(msg, args...) }
