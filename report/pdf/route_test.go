package pdf_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/pdftest"
	"github.com/kirokuhq/kiroku/report/pdf"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		require.NoError(t, api.Migrate(context.Background(), db))
		as := map[string]context.Context{"staff": f.staff, "partner": f.partner, "customer": f.customerPrincipal}
		srv, err := api.New(&api.Options{DB: db, Customers: f.customers, Records: f.records, Extra: f.exp.Routes(),
			Authenticator: api.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
				ctx, ok := as[r.Header.Get("X-Test-As")]
				if !ok {
					return permission.Principal{}, api.ErrUnauthenticated
				}
				p, _ := permission.FromContext(ctx)
				return p, nil
			})})
		require.NoError(t, err)
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		v, err := apitest.NewValidator(srv.OpenAPI())
		require.NoError(t, err)
		post := func(as, path, body string) (*http.Response, []byte) {
			req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Test-As", as)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			require.NoError(t, v.Response(req, res))
			b, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			res.Body.Close()
			return res, b
		}

		res, body := post("staff", "/v1/records/"+f.shared.String()+"/pdf",
			`{"cover": true, "title": "面談記録", "password": "`+password+`", "include_private_memo": true}`)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		require.Equal(t, "application/pdf", res.Header.Get("Content-Type"))
		require.Equal(t, `attachment; filename*=utf-8''%E9%9D%A2%E8%AB%87%E8%A8%98%E9%8C%B2.pdf`,
			res.Header.Get("Content-Disposition"))
		require.Contains(t, pdftest.Text(t, body, password), privateMemo)

		res, body = post("customer", "/v1/customers/"+f.yamada.String()+"/pdf", `{}`)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		text := pdftest.Text(t, body, "")
		require.Contains(t, text, publicMemo)
		require.NotContains(t, text, usageMemo)

		res, body = post("partner", "/v1/customers/"+f.yamada.String()+"/pdf", `{"include_private_memo": true}`)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, string(body), "include_private_memo")
		res, _ = post("customer", "/v1/records/"+f.unshared.String()+"/pdf", `{}`)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, _ = post("staff", "/v1/records/"+uuid.NewString()+"/pdf", `{}`)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, body = post("staff", "/v1/customers/"+f.yamada.String()+"/pdf", `{"from": "yesterday"}`)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "not a time")
		require.Contains(t, string(body), `"from"`)
	})
}

// A title with characters that are not attr-chars (":", "=", "@", quotes)
// still gives a header that parses back to the title.
func TestDispositionRoundTrips(t *testing.T) {
	t.Parallel()
	for _, title := range []string{"", "面談記録", "面談 10:00", "a=b@c", `say "hi"`, "x+y&z;1"} {
		kind, params, err := mime.ParseMediaType(pdf.Disposition(title))
		require.NoError(t, err, title)
		require.Equal(t, "attachment", kind)
		want := title
		if want == "" {
			want = pdf.DefaultTitle
		}
		require.Equal(t, want+".pdf", params["filename"], title)
	}
}
