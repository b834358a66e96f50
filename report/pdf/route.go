package pdf

import (
	"context"
	"io"
	"mime"
	"net/http"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/api"
)

// MediaPDF is the media type of the routes' responses.
const MediaPDF = "application/pdf"

// Routes returns the PDF endpoints of the JSON API, for api.Options.Extra:
//
//	POST /v1/records/{id}/pdf     a record (Exporter.Record)
//	POST /v1/customers/{id}/pdf   a customer's history (Exporter.Customer)
//
// The body is Options as JSON ({} for the defaults; the password travels
// in the body, never in a URL); the answer is the PDF as an attachment
// (Content-Disposition, named after the title), or a problem: 404 for a
// record or customer the principal may not see, 422 with the field
// problems of the options.
func (e *Exporter) Routes() []api.Route {
	params := func(what string) []api.Param {
		return []api.Param{{Name: "id", In: "path", Type: "string", Description: "the " + what + "'s ID", Required: true}}
	}
	return []api.Route{
		{ID: "exportRecordPDF", Tag: "records", Summary: "Download a record as PDF", Method: http.MethodPost,
			Path: api.Version1 + "/records/{id}/pdf", Params: params("record"), Request: Options{}, ResponseType: MediaPDF,
			Status: http.StatusOK, Handler: e.serve(e.Record)},
		{ID: "exportCustomerPDF", Tag: "customers", Summary: "Download a customer's history as PDF", Method: http.MethodPost,
			Path: api.Version1 + "/customers/{id}/pdf", Params: params("customer"), Request: Options{}, ResponseType: MediaPDF,
			Status: http.StatusOK, Handler: e.serve(e.Customer)},
	}
}

// serve adapts Record or Customer to a route handler.
func (e *Exporter) serve(export func(ctx context.Context, w io.Writer, id uuid.UUID, opt Options) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := api.PathID(r, "id")
		if err != nil {
			return err
		}
		var opt Options
		if err := api.DecodeJSON(w, r, &opt); err != nil {
			return err
		}
		// Export writes nothing when it fails, so the headers go out with
		// the first byte and an error can still become a problem.
		return export(r.Context(), Download(w, opt.Title), id, opt)
	}
}

// Download returns a writer for Exporter.Record or Customer that sends the
// headers of a PDF download named after title (Content-Type, Disposition,
// Cache-Control: no-store) with the first byte. An export writes nothing
// when it fails, so until then the handler can still answer with an error.
func Download(w http.ResponseWriter, title string) io.Writer { return &download{w: w, title: title} }

type download struct {
	w       http.ResponseWriter
	title   string
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.w.Header()
		h.Set("Content-Type", MediaPDF)
		h.Set("Content-Disposition", Disposition(d.title))
		h.Set("Cache-Control", "no-store")
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(p)
}

// Disposition is the Content-Disposition header of a PDF download named
// after its title (DefaultTitle when empty): an attachment, so that phones
// save it rather than try to show it inline, with a Japanese name in
// filename* (RFC 6266, RFC 2231 encoding by mime.FormatMediaType).
func Disposition(title string) string {
	if title == "" {
		title = DefaultTitle
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": title + ".pdf"})
}
