package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/media"
)

func TestMemoryReadsThisProcess(t *testing.T) {
	t.Parallel()
	rss, hwm, err := memory(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, rss)
	require.GreaterOrEqual(t, hwm, rss)
	_, _, err = memory(-1)
	require.Error(t, err)
}

// The upload is what the server's form handler expects: the CSRF field
// first, then a file the sniffer stores as a PDF, of exactly -size bytes.
func TestUploadBody(t *testing.T) {
	t.Parallel()
	const size = 3<<20 + 17
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(web.SessionCookie)
		if err != nil || ck.Value != "sess" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		first, err := mr.NextPart()
		if err != nil || first.FormName() != "_csrf" {
			http.Error(w, "csrf not first", http.StatusBadRequest)
			return
		}
		if b, _ := io.ReadAll(first); string(b) != "tok" {
			http.Error(w, "bad csrf", http.StatusForbidden)
			return
		}
		file, err := mr.NextPart()
		if err != nil || file.FormName() != "files" {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		head := make([]byte, media.SniffLen)
		n, _ := io.ReadFull(file, head)
		rest, _ := io.Copy(io.Discard, file)
		if kind, _, ok := media.Sniff(head[:n]); !ok || kind != media.KindPDF {
			http.Error(w, "not a PDF", http.StatusUnsupportedMediaType)
			return
		}
		if int64(n)+rest != size {
			http.Error(w, "wrong size", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusSeeOther)
	}))
	t.Cleanup(srv.Close)
	status, err := upload(srv.URL, "sess", "tok", options{size: size}, 1)
	require.NoError(t, err)
	require.Equal(t, http.StatusSeeOther, status)
	status, err = upload(srv.URL, "other", "tok", options{size: size}, 1)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, status)
}
