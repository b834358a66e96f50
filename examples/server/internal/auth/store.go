package auth

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/secret"
	"github.com/kirokuhq/kiroku/internal/storage"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the set of the server's authentication tables.
var Migrations = migration.Set{Name: "server_auth", FS: migrations}

// Errors.
var (
	// ErrBadCredentials: unknown login or wrong password (never says which).
	ErrBadCredentials = errors.New("auth: bad credentials")
	// ErrThrottled: too many failed logins; try again after the lock.
	ErrThrottled = errors.New("auth: too many failed attempts")
	// ErrNoSession: the session token is unknown, expired or revoked.
	ErrNoSession = errors.New("auth: no session")
	// ErrBadToken: a single-use token is unknown, used or expired.
	ErrBadToken = errors.New("auth: invalid or expired token")
)

// Defaults of Config.
const (
	DefaultSessionIdle     = 12 * time.Hour
	DefaultSessionLifetime = 30 * 24 * time.Hour
	DefaultMaxFailures     = 5
	DefaultFailureWindow   = 15 * time.Minute
	DefaultLockout         = 15 * time.Minute
)

// Config configures a Store. Zero fields take the defaults above.
type Config struct {
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
	// SessionIdle ends a session not used for this long.
	SessionIdle time.Duration
	// SessionLifetime ends every session this long after login.
	SessionLifetime time.Duration
	// MaxFailures failed logins within FailureWindow lock the login for
	// Lockout.
	MaxFailures   int
	FailureWindow time.Duration
	Lockout       time.Duration
	// AddressFailures failed logins from one client address within
	// FailureWindow lock that address for Lockout, whichever logins were
	// tried. Staff logins and customer-portal logins (PortalThrottled,
	// PortalFailed) are counted apart, so customers on a shop's network
	// never lock its staff out. Default: four times MaxFailures.
	AddressFailures int
	// Revoke revokes the user's other credentials for good (the server's
	// API tokens) in the transaction that ends the user's sessions on a
	// password change or reset and on deactivation, so reactivating the
	// user revives none of them. Default: nothing else to revoke.
	Revoke func(ctx context.Context, tx bun.IDB, user uuid.UUID) error
	// StatementCache, when set, is given to the database driver before
	// the values of the session lookup (every request's first statement),
	// bound, so that PostgreSQL parses and plans it once per connection:
	// with pgx, dbopen.StatementCache's value. Nil (the default) sends it
	// with its values written in, as bun writes every statement. SQLite
	// ignores it: there the lookup is always bound, one text for every
	// session, and kept prepared (storage.QueryBound).
	StatementCache any
}

// Store keeps credentials, sessions, single-use tokens and login throttling
// in the database, so that any number of server processes share them.
type Store struct {
	db  bun.IDB
	dir *permission.Directory
	cfg Config
}

// NewStore returns the store over db; dir resolves sessions into principals.
func NewStore(db bun.IDB, dir *permission.Directory, cfg *Config) *Store {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = DefaultSessionLifetime
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.FailureWindow == 0 {
		c.FailureWindow = DefaultFailureWindow
	}
	if c.Lockout == 0 {
		c.Lockout = DefaultLockout
	}
	if c.AddressFailures == 0 {
		c.AddressFailures = 4 * c.MaxFailures
	}
	return &Store{db: db, dir: dir, cfg: c}
}

func (s *Store) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Microsecond) }

// NormalizeLogin is the canonical form of a login (an e-mail address):
// trimmed and lower-cased.
func NormalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

