package customer

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/trace"

	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/filestore"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/telemetry"
	"github.com/kirokuhq/kiroku/internal/vcache"
)

//go:embed migrations
var migrations embed.FS

// migrationSet is the customer engine's migration set; engines that build on
// customers run it before their own.
// It is registered (migration.Named) for the engines that migrate it with
// their own in one run.
var migrationSet = migration.Register(migration.Set{Name: "customer", FS: migrations})

// Migrate creates or upgrades the customer engine's tables. It is idempotent
// and safe when several processes run it at once. On PostgreSQL it holds a
// session-level advisory lock for the whole run, so db must reach the
// server directly or through a session-mode pooler, never a
// transaction-mode one (every other call of the engines is safe there).
// It migrates the permission engine's tables (directory, audit log) and the
// outbox (where events go) first.
func Migrate(ctx context.Context, db *bun.DB) error {
	sets, err := migration.Named("permission", "outbox")
	if err != nil {
		return err
	}
	return migration.Run(ctx, db, append(sets, migrationSet)...)
}

// Config configures a Service. The zero value (or nil) means defaults, except
// for Authorizer, which is required.
type Config struct {
	// Authorizer decides what each principal may see and do: every read
	// is filtered by its SQL predicate and every write checked. Required:
	// use permission.NewEngine, your own Authorizer, or, to opt out
	// explicitly (tests, single-user tools), permission.Unrestricted().
	Authorizer permission.Authorizer
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
	// Location is the time zone for day boundaries such as "a birthday may
	// not be later than today" and for export timestamps, used when the
	// principal carries none (Directory.Principal fills in the tenant's).
	// Default: Asia/Tokyo.
	Location *time.Location
	// MaxPageSize caps Query.Limit. Default: 200.
	MaxPageSize int
	// TotalCap is the most matches Query.WithTotal counts one by one:
	// beyond it Page.Total is an estimate or a lower bound (Page.TotalKind)
	// unless Query.ExactTotal asks for every match to be counted.
	// Default: 1 000.
	TotalCap int
	// ImportMaxBytes caps the size of an imported CSV file. Default: 32 MiB.
	ImportMaxBytes int64
	// ImportMaxRows caps the data rows of an imported CSV file.
	// Default: 100 000.
	ImportMaxRows int
	// KanaSuggester suggests readings of personal names for SuggestKana and
	// Import (see ImportReport.Suggested); customer/kana provides one.
	// Default: none; SuggestKana then suggests nothing and imports report
	// no suggestions.
	KanaSuggester KanaSuggester
	// Events names the subscribers of customer events (a plugins.Host):
	// each create, update, delete and restore of a customer, and each row
	// an import creates or updates, enqueues one TopicCustomerEvent
	// message per subscriber in the write's transaction. Default: none,
	// and no events are enqueued.
	Events outbox.Subscribers
	// ReadDB serves the reads that tolerate replication lag and write
	// nothing: Search, the reads of Export, and Lists. Point it at a read
	// replica: a database handle (not a transaction) of the same dialect.
	// A service bound by WithDB reads through that handle instead, and
	// every read that precedes a write uses the primary. Default: none,
	// and every query goes to the primary.
	ReadDB bun.IDB
	// Blobs stores the bytes of profile files (Files): blob.NewLocal, or
	// bucket.New of customer/blob/bucket, wrapped by blob.NewEncrypted for
	// encryption at rest. It may be the store contact records' attachments
	// use (their keys do not clash). Default: none, and Files calls fail
	// with ErrInvalid until one is configured.
	Blobs blob.Store
	// MaxFileSize caps one profile file, in bytes. Default: 30 MiB.
	MaxFileSize int64
	// MaxUploadSize caps the files of one Files.Add call together, in
	// bytes. Default: 30 MiB.
	MaxUploadSize int64
	// MaxImagePixels caps the pixels of an uploaded image (width × height)
	// before it is decoded. Default: 50 million.
	MaxImagePixels int
	// Copier bulk-loads the rows Import creates on PostgreSQL (COPY …
	// FROM STDIN) through the embedder's driver; see Copier. It is used
	// when the service is not bound to a caller's transaction (WithDB).
	// Default: none, and Import writes multi-row INSERTs.
	Copier Copier
	// TracerProvider makes a span for each Import and Export.
	// Default: none, and no spans are made.
	TracerProvider trace.TracerProvider
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
	if out.Location == nil {
		out.Location = jpdate.Tokyo()
	}
	if out.MaxPageSize == 0 {
		out.MaxPageSize = 200
	}
	if out.TotalCap == 0 {
		out.TotalCap = storage.DefaultTotalCap
	}
	if out.ImportMaxBytes == 0 {
		out.ImportMaxBytes = 32 << 20
	}
	if out.ImportMaxRows == 0 {
		out.ImportMaxRows = 100_000
	}
	if out.MaxFileSize == 0 {
		out.MaxFileSize = 30 << 20
	}
	if out.MaxUploadSize == 0 {
		out.MaxUploadSize = 30 << 20
	}
	if out.MaxImagePixels == 0 {
		out.MaxImagePixels = 50_000_000
	}
	return out
}

