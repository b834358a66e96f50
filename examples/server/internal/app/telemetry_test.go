package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// With OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, the engines' spans reach
// the collector over OTLP/HTTP by the time the App is closed. Not
// parallel: it sets a process-wide environment variable.
func TestTracesExported(t *testing.T) {
	var mu sync.Mutex
	var got bytes.Buffer
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil && r.URL.Path == "/v1/traces" {
			mu.Lock()
			got.Write(b)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(collector.Close)
	t.Setenv(app.EnvOTLPTracesEndpoint, collector.URL+"/v1/traces")
	cfg, err := app.Parse([]string{"-data", t.TempDir()}, func(k string) string {
		if k == app.EnvOTLPTracesEndpoint {
			return collector.URL + "/v1/traces"
		}
		return ""
	}, io.Discard)
	require.NoError(t, err)
	require.True(t, cfg.Traces)
	cfg.AdminPassword = "correct horse battery staple 記録"

	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{DB: dbtest.SQLite(t), NoDispatcher: true,
		Mailer: mail.SenderFunc(func(context.Context, mail.Message) error { return nil })})
	require.NoError(t, err)
	boot, err := a.Bootstrap(ctx)
	require.NoError(t, err)
	p, err := a.Principal(ctx, boot.Tenant, boot.Admin)
	require.NoError(t, err)
	_, err = a.Customers.Import(permission.WithPrincipal(ctx, p),
		strings.NewReader("姓,名,姓カナ,名カナ\n山田,太郎,やまだ,たろう\n"), customer.ImportOptions{})
	require.NoError(t, err)
	a.Close()

	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, got.String(), "customer.Import")
	require.Contains(t, got.String(), "kiroku-server")
}
