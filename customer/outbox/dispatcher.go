package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/telemetry"
)

// Handler delivers messages of one topic.
//
// Deliver returns nil once the effect has happened; the message is then
// never delivered again (unless the dispatcher dies before recording that,
// see the package documentation). An error schedules a retry, or gives the
// message up when it is Permanent or the last attempt. ctx ends when the
// dispatcher stops or the lease runs out; Deliver should return promptly
// then. A panic is recovered and counts as an error.
type Handler interface {
	Deliver(ctx context.Context, m Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m Message) error

// Deliver calls f(ctx, m).
func (f HandlerFunc) Deliver(ctx context.Context, m Message) error { return f(ctx, m) }

var _ Handler = HandlerFunc(nil)

// Defaults of Config.
const (
	DefaultPollInterval = time.Second
	DefaultLease        = 5 * time.Minute
	DefaultMaxAttempts  = 10
	DefaultBatchSize    = 10
)

// MaxBatchSize caps Config.BatchSize.
const MaxBatchSize = 1000

// MaxErrorLen caps the error text stored in last_error, in bytes.
const MaxErrorLen = 1000

// finishTimeout bounds recording an outcome. Outcomes are recorded even
// after the dispatcher's context ends, so that a delivery that happened is
// not repeated.
const finishTimeout = 15 * time.Second

// Config configures a Dispatcher. The zero value (or nil) means defaults.
type Config struct {
	// Clock returns the current time; it decides which messages are due,
	// lease expiry and retry times. Default: time.Now.
	Clock func() time.Time
	// InstanceID names this dispatcher in claimed_by. Give each process
	// its own. Default: "<hostname>-<pid>-<random>".
	InstanceID string
	// PollInterval is how long Run waits after a batch that was not full
	// (or failed) before polling again. Default: 1s.
	PollInterval time.Duration
	// Lease is how long a claimed message is reserved for this dispatcher.
	// If the dispatcher dies, another takes the message over once the lease
	// has expired. A batch must be delivered within it: Run gives back the
	// messages it has not started when the lease is used up. Default: 5m.
	Lease time.Duration
	// MaxAttempts is how many times a message is tried before it is given
	// up (status dead). Default: 10.
	MaxAttempts int
	// Backoff returns the delay before the next attempt after the given
	// failed attempt (1-based). Default: DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// BatchSize is how many messages one claim leases, at most
	// MaxBatchSize. Default: 10.
	BatchSize int
	// Logger receives delivery failures (message ID, tenant, topic, attempt
	// and error; never the payload or recipient) and failed polls.
	// Default: slog.Default().
	Logger *slog.Logger
	// TracerProvider makes a span "outbox.Deliver" around each delivery
	// attempt (attributes kiroku.topic, kiroku.attempt, kiroku.tenant),
	// the parent of the spans the handler makes. Default: none, and no
	// spans are made.
	TracerProvider trace.TracerProvider
	// MeterProvider receives the counters kiroku.outbox.deliveries
	// (messages delivered), kiroku.outbox.retries (failed attempts that
	// will be retried) and kiroku.outbox.dead_letters (messages given
	// up), each with the attribute kiroku.topic. An outcome is counted
	// once it is recorded in the table. Default: none, and nothing is
	// counted.
	MeterProvider metric.MeterProvider
}

// WithDefaults returns a copy of c (which may be nil) with every zero field
// set to its default.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.InstanceID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "kiroku"
		}
		out.InstanceID = host + "-" + strconv.Itoa(os.Getpid()) + "-" + uuid.NewString()[:8]
	}
	if out.PollInterval == 0 {
		out.PollInterval = DefaultPollInterval
	}
	if out.Lease == 0 {
		out.Lease = DefaultLease
	}
	if out.MaxAttempts == 0 {
		out.MaxAttempts = DefaultMaxAttempts
	}
	if out.Backoff == nil {
		out.Backoff = DefaultBackoff
	}
	if out.BatchSize == 0 {
		out.BatchSize = DefaultBatchSize
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// validate checks a Config that went through WithDefaults.
func (c *Config) validate() error {
	switch {
	case c.PollInterval < 0:
		return fmt.Errorf("config: PollInterval must not be negative: %w", kerr.ErrInvalid)
	case c.Lease < 0:
		return fmt.Errorf("config: Lease must not be negative: %w", kerr.ErrInvalid)
	case c.MaxAttempts < 0:
		return fmt.Errorf("config: MaxAttempts must not be negative: %w", kerr.ErrInvalid)
	case c.BatchSize < 0 || c.BatchSize > MaxBatchSize:
		return fmt.Errorf("config: BatchSize must be between 1 and %d: %w", MaxBatchSize, kerr.ErrInvalid)
	case len(c.InstanceID) > MaxFieldLen || !validText(c.InstanceID):
		return fmt.Errorf("config: InstanceID must be valid UTF-8 of at most %d bytes: %w", MaxFieldLen, kerr.ErrInvalid)
	}
	return nil
}

// Dispatcher delivers outbox messages to per-topic handlers. Several
// dispatchers, in one process or many, may share a database: each message is
// leased to one of them at a time. A Dispatcher is safe for concurrent use.
type Dispatcher struct {
	db       bun.IDB
	dialect  storage.Dialect
	handlers map[string]Handler
	topics   []string
	cfg      Config
	running  atomic.Bool
	tracer   trace.Tracer
	// Outcome counters, by outcome.
	delivered, retried, dead metric.Int64Counter
}

// NewDispatcher returns a dispatcher that delivers the messages of the
// topics in handlers (and only those: messages of other topics stay pending
// for a dispatcher that knows them). db must be a database handle, not a
// transaction: claims and outcomes commit on their own. cfg may be nil.
func NewDispatcher(db bun.IDB, handlers map[string]Handler, cfg *Config) (*Dispatcher, error) {
	if db == nil {
		return nil, errors.New("outbox: new dispatcher: db is nil")
	}
	switch db.(type) {
	case bun.Tx, *bun.Tx:
		return nil, errors.New("outbox: new dispatcher: db must not be a transaction")
	}
	d, err := storage.Of(db)
	if err != nil {
		return nil, fmt.Errorf("outbox: new dispatcher: %w", err)
	}
	if len(handlers) == 0 {
		return nil, errors.New("outbox: new dispatcher: no handlers")
	}
	hs := make(map[string]Handler, len(handlers))
	topics := make([]string, 0, len(handlers))
	for topic, h := range handlers {
		if topic == "" || h == nil {
			return nil, fmt.Errorf("outbox: new dispatcher: topic %q: empty topic or nil handler", topic)
		}
		hs[topic] = h
		topics = append(topics, topic)
	}
	slices.Sort(topics)
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("outbox: new dispatcher: %w", err)
	}
	disp := &Dispatcher{db: db, dialect: d, handlers: hs, topics: topics, cfg: c,
		tracer: telemetry.Tracer(c.TracerProvider, "customer/outbox")}
	meter := telemetry.Meter(c.MeterProvider, "customer/outbox")
	for _, in := range []struct {
		c          *metric.Int64Counter
		name, desc string
	}{
		{&disp.delivered, "kiroku.outbox.deliveries", "Outbox messages delivered."},
		{&disp.retried, "kiroku.outbox.retries", "Failed outbox delivery attempts that will be retried."},
		{&disp.dead, "kiroku.outbox.dead_letters", "Outbox messages given up (status dead)."},
	} {
		if *in.c, err = meter.Int64Counter(in.name, metric.WithDescription(in.desc), metric.WithUnit("{message}")); err != nil {
			return nil, fmt.Errorf("outbox: new dispatcher: meter: %w", err)
		}
	}
	return disp, nil
}

