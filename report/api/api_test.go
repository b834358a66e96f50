package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/api"
)

const prefix = "/api"

// env is a JSON API server with the report, sales and catalog routes, a
// staff member and an admin, and a customer.
type env struct {
	call         func(method, path string, body any) (int, http.Header, []byte)
	callAs       func(user uuid.UUID, method, path, contentType string, body []byte) (int, http.Header, []byte)
	staff, admin permission.Principal
	as, asAdmin  context.Context
	records      *contactlog.Service
	cust         uuid.UUID
}

func newEnv(t *testing.T, db *bun.DB) *env {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, capi.Migrate(ctx, db))
	require.NoError(t, catalog.Migrate(ctx, db))
	dir, err := permission.NewDirectory(db, nil)
	require.NoError(t, err)
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "API"})
	require.NoError(t, err)
	staff, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "担当 者", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	admin, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "管理 者", Email: "admin@example.jp", Roles: []permission.Role{permission.RoleAdmin}, Active: true})
	require.NoError(t, err)
	authz, err := permission.NewEngine(db)
	require.NoError(t, err)
	customers, err := customer.NewService(db, &customer.Config{Authorizer: authz})
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Authorizer: authz})
	require.NoError(t, err)
	cat, err := catalog.NewService(db, nil)
	require.NoError(t, err)
	reports, err := report.NewService(db, &report.Config{Records: records, Authorizer: authz, Catalog: cat})
	require.NoError(t, err)
	srv, err := capi.New(&capi.Options{
		Prefix: prefix, DB: db, Customers: customers, Records: records,
		Extra: slices.Concat(api.Routes(reports), api.SalesRoutes(reports), api.CatalogRoutes(cat)),
		Authenticator: capi.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
			id, err := uuid.Parse(r.Header.Get("X-User"))
			if err != nil {
				return permission.Principal{}, capi.ErrUnauthenticated
			}
			return dir.Principal(r.Context(), tenant.ID, id)
		}),
	})
	require.NoError(t, err)
	valid, err := apitest.NewValidator(srv.OpenAPI())
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	e := &env{records: records}
	e.staff, err = dir.Principal(ctx, tenant.ID, staff.ID)
	require.NoError(t, err)
	e.admin, err = dir.Principal(ctx, tenant.ID, admin.ID)
	require.NoError(t, err)
	e.as = permission.WithPrincipal(context.Background(), e.staff)
	e.asAdmin = permission.WithPrincipal(context.Background(), e.admin)
	c, err := customers.Create(e.as, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ"})
	require.NoError(t, err)
	e.cust = c.ID
	e.callAs = func(user uuid.UUID, method, path, contentType string, body []byte) (int, http.Header, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, hs.URL+prefix+path, rd)
		require.NoError(t, err)
		req.Header.Set("X-User", user.String())
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.NoError(t, valid.Response(req, res), "the response matches the OpenAPI document")
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, res.Header, b
	}
	e.call = func(method, path string, body any) (int, http.Header, []byte) {
		t.Helper()
		if body == nil {
			return e.callAs(staff.ID, method, path, "", nil)
		}
		b, err := json.Marshal(body)
		require.NoError(t, err)
		return e.callAs(staff.ID, method, path, "application/json", b)
	}
	return e
}