type credential struct {
	bun.BaseModel `bun:"table:server_credentials"`
	UserID        uuid.UUID `bun:"user_id,pk"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	Login         string    `bun:"login"`
	PasswordHash  string    `bun:"password_hash"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// SetLogin records the login of a directory user (creating the credential
// row without a password if needed). A login taken by another user fails
// with ErrConflict.
func (s *Store) SetLogin(ctx context.Context, tenant, user uuid.UUID, login string) error {
	c := credential{UserID: user, TenantID: tenant, Login: NormalizeLogin(login), UpdatedAt: s.now()}
	_, err := s.db.NewInsert().Model(&c).
		On("CONFLICT (user_id) DO UPDATE").Set("login = EXCLUDED.login").Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err = storage.Err(err); err != nil {
		return fmt.Errorf("auth: set login: %w", err)
	}
	return nil
}

// HasLogin tells whether any credential exists (the first start creates one).
func (s *Store) HasLogin(ctx context.Context) (bool, error) {
	return s.db.NewSelect().Model((*credential)(nil)).Exists(ctx)
}

// HasPassword tells whether the user has set a password.
func (s *Store) HasPassword(ctx context.Context, user uuid.UUID) (bool, error) {
	return s.db.NewSelect().Model((*credential)(nil)).Where("user_id = ?", user).Where("password_hash <> ''").Exists(ctx)
}

// SetPassword stores a new password for the user (whose login must have been
// set) after CheckPassword, and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, user uuid.UUID, pw string) error {
	return s.setPassword(ctx, user, pw, "")
}

// ChangePassword is the user's own password change, made from the session
// of keepToken: like SetPassword, but that session stays open while every
// other session of the user ends. The caller has checked the current
// password (Reauthenticate).
func (s *Store) ChangePassword(ctx context.Context, user uuid.UUID, pw, keepToken string) error {
	return s.setPassword(ctx, user, pw, keepToken)
}

func (s *Store) setPassword(ctx context.Context, user uuid.UUID, pw, keepToken string) error {
	var c credential
	if err := s.db.NewSelect().Model(&c).Where("user_id = ?", user).Scan(ctx); err != nil {
		return fmt.Errorf("auth: set password: %w", storage.Err(err))
	}
	u, err := s.dir.User(ctx, c.TenantID, user)
	if err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	if err := CheckPassword(pw, c.Login, u.Name, u.Kana); err != nil {
		return err
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewUpdate().Model((*credential)(nil)).Set("password_hash = ?", hash).
			Set("updated_at = ?", s.now()).Where("user_id = ?", user).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		return s.revoke(ctx, tx, user, keepToken)
	})
}

// Reauthenticate checks the password of a logged-in user before a change
// of their own credentials: nil when pw is the user's password, else
// ErrBadCredentials, counted and throttled like a failed login of the
// user's login (ErrThrottled while it is locked), so the page cannot be
// used to guess a password an open session does not know.
func (s *Store) Reauthenticate(ctx context.Context, user uuid.UUID, pw, client string) error {
	var c credential
	if err := s.db.NewSelect().Model(&c).Where("user_id = ?", user).Scan(ctx); err != nil {
		return fmt.Errorf("auth: reauthenticate: %w", storage.Err(err))
	}
	keys := []string{"login:" + c.Login, "addr:" + client}
	if err := s.throttled(ctx, keys); err != nil {
		return err
	}
	if c.PasswordHash == "" {
		secret.VerifyDummy(pw)
		return s.fail(ctx, keys)
	}
	ok, err := secret.VerifyPassword(c.PasswordHash, pw)
	if err != nil {
		return fmt.Errorf("auth: reauthenticate: %w", err)
	}
	if !ok {
		return s.fail(ctx, keys)
	}
	return nil
}

