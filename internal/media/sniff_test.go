package media

import (
	"bytes"
	"image/color"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	img := filled(2, 2, color.NRGBA{R: 200, A: 255})
	lossyWebP, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	require.NoError(t, err)
	losslessWebP, err := os.ReadFile("testdata/gopher-doc.8bpp.lossless.webp")
	require.NoError(t, err)
	alphaWebP, err := os.ReadFile("testdata/yellow_rose.lossy-with-alpha.webp")
	require.NoError(t, err)

	webmAudio := cat(ebmlHeader("webm"), ebmlUnknown(mkvSegmentID,
		ebml(0x114D9B74, make([]byte, 20)),                   // SeekHead
		ebml(0x1549A966, ebml(0x2AD7B1, []byte{0x0F, 0x42})), // Info
		ebml(mkvTracksID, mkvTrack(2, "A_OPUS")),
		ebmlUnknown(mkvClusterID, make([]byte, 100)),
	))
	webmVideo := cat(ebmlHeader("webm"), ebmlUnknown(mkvSegmentID,
		ebml(mkvTracksID, mkvTrack(1, "V_VP8"), mkvTrack(2, "A_OPUS")),
	))
	mkvAudio := cat(ebmlHeader("matroska"), ebml(mkvSegmentID, ebml(mkvTracksID, mkvTrack(2, "A_FLAC"))))
	mkvVideo := cat(ebmlHeader("matroska"), ebml(mkvSegmentID, ebml(mkvTracksID, mkvTrack(1, "V_MPEG4/ISO/AVC"))))
	// Tracks beyond what Sniff sees: assume video.
	webmNoTracks := cat(ebmlHeader("webm"), ebmlUnknown(mkvSegmentID, ebml(0xEC, make([]byte, 50))))
	// Tracks cut off by the end of head: assume video.
	webmCut := webmAudio[:len(ebmlHeader("webm"))+8+22+8+12]

	soundMoov := box("moov", box("mvhd", make([]byte, 100)), trak("soun"))
	videoMoov := box("moov", box("mvhd", make([]byte, 100)), trak("vide"), trak("soun"))
	mdat := box("mdat", make([]byte, 64))

	for _, tc := range []struct {
		name string
		head []byte
		kind Kind
		mime string
	}{
		// Images, from Go's encoders and from x/image's test files.
		{"jpeg", encodeJPEG(t, img), KindImage, "image/jpeg"},
		{"jpeg exif", cat("\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00MM\x00\x2A\x00\x00\x00\x08"), KindImage, "image/jpeg"},
		{"png", encodePNG(t, img), KindImage, "image/png"},
		{"gif89a", encodeGIF(t, img), KindImage, "image/gif"},
		{"gif87a", cat("GIF87a\x02\x00\x02\x00\x80\x00\x00"), KindImage, "image/gif"},
		{"webp lossy", lossyWebP, KindImage, "image/webp"},
		{"webp lossless", losslessWebP, KindImage, "image/webp"},
		{"webp alpha", alphaWebP, KindImage, "image/webp"},
		{"heic iphone", cat(ftyp("heic", "mif1", "MiHE", "MiPr", "miaf", "MiHB", "heic"), box("meta", make([]byte, 40))), KindImage, "image/heic"},
		{"heic by compatible brand", ftyp("mif1", "mif1", "heic"), KindImage, "image/heic"},
		{"heif generic", ftyp("mif1", "mif1", "miaf"), KindImage, "image/heif"},
		{"heic sequence", ftyp("hevc", "mif1", "msf1", "hevc"), KindImage, "image/heic-sequence"},
		{"heif sequence", ftyp("msf1", "msf1", "iso8"), KindImage, "image/heif-sequence"},
		{"avif", ftyp("avif", "avif", "mif1", "miaf", "MA1B"), KindImage, "image/avif"},

		{"pdf 1.7", []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n"), KindPDF, "application/pdf"},
		{"pdf 2.0", []byte("%PDF-2.0\r\n"), KindPDF, "application/pdf"},

		// Audio.
		{"mp3 id3v2.4", cat("ID3\x04\x00\x00\x00\x00\x00\x0A", make([]byte, 10), mp3Frame(), mp3Frame()), KindAudio, "audio/mpeg"},
		{"mp3 id3v2.3 tag beyond head", cat("ID3\x03\x00\x00\x00\x01\x7F\x7F", make([]byte, 100)), KindAudio, "audio/mpeg"},
		{"mp3 bare frames", cat(mp3Frame(), mp3Frame()), KindAudio, "audio/mpeg"},
		{"mp3 single frame", mp3Frame()[:100], KindAudio, "audio/mpeg"},
		{"mpeg-2 layer iii", cat([]byte{0xFF, 0xF3, 0x44, 0xC4}, make([]byte, 20)), KindAudio, "audio/mpeg"},
		{"aac adts", cat(adtsFrameBytes(300), adtsFrameBytes(280)), KindAudio, "audio/aac"},
		{"aac with id3", cat("ID3\x04\x00\x00\x00\x00\x00\x00", adtsFrameBytes(300)), KindAudio, "audio/aac"},
		{"m4a", cat(ftyp("M4A ", "M4A ", "mp42", "isom"), mdat), KindAudio, "audio/mp4"},
		{"m4a compatible brand", ftyp("dby1", "M4A ", "isom"), KindAudio, "audio/mp4"},
		{"mp4 sound only", cat(ftyp("mp42", "isom", "mp42"), soundMoov, mdat), KindAudio, "audio/mp4"},
		{"3gp sound only", cat(ftyp("3gp4", "isom", "3gp4"), soundMoov), KindAudio, "audio/3gpp"},
		{"wav", cat("RIFF", le32(36), "WAVEfmt ", le32(16), make([]byte, 16), "data", le32(0)), KindAudio, "audio/wav"},
		{"wav rf64", cat("RF64", le32(0xFFFFFFFF), "WAVEds64"), KindAudio, "audio/wav"},
		{"ogg opus", oggPage([]byte("OpusHead\x01\x02\x38\x01\x80\xBB\x00\x00\x00\x00\x00")), KindAudio, "audio/ogg"},
		{"ogg vorbis", oggPage([]byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xAC\x00\x00")), KindAudio, "audio/ogg"},
		{"ogg flac", oggPage([]byte("\x7fFLAC\x01\x00\x00\x01fLaC")), KindAudio, "audio/ogg"},
		{"amr", []byte("#!AMR\n\x3C\x48\xF5\x1F"), KindAudio, "audio/amr"},
		{"amr-wb", []byte("#!AMR-WB\n\x24\x01"), KindAudio, "audio/amr-wb"},
		{"webm audio", webmAudio, KindAudio, "audio/webm"},
		{"matroska audio", mkvAudio, KindAudio, "audio/x-matroska"},

		// Video.
		{"mp4", cat(ftyp("isom", "isom", "iso2", "avc1", "mp41"), box("free", nil), mdat), KindVideo, "video/mp4"},
		{"mp4 with video moov", cat(ftyp("mp42", "isom", "mp42"), videoMoov), KindVideo, "video/mp4"},
		{"mp4 moov cut off", cat(ftyp("mp42", "isom", "mp42"), soundMoov[:40]), KindVideo, "video/mp4"},
		{"mov", cat(ftyp("qt  ", "qt  "), box("wide", nil), mdat), KindVideo, "video/quicktime"},
		{"3gp", ftyp("3gp4", "isom", "3gp4"), KindVideo, "video/3gpp"},
		{"3gp5", ftyp("3gp5", "3gp5", "isom"), KindVideo, "video/3gpp"},
		{"3g2", ftyp("3g2a", "3g2a"), KindVideo, "video/3gpp2"},
		{"m4v", ftyp("M4V ", "M4V ", "M4A ", "mp42", "isom"), KindVideo, "video/mp4"},
		{"mp4 compatible brand", ftyp("dby1", "isom", "mp42"), KindVideo, "video/mp4"},
		{"webm video", webmVideo, KindVideo, "video/webm"},
		{"webm tracks unseen", webmNoTracks, KindVideo, "video/webm"},
		{"webm tracks cut off", webmCut, KindVideo, "video/webm"},
		{"matroska video", mkvVideo, KindVideo, "video/x-matroska"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind, mime, ok := Sniff(tc.head)
			require.True(t, ok)
			require.Equal(t, tc.kind, kind)
			require.Equal(t, tc.mime, mime)
		})
	}
}

func TestSniffRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		head []byte
	}{
		{"empty", nil},
		{"short", []byte("\xFF\xD8")},
		{"windows exe", cat("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF", make([]byte, 50), "PE\x00\x00")},
		{"elf", []byte("\x7FELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"mach-o", []byte("\xCF\xFA\xED\xFE\x07\x00\x00\x01")},
		{"java class", []byte("\xCA\xFE\xBA\xBE\x00\x00\x00\x34")},
		{"shell script", []byte("#!/bin/sh\nrm -rf /\n")},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00")},
		{"xlsx", cat("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "[Content_Types].xml")},
		{"empty zip", []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"old xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00")},
		{"gzip", []byte("\x1F\x8B\x08\x00\x00\x00\x00\x00")},
		{"7z", []byte("7z\xBC\xAF\x27\x1C\x00\x04")},
		{"rar", []byte("Rar!\x1A\x07\x01\x00")},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script>")},
		{"html bom", []byte("\xEF\xBB\xBF<html><body onload=alert(1)>")},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{"svg xml", []byte("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")},
		{"svg whitespace", []byte("  \n<svg></svg>")},
		{"xml", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>")},
		{"text", []byte("面談メモ: 来週見積もり提出")},
		{"csv", []byte("name,kana\n山田,ヤマダ\n")},
		{"rtf", []byte(`{\rtf1\ansi`)},
		{"postscript", []byte("%!PS-Adobe-3.0\n")},
		{"pdf without version", []byte("%PDF-x")},
		{"pdf not at start", []byte("junk\n%PDF-1.7\n")},
		{"swf", []byte("FWS\x0A\x00\x00\x00\x00")},
		{"tiff ii", []byte("II*\x00\x08\x00\x00\x00\x00\x00")},
		{"tiff mm", []byte("MM\x00*\x00\x00\x00\x08\x00\x00")},
		{"bmp", []byte("BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00")},
		{"ico", []byte("\x00\x00\x01\x00\x01\x00\x10\x10")},
		{"avi", cat("RIFF", le32(100), "AVI LIST")},
		{"riff other", cat("RIFF", le32(100), "CDXAfmt ")},
		{"webp without image chunk", cat("RIFF", le32(100), "WEBPJUNK")},
		{"ogg theora", oggPage([]byte("\x80theora\x03\x02\x00"))},
		{"ogg unknown", oggPage([]byte("fishead\x00"))},
		{"ogg truncated", []byte("OggS\x00\x02\x00")},
		{"jpeg 2000", ftyp("jp2 ", "jp2 ")},
		{"canon cr3", ftyp("crx ", "crx ", "isom")},
		{"ftyp bad size", cat(be32(7), "ftypisom\x00\x00\x00\x00")},
		{"ftyp odd size", cat(be32(18), "ftypisom\x00\x00\x00\x00is")},
		{"matroska unknown doctype", cat(ebmlHeader("foo"), ebml(mkvSegmentID))},
		{"ebml header unknown size", cat(be32(ebmlHeaderID), []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})},
		{"ebml truncated", []byte("\x1A\x45\xDF\xA3\x9F\x42\x86")},
		{"id3 bad version", []byte("ID3\x09\x00\x00\x00\x00\x00\x00")},
		{"id3 bad size", []byte("ID3\x04\x00\x00\x80\x00\x00\x00")},
		{"mpeg bad second frame", cat(mp3Frame(), "JUNK")},
		{"mpeg reserved version", cat([]byte{0xFF, 0xEB, 0x90, 0x64}, make([]byte, 10))},
		{"mpeg bad bitrate", cat([]byte{0xFF, 0xFB, 0xF0, 0x64}, make([]byte, 10))},
		{"mpeg free bitrate", cat([]byte{0xFF, 0xFB, 0x00, 0x64}, make([]byte, 10))},
		{"adts bad rate", cat([]byte{0xFF, 0xF1, 0x3C, 0x80, 0x25, 0x9F, 0xFC}, make([]byte, 10))},
		{"ff bytes", bytes.Repeat([]byte{0xFF}, 64)},
		{"zeros", make([]byte, 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind, mime, ok := Sniff(tc.head)
			require.False(t, ok, "sniffed as %s %s", kind, mime)
			require.Empty(t, kind)
			require.Empty(t, mime)
		})
	}
}

func TestHead(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 3, SniffLen - 1, SniffLen, SniffLen + 1, 3 * SniffLen} {
		data := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		head, all, err := Head(iotest.OneByteReader(bytes.NewReader(data)))
		require.NoError(t, err)
		require.Equal(t, data[:min(n, SniffLen)], head)
		got, err := io.ReadAll(all)
		require.NoError(t, err)
		require.Equal(t, data, got)
	}
	_, _, err := Head(iotest.ErrReader(io.ErrClosedPipe))
	require.ErrorIs(t, err, io.ErrClosedPipe)

	// The usual flow: sniff, then stream everything on.
	head, all, err := Head(strings.NewReader("%PDF-1.4\nrest of the file"))
	require.NoError(t, err)
	kind, _, ok := Sniff(head)
	require.True(t, ok)
	require.Equal(t, KindPDF, kind)
	b, err := io.ReadAll(all)
	require.NoError(t, err)
	require.Equal(t, "%PDF-1.4\nrest of the file", string(b))
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("\xFF\xD8\xFF\xE0"))
	f.Add(ftyp("mp42", "isom", "mp42"))
	f.Add(cat(ftyp("mp42", "isom"), box("moov", trak("soun"))))
	f.Add(cat(ebmlHeader("webm"), ebmlUnknown(mkvSegmentID, ebml(mkvTracksID, mkvTrack(2, "A_OPUS")))))
	f.Add(oggPage([]byte("OpusHead")))
	f.Add(cat("ID3\x04\x00\x00\x00\x00\x00\x00", adtsFrameBytes(30)))
	f.Add(mp3Frame())
	f.Fuzz(func(t *testing.T, head []byte) {
		kind, mime, ok := Sniff(head)
		if ok != (kind != "") || ok != (mime != "") {
			t.Fatalf("inconsistent result %q %q %v", kind, mime, ok)
		}
		switch kind {
		case "", KindImage, KindPDF, KindAudio, KindVideo:
		default:
			t.Fatalf("unknown kind %q", kind)
		}
		k2, m2, ok2 := Sniff(head)
		if k2 != kind || m2 != mime || ok2 != ok {
			t.Fatal("not deterministic")
		}
	})
}
