package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/api"
)

const prefix = "/api"

// TestRoutesMatchTheDocument calls every report route and validates each
// answer against the OpenAPI document.
func TestRoutesMatchTheDocument(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := t.Context()
		require.NoError(t, capi.Migrate(ctx, db))
		dir, err := permission.NewDirectory(db, nil)
		require.NoError(t, err)
		tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "API"})
		require.NoError(t, err)
		staff, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "担当 者", Roles: []permission.Role{permission.RoleStaff}, Active: true})
		require.NoError(t, err)
		authz, err := permission.NewEngine(db)
		require.NoError(t, err)
		customers, err := customer.NewService(db, &customer.Config{Authorizer: authz})
		require.NoError(t, err)
		records, err := contactlog.NewService(db, &contactlog.Config{Authorizer: authz})
		require.NoError(t, err)
		reports, err := report.NewService(db, records, &report.Config{Authorizer: authz})
		require.NoError(t, err)
		srv, err := capi.New(&capi.Options{
			Prefix: prefix, DB: db, Customers: customers, Records: records, Extra: api.Routes(reports),
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

		p, err := dir.Principal(ctx, tenant.ID, staff.ID)
		require.NoError(t, err)
		as := permission.WithPrincipal(context.Background(), p)
		c, err := customers.Create(as, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ"})
		require.NoError(t, err)
		for i, m := range []int{90, 120, 45} {
			values := map[string]any{"work_minutes": m, "work_done": "訪問"}
			if i == 0 {
				values["visits"] = 3
			}
			_, err := records.Create(as, contactlog.Entry{Template: template.KeyDaily, Customer: c.ID,
				ActualAt: time.Date(2026, 4, 1+i, 1, 0, 0, 0, time.UTC), Values: values})
			require.NoError(t, err)
		}

		call := func(method, path string, body any) (int, http.Header, []byte) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				b, err := json.Marshal(body)
				require.NoError(t, err)
				rd = bytes.NewReader(b)
			}
			req, err := http.NewRequest(method, hs.URL+prefix+path, rd)
			require.NoError(t, err)
			req.Header.Set("X-User", staff.ID.String())
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			require.NoError(t, valid.Response(req, res), "the response matches the OpenAPI document")
			b, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			return res.StatusCode, res.Header, b
		}

		tokyo := p.Location
		req := api.AggregateRequest{Template: template.KeyDaily, Aggregations: []string{"work_minutes", "average_minutes"},
			GroupBy: "month", From: time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 5, 1, 0, 0, 0, 0, tokyo), Customer: c.ID}
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

		status, _, body = call(http.MethodGet, "/v1/customers/"+c.ID.String()+"/charts?template="+template.KeyDaily, nil)
		require.Equal(t, http.StatusOK, status, string(body))
		var charts api.Charts
		require.NoError(t, json.Unmarshal(body, &charts))
		require.Len(t, charts.Records, 3)
		require.Equal(t, "作業時間", charts.Charts[0].Title)
		require.Equal(t, 45.0, *charts.Charts[0].Series[0].Values[2])
		require.Equal(t, "訪問件数", charts.Charts[1].Title)
		require.Nil(t, charts.Charts[1].Series[0].Values[1], "a missing value is null")

		status, _, _ = call(http.MethodGet, "/v1/customers/"+c.ID.String()+"/charts?template="+template.KeyDaily+"&limit=x", nil)
		require.Equal(t, http.StatusUnprocessableEntity, status)
	})
}
