package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// operation is what TestEveryOperationListsItsProblems reads of an
// OpenAPI operation.
type operation struct {
	ID         string `json:"operationId"`
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]any `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Description string         `json:"description"`
		Content     map[string]any `json:"content"`
	} `json:"responses"`
}

func operations(t *testing.T, doc []byte) map[string]map[string]operation {
	t.Helper()
	var d struct {
		Paths map[string]map[string]operation `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(doc, &d))
	return d.Paths
}

// TestEveryOperationListsItsProblems: each operation documents the problem
// statuses its inputs can cause, each saying what causes it, and no
// others: 400, 401 and 403 always, a path parameter 404, a body 413/415/422,
// If-Match 412/428, a change without If-Match 409, a query parameter 422.
func TestEveryOperationListsItsProblems(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	n := 0
	for path, ops := range operations(t, e.srv.OpenAPI()) {
		for method, op := range ops {
			n++
			want := map[int]bool{http.StatusBadRequest: true, http.StatusUnauthorized: true, http.StatusForbidden: true}
			ifMatch := false
			for _, p := range op.Parameters {
				switch {
				case p.In == "path":
					want[http.StatusNotFound] = true
				case p.In == "query":
					want[http.StatusBadRequest], want[http.StatusUnprocessableEntity] = true, true
				case p.Name == "If-Match":
					ifMatch = true
					want[http.StatusBadRequest], want[http.StatusPreconditionFailed], want[http.StatusPreconditionRequired] = true, true, true
				case p.Name == "Idempotency-Key":
					want[http.StatusBadRequest], want[http.StatusConflict], want[http.StatusUnprocessableEntity] = true, true, true
				}
			}
			if op.RequestBody != nil {
				for _, st := range []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge,
					http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity} {
					want[st] = true
				}
			}
			if method != "get" && !ifMatch {
				want[http.StatusConflict] = true
			}
			got := map[int]bool{}
			for code, res := range op.Responses {
				st, err := strconv.Atoi(code)
				require.NoError(t, err)
				if _, problem := res.Content["application/problem+json"]; !problem {
					continue
				}
				got[st] = true
				text, why, ok := strings.Cut(res.Description, ": ")
				require.True(t, ok && text == http.StatusText(st) && why != "", "%s %s %d says what causes it: %q", method, path, st, res.Description)
			}
			require.Equal(t, want, got, "%s %s (%s)", method, path, op.ID)
		}
	}
	require.Greater(t, n, 50, "every operation was checked")

	ops := operations(t, e.srv.OpenAPI())
	upd := ops[prefix+"/v1/customers/{id}"]["put"]
	require.Contains(t, upd.Responses["412"].Description, "stale")
	require.Contains(t, upd.Responses["404"].Description, "{id}")
	require.Contains(t, upd.Responses["422"].Description, "expenses[0].amount")
	require.NotContains(t, upd.Responses, "409", "a stale version is 412 where If-Match is required")
	imp := ops[prefix+"/v1/customers/import"]["post"]
	require.Contains(t, imp.Responses["415"].Description, "text/csv")
	require.Contains(t, ops[prefix+"/v1/ranks"]["put"].Responses["403"].Description, "x-roles")
	require.NotContains(t, ops[prefix+"/v1/customers"]["get"].Responses, "404", "no path parameter, no 404")
}

// TestProblemsAreDocumented sends each operation requests it refuses —
// an ID that names nothing, a body of the wrong type, no credentials —
// and checks every answer against the document.
func TestProblemsAreDocumented(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		for path, ops := range operations(t, e.srv.OpenAPI()) {
			concrete := path[len(prefix):]
			for _, p := range []string{"{id}", "{customer}"} {
				concrete = strings.ReplaceAll(concrete, p, uuid.NewString())
			}
			concrete = strings.NewReplacer("{key}", "no_such_key", "{kind}", "channel").Replace(concrete)
			for method, op := range ops {
				m := strings.ToUpper(method)
				r := e.call(uuid.Nil, m, concrete, nil)
				require.Equal(t, http.StatusUnauthorized, r.status, "%s %s", m, concrete)
				var hdr []string
				for _, p := range op.Parameters {
					if p.Name == "If-Match" {
						hdr = append(hdr, "If-Match", `"1"`)
					}
				}
				if op.RequestBody == nil {
					r = e.call(e.admin, m, concrete, nil, hdr...)
					require.Less(t, r.status, 500, "%s %s: %s", m, concrete, r.body)
					continue
				}
				if _, isJSON := op.RequestBody.Content["application/json"]; isJSON {
					r = e.call(e.admin, m, concrete, []byte(`{"`+op.ID+`":1}`), hdr...)
					require.Contains(t, []int{http.StatusNotFound, http.StatusUnprocessableEntity}, r.status, "%s %s: %s", m, concrete, r.body)
				}
				r = e.call(e.admin, m, concrete, []byte("x"), append(hdr, "Content-Type", "text/plain")...)
				allowed := []int{http.StatusNotFound, http.StatusUnsupportedMediaType}
				if _, csv := op.RequestBody.Content["text/csv"]; csv {
					// The import reads text/plain as CSV: "x" lacks the header row.
					allowed = append(allowed, http.StatusUnprocessableEntity)
				}
				require.Contains(t, allowed, r.status, "%s %s: %s", m, concrete, r.body)
			}
		}
	})
}
