package contactlog

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/media"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/vcache"
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

// migrationSet is the contact-record engine's migration set.
var migrationSet = migration.Register(migration.Set{Name: "contactlog", FS: migrations})

// Migrate creates or upgrades the engine's tables and those it depends on
// (permission, customer, template, the outbox, the tenant catalog of
// contactlog/catalog, which lines of records name). Idempotent; safe from
// several processes at once. On PostgreSQL it holds a session-level
// advisory lock for the whole run, so db must reach the server directly or
// through a session-mode pooler, never a transaction-mode one (every other
// call of the engines is safe there).
func Migrate(ctx context.Context, db *bun.DB) error {
	sets, err := migration.Named("permission", "customer", "template", "outbox", "catalog")
	if err != nil {
		return err
	}
	return migration.Run(ctx, db, append(sets, migrationSet)...)
}

// Config configures a Service and a System. The engine builds none of its
// dependencies: Authorizer, Directory and Templates are required, and
// Customers is required by NewSystem. Every other zero field means its
// default.
type Config struct {
	// Authorizer decides what each principal may see and do: every list is
	// filtered by its SQL predicate and every write checked. Required: use
	// permission.NewEngine, your own Authorizer, or, to opt out explicitly
	// (tests, single-user tools), permission.Unrestricted().
	Authorizer permission.Authorizer
	// Directory is the staff directory (permission.NewDirectory on the
	// same database): the recipients of report-to notifications and
	// MailRecord, and the tenant and users that events carry. Required.
	Directory *permission.Directory
	// Templates finds record templates by key and version: normally
	// template.NewRegistry over a template.Store on the same database (the
	// built-in templates and the tenant's own), where the plugin host
	// registers its sources too. Required.
	Templates *template.Registry
	// Customers is the customer engine's trusted handle
	// (customer.NewSystem on the same database), from which a System loads
	// the customer of record, customer and timer events. Required by
	// NewSystem; NewService does not use it.
	Customers *customer.System
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
	// Location is the time zone for template date values and day
	// boundaries, used when the principal carries none
	// (Directory.Principal fills in the tenant's). Default: Asia/Tokyo.
	Location *time.Location
	// MaxPageSize caps the page size of searches and timelines.
	// Default: 200.
	MaxPageSize int
	// TotalCap is the most matches Query.WithTotal counts one by one:
	// beyond it Page.Total is an estimate or a lower bound (Page.TotalKind)
	// unless Query.ExactTotal asks for every match to be counted.
	// Default: 1 000.
	TotalCap int

	// Blobs stores attachment bytes (blob.NewLocal, or bucket.New of
	// customer/blob/bucket, optionally wrapped by blob.NewEncrypted).
	// Default: none, and attachment calls fail with ErrInvalid until one is
	// configured.
	Blobs blob.Store
	// MaxAttachmentSize caps one attachment, in bytes. Default: 30 MiB.
	MaxAttachmentSize int64
	// MaxUploadSize caps the files of one Attachments.Add call together, in
	// bytes. Default: 30 MiB.
	MaxUploadSize int64
	// MaxImagePixels caps the pixels of an uploaded image (width × height)
	// before it is decoded. Default: 50 million.
	MaxImagePixels int

	// Mailer sends the mails of report-to notifications and of MailRecord
	// (mail.NewSMTP, or your own mail.Sender). Default: none, and those
	// deliveries fail (and are retried) until one is configured.
	Mailer mail.Sender
	// MailFrom is the author of those mails. Default: the Mailer's own
	// default (mail.SMTPConfig.From).
	MailFrom mail.Address
	// RecordURL returns the link to a record put into mails, e.g.
	// "https://crm.example.jp/records/<id>". Default: no link.
	RecordURL func(tenant, record uuid.UUID) string
	// Channels deliver report-to notifications and event subscribers'
	// notifications besides mail, each once per recipient (TopicChannel;
	// a plugins.Host's Channels). Names must be unique, non-empty and
	// without ':'. Default: none.
	Channels []notify.Channel

	// Plugins runs the validate and compute hooks of plugin templates on
	// every create and update (a plugins.Host). Default: none, and records
	// of plugin templates are checked by their template alone.
	Plugins RecordPlugins
	// Events names the subscribers of record events (a plugins.Host): each
	// create, update, delete and restore of a record enqueues one
	// TopicRecordEvent message per subscriber in the write's transaction.
	// Default: none, and no events are enqueued.
	Events outbox.Subscribers
	// ReadDB serves the reads that tolerate replication lag and write
	// nothing: Search, Timeline, History and CustomerStatuses. Point it at
	// a read replica: a database handle (not a transaction) of the same
	// dialect. A service bound by WithDB reads through that handle
	// instead, and every read that precedes a write uses the primary.
	// Default: none, and every query goes to the primary.
	ReadDB bun.IDB
	// StatementCache, when set, is given to the database driver before
	// the arguments of the statements that load the details of a page of
	// records — their people and scopes, attachments and comment counts,
	// read for every list of records —, whose IDs are bound as parameters
	// on PostgreSQL instead of being written into their text: with pgx
	// (jackc/pgx/v5/stdlib), pgx.QueryExecModeCacheStatement has each
	// connection prepare them once, as schedule.Config.StatementCache
	// says. The records' own statement is not bound on PostgreSQL: its
	// plan depends on the values (a tenant's size, a term's frequency).
	// Leave it nil behind a transaction-mode pooler. Ignored on SQLite,
	// where the search's statements are always bound and prepared once
	// they have run twice. Default: nil.
	StatementCache any
}

