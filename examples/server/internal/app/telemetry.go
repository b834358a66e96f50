package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// serviceName names the server in traces.
const serviceName = "kiroku-server"

// telemetry is the server's OpenTelemetry SDK, which the engines report to
// through the API: a meter provider whose counters (outbox deliveries,
// retries, dead letters, plugin failures) a Prometheus registry of its own
// exposes, and, when Config.Traces is set, a tracer provider exporting the
// spans (import, export, dispatch, plugin calls) over OTLP/HTTP.
type telemetry struct {
	meters  *sdkmetric.MeterProvider
	traces  *sdktrace.TracerProvider // nil without Config.Traces
	metrics http.Handler
}

func newTelemetry(ctx context.Context, cfg Config) (*telemetry, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	res := resource.NewSchemaless(attribute.String("service.name", serviceName))
	t := &telemetry{
		meters:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res)),
		metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}
	if cfg.Traces {
		// The exporter reads the endpoint, headers and TLS settings from
		// the standard OTEL_EXPORTER_OTLP_* variables.
		spans, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, errors.Join(err, t.shutdown(ctx))
		}
		t.traces = sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res))
	}
	return t, nil
}

// tracerProvider is the provider for the engines' configs: nil (no spans)
// without Config.Traces.
func (t *telemetry) tracerProvider() trace.TracerProvider {
	if t.traces == nil {
		return nil
	}
	return t.traces
}

// shutdown flushes the spans not yet exported and stops both providers.
func (t *telemetry) shutdown(ctx context.Context) error {
	err := t.meters.Shutdown(ctx)
	if t.traces != nil {
		err = errors.Join(err, t.traces.Shutdown(ctx))
	}
	return err
}
