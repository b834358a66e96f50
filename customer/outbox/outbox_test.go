package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.uber.org/goleak"

	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// clock is a settable test clock; it only moves when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is a Handler that counts deliveries per message ID and fails
// as fail says.
type recorder struct {
	mu   sync.Mutex
	got  map[uuid.UUID]int
	seen []outbox.Message
	fail func(m outbox.Message) error
}

func newRecorder(fail func(outbox.Message) error) *recorder {
	return &recorder{got: map[uuid.UUID]int{}, fail: fail}
}

func (r *recorder) Deliver(_ context.Context, m outbox.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[m.ID]++
	r.seen = append(r.seen, m)
	if r.fail != nil {
		return r.fail(m)
	}
	return nil
}

func (r *recorder) count(id uuid.UUID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[id]
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.got {
		n += c
	}
	return n
}

// fixture is what every test needs: a migrated database, a tenant, a clock.
type fixture struct {
	db     *bun.DB
	tenant uuid.UUID
	clock  *clock
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	require.NoError(t, outbox.Migrate(context.Background(), db))
	return &fixture{db: db, tenant: uuid.Must(uuid.NewV7()), clock: newClock()}
}

// dispatcher builds a dispatcher on db with the fixture's clock; cfg may set
// other fields.
func (f *fixture) dispatcher(t *testing.T, db *bun.DB, handlers map[string]outbox.Handler, cfg outbox.Config) *outbox.Dispatcher {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = f.clock.Now
	}
	d, err := outbox.NewDispatcher(db, handlers, &cfg)
	require.NoError(t, err)
	return d
}

func (f *fixture) msg(topic, recipient, key string) outbox.Message {
	return outbox.Message{
		ID: uuid.Must(uuid.NewV7()), Tenant: f.tenant, Topic: topic, Recipient: recipient, Key: key,
		Payload: json.RawMessage(`{"record":"r1","note":"ご確認ください"}`),
	}
}

func (f *fixture) enqueue(t *testing.T, msgs ...outbox.Message) {
	t.Helper()
	require.NoError(t, outbox.Enqueue(context.Background(), f.db, msgs...))
}

func (f *fixture) get(t *testing.T, id uuid.UUID) outbox.Entry {
	t.Helper()
	e, err := outbox.Get(context.Background(), f.db, id)
	require.NoError(t, err)
	return e
}

func (f *fixture) countRows(t *testing.T, where string, args ...any) int {
	t.Helper()
	n, err := f.db.NewSelect().TableExpr("outbox_messages").Where(where, args...).Count(context.Background())
	require.NoError(t, err)
	return int(n)
}

// verifyNoLeaks checks, once t and all its subtests have finished and
// cleaned up (databases closed), that no goroutine they started is left.
// The test must not be parallel: parallel top-level tests are held back
// while it runs, so the only goroutines it can see are its own.
func verifyNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func TestEnqueueInRolledBackTransactionDeliversNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		rec := newRecorder(nil)
		d := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, outbox.Config{})

		rolledBack := f.msg("mail.record", "tanaka@example.jp", "record-1")
		errBoom := errors.New("the record could not be saved")
		err := storage.InTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
			require.NoError(t, outbox.Enqueue(ctx, tx, rolledBack))
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)

		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Zero(t, rec.total())
		_, err = outbox.Get(ctx, db, rolledBack.ID)
		require.ErrorIs(t, err, kerr.ErrNotFound)

		committed := f.msg("mail.record", "tanaka@example.jp", "record-2")
		require.NoError(t, storage.InTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
			return outbox.Enqueue(ctx, tx, committed)
		}))
		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, 1, rec.count(committed.ID))
		e := f.get(t, committed.ID)
		require.Equal(t, outbox.StatusDelivered, e.Status)
		require.Equal(t, f.clock.Now(), e.DeliveredAt.UTC())
		require.Equal(t, 1, e.Attempt)
		require.Empty(t, e.ClaimedBy)
		require.False(t, e.CreatedAt.IsZero())

		// The handler saw the stored message.
		got := rec.seen[0]
		require.Equal(t, committed.Tenant, got.Tenant)
		require.Equal(t, "tanaka@example.jp", got.Recipient)
		require.Equal(t, "record-2", got.Key)
		require.Equal(t, 1, got.Attempt)
		require.JSONEq(t, string(committed.Payload), string(got.Payload))
	})
}

func TestEnqueueIsIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		rec := newRecorder(nil)
		d := f.dispatcher(t, db, map[string]outbox.Handler{"record.report_to": rec}, outbox.Config{})

		first := f.msg("record.report_to", "user-a", "record-1")
		again := f.msg("record.report_to", "user-a", "record-1") // same effect, new ID
		sameCall := f.msg("record.report_to", "user-a", "record-1")
		otherRecipient := f.msg("record.report_to", "user-b", "record-1")
		otherTopic := f.msg("mail.record", "user-a", "record-1")
		otherTenant := f.msg("record.report_to", "user-a", "record-1")
		otherTenant.Tenant = uuid.Must(uuid.NewV7())
		noKey1 := f.msg("record.report_to", "user-a", "")
		noKey2 := f.msg("record.report_to", "user-a", "")

		f.enqueue(t, first)
		f.enqueue(t, again, sameCall, otherRecipient, otherTopic, otherTenant, noKey1, noKey2)
		f.enqueue(t, first) // the same message (same ID) again

		require.Equal(t, 6, f.countRows(t, "1 = 1"))
		_, err := outbox.Get(ctx, db, again.ID)
		require.ErrorIs(t, err, kerr.ErrNotFound)
		_, err = outbox.Get(ctx, db, sameCall.ID)
		require.ErrorIs(t, err, kerr.ErrNotFound)
		require.Equal(t, noKey1.ID.String(), f.get(t, noKey1.ID).Key, "an empty key means the ID")

		for {
			n, err := d.RunOnce(ctx)
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
		require.Equal(t, 1, rec.count(first.ID))
		require.Zero(t, rec.count(again.ID))
		require.Equal(t, 1, rec.count(otherRecipient.ID))
		require.Equal(t, 1, rec.count(otherTenant.ID))
		require.Equal(t, 1, rec.count(noKey1.ID))
		require.Equal(t, 1, rec.count(noKey2.ID))
		require.Zero(t, rec.count(otherTopic.ID), "no handler for mail.record here")
		require.Equal(t, outbox.StatusPending, f.get(t, otherTopic.ID).Status)

		// Enqueueing a delivered effect again does not deliver it again.
		f.enqueue(t, f.msg("record.report_to", "user-a", "record-1"))
		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, 1, rec.count(first.ID))
	})
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	f := setup(t, db)
	long := strings.Repeat("あ", outbox.MaxFieldLen) // 3 bytes each
	tests := []struct {
		name  string
		edit  func(m *outbox.Message)
		field string
		code  string
	}{
		{"tenant required", func(m *outbox.Message) { m.Tenant = uuid.Nil }, "messages[0].tenant", validation.CodeRequired},
		{"topic required", func(m *outbox.Message) { m.Topic = "" }, "messages[0].topic", validation.CodeRequired},
		{"recipient required", func(m *outbox.Message) { m.Recipient = "" }, "messages[0].recipient", validation.CodeRequired},
		{"topic too long", func(m *outbox.Message) { m.Topic = long }, "messages[0].topic", validation.CodeTooLong},
		{"key too long", func(m *outbox.Message) { m.Key = long }, "messages[0].key", validation.CodeTooLong},
		{"recipient with NUL", func(m *outbox.Message) { m.Recipient = "a\x00b" }, "messages[0].recipient", validation.CodeFormat},
		{"key not UTF-8", func(m *outbox.Message) { m.Key = "\xff" }, "messages[0].key", validation.CodeFormat},
		{"payload not JSON", func(m *outbox.Message) { m.Payload = json.RawMessage(`{"a":`) }, "messages[0].payload", validation.CodeFormat},
		{"payload with NUL escape", func(m *outbox.Message) { m.Payload = json.RawMessage(`{"a":"\u0000"}`) }, "messages[0].payload", validation.CodeFormat},
		{"payload too large", func(m *outbox.Message) {
			m.Payload = json.RawMessage(`"` + strings.Repeat("x", outbox.MaxPayload) + `"`)
		}, "messages[0].payload", validation.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := f.msg("mail.record", "r", "k-"+tt.name)
			tt.edit(&m)
			err := outbox.Enqueue(context.Background(), db, f.msg("mail.record", "r", "valid-"+tt.name), m)
			require.ErrorIs(t, err, kerr.ErrInvalid)
			var verr *validation.Error
			require.ErrorAs(t, err, &verr)
			require.True(t, verr.Has(strings.Replace(tt.field, "[0]", "[1]", 1), tt.code), "%v", verr)
			require.Zero(t, f.countRows(t, "idempotency_key IN (?)", bun.List([]string{"k-" + tt.name, "valid-" + tt.name})),
				"an invalid message fails the whole call")
		})
	}
	t.Run("empty payload is {}", func(t *testing.T) {
		t.Parallel()
		m := f.msg("mail.record", "r", "empty-payload")
		m.Payload = nil
		f.enqueue(t, m)
		require.JSONEq(t, `{}`, string(f.get(t, m.ID).Payload))
	})
	t.Run("escaped backslash before u0000 is fine", func(t *testing.T) {
		t.Parallel()
		m := f.msg("mail.record", "r", "backslash-u0000")
		m.Payload = json.RawMessage(`{"path":"C:\\u0000"}`)
		f.enqueue(t, m)
		require.JSONEq(t, `{"path":"C:\\u0000"}`, string(f.get(t, m.ID).Payload))
	})
	t.Run("nothing to enqueue", func(t *testing.T) {
		t.Parallel()
		require.NoError(t, outbox.Enqueue(context.Background(), db))
	})
}

func TestRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		errSMTP := errors.New("smtp: 421 try again later")
		rec := newRecorder(func(m outbox.Message) error {
			if m.Attempt < 3 {
				return fmt.Errorf("attempt %d: %w", m.Attempt, errSMTP)
			}
			return nil
		})
		d := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, outbox.Config{
			Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute },
		})
		m := f.msg("mail.record", "tanaka@example.jp", "r1")
		f.enqueue(t, m)

		run := func(want int) {
			t.Helper()
			n, err := d.RunOnce(ctx)
			require.NoError(t, err)
			require.Equal(t, want, n)
		}
		run(1)
		e := f.get(t, m.ID)
		require.Equal(t, outbox.StatusPending, e.Status)
		require.Equal(t, 1, e.Attempt)
		require.Equal(t, f.clock.Now().Add(time.Minute), e.NextAttemptAt.UTC())
		require.Equal(t, "attempt 1: smtp: 421 try again later", e.LastError)
		require.Empty(t, e.ClaimedBy)
		require.True(t, e.ClaimedUntil.IsZero())

		run(0) // not due yet
		f.clock.Advance(time.Minute - time.Microsecond)
		run(0)
		f.clock.Advance(time.Microsecond)
		run(1)
		e = f.get(t, m.ID)
		require.Equal(t, 2, e.Attempt)
		require.Equal(t, f.clock.Now().Add(2*time.Minute), e.NextAttemptAt.UTC())

		f.clock.Advance(2 * time.Minute)
		run(1)
		e = f.get(t, m.ID)
		require.Equal(t, outbox.StatusDelivered, e.Status)
		require.Equal(t, 3, e.Attempt)
		require.Equal(t, f.clock.Now(), e.DeliveredAt.UTC())
		require.Empty(t, e.LastError)
		require.Equal(t, 3, rec.count(m.ID))

		f.clock.Advance(24 * time.Hour)
		run(0)
	})
}

func TestDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		rec := newRecorder(func(m outbox.Message) error { return errors.New("connection refused") })
		d := f.dispatcher(t, db, map[string]outbox.Handler{"webhook": rec}, outbox.Config{
			MaxAttempts: 3,
			Backoff:     func(int) time.Duration { return time.Second },
		})
		m := f.msg("webhook", "https://example.jp/hook", "r1")
		f.enqueue(t, m)
		for range 10 {
			_, err := d.RunOnce(ctx)
			require.NoError(t, err)
			f.clock.Advance(time.Second)
		}
		require.Equal(t, 3, rec.count(m.ID))
		e := f.get(t, m.ID)
		require.Equal(t, outbox.StatusDead, e.Status)
		require.Equal(t, 3, e.Attempt)
		require.Equal(t, "connection refused", e.LastError)
		require.False(t, e.DeadAt.IsZero())
		require.True(t, e.DeliveredAt.IsZero())
	})
}

