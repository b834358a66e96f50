// Package media decides what an uploaded file is, and makes the images
// Kiroku stores safe to keep and to show: upright, without metadata (no GPS
// position, no camera serial number), with a thumbnail.
//
// # Type by content
//
// Sniff looks only at the first bytes of a file (SniffLen; Head reads them
// from an upload and gives back a reader of the whole upload). The file
// name and the type the client claims are never consulted. Accepted:
//
//	kind   format                      recognised by                                  MIME type
//	image  JPEG                        FF D8 FF                                       image/jpeg
//	image  PNG                         89 "PNG" 0D 0A 1A 0A                           image/png
//	image  GIF                         "GIF87a", "GIF89a"                             image/gif
//	image  WebP                        "RIFF" … "WEBP" and a VP8/VP8L/VP8X chunk      image/webp
//	image  HEIC/HEIF/AVIF              "ftyp" with heic/heix/mif1/avif/… brand        image/heic, image/heif, image/avif (+ -sequence)
//	pdf    PDF                         "%PDF-" and a digit, at offset 0               application/pdf
//	audio  MP3                         an ID3v2 tag, or MPEG audio frame headers      audio/mpeg
//	audio  AAC                         ADTS frame headers (after an ID3 tag or not)   audio/aac
//	audio  M4A                         "ftyp" with M4A/M4B/M4P brand, or an MP4       audio/mp4
//	                                   whose tracks (all within SniffLen) are sound
//	audio  WAV                         "RIFF"/"RF64"/"BW64" … "WAVE"                  audio/wav
//	audio  Ogg                         "OggS" whose first packet is Opus, Vorbis,     audio/ogg
//	                                   FLAC or Speex
//	audio  AMR                         "#!AMR\n", "#!AMR-WB\n"                        audio/amr, audio/amr-wb
//	audio  WebM/Matroska audio         EBML DocType webm/matroska, Tracks within      audio/webm, audio/x-matroska
//	                                   SniffLen and all audio
//	video  MP4, MOV                    "ftyp" with isom/mp41/mp42/avc1/qt …           video/mp4, video/quicktime
//	video  3GP, 3G2                    "ftyp" with 3gp*/3g2* brands                   video/3gpp, video/3gpp2 (audio/… if sound only)
//	video  WebM/Matroska               EBML DocType webm/matroska otherwise           video/webm, video/x-matroska
//
// Bare MPEG and ADTS frames (no ID3 tag) need a valid header, and the next
// frame's header must be valid too when it lies within head, so that random
// bytes starting with FF are rarely taken for audio.
//
// Everything else is refused (ok=false): executables, ZIP containers (xlsx,
// docx, apk, jar), HTML, XML and SVG (an SVG is XML that can carry script;
// it is never treated as an image), scripts, plain text, and also TIFF, BMP,
// AVI, Ogg Theora and JPEG 2000, which phones do not produce and which
// would only widen the decoders exposed to untrusted input.
//
// Sniffing does not prove a file is well formed: it decides how the file
// is labelled. Whoever serves attachments sends the sniffed MIME type with
// "X-Content-Type-Options: nosniff", and "Content-Disposition: attachment"
// for everything but images, PDF and audio/video players. Images are
// re-encoded by ProcessImage, which also kills polyglots (a GIF that is
// also a JAR, a JPEG with HTML after its end); PDFs, audio and video are
// stored as uploaded.
//
// # Images
//
// ProcessImage handles the images Go can decode: JPEG, PNG, GIF (first
// frame; animation is dropped) and WebP. It
//
//   - refuses decompression bombs: the dimensions in the header are checked
//     against maxPixels (DefaultMaxPixels, 50 MP, when <= 0) before a single
//     pixel is decoded, and again after decoding;
//   - applies the EXIF orientation (JPEG APP1, PNG eXIf, WebP EXIF chunk),
//     all eight values, so the stored pixels are upright and no viewer needs
//     the tag;
//   - re-encodes the image without any metadata: no EXIF (so no GPS, date,
//     camera or serial number), XMP, IPTC, comments or ICC profile. Colours
//     are then interpreted as sRGB, which shifts wide-gamut (Display P3)
//     photos slightly towards dull; acceptable for photos of memos and
//     documents. JPEG uploads and opaque lossy WebP are stored as JPEG at
//     quality JPEGQuality (90); PNG, GIF and lossless or transparent WebP as
//     PNG (lossless);
//   - makes a JPEG thumbnail whose longest side is ThumbSize (320) pixels,
//     never enlarging, transparency flattened onto white.
//
// The original upload is not meant to be kept: store Processed.Data and
// Processed.Thumb instead.
//
// # HEIC, HEIF and AVIF
//
// iPhones shoot HEIC by default and some Android phones AVIF. No pure-Go
// decoder exists, so ProcessImage returns ErrUndecodable: it cannot orient
// them, cannot thumbnail them, and, most importantly, cannot remove their
// metadata. The EXIF and XMP of a HEIC file live in separate items of the
// file's meta box, and they hold the GPS position wherever the camera had
// one: a photo of a handwritten memo taken at a customer's home records
// where the customer lives.
//
// Recommendation: refuse HEIC, HEIF and AVIF by default (field code
// not_allowed, Param the MIME type) and ask for JPEG. This costs iPhone
// users almost nothing, because iOS converts HEIC to JPEG when a web page's
// file input accepts only JPEG/PNG (accept="image/jpeg,image/png"), and
// Kiroku then strips that JPEG's GPS like any other. An embedder whose
// native app cannot convert may opt in to storing these files as they are:
// then store the original unchanged, with no thumbnail, record that its
// metadata was not removed, never share it with the customer
// automatically, and serve it only as a download. Storing them silently
// would break the promise that attachments carry no location.
//
// # Typical use
//
// For an upload r of at most max bytes:
//
//	head, all, err := media.Head(r)
//	kind, mime, ok := media.Sniff(head)        // !ok: refuse (code not_allowed)
//	if kind == media.KindImage {
//		p, err := media.ProcessImage(blob.Limit(all, max), 0)
//		// ok: Put p.Data and p.Thumb; ErrUndecodable: see above
//	} else {
//		size, err := store.Put(ctx, key, blob.Limit(all, max)) // streamed
//	}
//
// # Memory budget
//
// ProcessImage holds the upload and the decoded pixels at once, so its
// memory is governed by the pixel count, and maxPixels is the knob.
// Approximate bytes per pixel:
//
//	upload (encoded file, read whole)           0.3–1 for photos (bounded by the upload limit)
//	decoded JPEG, 4:2:0 (typical phone photo)   1.5
//	  + progressive JPEG, during decoding       + 6 (Go keeps all coefficients as int32)
//	decoded PNG / lossless WebP, 8-bit RGBA     4    (16-bit PNG: 8; palette or gray: 1)
//	orientation other than 1                    + the decoded size again (one copy)
//	stored copy (JPEG q90), while encoding      0.4–0.8
//	thumbnail                                   under 8 MB in total, whatever the size
//
// BenchmarkProcessImage measures phone photos held upright (Orientation 6):
// 12 MP (6 MB upload) peaks at about 60 MB of heap and 24 MP (12 MB upload)
// at about 120 MB, including garbage not yet collected; about 1.3 and 2.8
// seconds of one CPU core. At the default 50 MP, a rotated 8-bit RGBA PNG
// can reach about 400 MB and a rotated 16-bit one 800 MB. Callers should
// therefore run ProcessImage behind a small semaphore (one or two per CPU
// core) and lower maxPixels where memory is tight; 24 MP covers the default
// output of current phones. The streaming upload path (Sniff, then
// blob.Store.Put) depends on neither.
package media