// Login checks a login and password, throttled per login and per client
// address, and opens a session for an active user. Any unknown login, wrong
// password, missing password or inactive user is ErrBadCredentials, after
// the same amount of hashing work.
func (s *Store) Login(ctx context.Context, login, pw, client string) (token string, sess *Session, err error) {
	login = NormalizeLogin(login)
	keys := []string{"login:" + login, "addr:" + client}
	if err := s.throttled(ctx, keys); err != nil {
		return "", nil, err
	}
	var c credential
	err = s.db.NewSelect().Model(&c).Where("login = ?", login).Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("auth: login: %w", storage.Err(err))
	}
	if c.PasswordHash == "" {
		secret.VerifyDummy(pw)
		return "", nil, s.fail(ctx, keys)
	}
	ok, verr := secret.VerifyPassword(c.PasswordHash, pw)
	if verr != nil {
		return "", nil, fmt.Errorf("auth: login: %w", verr)
	}
	if !ok {
		return "", nil, s.fail(ctx, keys)
	}
	if _, err := s.dir.Principal(ctx, c.TenantID, c.UserID); err != nil {
		if errors.Is(err, kerr.ErrUnauthenticated) {
			return "", nil, s.fail(ctx, keys)
		}
		return "", nil, err
	}
	if _, err := s.db.NewDelete().TableExpr("server_login_failures").Where("key = ?", keys[0]).Exec(ctx); err != nil {
		return "", nil, storage.Err(err)
	}
	return s.open(ctx, c.TenantID, c.UserID)
}

type failure struct {
	bun.BaseModel `bun:"table:server_login_failures"`
	Key           string     `bun:"key,pk"`
	Failures      int        `bun:"failures"`
	WindowStart   time.Time  `bun:"window_start"`
	LockedUntil   *time.Time `bun:"locked_until"`
}

func (s *Store) throttled(ctx context.Context, keys []string) error {
	var locked []failure
	err := s.db.NewSelect().Model(&locked).Where("key IN (?)", bun.List(keys)).
		Where("locked_until > ?", s.now()).Scan(ctx)
	if err != nil {
		return fmt.Errorf("auth: login: %w", storage.Err(err))
	}
	if len(locked) > 0 {
		return ErrThrottled
	}
	return nil
}

// fail counts a failed login for the login's key and the address's (keys
// as Login makes them); it returns ErrBadCredentials (or ErrThrottled if
// this failure locked the login).
func (s *Store) fail(ctx context.Context, keys []string) error {
	lockedNow, err := s.count(ctx, keys[0], s.cfg.MaxFailures)
	if err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	if _, err := s.count(ctx, keys[1], s.cfg.AddressFailures); err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	if lockedNow {
		return ErrThrottled
	}
	return ErrBadCredentials
}

// count counts a failure of key within FailureWindow and locks the key for
// Lockout when it reaches limit, reporting whether this one locked it.
func (s *Store) count(ctx context.Context, key string, limit int) (bool, error) {
	now := s.now()
	locked := false
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		f := failure{Key: key}
		err := tx.NewSelect().Model(&f).WherePK().Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			f = failure{Key: key, WindowStart: now}
		case err != nil:
			return storage.Err(err)
		}
		if now.Sub(f.WindowStart) > s.cfg.FailureWindow {
			f.Failures, f.WindowStart, f.LockedUntil = 0, now, nil
		}
		f.Failures++
		if f.Failures >= limit {
			until := now.Add(s.cfg.Lockout)
			f.LockedUntil = &until
			f.Failures, f.WindowStart = 0, now
			locked = true
		}
		_, err = tx.NewInsert().Model(&f).On("CONFLICT (key) DO UPDATE").
			Set("failures = EXCLUDED.failures").Set("window_start = EXCLUDED.window_start").
			Set("locked_until = EXCLUDED.locked_until").Exec(ctx)
		return storage.Err(err)
	})
	return locked, err
}

// portalKey is the failure key of a client address's customer-portal
// logins, apart from its staff logins ("addr:").
func portalKey(client string) string { return "portal-addr:" + client }

// PortalThrottled answers ErrThrottled while the customer-portal logins of
// the client address are locked (see PortalFailed), nil otherwise. The
// portal's login page asks it before checking a password, so a locked
// address learns nothing about any account and adds no failures to one.
func (s *Store) PortalThrottled(ctx context.Context, client string) error {
	return s.throttled(ctx, []string{portalKey(client)})
}

