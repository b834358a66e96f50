package schedule

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Errors re-exported from Kiroku's shared vocabulary.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrUnauthenticated  = kerr.ErrUnauthenticated
)

// ValidationError lists every field problem of an input.
type ValidationError = validation.Error

//go:embed migrations
var migrations embed.FS

// migrationSet is the schedule engine's migration set.
var migrationSet = migration.Register(migration.Set{Name: "schedule", FS: migrations})

// Migrate creates or upgrades the engine's tables and those it depends on
// (everything contactlog.Migrate makes: permission, customer, templates,
// the outbox, records). Idempotent; safe from several processes at once.
func Migrate(ctx context.Context, db *bun.DB) error {
	if err := contactlog.Migrate(ctx, db); err != nil {
		return err
	}
	return migration.Run(ctx, db, migrationSet)
}

// Config configures a Service and a System. The engine builds none of its
// dependencies: Authorizer is required by NewService and Directory by both;
// Records and Customers are needed by the calls named below. Every other
// zero field means its default.
type Config struct {
	// Authorizer decides which customers each principal sees: an alert is
	// visible exactly when its customer is. Required by NewService (use
	// permission.NewEngine, or permission.Unrestricted() to opt out);
	// ignored by NewSystem.
	Authorizer permission.Authorizer
	// Directory is the staff directory (permission.NewDirectory on the
	// same database): the principal of a calendar feed's token, the
	// recipients of reminders and request mails. Required.
	Directory *permission.Directory
	// Records is the contact-record engine (contactlog.NewService on the
	// same database). Appointments need it (their channel is one of its
	// masters; the plan → record → next plan cycle writes records through
	// it); without it those calls fail with ErrInvalid. Default: none.
	Records *contactlog.Service
	// Customers is the customer engine, needed by
	// CreateRecordWithCustomer only. Default: none.
	Customers *customer.Service
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
	// Location is the time zone for due days, reminder times, notice
	// periods and the quick ranges, used when the principal carries none
	// (Directory.Principal fills in the tenant's). Default: Asia/Tokyo.
	Location *time.Location
	// MaxPageSize caps the page size of alert lists. Default: 200.
	MaxPageSize int
	// StatementCache, when set, is given to the database driver before
	// the arguments of the statements read most often — the calendar, the
	// notices and the request lists of the top page —, whose changing
	// values (IDs, times) are bound as parameters on PostgreSQL instead of
	// being written into their text: a value the driver reads
	// as "prepare this statement once per connection and reuse it", so
	// that PostgreSQL parses it once and may keep its plan. With pgx
	// (jackc/pgx/v5/stdlib) set pgx.QueryExecModeCacheStatement; a
	// staff member's week then takes half the time when the pool's
	// default mode does not cache statements (exec, as Kiroku's own
	// programs open PostgreSQL). Leave it nil behind a transaction-mode
	// pooler (PgBouncer pool_mode=transaction), which cannot keep a
	// prepared statement. Default: nil, and on PostgreSQL the values are
	// written into the text as in every other statement. On SQLite the
	// option is ignored: these statements are always bound there, and
	// prepared once they have run twice (kept per database handle).
	StatementCache any
	// ReminderHour is the hour of the due day, in the tenant's time zone,
	// at which an occurrence's reminder becomes due: 1–23, or 0 for the
	// default, 9 (9:00). It is applied when occurrences are generated
	// (created or regenerated), so changing it affects later ones only.
	ReminderHour int

	// Mailer sends the reminder mails (mail.NewSMTP, or your own
	// mail.Sender). Default: none, and reminder mails fail (and are
	// retried by the dispatcher) until one is configured.
	Mailer mail.Sender
	// MailFrom is the author of reminder mails. Default: the Mailer's own
	// default.
	MailFrom mail.Address
	// AlertURL returns the link to an alert put into reminders, e.g.
	// "https://crm.example.jp/customers/<id>/alerts". Default: no link.
	AlertURL func(tenant, customer uuid.UUID) string
	// Channels deliver reminders besides mail (chat, SMS, a plugins.Host's
	// channels), each once per assignee and occurrence. Names must be
	// unique, non-empty and without ':'. Default: none.
	Channels []notify.Channel
	// Logger receives the reports of background work (reminder scans).
	// Default: slog.Default().
	Logger *slog.Logger
}

