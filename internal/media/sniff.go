package media

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Kind is the broad class of an accepted file. Its values are stable and may
// be stored.
type Kind string

// The kinds of file Kiroku accepts as attachments.
const (
	KindImage Kind = "image" // JPEG, PNG, GIF, WebP, HEIC/HEIF, AVIF
	KindPDF   Kind = "pdf"   // PDF
	KindAudio Kind = "audio" // MP3, AAC, M4A, WAV, Ogg (Opus, Vorbis, FLAC, Speex), AMR, WebM/Matroska audio
	KindVideo Kind = "video" // MP4, MOV, 3GP/3G2, WebM/Matroska
)

// SniffLen is how many leading bytes Sniff needs to tell apart everything
// it knows (MP4 and WebM track lists included). Pass fewer only when the
// file is shorter; more are harmless.
const SniffLen = 8192

// Head reads up to SniffLen bytes from r for Sniff and returns them together
// with a reader that yields the whole of r from its first byte, so that the
// caller can sniff an upload and then stream all of it to storage. A short
// input is not an error.
func Head(r io.Reader) (head []byte, all io.Reader, err error) {
	buf := make([]byte, SniffLen)
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if err != nil {
		return nil, nil, err
	}
	buf = buf[:n]
	return buf, io.MultiReader(bytes.NewReader(buf), r), nil
}

// Sniff decides what a file is from its first bytes (see SniffLen), never
// from its name or a client-supplied type. It returns the kind, the MIME
// type to store and serve it with, and ok=true for the formats listed in
// the package documentation. Everything else, including executables, ZIP
// containers (xlsx, docx, apk), HTML, SVG, XML, scripts and plain text, and
// also TIFF, BMP, AVI and Ogg Theora, gives ok=false.
func Sniff(head []byte) (kind Kind, mime string, ok bool) {
	switch {
	case len(head) < 4:
		return "", "", false
	case bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")):
		return KindImage, "image/jpeg", true
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindImage, "image/png", true
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return KindImage, "image/gif", true
	case bytes.HasPrefix(head, []byte("%PDF-")) && len(head) > 5 && isDigit(head[5]):
		return KindPDF, "application/pdf", true
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return sniffWebP(head)
	case len(head) >= 12 && isWAV(head):
		return KindAudio, "audio/wav", true
	case bytes.HasPrefix(head, []byte("#!AMR-WB\n")):
		return KindAudio, "audio/amr-wb", true
	case bytes.HasPrefix(head, []byte("#!AMR\n")):
		return KindAudio, "audio/amr", true
	case bytes.HasPrefix(head, []byte("OggS\x00")):
		return sniffOgg(head)
	case bytes.HasPrefix(head, []byte("\x1A\x45\xDF\xA3")):
		return sniffMatroska(head)
	case len(head) >= 16 && string(head[4:8]) == "ftyp":
		return sniffISOBMFF(head)
	case bytes.HasPrefix(head, []byte("ID3")):
		return sniffID3(head)
	}
	if mime, ok := sniffAudioFrames(head); ok {
		return KindAudio, mime, true
	}
	return "", "", false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func sniffWebP(head []byte) (Kind, string, bool) {
	if len(head) < 16 {
		return "", "", false
	}
	switch string(head[12:16]) {
	case "VP8 ", "VP8L", "VP8X":
		return KindImage, "image/webp", true
	}
	return "", "", false
}

// isWAV accepts RIFF, RF64 and BW64 (broadcast) WAVE files.
func isWAV(head []byte) bool {
	switch string(head[0:4]) {
	case "RIFF", "RF64", "BW64":
		return string(head[8:12]) == "WAVE"
	}
	return false
}

// sniffOgg looks at the first packet of the first page, which names the
// codec. Only audio codecs are accepted.
func sniffOgg(head []byte) (Kind, string, bool) {
	if len(head) < 27 {
		return "", "", false
	}
	nseg := int(head[26])
	start := 27 + nseg
	if start > len(head) {
		return "", "", false
	}
	pkt := head[start:]
	for _, magic := range []string{"OpusHead", "\x01vorbis", "\x7fFLAC", "Speex   "} {
		if bytes.HasPrefix(pkt, []byte(magic)) {
			return KindAudio, "audio/ogg", true
		}
	}
	return "", "", false
}

// sniffID3 accepts an ID3v2 tag (MP3, and sometimes AAC, files start with
// one) and, when the tag ends within head, tells AAC from MP3 by the frame
// that follows.
func sniffID3(head []byte) (Kind, string, bool) {
	if len(head) < 10 || head[3] < 2 || head[3] > 4 || head[4] == 0xFF {
		return "", "", false
	}
	var size int
	for _, b := range head[6:10] {
		if b&0x80 != 0 {
			return "", "", false
		}
		size = size<<7 | int(b)
	}
	end := 10 + size
	if head[5]&0x10 != 0 { // footer present
		end += 10
	}
	if end+2 <= len(head) && head[end] == 0xFF && head[end+1]&0xF6 == 0xF0 {
		return KindAudio, "audio/aac", true
	}
	return KindAudio, "audio/mpeg", true
}

// sniffAudioFrames accepts a raw MPEG audio (MP1/2/3) or ADTS AAC stream.
// One valid frame header is required, and the next one too when head is
// long enough to contain it, so that random bytes starting with 0xFF are
// rarely mistaken for audio.
func sniffAudioFrames(head []byte) (string, bool) {
	if n, ok := adtsFrame(head); ok {
		if n < len(head)-1 {
			if _, ok := adtsFrame(head[n:]); !ok {
				return "", false
			}
		}
		return "audio/aac", true
	}
	if n, ok := mpegFrame(head); ok {
		if n < len(head)-3 {
			if _, ok := mpegFrame(head[n:]); !ok {
				return "", false
			}
		}
		return "audio/mpeg", true
	}
	return "", false
}

// adtsFrame validates an ADTS header and returns the frame length.
func adtsFrame(b []byte) (int, bool) {
	if len(b) < 7 || b[0] != 0xFF || b[1]&0xF6 != 0xF0 {
		return 0, false
	}
	if (b[2]>>2)&0x0F >= 13 { // sampling frequency index
		return 0, false
	}
	n := int(b[3]&0x03)<<11 | int(b[4])<<3 | int(b[5]>>5)
	if n < 7 {
		return 0, false
	}
	return n, true
}

var (
	mpegBitrates = [5][16]int{ // kbit/s by [table][index]; 0 = free, -1 = bad
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, -1}, // MPEG-1 layer I
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, -1},    // MPEG-1 layer II
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1},     // MPEG-1 layer III
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, -1},    // MPEG-2/2.5 layer I
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},         // MPEG-2/2.5 layers II, III
	}
	mpegRates = [4][3]int{ // Hz by [version bits][index]
		{11025, 12000, 8000},  // MPEG-2.5
		{},                    // reserved
		{22050, 24000, 16000}, // MPEG-2
		{44100, 48000, 32000}, // MPEG-1
	}
)

