package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/secret"
)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	for pw, want := range map[string]error{
		"short":                  auth.ErrPasswordTooShort,
		"password1234":           auth.ErrPasswordWeak,
		"tanaka.hanako":          auth.ErrPasswordWeak, // the user's own login
		strings.Repeat("a", 300): auth.ErrPasswordTooLong,
		"見積は来週 blue-lantern-42":  nil,
	} {
		require.ErrorIs(t, auth.CheckPassword(pw, "tanaka.hanako@example.jp", "tanaka.hanako"), want, pw)
		if want == nil {
			require.NoError(t, auth.CheckPassword(pw), pw)
		}
	}
}

type fixture struct {
	store  *auth.Store
	dir    *permission.Directory
	clock  *clocktest.Clock
	tenant uuid.UUID
	user   uuid.UUID
}

func setup(t testing.TB, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, customer.Migrate(ctx, db))
	require.NoError(t, migration.Run(ctx, db, auth.Migrations))
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "t"})
	require.NoError(t, err)
	u, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "田中 花子", Kana: "タナカ ハナコ", Email: "hanako@example.jp", Active: true})
	require.NoError(t, err)
	// The session lookup is bound as the server binds it (prepared once
	// per connection on PostgreSQL).
	st := auth.NewStore(db, dir, &auth.Config{Clock: clock.Now, StatementCache: dbtest.StatementCache(t, db)})
	require.NoError(t, st.SetLogin(ctx, tn.ID, u.ID, " Hanako@Example.jp"))
	require.NoError(t, st.SetPassword(ctx, u.ID, "見積は来週 blue-lantern-42"))
	return &fixture{store: st, dir: dir, clock: clock, tenant: tn.ID, user: u.ID}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		token, s, err := f.store.Login(ctx, "HANAKO@example.jp", "見積は来週 blue-lantern-42", "192.0.2.1")
		require.NoError(t, err)
		require.Equal(t, f.user, s.UserID)
		var stored []byte
		require.NoError(t, db.NewSelect().TableExpr("server_sessions").Column("token_hash").Scan(ctx, &stored))
		require.Equal(t, secret.HashToken(token), stored, "only the token's hash is stored")

		got, err := f.store.Session(ctx, token)
		require.NoError(t, err)
		require.Equal(t, s.CSRF, got.CSRF)
		f.clock.Advance(auth.DefaultSessionIdle + time.Minute)
		_, err = f.store.Session(ctx, token)
		require.ErrorIs(t, err, auth.ErrNoSession, "idle sessions end")

		token, _, err = f.store.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "192.0.2.1")
		require.NoError(t, err)
		require.NoError(t, f.store.SetPassword(ctx, f.user, "another strong-passphrase 9"))
		_, err = f.store.Session(ctx, token)
		require.ErrorIs(t, err, auth.ErrNoSession, "a password change ends sessions")

		u, err := f.dir.User(ctx, f.tenant, f.user)
		require.NoError(t, err)
		u.Active = false
		_, err = f.dir.SaveUser(ctx, *u)
		require.NoError(t, err)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", "another strong-passphrase 9", "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrBadCredentials, "inactive users cannot log in")
	})
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for i := range auth.DefaultMaxFailures - 1 {
			_, _, err := f.store.Login(ctx, "hanako@example.jp", "wrong", "192.0.2.1")
			require.ErrorIs(t, err, auth.ErrBadCredentials, i)
		}
		_, _, err := f.store.Login(ctx, "hanako@example.jp", "wrong", "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrThrottled)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "192.0.2.9")
		require.ErrorIs(t, err, auth.ErrThrottled, "the login is locked from any address")
		f.clock.Advance(auth.DefaultLockout + time.Second)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "192.0.2.9")
		require.NoError(t, err)

		// Unknown logins from one address lock the address after 4× the limit.
		for range 4*auth.DefaultMaxFailures - 1 {
			_, _, err := f.store.Login(ctx, uuid.NewString()+"@example.jp", "x", "198.51.100.7")
			require.ErrorIs(t, err, auth.ErrBadCredentials)
		}
		_, _, err = f.store.Login(ctx, uuid.NewString()+"@example.jp", "x", "198.51.100.7")
		require.ErrorIs(t, err, auth.ErrBadCredentials)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "198.51.100.7")
		require.ErrorIs(t, err, auth.ErrThrottled, "the address is locked")
	})
}

