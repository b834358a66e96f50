// Package app wires Kiroku's engines into the example server: it opens the
// database, migrates it, builds the permission directory and engine, the
// customer and record services, the attachment store, the mailer, the plugin
// host and the outbox dispatcher, and creates the first tenant and
// administrator on first start. The web UI and the JSON API are built on the
// App it returns.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/api/schema"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/plugins"
	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/chart"
	"github.com/kirokuhq/kiroku/report/pdf"
	"github.com/kirokuhq/kiroku/report/pdf/font/bizud"
	"github.com/kirokuhq/kiroku/schedule"
)

// App is the running server's state: every engine, bound to one database.
type App struct {
	Config Config
	DB     *bun.DB
	Logger *slog.Logger
	Clock  func() time.Time
	Dir    *permission.Directory
	// Staff caches the principals of signed-in staff (Principal and
	// StaffUser): a request costs one read of the tenant's directory
	// version while the directory does not change.
	Staff     *permission.PrincipalCache
	Authz     *permission.Engine
	Customers *customer.Service
	Records   *contactlog.Service
	Reports   *report.Service
	// Catalog is the tenant's catalog of products and services
	// (カテゴリー管理), what 利用歴 purchases are chosen from.
	Catalog *catalog.Service
	// Schedule is the schedule engine: appointments, the calendar and its
	// feeds, requests, alerts and notices.
	Schedule  *schedule.Service
	Templates *template.Registry
	// TemplateStore keeps the tenants' own templates: Templates serves
	// them, administrators save through it.
	TemplateStore *template.Store
	Plugins       *plugins.Host
	// PDF makes the PDF downloads of records and customer histories (web
	// pages and API routes), in BIZ UDGothic.
	PDF  *pdf.Exporter
	Auth *auth.Store
	// Tokens keeps the API tokens (the JSON API's bearer credentials and
	// their pages), their lookup prepared like the session's.
	Tokens *auth.Tokens
	// Portal is the customer portal's principal-scoped handle (staff
	// invitations and unlocks, a customer's own account).
	Portal *portal.Service
	// PortalAuth is the portal's trusted handle, for the customer-side
	// handlers that run before a customer is authenticated (registration,
	// login, sessions, password reset) — and the dispatcher.
	PortalAuth *portal.System
	// Mailer sends the server's own mails (password links); the record
	// engine's notifications use the same one.
	Mailer mail.Sender
	// Blobs is the attachment store (encrypted when Config.EncryptionKey
	// is set); the web UI also spools the files of a form being written
	// there, under its own prefix.
	Blobs blob.Store
	// Metrics serves the engines' counters in the Prometheus text format
	// (server.Handler mounts it at /metrics behind Config.MetricsToken).
	Metrics http.Handler

	dispatcher *outbox.Dispatcher
	system     *contactlog.System
	telemetry  *telemetry
	stop       context.CancelFunc
	wg         sync.WaitGroup
	ownDB      bool
}

// Options are what tests and tools change besides the Config.
type Options struct {
	// DB, when set, is used instead of opening Config's database (tests);
	// the App does not close it.
	DB *bun.DB
	// Clock. Default time.Now.
	Clock func() time.Time
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Mailer replaces the configured one (tests).
	Mailer mail.Sender
	// NoDispatcher keeps the outbox dispatcher from running (tests that
	// deliver with RunOutbox).
	NoDispatcher bool
	// Auth configures the session store (tests shorten its clocks).
	Auth *auth.Config
}

// Migrations are the server's own tables, after the engines'.
var Migrations = []migration.Set{auth.Migrations, schema.Migrations}

