package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/internal/telemetry"
	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// proc is one supervised plugin.
type proc struct {
	h    *Host
	spec Spec
	log  *slog.Logger

	mu       sync.Mutex
	state    State
	ready    chan struct{} // closed when the state leaves StateRestarting
	client   *plugin.Client
	rpc      *wire.Client
	manifest *manifest
	pid      int
	source   *source // registered with Config.Templates after the first manifest
	lastErr  error
	inARow   int // failures in a row
	failures int64
	calls    int64
	answered int64 // calls answered, for the mean
	total    time.Duration
	recent   [256]time.Duration
}

// started is a plugin process that started and sent a valid manifest.
type started struct {
	client   *plugin.Client
	rpc      *wire.Client
	manifest *manifest
	source   template.Source
	pid      int
}

// failMode says what a failure does to a running plugin.
type failMode int

const (
	keepRunning failMode = iota // a call failed; the process is fine
	restart                     // the process died or failed to start
	permanent                   // retrying cannot help
)

// setState moves to s, creating or closing ready as the state enters or
// leaves StateRestarting. p.mu is held.
func (p *proc) setState(s State) {
	switch {
	case s == StateRestarting && p.state != StateRestarting:
		p.ready = make(chan struct{})
	case s != StateRestarting && p.state == StateRestarting:
		close(p.ready)
	}
	p.state = s
}

func (p *proc) firstStart() {
	p.mu.Lock()
	p.setState(StateRestarting)
	p.mu.Unlock()
	p.launchAndSettle()
}

// restartAfter waits delay (or for Close), then starts the plugin again.
func (p *proc) restartAfter(delay time.Duration) {
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.h.done:
		return
	}
	p.launchAndSettle()
}

