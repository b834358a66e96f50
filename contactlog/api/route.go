package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// Media types of request and response bodies besides JSON, for
// Route.RequestType and Route.ResponseType.
const (
	MediaMultipart = "multipart/form-data"
	MediaCSV       = "text/csv"
	MediaBinary    = "application/octet-stream"
	// MediaAny is a response of any type (a stored file, served with its
	// own Content-Type).
	MediaAny = "*/*"
)

const ctJSON = "application/json"

// Route is one endpoint: what it does, what it reads and writes (Go values
// whose types become JSON Schemas in the OpenAPI document), and its
// handler.
type Route struct {
	// ID is the OpenAPI operationId, unique in the server.
	ID string
	// Tag groups operations in the document ("customers").
	Tag string
	// Summary is the operation's one-line description, unless
	// Options.Messages has "op.<ID>".
	Summary string
	// Method is the HTTP method ("GET", "POST", …).
	Method string
	// Path is below Options.Prefix, in net/http pattern syntax:
	// "/v1/customers/{id}".
	Path string
	// Params documents the query and path parameters (every {name} of
	// Path must be declared with In "path").
	Params []Param
	// Request is a value of the JSON request body's type (nil: no JSON
	// body); RequestType overrides the media type (MediaMultipart,
	// MediaCSV).
	Request     any
	RequestType string
	// Response is a value of the success response's type (nil: no body);
	// ResponseType overrides the media type (MediaCSV, MediaBinary).
	Response     any
	ResponseType string
	// Status is the success status.
	Status int
	// OtherResponses documents JSON bodies of other statuses: status → a
	// value of the body's type (the CSV import answers 422 with its
	// report). Problem responses need no entry.
	OtherResponses map[int]any
	// Roles the principal needs (documented as x-roles; the engines
	// enforce them).
	Roles []permission.Role
	// IfMatch: the request must carry If-Match (428 without).
	IfMatch bool
	// ETag: the success response carries an ETag.
	ETag bool
	// Idempotent: a POST with a JSON body that accepts Idempotency-Key.
	Idempotent bool
	// Authenticator replaces Options.Authenticator for this route; it
	// needs Security, which documents it.
	Authenticator Authenticator
	// Security describes this route's Authenticator in the document; nil
	// means Options.Security.
	Security *SecurityScheme
	// Handler serves the request; the principal is in r.Context()
	// (permission.FromContext). A returned error becomes a problem
	// response, unless the handler has already written.
	Handler func(w http.ResponseWriter, r *http.Request) error
}

// Param documents a query or path parameter.
type Param struct {
	// Name of the parameter.
	Name string
	// In is "query" or "path".
	In string
	// Type is the JSON Schema type of the value: "string", "integer",
	// "boolean".
	Type string
	// Description says what the value means.
	Description string
	// Required: the request must carry it (path parameters always do).
	Required bool
}

// SecurityScheme is an OpenAPI Security Scheme Object: how an
// Authenticator reads its credentials.
type SecurityScheme struct {
	// Name is the scheme's key in components.securitySchemes.
	Name string
	// Type is "http" or "apiKey" (OpenAPI's type).
	Type string
	// Scheme is the HTTP authentication scheme of Type "http" ("bearer").
	Scheme string
	// In is where an "apiKey" is: "header", "query" or "cookie".
	In string
	// Param is the header, query parameter or cookie name of an "apiKey".
	Param string
	// Description says what the credential is.
	Description string
}

func (s *SecurityScheme) object() map[string]any {
	o := map[string]any{"type": s.Type}
	for k, v := range map[string]string{"scheme": s.Scheme, "in": s.In, "name": s.Param, "description": s.Description} {
		if v != "" {
			o[k] = v
		}
	}
	return o
}

// PathID parses the {name} path value as a UUID; a malformed ID is
// ErrNotFound, like an ID that names nothing.
func PathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, fmt.Errorf("api: %s: %w", name, ErrNotFound)
	}
	return id, nil
}

// IfMatch returns the version named by the If-Match header, `"<version>"`
// (a weak W/ prefix is accepted). A malformed header is a 400 *Error.
func IfMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return 0, errBadIfMatch
	}
	return n, nil
}

// WriteJSON writes v as the JSON response with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", ctJSON)
	w.WriteHeader(status)
	return jsonEncoder(w).Encode(v)
}

// WriteVersioned is WriteJSON with the ETag of version.
func WriteVersioned(w http.ResponseWriter, status int, version int64, v any) error {
	w.Header().Set("ETag", etag(version))
	return WriteJSON(w, status, v)
}

// etag formats a version as a strong ETag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// MaxJSON is the largest JSON request body DecodeJSON reads.
const MaxJSON = 1 << 20

// DecodeJSON reads the JSON request body into v. It refuses another
// Content-Type (415), a body over MaxJSON (413), unknown fields, malformed
// JSON and anything but white space after the one JSON value (400, the
// problem's detail naming the request body); a value of the wrong type is
// a validation problem naming the field (422).
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSON(ct) {
		return errMediaType
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSON))
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
	// One value only: what follows it may be white space, nothing else.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errTrailingJSON
	}
	return nil
}

func isJSON(ct string) bool {
	rest, ok := strings.CutPrefix(ct, ctJSON)
	return ok && (rest == "" || rest[0] == ';' || rest[0] == ' ')
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