// Open builds the App: database, migrations, engines, plugin host (started),
// and the dispatcher (running until Close).
func Open(ctx context.Context, cfg Config, opts Options) (a *App, err error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	a = &App{Config: cfg, Clock: opts.Clock, Logger: opts.Logger}
	if a.Clock == nil {
		a.Clock = time.Now
	}
	if a.Logger == nil {
		a.Logger = slog.Default()
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if opts.DB != nil {
		a.DB = opts.DB
	} else {
		if a.DB, err = openDB(ctx, cfg); err != nil {
			return a, err
		}
		a.ownDB = true
	}
	if err := Migrate(ctx, a.DB); err != nil {
		return a, fmt.Errorf("migrate: %w", err)
	}
	if a.telemetry, err = newTelemetry(ctx, cfg); err != nil {
		return a, fmt.Errorf("telemetry: %w", err)
	}
	a.Metrics = a.telemetry.metrics
	if a.Dir, err = permission.NewDirectory(a.DB, a.Clock); err != nil {
		return a, err
	}
	a.Staff = permission.NewPrincipalCache(a.Dir, 0)
	if a.Authz, err = permission.NewEngine(a.DB); err != nil {
		return a, err
	}
	if a.TemplateStore, err = template.NewStore(a.DB, &template.Config{Clock: a.Clock}); err != nil {
		return a, err
	}
	a.Templates = template.NewRegistry(a.TemplateStore)
	pluginDir := ""
	if fi, err := os.Stat(cfg.PluginDir); err == nil && fi.IsDir() {
		pluginDir = cfg.PluginDir
	}
	// The plugins' menus are merged into the tenant catalog on install.
	if a.Catalog, err = catalog.NewService(a.DB, &catalog.Config{Clock: a.Clock}); err != nil {
		return a, err
	}
	if a.Plugins, err = plugins.New(&plugins.Config{Dir: pluginDir, Templates: a.Templates, DB: a.DB, Catalog: a.Catalog,
		Clock: a.Clock, Logger: a.Logger,
		TracerProvider: a.telemetry.tracerProvider(), MeterProvider: a.telemetry.meters}); err != nil {
		return a, fmt.Errorf("plugins: %w", err)
	}
	if err := a.Plugins.Start(ctx); err != nil {
		return a, fmt.Errorf("plugins: %w", err)
	}
	var blobs blob.Store
	if blobs, err = blob.NewLocal(filepath.Join(cfg.DataDir, "files")); err != nil {
		return a, fmt.Errorf("attachment store: %w", err)
	}
	if cfg.EncryptionKey != nil {
		if blobs, err = blob.NewEncrypted(blobs, cfg.EncryptionKey); err != nil {
			return a, fmt.Errorf("attachment encryption: %w", err)
		}
	}
	a.Blobs = blobs
	mailer := opts.Mailer
	if mailer == nil {
		if mailer, err = newMailer(cfg, a.Clock); err != nil {
			return a, fmt.Errorf("mail: %w", err)
		}
	}
	a.Mailer = mailer
	if a.Customers, err = customer.NewService(a.DB, &customer.Config{Authorizer: a.Authz, Clock: a.Clock,
		Events: a.Plugins, TracerProvider: a.telemetry.tracerProvider(), Blobs: blobs,
		// Imports on PostgreSQL go through COPY (unused on SQLite).
		Copier: dbopen.Copier{}}); err != nil {
		return a, err
	}
	from := mail.Address{Name: "Kiroku", Email: cfg.MailFrom}
	if cfg.MailFrom == "" {
		from.Email = "kiroku@localhost"
	}
	customerSystem, err := customer.NewSystem(a.DB)
	if err != nil {
		return a, err
	}
	// The statements of the calendar, the top page and a page's record
	// details that bind their values are prepared once per connection on
	// PostgreSQL, unless a transaction-mode pooler is in front of it.
	statements, err := dbopen.StatementCache(ctx, a.DB)
	if err != nil {
		return a, err
	}
	recordsCfg := &contactlog.Config{
		StatementCache: statements, Authorizer: a.Authz, Directory: a.Dir, Templates: a.Templates, Customers: customerSystem, Clock: a.Clock, Blobs: blobs,
		Mailer: mailer, MailFrom: from, Plugins: a.Plugins, Events: a.Plugins, Channels: a.Plugins.Channels(),
		RecordURL: func(_, id uuid.UUID) string { return cfg.BaseURL + "/records/" + id.String() },
	}
	if a.Records, err = contactlog.NewService(a.DB, recordsCfg); err != nil {
		return a, err
	}
	if a.Reports, err = report.NewService(a.DB, &report.Config{Records: a.Records, Authorizer: a.Authz, Clock: a.Clock, Catalog: a.Catalog}); err != nil {
		return a, err
	}
	// A customer's history of one template carries the automatic charts of
	// exactly the records the PDF holds (staff only, as on the customer
	// page).
	charts := func(ctx context.Context, cust uuid.UUID, tmpl string, recs []contactlog.Record) ([]chart.Spec, error) {
		if p, _ := permission.FromContext(ctx); !p.IsStaff() {
			return nil, nil
		}
		h, err := a.Reports.ChartRecords(ctx, tmpl, recs)
		if err != nil {
			return nil, err
		}
		return h.Charts, nil
	}
	if a.PDF, err = pdf.NewExporter(a.DB, &pdf.Config{Records: a.Records, Customers: a.Customers, Directory: a.Dir, Font: bizud.Regular(), Clock: a.Clock,
		Charts: charts, PhotoDPI: cfg.PDFPhotoDPI}); err != nil {
		return a, err
	}
	// The trusted handle stays here: only the dispatcher and the plugin
	// host get it, never the request handlers.
	system, err := contactlog.NewSystem(a.DB, recordsCfg)
	if err != nil {
		return a, err
	}
	scheduleCfg := &schedule.Config{Authorizer: a.Authz, Directory: a.Dir, Clock: a.Clock, Records: a.Records, Customers: a.Customers,
		Mailer: mailer, MailFrom: from, Channels: a.Plugins.Channels(), Logger: a.Logger, StatementCache: statements,
		AlertURL: func(_, cust uuid.UUID) string { return cfg.BaseURL + "/customers/" + cust.String() }}
	if a.Schedule, err = schedule.NewService(a.DB, scheduleCfg); err != nil {
		return a, err
	}
	scheduleSystem, err := schedule.NewSystem(a.DB, scheduleCfg)
	if err != nil {
		return a, err
	}
	a.system = system
	a.Auth = auth.NewStore(a.DB, a.Dir, authConfig(opts.Auth, a.Clock, cfg.LoginAddressLimit, statements))
	a.Tokens = auth.NewTokens(a.DB, a.Clock, statements)
	var sms notify.Channel
	if cfg.PortalSMSPlugin != "" {
		for _, ch := range a.Plugins.Channels() {
			if ch.Name() == cfg.PortalSMSPlugin {
				sms = ch
			}
		}
		if sms == nil {
			return a, fmt.Errorf("portal SMS: plugin %q is not a running notification plugin (one with a Notifier)", cfg.PortalSMSPlugin)
		}
	}
	portalCfg := &portal.Config{Authorizer: a.Authz, Directory: a.Dir, Clock: a.Clock, Mailer: mailer, MailFrom: from, BaseURL: cfg.BaseURL + "/portal", SMS: sms,
		StatementCache: statements}
	if a.Portal, err = portal.NewService(a.DB, portalCfg); err != nil {
		return a, err
	}
	if a.PortalAuth, err = portal.NewSystem(a.DB, portalCfg); err != nil {
		return a, err
	}
	handlers := system.Handlers()
	maps.Copy(handlers, a.PortalAuth.Handlers())
	maps.Copy(handlers, a.Plugins.EventHandlers(system))
	maps.Copy(handlers, scheduleSystem.Handlers())
	customers, err := customer.NewSystem(a.DB)
	if err != nil {
		return a, err
	}
	handlers[contactlog.TopicCollectOrphans] = a.collectOrphans(handlers[contactlog.TopicCollectOrphans], customers)
	if a.dispatcher, err = outbox.NewDispatcher(a.DB, handlers, &outbox.Config{
		Clock: a.Clock, Logger: a.Logger,
		TracerProvider: a.telemetry.tracerProvider(), MeterProvider: a.telemetry.meters}); err != nil {
		return a, err
	}
	if !opts.NoDispatcher {
		runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		a.stop = stop
		a.wg.Go(func() {
			if err := a.dispatcher.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.Logger.Error("outbox dispatcher stopped", "err", err)
			}
		})
		a.wg.Go(func() { _ = scheduleSystem.RunReminders(runCtx, time.Minute) })
		a.wg.Go(func() { a.scheduleOrphanCollections(runCtx) })
	}
	return a, nil
}

