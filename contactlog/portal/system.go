package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/secret"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Invite is what the registration form of an invitation link shows
// (お客様招待フォーム).
type Invite struct {
	Tenant uuid.UUID `json:"tenant"`
	// TenantName is the business that invites.
	TenantName string `json:"tenant_name"`
	// CustomerName is the customer's display name.
	CustomerName string `json:"customer_name"`
	// Email is the customer's address on record, to prefill the form.
	Email string `json:"email"`
	// Terms are the tenant's current terms of use, to agree to.
	Terms Terms `json:"terms"`
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time `json:"expires_at"`
}

// liveToken returns the live token row of raw and purpose, or ErrBadToken.
func (c core) liveToken(ctx context.Context, db bun.IDB, raw, purpose string) (*token, error) {
	var t token
	err := db.NewSelect().Model(&t).Where("token_hash = ?", secret.HashToken(raw)).Where("purpose = ?", purpose).
		Where("expires_at > ?", c.now()).Scan(ctx)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, storage.Err(err)
	}
	return &t, nil
}

// openInvitation resolves an invitation token to its open invitation, its
// account (invited, not deactivated) and customer; ErrBadToken otherwise.
func (c core) openInvitation(ctx context.Context, db bun.IDB, raw string) (*Invitation, *Account, *customerInfo, error) {
	t, err := c.liveToken(ctx, db, raw, purposeInvite)
	if err != nil {
		return nil, nil, nil, err
	}
	var inv Invitation
	err = db.NewSelect().Model(&inv).Where("pi.tenant_id = ?", t.Tenant).Where("pi.id = ?", t.Object).Scan(ctx)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return nil, nil, nil, ErrBadToken
	}
	if err != nil {
		return nil, nil, nil, storage.Err(err)
	}
	a, err := c.account(ctx, db, t.Tenant, t.Account, true)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, ErrBadToken
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !inv.Open(c.now()) || a.Status != StatusInvited || a.Deactivated() {
		return nil, nil, nil, ErrBadToken
	}
	ci, err := loadCustomer(ctx, db, a.Tenant, a.Customer)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, ErrBadToken
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return &inv, a, ci, nil
}

// Invitation returns what the registration form of an invitation link
// shows, without using the link. An unknown, used, expired or revoked link
// is ErrBadToken.
func (s *System) Invitation(ctx context.Context, raw string) (*Invite, error) {
	inv, a, ci, err := s.openInvitation(ctx, s.db, raw)
	if err != nil {
		return nil, fmt.Errorf("portal: invitation: %w", err)
	}
	t, err := s.dir.Tenant(ctx, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("portal: invitation: %w", err)
	}
	terms, err := currentTerms(ctx, s.db, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("portal: invitation: %w", err)
	}
	return &Invite{Tenant: a.Tenant, TenantName: t.Name, CustomerName: ci.Name, Email: ci.Email, Terms: *terms, ExpiresAt: inv.ExpiresAt}, nil
}

// Registration is what a customer enters on the registration form.
type Registration struct {
	// Email is the login (prefilled from the customer; changeable later).
	Email string `json:"email"`
	// Password: at least MinPasswordLength characters with letters and
	// digits, and a zxcvbn score of Config.MinPasswordScore or more.
	Password string `json:"password"`
	// AcceptTerms must be true: the customer agrees to the terms of use.
	AcceptTerms bool `json:"accept_terms"`
	// TermsVersion is the version of the terms shown (Invite.Terms); it
	// must still be the tenant's current one.
	TermsVersion int `json:"terms_version"`
}