func (c *Config) validate() error {
	if c.Authorizer == nil {
		return fmt.Errorf("customer: config: Authorizer is required (permission.NewEngine, or permission.Unrestricted() to opt out): %w", ErrInvalid)
	}
	if c.MaxPageSize < 1 || c.ImportMaxBytes < 1 || c.ImportMaxRows < 1 ||
		c.MaxFileSize < 1 || c.MaxUploadSize < 1 || c.MaxImagePixels < 1 {
		return fmt.Errorf("customer: config: limits must be positive: %w", ErrInvalid)
	}
	if c.TotalCap < 1 {
		return fmt.Errorf("customer: config: TotalCap must be positive, got %d: %w", c.TotalCap, ErrInvalid)
	}
	return nil
}

// Service is the customer engine. It is safe for concurrent use. A
// Service on a *bun.DB keeps each tenant's ranks, custom fields and
// settings in memory, read again when the tenant version moves
// (permission.Directory.Version; every change of them advances it in its
// transaction), so that a change made by any process is seen at the next
// read.
type Service struct {
	db      bun.IDB
	read    bun.IDB // Config.ReadDB, or db
	dialect storage.Dialect
	cfg     Config
	authz   permission.Authorizer
	tracer  trace.Tracer
	// copy is the connection of an import's transaction when rows go
	// through Config.Copier (see copyConn); nil otherwise.
	copy *sql.Conn
	// settingsCache holds the tenants' settings by tenant version (see
	// Service.settings); nil when s is bound to a transaction, whose
	// uncommitted reads must not be kept.
	settingsCache *vcache.Cache[uuid.UUID, *settings]
}

// NewService returns a customer engine on db (a *bun.DB, or a bun.Tx).
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
		return nil, fmt.Errorf("customer: config: %w", err)
	}
	svc := &Service{db: db, read: read, dialect: d, cfg: c, authz: c.Authorizer,
		tracer: telemetry.Tracer(c.TracerProvider, "customer")}
	if _, ok := db.(*bun.DB); ok {
		svc.settingsCache = vcache.New[uuid.UUID, *settings](0)
	}
	return svc, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared with
// other engines so that several writes commit or roll back together.
// Reads then go through db too, never through Config.ReadDB, and so do the
// authorizer's (permission.BindAuthorizer).
func (s *Service) WithDB(db bun.IDB) *Service {
	c := *s
	c.db, c.read = db, db
	c.authz = permission.BindAuthorizer(s.authz, db)
	c.settingsCache = nil
	return &c
}