// WithDefaults returns a copy of c (which may be nil) with every zero field
// that has a default set to it; the required dependencies stay as given.
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
	if out.TotalCap == 0 {
		out.TotalCap = storage.DefaultTotalCap
	}
	if out.MaxAttachmentSize == 0 {
		out.MaxAttachmentSize = blob.DefaultMaxSize
	}
	if out.MaxUploadSize == 0 {
		out.MaxUploadSize = blob.DefaultMaxSize
	}
	if out.MaxImagePixels == 0 {
		out.MaxImagePixels = media.DefaultMaxPixels
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.Authorizer == nil:
		return fmt.Errorf("contactlog: config: Authorizer is required (permission.NewEngine, or permission.Unrestricted() to opt out): %w", ErrInvalid)
	case c.Directory == nil:
		return fmt.Errorf("contactlog: config: Directory is required (permission.NewDirectory on the same database): %w", ErrInvalid)
	case c.Templates == nil:
		return fmt.Errorf("contactlog: config: Templates is required (template.NewRegistry over a template.Store on the same database): %w", ErrInvalid)
	}
	if c.MaxPageSize < 1 || c.MaxAttachmentSize < 1 || c.MaxUploadSize < 1 || c.MaxImagePixels < 1 {
		return fmt.Errorf("contactlog: config: limits must be positive: %w", ErrInvalid)
	}
	if c.TotalCap < 1 {
		return fmt.Errorf("contactlog: config: TotalCap must be positive, got %d: %w", c.TotalCap, ErrInvalid)
	}
	names := map[string]bool{}
	for _, ch := range c.Channels {
		n := ch.Name()
		if n == "" || strings.Contains(n, ":") || names[n] {
			return fmt.Errorf("contactlog: config: channel name %q is empty, has a ':' or is given twice: %w", n, ErrInvalid)
		}
		names[n] = true
	}
	return nil
}

// Service is the contact-record engine. It is safe for concurrent use. A
// Service on a *bun.DB keeps each tenant's masters in memory, read again
// when the tenant version moves (permission.Directory.Version; every
// change of them advances it in its transaction), so that a change made by
// any process is seen at the next read.
type Service struct {
	db        bun.IDB
	read      bun.IDB // Config.ReadDB, or db
	dialect   storage.Dialect
	cfg       Config
	authz     permission.Authorizer
	templates *template.Registry
	dir       *permission.Directory // the staff directory, for mail recipients
	// masterCache holds the tenants' masters by tenant version (see
	// Service.cachedMasters); nil when s is bound to a transaction, whose
	// uncommitted reads must not be kept.
	masterCache *vcache.Cache[uuid.UUID, map[MasterKind][]MasterItem]
	// reachCost is how many records walked cost as much as one reached
	// (see fromRelations): reachCost, which tests change.
	reachCost float64
}

// NewService returns the engine on db (a *bun.DB, or a bun.Tx).
func NewService(db bun.IDB, cfg *Config) (*Service, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	d, err := storage.Of(db)
	if err != nil {
		return nil, err
	}
	read, err := storage.ReadReplica(db, d, c.ReadDB)
	if err != nil {
		return nil, fmt.Errorf("contactlog: config: %w", err)
	}
	c.Customers = nil // a Service never holds the trusted handle
	svc := &Service{db: db, read: read, dialect: d, cfg: c, authz: c.Authorizer, templates: c.Templates, dir: c.Directory, reachCost: reachCost}
	if _, ok := db.(*bun.DB); ok {
		svc.masterCache = vcache.New[uuid.UUID, map[MasterKind][]MasterItem](0)
	}
	return svc, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines so that several writes commit or roll back together.
// Everything the copy reads and writes goes through db: its own queries
// (never Config.ReadDB), the authorizer's (permission.BindAuthorizer), the
// directory's, and the tenant templates (template.Registry.WithDB); the
// handles it returns (Masters, Attachments, Comments, ReportPatterns) are
// bound with it.
func (s *Service) WithDB(db bun.IDB) *Service {
	c := *s
	c.db, c.read = db, db
	c.authz = permission.BindAuthorizer(s.authz, db)
	c.dir = s.dir.WithDB(db)
	c.templates = s.templates.WithDB(db)
	c.masterCache = nil
	return &c
}

// reader returns a copy of s whose queries go to the read replica, for the
// calls that tolerate lag and write nothing.
func (s *Service) reader() *Service {
	c := *s
	c.db = s.read
	return &c
}

// Template returns the template key of the principal's tenant at version
// (0: the latest), from the registry the service validates records with
// (built-in, tenant and plugin templates). An unknown key is ErrNotFound.
func (s *Service) Template(ctx context.Context, key string, version int) (*template.Template, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.templates.Template(ctx, pr.Tenant, key, version)
}

// Templates returns the latest version of every template of the
// principal's tenant (built-in, tenant and plugin templates). When a
// plugin's source fails, the others are returned with the error.
func (s *Service) Templates(ctx context.Context) ([]template.Template, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.templates.Templates(ctx, pr.Tenant)
}

func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Microsecond) }

// location is the principal's tenant time zone, or the configured default.
func (s *Service) location(pr permission.Principal) *time.Location {
	if pr.Location != nil {
		return pr.Location
	}
	return s.cfg.Location
}

// audit records an action on a record in the audit log, through db (the
// transaction of the change).
func (s *Service) audit(ctx context.Context, db bun.IDB, pr permission.Principal, action string, objectType string, id uuid.UUID, detail string) error {
	return permission.Audit(ctx, db, pr, s.now(), action, objectType, id, detail)
}