// Customer-portal logins are limited per client address apart from staff
// logins: the AddressFailures-th failure locks the address's portal logins
// for Lockout, and a success does not reset the count.
func TestPortalThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		st := auth.NewStore(db, f.dir, &auth.Config{Clock: f.clock.Now, AddressFailures: 3})
		const addr = "203.0.113.5"
		require.NoError(t, st.PortalThrottled(ctx, addr))
		require.NoError(t, st.PortalFailed(ctx, addr))
		require.NoError(t, st.PortalFailed(ctx, addr))
		require.NoError(t, st.PortalThrottled(ctx, addr))
		require.ErrorIs(t, st.PortalFailed(ctx, addr), auth.ErrThrottled, "the third failure locks")
		require.ErrorIs(t, st.PortalThrottled(ctx, addr), auth.ErrThrottled)
		require.NoError(t, st.PortalThrottled(ctx, "203.0.113.6"), "other addresses are not locked")
		_, _, err := st.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", addr)
		require.NoError(t, err, "staff logins from the address are counted apart")

		f.clock.Advance(auth.DefaultLockout + time.Second)
		require.NoError(t, st.PortalThrottled(ctx, addr), "the lock ends by itself")
		require.NoError(t, st.PortalFailed(ctx, addr), "and the count starts again")

		// The staff limit per address is AddressFailures too.
		for range 3 {
			_, _, err := st.Login(ctx, uuid.NewString()+"@example.jp", "x", "198.51.100.8")
			require.ErrorIs(t, err, auth.ErrBadCredentials)
		}
		_, _, err = st.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "198.51.100.8")
		require.ErrorIs(t, err, auth.ErrThrottled)
	})
}

// Password-reset requests of the customer portal are limited per e-mail
// address (MaxFailures) and per client address (AddressFailures), apart
// from logins; the lock ends after Lockout.
func TestPortalResetThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		st := auth.NewStore(db, f.dir, &auth.Config{Clock: f.clock.Now, MaxFailures: 2, AddressFailures: 3, Lockout: 7 * time.Minute})
		require.Equal(t, 7*time.Minute, st.Lockout())
		require.NoError(t, st.PortalResetRequested(ctx, "taro@example.jp", "203.0.113.5"))
		require.NoError(t, st.PortalResetRequested(ctx, " TARO@example.jp", "203.0.113.6"), "the second request is answered and locks")
		require.ErrorIs(t, st.PortalResetRequested(ctx, "taro@example.jp", "203.0.113.7"), auth.ErrThrottled, "whichever client asks")
		require.NoError(t, st.PortalThrottled(ctx, "203.0.113.5"), "portal logins are counted apart")

		// One client mailing address after address is locked at AddressFailures.
		require.NoError(t, st.PortalResetRequested(ctx, "a@example.jp", "198.51.100.1"))
		require.NoError(t, st.PortalResetRequested(ctx, "b@example.jp", "198.51.100.1"))
		require.NoError(t, st.PortalResetRequested(ctx, "c@example.jp", "198.51.100.1"))
		require.ErrorIs(t, st.PortalResetRequested(ctx, "d@example.jp", "198.51.100.1"), auth.ErrThrottled)
		require.NoError(t, st.PortalResetRequested(ctx, "d@example.jp", "198.51.100.2"), "other clients are not locked")

		f.clock.Advance(7*time.Minute + time.Second)
		require.NoError(t, st.PortalResetRequested(ctx, "taro@example.jp", "198.51.100.1"), "the locks end by themselves")
	})
}