// permanentErr opts in to permanence by method alone.
type permanentErr struct{}

func (permanentErr) Error() string   { return "550 no such user" }
func (permanentErr) Permanent() bool { return true }

// notPermanentErr has the method but says no.
type notPermanentErr struct{}

func (notPermanentErr) Error() string   { return "451 later" }
func (notPermanentErr) Permanent() bool { return false }

func TestPermanentErrorsGoDeadAtOnce(t *testing.T) {
	t.Parallel()
	errBase := errors.New("invalid address")
	tests := []struct {
		name string
		err  error
		dead bool
	}{
		{"outbox.Permanent", outbox.Permanent(errBase), true},
		{"wrapped Permanent", fmt.Errorf("mail: send: %w", outbox.Permanent(errBase)), true},
		{"own type with Permanent() true", fmt.Errorf("smtp: %w", permanentErr{}), true},
		{"own type with Permanent() false", notPermanentErr{}, false},
		{"plain error", errBase, false},
	}
	t.Run("IsPermanent", func(t *testing.T) {
		t.Parallel()
		for _, tt := range tests {
			require.Equal(t, tt.dead, outbox.IsPermanent(tt.err), tt.name)
		}
		require.NoError(t, outbox.Permanent(nil))
		require.ErrorIs(t, outbox.Permanent(errBase), errBase)
		require.Equal(t, errBase.Error(), outbox.Permanent(errBase).Error())
	})
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		byKey := map[string]error{}
		rec := newRecorder(func(m outbox.Message) error { return byKey[m.Key] })
		d := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, outbox.Config{MaxAttempts: 5})
		ids := map[string]uuid.UUID{}
		for _, tt := range tests {
			byKey[tt.name] = tt.err
			m := f.msg("mail.record", "someone@example.jp", tt.name)
			ids[tt.name] = m.ID
			f.enqueue(t, m)
		}
		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, len(tests), n)
		for _, tt := range tests {
			e := f.get(t, ids[tt.name])
			if tt.dead {
				require.Equal(t, outbox.StatusDead, e.Status, tt.name)
			} else {
				require.Equal(t, outbox.StatusPending, e.Status, tt.name)
			}
			require.Equal(t, 1, e.Attempt, tt.name)
			require.Equal(t, tt.err.Error(), e.LastError, tt.name)
		}
	})
}

func TestExpiredLeaseIsTakenOverOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		const lease = time.Minute
		crashed := newRecorder(nil)
		survivor := newRecorder(nil)
		a := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": crashed}, outbox.Config{Lease: lease, InstanceID: "a"})
		b := f.dispatcher(t, dbtest.Reopen(t, db), map[string]outbox.Handler{"mail.record": survivor}, outbox.Config{Lease: lease, InstanceID: "b"})
		m := f.msg("mail.record", "tanaka@example.jp", "r1")
		f.enqueue(t, m)

		// a claims, then dies before delivering or recording anything.
		claimed, err := a.Claim(ctx)
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		e := f.get(t, m.ID)
		require.Equal(t, "a", e.ClaimedBy)
		require.Equal(t, f.clock.Now().Add(lease), e.ClaimedUntil.UTC())
		require.Equal(t, 1, e.Attempt)

		n, err := b.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "the lease holds")
		f.clock.Advance(lease - time.Microsecond)
		n, err = b.RunOnce(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "the lease still holds")

		f.clock.Advance(time.Microsecond)
		n, err = b.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, 1, survivor.count(m.ID))
		e = f.get(t, m.ID)
		require.Equal(t, outbox.StatusDelivered, e.Status)
		require.Equal(t, 2, e.Attempt, "the crashed attempt counts")

		f.clock.Advance(time.Hour)
		for _, d := range []*outbox.Dispatcher{a, b} {
			n, err = d.RunOnce(ctx)
			require.NoError(t, err)
			require.Zero(t, n)
		}
		require.Equal(t, 1, survivor.count(m.ID))
		require.Zero(t, crashed.total())
	})
}