// CheckPassword returns the problems of pw as a customer's password under
// the portal's rules, the words in userInputs (name, e-mail) counting as
// guessable, reported on field; nil when it is acceptable.
func (c *Config) CheckPassword(field, pw string, userInputs ...string) *validation.Error {
	cfg := c.WithDefaults()
	var v validation.Error
	switch {
	case pw == "":
		v.Add(field, validation.CodeRequired, "")
	case len(pw) > secret.MaxPasswordLength:
		v.Add(field, validation.CodeTooLong, strconv.Itoa(secret.MaxPasswordLength))
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		v.Add(field, CodeTooShort, strconv.Itoa(MinPasswordLength))
	case !hasLetterAndDigit(pw):
		v.Add(field, CodeLettersDigits, "")
	default:
		if score := secret.Strength(pw, userInputs...); score < cfg.MinPasswordScore {
			v.Add(field, CodeWeak, fmt.Sprintf("%d/%d", score, cfg.MinPasswordScore))
		}
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return &v
}

// PasswordStrength is pw's zxcvbn score (0–4) with userInputs counting as
// guessable, for a live strength meter.
func PasswordStrength(pw string, userInputs ...string) int { return secret.Strength(pw, userInputs...) }

func hasLetterAndDigit(pw string) bool {
	var letter, digit bool
	for _, r := range pw {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	return letter && digit
}

// checkEmail adds the problems of an e-mail address to v and returns its
// normalized form.
func checkEmail(v *validation.Error, field, email string) string {
	email = NormalizeEmail(email)
	switch {
	case email == "":
		v.Add(field, validation.CodeRequired, "")
	case len(email) > 254:
		v.Add(field, validation.CodeTooLong, "254")
	case !mail.ValidEmail(email):
		v.Add(field, validation.CodeFormat, "")
	}
	return email
}

// Register completes an invitation: the customer chooses their login and
// password and agrees to the terms; the account becomes active, the link
// is used up, every other outstanding invitation of the customer is
// revoked, and a session is opened (returned with its token, as Login).
// Every problem of r is reported at once in a *ValidationError ("email":
// required, format, taken; "password": required, too_short,
// letters_and_digits, weak, too_long; "accept_terms": required;
// "terms_version": stale), and then the link stays usable. An unknown,
// used, expired or revoked link is ErrBadToken. Audited as the customer.
func (s *System) Register(ctx context.Context, raw string, r Registration) (string, *Session, error) {
	var tok string
	var sess *Session
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		inv, a, ci, err := s.openInvitation(ctx, tx, raw)
		if err != nil {
			return err
		}
		var v validation.Error
		email := checkEmail(&v, "email", r.Email)
		if pv := s.cfg.CheckPassword("password", r.Password, ci.Name, email, ci.Email); pv != nil {
			v.Fields = append(v.Fields, pv.Fields...)
		}
		if !r.AcceptTerms {
			v.Add("accept_terms", validation.CodeRequired, "")
		}
		terms, err := currentTerms(ctx, tx, a.Tenant)
		if err != nil {
			return err
		}
		if r.TermsVersion != terms.Version {
			v.Add("terms_version", CodeStale, strconv.Itoa(terms.Version))
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := setLogin(ctx, tx, a, email); errors.Is(err, ErrConflict) {
			v.Add("email", CodeTaken, "")
			return &v
		} else if err != nil {
			return err
		}
		hash, err := secret.HashPassword(r.Password)
		if err != nil {
			return err
		}
		now := s.now()
		a.Email, a.PasswordHash, a.Status = email, hash, StatusActive
		a.RegisteredAt, a.TermsVersion, a.TermsAgreedAt = &now, terms.Version, &now
		a.Failures, a.LastFailureAt, a.LockedAt = 0, nil, nil
		if err := s.save(ctx, tx, a, "email", "password_hash", "status", "registered_at", "terms_version", "terms_agreed_at",
			"failures", "last_failure_at", "locked_at"); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Invitation)(nil)).Set("used_at = ?", now).
			Where("pi.tenant_id = ?", a.Tenant).Where("pi.id = ?", inv.ID).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		if err := revokeInvitations(ctx, tx, a, inv.ID, now, false); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, customerPrincipal(a), "register", a.ID, fmt.Sprintf("invitation=%s terms=%d", inv.ID, terms.Version)); err != nil {
			return err
		}
		tok, sess, err = s.open(ctx, tx, a)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("portal: register: %w", err)
	}
	return tok, sess, nil
}

