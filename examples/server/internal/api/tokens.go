package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

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
	db    bun.IDB
	clock func() time.Time
}

// NewTokens returns the token store over db.
func NewTokens(db bun.IDB, clock func() time.Time) *Tokens {
	if clock == nil {
		clock = time.Now
	}
	return &Tokens{db: db, clock: clock}
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
	secret, hash, err := auth.NewToken()
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
		return nil, "", fmt.Errorf("api: create token: %w", storage.Err(err))
	}
	return &t, TokenPrefix + secret, nil
}

// Verify returns the live token of secret ("kiroku_…") and notes its use
// (at most once a minute). Unknown, expired or revoked: ErrUnauthenticated.
func (s *Tokens) Verify(ctx context.Context, secret string) (*Token, error) {
	raw, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok || raw == "" {
		return nil, kerr.ErrUnauthenticated
	}
	now := s.now()
	var t Token
	err := s.db.NewSelect().Model(&t).Where("token_hash = ?", auth.HashToken(raw)).
		Where("revoked_at IS NULL").Where("expires_at IS NULL OR expires_at > ?", now).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kerr.ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("api: token: %w", storage.Err(err))
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		t.LastUsedAt = &now
		if _, err := s.db.NewUpdate().Model(&t).Column("last_used_at").WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("api: token: %w", storage.Err(err))
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
	return storage.Affected(res, err, fmt.Errorf("api: revoke token: %w", kerr.ErrNotFound))
}

// routes are the token routes: a browser session authenticates them.
func (x *tokenAPI) routes() []capi.Route {
	session := &capi.SecurityScheme{Name: "session", Type: "apiKey", In: "cookie", Param: web.SessionCookie,
		Description: msg.T("api.security.session")}
	bySession := capi.AuthenticatorFunc(x.session)
	return []capi.Route{
		{ID: "createToken", Tag: "tokens", Method: http.MethodPost, Path: capi.Version1 + "/tokens",
			Summary: "Create an API token (shown once)", Authenticator: bySession, Security: session,
			Request: TokenRequest{}, Response: NewToken{}, Status: http.StatusCreated, Handler: x.createToken},
		{ID: "listTokens", Tag: "tokens", Method: http.MethodGet, Path: capi.Version1 + "/tokens",
			Summary: "List my API tokens", Authenticator: bySession, Security: session,
			Response: TokenList{}, Status: http.StatusOK, Handler: x.listTokens},
		{ID: "revokeToken", Tag: "tokens", Method: http.MethodDelete, Path: capi.Version1 + "/tokens/{id}",
			Summary: "Revoke an API token", Authenticator: bySession, Security: session,
			Params: []capi.Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "UUID"}},
			Status: http.StatusNoContent, Handler: x.revokeToken},
		{ID: "listUserTokens", Tag: "tokens", Method: http.MethodGet, Path: capi.Version1 + "/users/{user}/tokens",
			Summary: "List a user's API tokens (admins)", Authenticator: bySession, Security: session,
			Params: []capi.Param{userParam}, Response: TokenList{}, Status: http.StatusOK, Handler: x.listUserTokens},
		{ID: "revokeUserToken", Tag: "tokens", Method: http.MethodDelete, Path: capi.Version1 + "/users/{user}/tokens/{id}",
			Summary: "Revoke a user's API token (admins)", Authenticator: bySession, Security: session,
			Params: []capi.Param{userParam, {Name: "id", In: "path", Type: "string", Required: true, Description: "UUID"}},
			Status: http.StatusNoContent, Handler: x.revokeUserToken},
	}
}

var userParam = capi.Param{Name: "user", In: "path", Type: "string", Required: true, Description: "the user's UUID"}

// adminTarget is the tenant and the {user} of an admin's token route;
// anyone but an admin: ErrPermissionDenied.
func adminTarget(r *http.Request) (tenant, user uuid.UUID, err error) {
	p, err := permission.Require(r.Context())
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if !p.Has(permission.RoleAdmin) {
		return uuid.Nil, uuid.Nil, kerr.ErrPermissionDenied
	}
	user, err = capi.PathID(r, "user")
	return p.Tenant, user, err
}

func (x *tokenAPI) listUserTokens(w http.ResponseWriter, r *http.Request) error {
	tenant, user, err := adminTarget(r)
	if err != nil {
		return err
	}
	ts, err := x.tokens.List(r.Context(), tenant, user)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, TokenList{Tokens: ts})
}

func (x *tokenAPI) revokeUserToken(w http.ResponseWriter, r *http.Request) error {
	tenant, user, err := adminTarget(r)
	if err != nil {
		return err
	}
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := x.tokens.Revoke(r.Context(), tenant, user, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TokenRequest creates a token.
type TokenRequest struct {
	// Name says what the token is for.
	Name string `json:"name"`
	// ExpiresInDays: 0 keeps the token until it is revoked.
	ExpiresInDays int `json:"expires_in_days,omitempty"`
}

// NewToken is a created token with its secret, shown this once.
type NewToken struct {
	Token
	// Secret is the bearer token: "Authorization: Bearer <secret>".
	Secret string `json:"token"`
}

// TokenList lists tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

func (x *tokenAPI) createToken(w http.ResponseWriter, r *http.Request) error {
	var in TokenRequest
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	t, secret, err := x.tokens.Create(r.Context(), p.Tenant, p.User, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusCreated, NewToken{Token: *t, Secret: secret})
}

func (x *tokenAPI) listTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	ts, err := x.tokens.List(r.Context(), p.Tenant, p.User)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, TokenList{Tokens: ts})
}

func (x *tokenAPI) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	if err := x.tokens.Revoke(r.Context(), p.Tenant, p.User, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