// TestRoutesMatchTheDocument calls every report route and validates each
// answer against the OpenAPI document.
func TestRoutesMatchTheDocument(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		as, p, c, call := e.as, e.staff, e.cust, e.call
		records := e.records
		for i, m := range []int{90, 120, 45} {
			values := map[string]any{"work_minutes": m, "work_done": "訪問"}
			if i == 0 {
				values["visits"] = 3
			}
			_, err := records.Create(as, contactlog.Entry{Template: template.KeyDaily, Customer: c,
				ActualAt: time.Date(2026, 4, 1+i, 1, 0, 0, 0, time.UTC), Values: values})
			require.NoError(t, err)
		}

		tokyo := p.Location
		req := api.AggregateRequest{Template: template.KeyDaily, Aggregations: []string{"work_minutes", "average_minutes"},
			GroupBy: "month", From: time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 5, 1, 0, 0, 0, 0, tokyo), Customer: c}
		status, _, body := call(http.MethodPost, "/v1/reports/aggregate", req)
		require.Equal(t, http.StatusOK, status, string(body))
		var res report.Result
		require.NoError(t, json.Unmarshal(body, &res))
		require.Len(t, res.Groups, 2)
		require.Equal(t, int64(255), res.Groups[1].Values[0].Int)
		require.False(t, res.Groups[0].Values[1].Valid, "no records in March: no average")

		status, _, body = call(http.MethodPost, "/v1/reports/aggregate", api.AggregateRequest{Template: template.KeyDaily, GroupBy: "month"})
		require.Equal(t, http.StatusUnprocessableEntity, status)
		require.Contains(t, string(body), `"from"`)

		status, hdr, body := call(http.MethodPost, "/v1/reports/export?encoding=shift_jis", req)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, "text/csv; charset=shift_jis", hdr.Get("Content-Type"))
		require.Equal(t, 3, bytes.Count(body, []byte("\r\n")))

		status, _, body = call(http.MethodGet, "/v1/customers/"+c.String()+"/charts?template="+template.KeyDaily, nil)
		require.Equal(t, http.StatusOK, status, string(body))
		var charts api.Charts
		require.NoError(t, json.Unmarshal(body, &charts))
		require.Len(t, charts.Records, 3)
		require.Equal(t, "作業時間", charts.Charts[0].Title)
		require.Equal(t, 45.0, *charts.Charts[0].Series[0].Values[2])
		require.Equal(t, "訪問件数", charts.Charts[1].Title)
		require.Nil(t, charts.Charts[1].Series[0].Values[1], "a missing value is null")

		status, _, _ = call(http.MethodGet, "/v1/customers/"+c.String()+"/charts?template="+template.KeyDaily+"&limit=x", nil)
		require.Equal(t, http.StatusUnprocessableEntity, status)
	})
}

