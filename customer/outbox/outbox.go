package outbox

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

//go:embed migrations
var migrations embed.FS

// Re-exported sentinels, so that callers can match this package's errors
// without importing another Kiroku package.
var (
	// ErrInvalid is matched by errors for invalid input (a *validation.Error
	// where fields are named).
	ErrInvalid = kerr.ErrInvalid
	// ErrNotFound is matched by errors for a message that does not exist.
	ErrNotFound = kerr.ErrNotFound
)

// migrationSet is the outbox's migration set (table outbox_messages). Engines
// that enqueue side effects run it with their own sets.
// It is registered (migration.Named) for the engines that migrate it with
// their own in one run.
var migrationSet = migration.Register(migration.Set{Name: "outbox", FS: migrations})

// Migrate creates or upgrades the outbox table. It is idempotent and safe
// when several processes run it at once.
// On PostgreSQL it holds a session-level advisory lock for the whole run:
// db must not go through a transaction-mode pooler.
func Migrate(ctx context.Context, db *bun.DB) error {
	return migration.Run(ctx, db, migrationSet)
}

// Limits on what Enqueue accepts.
const (
	// MaxFieldLen caps Topic, Recipient and Key, in bytes.
	MaxFieldLen = 255
	// MaxPayload caps Payload, in bytes.
	MaxPayload = 1 << 20
)

// Message is one side effect for one recipient.
type Message struct {
	// ID identifies the message. Enqueue assigns a new UUIDv7 when it is
	// the zero UUID. Handlers may use it as a downstream idempotency key
	// (for example in a mail's Message-ID).
	ID uuid.UUID
	// Tenant is the tenant the effect belongs to. Required.
	Tenant uuid.UUID
	// Topic names the kind of effect, e.g. "record.report_to" or
	// "mail.record"; the dispatcher routes it to the Handler registered for
	// it. Required, at most MaxFieldLen bytes.
	Topic string
	// Recipient is who the effect is for: a user ID, an e-mail address, a
	// plugin name… Required, at most MaxFieldLen bytes.
	Recipient string
	// Key is the idempotency key: the same (Tenant, Topic, Recipient, Key)
	// is stored once, however often it is enqueued, so the effect happens
	// once per recipient. Empty means the message's ID (no deduplication).
	// At most MaxFieldLen bytes.
	Key string
	// Payload is the JSON the handler needs. Empty means {}. At most
	// MaxPayload bytes. PostgreSQL normalizes it (key order, spacing), so
	// handlers decode it rather than compare bytes.
	Payload json.RawMessage
	// NotBefore delays the first delivery until then. Zero: as soon as a
	// dispatcher polls. Only Enqueue reads it.
	NotBefore time.Time

	// Attempt is set by the outbox and ignored by Enqueue. A Handler sees
	// the attempt being made, starting at 1; an Entry holds the number of
	// attempts made so far.
	Attempt int
	// CreatedAt is when the database stored the message (its own clock).
	// Set by the outbox and ignored by Enqueue.
	CreatedAt time.Time
}

// Status is where a message is in its life.
type Status string

// The statuses of a message.
const (
	// StatusPending: not yet delivered; due at NextAttemptAt (or now), or
	// leased to a dispatcher until ClaimedUntil.
	StatusPending Status = "pending"
	// StatusDelivered: a handler returned nil. Final.
	StatusDelivered Status = "delivered"
	// StatusDead: a handler returned a permanent error, or every one of
	// Config.MaxAttempts attempts failed. Final; LastError says why.
	StatusDead Status = "dead"
)

// Entry is a stored message with its delivery state, for inspection.
type Entry struct {
	Message
	// Status is pending, delivered or dead.
	Status Status
	// NextAttemptAt is when a pending message becomes due; zero means now.
	NextAttemptAt time.Time
	// LastError is the text of the last failure, truncated to
	// MaxErrorLen bytes. Handlers must keep secrets out of their errors.
	LastError string
	// ClaimedBy is the dispatcher instance holding the lease, if any.
	ClaimedBy string
	// ClaimedUntil is when that lease expires.
	ClaimedUntil time.Time
	// DeliveredAt is when the message was delivered (dispatcher clock).
	DeliveredAt time.Time
	// DeadAt is when the message was given up (dispatcher clock).
	DeadAt time.Time
}

// row is the outbox_messages table.
type row struct {
	bun.BaseModel `bun:"table:outbox_messages"`

	ID             uuid.UUID `bun:"id,pk"`
	TenantID       uuid.UUID `bun:"tenant_id"`
	Topic          string    `bun:"topic"`
	Recipient      string    `bun:"recipient"`
	IdempotencyKey string    `bun:"idempotency_key"`
	Payload        string    `bun:"payload"`
	Status         string    `bun:"status"`
	Attempts       int       `bun:"attempts"`
	NextAttemptAt  time.Time `bun:"next_attempt_at,nullzero"`
	LastError      string    `bun:"last_error"`
	ClaimedBy      string    `bun:"claimed_by,nullzero"`
	ClaimedUntil   time.Time `bun:"claimed_until,nullzero"`
	CreatedAt      time.Time `bun:"created_at,nullzero"`
	DeliveredAt    time.Time `bun:"delivered_at,nullzero"`
	DeadAt         time.Time `bun:"dead_at,nullzero"`
}