func TestExpiredLeaseOnLastAttemptGoesDead(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		rec := newRecorder(nil)
		cfg := outbox.Config{Lease: time.Minute, MaxAttempts: 1}
		a := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, cfg)
		b := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, cfg)
		m := f.msg("mail.record", "tanaka@example.jp", "r1")
		f.enqueue(t, m)
		_, err := a.Claim(ctx)
		require.NoError(t, err)
		f.clock.Advance(time.Minute)
		n, err := b.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Zero(t, rec.total(), "the one allowed attempt was the crashed one")
		e := f.get(t, m.ID)
		require.Equal(t, outbox.StatusDead, e.Status)
		require.Equal(t, 1, e.Attempt)
		require.Contains(t, e.LastError, "lease expired")
	})
}

func TestStaleDispatcherCannotOverwriteTakeover(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// a's handler stalls past its lease; b takes over and fails
		// permanently; a's late success must not resurrect the message.
		var b *outbox.Dispatcher
		stalled := outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
			f.clock.Advance(2 * time.Minute)
			n, err := b.RunOnce(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			return nil
		})
		taker := outbox.HandlerFunc(func(context.Context, outbox.Message) error {
			return outbox.Permanent(errors.New("mailbox unavailable"))
		})
		a := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": stalled}, outbox.Config{Lease: time.Minute, InstanceID: "a"})
		b = f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": taker}, outbox.Config{Lease: time.Minute, InstanceID: "b"})
		m := f.msg("mail.record", "tanaka@example.jp", "r1")
		f.enqueue(t, m)
		n, err := a.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		e := f.get(t, m.ID)
		require.Equal(t, outbox.StatusDead, e.Status, "b's outcome stands")
		require.Equal(t, 2, e.Attempt)
		require.Equal(t, "mailbox unavailable", e.LastError)
	})
}

func TestHandlerPanicIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		h := outbox.HandlerFunc(func(context.Context, outbox.Message) error { panic("nil map") })
		d := f.dispatcher(t, db, map[string]outbox.Handler{"plugin.notify": h}, outbox.Config{})
		m := f.msg("plugin.notify", "careservice", "r1")
		f.enqueue(t, m)
		n, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		e := f.get(t, m.ID)
		require.Equal(t, outbox.StatusPending, e.Status)
		require.Contains(t, e.LastError, `handler for "plugin.notify" panicked: nil map`)
		require.True(t, e.NextAttemptAt.After(f.clock.Now()))
	})
}

func TestNotBeforeDelaysDelivery(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		rec := newRecorder(nil)
		d := f.dispatcher(t, db, map[string]outbox.Handler{"alert.remind": rec}, outbox.Config{})
		m := f.msg("alert.remind", "user-a", "alert-1/occurrence-3")
		m.NotBefore = f.clock.Now().Add(3 * time.Hour).In(time.FixedZone("JST", 9*3600))
		f.enqueue(t, m)
		require.Equal(t, f.clock.Now().Add(3*time.Hour), f.get(t, m.ID).NextAttemptAt.UTC())
		n, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		require.Zero(t, n)
		f.clock.Advance(3 * time.Hour)
		n, err = d.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, 1, rec.count(m.ID))
	})
}

func TestLastErrorIsSanitized(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		long := "失敗\x00\xff" + strings.Repeat("エラー", 500)
		h := outbox.HandlerFunc(func(context.Context, outbox.Message) error { return errors.New(long) })
		d := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": h}, outbox.Config{})
		m := f.msg("mail.record", "r", "k")
		f.enqueue(t, m)
		_, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		got := f.get(t, m.ID).LastError
		require.LessOrEqual(t, len(got), outbox.MaxErrorLen)
		require.True(t, strings.HasPrefix(got, "失敗\uFFFDエラー"), got)
		require.Equal(t, outbox.ErrorText(errors.New(long)), got)
	})
}

func TestDispatchersOnlyClaimTheirTopics(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		mailer, hooks := newRecorder(nil), newRecorder(nil)
		dm := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": mailer}, outbox.Config{})
		dh := f.dispatcher(t, db, map[string]outbox.Handler{"webhook": hooks, "plugin.notify": hooks}, outbox.Config{})
		mail := f.msg("mail.record", "a@example.jp", "1")
		hook := f.msg("webhook", "https://example.jp", "1")
		plugin := f.msg("plugin.notify", "ramenshop", "1")
		f.enqueue(t, mail, hook, plugin)
		n, err := dm.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = dh.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.Equal(t, 1, mailer.count(mail.ID))
		require.Equal(t, 1, hooks.count(hook.ID))
		require.Equal(t, 1, hooks.count(plugin.ID))
	})
}

