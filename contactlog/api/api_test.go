package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	texttemplate "text/template"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

const prefix = "/crm/api"

// env is an API mounted under prefix in an application's mux, with one
// tenant, an admin and a staff member, and a validator of its document.
type env struct {
	t            *testing.T
	opts         api.Options
	srv          *api.Server
	http         *httptest.Server
	valid        *apitest.Validator
	admin, staff uuid.UUID
}

// setup migrates db and builds the API with extra routes; the
// authenticator takes the user ID from the X-User header.
func setup(t *testing.T, db *bun.DB, extra ...api.Route) *env {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, api.Migrate(ctx, db))
	dir, err := permission.NewDirectory(db, nil)
	require.NoError(t, err)
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "API"})
	require.NoError(t, err)
	e := &env{t: t}
	for _, u := range []struct {
		id   *uuid.UUID
		name string
		role permission.Role
	}{{&e.admin, "管理 者", permission.RoleAdmin}, {&e.staff, "担当 者", permission.RoleStaff}} {
		saved, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: u.name,
			Roles: []permission.Role{u.role}, Active: true})
		require.NoError(t, err)
		*u.id = saved.ID
	}
	authz, err := permission.NewEngine(db)
	require.NoError(t, err)
	blobs, err := blob.NewLocal(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = blobs.Close() })
	customers, err := customer.NewService(db, &customer.Config{Authorizer: authz, Blobs: blobs})
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Authorizer: authz})
	require.NoError(t, err)
	e.opts = api.Options{
		Prefix: prefix, DB: db, Customers: customers, Records: records, Extra: extra,
		Authenticator: api.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
			id, err := uuid.Parse(r.Header.Get("X-User"))
			if err != nil {
				return permission.Principal{}, api.ErrUnauthenticated
			}
			return dir.Principal(r.Context(), tenant.ID, id)
		}),
	}
	e.srv, err = api.New(&e.opts)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "app") })
	mux.Handle(prefix+"/", e.srv)
	e.http = httptest.NewServer(mux)
	t.Cleanup(e.http.Close)
	e.valid, err = apitest.NewValidator(e.srv.OpenAPI())
	require.NoError(t, err)
	return e
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request as user (uuid.Nil: anonymous) with a JSON body (nil:
// none; []byte: sent as is) and headers, checks the response against the document and returns
// it.
func (e *env) call(user uuid.UUID, method, path string, body any, hdr ...string) reply {
	t := e.t
	t.Helper()
	var rd io.Reader
	if raw, ok := body.([]byte); ok {
		rd = bytes.NewReader(raw)
	} else if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.http.URL+prefix+path, rd)
	require.NoError(t, err)
	if user != uuid.Nil {
		req.Header.Set("X-User", user.String())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.NoError(t, e.valid.Response(req, res), "the response matches the OpenAPI document")
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return reply{res.StatusCode, res.Header, b}
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), string(r.body))
}

func (r reply) problem(t *testing.T) api.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	var p api.Problem
	r.decode(t, &p)
	require.Equal(t, r.status, p.Status)
	require.Equal(t, http.StatusText(p.Status), p.Title, "without Messages, titles are the status text")
	return p
}