// InstanceID returns the name this dispatcher leases messages under.
func (d *Dispatcher) InstanceID() string { return d.cfg.InstanceID }

// Run delivers messages until ctx is done, then returns nil once the batch
// in flight has been delivered or given back. It polls every PollInterval,
// and at once again after a full batch. Database errors are logged and
// retried at the next poll. Run returns an error only when this Dispatcher
// is already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("outbox: run: dispatcher is already running")
	}
	defer d.running.Store(false)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.LogAttrs(ctx, slog.LevelError, "outbox: dispatch failed",
				slog.String("instance", d.cfg.InstanceID), slog.Any("error", err))
		}
		wait := d.cfg.PollInterval
		if err == nil && n == d.cfg.BatchSize {
			wait = 0
		}
		timer.Reset(wait)
	}
}

// RunOnce claims one batch of due messages, delivers them one by one outside
// the claim's transaction, records each outcome, and returns how many
// messages it claimed. If ctx ends, the messages not yet delivered are given
// back (their attempt is not counted). Errors recording outcomes are joined
// into the returned error; the affected messages are retried when their
// lease expires.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	msgs, err := d.claim(ctx)
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	// The batch must finish within the lease, measured on the real clock
	// because it bounds real work.
	bctx, cancel := context.WithTimeout(ctx, d.cfg.Lease)
	defer cancel()
	var errs []error
	for _, m := range msgs {
		if m.Attempt > d.cfg.MaxAttempts {
			// The last attempt's lease expired without an outcome: the
			// dispatcher making it died. Do not try again.
			errs = append(errs, d.finish(ctx, m,
				Permanent(errors.New("outbox: lease expired during the last attempt"))))
			continue
		}
		if bctx.Err() != nil {
			errs = append(errs, d.release(ctx, m))
			continue
		}
		derr := d.deliver(bctx, m)
		if derr != nil && ctx.Err() != nil && !IsPermanent(derr) {
			// Stopped mid-delivery: not the message's fault.
			errs = append(errs, d.release(ctx, m))
			continue
		}
		errs = append(errs, d.finish(ctx, m, derr))
	}
	return len(msgs), errors.Join(errs...)
}

// now is the dispatcher clock in the precision both databases store.
func (d *Dispatcher) now() time.Time { return d.cfg.Clock().UTC().Truncate(time.Microsecond) }

