package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Problem is an RFC 9457 problem detail, served as application/problem+json.
type Problem struct {
	// Type is a URI naming the kind of problem ("urn:kiroku:problem:<slug>").
	Type string `json:"type"`
	// Title is a short Japanese summary of the kind.
	Title string `json:"title"`
	// Status is the HTTP status.
	Status int `json:"status"`
	// Detail explains this occurrence (never personal data).
	Detail string `json:"detail,omitempty"`
	// Errors are the field problems of a validation failure, by stable
	// code.
	Errors []validation.FieldError `json:"errors,omitempty"`
}

// apiError is an error of the API layer itself, with its problem slug and
// status.
type apiError struct {
	slug   string
	status int
}

func (e *apiError) Error() string { return "api: " + e.slug }

var (
	errNoToken              = &apiError{"unauthenticated", http.StatusUnauthorized}
	errCSRF                 = &apiError{"csrf", http.StatusForbidden}
	errPreconditionRequired = &apiError{"precondition-required", http.StatusPreconditionRequired}
	errBadIfMatch           = &apiError{"bad-if-match", http.StatusBadRequest}
	errRouteNotFound        = &apiError{"not-found", http.StatusNotFound}
	errMethod               = &apiError{"method-not-allowed", http.StatusMethodNotAllowed}
	errNotFound             = kerr.ErrNotFound
	errBadJSON              = &apiError{"bad-json", http.StatusBadRequest}
	errMediaType            = &apiError{"unsupported-media-type", http.StatusUnsupportedMediaType}
	errIdemMismatch         = &apiError{"idempotency-key-reused", http.StatusUnprocessableEntity}
	errIdemInProgress       = &apiError{"idempotency-key-in-progress", http.StatusConflict}
	errIdemKey              = &apiError{"bad-idempotency-key", http.StatusBadRequest}
	errIdemUnsupported      = &apiError{"idempotency-key-unsupported", http.StatusBadRequest}
)

// problemOf maps an error to its problem. ErrConflict is 412 when the
// request named a version with If-Match, 409 otherwise.
func problemOf(r *http.Request, err error) Problem {
	p := func(slug string, status int) Problem {
		return Problem{Type: "urn:kiroku:problem:" + slug, Title: msg.T("api.problem." + slug), Status: status}
	}
	var ae *apiError
	var ve *validation.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return p(ae.slug, ae.status)
	case errors.As(err, &mbe):
		return p("too-large", http.StatusRequestEntityTooLarge)
	case errors.As(err, &ve):
		pr := p("validation", http.StatusUnprocessableEntity)
		pr.Errors = ve.Fields
		return pr
	case errors.Is(err, kerr.ErrUnauthenticated), errors.Is(err, auth.ErrNoSession):
		return p("unauthenticated", http.StatusUnauthorized)
	case errors.Is(err, kerr.ErrNotFound):
		return p("not-found", http.StatusNotFound)
	case errors.Is(err, kerr.ErrPermissionDenied):
		return p("forbidden", http.StatusForbidden)
	case errors.Is(err, kerr.ErrConflict):
		if r.Header.Get("If-Match") != "" {
			return p("precondition-failed", http.StatusPreconditionFailed)
		}
		return p("conflict", http.StatusConflict)
	case errors.Is(err, kerr.ErrUnavailable):
		return p("unavailable", http.StatusServiceUnavailable)
	case errors.Is(err, kerr.ErrInvalid):
		pr := p("invalid", http.StatusBadRequest)
		pr.Detail = err.Error()
		return pr
	}
	return p("internal", http.StatusInternalServerError)
}

// writeProblem writes err as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	pr := problemOf(r, err)
	h := w.Header()
	h.Del("ETag")
	h.Del("Location")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if pr.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="kiroku"`)
	}
	if pr.Status == http.StatusConflict && errors.Is(err, errIdemInProgress) {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(pr.Status)
	_ = jsonEncoder(w).Encode(pr)
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// maxJSON is the largest JSON request body.
const maxJSON = 1 << 20

// decode reads a JSON request body into v, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSON(ct) {
		return errMediaType
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.As(err, &te) && te.Field != "":
			var ve validation.Error
			ve.Add(te.Field, validation.CodeWrongType, te.Value)
			return ve.Err()
		}
		return errBadJSON
	}
	return nil
}

func isJSON(ct string) bool {
	return ct == ctJSON || len(ct) > len(ctJSON) && ct[:len(ctJSON)] == ctJSON && (ct[len(ctJSON)] == ';' || ct[len(ctJSON)] == ' ')
}