// TestResponsesMatchTheDocument walks customers, records, comments,
// templates and masters, and the problem responses, validating every
// response against the OpenAPI document.
func TestResponsesMatchTheDocument(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		profile := customer.Profile{FamilyName: "山田", GivenName: "花子", FamilyKana: "やまだ", GivenKana: "はなこ"}

		require.Equal(t, "unauthenticated", strings.TrimPrefix(
			e.call(uuid.Nil, http.MethodGet, "/v1/customers", nil).problem(t).Type, api.ProblemType))

		r := e.call(e.staff, http.MethodPost, "/v1/customers", profile)
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var c customer.Customer
		r.decode(t, &c)
		require.Equal(t, prefix+"/v1/customers/"+c.ID.String(), r.header.Get("Location"))
		require.Equal(t, `"1"`, r.header.Get("ETag"))

		r = e.call(e.staff, http.MethodGet, "/v1/customers/"+c.ID.String(), nil)
		require.Equal(t, http.StatusOK, r.status)
		var page customer.Page
		r = e.call(e.staff, http.MethodGet, "/v1/customers?q=やまだ&total=true", nil)
		r.decode(t, &page)
		require.Len(t, page.Customers, 1)
		require.Equal(t, 1, page.Total)
		require.Equal(t, customer.TotalExact, page.TotalKind, "the response says how the total was counted")
		page = customer.Page{}
		e.call(e.staff, http.MethodGet, "/v1/customers?q=やまだ&exact_total=true", nil).decode(t, &page)
		require.Equal(t, 1, page.Total)
		require.Equal(t, customer.TotalExact, page.TotalKind)
		bad := e.call(e.staff, http.MethodGet, "/v1/customers?exact_total=maybe", nil).problem(t)
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
		require.Equal(t, "exact_total", bad.Errors[0].Field)

		changed := profile
		changed.Memo = "紹介"
		require.Equal(t, http.StatusPreconditionRequired,
			e.call(e.admin, http.MethodPut, "/v1/customers/"+c.ID.String(), changed).problem(t).Status)
		require.Equal(t, http.StatusPreconditionFailed,
			e.call(e.admin, http.MethodPut, "/v1/customers/"+c.ID.String(), changed, "If-Match", `"7"`).problem(t).Status)
		r = e.call(e.admin, http.MethodPut, "/v1/customers/"+c.ID.String(), changed, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, `"2"`, r.header.Get("ETag"))

		invalid := e.call(e.staff, http.MethodPost, "/v1/customers", customer.Profile{GivenName: "名だけ"}).problem(t)
		require.Equal(t, http.StatusUnprocessableEntity, invalid.Status)
		require.NotEmpty(t, invalid.Errors)
		require.NotEmpty(t, invalid.Errors[0].Field)

		r = e.call(e.staff, http.MethodPost, "/v1/records",
			contactlog.Entry{Template: "builtin:interview", Customer: c.ID, PublicMemo: "電話で見積依頼"},
			"Idempotency-Key", "rec-1")
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var rec contactlog.Record
		r.decode(t, &rec)
		again := e.call(e.staff, http.MethodPost, "/v1/records",
			contactlog.Entry{Template: "builtin:interview", Customer: c.ID, PublicMemo: "電話で見積依頼"},
			"Idempotency-Key", "rec-1")
		require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
		require.Equal(t, r.body, again.body)

		for _, path := range []string{"/v1/records/" + rec.ID.String(), "/v1/records?customer=" + c.ID.String(),
			"/v1/records/" + rec.ID.String() + "/attachments", "/v1/templates", "/v1/templates/builtin:interview",
			"/v1/masters/progress"} {
			r = e.call(e.staff, http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, r.status, "%s: %s", path, r.body)
		}
		r = e.call(e.staff, http.MethodPost, "/v1/records/"+rec.ID.String()+"/comments", api.CommentRequest{Body: "了解"})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var list api.CommentList
		e.call(e.admin, http.MethodGet, "/v1/records/"+rec.ID.String()+"/comments", nil).decode(t, &list)
		require.Len(t, list.Comments, 1)

		require.Equal(t, http.StatusForbidden, e.call(e.staff, http.MethodPut, "/v1/masters/progress",
			api.MasterList{Items: []contactlog.MasterItem{}}).problem(t).Status)
		require.Equal(t, http.StatusNotFound,
			e.call(e.staff, http.MethodGet, "/v1/customers/"+uuid.NewString(), nil).problem(t).Status)
		require.Equal(t, http.StatusNoContent,
			e.call(e.staff, http.MethodDelete, "/v1/records/"+rec.ID.String(), nil, "If-Match", `"1"`).status)
	})
}

// TestRoutingProblems: outside the route table the answers are problems
// too (unknown path 404, other method 405 with Allow), and the document is
// served under the prefix, equal to Server.OpenAPI.
func TestRoutingProblems(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	get := func(path string, method string) (*http.Response, []byte) {
		req, err := http.NewRequest(method, e.http.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("X-User", e.staff.String())
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, b
	}
	for _, tc := range []struct {
		path, method, wantType string
		want                   int
	}{
		{prefix + "/v1/nothing", http.MethodGet, api.ProblemType + "not-found", http.StatusNotFound},
		{prefix + "/v1/customers", http.MethodPatch, api.ProblemType + "method-not-allowed", http.StatusMethodNotAllowed},
	} {
		res, b := get(tc.path, tc.method)
		require.Equal(t, tc.want, res.StatusCode, tc.path)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		require.Contains(t, string(b), tc.wantType)
	}
	res, _ := get(prefix+"/v1/customers", http.MethodPatch)
	require.Equal(t, "GET, POST", res.Header.Get("Allow"))
	res, b := get(prefix+"/openapi.json", http.MethodGet)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, e.srv.OpenAPI(), b)
	_, b = get("/", http.MethodGet)
	require.Equal(t, "app", string(b), "the application keeps its other paths")
}

