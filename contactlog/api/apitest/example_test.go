package apitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
)

// A response that matches its schema passes; one that drifted fails.
func Example() {
	doc := `{"openapi": "3.1.0", "info": {"title": "shop", "version": "1"},
	  "paths": {"/items/{id}": {"get": {
	    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
	    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
	      "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}}}}}}}`
	v, err := apitest.NewValidator([]byte(doc))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, body := range []string{`{"name": "醤油ラーメン"}`, `{"name": 850}`} {
		req := httptest.NewRequest(http.MethodGet, "/items/1", nil)
		res := &http.Response{StatusCode: http.StatusOK, Request: req,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}
		err := v.Response(req, res)
		kept, _ := io.ReadAll(res.Body)
		fmt.Println(err == nil, string(kept))
	}
	// Output:
	// true {"name": "醤油ラーメン"}
	// false {"name": 850}
}