func (r *row) message() Message {
	return Message{
		ID:        r.ID,
		Tenant:    r.TenantID,
		Topic:     r.Topic,
		Recipient: r.Recipient,
		Key:       r.IdempotencyKey,
		Payload:   json.RawMessage(r.Payload),
		Attempt:   r.Attempts,
		CreatedAt: r.CreatedAt,
	}
}

// insertBatch bounds the rows of one INSERT statement.
const insertBatch = 500

// Enqueue stores msgs through db. Pass the caller's transaction, so the
// messages commit or roll back with the change that caused them. A message
// whose (Tenant, Topic, Recipient, Key) is already stored, in this call or
// before, is silently dropped (ON CONFLICT DO NOTHING), as is one whose ID is
// taken. Invalid messages fail the whole call with a *validation.Error
// (matching ErrInvalid) naming fields "messages[i].field", and nothing
// is stored.
func Enqueue(ctx context.Context, db bun.IDB, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	rows := make([]row, len(msgs))
	var verr validation.Error
	for i, m := range msgs {
		field := func(name string) string { return "messages[" + strconv.Itoa(i) + "]." + name }
		if m.Tenant == uuid.Nil {
			verr.Add(field("tenant"), validation.CodeRequired, "")
		}
		checkText(&verr, field("topic"), m.Topic, true)
		checkText(&verr, field("recipient"), m.Recipient, true)
		checkText(&verr, field("key"), m.Key, false)
		payload := string(m.Payload)
		switch {
		case len(m.Payload) == 0:
			payload = "{}"
		case len(m.Payload) > MaxPayload:
			verr.Add(field("payload"), validation.CodeTooLarge, strconv.Itoa(MaxPayload))
		case !json.Valid(m.Payload) || hasNULEscape(m.Payload):
			// PostgreSQL's jsonb cannot hold \u0000; refuse it on both
			// dialects alike.
			verr.Add(field("payload"), validation.CodeFormat, "")
		}
		id := m.ID
		if id == uuid.Nil {
			var err error
			if id, err = uuid.NewV7(); err != nil {
				return fmt.Errorf("outbox: enqueue: %w", err)
			}
		}
		key := m.Key
		if key == "" {
			key = id.String()
		}
		rows[i] = row{
			ID: id, TenantID: m.Tenant, Topic: m.Topic, Recipient: m.Recipient,
			IdempotencyKey: key, Payload: payload,
		}
		if !m.NotBefore.IsZero() {
			rows[i].NextAttemptAt = m.NotBefore.UTC().Truncate(time.Microsecond)
		}
	}
	if err := verr.Err(); err != nil {
		return fmt.Errorf("outbox: enqueue: %w", err)
	}
	for start := 0; start < len(rows); start += insertBatch {
		batch := rows[start:min(start+insertBatch, len(rows))]
		_, err := db.NewInsert().Model(&batch).
			Column("id", "tenant_id", "topic", "recipient", "idempotency_key", "payload", "next_attempt_at").
			On("CONFLICT DO NOTHING").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("outbox: enqueue: %w", storage.Err(err))
		}
	}
	return nil
}

// checkText validates a topic, recipient or key. NUL bytes and invalid
// UTF-8 are rejected because PostgreSQL text cannot hold them.
func checkText(verr *validation.Error, field, s string, required bool) {
	switch {
	case s == "":
		if required {
			verr.Add(field, validation.CodeRequired, "")
		}
	case len(s) > MaxFieldLen:
		verr.Add(field, validation.CodeTooLong, strconv.Itoa(MaxFieldLen))
	case !validText(s):
		verr.Add(field, validation.CodeFormat, "")
	}
}

func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// hasNULEscape reports whether the JSON text b contains the escape \u0000
// (and not merely an escaped backslash followed by "u0000").
func hasNULEscape(b []byte) bool {
	for i := 0; ; i++ {
		j := bytes.Index(b[i:], []byte(`\u0000`))
		if j < 0 {
			return false
		}
		i += j
		backslashes := 0
		for k := i; k >= 0 && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 1 {
			return true
		}
	}
}

// Get returns the stored message id with its delivery state, or an error
// matching ErrNotFound. It reads across tenants: the outbox is
// infrastructure, not a principal-facing store.
func Get(ctx context.Context, db bun.IDB, id uuid.UUID) (Entry, error) {
	var r row
	if err := db.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return Entry{}, fmt.Errorf("outbox: get %s: %w", id, storage.Err(err))
	}
	return Entry{
		Message:       r.message(),
		Status:        Status(r.Status),
		NextAttemptAt: r.NextAttemptAt,
		LastError:     r.LastError,
		ClaimedBy:     r.ClaimedBy,
		ClaimedUntil:  r.ClaimedUntil,
		DeliveredAt:   r.DeliveredAt,
		DeadAt:        r.DeadAt,
	}, nil
}