// Orphan-file collection: every process asks hourly (and at start) for
// each tenant's collection of the day; the outbox runs it once a day per
// tenant, in whichever process claims it. Files younger than a day are
// kept: they may belong to uploads in progress.
const (
	orphanScanInterval = time.Hour
	orphanAge          = 24 * time.Hour
)

// ScheduleOrphanCollection enqueues every tenant's orphan-file collection
// of the day (contactlog.System.ScheduleOrphanCollection); the dispatcher
// runs it.
func (a *App) ScheduleOrphanCollection(ctx context.Context) error {
	tenants, err := a.Dir.TenantIDs(ctx)
	if err != nil {
		return err
	}
	return a.system.ScheduleOrphanCollection(ctx, a.Clock(), orphanAge, tenants...)
}

// collectOrphans runs a tenant's collection of the day: the record
// engine's (records, its handler) and then the customers' profile files'
// (customers.CollectOrphanFiles), both as the system. A failure of either
// retries both; a collection that already ran finds nothing more to
// delete.
func (a *App) collectOrphans(records outbox.Handler, customers *customer.System) outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
		if err := records.Deliver(ctx, m); err != nil {
			return err
		}
		var p contactlog.OrphanCollectionPayload
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			return outbox.Permanent(fmt.Errorf("orphan collection payload: %w", err))
		}
		_, err := customers.CollectOrphanFiles(ctx, a.Customers, m.Tenant, p.OlderThan)
		return err
	})
}

