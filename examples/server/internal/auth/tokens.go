package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/secret"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// API tokens: a user's bearer credentials for the JSON API, created by the
// user (the token page, or the token routes with a browser session), shown
// once and stored as their SHA-256 only.

// TokenPrefix starts every API token.
const TokenPrefix = "kiroku_"

// Limits of tokens.
const (
	MaxTokenName    = 100
	MaxTokenDays    = 366
	MaxTokensOfUser = 50
)

// Token is a stored API token (never its secret).
type Token struct {
	bun.BaseModel `bun:"table:server_api_tokens" json:"-"`
	ID            uuid.UUID  `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID  `bun:"tenant_id" json:"-"`
	User          uuid.UUID  `bun:"user_id" json:"user"`
	Name          string     `bun:"name" json:"name"`
	Hash          []byte     `bun:"token_hash" json:"-"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	LastUsedAt    *time.Time `bun:"last_used_at" json:"last_used_at,omitempty"`
	ExpiresAt     *time.Time `bun:"expires_at" json:"expires_at,omitempty"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
}

// Tokens stores API tokens.
type Tokens struct {
	db         bun.IDB
	clock      func() time.Time
	statements any
}

// NewTokens returns the token store over db. statements is given to the
// driver before the values of Verify's lookup (every API request's first
// statement), bound, as Config.StatementCache is for the session lookup:
// with pgx, dbopen.StatementCache's value; nil sends it as bun writes it
// (SQLite binds it whatever it is).
func NewTokens(db bun.IDB, clock func() time.Time, statements any) *Tokens {
	if clock == nil {
		clock = time.Now
	}
	return &Tokens{db: db, clock: clock, statements: statements}
}

func (s *Tokens) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// Create issues a token for the user, valid for ttl (0: until revoked),
// and returns it with its secret, which is not stored.
func (s *Tokens) Create(ctx context.Context, tenant, user uuid.UUID, name string, ttl time.Duration) (*Token, string, error) {
	name = strings.TrimSpace(name)
	var ve validation.Error
	switch {
	case name == "":
		ve.Add("name", validation.CodeRequired, "")
	case utf8.RuneCountInString(name) > MaxTokenName:
		ve.Add("name", validation.CodeTooLong, fmt.Sprint(MaxTokenName))
	}
	if ttl < 0 || ttl > MaxTokenDays*24*time.Hour {
		ve.Add("expires_in_days", validation.CodeOutOfRange, fmt.Sprintf("0..%d", MaxTokenDays))
	}
	if err := ve.Err(); err != nil {
		return nil, "", err
	}
	n, err := s.db.NewSelect().Model((*Token)(nil)).Where("tenant_id = ?", tenant).Where("user_id = ?", user).
		Where("revoked_at IS NULL").Count(ctx)
	if err != nil {
		return nil, "", storage.Err(err)
	}
	if n >= MaxTokensOfUser {
		ve.Add("name", validation.CodeTooMany, fmt.Sprint(MaxTokensOfUser))
		return nil, "", ve.Err()
	}
	raw, hash, err := secret.NewToken()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	t := Token{ID: uuid.Must(uuid.NewV7()), Tenant: tenant, User: user, Name: name, Hash: hash, CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	if _, err := s.db.NewInsert().Model(&t).Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("auth: create token: %w", storage.Err(err))
	}
	return &t, TokenPrefix + raw, nil
}

// Verify returns the live token of bearer ("kiroku_…") and notes its use
// (at most once a minute). Unknown, expired or revoked: ErrUnauthenticated.
func (s *Tokens) Verify(ctx context.Context, bearer string) (*Token, error) {
	raw, ok := strings.CutPrefix(bearer, TokenPrefix)
	if !ok || raw == "" {
		return nil, kerr.ErrUnauthenticated
	}
	now := s.now()
	var t Token
	q := s.db.NewSelect().Model(&t).Where("token_hash = ?", secret.HashToken(raw)).
		Where("revoked_at IS NULL").Where("expires_at IS NULL OR expires_at > ?", now)
	err := storage.ScanBound(ctx, s.db, s.statements, q, &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kerr.ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: token: %w", storage.Err(err))
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		t.LastUsedAt = &now
		if _, err := s.db.NewUpdate().Model(&t).Column("last_used_at").WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("auth: token: %w", storage.Err(err))
		}
	}
	return &t, nil
}

// List returns the user's tokens, newest first (revoked ones included).
func (s *Tokens) List(ctx context.Context, tenant, user uuid.UUID) ([]Token, error) {
	ts := []Token{}
	err := s.db.NewSelect().Model(&ts).Where("tenant_id = ?", tenant).Where("user_id = ?", user).
		Order("created_at DESC").Scan(ctx)
	return ts, storage.Err(err)
}

// Revoke ends one of the user's tokens. Another user's token: ErrNotFound.
func (s *Tokens) Revoke(ctx context.Context, tenant, user, id uuid.UUID) error {
	res, err := s.db.NewUpdate().Model((*Token)(nil)).Set("revoked_at = ?", s.now()).
		Where("id = ?", id).Where("tenant_id = ?", tenant).Where("user_id = ?", user).
		Where("revoked_at IS NULL").Exec(ctx)
	return storage.Affected(res, err, fmt.Errorf("auth: revoke token: %w", kerr.ErrNotFound))
}
