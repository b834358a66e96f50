package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func get(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// /metrics serves the outbox and plugin counters in the Prometheus format,
// only to the bearer of the metrics token.
func TestMetrics(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		const token = "s3cret-metrics-token"
		e := servertest.New(t, db, func(c *app.Config, _ *app.Options) { c.MetricsToken = token })
		// A mail about a record that no longer exists: nothing to send,
		// delivered.
		payload, err := json.Marshal(map[string]string{"record": uuid.NewString()})
		require.NoError(t, err)
		require.NoError(t, outbox.Enqueue(context.Background(), db, outbox.Message{
			ID: uuid.Must(uuid.NewV7()), Tenant: e.Tenant, Topic: contactlog.TopicMailRecord,
			Recipient: uuid.NewString(), Key: "metrics-test", Payload: payload,
		}))
		n, err := e.App.RunOutbox(context.Background())
		require.Equal(t, 1, n)
		require.NoError(t, err)

		for _, auth := range []string{"", "Bearer wrong", token, "Basic " + token} {
			code, _ := get(t, e.Server.URL+"/metrics", auth)
			require.Equal(t, http.StatusUnauthorized, code, auth)
		}
		code, body := get(t, e.Server.URL+"/metrics", "Bearer "+token)
		require.Equal(t, http.StatusOK, code)
		require.Regexp(t, `(?m)^kiroku_outbox_deliveries_total\{.*kiroku_topic="`+regexp.QuoteMeta(contactlog.TopicMailRecord)+`".*\} 1$`, body)
		require.Contains(t, body, `service_name="kiroku-server"`)
	})
}

// Without a token, /metrics is not served.
func TestMetricsOffWithoutToken(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	code, body := get(t, e.Server.URL+"/metrics", "")
	require.NotEqual(t, http.StatusOK, code)
	require.NotContains(t, body, "kiroku_")
}