// PortalFailed counts a failed customer-portal login from the client
// address — whatever the reason, so the count says nothing about whether
// an address has an account — and answers ErrThrottled when this failure
// reached Config.AddressFailures within FailureWindow and locked the
// address's portal logins for Lockout, nil otherwise. A successful login
// does not reset the count. The portal's own per-account lock
// (portal.Config.MaxFailures) is kept apart.
func (s *Store) PortalFailed(ctx context.Context, client string) error {
	locked, err := s.count(ctx, portalKey(client), s.cfg.AddressFailures)
	if err != nil {
		return fmt.Errorf("auth: portal login: %w", err)
	}
	if locked {
		return ErrThrottled
	}
	return nil
}

// portalResetKeys are the keys counting customer-portal password-reset
// requests: per e-mail address typed and per client address, apart from
// every login count.
func portalResetKeys(email, client string) []string {
	return []string{"portal-reset:" + NormalizeLogin(email), "portal-reset-addr:" + client}
}

// PortalResetRequested counts a customer-portal password-reset request for
// the e-mail address typed and for the client address — whether or not
// the address has an account, so the limit says nothing about that — and
// answers ErrThrottled, before counting, while either is locked. The
// MaxFailures-th request for one e-mail address, or the
// AddressFailures-th from one client address, within FailureWindow is
// still answered and locks further ones for Lockout, so a stranger can
// neither flood a customer's mailbox nor mail every address in turn.
func (s *Store) PortalResetRequested(ctx context.Context, email, client string) error {
	keys := portalResetKeys(email, client)
	if err := s.throttled(ctx, keys); err != nil {
		return err
	}
	if _, err := s.count(ctx, keys[0], s.cfg.MaxFailures); err != nil {
		return fmt.Errorf("auth: portal reset: %w", err)
	}
	if _, err := s.count(ctx, keys[1], s.cfg.AddressFailures); err != nil {
		return fmt.Errorf("auth: portal reset: %w", err)
	}
	return nil
}

// Lockout is how long a login, client address or reset request stays
// locked once throttled (Config.Lockout), for pages that say how long to
// wait.
func (s *Store) Lockout() time.Duration { return s.cfg.Lockout }

// Session is a logged-in browser.
type Session struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	// CSRF is the session's anti-forgery token, embedded in every form.
	CSRF      string
	ExpiresAt time.Time
}

type session struct {
	bun.BaseModel `bun:"table:server_sessions"`
	TokenHash     []byte    `bun:"token_hash,pk"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	UserID        uuid.UUID `bun:"user_id"`
	CSRF          string    `bun:"csrf"`
	CreatedAt     time.Time `bun:"created_at"`
	LastSeenAt    time.Time `bun:"last_seen_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
	// Version is the tenant's version (permission.VersionColumn), read
	// with the session.
	Version int64 `bun:"tenant_version,scanonly"`
}

func (s *Store) open(ctx context.Context, tenant, user uuid.UUID) (string, *Session, error) {
	token, hash, err := secret.NewToken()
	if err != nil {
		return "", nil, err
	}
	csrf, _, err := secret.NewToken()
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	row := session{TokenHash: hash, TenantID: tenant, UserID: user, CSRF: csrf, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionLifetime)}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("auth: open session: %w", storage.Err(err))
	}
	return token, row.public(s.cfg.SessionIdle), nil
}

func (r *session) public(idle time.Duration) *Session {
	exp := r.LastSeenAt.Add(idle)
	if r.ExpiresAt.Before(exp) {
		exp = r.ExpiresAt
	}
	return &Session{TenantID: r.TenantID, UserID: r.UserID, CSRF: r.CSRF, ExpiresAt: exp}
}