// A claim takes one tenant's messages at a time (one shard of a database
// distributed by tenant), the tenants with the oldest due messages first,
// until the batch is full.
func TestClaimGoesTenantByTenantOldestFirst(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		rec := newRecorder(nil)
		d := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, outbox.Config{BatchSize: 3})
		tenantB, tenantC := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		a1 := f.msg("mail.record", "a1@example.jp", "1")
		b1 := f.msg("mail.record", "b1@example.jp", "1")
		b1.Tenant = tenantB
		c1 := f.msg("mail.record", "c1@example.jp", "1")
		c1.Tenant = tenantC
		a2 := f.msg("mail.record", "a2@example.jp", "1")
		f.enqueue(t, a1, b1, c1, a2)

		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		for _, m := range []outbox.Message{a1, a2, b1} {
			require.Equal(t, 1, rec.count(m.ID), "message %s", m.Recipient)
		}
		require.Zero(t, rec.count(c1.ID))
		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, 1, rec.count(c1.ID))
		require.Equal(t, c1.Tenant, f.get(t, c1.ID).Tenant)
	})
}

// TestSeveralDispatchersDeliverEachMessageOnce runs four dispatchers, each
// with its own connection pool (as four server processes would), against
// one database while messages are still being enqueued, and counts the
// deliveries of every message.
func TestSeveralDispatchersDeliverEachMessageOnce(t *testing.T) {
	verifyNoLeaks(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		const (
			instances = 4
			perEach   = 200
			total     = instances * perEach
		)
		rec := newRecorder(nil)
		delivered := make(chan struct{}, total*2)
		var byInstanceMu sync.Mutex
		byInstance := map[string]int{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		for i := range instances {
			id := fmt.Sprintf("instance-%d", i)
			h := outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
				assert.NoError(t, rec.Deliver(ctx, m))
				byInstanceMu.Lock()
				byInstance[id]++
				byInstanceMu.Unlock()
				delivered <- struct{}{}
				return nil
			})
			d, err := outbox.NewDispatcher(dbtest.Reopen(t, db), map[string]outbox.Handler{"mail.record": h}, &outbox.Config{
				InstanceID: id, PollInterval: 5 * time.Millisecond, BatchSize: 7, Lease: time.Minute,
			})
			require.NoError(t, err)
			wg.Go(func() { assert.NoError(t, d.Run(ctx)) })
		}

		ids := make([]uuid.UUID, 0, total)
		for batch := range total / 50 {
			msgs := make([]outbox.Message, 50)
			for i := range msgs {
				msgs[i] = f.msg("mail.record", fmt.Sprintf("user-%d@example.jp", i), fmt.Sprintf("batch-%d", batch))
				ids = append(ids, msgs[i].ID)
			}
			require.NoError(t, storage.InTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
				return outbox.Enqueue(ctx, tx, msgs...)
			}))
		}

		timeout := time.After(2 * time.Minute)
		for range total {
			select {
			case <-delivered:
			case <-timeout:
				t.Fatalf("only %d of %d messages delivered", rec.total(), total)
			}
		}
		// A little longer, so that a double delivery would show.
		time.Sleep(100 * time.Millisecond)
		cancel()
		wg.Wait()

		require.Len(t, rec.got, total)
		for _, id := range ids {
			require.Equal(t, 1, rec.count(id), "message %s", id)
		}
		require.Equal(t, total, f.countRows(t, "status = ? AND attempts = 1 AND claimed_by IS NULL", "delivered"))
		busy := 0
		for _, n := range byInstance {
			if n > 0 {
				busy++
			}
		}
		t.Logf("deliveries per dispatcher: %v", byInstance)
		require.Greater(t, busy, 1, "the dispatchers shared the work")
	})
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	verifyNoLeaks(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		started := make(chan outbox.Message, 1)
		h := outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
			started <- m
			<-ctx.Done() // a slow SMTP server
			return ctx.Err()
		})
		d := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": h}, outbox.Config{BatchSize: 5})
		var msgs []outbox.Message
		for i := range 3 {
			msgs = append(msgs, f.msg("mail.record", "r", fmt.Sprint(i)))
		}
		f.enqueue(t, msgs...)

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		<-started
		require.ErrorContains(t, d.Run(ctx), "already running")
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		for _, m := range msgs {
			e := f.get(t, m.ID)
			require.Equal(t, outbox.StatusPending, e.Status)
			require.Zero(t, e.Attempt, "a stopped attempt is given back, not counted")
			require.Empty(t, e.ClaimedBy)
			require.True(t, e.NextAttemptAt.IsZero())
		}

		// The messages are due at once for the next dispatcher.
		rec := newRecorder(nil)
		d2 := f.dispatcher(t, db, map[string]outbox.Handler{"mail.record": rec}, outbox.Config{})
		n, err := d2.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})
}