// Login checks a customer's e-mail address and password and opens a
// session. Every failure is ErrBadCredentials after the same hashing
// work, whether the address has no account, the password is wrong, or the
// account is locked, deactivated or not registered: the answer never tells
// whether an address has an account.
//
// A wrong password of an active account counts a consecutive failure; the
// Config.MaxFailures-th locks the account until staff unlock it
// (Service.Unlock) and enqueues, once per lock, the notices
// TopicLocked to the customer (ログインアカウント停止通知) and to each of
// the customer's assignees (顧客アカウント停止通知). A successful login
// resets the count.
func (s *System) Login(ctx context.Context, email, pw string) (string, *Session, error) {
	var l login
	err := s.db.NewSelect().Model(&l).Where("email_hash = ?", emailKey(email)).Scan(ctx)
	if errors.Is(storage.Err(err), ErrNotFound) {
		secret.VerifyDummy(pw)
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("portal: login: %w", storage.Err(err))
	}
	a, err := s.account(ctx, s.db, l.Tenant, l.Account, false)
	if errors.Is(err, ErrNotFound) || (err == nil && a.PasswordHash == "") {
		secret.VerifyDummy(pw)
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("portal: login: %w", err)
	}
	ok, err := secret.VerifyPassword(a.PasswordHash, pw)
	if err != nil {
		return "", nil, fmt.Errorf("portal: login: %w", err)
	}
	if !a.CanLogIn() {
		return "", nil, ErrBadCredentials
	}
	if !ok {
		if err := s.fail(ctx, a); err != nil {
			return "", nil, fmt.Errorf("portal: login: %w", err)
		}
		return "", nil, ErrBadCredentials
	}
	var tok string
	var sess *Session
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := loadCustomer(ctx, tx, a.Tenant, a.Customer); err != nil {
			return err // the customer was deleted
		}
		res, err := tx.NewUpdate().Model((*Account)(nil)).Set("failures = 0").
			Where("pa.tenant_id = ?", a.Tenant).Where("pa.id = ?", a.ID).Where("pa.status = ?", StatusActive).
			Where("pa.deactivated_at IS NULL").Exec(ctx)
		if err := storage.Affected(res, err, ErrBadCredentials); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, customerPrincipal(a), "login", a.ID, ""); err != nil {
			return err
		}
		tok, sess, err = s.open(ctx, tx, a)
		return err
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrBadCredentials) {
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("portal: login: %w", err)
	}
	return tok, sess, nil
}

// TopicLocked is the outbox topic of the notices of a lock: Recipient is
// "customer" for the customer, or a staff user ID; Key the account and
// the lock time. Payload: lockPayload.
const TopicLocked = "portal.locked"

// TopicUnlocked is the outbox topic of the notice of an unlock to the
// customer: Recipient "customer", Key the account and the lock time.
const TopicUnlocked = "portal.unlocked"

type lockPayload struct {
	Account  uuid.UUID `json:"account"`
	FailedAt time.Time `json:"failed_at"`
}

// recipientCustomer is the Recipient of the messages to the customer.
const recipientCustomer = "customer"

// fail counts a failed login of the active account a; the one that reaches
// MaxFailures locks it and enqueues the notices, in one transaction.
func (s *System) fail(ctx context.Context, a *Account) error {
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		now := s.now()
		var failures int
		err := tx.NewUpdate().Model((*Account)(nil)).Set("failures = failures + 1").Set("last_failure_at = ?", now).
			Where("pa.tenant_id = ?", a.Tenant).Where("pa.id = ?", a.ID).Where("pa.status = ?", StatusActive).
			Returning("failures").Scan(ctx, &failures)
		if errors.Is(storage.Err(err), ErrNotFound) {
			return nil // locked or changed meanwhile
		}
		if err != nil {
			return storage.Err(err)
		}
		if failures != s.cfg.MaxFailures {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("status = ?", StatusLocked).Set("locked_at = ?", now).
			Set("updated_at = ?", now).Set("version = version + 1").
			Where("pa.tenant_id = ?", a.Tenant).Where("pa.id = ?", a.ID).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		ci, err := loadCustomer(ctx, tx, a.Tenant, a.Customer)
		if err != nil {
			return err
		}
		if err := ci.loadAssignees(ctx, tx, a.Tenant); err != nil {
			return err
		}
		payload, err := json.Marshal(lockPayload{Account: a.ID, FailedAt: now})
		if err != nil {
			return err
		}
		key := lockKey(a.ID, now)
		msgs := []outbox.Message{{Tenant: a.Tenant, Topic: TopicLocked, Recipient: recipientCustomer, Key: key, Payload: payload}}
		for _, u := range ci.Assignees {
			msgs = append(msgs, outbox.Message{Tenant: a.Tenant, Topic: TopicLocked, Recipient: u.String(), Key: key, Payload: payload})
		}
		if err := outbox.Enqueue(ctx, tx, msgs...); err != nil {
			return err
		}
		return s.audit(ctx, tx, customerPrincipal(a), "lock", a.ID, fmt.Sprintf("failures=%d", failures))
	})
}

