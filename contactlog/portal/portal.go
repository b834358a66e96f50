package portal

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Errors re-exported from Kiroku's shared vocabulary, and the portal's own.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrUnauthenticated  = kerr.ErrUnauthenticated

	// ErrBadCredentials is every failed login: unknown e-mail address,
	// wrong password, an account that is locked, deactivated or not yet
	// registered. It never says which.
	ErrBadCredentials = errors.New("portal: bad credentials")
	// ErrBadToken is an invitation or reset link that is unknown, used,
	// expired or revoked (it never says which).
	ErrBadToken = errors.New("portal: invalid or expired link")
	// ErrNoSession is a session token that is unknown, expired or ended, or
	// whose account may no longer log in.
	ErrNoSession = errors.New("portal: no session")
)

// ValidationError lists every field problem of an input.
type ValidationError = validation.Error

// Field codes of the portal, besides those of package validation.
const (
	// CodeRegistered: the customer has registered already; invitations
	// are for customers who have not (field "customer").
	CodeRegistered = "registered"
	// CodeDeactivated: the customer's access has been ended; restore it
	// first (field "customer").
	CodeDeactivated = "deactivated"
	// CodeTaken: the e-mail address is another portal account's login
	// (field "email").
	CodeTaken = "taken"
	// CodeTooShort: fewer characters than Param (field "password").
	CodeTooShort = "too_short"
	// CodeWeak: the password is too easy to guess (field "password"); Param
	// is the score reached and the score required, e.g. "1/2".
	CodeWeak = "weak"
	// CodeLettersDigits: the password lacks a letter or a digit (field
	// "password").
	CodeLettersDigits = "letters_and_digits"
	// CodeStale: the terms agreed to are not the tenant's current ones
	// (field "terms_version"); Param is the current version.
	CodeStale = "stale"
	// CodeWrongPassword: the current password given to confirm a change is
	// wrong (field "current_password").
	CodeWrongPassword = "wrong_password"
	// CodeNoSMS: the tenant has no SMS channel (Config.SMS is not set, or
	// does not serve the tenant: the plugin is not installed), so an
	// invitation cannot go by SMS (field "channel").
	CodeNoSMS = "no_sms"
)

//go:embed migrations
var migrations embed.FS

// migrationSet is the portal's migration set.
var migrationSet = migration.Register(migration.Set{Name: "portal", FS: migrations})

// Migrate creates or upgrades the portal's tables and those it depends on
// (contactlog's, which include the customers, the directory and the
// outbox). Idempotent; safe from several processes at once (on PostgreSQL
// db must reach the server directly or through a session-mode pooler).
func Migrate(ctx context.Context, db *bun.DB) error {
	if err := contactlog.Migrate(ctx, db); err != nil {
		return err
	}
	return migration.Run(ctx, db, migrationSet)
}

// Defaults of Config.
const (
	DefaultInvitationTTL    = 30 * 24 * time.Hour
	DefaultResetTTL         = time.Hour
	DefaultMaxFailures      = 5
	DefaultMinPasswordScore = 2
	DefaultSessionIdle      = 12 * time.Hour
	DefaultSessionLifetime  = 30 * 24 * time.Hour
	// MinPasswordLength is the fewest characters of a password (the
	// manual's 「英数8文字以上」).
	MinPasswordLength = 8
)

// DefaultTerms is the terms of use (利用規約) a tenant shows until it sets
// its own with SetTerms; agreeing to it records version 0.
const DefaultTerms = `お客様ページ利用規約

第1条（目的）
本規約は、当社が提供するお客様ページ（以下「本サービス」）の利用条件を定めるものです。

第2条（アカウント）
お客様は、ご自身で設定したパスワードを第三者に知られないよう管理するものとします。

第3条（閲覧できる情報）
本サービスでは、当社担当者がお客様に公開した面談記録とファイルを閲覧できます。

第4条（利用の停止）
ログインの失敗が続いた場合、安全のためアカウントを停止することがあります。解除は担当者にご依頼ください。

第5条（個人情報）
お客様の個人情報は、当社のプライバシーポリシーに従って取り扱います。`