// mpegFrame validates an MPEG audio frame header and returns the frame
// length. Free-format streams (bitrate index 0) are not accepted.
func mpegFrame(b []byte) (int, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return 0, false
	}
	version := int(b[1]>>3) & 3 // 0: 2.5, 1: reserved, 2: 2, 3: 1
	layer := int(b[1]>>1) & 3   // 1: III, 2: II, 3: I
	bi := int(b[2] >> 4)
	ri := int(b[2]>>2) & 3
	pad := int(b[2]>>1) & 1
	if version == 1 || layer == 0 || ri == 3 || b[3]&3 == 2 {
		return 0, false
	}
	var table int
	switch {
	case version == 3:
		table = 3 - layer // I→0, II→1, III→2
	case layer == 3:
		table = 3
	default:
		table = 4
	}
	kbps := mpegBitrates[table][bi]
	if kbps <= 0 {
		return 0, false
	}
	rate := mpegRates[version][ri]
	switch {
	case layer == 3: // layer I
		return (12*kbps*1000/rate + pad) * 4, true
	case layer == 1 && version != 3: // layer III, MPEG-2/2.5
		return 72*kbps*1000/rate + pad, true
	default:
		return 144*kbps*1000/rate + pad, true
	}
}

// ISO base media file format brands (ISO/IEC 14496-12 "ftyp").
var (
	heicBrands = map[string]string{
		"heic": "image/heic", "heix": "image/heic", "heim": "image/heic", "heis": "image/heic",
		"hevc": "image/heic-sequence", "hevx": "image/heic-sequence",
		"hevm": "image/heic-sequence", "hevs": "image/heic-sequence",
		"avif": "image/avif", "avis": "image/avif",
		"mif1": "image/heif", "msf1": "image/heif-sequence",
	}
	// refusedBrands are major brands of files that list an MP4 brand as
	// compatible but are not audio or video: camera raw, JPEG 2000.
	refusedBrands = map[string]bool{"crx ": true, "jp2 ": true, "jpx ": true, "jpm ": true, "mjp2": true}
	audioBrands   = map[string]bool{"M4A ": true, "M4B ": true, "M4P ": true, "F4A ": true, "F4B ": true}
	videoBrands   = map[string]string{
		"isom": "video/mp4", "iso2": "video/mp4", "iso3": "video/mp4", "iso4": "video/mp4",
		"iso5": "video/mp4", "iso6": "video/mp4", "iso7": "video/mp4", "iso8": "video/mp4",
		"iso9": "video/mp4", "mp41": "video/mp4", "mp42": "video/mp4", "mp71": "video/mp4",
		"avc1": "video/mp4", "dash": "video/mp4", "M4V ": "video/mp4", "M4VH": "video/mp4",
		"M4VP": "video/mp4", "f4v ": "video/mp4", "f4p ": "video/mp4", "mmp4": "video/mp4",
		"MSNV": "video/mp4", "NDAS": "video/mp4", "XAVC": "video/mp4",
		"qt  ": "video/quicktime",
		"3gp4": "video/3gpp", "3gp5": "video/3gpp", "3gp6": "video/3gpp", "3gp7": "video/3gpp",
		"3gp8": "video/3gpp", "3gp9": "video/3gpp", "3gs6": "video/3gpp", "3gs7": "video/3gpp",
		"3ge6": "video/3gpp", "3ge7": "video/3gpp", "3gg6": "video/3gpp", "3gr6": "video/3gpp",
		"3g2a": "video/3gpp2", "3g2b": "video/3gpp2", "3g2c": "video/3gpp2",
		"kddi": "video/3gpp2",
	}
)

