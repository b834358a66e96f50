// Package servertest starts the example server against a test database for
// the web, API and browser tests: an App (dispatcher off, mails captured),
// an httptest server, users with passwords, and logged-in clients.
package servertest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/server"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
)

// Password is every test user's password.
const Password = "correct horse battery staple 記録"

// AdminEmail is the bootstrap administrator's login.
const AdminEmail = "admin@example.com"

// Env is a running test server.
type Env struct {
	App    *app.App
	Server *httptest.Server
	Tenant uuid.UUID
	Admin  uuid.UUID

	mu    sync.Mutex
	mails []mail.Message
}

// New starts the server on db (migrated here) with a bootstrapped tenant
// and administrator (password Password). opts may change the app options;
// the mailer is always the capturing one.
func New(t testing.TB, db *bun.DB, opts ...func(*app.Config, *app.Options)) *Env {
	t.Helper()
	e := &Env{}
	cfg := app.Config{DataDir: t.TempDir(), AdminEmail: AdminEmail, AdminPassword: Password}
	o := app.Options{DB: db, NoDispatcher: true, Mailer: mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.mails = append(e.mails, m)
		return nil
	})}
	for _, f := range opts {
		f(&cfg, &o)
	}
	a, err := app.Open(context.Background(), cfg, o)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	boot, err := a.Bootstrap(context.Background())
	require.NoError(t, err)
	h, err := server.Handler(a)
	require.NoError(t, err)
	e.App, e.Tenant, e.Admin = a, boot.Tenant, boot.Admin
	e.Server = httptest.NewServer(h)
	t.Cleanup(e.Server.Close)
	return e
}

// Mails returns the mails sent so far.
func (e *Env) Mails() []mail.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]mail.Message(nil), e.mails...)
}

// User creates an active staff user of the tenant with the roles (staff if
// none), login email and password Password, and returns its ID.
func (e *Env) User(t testing.TB, name, kana, email string, roles ...permission.Role) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	u, err := e.App.Dir.SaveUser(ctx, permission.User{Tenant: e.Tenant, Name: name, Kana: kana, Email: email,
		Roles: roles, Active: true})
	require.NoError(t, err)
	require.NoError(t, e.App.Auth.SetLogin(ctx, e.Tenant, u.ID, email))
	require.NoError(t, e.App.Auth.SetPassword(ctx, u.ID, Password))
	return u.ID
}

// Ctx returns a context carrying the principal of user (for arranging data
// through the engines).
func (e *Env) Ctx(t testing.TB, user uuid.UUID) context.Context {
	t.Helper()
	p, err := e.App.Principal(context.Background(), e.Tenant, user)
	require.NoError(t, err)
	return permission.WithPrincipal(context.Background(), p)
}

// Client is a browser-like HTTP client with a cookie jar that does not
// follow redirects (tests check them).
type Client struct {
	HTTP *http.Client
	Base string
	// CSRF is the session's token (after Login).
	CSRF string
	// Session is the session cookie's value (after Login).
	Session string
}

// Client returns a client without a session.
func (e *Env) Client(t testing.TB) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &Client{Base: e.Server.URL, HTTP: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Login returns a client logged in through the login form as email.
func (e *Env) Login(t testing.TB, email string) *Client {
	t.Helper()
	c := e.Client(t)
	res, _ := c.Post(t, "/login", url.Values{"email": {email}, "password": {Password}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "login as %s", email)
	u, _ := url.Parse(c.Base)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			c.Session = ck.Value
		}
	}
	s, err := e.App.Auth.Session(context.Background(), c.Session)
	require.NoError(t, err)
	c.CSRF = s.CSRF
	return c
}

// Get fetches path and returns the response and its body.
func (c *Client) Get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	res, err := c.HTTP.Get(c.Base + path)
	require.NoError(t, err)
	return res, readBody(t, res)
}

// Post submits a urlencoded form to path, adding the CSRF token.
func (c *Client) Post(t testing.TB, path string, v url.Values) (*http.Response, string) {
	t.Helper()
	if v == nil {
		v = url.Values{}
	}
	if c.CSRF != "" && v.Get("_csrf") == "" {
		v.Set("_csrf", c.CSRF)
	}
	res, err := c.HTTP.PostForm(c.Base+path, v)
	require.NoError(t, err)
	return res, readBody(t, res)
}

// Do sends req (its URL relative to the server) with the CSRF header.
func (c *Client) Do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	u, err := url.Parse(c.Base + req.URL.String())
	require.NoError(t, err)
	req.URL = u
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	res, err := c.HTTP.Do(req)
	require.NoError(t, err)
	return res, readBody(t, res)
}

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// Location is the redirect target of res.
func Location(res *http.Response) string { return res.Header.Get("Location") }

// Contains reports whether the HTML body contains every string.
func Contains(body string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(body, p) {
			return false
		}
	}
	return true
}

// Token is a helper for tests of single-use links: a new set-password link
// for user.
func (e *Env) Token(t testing.TB, user uuid.UUID) string {
	t.Helper()
	tok, err := e.App.Auth.IssueToken(context.Background(), e.Tenant, user, auth.PurposeSetPassword, 3600e9)
	require.NoError(t, err)
	return tok
}
