package plugins

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogSink forwards go-plugin's log lines, and the plugin's own (its
// stderr, which go-plugin parses), to a slog.Logger.
type hclogSink struct{ log *slog.Logger }

var _ hclog.SinkAdapter = hclogSink{}

func (s hclogSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	s.log.Log(context.Background(), slogLevel(level), msg, append(args, "logger", name)...)
}

// slogLevel maps hclog's levels to slog's (trace below debug).
func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// hclogger returns an hclog.Logger writing to log only.
func hclogger(log *slog.Logger, name string) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: name, Output: io.Discard, Level: hclog.Trace})
	l.RegisterSink(hclogSink{log: log})
	return l
}