// reader returns a copy of s whose queries go to the read replica, for the
// calls that tolerate lag and write nothing.
func (s *Service) reader() *Service {
	c := *s
	c.db = s.read
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

func (s *Service) today(pr permission.Principal) date.Date {
	return date.Of(s.cfg.Clock().In(s.location(pr)))
}

var gramIndex = storage.GramIndex{Column: "grams", Table: "customers", Doc: "gram_doc", FTS: "customer_grams_fts"}

// insertRows writes new customer rows with their search grams.
func (s *Service) insertRows(ctx context.Context, tx bun.IDB, rows []row) error {
	w, err := s.newRowWriter(tx)
	if err != nil {
		return err
	}
	return errors.Join(w.insert(ctx, rows), w.close())
}

// rowColumns are the customers columns that an insert writes, in the
// order of row.values, the last, grams, standing for the column of the
// row's part of the search index (storage.GramIndex.RowColumn: grams on
// PostgreSQL, gram_doc on SQLite). They are every column of row's bun
// model (a test checks it).
var rowColumns = []string{"id", "tenant_id", "kind", "status", "family_name", "given_name", "family_kana", "given_kana",
	"company_name", "company_kana", "department", "email", "mobile", "phone", "birthday", "gender", "postal_code",
	"address", "contact_method", "decision_maker", "rank", "memo", "custom_fields", "consent_at", "consent_by",
	"created_at", "created_by", "updated_at", "updated_by", "deleted_at", "deleted_by", "version",
	"name_key", "sort_kana", "search_text", "phone_digits", "mobile_digits", "email_key", "grams"}

// values appends the values of r's rowColumns to b, index (its value of
// storage.GramWriter.Carry) last.
func (r *row) values(b []any, index any) ([]any, error) {
	custom := "{}" // most rows have none
	if len(r.Custom) > 0 {
		j, err := json.Marshal(r.Custom)
		if err != nil {
			return nil, fmt.Errorf("customer %s: custom fields: %w", r.ID, err)
		}
		custom = string(j)
	}
	var birthday any
	if r.Birthday != nil {
		birthday = *r.Birthday
	}
	b = append(b, r.ID, r.Tenant, string(r.Kind), string(r.Status), r.FamilyName, r.GivenName, r.FamilyKana, r.GivenKana,
		r.CompanyName, r.CompanyKana, r.Department, r.Email, r.Mobile, r.Phone, birthday, string(r.Gender), r.PostalCode,
		r.Address, string(r.ContactMethod), r.DecisionMaker, r.Rank, r.Memo, custom, orNull(r.ConsentAt), orNull(r.ConsentBy),
		r.CreatedAt, r.CreatedBy, r.UpdatedAt, r.UpdatedBy, orNull(r.DeletedAt), orNull(r.DeletedBy), r.Version,
		r.NameKey, r.SortKana, r.SearchText, r.PhoneDigits, r.MobileDigits, r.EmailKey, index)
	return b, nil
}

// orNull is *p, or nil (NULL) for a nil p.
func orNull[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// rowWriter inserts new customer rows with their search grams, batch after
// batch, through statements built once (storage.Bulk).
type rowWriter struct {
	customers tableWriter
	index     *storage.GramWriter
	values    []any
}

// newRowWriter returns a rowWriter on tx (through Config.Copier when s.copy
// is set); close it before tx ends.
func (s *Service) newRowWriter(tx bun.IDB) (*rowWriter, error) {
	w := &rowWriter{}
	cols := append(rowColumns[:len(rowColumns)-1:len(rowColumns)-1], gramIndex.RowColumn(s.dialect))
	var err error
	if w.customers, err = s.tableWriter(tx, storage.BulkInsert{Table: "customers", Columns: cols,
		Casts: map[string]string{"grams": "text[]", "custom_fields": "jsonb"}}); err != nil {
		return nil, err
	}
	if w.index, err = gramIndex.Writer(tx); err != nil {
		return nil, errors.Join(err, w.customers.Close())
	}
	return w, nil
}

// insert writes rows and indexes their grams.
func (w *rowWriter) insert(ctx context.Context, rows []row) error {
	grams := make([]storage.Grams, len(rows))
	for i := range rows {
		grams[i] = rows[i].Grams
	}
	index, err := w.index.Carry(ctx, grams)
	if err != nil {
		return err
	}
	values := w.values[:0]
	for i := range rows {
		if values, err = rows[i].values(values, index[i]); err != nil {
			return err
		}
	}
	w.values = values[:0]
	defer clear(values)
	if err := w.customers.Exec(ctx, values); err != nil {
		return err
	}
	return w.index.Index(ctx)
}

// close releases the writer's statements.
func (w *rowWriter) close() error {
	return errors.Join(w.customers.Close(), w.index.Close())
}

// Create stores a new customer. Problems with the profile come back as one
// *ValidationError listing them all.
func (s *Service) Create(ctx context.Context, p Profile) (*Customer, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Check(ctx, pr, permission.ActionCreate, &permission.CustomerObject{Tenant: pr.Tenant}); err != nil {
		return nil, fmt.Errorf("customer: create: %w", err)
	}
	st, err := s.settings(ctx, pr.Tenant)
	if err != nil {
		return nil, err
	}
	if v := normalize(&p, st, s.today(pr)); v.Err() != nil {
		return nil, fmt.Errorf("customer: create: %w", v)
	}
	if len(p.Assignees) == 0 {
		p.Assignees = []uuid.UUID{pr.User}
	}
	r := s.newRow(pr, p)
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if err := s.insertRows(ctx, tx, []row{r}); err != nil {
			return err
		}
		if err := s.setAssignees(ctx, tx, pr, r.ID, nil, p.Assignees, uuid.Nil); err != nil {
			return err
		}
		if err := s.enqueueEvents(ctx, tx, s.event(r.Tenant, r.ID, r.Version, EventCustomerCreated)); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "create", r.ID, "")
	})
	if err != nil {
		return nil, fmt.Errorf("customer: create: %w", err)
	}
	c := r.Customer
	return &c, nil
}