// scheduleOrphanCollections calls ScheduleOrphanCollection every
// orphanScanInterval until ctx ends, logging failures.
func (a *App) scheduleOrphanCollections(ctx context.Context) {
	t := time.NewTicker(orphanScanInterval)
	defer t.Stop()
	for {
		if err := a.ScheduleOrphanCollection(ctx); err != nil && ctx.Err() == nil {
			a.Logger.Error("orphan file collection not scheduled", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// authConfig completes the auth store's config: the app's clock, the
// configured limit of failed logins per client address, API tokens
// revoked with the sessions, and the session lookup prepared once per
// connection (statements, dbopen.StatementCache's value).
func authConfig(c *auth.Config, clock func() time.Time, addressLimit int, statements any) *auth.Config {
	var out auth.Config
	if c != nil {
		out = *c
	}
	if out.StatementCache == nil {
		out.StatementCache = statements
	}
	if out.Clock == nil {
		out.Clock = clock
	}
	if out.AddressFailures == 0 {
		out.AddressFailures = addressLimit
	}
	if out.Revoke == nil {
		out.Revoke = func(ctx context.Context, tx bun.IDB, user uuid.UUID) error {
			return schema.RevokeTokens(ctx, tx, user, out.Clock())
		}
	}
	return &out
}

// Migrate creates or upgrades every table the server uses.
func Migrate(ctx context.Context, db *bun.DB) error {
	for _, m := range []func(context.Context, *bun.DB) error{capi.Migrate, plugins.Migrate, schedule.Migrate, portal.Migrate, catalog.Migrate} {
		if err := m(ctx, db); err != nil {
			return err
		}
	}
	return migration.Run(ctx, db, Migrations...)
}

// RunOutbox delivers the due outbox messages once (tests).
func (a *App) RunOutbox(ctx context.Context) (int, error) { return a.dispatcher.RunOnce(ctx) }

// DispatcherID names this process's dispatcher (in outbox claims).
func (a *App) DispatcherID() string { return a.dispatcher.InstanceID() }

// Close stops the dispatcher and the plugins and closes the database the App
// opened.
func (a *App) Close() {
	if a.stop != nil {
		a.stop()
	}
	a.wg.Wait()
	if a.Plugins != nil {
		a.Plugins.Close()
	}
	if a.telemetry != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.telemetry.shutdown(ctx); err != nil {
			a.Logger.Warn("telemetry shutdown", "err", err)
		}
	}
	if a.ownDB && a.DB != nil {
		_ = dbopen.Close(a.DB)
	}
}

// Principal returns the principal of an active staff user, with the tenant's
// settings (see permission.Directory.Principal), through the cache Staff.
func (a *App) Principal(ctx context.Context, tenant, user uuid.UUID) (permission.Principal, error) {
	p, _, err := a.Staff.Lookup(ctx, tenant, user)
	return p, err
}

// openDB opens the configured database: PostgreSQL when a DSN is set,
// otherwise SQLite in the data directory.
func openDB(ctx context.Context, cfg Config) (*bun.DB, error) {
	if cfg.Postgres == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, err
		}
	}
	return dbopen.Open(ctx, cfg.Postgres, filepath.Join(cfg.DataDir, "kiroku.db"))
}

// Where says which database the App uses, without credentials.
func (a *App) Where() string {
	if a.DB.Dialect().Name().String() == "pg" {
		return "PostgreSQL"
	}
	return "SQLite " + filepath.Join(a.Config.DataDir, "kiroku.db")
}