// Config configures a Service and a System. The portal builds none of its
// dependencies: Authorizer and Directory are required. Every other zero
// field means its default.
type Config struct {
	// Authorizer decides which staff may invite a customer
	// (permission.ActionEdit on the customer), unlock, deactivate and
	// restore their account (permission.ActionUnlock), and which locked
	// accounts Locked lists (its SQL predicate). Required:
	// permission.NewEngine, or your own Authorizer.
	Authorizer permission.Authorizer
	// Directory is the staff directory (permission.NewDirectory on the
	// same database): the tenant's name and settings, the inviting staff
	// member's name and address. Required.
	Directory *permission.Directory
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
	// InvitationTTL is how long an invitation link stays valid.
	// Default: DefaultInvitationTTL (30 days).
	InvitationTTL time.Duration
	// ResetTTL is how long a password-reset link stays valid.
	// Default: DefaultResetTTL (1 hour).
	ResetTTL time.Duration
	// MaxFailures consecutive failed logins lock an account until staff
	// unlock it. Default: DefaultMaxFailures (5).
	MaxFailures int
	// MinPasswordScore is the lowest zxcvbn score (0–4) a password must
	// reach, the customer's name and e-mail address counting as guessable
	// words. Default: DefaultMinPasswordScore (2).
	MinPasswordScore int
	// SessionIdle ends a session not used for this long; SessionLifetime
	// ends every session this long after login. Defaults:
	// DefaultSessionIdle, DefaultSessionLifetime.
	SessionIdle, SessionLifetime time.Duration
	// BaseURL is the portal's address as customers reach it, without a
	// trailing slash; mails link to BaseURL+"/invitation/<token>",
	// BaseURL+"/reset/<token>" and BaseURL+"/login" (see the URL
	// methods). Default: "http://localhost:8080/portal".
	BaseURL string
	// Mailer sends the portal's mails (invitations, lock and unlock
	// notices, reset links). Default: none, and those deliveries fail (and
	// are retried) until one is configured.
	Mailer mail.Sender
	// MailFrom is the author of those mails; an invitation goes out in the
	// inviting staff member's name at this address, with their own address
	// as Reply-To. Default: the Mailer's own default.
	MailFrom mail.Address
	// SMS is the notification channel that sends text messages to mobile
	// phones (a plugin's: plugins.Host.Channels), for SendSMSInvitation.
	// When it implements notify.Scoped, only the tenants it serves can
	// invite by SMS. Default: none, and SMS invitations are refused with
	// CodeNoSMS.
	SMS notify.Channel
	// StatementCache, when set, is given to the database driver before
	// the arguments of Marks (read by every page that lists records) and
	// of System.Session's lookup (every portal request's first), whose IDs,
	// times and token hash are bound as parameters on PostgreSQL instead
	// of being written into its text: with pgx (jackc/pgx/v5/stdlib),
	// pgx.QueryExecModeCacheStatement has each connection prepare them
	// once. Leave it nil behind a transaction-mode pooler; it is ignored on
	// SQLite, where they are always bound and prepared, as
	// schedule.Config.StatementCache says. Default: nil.
	StatementCache any
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
	if out.InvitationTTL == 0 {
		out.InvitationTTL = DefaultInvitationTTL
	}
	if out.ResetTTL == 0 {
		out.ResetTTL = DefaultResetTTL
	}
	if out.MaxFailures == 0 {
		out.MaxFailures = DefaultMaxFailures
	}
	if out.MinPasswordScore == 0 {
		out.MinPasswordScore = DefaultMinPasswordScore
	}
	if out.SessionIdle == 0 {
		out.SessionIdle = DefaultSessionIdle
	}
	if out.SessionLifetime == 0 {
		out.SessionLifetime = DefaultSessionLifetime
	}
	if out.BaseURL == "" {
		out.BaseURL = "http://localhost:8080/portal"
	}
	out.BaseURL = strings.TrimSuffix(out.BaseURL, "/")
	return out
}