// TestSalesAndCatalogRoutes builds a catalog over the API, records a
// purchase from it and reads it back through the sales routes, every
// answer checked against the OpenAPI document.
func TestSalesAndCatalogRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := newEnv(t, db)
		admin := e.admin.User
		jsonAs := func(user uuid.UUID, method, path string, body any) (int, []byte) {
			t.Helper()
			b, err := json.Marshal(body)
			require.NoError(t, err)
			status, _, out := e.callAs(user, method, path, "application/json", b)
			return status, out
		}
		status, body := jsonAs(e.staff.User, http.MethodPost, "/v1/catalog/categories", catalog.Category{Name: "ラーメン", TaxRate: 10})
		require.Equal(t, http.StatusForbidden, status, string(body))
		status, body = jsonAs(admin, http.MethodPost, "/v1/catalog/categories", catalog.Category{Name: "ラーメン", TaxRate: 10})
		require.Equal(t, http.StatusCreated, status, string(body))
		var cat catalog.Category
		require.NoError(t, json.Unmarshal(body, &cat))
		status, body = jsonAs(admin, http.MethodPost, "/v1/catalog/items", catalog.Item{Category: cat.ID, Name: "醤油ラーメン", UnitPrice: 700})
		require.Equal(t, http.StatusCreated, status, string(body))
		var item catalog.Item
		require.NoError(t, json.Unmarshal(body, &item))
		item.UnitPrice = 750
		status, body = jsonAs(admin, http.MethodPut, "/v1/catalog/items/"+item.ID.String(), item)
		require.Equal(t, http.StatusOK, status, string(body))
		status, body = jsonAs(admin, http.MethodPost, "/v1/catalog/categories", catalog.Category{Name: "", TaxRate: 5})
		require.Equal(t, http.StatusUnprocessableEntity, status)
		require.Contains(t, string(body), `"tax_rate"`)

		status, _, body = e.call(http.MethodGet, "/v1/catalog/items?category="+cat.ID.String(), nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Contains(t, string(body), "醤油ラーメン")
		status, _, body = e.call(http.MethodGet, "/v1/catalog/categories", nil)
		require.Equal(t, http.StatusOK, status, string(body))

		csv := "カテゴリー,税率,商品・サービス名,価格(税抜)\n餃子,8%,餃子,350\n"
		status, _, body = e.callAs(admin, http.MethodPost, "/v1/catalog/import", "text/csv", []byte(csv))
		require.Equal(t, http.StatusOK, status, string(body))
		status, _, body = e.callAs(admin, http.MethodPost, "/v1/catalog/import", "text/csv", []byte(csv+"餃子,8%,焼売,abc\n"))
		require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
		var rep catalog.ImportReport
		require.NoError(t, json.Unmarshal(body, &rep))
		require.Equal(t, []catalog.RowError{{Line: 3, Column: "価格(税抜)", Code: "format"}}, rep.Errors)
		status, hdr, body := e.callAs(admin, http.MethodGet, "/v1/catalog/export?encoding=shift_jis", "", nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, "text/csv; charset=shift_jis", hdr.Get("Content-Type"))
		require.Equal(t, 3, bytes.Count(body, []byte("\r\n")))

		// A purchase of 2 at 750 (10%): 1500 + 150.
		tokyo := e.staff.Location
		_, err := e.records.Create(e.as, contactlog.Entry{Template: template.KeyUsage, Customer: e.cust,
			ActualAt: time.Date(2026, 4, 3, 12, 0, 0, 0, tokyo),
			Values:   map[string]any{"items": []template.Line{{Item: item.ID.String(), Name: item.Name, Quantity: 2, UnitPrice: 750, TaxRate: 10}}},
			Expenses: []contactlog.Expense{{Kind: contactlog.ExpensePerDiem, Route: "大阪出張", Amount: 3000}, {Route: "新大阪→客先", Amount: 240}}})
		require.NoError(t, err)
		from, to := time.Date(2026, 4, 1, 0, 0, 0, 0, tokyo), time.Date(2026, 5, 1, 0, 0, 0, 0, tokyo)
		status, _, body = e.call(http.MethodPost, "/v1/reports/sales", report.SalesQuery{From: from, To: to, Unit: report.ByDay})
		require.Equal(t, http.StatusOK, status, string(body))
		var sales report.Sales
		require.NoError(t, json.Unmarshal(body, &sales))
		require.Equal(t, int64(1650), sales.Total.Gross)
		require.Equal(t, "ラーメン", sales.Categories[0].Label)
		status, _, body = e.call(http.MethodPost, "/v1/reports/accounts", report.AccountsQuery{From: from, To: to})
		require.Equal(t, http.StatusOK, status, string(body))
		status, _, body = e.call(http.MethodGet, "/v1/customers/"+e.cust.String()+"/usage", nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Contains(t, string(body), `"gross":1650`)
		status, _, body = e.call(http.MethodGet, "/v1/catalog/items/"+item.ID.String()+"/buyers", nil)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Contains(t, string(body), e.cust.String())
		status, _, body = e.call(http.MethodPost, "/v1/reports/expenses", report.ExpenseQuery{From: from, To: to})
		require.Equal(t, http.StatusOK, status, string(body))
		require.Contains(t, string(body), `"total":3240`)
		status, hdr, body = e.call(http.MethodPost, "/v1/reports/expenses/export", report.ExpenseQuery{From: from, To: to})
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, "text/csv; charset=utf-8", hdr.Get("Content-Type"))
		status, _, _ = e.call(http.MethodPost, "/v1/reports/sales", report.SalesQuery{From: from, To: to, Unit: "week"})
		require.Equal(t, http.StatusUnprocessableEntity, status)
	})
}