func lockKey(account uuid.UUID, at time.Time) string {
	return account.String() + ":" + strconv.FormatInt(at.UnixMicro(), 10)
}

// Session is a logged-in customer.
type Session struct {
	Tenant   uuid.UUID `json:"tenant"`
	Account  uuid.UUID `json:"account"`
	Customer uuid.UUID `json:"customer"`
	// CSRF is the session's anti-forgery token, for the forms it posts.
	CSRF      string    `json:"-"`
	ExpiresAt time.Time `json:"expires_at"`
	// Principal is the customer principal to put in the context of the
	// engines' calls (permission.WithPrincipal), with the tenant's time
	// zone.
	Principal permission.Principal `json:"-"`
}

type sessionRow struct {
	bun.BaseModel `bun:"table:portal_sessions"`
	Hash          []byte    `bun:"token_hash,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	Account       uuid.UUID `bun:"account_id"`
	CSRF          string    `bun:"csrf"`
	CreatedAt     time.Time `bun:"created_at"`
	LastSeenAt    time.Time `bun:"last_seen_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

func (c core) open(ctx context.Context, tx bun.IDB, a *Account) (string, *Session, error) {
	raw, hash, err := secret.NewToken()
	if err != nil {
		return "", nil, err
	}
	csrf, _, err := secret.NewToken()
	if err != nil {
		return "", nil, err
	}
	now := c.now()
	row := sessionRow{Hash: hash, Tenant: a.Tenant, Account: a.ID, CSRF: csrf, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(c.cfg.SessionLifetime)}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return "", nil, storage.Err(err)
	}
	sess, err := c.session(ctx, tx, &row, a)
	return raw, sess, err
}

func (c core) session(ctx context.Context, db bun.IDB, row *sessionRow, a *Account) (*Session, error) {
	t, err := c.dir.WithDB(db).Tenant(ctx, a.Tenant)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("tenant time zone %q: %w", t.TimeZone, err)
	}
	exp := row.LastSeenAt.Add(c.cfg.SessionIdle)
	if row.ExpiresAt.Before(exp) {
		exp = row.ExpiresAt
	}
	return &Session{Tenant: a.Tenant, Account: a.ID, Customer: a.Customer, CSRF: row.CSRF, ExpiresAt: exp, Principal: a.Principal(loc)}, nil
}

// Session returns the live session of a token and marks it used (at most
// once a minute). A token that is unknown, idle, expired or ended, or
// whose account can no longer log in (locked, deactivated, customer
// deleted), is ErrNoSession.
func (s *System) Session(ctx context.Context, raw string) (*Session, error) {
	if raw == "" {
		return nil, ErrNoSession
	}
	now := s.now()
	var row sessionRow
	q := s.db.NewSelect().Model(&row).Where("token_hash = ?", secret.HashToken(raw)).
		Where("expires_at > ?", now).Where("last_seen_at > ?", now.Add(-s.cfg.SessionIdle))
	err := storage.ScanBound(ctx, s.db, s.cfg.StatementCache, q, &row)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("portal: session: %w", storage.Err(err))
	}
	a, err := s.account(ctx, s.db, row.Tenant, row.Account, false)
	if errors.Is(err, ErrNotFound) || (err == nil && !a.CanLogIn()) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("portal: session: %w", err)
	}
	if _, err := loadCustomer(ctx, s.db, a.Tenant, a.Customer); errors.Is(err, ErrNotFound) {
		return nil, ErrNoSession
	} else if err != nil {
		return nil, fmt.Errorf("portal: session: %w", err)
	}
	if now.Sub(row.LastSeenAt) > time.Minute {
		row.LastSeenAt = now
		if _, err := s.db.NewUpdate().Model(&row).Column("last_seen_at").WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("portal: session: %w", storage.Err(err))
		}
	}
	return s.session(ctx, s.db, &row, a)
}