// Session returns the live session of token and marks it used (at most once
// a minute, to keep reads cheap). Unknown, idle or expired: ErrNoSession.
// The same statement reads the tenant's version, which it leaves in ctx's
// memo (permission.RememberVersion): the request's principal, staff names
// and settings then come from the caches without another read.
func (s *Store) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	var row session
	now := s.now()
	q := s.db.NewSelect().Model(&row).ColumnExpr("session.*").ColumnExpr("t."+permission.VersionColumn+" AS tenant_version").
		Join("JOIN kiroku_tenants AS t ON t.id = session.tenant_id").
		Where("session.token_hash = ?", secret.HashToken(token)).
		Where("session.expires_at > ?", now).Where("session.last_seen_at > ?", now.Add(-s.cfg.SessionIdle))
	err := storage.ScanBound(ctx, s.db, s.cfg.StatementCache, q, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("auth: session: %w", storage.Err(err))
	}
	if now.Sub(row.LastSeenAt) > time.Minute {
		row.LastSeenAt = now
		if _, err := s.db.NewUpdate().Model(&row).Column("last_seen_at").WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("auth: session: %w", storage.Err(err))
		}
	}
	permission.RememberVersion(ctx, row.TenantID, row.Version)
	return row.public(s.cfg.SessionIdle), nil
}

// Logout ends the session of token.
func (s *Store) Logout(ctx context.Context, token string) error {
	_, err := s.db.NewDelete().Model((*session)(nil)).Where("token_hash = ?", secret.HashToken(token)).Exec(ctx)
	return storage.Err(err)
}

// EndSessions ends every session of the user and revokes the user's other
// credentials (Config.Revoke), at once: on deactivation (SetPassword does
// the same on a password change).
func (s *Store) EndSessions(ctx context.Context, user uuid.UUID) error {
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		return s.revoke(ctx, tx, user, "")
	})
}

// revoke ends the user's sessions but the one of keepToken (if not empty)
// and runs Config.Revoke in tx.
func (s *Store) revoke(ctx context.Context, tx bun.IDB, user uuid.UUID, keepToken string) error {
	q := tx.NewDelete().Model((*session)(nil)).Where("user_id = ?", user)
	if keepToken != "" {
		q.Where("token_hash <> ?", secret.HashToken(keepToken))
	}
	if _, err := q.Exec(ctx); err != nil {
		return storage.Err(err)
	}
	if s.cfg.Revoke == nil {
		return nil
	}
	return s.cfg.Revoke(ctx, tx, user)
}

// Purposes of single-use tokens.
const (
	// PurposeSetPassword lets a new or resetting user choose a password.
	PurposeSetPassword = "set_password"
)

type singleUse struct {
	bun.BaseModel `bun:"table:server_single_use_tokens"`
	TokenHash     []byte    `bun:"token_hash,pk"`
	Purpose       string    `bun:"purpose"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	UserID        uuid.UUID `bun:"user_id"`
	CreatedAt     time.Time `bun:"created_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

// IssueToken creates a single-use token for the user and purpose, valid for
// ttl, replacing the user's earlier tokens of that purpose. Only its hash is
// stored; the token itself is returned once.
func (s *Store) IssueToken(ctx context.Context, tenant, user uuid.UUID, purpose string, ttl time.Duration) (string, error) {
	token, hash, err := secret.NewToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().Model((*singleUse)(nil)).Where("user_id = ?", user).
			Where("purpose = ?", purpose).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		row := singleUse{TokenHash: hash, Purpose: purpose, TenantID: tenant, UserID: user, CreatedAt: now,
			ExpiresAt: now.Add(ttl)}
		_, err := tx.NewInsert().Model(&row).Exec(ctx)
		return storage.Err(err)
	})
	if err != nil {
		return "", fmt.Errorf("auth: issue token: %w", err)
	}
	return token, nil
}

// PeekToken returns the user a live token belongs to without using it (to
// show the form the token opens).
func (s *Store) PeekToken(ctx context.Context, token, purpose string) (tenant, user uuid.UUID, err error) {
	var row singleUse
	err = s.db.NewSelect().Model(&row).Where("token_hash = ?", secret.HashToken(token)).Where("purpose = ?", purpose).
		Where("expires_at > ?", s.now()).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, uuid.Nil, ErrBadToken
	}
	if err != nil {
		return uuid.Nil, uuid.Nil, storage.Err(err)
	}
	return row.TenantID, row.UserID, nil
}

