package customer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// The lag-tolerant reads go to ReadDB (a second pool, as a replica would
// be), everything else to the primary, and a service bound to a
// transaction never reads from the replica.
func TestReadDBServesLagTolerantReads(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		replica := dbtest.Reopen(t, db)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		svc, err := customer.NewService(db, &customer.Config{Clock: f.clock.Now, Authorizer: engine, ReadDB: replica})
		require.NoError(t, err)
		primary, reads := dbtest.Record(db), dbtest.Record(replica)

		c, err := svc.Create(f.staff, taro())
		require.NoError(t, err)
		_, err = svc.CreateList(f.staff, "訪問予定")
		require.NoError(t, err)
		require.NotEmpty(t, primary.Take(), "writes go to the primary")
		require.Empty(t, reads.Take(), "writes never go to the replica")

		page, err := svc.Search(f.staff, customer.Query{Text: "やまだ", WithTotal: true})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)
		require.Empty(t, primary.Take(), "Search reads the replica only")
		require.NotEmpty(t, reads.Take())

		lists, err := svc.Lists(f.staff)
		require.NoError(t, err)
		require.Len(t, lists, 1)
		require.Empty(t, primary.Take(), "Lists reads the replica only")
		require.NotEmpty(t, reads.Take())

		var out bytes.Buffer
		rep, err := svc.Export(f.staff, &out, customer.Query{}, customer.ExportOptions{})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Rows)
		require.NotEmpty(t, reads.Take(), "Export reads the replica")
		for _, q := range primary.Take() {
			require.NotContains(t, strings.ToUpper(q), "SELECT", "Export only writes its audit entry to the primary")
		}

		_, err = svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.NotEmpty(t, primary.Take(), "Get (which audits the view) reads the primary")
		require.Empty(t, reads.Take())

		require.NoError(t, db.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
			page, err := svc.WithDB(tx).Search(f.staff, customer.Query{Text: "やまだ"})
			require.NoError(t, err)
			require.Len(t, page.Customers, 1)
			return nil
		}))
		require.Empty(t, reads.Take(), "a service bound to a transaction reads through it")
	})
}

func TestConfigReadDBRefused(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	tx, err := db.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	for name, read := range map[string]bun.IDB{"transaction": tx, "pointer to a transaction": &tx} {
		_, err := customer.NewService(db, &customer.Config{Authorizer: permission.Unrestricted(), ReadDB: read})
		require.ErrorIs(t, err, customer.ErrInvalid, name)
		require.ErrorContains(t, err, "ReadDB", name)
	}
}

// Import and Export each make one span carrying their counts, and a failed
// import's span carries the error.
func TestImportExportSpans(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	f := setup(t, db)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	svc, err := customer.NewService(db, &customer.Config{Clock: f.clock.Now, Authorizer: engine, TracerProvider: tp})
	require.NoError(t, err)

	_, err = svc.Import(f.staff, strings.NewReader("姓,名,姓カナ,名カナ\n山田,太郎,やまだ,たろう\n"), customer.ImportOptions{})
	require.NoError(t, err)
	_, err = svc.Import(f.staff, strings.NewReader(""), customer.ImportOptions{})
	require.Error(t, err)
	_, err = svc.Export(f.staff, &bytes.Buffer{}, customer.Query{}, customer.ExportOptions{})
	require.NoError(t, err)

	spans := rec.Ended()
	require.Len(t, spans, 3)
	attrs := func(s sdktrace.ReadOnlySpan) map[string]any {
		m := map[string]any{}
		for _, kv := range s.Attributes() {
			m[string(kv.Key)] = kv.Value.AsInterface()
		}
		return m
	}
	require.Equal(t, "customer.Import", spans[0].Name())
	require.Equal(t, int64(1), attrs(spans[0])["kiroku.created"])
	require.Equal(t, "customer.Import", spans[1].Name())
	require.Equal(t, "Error", spans[1].Status().Code.String())
	require.Len(t, spans[1].Events(), 1, "the error is recorded")
	require.Equal(t, "customer.Export", spans[2].Name())
	require.Equal(t, int64(1), attrs(spans[2])["kiroku.rows"])
}
