package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestEmbed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		crm, err := NewCRM(ctx, db)
		require.NoError(t, err)
		// Syncing again (a restart) finds the users by ExternalID.
		again, err := NewCRM(ctx, db)
		require.NoError(t, err)
		require.Equal(t, crm.users, again.users)
		n, err := db.NewSelect().TableExpr("staff_users").Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, len(appUsers), n)

		srv := httptest.NewServer(crm.Handler())
		t.Cleanup(srv.Close)
		call := func(user, method, path, body string, out any) int {
			t.Helper()
			req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			require.NoError(t, err)
			if user != "" {
				req.Header.Set("X-App-User", user)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			if out != nil && res.StatusCode < 300 {
				require.NoError(t, json.NewDecoder(res.Body).Decode(out))
			}
			return res.StatusCode
		}

		require.Equal(t, http.StatusUnauthorized, call("", "GET", "/crm/customers", "", nil))
		require.Equal(t, http.StatusUnauthorized, call("mallory", "GET", "/crm/customers", "", nil))
		require.Equal(t, http.StatusUnprocessableEntity, call("bob", "POST", "/crm/customers", `{"given_name":"名だけ"}`, nil))

		var c customer.Customer
		require.Equal(t, http.StatusCreated, call("bob", "POST", "/crm/customers",
			`{"family_name":"山田","given_name":"花子","family_kana":"やまだ","given_kana":"はなこ"}`, &c))
		require.Equal(t, "ヤマダ", c.FamilyKana, "the engine normalised the reading")
		require.Equal(t, crm.users["bob"], c.CreatedBy)

		var rec contactlog.Record
		require.Equal(t, http.StatusCreated, call("bob", "POST", "/crm/customers/"+c.ID.String()+"/records",
			`{"public_memo":"電話で見積依頼"}`, &rec))
		require.Equal(t, crm.users["bob"], rec.Author)

		for _, user := range []string{"bob", "alice"} {
			var page contactlog.Page
			require.Equal(t, http.StatusOK, call(user, "GET", "/crm/customers/"+c.ID.String()+"/records", "", &page))
			require.Len(t, page.Records, 1, user)
			require.Equal(t, "電話で見積依頼", page.Records[0].PublicMemo)
			var cs customer.Page
			require.Equal(t, http.StatusOK, call(user, "GET", "/crm/customers?q=やまだ", "", &cs))
			require.Len(t, cs.Customers, 1, user)
		}
		require.Equal(t, http.StatusNotFound, call("bob", "GET", "/crm/customers/nope/records", "", nil))
	})
}
