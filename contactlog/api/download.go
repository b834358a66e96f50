package api

import (
	"io"
	"net/http"

	"github.com/kirokuhq/kiroku/customer"
)

// WriteCSV answers a CSV download of an Extra route as the built-in
// exports do: it reads the "encoding" query parameter (customer.UTF8BOM,
// the default, or customer.ShiftJIS; another value is a 422 naming it) and
// calls write with a writer that sends the head (text/csv with its
// charset, an attachment named filename) before the first byte. An error
// of write before any output becomes the problem response; after it the
// status is sent, and the error can only cut the body short.
func WriteCSV(w http.ResponseWriter, r *http.Request, filename string, write func(io.Writer, customer.Encoding) error) error {
	enc, charset, err := csvEncoding(r)
	if err != nil {
		return err
	}
	sw := &startWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset="+charset)
		h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
		w.WriteHeader(http.StatusOK)
	}}
	if err := write(sw, enc); err != nil {
		if sw.started {
			return nil
		}
		return err
	}
	if !sw.started {
		sw.start()
	}
	return nil
}
