package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// BenchmarkTopPage serves the top page (GET /) through HTTP to a
// logged-in administrator, 20 records of 40 customers and 10 responders
// shown, on SQLite and (with KIROKU_TEST_POSTGRES_URL) PostgreSQL; with
// -cpuprofile it shows what a request costs besides the record query
// (examples/server/bench measures requests per second against a real
// server process).
func BenchmarkTopPage(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchTopPage(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchTopPage(b, dbtest.Postgres(b)) })
}

func benchTopPage(b *testing.B, db *bun.DB) {
	e := servertest.New(b, db)
	ctx := e.Ctx(b, e.Admin)
	staff := make([]uuid.UUID, 10)
	for i := range staff {
		staff[i] = e.User(b, fmt.Sprintf("担当 %02d", i), fmt.Sprintf("タントウ %02d", i), fmt.Sprintf("s%02d@example.jp", i))
	}
	for i := range 40 {
		c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: fmt.Sprintf("顧客%02d", i), FamilyKana: "コキャク",
			Assignees: []uuid.UUID{staff[i%len(staff)]}})
		require.NoError(b, err)
		_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: c.ID,
			Responders: []uuid.UUID{staff[i%len(staff)], staff[(i+1)%len(staff)]}, PublicMemo: "定期訪問。見積を提出。"})
		require.NoError(b, err)
	}
	c := login(b, e, servertest.AdminEmail)
	for b.Loop() {
		res, _ := c.Get(b, "/")
		if res.StatusCode != http.StatusOK {
			b.Fatalf("GET / = %d", res.StatusCode)
		}
	}
}