// claim leases up to BatchSize due messages to this dispatcher, one tenant
// at a time (a locking claim stays within one shard of a database
// distributed by tenant), tenants with the oldest due messages first.
func (d *Dispatcher) claim(ctx context.Context) ([]Message, error) {
	now := d.now()
	var tenants []uuid.UUID
	if err := d.db.NewRaw(storage.OutboxDueTenants, now, bun.List(d.topics), d.cfg.BatchSize).Scan(ctx, &tenants); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", storage.Err(err))
	}
	var rows []row
	for _, tenant := range tenants {
		if len(rows) == d.cfg.BatchSize {
			break
		}
		var claimed []row
		err := d.db.NewRaw(storage.OutboxClaim(d.dialect),
			d.cfg.InstanceID, now.Add(d.cfg.Lease), now, bun.List(d.topics), d.cfg.BatchSize-len(rows), tenant,
		).Scan(ctx, &claimed)
		if err != nil {
			return nil, fmt.Errorf("outbox: claim: %w", storage.Err(err))
		}
		rows = append(rows, claimed...)
	}
	msgs := make([]Message, len(rows))
	for i := range rows {
		msgs[i] = rows[i].message()
	}
	slices.SortFunc(msgs, func(a, b Message) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return msgs, nil
}

// deliver calls the topic's handler in a span, turning a panic into an
// error.
func (d *Dispatcher) deliver(ctx context.Context, m Message) (err error) {
	ctx, span := d.tracer.Start(ctx, "outbox.Deliver", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("kiroku.topic", m.Topic), attribute.Int("kiroku.attempt", m.Attempt),
			attribute.String("kiroku.tenant", m.Tenant.String())))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("outbox: handler for %q panicked: %v", m.Topic, r)
		}
		telemetry.End(span, err)
	}()
	return d.handlers[m.Topic].Deliver(ctx, m)
}

// lease selects the row only while this dispatcher's claim on it stands:
// every claim increments attempts, so (claimed_by, attempts) identifies it.
func (d *Dispatcher) lease(q *bun.UpdateQuery, m Message) *bun.UpdateQuery {
	return q.Where("tenant_id = ?", m.Tenant).Where("id = ?", m.ID).Where("status = ?", string(StatusPending)).
		Where("claimed_by = ?", d.cfg.InstanceID).Where("attempts = ?", m.Attempt)
}

// finish records the outcome of an attempt: delivered, retry later, or dead.
func (d *Dispatcher) finish(ctx context.Context, m Message, derr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	now := d.now()
	q := d.db.NewUpdate().Table("outbox_messages").
		Set("claimed_by = NULL").Set("claimed_until = NULL")
	log := d.cfg.Logger
	attrs := []slog.Attr{
		slog.String("id", m.ID.String()), slog.String("tenant", m.Tenant.String()),
		slog.String("topic", m.Topic), slog.Int("attempt", m.Attempt),
	}
	level, msg, counter := slog.LevelDebug, "outbox: delivered", d.delivered
	switch {
	case derr == nil:
		q = q.Set("status = ?", string(StatusDelivered)).Set("delivered_at = ?", now).Set("last_error = ''")
	case IsPermanent(derr) || m.Attempt >= d.cfg.MaxAttempts:
		q = q.Set("status = ?", string(StatusDead)).Set("dead_at = ?", now).
			Set("last_error = ?", errorText(derr))
		level, msg, counter = slog.LevelError, "outbox: given up", d.dead
		attrs = append(attrs, slog.String("error", errorText(derr)))
	default:
		next := now.Add(max(d.cfg.Backoff(m.Attempt), 0))
		q = q.Set("next_attempt_at = ?", next).Set("last_error = ?", errorText(derr))
		level, msg, counter = slog.LevelWarn, "outbox: will retry", d.retried
		attrs = append(attrs, slog.Time("next_attempt_at", next), slog.String("error", errorText(derr)))
	}
	if m.Attempt > d.cfg.MaxAttempts {
		// The claim that found the last attempt's lease expired counted an
		// attempt that is not made.
		q = q.Set("attempts = attempts - 1")
	}
	res, err := d.lease(q, m).Exec(ctx)
	if err != nil {
		return fmt.Errorf("outbox: record %s: %w", m.ID, storage.Err(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "outbox: lease lost before the outcome was recorded", attrs...)
		return nil
	}
	log.LogAttrs(ctx, level, msg, attrs...)
	counter.Add(ctx, 1, metric.WithAttributes(attribute.String("kiroku.topic", m.Topic)))
	return nil
}

// release gives a claimed message back without counting the attempt.
func (d *Dispatcher) release(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	q := d.db.NewUpdate().Table("outbox_messages").
		Set("claimed_by = NULL").Set("claimed_until = NULL").Set("attempts = attempts - 1")
	if _, err := d.lease(q, m).Exec(ctx); err != nil {
		return fmt.Errorf("outbox: release %s: %w", m.ID, storage.Err(err))
	}
	return nil
}

// errorText is err's text as stored in last_error: valid UTF-8 without NUL
// bytes, at most MaxErrorLen bytes.
func errorText(err error) string {
	s := strings.ToValidUTF8(strings.ReplaceAll(err.Error(), "\x00", ""), "\uFFFD")
	if len(s) <= MaxErrorLen {
		return s
	}
	cut := MaxErrorLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