// DefaultReminderHour is the hour of the due day at which reminders are
// sent when Config.ReminderHour is 0.
const DefaultReminderHour = 9

// WithDefaults returns a copy of c (which may be nil) with every zero field
// that has a default set to it; the dependencies, Mailer, AlertURL and
// Channels stay as given.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.Location == nil {
		out.Location = jpdate.Tokyo()
	}
	if out.MaxPageSize == 0 {
		out.MaxPageSize = 200
	}
	if out.ReminderHour == 0 {
		out.ReminderHour = DefaultReminderHour
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

func (c *Config) validate() error {
	if c.Directory == nil {
		return fmt.Errorf("schedule: config: Directory is required (permission.NewDirectory on the same database): %w", ErrInvalid)
	}
	if c.MaxPageSize < 1 {
		return fmt.Errorf("schedule: config: MaxPageSize must be positive: %w", ErrInvalid)
	}
	if c.ReminderHour < 1 || c.ReminderHour > 23 {
		return fmt.Errorf("schedule: config: ReminderHour %d is not 1–23 (0 means %d): %w", c.ReminderHour, DefaultReminderHour, ErrInvalid)
	}
	names := map[string]bool{}
	for _, ch := range c.Channels {
		n := ch.Name()
		if n == "" || strings.Contains(n, ":") || names[n] {
			return fmt.Errorf("schedule: config: channel name %q is empty, has a ':' or is given twice: %w", n, ErrInvalid)
		}
		names[n] = true
	}
	return nil
}

// Service is the schedule engine for principals: every call acts as the
// principal of its ctx. It is safe for concurrent use.
type Service struct {
	db    bun.IDB
	cfg   Config
	authz permission.Authorizer
}

// NewService returns the engine on db (a *bun.DB, or a bun.Tx).
func NewService(db bun.IDB, cfg *Config) (*Service, error) {
	c := cfg.WithDefaults()
	if c.Authorizer == nil {
		return nil, fmt.Errorf("schedule: config: Authorizer is required (permission.NewEngine, or permission.Unrestricted() to opt out): %w", ErrInvalid)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	return &Service{db: db, cfg: c, authz: c.Authorizer}, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines so that several writes commit or roll back together.
// Everything the copy reads and writes goes through db: its own queries,
// the authorizer's (permission.BindAuthorizer), the directory's and those
// of Config.Records and Config.Customers (bound with their WithDB).
func (s *Service) WithDB(db bun.IDB) *Service {
	c := *s
	c.db = db
	c.authz = permission.BindAuthorizer(s.authz, db)
	c.cfg.Directory = s.cfg.Directory.WithDB(db)
	if s.cfg.Records != nil {
		c.cfg.Records = s.cfg.Records.WithDB(db)
	}
	if s.cfg.Customers != nil {
		c.cfg.Customers = s.cfg.Customers.WithDB(db)
	}
	return &c
}

func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Microsecond) }

// location is the principal's tenant time zone, or the configured default.
func (s *Service) location(pr permission.Principal) *time.Location {
	if pr.Location != nil {
		return pr.Location
	}
	return s.cfg.Location
}

// today is the current calendar day in pr's time zone.
func (s *Service) today(pr permission.Principal) Date {
	return DateOf(s.cfg.Clock().In(s.location(pr)))
}

// audit records an action in the audit log, through db (the transaction of
// the change).
func (s *Service) audit(ctx context.Context, db bun.IDB, pr permission.Principal, action, objectType string, id uuid.UUID, detail string) error {
	return permission.Audit(ctx, db, pr, s.now(), action, objectType, id, detail)
}