// newRow builds the row of a new customer from a normalized profile.
func (s *Service) newRow(pr permission.Principal, p Profile) row {
	r := s.newRowUnderived(pr, p)
	derive(&r, s.dialect)
	return r
}

// newRowUnderived is newRow without derive (the search columns), for an
// import, which derives its rows in parallel.
func (s *Service) newRowUnderived(pr permission.Principal, p Profile) row {
	now := s.now()
	r := row{Customer: Customer{
		ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Profile: p,
		CreatedAt: now, CreatedBy: pr.User, UpdatedAt: now, UpdatedBy: pr.User, Version: 1,
	}}
	if p.Consent {
		r.ConsentAt, r.ConsentBy = &now, &pr.User
	}
	if r.Custom == nil {
		r.Custom = map[string]any{}
	}
	return r
}

// Get returns a customer that is not deleted and that the principal may
// see (ErrNotFound otherwise). The read is recorded in the audit log.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Customer, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.get(ctx, s.db, pr, id, false)
	if err == nil {
		err = s.audit(ctx, s.db, pr, string(permission.ActionView), id, "")
	}
	if err != nil {
		return nil, fmt.Errorf("customer: get %s: %w", id, err)
	}
	return c, nil
}

// Names returns the display names (Customer.DisplayName) of the customers
// among ids that the principal may see, by ID, in one query: what a list of
// records or a report shows beside each row. Hidden, deleted and unknown
// IDs have no entry. Unlike Get it writes no audit entry: a name is not the
// personal data a profile view is.
func (s *Service) Names(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Customer
	q := s.db.NewSelect().Model((*row)(nil)).
		Column("c.id", "c.kind", "c.family_name", "c.given_name", "c.company_name").
		Where("c.tenant_id = ?", pr.Tenant).Where("c.id IN (?)", bun.List(ids)).Where("c.deleted_at IS NULL")
	if err := s.visible(ctx, pr, q); err != nil {
		return nil, fmt.Errorf("customer: names: %w", err)
	}
	if err := q.Scan(ctx, &cs); err != nil {
		return nil, fmt.Errorf("customer: names: %w", storage.Err(err))
	}
	for i := range cs {
		out[cs[i].ID] = cs[i].DisplayName()
	}
	return out, nil
}