// sniffISOBMFF classifies an ISO base media file by its brands (the major
// brand and the compatible brands):
//
//  1. Any HEIF-family brand makes it an image; the most specific brand wins
//     (heic or avif over the generic mif1), the major brand first.
//  2. Otherwise the major brand decides if it is known, and else the first
//     known compatible brand: M4A, M4B, M4P, F4A, F4B mean audio/mp4; MP4,
//     QuickTime and 3GPP brands mean video of that type, unless the movie
//     box (moov) lies entirely within head and holds sound tracks only:
//     then it is audio (a voice memo written with brand mp42 or 3gp4, say).
//  3. Anything else is refused, as are files whose major brand is Canon
//     raw (CR3) or JPEG 2000 even when they list an MP4 brand.
func sniffISOBMFF(head []byte) (Kind, string, bool) {
	size := int(binary.BigEndian.Uint32(head[0:4]))
	if size < 16 || size%4 != 0 {
		return "", "", false
	}
	brands := []string{string(head[8:12])} // major; head[12:16] is the minor version
	for i := 16; i+4 <= min(size, len(head)); i += 4 {
		brands = append(brands, string(head[i:i+4]))
	}
	if refusedBrands[brands[0]] {
		return "", "", false
	}
	generic := func(m string) bool { return m == "image/heif" || m == "image/heif-sequence" }
	for _, b := range brands {
		if m := heicBrands[b]; m != "" && !generic(m) {
			return KindImage, m, true
		}
	}
	for _, b := range brands {
		if m := heicBrands[b]; m != "" {
			return KindImage, m, true
		}
	}
	for _, b := range brands {
		if audioBrands[b] {
			return KindAudio, "audio/mp4", true
		}
		m := videoBrands[b]
		if m == "" {
			continue
		}
		if soundOnly(head) {
			switch m {
			case "video/3gpp":
				return KindAudio, "audio/3gpp", true
			case "video/3gpp2":
				return KindAudio, "audio/3gpp2", true
			}
			return KindAudio, "audio/mp4", true
		}
		return KindVideo, m, true
	}
	return "", "", false
}

// soundOnly reports whether head contains the whole movie box (moov) and
// every track in it is a sound track.
func soundOnly(head []byte) bool {
	moov, complete := findBox(head, "moov")
	if moov == nil || !complete {
		return false
	}
	sound := false
	ok := true
	eachBox(moov, func(typ string, trak []byte, complete bool) {
		if typ != "trak" {
			return
		}
		if !complete {
			ok = false
			return
		}
		mdia, _ := findBox(trak, "mdia")
		hdlr, _ := findBox(mdia, "hdlr")
		if len(hdlr) < 12 {
			ok = false
			return
		}
		switch string(hdlr[8:12]) { // version+flags, pre_defined, handler_type
		case "soun":
			sound = true
		case "vide", "pict", "auxv":
			ok = false
		}
	})
	return ok && sound
}

// findBox returns the payload of the first box of type typ in b and whether
// it is complete within b.
func findBox(b []byte, typ string) (payload []byte, complete bool) {
	var found []byte
	var full bool
	eachBox(b, func(t string, p []byte, c bool) {
		if found == nil && t == typ {
			found, full = p, c
		}
	})
	return found, full
}

