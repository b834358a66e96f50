package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/date"
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
	// Description, when set, explains the operation beyond its summary
	// (CommonMark): what an omitted field means, which fields are ignored.
	Description string
	// Request is a value of the JSON request body's type (nil: no JSON
	// body); RequestType overrides the media type (MediaMultipart,
	// MediaCSV).
	Request     any
	RequestType string
	// ReadOnly names properties of Request the route accepts and ignores,
	// documented readOnly: the stored object's own fields (id, version, …),
	// so that a PUT takes the body a GET returned. See ReadOnlyFields.
	ReadOnly []string
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
	// Problems documents problem statuses the route may answer that its
	// shape does not imply, status → what causes it (e.g. 503 when a
	// plugin is down). Those of the shape are derived: 400, 401 and 403 always,
	// 404 with a path parameter, 400/413/415/422 with a body, 400/422 with
	// query parameters, 412/428 with IfMatch, 409 for a change without
	// IfMatch and with Idempotent.
	Problems map[int]string
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

// ReadOnlyFields returns the JSON properties of stored that writable does
// not have, sorted: the read-only part of a stored object (customer.Customer)
// around what a client writes (customer.Profile), for Route.ReadOnly.
func ReadOnlyFields(stored, writable any) []string {
	w := jsonFields(reflect.TypeOf(writable))
	var out []string
	for name := range jsonFields(reflect.TypeOf(stored)) {
		if _, ok := w[name]; !ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
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
// Content-Type (415), a body over MaxJSON (413), malformed JSON and
// anything but white space after the one JSON value (400, the problem's
// detail naming the request body). A value the body's fields cannot take —
// a number given as text, a date outside its era, a property v does not
// have — is a validation problem (422) naming each such field: wrong_type,
// the value's own code (date.ErrorCode: format, invalid_date,
// outside_era), or unknown.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSON(ct) {
		return errMediaType
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSON))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fmt.Errorf("api: read body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(body, v, err)
	}
	// One value only: what follows it may be white space, nothing else.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailingJSON
	}
	return nil
}

// decodeError turns the error of decoding body into v into the problem
// naming the fields at fault; malformed JSON is errBadJSON.
func decodeError(body []byte, v any, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || !json.Valid(body) {
		return errBadJSON
	}
	// A value of the wrong type, an unknown property or a value its type's
	// UnmarshalJSON refused, at any depth: walk the body beside v's type to
	// name each one by its full path ("expenses[0].amount").
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct && jsonKind(body) != "object" {
		return errNotObject
	}
	var ve validation.Error
	locate(&ve, "", body, t)
	if ve.Err() == nil {
		return errBadJSON
	}
	return ve.Err()
}

// strictDecode decodes raw into ptr as DecodeJSON does, unknown
// properties refused.
func strictDecode(raw []byte, ptr any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(ptr)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// locate adds to ve the problem of each value in raw (valid JSON) that a
// value of type t cannot take, named by its path below path: properties
// joined by ".", array elements as "[i]", map keys like properties
// ("custom.care_level").
func locate(ve *validation.Error, path string, raw json.RawMessage, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	err := strictDecode(raw, reflect.New(t).Interface())
	if err == nil {
		return
	}
	at := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	self := reflect.PointerTo(t)
	leaf := self.Implements(jsonUnmarshaler) || self.Implements(textUnmarshaler)
	switch {
	case !leaf && t.Kind() == reflect.Struct && jsonKind(raw) == "object":
		var props map[string]json.RawMessage
		_ = json.Unmarshal(raw, &props)
		fields := jsonFields(t)
		for _, name := range slices.Sorted(maps.Keys(props)) {
			ft, ok := fields[name]
			for k, f := range fields {
				// encoding/json also matches a property case-insensitively.
				if !ok && strings.EqualFold(k, name) {
					ft, ok = f, true
				}
			}
			if !ok {
				ve.Add(at(name), validation.CodeUnknown, "")
				continue
			}
			locate(ve, at(name), props[name], ft)
		}
	case !leaf && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && jsonKind(raw) == "array":
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		for i, item := range items {
			locate(ve, fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
		}
	case !leaf && t.Kind() == reflect.Map && jsonKind(raw) == "object":
		var props map[string]json.RawMessage
		_ = json.Unmarshal(raw, &props)
		for _, name := range slices.Sorted(maps.Keys(props)) {
			locate(ve, at(name), props[name], t.Elem())
		}
	default:
		var te *json.UnmarshalTypeError
		if leaf && !errors.As(err, &te) {
			ve.Add(path, date.ErrorCode(err), "")
		} else {
			// Param: the kind of JSON value given ("string", "number", …).
			ve.Add(path, validation.CodeWrongType, jsonKind(raw))
		}
	}
}

// jsonKind names the kind of a valid JSON value as encoding/json's
// UnmarshalTypeError.Value does: "object", "array", "string", "number",
// "bool" or "null".
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// jsonFields maps the JSON property names of struct type t (or a pointer
// to one) to their Go types, embedded structs flattened and the shallower
// field winning, as encoding/json decodes them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	depth := map[string]int{}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if name == "-" || !f.IsExported() || f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if d, taken := depth[name]; !taken || len(f.Index) < d {
			out[name], depth[name] = f.Type, len(f.Index)
		}
	}
	return out
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