func TestRunReturnsAtOnceWhenIdle(t *testing.T) {
	verifyNoLeaks(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		d := f.dispatcher(t, db, map[string]outbox.Handler{"x": newRecorder(nil)}, outbox.Config{PollInterval: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(20 * time.Millisecond) // into the hour-long wait
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	})
}

func TestNewDispatcherValidation(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	h := map[string]outbox.Handler{"t": newRecorder(nil)}
	tx, err := db.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	tests := []struct {
		name     string
		db       bun.IDB
		handlers map[string]outbox.Handler
		cfg      *outbox.Config
		want     string
	}{
		{"defaults", db, h, nil, ""},
		{"nil db", nil, h, nil, "db is nil"},
		{"transaction", tx, h, nil, "must not be a transaction"},
		{"no handlers", db, nil, nil, "no handlers"},
		{"nil handler", db, map[string]outbox.Handler{"t": nil}, nil, "nil handler"},
		{"empty topic", db, map[string]outbox.Handler{"": newRecorder(nil)}, nil, "empty topic"},
		{"negative poll", db, h, &outbox.Config{PollInterval: -1}, "PollInterval"},
		{"negative lease", db, h, &outbox.Config{Lease: -1}, "Lease"},
		{"negative attempts", db, h, &outbox.Config{MaxAttempts: -1}, "MaxAttempts"},
		{"huge batch", db, h, &outbox.Config{BatchSize: outbox.MaxBatchSize + 1}, "BatchSize"},
		{"long instance", db, h, &outbox.Config{InstanceID: strings.Repeat("x", 256)}, "InstanceID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := outbox.NewDispatcher(tt.db, tt.handlers, tt.cfg)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotEmpty(t, d.InstanceID())
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	t.Parallel()
	c := (*outbox.Config)(nil).WithDefaults()
	require.NotNil(t, c.Clock)
	require.NotNil(t, c.Backoff)
	require.NotNil(t, c.Logger)
	require.NotEmpty(t, c.InstanceID)
	require.Equal(t, outbox.DefaultPollInterval, c.PollInterval)
	require.Equal(t, outbox.DefaultLease, c.Lease)
	require.Equal(t, outbox.DefaultMaxAttempts, c.MaxAttempts)
	require.Equal(t, outbox.DefaultBatchSize, c.BatchSize)
	c2 := (&outbox.Config{BatchSize: 3, InstanceID: "x"}).WithDefaults()
	require.Equal(t, 3, c2.BatchSize)
	require.Equal(t, "x", c2.InstanceID)
	require.NotEqual(t, c.InstanceID, (*outbox.Config)(nil).WithDefaults().InstanceID, "each process its own ID")
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		nominal time.Duration
	}{
		{-1, 10 * time.Second},
		{0, 10 * time.Second},
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{6, 320 * time.Second},
		{9, 2560 * time.Second},
		{10, time.Hour},
		{21, time.Hour},
		{64, time.Hour},
		{1 << 30, time.Hour},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.nominal, outbox.NominalBackoff(tt.attempt))
			seen := map[time.Duration]bool{}
			for range 200 {
				d := outbox.DefaultBackoff(tt.attempt)
				require.GreaterOrEqual(t, d, tt.nominal*3/4)
				require.LessOrEqual(t, d, tt.nominal)
				seen[d] = true
			}
			require.Greater(t, len(seen), 1, "jittered")
		})
	}
}