func (c *Config) validate() error {
	switch {
	case c.Authorizer == nil:
		return fmt.Errorf("portal: config: Authorizer is required: %w", ErrInvalid)
	case c.Directory == nil:
		return fmt.Errorf("portal: config: Directory is required (permission.NewDirectory on the same database): %w", ErrInvalid)
	case c.InvitationTTL < 0 || c.ResetTTL < 0 || c.SessionIdle < 0 || c.SessionLifetime < 0 || c.MaxFailures < 1:
		return fmt.Errorf("portal: config: durations and MaxFailures must be positive: %w", ErrInvalid)
	case c.MinPasswordScore < 0 || c.MinPasswordScore > 4:
		return fmt.Errorf("portal: config: MinPasswordScore must be 0..4: %w", ErrInvalid)
	}
	return nil
}

// core is what Service and System share: the database, the configuration
// and the directory.
type core struct {
	db    bun.IDB
	cfg   Config
	authz permission.Authorizer
	dir   *permission.Directory
}

func newCore(db bun.IDB, cfg *Config) (core, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return core{}, err
	}
	if _, err := storage.Of(db); err != nil {
		return core{}, err
	}
	return core{db: db, cfg: c, authz: c.Authorizer, dir: c.Directory}, nil
}

// withDB binds everything c reads and writes through to db: its own
// queries, the authorizer's and the directory's.
func (c core) withDB(db bun.IDB) core {
	c.db = db
	c.authz = permission.BindAuthorizer(c.authz, db)
	c.dir = c.dir.WithDB(db)
	return c
}

func (c core) now() time.Time { return c.cfg.Clock().UTC().Truncate(time.Microsecond) }

// Service is the portal's principal-scoped handle: staff invite customers
// and look after their accounts; a customer principal manages their own
// account. Every call takes the principal from ctx. Safe for concurrent use.
type Service struct{ core }

// NewService returns the principal-scoped handle on db (a *bun.DB, or a
// bun.Tx).
func NewService(db bun.IDB, cfg *Config) (*Service, error) {
	c, err := newCore(db, cfg)
	if err != nil {
		return nil, err
	}
	return &Service{c}, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines.
func (s *Service) WithDB(db bun.IDB) *Service { return &Service{s.withDB(db)} }

// System is the portal's trusted handle: the calls made before anyone is
// authenticated (opening an invitation, registering, logging in, resolving
// a session, asking for and using a password-reset link) and the outbox
// handlers that deliver the portal's mails. They take no principal; each
// is guarded by what the caller holds instead (a token, a password).
//
// It is kept apart from Service as contactlog.System is: request code is
// given a *Service, whose every call is scoped by the principal in its
// context, and the wiring code that opens the database builds the System
// and hands it only to the login and registration handlers and to the
// outbox dispatcher.
type System struct{ core }

// NewSystem returns the trusted handle on db with cfg, read as by
// NewService (pass the same Config).
func NewSystem(db bun.IDB, cfg *Config) (*System, error) {
	c, err := newCore(db, cfg)
	if err != nil {
		return nil, err
	}
	return &System{c}, nil
}

// WithDB returns a copy of s bound to db.
func (s *System) WithDB(db bun.IDB) *System { return &System{s.withDB(db)} }

func (c core) invitationURL(token string) string { return c.cfg.BaseURL + "/invitation/" + token }
func (c core) resetURL(token string) string      { return c.cfg.BaseURL + "/reset/" + token }
func (c core) loginURL() string                  { return c.cfg.BaseURL + "/login" }

// InvitationURL is the registration link of an invitation token
// (Config.BaseURL + "/invitation/" + token), as Invite's Issued.URL.
func (s *Service) InvitationURL(token string) string { return s.invitationURL(token) }
