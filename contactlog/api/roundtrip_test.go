package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// with returns the same application served by a server built from e's
// options changed by change.
func (e *env) with(change func(o *api.Options)) *env {
	t := e.t
	t.Helper()
	c := *e
	change(&c.opts)
	var err error
	c.srv, err = api.New(&c.opts)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", c.srv)
	c.http = httptest.NewServer(mux)
	t.Cleanup(c.http.Close)
	c.valid, err = apitest.NewValidator(c.srv.OpenAPI())
	require.NoError(t, err)
	return &c
}

// asMap decodes a JSON body into a generic object, as a client that does
// not know the schema holds it.
func asMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return m
}

// TestGetPutRoundTrip: the body a GET returned, changed in one field, is
// accepted by PUT — read-only properties ignored, an omitted assignees
// list kept — for customers and records, by the staff member who created
// them (not allowed to reassign).
func TestGetPutRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		r := e.call(e.staff, http.MethodPost, "/v1/customers",
			customer.Profile{FamilyName: "鈴木", GivenName: "一郎", FamilyKana: "スズキ", GivenKana: "イチロウ"})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var c customer.Customer
		r.decode(t, &c)
		require.Equal(t, []uuid.UUID{e.staff}, c.Assignees)
		path := "/v1/customers/" + c.ID.String()

		got := e.call(e.staff, http.MethodGet, path, nil)
		body := asMap(t, got.body)
		body["memo"] = "紹介で来店"
		r = e.call(e.staff, http.MethodPut, path, body, "If-Match", got.header.Get("ETag"))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var updated customer.Customer
		r.decode(t, &updated)
		require.Equal(t, "紹介で来店", updated.Memo)
		require.Equal(t, c.ID, updated.ID)
		require.Equal(t, c.Version+1, updated.Version)

		// Read-only properties are ignored, even when they lie.
		body = asMap(t, r.body)
		body["id"], body["version"], body["created_by"] = uuid.NewString(), 99, uuid.NewString()
		delete(body, "assignees")
		body["memo"] = "担当はそのまま"
		r = e.call(e.staff, http.MethodPut, path, body, "If-Match", `"2"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.decode(t, &updated)
		require.Equal(t, []uuid.UUID{e.staff}, updated.Assignees, "an omitted assignees list is unchanged")
		require.Equal(t, c.ID, updated.ID)
		require.Equal(t, c.CreatedBy, updated.CreatedBy)
		require.Equal(t, int64(3), updated.Version)

		// An empty list still means "nobody": the staff member may not.
		body["assignees"] = []string{}
		require.Equal(t, http.StatusForbidden,
			e.call(e.staff, http.MethodPut, path, body, "If-Match", `"3"`).problem(t).Status)
		// Omitted with a stale version: 412, not a silent overwrite.
		delete(body, "assignees")
		require.Equal(t, http.StatusPreconditionFailed,
			e.call(e.staff, http.MethodPut, path, body, "If-Match", `"2"`).problem(t).Status)

		// Records: the GET body goes back as is.
		r = e.call(e.staff, http.MethodPost, "/v1/records",
			contactlog.Entry{Template: "builtin:interview", Customer: c.ID, PublicMemo: "見積依頼"})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var rec contactlog.Record
		r.decode(t, &rec)
		rpath := "/v1/records/" + rec.ID.String()
		got = e.call(e.staff, http.MethodGet, rpath, nil)
		body = asMap(t, got.body)
		body["public_memo"] = "見積を送付"
		r = e.call(e.staff, http.MethodPut, rpath, body, "If-Match", got.header.Get("ETag"))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var urec contactlog.Record
		r.decode(t, &urec)
		require.Equal(t, "見積を送付", urec.PublicMemo)
		require.Equal(t, rec.Author, urec.Author)
	})
}

// TestValueErrorsNameTheField: every value a field cannot take is a 422
// naming the field, on create and update, with the catalog's message when
// the server has one; only malformed JSON stays a 400.
func TestValueErrorsNameTheField(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db).with(func(o *api.Options) {
			o.FieldMessage = func(f api.FieldError) string { return f.Field + ": " + f.Code + "です" }
		})
		valid := map[string]any{"family_name": "山田", "given_name": "花子", "family_kana": "やまだ", "given_kana": "はなこ"}
		r := e.call(e.staff, http.MethodPost, "/v1/customers", valid)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var c customer.Customer
		r.decode(t, &c)
		r = e.call(e.staff, http.MethodPost, "/v1/records", contactlog.Entry{Template: "builtin:interview", Customer: c.ID})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var rec contactlog.Record
		r.decode(t, &rec)

		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for k, v := range valid {
				m[k] = v
			}
			m[k] = v
			return m
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
			want               api.FieldError
		}{
			{"era date outside its era (create)", http.MethodPost, "/v1/customers", with("birthday", "平成1年1月7日"),
				api.FieldError{Field: "birthday", Code: "outside_era"}},
			{"era date outside its era (update)", http.MethodPut, "/v1/customers/" + c.ID.String(), with("birthday", "平成1年1月7日"),
				api.FieldError{Field: "birthday", Code: "outside_era"}},
			{"no such day", http.MethodPost, "/v1/customers", with("birthday", "2023-02-30"),
				api.FieldError{Field: "birthday", Code: "invalid_date"}},
			{"not a date", http.MethodPost, "/v1/customers", with("birthday", "そのうち"),
				api.FieldError{Field: "birthday", Code: "format"}},
			{"a number as a date", http.MethodPost, "/v1/customers", with("birthday", 19720315),
				api.FieldError{Field: "birthday", Code: "wrong_type", Param: "number"}},
			{"an unknown property", http.MethodPost, "/v1/customers", with("nickname", "はなちゃん"),
				api.FieldError{Field: "nickname", Code: "unknown"}},
			{"a value inside an array", http.MethodPost, "/v1/records",
				map[string]any{"template": "builtin:interview", "customer": c.ID,
					"expenses": []any{map[string]any{"route": "新宿→横浜", "amount": 540}, map[string]any{"route": "横浜→新宿", "amount": "540円"}}},
				api.FieldError{Field: "expenses[1].amount", Code: "wrong_type", Param: "string"}},
			{"an unknown property inside an array (update)", http.MethodPut, "/v1/records/" + rec.ID.String(),
				map[string]any{"template": "builtin:interview", "customer": c.ID, "expenses": []any{map[string]any{"route": "徒歩", "fare": 0}}},
				api.FieldError{Field: "expenses[0].fare", Code: "unknown"}},
			{"a malformed time", http.MethodPut, "/v1/records/" + rec.ID.String(),
				map[string]any{"template": "builtin:interview", "customer": c.ID, "actual_at": "昨日"},
				api.FieldError{Field: "actual_at", Code: "format"}},
		} {
			r := e.call(e.staff, tc.method, tc.path, tc.body, "If-Match", `"1"`)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s: %s", tc.name, r.body)
			var p api.Problem
			r.decode(t, &p)
			tc.want.Message = tc.want.Field + ": " + tc.want.Code + "です"
			require.Equal(t, []api.FieldError{tc.want}, p.Errors, tc.name)
		}
		r = e.call(e.staff, http.MethodPost, "/v1/customers", []byte(`{"family_name":`))
		require.Equal(t, http.StatusBadRequest, r.status, "malformed JSON names no field")

		var page customer.Page
		e.call(e.staff, http.MethodGet, "/v1/customers", nil).decode(t, &page)
		require.Len(t, page.Customers, 1, "no refused body created a customer")
		e.call(e.staff, http.MethodGet, "/v1/customers/"+c.ID.String(), nil).decode(t, &c)
		require.Equal(t, int64(1), c.Version, "no refused body changed it")
	})
}

// TestReadOnlyIsDocumented: the PUT bodies document the read-only
// properties GET returns, and the operation says so.
func TestReadOnlyIsDocumented(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct {
							ReadOnly bool `json:"readOnly"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(e.srv.OpenAPI(), &doc))
	for path, want := range map[string][]string{
		"/customers/{id}": {"id", "tenant", "version", "created_at", "updated_by", "consent_at"},
		"/records/{id}":   {"id", "tenant", "version", "author", "attachments", "private_memo_withheld"},
	} {
		op := doc.Paths[prefix+api.Version1+path]["put"]
		require.Contains(t, op.Description, "read-only")
		props := op.RequestBody.Content["application/json"].Schema.Properties
		for _, name := range want {
			require.True(t, props[name].ReadOnly, "%s %s", path, name)
		}
		require.NotContains(t, props, "memo", "writable fields are not marked")
		require.NotContains(t, props, "public_memo")
	}
}