// get loads a customer the principal may see.
func (s *Service) get(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID, deleted bool) (*Customer, error) {
	var r row
	q := db.NewSelect().Model(&r).ExcludeColumn("grams").Where("c.id = ?", id)
	if deleted {
		q = q.Where("c.deleted_at IS NOT NULL")
	} else {
		q = q.Where("c.deleted_at IS NULL")
	}
	if err := s.visible(ctx, pr, q); err != nil {
		return nil, err
	}
	if err := q.Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	cs := []Customer{r.Customer}
	if err := loadAssignees(ctx, db, pr.Tenant, cs); err != nil {
		return nil, err
	}
	return &cs[0], nil
}

// visible restricts q (over customers aliased c) to what pr may see.
func (s *Service) visible(ctx context.Context, pr permission.Principal, q *bun.SelectQuery) error {
	pred, err := s.authz.Predicate(ctx, pr, &permission.CustomerTable{Alias: "c"})
	if err != nil {
		return err
	}
	pred.Apply(q)
	return nil
}

// check asks the authorizer about one customer.
func (s *Service) check(ctx context.Context, pr permission.Principal, a permission.Action, c *Customer, newAssignees []uuid.UUID) error {
	return s.authz.Check(ctx, pr, a, &permission.CustomerObject{Tenant: c.Tenant, ID: c.ID, Assignees: c.Assignees, NewAssignees: newAssignees})
}

// audit records an action on a customer in the audit log, through db (the
// transaction of the change).
func (s *Service) audit(ctx context.Context, db bun.IDB, pr permission.Principal, action string, id uuid.UUID, detail string) error {
	return permission.Audit(ctx, db, pr, s.now(), action, "customer", id, detail)
}

// loadAssignees fills Assignees and Consent of cs with one query.
func loadAssignees(ctx context.Context, db bun.IDB, tenant uuid.UUID, cs []Customer) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(cs))
	at := make(map[uuid.UUID]int, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
		at[cs[i].ID] = i
		cs[i].Consent = cs[i].ConsentAt != nil
		cs[i].Assignees = []uuid.UUID{}
	}
	var as []assigneeRow
	if err := db.NewSelect().Model(&as).Where("tenant_id = ?", tenant).
		Where("customer_id IN (?)", bun.List(ids)).Order("assigned_at", "user_id").Scan(ctx); err != nil {
		return storage.Err(err)
	}
	for _, a := range as {
		c := &cs[at[a.Customer]]
		c.Assignees = append(c.Assignees, a.User)
	}
	return nil
}