// RedeemToken uses a token once: fn runs with the token's user and a copy of
// the store bound to the transaction that deletes the token, so a failing fn
// leaves the token usable and two concurrent redemptions cannot both succeed.
func (s *Store) RedeemToken(ctx context.Context, token, purpose string, fn func(ctx context.Context, st *Store, tenant, user uuid.UUID) error) error {
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		var row singleUse
		err := tx.NewDelete().Model(&row).Where("token_hash = ?", secret.HashToken(token)).Where("purpose = ?", purpose).
			Where("expires_at > ?", s.now()).Returning("tenant_id, user_id").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrBadToken
		}
		if err != nil {
			return storage.Err(err)
		}
		return fn(ctx, s.WithDB(tx), row.TenantID, row.UserID)
	})
}

// WithDB returns a copy of s bound to db (a transaction).
func (s *Store) WithDB(db bun.IDB) *Store {
	c := *s
	c.db = db
	c.dir = s.dir.WithDB(db)
	return &c
}

// UserByLogin returns the tenant and user of a login (ErrNotFound if none).
func (s *Store) UserByLogin(ctx context.Context, login string) (tenant, user uuid.UUID, err error) {
	var c credential
	err = s.db.NewSelect().Model(&c).Where("login = ?", NormalizeLogin(login)).Scan(ctx)
	if err != nil {
		return uuid.Nil, uuid.Nil, fmt.Errorf("auth: user by login: %w", storage.Err(err))
	}
	return c.TenantID, c.UserID, nil
}

// Lockout is a staff login locked after too many failed attempts.
type Lockout struct {
	// User is the locked login's user.
	User uuid.UUID `bun:"user_id" json:"user"`
	// Login is the locked login (an e-mail address).
	Login string `bun:"login" json:"login"`
	// LockedUntil is when the lock ends by itself.
	LockedUntil time.Time `bun:"locked_until" json:"locked_until"`
}

// Lockouts returns the logins of the principal's tenant that are locked
// now, the lock ending soonest first. Admins only. Locks of client
// addresses are not listed: an address belongs to no tenant, and it locks
// at four times the failures of a login.
func (s *Store) Lockouts(ctx context.Context) ([]Lockout, error) {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return nil, fmt.Errorf("auth: lockouts: %w", err)
	}
	var out []Lockout
	err = s.db.NewSelect().TableExpr("server_credentials AS c").
		Join("JOIN server_login_failures AS f ON f.key = 'login:' || c.login").
		ColumnExpr("c.user_id, c.login, f.locked_until").
		Where("c.tenant_id = ?", p.Tenant).Where("f.locked_until > ?", s.now()).
		OrderExpr("f.locked_until, c.login").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("auth: lockouts: %w", storage.Err(err))
	}
	return out, nil
}

// Unlock lifts the lock of a user's login in the principal's tenant and
// forgets its failed attempts, and records it in the audit log (action
// "unlock_login" on the user) in the same transaction. Admins only. A
// user of another tenant, or whose login is not locked: ErrNotFound.
func (s *Store) Unlock(ctx context.Context, user uuid.UUID) error {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewDelete().TableExpr("server_login_failures").
			Where("key = (SELECT 'login:' || c.login FROM server_credentials AS c WHERE c.user_id = ? AND c.tenant_id = ?)", user, p.Tenant).
			Where("locked_until > ?", s.now()).Exec(ctx)
		if err := storage.Affected(res, err, kerr.ErrNotFound); err != nil {
			return err
		}
		return permission.Audit(ctx, tx, p, s.now(), "unlock_login", "user", user, "")
	})
	if err != nil {
		return fmt.Errorf("auth: unlock %s: %w", user, err)
	}
	return nil
}
