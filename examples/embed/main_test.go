package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer"
)

// eachDB runs fn on a fresh SQLite file and, when KIROKU_TEST_POSTGRES_URL
// is set, on a fresh schema of that PostgreSQL database (dropped after).
func eachDB(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		db, err := openDB(t.Context(), "", filepath.Join(t.TempDir(), "kiroku.db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		fn(t, db)
	})
	base := os.Getenv("KIROKU_TEST_POSTGRES_URL")
	if base == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		admin, err := openDB(t.Context(), base, "")
		require.NoError(t, err)
		schema := "embed_" + strings.ToLower(rand.Text()[:10])
		_, err = admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema)
		require.NoError(t, err)
		t.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = admin.Close()
		})
		u, err := url.Parse(base)
		require.NoError(t, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := openDB(t.Context(), u.String(), "")
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		fn(t, db)
	})
}

func TestEmbed(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *bun.DB) {
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

		// The JSON API, behind the same login.
		var page contactlog.Page
		require.Equal(t, http.StatusOK, call("bob", "GET", "/crm/api/v1/records?customer="+c.ID.String(), "", &page))
		require.Len(t, page.Records, 1)
		require.Equal(t, rec.ID, page.Records[0].ID)
		require.Equal(t, http.StatusUnauthorized, call("", "GET", "/crm/api/v1/records", "", nil))
		require.Equal(t, http.StatusUnauthorized, call("mallory", "GET", "/crm/api/v1/records", "", nil))
		var created customer.Customer
		require.Equal(t, http.StatusCreated, call("alice", "POST", "/crm/api/v1/customers",
			`{"family_name":"佐藤","family_kana":"さとう"}`, &created))
		require.Equal(t, crm.users["alice"], created.CreatedBy)
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		require.Equal(t, http.StatusOK, call("", "GET", "/crm/api/openapi.json", "", &doc))
		require.Contains(t, doc.Paths, "/crm/api/v1/customers/{id}")
	})
}

// The API answers problems a client can read.
func TestEmbedAPIProblem(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *bun.DB) {
		crm, err := NewCRM(t.Context(), db)
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodGet, "/crm/api/v1/customers/"+crm.users["bob"].String(), nil)
		req.Header.Set("X-App-User", "bob")
		w := httptest.NewRecorder()
		crm.Handler().ServeHTTP(w, req)
		require.Equal(t, http.StatusNotFound, w.Code)
		var p api.Problem
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
		require.Equal(t, api.ProblemType+"not-found", p.Type)
	})
}