// Logout ends the session of a token.
func (s *System) Logout(ctx context.Context, raw string) error {
	_, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("token_hash = ?", secret.HashToken(raw)).Exec(ctx)
	return storage.Err(err)
}

// TopicReset is the outbox topic of password-reset mails: Recipient
// "customer", Key the request. Payload: resetPayload.
const TopicReset = "portal.reset"

type resetPayload struct {
	Account uuid.UUID `json:"account"`
	Request uuid.UUID `json:"request"`
}

// RequestReset asks for a password-reset link for a login. It answers nil
// whether or not the address belongs to an account (never telling which);
// when it belongs to an active account, a mail with a single-use link
// valid for Config.ResetTTL is enqueued (the link is made at delivery, as
// for invitations). A locked account gets none: only staff unlock it.
func (s *System) RequestReset(ctx context.Context, email string) error {
	var l login
	err := s.db.NewSelect().Model(&l).Where("email_hash = ?", emailKey(email)).Scan(ctx)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("portal: request reset: %w", storage.Err(err))
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		a, err := s.account(ctx, tx, l.Tenant, l.Account, false)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil || !a.CanLogIn() || a.Email != NormalizeEmail(email) {
			return err
		}
		req := uuid.Must(uuid.NewV7())
		payload, err := json.Marshal(resetPayload{Account: a.ID, Request: req})
		if err != nil {
			return err
		}
		if err := outbox.Enqueue(ctx, tx, outbox.Message{Tenant: a.Tenant, Topic: TopicReset, Recipient: recipientCustomer,
			Key: req.String(), Payload: payload}); err != nil {
			return err
		}
		return s.audit(ctx, tx, customerPrincipal(a), "request_reset", a.ID, "")
	})
	if err != nil {
		return fmt.Errorf("portal: request reset: %w", err)
	}
	return nil
}

// Reset sets a new password with a reset link: single use; the account's
// other sessions end and its other reset links are revoked. The password
// follows the rules of Register (field "password"). An unknown, used or
// expired link, or one of an account that can no longer log in, is
// ErrBadToken. Audited as the customer.
func (s *System) Reset(ctx context.Context, raw, pw string) error {
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		t, err := s.liveToken(ctx, tx, raw, purposeReset)
		if err != nil {
			return err
		}
		a, err := s.account(ctx, tx, t.Tenant, t.Account, true)
		if errors.Is(err, ErrNotFound) || (err == nil && !a.CanLogIn()) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		ci, err := loadCustomer(ctx, tx, a.Tenant, a.Customer)
		if errors.Is(err, ErrNotFound) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		if v := s.cfg.CheckPassword("password", pw, ci.Name, a.Email, ci.Email); v != nil {
			return v
		}
		return s.setPassword(ctx, tx, a, pw, "reset")
	})
	if err != nil {
		return fmt.Errorf("portal: reset: %w", err)
	}
	return nil
}

// setPassword stores a new password of a, ends its sessions, revokes its
// reset links and audits verb.
func (c core) setPassword(ctx context.Context, tx bun.IDB, a *Account, pw, verb string) error {
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	a.PasswordHash, a.Failures = hash, 0
	if err := c.save(ctx, tx, a, "password_hash", "failures"); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("account_id = ?", a.ID).Where("tenant_id = ?", a.Tenant).Exec(ctx); err != nil {
		return storage.Err(err)
	}
	if _, err := tx.NewDelete().Model((*token)(nil)).Where("account_id = ?", a.ID).Where("tenant_id = ?", a.Tenant).
		Where("purpose = ?", purposeReset).Exec(ctx); err != nil {
		return storage.Err(err)
	}
	return c.audit(ctx, tx, customerPrincipal(a), verb, a.ID, "")
}