// TestDocument: every route is documented under the prefix with its
// operationId, declared path parameters and success status, and every
// $ref resolves.
func TestDocument(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		} `json:"components"`
	}
	raw := e.srv.OpenAPI()
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Contains(t, doc.Components.SecuritySchemes, "bearer", "the default scheme")
	for _, rt := range e.srv.Routes() {
		op, ok := doc.Paths[prefix+rt.Path][strings.ToLower(rt.Method)]
		require.True(t, ok, "%s %s is documented", rt.Method, rt.Path)
		var o struct {
			OperationID string         `json:"operationId"`
			Summary     string         `json:"summary"`
			Responses   map[string]any `json:"responses"`
			Parameters  []struct {
				Name, In string
			} `json:"parameters"`
		}
		require.NoError(t, json.Unmarshal(op, &o))
		require.Equal(t, rt.ID, o.OperationID)
		require.Equal(t, rt.Summary, o.Summary)
		require.NotEmpty(t, o.Summary, rt.ID)
		require.Contains(t, o.Responses, strconv.Itoa(rt.Status))
		for _, seg := range strings.Split(rt.Path, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				require.Contains(t, o.Parameters, struct{ Name, In string }{strings.TrimSuffix(name, "}"), "path"}, rt.ID)
			}
		}
	}
	for _, part := range strings.Split(string(raw), `"$ref": "#/components/schemas/`)[1:] {
		name, _, _ := strings.Cut(part, `"`)
		require.Contains(t, doc.Components.Schemas, name)
	}
}

// TestDriftIsCaught plants responses that disagree with the document: each
// must fail validation, so a handler drifting from its schema fails the
// tests above.
func TestDriftIsCaught(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	id := uuid.NewString()
	for _, tc := range []struct {
		name, method, path, ct, body string
		status                       int
	}{
		{"a required field is missing", http.MethodGet, "/v1/customers/" + id, "application/json", `{"id":"` + id + `"}`, http.StatusOK},
		{"a field has the wrong type", http.MethodGet, "/v1/customers", "application/json",
			`{"customers":"none","next":""}`, http.StatusOK},
		{"an undocumented status", http.MethodGet, "/v1/templates", "application/json", `{"templates":[]}`, http.StatusTeapot},
		{"an undocumented path answered", http.MethodGet, "/v1/elsewhere", "application/json", `{}`, http.StatusOK},
		{"a file typed as JSON", http.MethodGet, "/v1/attachments/" + id + "/content", "application/json", `{`, http.StatusCreated},
		{"a problem without its status", http.MethodGet, "/v1/customers/" + id, "application/problem+json",
			`{"type":"urn:kiroku:problem:not-found","title":"Not Found"}`, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, prefix+tc.path, nil)
			res := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.ct}},
				Body: io.NopCloser(strings.NewReader(tc.body)), Request: req}
			require.Error(t, e.valid.Response(req, res))
		})
	}
	// The same shapes, correct, pass: the failures above are the drift.
	req := httptest.NewRequest(http.MethodGet, prefix+"/v1/templates", nil)
	res := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"templates":[]}`)), Request: req}
	require.NoError(t, e.valid.Response(req, res))
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.JSONEq(t, `{"templates":[]}`, string(b), "the body stays readable")

	_, err = apitest.NewValidator([]byte(`{"openapi":"3.1.0","info":{"title":"x"},"paths":{"/a":{"get":{"responses":"no"}}}}`))
	require.Error(t, err, "a malformed document is refused")
}

// Ping is the body of the extra route of TestExtraRoutes.
type Ping struct {
	Tenant uuid.UUID `json:"tenant"`
	Note   string    `json:"note"`
}

// TestExtraRoutes: an extra route is served and documented beside the
// built-in ones, with its own authenticator and security scheme.
func TestExtraRoutes(t *testing.T) {
	t.Parallel()
	key := &api.SecurityScheme{Name: "key", Type: "apiKey", In: "header", Param: "X-Key"}
	var principal permission.Principal
	ping := api.Route{ID: "ping", Tag: "host", Summary: "Ping", Method: http.MethodPost, Path: "/v1/ping",
		Request: Ping{}, Response: Ping{}, Status: http.StatusOK, Idempotent: true, Security: key,
		Authenticator: api.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
			if r.Header.Get("X-Key") != "secret" {
				return permission.Principal{}, &api.Error{Code: "bad-key", Status: http.StatusForbidden}
			}
			return principal, nil
		}),
		Handler: func(w http.ResponseWriter, r *http.Request) error {
			var in Ping
			if err := api.DecodeJSON(w, r, &in); err != nil {
				return err
			}
			p, err := permission.Require(r.Context())
			if err != nil {
				return err
			}
			return api.WriteJSON(w, http.StatusOK, Ping{Tenant: p.Tenant, Note: in.Note})
		}}
	e := setup(t, dbtest.SQLite(t), ping)
	principal = permission.Principal{Tenant: uuid.New(), User: e.staff}

	r := e.call(uuid.Nil, http.MethodPost, "/v1/ping", Ping{Note: "x"})
	require.Equal(t, api.ProblemType+"bad-key", r.problem(t).Type)
	r = e.call(uuid.Nil, http.MethodPost, "/v1/ping", Ping{Note: "やあ"}, "X-Key", "secret")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var out Ping
	r.decode(t, &out)
	require.Equal(t, Ping{Tenant: principal.Tenant, Note: "やあ"}, out)
	require.Equal(t, http.StatusUnprocessableEntity, e.call(uuid.Nil, http.MethodPost, "/v1/ping",
		map[string]any{"note": 5}, "X-Key", "secret").problem(t).Status)
	var doc struct {
		Paths      map[string]map[string]struct{ Security []map[string]any } `json:"paths"`
		Components struct{ SecuritySchemes map[string]map[string]string }    `json:"components"`
	}
	require.NoError(t, json.Unmarshal(e.srv.OpenAPI(), &doc))
	require.Equal(t, map[string]string{"type": "apiKey", "in": "header", "name": "X-Key"}, doc.Components.SecuritySchemes["key"])
	require.Contains(t, doc.Paths[prefix+"/v1/ping"]["post"].Security[0], "key")
}

// TestNewRefuses lists the options and routes New refuses.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	h := func(http.ResponseWriter, *http.Request) error { return nil }
	for _, tc := range []struct {
		name   string
		change func(o *api.Options)
		want   string
	}{
		{"no authenticator", func(o *api.Options) { o.Authenticator = nil }, "Options.Authenticator is required"},
		{"no engines", func(o *api.Options) { o.Customers, o.Records = nil, nil }, "Options.Customers, Options.Records is required"},
		{"trailing slash", func(o *api.Options) { o.Prefix = "/api/" }, "Options.Prefix"},
		{"taken path", func(o *api.Options) {
			o.Extra = []api.Route{{ID: "mine", Method: http.MethodGet, Path: "/v1/customers", Status: 200, Handler: h}}
		}, "GET /v1/customers is defined twice"},
		{"taken ID", func(o *api.Options) {
			o.Extra = []api.Route{{ID: "getCustomer", Method: http.MethodGet, Path: "/v1/mine", Status: 200, Handler: h}}
		}, `route ID "getCustomer" is used twice`},
		{"authenticator without security", func(o *api.Options) {
			o.Extra = []api.Route{{ID: "mine", Method: http.MethodGet, Path: "/v1/mine", Status: 200, Handler: h,
				Authenticator: o.Authenticator}}
		}, "needs its Security"},
		{"no handler", func(o *api.Options) {
			o.Extra = []api.Route{{ID: "mine", Method: http.MethodGet, Path: "/v1/mine", Status: 200}}
		}, "Handler are required"},
		{"two types, one component name", func(o *api.Options) {
			o.Extra = []api.Route{{ID: "mine", Method: http.MethodGet, Path: "/v1/mine", Status: 200, Handler: h,
				Response: texttemplate.Template{}}}
		}, `are both component "template.Template"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := e.opts
			tc.change(&o)
			_, err := api.New(&o)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := api.New(nil)
	require.Error(t, err)
}

