package api

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/date"
)

// document generates the OpenAPI 3.1 document of the routes. Two Go types
// that would get the same component name are an error.
func (s *Server) document() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}, seen: map[reflect.Type]string{}, owner: map[string]reflect.Type{}}
	in := &schemaGen{defs: g.defs, seen: map[reflect.Type]string{}, owner: g.owner, input: true}
	problem := g.ref(reflect.TypeFor[Problem]())
	schemes := map[string]any{s.opts.Security.Name: s.opts.Security.object()}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{
			"operationId": rt.ID,
			"summary":     s.text("op."+rt.ID, rt.Summary),
			"tags":        []string{rt.Tag},
		}
		if d := s.text("op."+rt.ID+".description", rt.Description); d != "" {
			op["description"] = d
		}
		if rt.Security != nil {
			schemes[rt.Security.Name] = rt.Security.object()
			op["security"] = []any{map[string]any{rt.Security.Name: []string{}}}
		}
		if len(rt.Roles) > 0 {
			roles := make([]string, len(rt.Roles))
			for i, r := range rt.Roles {
				roles[i] = string(r)
			}
			op["x-roles"] = roles
		}
		var params []any
		for _, p := range rt.Params {
			params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.Required,
				"description": p.Description, "schema": map[string]any{"type": p.Type}})
		}
		if rt.IfMatch {
			params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": true,
				"description": `the ETag ("<version>") the change is based on`, "schema": map[string]any{"type": "string"}})
		}
		if rt.Idempotent {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header",
				"description": "replays the stored response of the same request for 24 hours",
				"schema":      map[string]any{"type": "string", "maxLength": MaxIdempotencyKey}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Request != nil || rt.RequestType != "" {
			ct := rt.RequestType
			if ct == "" {
				ct = ctJSON
			}
			var sc any = map[string]any{"type": "string", "contentMediaType": ct}
			if rt.Request != nil {
				sc = in.ref(reflect.TypeOf(rt.Request))
			}
			if len(rt.ReadOnly) > 0 {
				ro := map[string]any{}
				for _, name := range rt.ReadOnly {
					ro[name] = map[string]any{"readOnly": true}
				}
				sc = map[string]any{"allOf": []any{sc}, "properties": ro}
			}
			content := map[string]any{ct: map[string]any{"schema": sc}}
			if ct == MediaCSV {
				content[MediaMultipart] = map[string]any{"schema": map[string]any{"type": "object",
					"properties": map[string]any{"file": map[string]any{"type": "string", "contentMediaType": MediaCSV}},
					"required":   []string{"file"}}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		switch {
		case rt.Response != nil:
			ok["content"] = map[string]any{ctJSON: map[string]any{"schema": g.ref(reflect.TypeOf(rt.Response))}}
		case rt.ResponseType != "":
			ok["content"] = map[string]any{rt.ResponseType: map[string]any{
				"schema": map[string]any{"type": "string", "contentMediaType": rt.ResponseType}}}
		}
		headers := map[string]any{}
		if rt.ETag {
			headers["ETag"] = map[string]any{"schema": map[string]any{"type": "string"}, "description": `"<version>"`}
		}
		if rt.Status == http.StatusCreated && rt.ETag {
			headers["Location"] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		if len(headers) > 0 {
			ok["headers"] = headers
		}
		responses := map[string]any{strconv.Itoa(rt.Status): ok}
		for st, why := range problemStatuses(rt) {
			responses[strconv.Itoa(st)] = map[string]any{"description": http.StatusText(st) + ": " + strings.Join(why, "; "),
				"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
		}
		for st, body := range rt.OtherResponses {
			r, ok := responses[strconv.Itoa(st)].(map[string]any)
			if !ok {
				r = map[string]any{"description": http.StatusText(st), "content": map[string]any{}}
				responses[strconv.Itoa(st)] = r
			}
			r["content"].(map[string]any)[ctJSON] = map[string]any{"schema": g.ref(reflect.TypeOf(body))}
		}
		op["responses"] = responses
		path := s.opts.Prefix + rt.Path
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	if err := errors.Join(g.errs, in.errs); err != nil {
		return nil, err
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": s.text("title", "Kiroku API"), "version": "1",
			"description": s.text("description", "Customers, contact records, attachments, comments, "+
				"templates, masters and CSV import/export (v1).")},
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"security":          []any{map[string]any{s.opts.Security.Name: []string{}}},
		"paths":             paths,
		"components":        map[string]any{"schemas": g.defs, "securitySchemes": schemes},
	}
	var buf bytes.Buffer
	enc := jsonEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	return buf.Bytes(), nil
}

// problemStatuses derives from a route's shape the problem statuses it may
// answer, each with what causes it there, in the order the causes apply.
// Route.Problems adds what the shape does not tell.
func problemStatuses(rt Route) map[int][]string {
	out := map[int][]string{}
	add := func(status int, why string) { out[status] = append(out[status], why) }
	add(http.StatusUnauthorized, "no valid credentials")
	if len(rt.Roles) > 0 {
		add(http.StatusForbidden, "the principal has none of the roles in x-roles")
	}
	add(http.StatusForbidden, "the principal may not do this to this object")
	add(http.StatusBadRequest, "an engine refused the request as invalid without naming a field (e.g. no blob store configured)")
	var path, query []string
	for rest := rt.Path; ; {
		_, after, ok := strings.Cut(rest, "{")
		if !ok {
			break
		}
		name, tail, _ := strings.Cut(after, "}")
		path, rest = append(path, "{"+name+"}"), tail
	}
	for _, p := range rt.Params {
		if p.In != "path" {
			query = append(query, p.Name)
		}
	}
	if len(path) > 0 {
		add(http.StatusNotFound, strings.Join(path, ", ")+" names nothing the principal can see (or is malformed)")
	}
	if len(query) > 0 {
		add(http.StatusBadRequest, "a query parameter is malformed ("+strings.Join(query, ", ")+")")
		add(http.StatusUnprocessableEntity, "a query parameter's value is refused; errors name it")
	}
	switch ct := rt.RequestType; {
	case rt.Request == nil && ct == "":
	case ct == "" || ct == ctJSON:
		add(http.StatusBadRequest, "malformed JSON, or not one JSON object")
		add(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", MaxJSON))
		add(http.StatusUnsupportedMediaType, "the body is not application/json")
		add(http.StatusUnprocessableEntity, "a value is refused; errors name each field by its path, e.g. expenses[0].amount")
	default:
		add(http.StatusBadRequest, "a malformed "+ct+" body")
		add(http.StatusRequestEntityTooLarge, "the upload is over its size limit")
		add(http.StatusUnsupportedMediaType, "the body is not "+ct)
		add(http.StatusUnprocessableEntity, "the content is refused; errors name each file or row")
	}
	if rt.IfMatch {
		add(http.StatusBadRequest, "a malformed If-Match header")
		add(http.StatusPreconditionFailed, "the version in If-Match is stale: reload and retry")
		add(http.StatusPreconditionRequired, "no If-Match header")
	} else if rt.Method != http.MethodGet {
		add(http.StatusConflict, "the change clashes with the object's current state or with a concurrent change")
	}
	if rt.Method == http.MethodPost && !rt.Idempotent {
		add(http.StatusBadRequest, "an Idempotency-Key header: this operation does not take one")
	}
	if rt.Idempotent {
		add(http.StatusBadRequest, "a malformed Idempotency-Key")
		add(http.StatusConflict, "a request with the same Idempotency-Key is still in progress (Retry-After)")
		add(http.StatusUnprocessableEntity, "the Idempotency-Key was used for another request")
	}
	for _, st := range slices.Sorted(maps.Keys(rt.Problems)) {
		add(st, rt.Problems[st])
	}
	return out
}

// schemaGen turns Go types into JSON Schemas by reflection over their json
// tags: named structs become components (referenced by $ref), embedded
// structs are flattened like encoding/json does, omitempty/omitzero fields
// are optional, pointers are nullable.
//
// Request bodies use the input variant of each component ("<name>.Input"):
// every property optional, since absent fields take their zero value.
type schemaGen struct {
	defs  map[string]any
	seen  map[reflect.Type]string
	owner map[string]reflect.Type
	input bool
	errs  error
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
	dateType = reflect.TypeFor[date.Date]()
	rawType  = reflect.TypeFor[json.RawMessage]()
	textType = reflect.TypeFor[encoding.TextMarshaler]()
)

// name is a type's component name: "customer.Customer".
func defName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return pkg + "." + t.Name()
}

// ref returns the schema of t, registering named structs as components.
func (g *schemaGen) ref(t reflect.Type) any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case uuidType:
		return map[string]any{"type": "string", "format": "uuid"}
	case dateType:
		return map[string]any{"type": "string", "format": "date"}
	case rawType:
		return map[string]any{}
	}
	if t.Kind() == reflect.Struct && t.Implements(textType) {
		// A value that encodes itself as text (schedule.Date, …).
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return map[string]any{"oneOf": []any{g.ref(t.Elem()), map[string]any{"type": "null"}}}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name, ok := g.seen[t]
		if !ok {
			name = defName(t)
			if g.input {
				name += ".Input"
			}
			if other, taken := g.owner[name]; taken {
				g.errs = errors.Join(g.errs, fmt.Errorf("api: openapi: %s and %s are both component %q",
					other.PkgPath()+"."+other.Name(), t.PkgPath()+"."+t.Name(), name))
			}
			g.owner[name] = t
			g.seen[t] = name
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.ref(f.Type)
		if f.Tag.Get("format") == "binary" {
			s = map[string]any{"type": "array", "items": map[string]any{"type": "string", "format": "binary"}}
		}
		omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		k := f.Type.Kind()
		if m, ok := s.(map[string]any); ok && !omitted && (k == reflect.Slice && m["type"] == "array" || k == reflect.Map) {
			// A nil slice or map is encoded as null unless omitted.
			m["type"] = []string{m["type"].(string), "null"}
		}
		props[name] = s
		if !g.input && !omitted && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}