func (p *proc) launchAndSettle() {
	s, err := p.launch()
	var kill *plugin.Client
	defer func() {
		if kill != nil {
			kill.Kill()
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h.closed() {
		if s != nil {
			kill = s.client
		}
		p.setState(StateStopped)
		return
	}
	if err == nil {
		err = p.install(s)
		if err != nil {
			kill = s.client
		}
	}
	if err != nil {
		mode := restart
		if errors.Is(err, errPermanent) {
			mode = permanent
		}
		p.failLocked(err, mode)
		return
	}
	// Failures in a row are counted on until a call succeeds: a plugin
	// that starts but crashes on every call keeps failing.
	p.setState(StateRunning)
	p.log.Info("plugin started", "version", s.manifest.version, "pid", s.pid)
}

// install makes s the running process and serves its templates. p.mu is
// held.
func (p *proc) install(s *started) error {
	if reg := p.h.cfg.Templates; reg != nil {
		if p.source == nil {
			src := &source{}
			if err := reg.Register(p.spec.Name, src); err != nil {
				return fmt.Errorf("plugins: %s: %w: %w", p.spec.Name, err, errPermanent)
			}
			p.source = src
		}
		p.source.set(s.source)
	}
	p.client, p.rpc, p.manifest, p.pid = s.client, s.rpc, s.manifest, s.pid
	return nil
}

// failLocked records a failure. A permanent one, or the MaxFailures-th in
// a row, marks the plugin unavailable; a restart one schedules a restart
// with backoff. When the process is given up, it is killed. p.mu is held.
func (p *proc) failLocked(err error, mode failMode) {
	p.lastErr = err
	p.countFailureLocked()
	p.inARow++
	next := p.state
	switch {
	case mode == permanent || p.inARow >= p.h.cfg.MaxFailures:
		next = StateUnavailable
	case mode == restart:
		next = StateRestarting
	}
	if next != StateRunning && p.client != nil && p.h.spawn(p.client.Kill) {
		// When the host is closing, Close kills the process instead.
		p.client, p.rpc = nil, nil
	}
	p.setState(next)
	switch next {
	case StateUnavailable:
		p.log.Error("plugin unavailable", "error", err, "failures_in_a_row", p.inARow)
	case StateRestarting:
		delay := p.h.cfg.RestartBackoff << min(p.inARow-1, 30)
		delay = min(max(delay, p.h.cfg.RestartBackoff), p.h.cfg.MaxRestartBackoff)
		p.log.Warn("plugin failed; restarting", "error", err, "in", delay)
		if !p.h.spawn(func() { p.restartAfter(delay) }) {
			p.setState(StateStopped)
		}
	default:
		p.log.Warn("plugin call failed", "error", err)
	}
}

// launch starts the process and fetches and checks its manifest.
func (p *proc) launch() (*started, error) {
	name := p.spec.Name
	if p.spec.SHA256 != "" {
		if err := checkSHA256(p.spec.Path, p.spec.SHA256); err != nil {
			return nil, fmt.Errorf("plugins: %s: refused to start %s: %w: %w", name, p.spec.Path, err, errPermanent)
		}
	}
	// Nothing of the host's environment: go-plugin adds only its handshake
	// variables (magic cookie, protocol versions, the mTLS certificate).
	cfg := glue.ClientConfig(exec.Command(p.spec.Path), hclogger(p.log, "plugin."+name))
	cfg.StartTimeout = p.h.cfg.StartTimeout
	client := plugin.NewClient(cfg)
	s, err := p.connect(client)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return s, nil
}

func (p *proc) connect(client *plugin.Client) (*started, error) {
	name := p.spec.Name
	rpc, err := client.Client()
	if err != nil {
		if strings.Contains(err.Error(), "incompatible API version") {
			return nil, fmt.Errorf("plugins: %s %s: %w", name, versionMismatch(err), errPermanent)
		}
		return nil, fmt.Errorf("plugins: %s: start: %w", name, err)
	}
	pc, err := wire.Dispense(rpc)
	if err != nil {
		return nil, fmt.Errorf("plugins: %s: start: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.h.cfg.StartTimeout)
	defer cancel()
	api, caps, err := pc.Manifest(ctx, "")
	if err != nil {
		if _, ok := status.FromError(err); ok {
			// The call failed (a gRPC status), rather than the check.
			return nil, fmt.Errorf("plugins: %s: %w", name, err)
		}
		return nil, fmt.Errorf("plugins: %s: invalid manifest: %w: %w", name, err, errPermanent)
	}
	m, err := manifestFromAPI(name, api, caps)
	if err != nil {
		return nil, fmt.Errorf("plugins: %s: invalid manifest: %w: %w", name, err, errPermanent)
	}
	src, err := template.Static(name, m.templates...)
	if err != nil {
		return nil, fmt.Errorf("plugins: %s: invalid manifest: %w: %w", name, err, errPermanent)
	}
	if db := p.h.cfg.DB; db != nil {
		// A database failure is worth a restart, unlike a bad manifest.
		if src, err = versioned(ctx, db, p.h.cfg.Clock().UTC().Truncate(time.Microsecond), name, m.version, m.templates); err != nil {
			return nil, fmt.Errorf("plugins: %s: template versions: %w", name, err)
		}
	}
	s := &started{client: client, rpc: pc, manifest: m, source: src}
	if rc := client.ReattachConfig(); rc != nil {
		s.pid = rc.Pid
	}
	return s, nil
}

// pluginVersionRE finds the plugin's protocol version in go-plugin's
// handshake error.
var pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)

// versionMismatch says what a plugin whose handshake failed (err, go-plugin's
// "incompatible API version") speaks, and what to do.
func versionMismatch(err error) string {
	theirs := "another plugin protocol version"
	if m := pluginVersionRE.FindStringSubmatch(err.Error()); m != nil {
		theirs = "plugin protocol version " + m[1]
	}
	return fmt.Sprintf("speaks %s, this Kiroku version %d: rebuild the plugin with the current plugin SDK (%v)", theirs, glue.ProtocolVersion, err)
}

// checkSHA256 streams the file at path through SHA-256 and compares.
func checkSHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("SHA-256 %s does not match the pinned %s", got, want)
	}
	return nil
}

// call runs fn against the running plugin within CallTimeout (or ctx's
// shorter deadline), waiting for a restarting plugin meanwhile, and
// classifies what went wrong. A capability the plugin turns out not to
// have (sdk.ErrUnsupported) is no failure: fn's results stay empty.
func (p *proc) call(ctx context.Context, op string, fn func(context.Context, *wire.Client, *manifest) error) (err error) {
	name := p.spec.Name
	ctx, span := p.h.tracer.Start(ctx, "plugins.Call", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("kiroku.plugin", name), attribute.String("kiroku.op", op)))
	defer func() { telemetry.End(span, err) }()
	parent := ctx
	// Whether the caller's deadline comes before CallTimeout's: then a
	// deadline error is the caller's, even when the plugin's side (which
	// gRPC told the deadline) gives up a moment before the caller's own
	// timer fires.
	deadline, bounded := parent.Deadline()
	callerFirst := bounded && deadline.Before(time.Now().Add(p.h.cfg.CallTimeout))
	ctx, cancel := context.WithTimeout(ctx, p.h.cfg.CallTimeout)
	defer cancel()
	rpc, client, m, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	err = fn(ctx, rpc, m)
	elapsed := time.Since(start)
	switch {
	case err == nil || errors.Is(err, sdk.ErrUnsupported):
		p.succeed(elapsed)
		return nil
	case parent.Err() != nil:
		// The caller's own deadline or cancellation: not the plugin's fault.
		return fmt.Errorf("plugins: %s: %s: %w (%w)", name, op, ErrUnavailable, parent.Err())
	case callerFirst && (ctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded):
		return fmt.Errorf("plugins: %s: %s: %w (%w)", name, op, ErrUnavailable, context.DeadlineExceeded)
	case ctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded:
		err = fmt.Errorf("plugins: %s: %s: no answer within %s: %w", name, op, p.h.cfg.CallTimeout, ErrUnavailable)
		p.fail(client, err, keepRunning)
	case status.Code(err) == codes.Unavailable || client.Exited():
		err = fmt.Errorf("plugins: %s: %s: the plugin process died (%v): %w", name, op, err, ErrUnavailable)
		p.fail(client, err, restart)
	default:
		err = fmt.Errorf("plugins: %s: %s: %v: %w", name, op, err, ErrUnavailable)
		p.fail(client, err, keepRunning)
	}
	return err
}

