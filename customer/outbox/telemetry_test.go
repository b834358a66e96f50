package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// counters reads the dispatcher's counters as name → topic → value.
func counters(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, "github.com/kirokuhq/kiroku/customer/outbox", sm.Scope.Name)
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, m.Name)
			require.True(t, sum.IsMonotonic, m.Name)
			out[m.Name] = map[string]int64{}
			for _, dp := range sum.DataPoints {
				topic, _ := dp.Attributes.Value(attribute.Key("kiroku.topic"))
				out[m.Name][topic.AsString()] = dp.Value
			}
		}
	}
	return out
}

// Each attempt is one span, child of the caller's; each recorded outcome
// is counted once, by topic.
func TestDispatchTelemetry(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

		flaky := newRecorder(func(m outbox.Message) error {
			if m.Attempt == 1 {
				return errors.New("421 try again later")
			}
			return nil
		})
		d := f.dispatcher(t, db, map[string]outbox.Handler{
			"mail.record": flaky,
			"webhook":     newRecorder(func(outbox.Message) error { return outbox.Permanent(errors.New("410 gone")) }),
			"panics":      outbox.HandlerFunc(func(context.Context, outbox.Message) error { panic("boom") }),
		}, outbox.Config{TracerProvider: tp, MeterProvider: mp, MaxAttempts: 2,
			Backoff: func(int) time.Duration { return time.Second }})
		f.enqueue(t, f.msg("mail.record", "a@example.jp", "r1"), f.msg("mail.record", "b@example.jp", "r1"),
			f.msg("webhook", "https://example.jp/hook", "r1"), f.msg("panics", "x", "r1"))

		ctx, parent := tp.Tracer("test").Start(context.Background(), "poll")
		for range 2 {
			_, err := d.RunOnce(ctx)
			require.NoError(t, err)
			f.clock.Advance(time.Second)
		}
		parent.End()

		require.Equal(t, map[string]map[string]int64{
			"kiroku.outbox.deliveries":   {"mail.record": 2},
			"kiroku.outbox.retries":      {"mail.record": 2, "panics": 1},
			"kiroku.outbox.dead_letters": {"webhook": 1, "panics": 1},
		}, counters(t, reader))

		var attempts, failed int
		for _, s := range spans.Ended() {
			if s.Name() != "outbox.Deliver" {
				continue
			}
			attempts++
			require.Equal(t, parent.SpanContext().TraceID(), s.Parent().TraceID())
			if s.Status().Code.String() == "Error" {
				failed++
			}
		}
		require.Equal(t, 7, attempts, "4 first attempts, 3 second ones (the webhook is dead after one)")
		require.Equal(t, 5, failed, "2 retried mails, the webhook, the panic twice")
	})
}
