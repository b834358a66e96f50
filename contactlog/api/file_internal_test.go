package api

import (
	"mime"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
)

func TestContentDispositionRoundTrips(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"見積書 (最終).pdf", `a"b;c\d%e'f.mp3`, "plain.wav", "ﾊﾝｶｸ・全角　空白.m4a"} {
		h := contentDisposition("attachment", name)
		kind, params, err := mime.ParseMediaType(h)
		require.NoError(t, err, h)
		require.Equal(t, "attachment", kind)
		require.Equal(t, name, params["filename"], "filename* wins and decodes to the name: %s", h)
	}
}

func TestSetFileHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind               contactlog.AttachmentKind
		mime               string
		thumb, preview     bool
		wantType, wantDisp string
	}{
		{contactlog.AttachmentImage, "image/png", false, true, "image/png", "inline"},
		{contactlog.AttachmentImage, "image/png", true, true, contactlog.ThumbMIME, "inline"},
		{contactlog.AttachmentImage, "image/png", false, false, "image/png", "attachment"},
		{contactlog.AttachmentImage, "image/png", true, false, contactlog.ThumbMIME, "attachment"},
		{contactlog.AttachmentPDF, "application/pdf", false, true, "application/pdf", "attachment"},
		{contactlog.AttachmentAudio, "audio/mpeg", false, true, "audio/mpeg", "attachment"},
		{contactlog.AttachmentVideo, "video/mp4", false, true, "video/mp4", "attachment"},
	} {
		h := http.Header{}
		SetFileHeaders(h, &contactlog.Attachment{AttachmentMeta: contactlog.AttachmentMeta{Name: "f"}, Kind: tc.kind, MIME: tc.mime, Size: 42}, tc.thumb, tc.preview)
		require.Equal(t, tc.wantType, h.Get("Content-Type"), "%+v", tc)
		require.Equal(t, tc.wantDisp+`; filename="f"; filename*=UTF-8''f`, h.Get("Content-Disposition"), "%+v", tc)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		require.Equal(t, "sandbox", h.Get("Content-Security-Policy"))
		if tc.thumb {
			require.Empty(t, h.Get("Content-Length"), "a thumbnail's size is not the file's")
		} else {
			require.Equal(t, "42", h.Get("Content-Length"))
		}
	}
}