// acquire waits while the plugin restarts and returns its client.
func (p *proc) acquire(ctx context.Context) (*wire.Client, *plugin.Client, *manifest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.state == StateRestarting {
		ready := p.ready
		p.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
		}
		p.mu.Lock()
		if ctx.Err() != nil {
			break
		}
	}
	if p.state != StateRunning {
		return nil, nil, nil, fmt.Errorf("plugins: plugin %s is %s (last error: %v): %w", p.spec.Name, p.state, p.lastErr, ErrUnavailable)
	}
	p.calls++
	return p.rpc, p.client, p.manifest, nil
}

func (p *proc) succeed(elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inARow = 0
	p.recent[p.answered%int64(len(p.recent))] = elapsed
	p.answered++
	p.total += elapsed
}

// fail records a failure of a call made through client, unless that
// process was already given up.
func (p *proc) fail(client *plugin.Client, err error, mode failMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != client || p.state != StateRunning {
		p.countFailureLocked()
		return
	}
	p.failLocked(err, mode)
}

// countFailureLocked counts a failure in Status and in the host's
// kiroku.plugin.failures counter. p.mu is held.
func (p *proc) countFailureLocked() {
	p.failures++
	p.h.failures.Add(context.Background(), 1, metric.WithAttributes(attribute.String("kiroku.plugin", p.spec.Name)))
}

func (p *proc) stop() {
	p.mu.Lock()
	c := p.client
	p.client, p.rpc = nil, nil
	p.setState(StateStopped)
	p.mu.Unlock()
	if c != nil {
		c.Kill()
	}
}

func (p *proc) status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{Name: p.spec.Name, State: p.state, Calls: p.calls, Failures: p.failures}
	if p.manifest != nil {
		s.Version = p.manifest.version
	}
	if p.lastErr != nil {
		s.LastError = p.lastErr.Error()
	}
	if p.answered > 0 {
		s.MeanLatency = p.total / time.Duration(p.answered)
		recent := slices.Clone(p.recent[:min(p.answered, int64(len(p.recent)))])
		slices.Sort(recent)
		s.P95Latency = recent[(len(recent)*95+99)/100-1]
	}
	return s
}

// source serves a plugin's templates from its latest manifest; it stays
// registered while the plugin is down, so its records keep rendering.
type source struct {
	mu  sync.RWMutex
	src template.Source
}

var _ template.Source = (*source)(nil)

func (s *source) set(src template.Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.src = src
}

func (s *source) get() template.Source {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.src
}

func (s *source) Templates(ctx context.Context, tenant uuid.UUID) ([]template.Template, error) {
	return s.get().Templates(ctx, tenant)
}

func (s *source) Template(ctx context.Context, tenant uuid.UUID, key string, version int) (*template.Template, error) {
	return s.get().Template(ctx, tenant, key, version)
}