// eachBox calls fn for each box in b with its type, payload (truncated to
// b) and whether the payload is complete.
func eachBox(b []byte, fn func(typ string, payload []byte, complete bool)) {
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b[0:4]))
		typ := string(b[4:8])
		hdr := uint64(8)
		switch size {
		case 0: // to the end of the file
			size = uint64(len(b))
		case 1: // 64-bit size follows
			if len(b) < 16 {
				return
			}
			size = binary.BigEndian.Uint64(b[8:16])
			hdr = 16
		}
		if size < hdr {
			return
		}
		if size > uint64(len(b)) {
			fn(typ, b[hdr:], false)
			return
		}
		fn(typ, b[hdr:size], true)
		b = b[size:]
	}
}

// Matroska/WebM element IDs (EBML, RFC 8794 and RFC 9559).
const (
	ebmlHeaderID  = 0x1A45DFA3
	ebmlDocTypeID = 0x4282
	mkvSegmentID  = 0x18538067
	mkvTracksID   = 0x1654AE6B
	mkvEntryID    = 0xAE
	mkvTypeID     = 0x83
	mkvClusterID  = 0x1F43B675
)

// sniffMatroska reads the EBML header's DocType (webm or matroska) and the
// track types in the Tracks element. A file whose Tracks element is complete
// within head and lists audio tracks only is audio; everything else is
// video.
func sniffMatroska(head []byte) (Kind, string, bool) {
	id, size, n, ok := ebmlElement(head)
	if !ok || id != ebmlHeaderID {
		return "", "", false
	}
	hdr := head[n:]
	if size >= 0 && size <= int64(len(hdr)) {
		hdr = hdr[:size]
	} else {
		return "", "", false
	}
	var docType string
	eachEBML(hdr, func(id uint32, data []byte, complete bool) bool {
		if id == ebmlDocTypeID && complete {
			docType = string(bytes.TrimRight(data, "\x00"))
		}
		return true
	})
	var audioMIME, videoMIME string
	switch docType {
	case "webm":
		audioMIME, videoMIME = "audio/webm", "video/webm"
	case "matroska":
		audioMIME, videoMIME = "audio/x-matroska", "video/x-matroska"
	default:
		return "", "", false
	}

	audio, video, decided := false, false, false
	eachEBML(head[n+int(size):], func(id uint32, seg []byte, _ bool) bool {
		if id != mkvSegmentID {
			return true
		}
		eachEBML(seg, func(id uint32, tracks []byte, complete bool) bool {
			switch id {
			case mkvClusterID:
				return false
			case mkvTracksID:
				eachEBML(tracks, func(id uint32, entry []byte, _ bool) bool {
					if id != mkvEntryID {
						return true
					}
					eachEBML(entry, func(id uint32, v []byte, c bool) bool {
						if id == mkvTypeID && c && len(v) >= 1 {
							switch v[len(v)-1] {
							case 1:
								video = true
							case 2:
								audio = true
							}
						}
						return true
					})
					return true
				})
				decided = complete
				return false
			}
			return true
		})
		return false
	})
	if decided && audio && !video {
		return KindAudio, audioMIME, true
	}
	return KindVideo, videoMIME, true
}

// eachEBML calls fn for each element in b with its ID, data (truncated to b;
// an unknown size extends to the end of b) and whether the data is complete.
// fn returns false to stop.
func eachEBML(b []byte, fn func(id uint32, data []byte, complete bool) bool) {
	for len(b) > 0 {
		id, size, n, ok := ebmlElement(b)
		if !ok {
			return
		}
		data := b[n:]
		complete := false
		if size >= 0 && size <= int64(len(data)) {
			data, complete = data[:size], true
		}
		if !fn(id, data, complete) || !complete {
			return
		}
		b = b[n+int(size):]
	}
}

// ebmlElement parses an element header: the ID (with its length marker, as
// IDs are written in specifications), the data size (-1 when unknown) and
// the header length.
func ebmlElement(b []byte) (id uint32, size int64, n int, ok bool) {
	idLen := vintLen(b)
	if idLen == 0 || idLen > 4 || idLen > len(b) {
		return 0, 0, 0, false
	}
	for _, c := range b[:idLen] {
		id = id<<8 | uint32(c)
	}
	rest := b[idLen:]
	sl := vintLen(rest)
	if sl == 0 || sl > len(rest) {
		return 0, 0, 0, false
	}
	v := uint64(rest[0] & (0xFF >> sl))
	allOnes := v == uint64(0xFF>>sl)
	for _, c := range rest[1:sl] {
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	if allOnes {
		return id, -1, idLen + sl, true
	}
	if v > 1<<48 {
		return 0, 0, 0, false
	}
	return id, int64(v), idLen + sl, true
}

// vintLen is the length of the variable-size integer starting at b[0], from
// its leading zero bits; 0 if invalid.
func vintLen(b []byte) int {
	if len(b) == 0 || b[0] == 0 {
		return 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	return n
}