// TestJSONBodyIsOneValue: a body with anything but white space after its
// JSON value is refused whole (400 naming the body), and nothing is
// created.
func TestJSONBodyIsOneValue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		const value = `{"family_name":"山田","given_name":"花子","family_kana":"やまだ","given_kana":"はなこ"}`
		for _, tc := range []struct {
			body   string
			status int
		}{
			{value + " \n\t", http.StatusCreated},
			{value + `{"family_name":"佐藤"}`, http.StatusBadRequest},
			{value + "x", http.StatusBadRequest},
			{value + "]", http.StatusBadRequest},
			{value + " 1", http.StatusBadRequest},
			{value + "\x00", http.StatusBadRequest},
			{value + `{"family_name":`, http.StatusBadRequest},
		} {
			r := e.call(e.staff, http.MethodPost, "/v1/customers", []byte(tc.body))
			require.Equal(t, tc.status, r.status, "%q: %s", tc.body, r.body)
			if tc.status == http.StatusBadRequest {
				p := r.problem(t)
				require.Equal(t, api.ProblemType+"bad-json", p.Type)
				require.Contains(t, p.Detail, "request body")
			}
		}
		var page customer.Page
		e.call(e.staff, http.MethodGet, "/v1/customers", nil).decode(t, &page)
		require.Len(t, page.Customers, 1, "only the clean body created a customer")
	})
}
