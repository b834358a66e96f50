package plugins

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kirokuhq/kiroku/contactlog"
)

// Every plugin call is a span naming the plugin and the operation, and a
// crash mid-call is an error span and one kiroku.plugin.failures.
func TestHostTelemetry(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	h, tenant := installedHost(t, Config{
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	}, "visit")
	rec := func(note string) []contactlog.PluginRecord {
		return []contactlog.PluginRecord{{Tenant: tenant, Template: "visit:log", Values: map[string]any{"minutes": 30.0, "note": note}}}
	}
	_, err := h.CheckRecords(context.Background(), "visit", rec("crash"))
	require.ErrorIs(t, err, ErrUnavailable)
	_, err = h.CheckRecords(context.Background(), "visit", rec("")) // waits for the restart
	require.NoError(t, err)

	var calls []string
	for _, s := range spans.Ended() {
		if s.Name() != "plugins.Call" {
			continue
		}
		attrs := attribute.NewSet(s.Attributes()...)
		plugin, _ := attrs.Value("kiroku.plugin")
		op, _ := attrs.Value("kiroku.op")
		calls = append(calls, plugin.AsString()+" "+op.AsString()+" "+s.Status().Code.String())
	}
	require.Equal(t, []string{"visit check Error", "visit check Unset"}, calls)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	require.Equal(t, "github.com/kirokuhq/kiroku/plugins", rm.ScopeMetrics[0].Scope.Name)
	require.Len(t, rm.ScopeMetrics[0].Metrics, 1)
	m := rm.ScopeMetrics[0].Metrics[0]
	require.Equal(t, "kiroku.plugin.failures", m.Name)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	require.Len(t, sum.DataPoints, 1)
	require.EqualValues(t, 1, sum.DataPoints[0].Value)
	require.EqualValues(t, statusOf(t, h, "visit").Failures, sum.DataPoints[0].Value, "the counter agrees with Status")
	plugin, _ := sum.DataPoints[0].Attributes.Value("kiroku.plugin")
	require.Equal(t, "visit", plugin.AsString())
}