func TestSingleUseToken(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		old, err := f.store.IssueToken(ctx, f.tenant, f.user, auth.PurposeSetPassword, time.Hour)
		require.NoError(t, err)
		token, err := f.store.IssueToken(ctx, f.tenant, f.user, auth.PurposeSetPassword, time.Hour)
		require.NoError(t, err)
		_, _, err = f.store.PeekToken(ctx, old, auth.PurposeSetPassword)
		require.ErrorIs(t, err, auth.ErrBadToken, "a new token replaces the old one")
		_, user, err := f.store.PeekToken(ctx, token, auth.PurposeSetPassword)
		require.NoError(t, err)
		require.Equal(t, f.user, user)

		// A failing use leaves the token usable.
		err = f.store.RedeemToken(ctx, token, auth.PurposeSetPassword, func(ctx context.Context, st *auth.Store, _, u uuid.UUID) error {
			return st.SetPassword(ctx, u, "weak")
		})
		require.ErrorIs(t, err, auth.ErrPasswordTooShort)

		// Concurrent uses: exactly one succeeds.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ok, bad int
		for range 4 {
			wg.Go(func() {
				err := f.store.RedeemToken(ctx, token, auth.PurposeSetPassword, func(context.Context, *auth.Store, uuid.UUID, uuid.UUID) error { return nil })
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, auth.ErrBadToken):
					bad++
				default:
					t.Errorf("redeem: %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, 1, ok)
		require.Equal(t, 3, bad)

		expiring, err := f.store.IssueToken(ctx, f.tenant, f.user, auth.PurposeSetPassword, time.Hour)
		require.NoError(t, err)
		f.clock.Advance(time.Hour + time.Second)
		_, _, err = f.store.PeekToken(ctx, expiring, auth.PurposeSetPassword)
		require.ErrorIs(t, err, auth.ErrBadToken)
	})
}

// An admin sees the tenant's locked logins and lifts a lock, audited;
// nobody else may, and another tenant's admin sees nothing.
func TestLockouts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		as := func(tenant uuid.UUID, name, email string, role permission.Role) context.Context {
			u, err := f.dir.SaveUser(ctx, permission.User{Tenant: tenant, Name: name, Email: email, Roles: []permission.Role{role}, Active: true})
			require.NoError(t, err)
			p, err := f.dir.Principal(ctx, tenant, u.ID)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		admin := as(f.tenant, "管理 太郎", "taro@example.jp", permission.RoleAdmin)
		staff := as(f.tenant, "担当 一郎", "ichiro@example.jp", permission.RoleStaff)
		other, err := f.dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
		require.NoError(t, err)
		otherAdmin := as(other.ID, "他社 管理", "admin@other.example", permission.RoleAdmin)

		none, err := f.store.Lockouts(admin)
		require.NoError(t, err)
		require.Empty(t, none)
		for range auth.DefaultMaxFailures {
			_, _, err = f.store.Login(ctx, "hanako@example.jp", "wrong", "192.0.2.1")
		}
		require.ErrorIs(t, err, auth.ErrThrottled)
		_, _, err = f.store.Login(ctx, "unknown@example.jp", "wrong", "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrBadCredentials)

		locks, err := f.store.Lockouts(admin)
		require.NoError(t, err)
		require.Len(t, locks, 1, "failures of unknown logins are no one's lock")
		require.Equal(t, f.user, locks[0].User)
		require.Equal(t, "hanako@example.jp", locks[0].Login)
		require.WithinDuration(t, f.clock.Now().Add(auth.DefaultLockout), locks[0].LockedUntil, time.Second)
		_, err = f.store.Lockouts(staff)
		require.ErrorIs(t, err, permission.ErrPermissionDenied)
		theirs, err := f.store.Lockouts(otherAdmin)
		require.NoError(t, err)
		require.Empty(t, theirs)

		require.ErrorIs(t, f.store.Unlock(staff, f.user), permission.ErrPermissionDenied)
		require.ErrorIs(t, f.store.Unlock(otherAdmin, f.user), permission.ErrNotFound)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "192.0.2.9")
		require.ErrorIs(t, err, auth.ErrThrottled, "still locked")

		require.NoError(t, f.store.Unlock(admin, f.user))
		require.ErrorIs(t, f.store.Unlock(admin, f.user), permission.ErrNotFound, "nothing left to lift")
		locks, err = f.store.Lockouts(admin)
		require.NoError(t, err)
		require.Empty(t, locks)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "192.0.2.9")
		require.NoError(t, err, "unlocked")

		log, err := permission.AuditLog(admin, db, permission.AuditQuery{ObjectType: "user", Object: f.user})
		require.NoError(t, err)
		require.Len(t, log, 1)
		require.Equal(t, "unlock_login", log[0].Action)
		p, _ := permission.FromContext(admin)
		require.Equal(t, p.User, log[0].Actor)
	})
}