// Update replaces the profile of customer id. version must be the version
// the caller read; if the customer changed since, Update fails with
// ErrConflict and changes nothing. Changing the assignees needs the right to
// reassign (see SetAssignees).
func (s *Service) Update(ctx context.Context, id uuid.UUID, version int64, p Profile) (*Customer, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.settings(ctx, pr.Tenant)
	if err != nil {
		return nil, err
	}
	if v := normalize(&p, st, s.today(pr)); v.Err() != nil {
		return nil, fmt.Errorf("customer: update %s: %w", id, v)
	}
	var out *Customer
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.get(ctx, tx, pr, id, false)
		if err != nil {
			return err
		}
		if err := s.check(ctx, pr, permission.ActionEdit, cur, nil); err != nil {
			return err
		}
		if cur.Version != version {
			return ErrConflict
		}
		if !idset.Same(cur.Assignees, p.Assignees) {
			if err := s.check(ctx, pr, permission.ActionReassign, cur, p.Assignees); err != nil {
				return err
			}
		}
		r := row{Customer: *cur}
		r.Profile = p
		r.UpdatedAt, r.UpdatedBy, r.Version = s.now(), pr.User, version+1
		switch {
		case p.Consent && cur.ConsentAt == nil:
			r.ConsentAt, r.ConsentBy = &r.UpdatedAt, &pr.User
		case !p.Consent:
			r.ConsentAt, r.ConsentBy = nil, nil
		}
		derive(&r, s.dialect)
		q := tx.NewUpdate().Model(&r).
			ExcludeColumn("id", "tenant_id", "created_at", "created_by", "deleted_at", "deleted_by").
			Where("c.id = ?", id).Where("c.tenant_id = ?", pr.Tenant).Where("c.version = ?", version)
		if !gramIndex.Writes(s.dialect) {
			q = q.ExcludeColumn("grams")
		}
		res, err := q.Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		if err := gramIndex.Save(ctx, tx, pr.Tenant, []storage.GramSet{{Owner: id, Grams: r.Grams}}); err != nil {
			return err
		}
		if err := s.setAssignees(ctx, tx, pr, id, cur.Assignees, p.Assignees, uuid.Nil); err != nil {
			return err
		}
		if err := s.enqueueEvents(ctx, tx, s.event(pr.Tenant, id, r.Version, EventCustomerUpdated)); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, pr, string(permission.ActionEdit), id, ""); err != nil {
			return err
		}
		c := r.Customer
		out = &c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("customer: update %s: %w", id, err)
	}
	return out, nil
}

// Delete moves a customer to the trash (soft delete): it disappears from
// Get and Search (unless Query.Deleted) and can be restored.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	return s.setDeleted(ctx, "delete", id, true)
}

// Restore brings a deleted customer back; its event is an update
// (EventCustomerUpdated).
func (s *Service) Restore(ctx context.Context, id uuid.UUID) error {
	return s.setDeleted(ctx, "restore", id, false)
}

func (s *Service) setDeleted(ctx context.Context, op string, id uuid.UUID, deleted bool) error {
	pr, err := permission.Require(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.get(ctx, tx, pr, id, !deleted)
		if err != nil {
			return err
		}
		if err := s.check(ctx, pr, permission.ActionDelete, cur, nil); err != nil {
			return err
		}
		if err := storage.SetDeleted(ctx, tx, (*row)(nil), pr.Tenant, id, cur.Version, pr.User, s.now(), deleted); err != nil {
			return err
		}
		kind := EventCustomerUpdated
		if deleted {
			kind = EventCustomerDeleted
		}
		if err := s.enqueueEvents(ctx, tx, s.event(pr.Tenant, id, cur.Version+1, kind)); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, op, id, "")
	})
	if err != nil {
		return fmt.Errorf("customer: %s %s: %w", op, id, err)
	}
	return nil
}

// Purge erases a customer for real, deleted or not, with its assignees,
// assignment history, list memberships, search index and profile files
// (personal-data erasure; the files' bytes are deleted once the purge
// commits, or left to Files.CollectOrphans when bound to a caller's
// transaction). Admins only. The audit log keeps that it happened (an ID,
// no personal data).
func (s *Service) Purge(ctx context.Context, id uuid.UUID) error {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	var keys []string
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if keys, err = fileKeysOf(ctx, tx, pr.Tenant, id); err != nil {
			return err
		}
		q := tx.NewDelete().Model((*row)(nil)).Where("id = ?", id).Where("tenant_id = ?", pr.Tenant)
		res, err := q.Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "purge", id, "")
	})
	if err == nil && len(keys) > 0 {
		var store blob.Store
		if store, err = s.blobs(); err == nil {
			err = filestore.Drop(ctx, s.db, store, keys)
		}
	}
	if err != nil {
		return fmt.Errorf("customer: purge %s: %w", id, err)
	}
	return nil
}
