package api

import (
	"errors"
	"net/http"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// ProblemType prefixes the type of every problem: ProblemType + code.
const ProblemType = "urn:kiroku:problem:"

// Problem is an RFC 9457 problem detail, served as
// application/problem+json.
type Problem struct {
	// Type names the kind of problem: ProblemType + its code, e.g.
	// "urn:kiroku:problem:validation".
	Type string `json:"type"`
	// Title is a short summary of the kind (Options.Messages
	// "problem.<code>", or the HTTP status text).
	Title string `json:"title"`
	// Status is the HTTP status.
	Status int `json:"status"`
	// Detail explains this occurrence (never personal data).
	Detail string `json:"detail,omitempty"`
	// Errors are the field problems of a validation failure (422).
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError is one field's problem in a validation failure.
type FieldError struct {
	// Field is the input field's stable name, e.g. "family_kana".
	Field string `json:"field"`
	// Code is the engines' stable code, e.g. "required", "too_long".
	Code string `json:"code"`
	// Param qualifies the code: the limit of too_long, the range of
	// out_of_range, the offending value of unknown. May be empty.
	Param string `json:"param,omitempty"`
	// Message is the problem said for people, in the application's
	// language (Options.FieldMessage); empty without one. Programs should
	// read Field and Code: the message may change.
	Message string `json:"message,omitempty"`
}

// Error is an error of the HTTP layer with its own problem code and
// status, for Authenticators and extra routes: return
// &Error{Code: "csrf", Status: http.StatusForbidden} to answer 403 with
// type "urn:kiroku:problem:csrf".
type Error struct {
	// Code is the problem's code (the end of its type).
	Code string
	// Status is the HTTP status.
	Status int
	// Detail, when set, is the problem's detail: what in the request is
	// wrong (never personal data).
	Detail string
}

func (e *Error) Error() string { return "api: " + e.Code }

var (
	errPreconditionRequired = &Error{Code: "precondition-required", Status: http.StatusPreconditionRequired}
	errBadIfMatch           = &Error{Code: "bad-if-match", Status: http.StatusBadRequest}
	errRouteNotFound        = &Error{Code: "not-found", Status: http.StatusNotFound}
	errMethod               = &Error{Code: "method-not-allowed", Status: http.StatusMethodNotAllowed}
	errBadJSON              = &Error{Code: "bad-json", Status: http.StatusBadRequest, Detail: "request body: malformed JSON"}
	errNotObject            = &Error{Code: "bad-json", Status: http.StatusBadRequest, Detail: "request body: not a JSON object"}
	errTrailingJSON         = &Error{Code: "bad-json", Status: http.StatusBadRequest, Detail: "request body: data after the JSON value"}
	errMediaType            = &Error{Code: "unsupported-media-type", Status: http.StatusUnsupportedMediaType}
	errIdemMismatch         = &Error{Code: "idempotency-key-reused", Status: http.StatusUnprocessableEntity}
	errIdemInProgress       = &Error{Code: "idempotency-key-in-progress", Status: http.StatusConflict}
	errIdemKey              = &Error{Code: "bad-idempotency-key", Status: http.StatusBadRequest}
	errIdemUnsupported      = &Error{Code: "idempotency-key-unsupported", Status: http.StatusBadRequest}
)

// problemOf maps an error to its problem (without its title). ErrConflict
// is 412 when the request named a version with If-Match, 409 otherwise.
func problemOf(r *http.Request, err error) Problem {
	p := func(code string, status int) Problem { return Problem{Type: ProblemType + code, Status: status} }
	var ae *Error
	var ve *validation.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		pr := p(ae.Code, ae.Status)
		pr.Detail = ae.Detail
		return pr
	case errors.As(err, &mbe):
		return p("too-large", http.StatusRequestEntityTooLarge)
	case errors.As(err, &ve):
		pr := p("validation", http.StatusUnprocessableEntity)
		for _, f := range ve.Fields {
			pr.Errors = append(pr.Errors, FieldError{Field: f.Field, Code: f.Code, Param: f.Param})
		}
		return pr
	case errors.Is(err, kerr.ErrUnauthenticated):
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
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	pr := problemOf(r, err)
	pr.Title = s.text("problem."+pr.Type[len(ProblemType):], http.StatusText(pr.Status))
	if s.opts.FieldMessage != nil {
		for i := range pr.Errors {
			pr.Errors[i].Message = s.opts.FieldMessage(pr.Errors[i])
		}
	}
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
