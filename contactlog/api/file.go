package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
)

// SetFileHeaders sets the headers a user's file a is served with (thumb:
// its thumbnail), so that the file can never run script in the serving
// site's origin, whatever its content:
//
//   - Content-Type: the type decided from the content (contactlog.ThumbMIME
//     for a thumbnail), and Content-Length for the file itself;
//   - X-Content-Type-Options: nosniff, so the browser keeps that type;
//   - Content-Security-Policy: sandbox, so a document opened anyway runs
//     in a unique origin without scripts;
//   - Content-Disposition: attachment with the file's name (an ASCII
//     fallback and the UTF-8 name in RFC 5987 form), except that with
//     preview an image or a thumbnail is inline, so pages can show it.
//
// The JSON API serves every file as an attachment (preview false); a web
// UI that shows photos passes preview true.
func SetFileHeaders(h http.Header, a *contactlog.Attachment, thumb, preview bool) {
	setFileHeaders(h, a.Name, a.MIME, a.Size, a.Kind == contactlog.AttachmentImage, thumb, preview)
}

// SetCustomerFileHeaders sets the headers a customer's profile file f is
// served with (thumb: its thumbnail), as SetFileHeaders does for a
// record's attachment.
func SetCustomerFileHeaders(h http.Header, f *customer.File, thumb, preview bool) {
	setFileHeaders(h, f.Name, f.MIME, f.Size, f.Kind == customer.FileImage, thumb, preview)
}

func setFileHeaders(h http.Header, name, mimeType string, size int64, image, thumb, preview bool) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	if thumb {
		h.Set("Content-Type", contactlog.ThumbMIME)
	} else {
		h.Set("Content-Type", mimeType)
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	disposition := "attachment"
	if preview && (thumb || image) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", contentDisposition(disposition, name))
}

// contentDisposition writes the header with an ASCII fallback name and the
// UTF-8 name in RFC 5987 form (filename*), which browsers prefer.
func contentDisposition(kind, name string) string {
	fallback := strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '%' || c == ';' {
			return '_'
		}
		return c
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, fallback, rfc5987(name))
}

// rfc5987 percent-encodes s as an ext-value: every byte but attr-char.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
