package plugins

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/telemetry"
)

// Errors of the host, from Kiroku's shared vocabulary.
var (
	// ErrUnavailable: the plugin is not running or did not answer
	// sensibly (contactlog.ErrUnavailable is the same error).
	ErrUnavailable = kerr.ErrUnavailable
	// ErrInvalid: a configuration or manifest is malformed.
	ErrInvalid = kerr.ErrInvalid
)

// FilePrefix starts the file name of every plugin executable Config.Dir
// yields: kiroku-plugin-<name>.
const FilePrefix = "kiroku-plugin-"

// Spec names one plugin executable.
type Spec struct {
	// Name is the plugin's name and namespace (lower-case ASCII letters
	// and digits); its manifest must carry the same name. Default: the
	// file name of Path without FilePrefix.
	Name string
	// Path is the executable.
	Path string
	// SHA256 optionally pins the executable's SHA-256 (hex): the host
	// streams the file through the hash before each start and refuses to
	// start it on a mismatch.
	SHA256 string
}

// Config configures a Host. nil or the zero value means defaults.
type Config struct {
	// Dir is searched for executables named kiroku-plugin-<name> (not
	// recursively). Default: none.
	Dir string
	// Plugins lists plugin executables explicitly, besides those of Dir.
	Plugins []Spec
	// StartTimeout bounds a plugin's start, up to its manifest.
	// Default: 10s.
	StartTimeout time.Duration
	// CallTimeout bounds each call of a plugin; a shorter ctx deadline
	// wins. Default: 5s.
	CallTimeout time.Duration
	// RestartBackoff is the wait before restarting a crashed plugin,
	// doubled after each failed restart up to MaxRestartBackoff.
	// Defaults: 1s and 1m.
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
	// MaxFailures is how many failures in a row (failed starts, crashes,
	// calls that time out or fail) mark a plugin unavailable; the host
	// then stops restarting it. Default: 5.
	MaxFailures int
	// Templates receives the templates of each plugin's manifest as a
	// template.Source under the plugin's namespace. Default: none (the
	// templates are not offered).
	Templates *template.Registry
	// DB keeps which tenants installed which plugins (the table
	// plugin_installations, created by Migrate; see Install) and the
	// versions of the plugins' templates (the table plugin_templates;
	// installation-wide, not per tenant): a manifest template whose
	// definition differs from its key's latest stored one becomes the
	// key's next version when the plugin starts, and records keep the
	// version they were written with. Default: none, which no tenant can
	// use a plugin with (Install fails), and every manifest template is
	// served as version 1 of the running plugin's manifest.
	DB bun.IDB
	// Catalog is the tenants' catalog (contactlog/catalog): Install merges
	// the items of the plugins' template catalogs (a ramen shop's menu)
	// into the installing tenant's with catalog.Service.Merge, so that
	// purchases (利用・会計), カテゴリー管理 and the sales analysis offer
	// them. Default: none, and Install adds no catalog items.
	Catalog *catalog.Service
	// Clock stamps the stored template versions and installations.
	// Default: time.Now.
	Clock func() time.Time
	// Logger receives the host's log and the plugins' (their stderr).
	// Default: slog.Default().
	Logger *slog.Logger
	// TracerProvider makes a span "plugins.Call" around each call of a
	// plugin (attributes kiroku.plugin and kiroku.op: validate, compute,
	// event, notify, …). Default: none, and no spans are made.
	TracerProvider trace.TracerProvider
	// MeterProvider receives the counter kiroku.plugin.failures (failed
	// starts, crashes, calls that time out or fail; what Status counts as
	// Failures) with the attribute kiroku.plugin. Default: none, and
	// nothing is counted.
	MeterProvider metric.MeterProvider
}

// WithDefaults returns a copy of c (which may be nil) with every zero
// field set to its default.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.StartTimeout == 0 {
		out.StartTimeout = 10 * time.Second
	}
	if out.CallTimeout == 0 {
		out.CallTimeout = 5 * time.Second
	}
	if out.RestartBackoff == 0 {
		out.RestartBackoff = time.Second
	}
	if out.MaxRestartBackoff == 0 {
		out.MaxRestartBackoff = time.Minute
	}
	if out.MaxFailures == 0 {
		out.MaxFailures = 5
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	return out
}