// A user's own password change keeps the session it was made from and
// ends the others; the current password is checked and throttled like a
// login.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		const pw, next = "見積は来週 blue-lantern-42", "another strong-passphrase 9"
		here, _, err := f.store.Login(ctx, "hanako@example.jp", pw, "192.0.2.1")
		require.NoError(t, err)
		phone, _, err := f.store.Login(ctx, "hanako@example.jp", pw, "192.0.2.2")
		require.NoError(t, err)

		require.ErrorIs(t, f.store.Reauthenticate(ctx, f.user, "wrong", "192.0.2.1"), auth.ErrBadCredentials)
		require.NoError(t, f.store.Reauthenticate(ctx, f.user, pw, "192.0.2.1"))
		require.ErrorIs(t, f.store.ChangePassword(ctx, f.user, "short", here), auth.ErrPasswordTooShort)
		require.NoError(t, f.store.ChangePassword(ctx, f.user, next, here))

		_, err = f.store.Session(ctx, here)
		require.NoError(t, err, "the session the change was made from stays")
		_, err = f.store.Session(ctx, phone)
		require.ErrorIs(t, err, auth.ErrNoSession, "every other session ends")
		_, _, err = f.store.Login(ctx, "hanako@example.jp", pw, "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrBadCredentials)
		_, _, err = f.store.Login(ctx, "hanako@example.jp", next, "192.0.2.1")
		require.NoError(t, err)

		for range auth.DefaultMaxFailures - 1 {
			require.ErrorIs(t, f.store.Reauthenticate(ctx, f.user, "wrong", "192.0.2.1"), auth.ErrBadCredentials)
		}
		require.ErrorIs(t, f.store.Reauthenticate(ctx, f.user, "wrong", "192.0.2.1"), auth.ErrThrottled)
		require.ErrorIs(t, f.store.Reauthenticate(ctx, f.user, next, "192.0.2.1"), auth.ErrThrottled,
			"a locked login cannot be tried from a session either")
	})
}

// BenchmarkSession looks a live session up on PostgreSQL, as every
// request does first, with its values written into the text (each call
// parsed and planned) and bound through the statement cache the server
// passes (prepared once per connection). SQLite binds it either way.
func BenchmarkSession(b *testing.B) {
	db := dbtest.Postgres(b)
	f := setup(b, db)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		cache any
	}{{"interpolated", nil}, {"bound", dbtest.StatementCache(b, db)}} {
		st := auth.NewStore(db, f.dir, &auth.Config{Clock: f.clock.Now, StatementCache: c.cache})
		token, _, err := st.Login(ctx, "hanako@example.jp", "見積は来週 blue-lantern-42", "192.0.2.1")
		require.NoError(b, err)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.Session(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
