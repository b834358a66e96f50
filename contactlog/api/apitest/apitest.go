// Package apitest checks an API's real responses against its OpenAPI
// document, so that a response drifting from its schema fails a test. It
// wraps github.com/pb33f/libopenapi-validator.
//
// Use it with the document of an api.Server (Server.OpenAPI), in the tests
// of the built-in routes and of routes added with Options.Extra:
//
//	v, err := apitest.NewValidator(srv.OpenAPI())
//	require.NoError(t, err)
//	res, err := http.DefaultClient.Do(req)
//	require.NoError(t, err)
//	require.NoError(t, v.Response(req, res))
//
// A response is checked against the operation of its request's method and
// path: its status must be documented, its Content-Type must be one the
// operation declares for that status, and a JSON body must match the
// schema. A request the document has no operation for is an error, unless
// it was answered 404 or 405 (an API refusing an unknown route). The
// response body stays readable after the check.
package apitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// Validator checks responses against one OpenAPI document.
type Validator struct {
	v validator.Validator
}

// NewValidator parses doc (OpenAPI 3.1, JSON or YAML) and validates the
// document itself against the OpenAPI schema: a malformed document is an
// error listing every problem.
func NewValidator(doc []byte) (*Validator, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("apitest: parse: %w", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		return nil, fmt.Errorf("apitest: %w", errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("apitest: document: %w", joined(verrs))
	}
	return &Validator{v: v}, nil
}

// Response checks res, the answer to req, against the document. It reads
// res.Body and puts an equal, unread body back.
func (v *Validator) Response(req *http.Request, res *http.Response) error {
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("apitest: read body: %w", err)
	}
	_ = res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	ok, verrs := v.v.ValidateHttpResponse(req, res)
	res.Body = io.NopCloser(bytes.NewReader(body))
	if !ok && unrouted(verrs) && (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed) {
		// No operation to check against: the API refused the route.
		return nil
	}
	if !ok {
		return fmt.Errorf("apitest: %s %s → %d: %w", req.Method, req.URL.Path, res.StatusCode, joined(verrs))
	}
	return nil
}

// unrouted reports whether the document has no operation for the request.
func unrouted(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if !e.IsPathMissingError() && !e.IsOperationMissingError() {
			return false
		}
	}
	return len(errs) > 0
}

func joined[E error](errs []E) error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