// specs returns the plugins of c: Dir's, then the explicit ones, each
// checked, with names filled in and unique.
func (c *Config) specs() ([]Spec, error) {
	if c.StartTimeout < 0 || c.CallTimeout < 0 || c.RestartBackoff < 0 || c.MaxRestartBackoff < c.RestartBackoff || c.MaxFailures < 1 {
		return nil, fmt.Errorf("plugins: config: timeouts, backoff and MaxFailures must be positive: %w", ErrInvalid)
	}
	var specs []Spec
	if c.Dir != "" {
		entries, err := os.ReadDir(c.Dir)
		if err != nil {
			return nil, fmt.Errorf("plugins: config: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasPrefix(e.Name(), FilePrefix) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("plugins: config: %w", err)
			}
			if info.Mode()&0o111 != 0 {
				specs = append(specs, Spec{Path: filepath.Join(c.Dir, e.Name())})
			}
		}
	}
	specs = append(specs, c.Plugins...)
	var names []string
	for i := range specs {
		s := &specs[i]
		if s.Name == "" {
			s.Name = strings.TrimPrefix(filepath.Base(s.Path), FilePrefix)
		}
		if !nameRE.MatchString(s.Name) || s.Path == "" {
			return nil, fmt.Errorf("plugins: config: plugin %q at %q: name must be lower-case ASCII letters and digits: %w", s.Name, s.Path, ErrInvalid)
		}
		if s.SHA256 != "" {
			if b, err := hex.DecodeString(s.SHA256); err != nil || len(b) != 32 {
				return nil, fmt.Errorf("plugins: config: plugin %s: SHA256 is not a hex SHA-256: %w", s.Name, ErrInvalid)
			}
		}
		if slices.Contains(names, s.Name) {
			return nil, fmt.Errorf("plugins: config: plugin %s given twice: %w", s.Name, ErrInvalid)
		}
		names = append(names, s.Name)
	}
	return specs, nil
}

// Host starts, supervises and calls plugin processes. It is safe for
// concurrent use.
type Host struct {
	cfg   Config
	log   *slog.Logger
	procs []*proc
	done  chan struct{} // closed by Close

	mu      sync.Mutex // guards closing and wg.Add
	closing bool
	wg      sync.WaitGroup // the host's goroutines (starts and restarts)

	tracer   trace.Tracer
	failures metric.Int64Counter // kiroku.plugin.failures
}

// New returns a host of the plugins cfg names; none is started yet.
func New(cfg *Config) (*Host, error) {
	c := cfg.WithDefaults()
	specs, err := c.specs()
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: c, log: c.Logger.With("component", "plugins"), done: make(chan struct{}),
		tracer: telemetry.Tracer(c.TracerProvider, "plugins")}
	h.failures, err = telemetry.Meter(c.MeterProvider, "plugins").Int64Counter("kiroku.plugin.failures",
		metric.WithDescription("Plugin failures: failed starts, crashes, calls that time out or fail."), metric.WithUnit("{failure}"))
	if err != nil {
		return nil, fmt.Errorf("plugins: meter: %w", err)
	}
	for _, s := range specs {
		h.procs = append(h.procs, &proc{h: h, spec: s, state: StateStopped, log: h.log.With("plugin", s.Name)})
	}
	return h, nil
}

// Start starts every plugin and fetches its manifest, concurrently, and
// returns when each has started or failed. A plugin that fails to start
// does not fail Start: its error is in Status, and it is restarted with
// backoff unless the failure is permanent (checksum mismatch, another
// protocol version, an invalid manifest), which marks it unavailable.
// Start fails only when ctx ends first or the host is closed.
func (h *Host) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range h.procs {
		wg.Add(1)
		if !h.spawn(func() { defer wg.Done(); p.firstStart() }) {
			wg.Done()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("plugins: start: %w", ctx.Err())
	}
	if h.closed() {
		return fmt.Errorf("plugins: start: host closed: %w", ErrUnavailable)
	}
	return nil
}

// spawn runs f in a goroutine Close waits for, unless the host is
// closing; it reports whether f runs.
func (h *Host) spawn(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Go(f)
	return true
}

// Close kills every plugin process and waits for them and the host's
// goroutines to end. Calls after Close fail with ErrUnavailable.
func (h *Host) Close() error {
	h.mu.Lock()
	if !h.closing {
		h.closing = true
		close(h.done)
	}
	h.mu.Unlock()
	h.wg.Wait()
	var wg sync.WaitGroup
	for _, p := range h.procs {
		wg.Go(p.stop)
	}
	wg.Wait()
	return nil
}

// closed reports whether Close was called.
func (h *Host) closed() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *Host) proc(name string) (*proc, error) {
	for _, p := range h.procs {
		if p.spec.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("plugins: plugin %s is not installed: %w", name, ErrUnavailable)
}

// State is where a plugin is in its life.
type State string

// States of a plugin.
const (
	StateStopped     State = "stopped"     // not started yet, or the host was closed
	StateRunning     State = "running"     // started, manifest fetched, answering
	StateRestarting  State = "restarting"  // crashed or failed to start; waiting to start again
	StateUnavailable State = "unavailable" // failed MaxFailures times in a row, or permanently
)

// Status is a plugin's state for an operator's UI.
type Status struct {
	Name string
	// Version is the plugin's own version from its last manifest.
	Version string
	State   State
	// LastError is the last failure ("" if none).
	LastError string
	// Calls counts calls made; Failures counts failures of any kind
	// (starts, crashes, timeouts, nonsense answers).
	Calls    int64
	Failures int64
	// MeanLatency is over all calls; P95Latency over the last 256.
	MeanLatency time.Duration
	P95Latency  time.Duration
}

// Status returns the state of every plugin, ordered by name.
func (h *Host) Status() []Status {
	out := make([]Status, len(h.procs))
	for i, p := range h.procs {
		out[i] = p.status()
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// errPermanent marks a start failure that retrying cannot fix.
var errPermanent = errors.New("permanent")
