// Package telemetry holds what the engines share to report to
// OpenTelemetry through its API alone (never the SDK: the embedding program
// chooses and configures that): the instrumentation scope, the no-op
// fallbacks for providers a Config leaves nil, and how a span ends.
package telemetry

import (
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Scope prefixes every instrumentation scope name: Scope + "/customer" is
// the customer engine's.
const Scope = "github.com/kirokuhq/kiroku"

// Tracer returns the tracer of package pkg (a path under Scope, such as
// "customer/outbox") from tp, or a tracer that records nothing when tp is
// nil.
func Tracer(tp trace.TracerProvider, pkg string) trace.Tracer {
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	return tp.Tracer(Scope + "/" + pkg)
}

// Meter returns the meter of package pkg from mp, or a meter whose
// instruments record nothing when mp is nil.
func Meter(mp metric.MeterProvider, pkg string) metric.Meter {
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	return mp.Meter(Scope + "/" + pkg)
}

// End ends span, first recording err on it (as an event and the error
// status) when err is not nil.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
