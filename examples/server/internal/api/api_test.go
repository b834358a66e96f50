package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/api"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// client calls the API with a bearer token and checks every response
// against the OpenAPI document.
type client struct {
	t     *testing.T
	base  string
	token string
	valid *apitest.Validator
}

// validator checks responses against the document of e's API.
func validator(t *testing.T, e *servertest.Env) *apitest.Validator {
	t.Helper()
	srv, err := api.New(e.App)
	require.NoError(t, err)
	v, err := apitest.NewValidator(srv.OpenAPI())
	require.NoError(t, err)
	return v
}

type resp struct {
	*http.Response
	Body []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), string(r.Body))
}

func (r resp) problem(t *testing.T) capi.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), string(r.Body))
	var p capi.Problem
	r.json(t, &p)
	require.Equal(t, r.StatusCode, p.Status)
	require.NotEmpty(t, p.Type)
	require.NotEmpty(t, p.Title)
	require.False(t, strings.HasPrefix(p.Title, "["), "title %q is in the catalog", p.Title)
	return p
}

func (c *client) do(method, path string, body io.Reader, hdr ...string) resp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	require.NoError(c.t, c.valid.Response(req, res), "the response matches the OpenAPI document")
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return resp{res, b}
}

func (c *client) jsonDo(method, path string, v any, hdr ...string) resp {
	c.t.Helper()
	b, err := json.Marshal(v)
	require.NoError(c.t, err)
	return c.do(method, path, bytes.NewReader(b), hdr...)
}

// tokenFor issues a token for the user directly through the store.
func tokenFor(t *testing.T, e *servertest.Env, tenant, user uuid.UUID) *client {
	t.Helper()
	_, secret, err := e.App.Tokens.Create(context.Background(), tenant, user, "test", 0)
	require.NoError(t, err)
	return &client{t: t, base: e.Server.URL, token: secret, valid: validator(t, e)}
}

func yamada() customer.Profile {
	return customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "たろう",
		Phone: "03-1234-5678"}
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		// A browser session (logged in through the store: the login form is
		// the web area's).
		sessTok, sess, err := e.App.Auth.Login(t.Context(), servertest.AdminEmail, servertest.Password, "192.0.2.1")
		require.NoError(t, err)
		browser := func(method, path, body, csrf string) (*http.Response, string) {
			req, err := http.NewRequest(method, e.Server.URL+path, strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: sessTok})
			if csrf != "" {
				req.Header.Set("X-CSRF-Token", csrf)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			return res, string(b)
		}
		post := func(csrf string) (*http.Response, string) {
			return browser(http.MethodPost, api.Prefix+"/tokens", `{"name":"連携","expires_in_days":30}`, csrf)
		}
		res, _ := post("")
		require.Equal(t, http.StatusForbidden, res.StatusCode, "a session write needs the CSRF header")
		res, body := post(sess.CSRF)
		require.Equal(t, http.StatusCreated, res.StatusCode, body)
		var nt api.NewToken
		require.NoError(t, json.Unmarshal([]byte(body), &nt))
		require.True(t, strings.HasPrefix(nt.Secret, auth.TokenPrefix))
		require.NotNil(t, nt.ExpiresAt)

		// Only the hash is stored.
		var rows []map[string]any
		require.NoError(t, db.NewSelect().Table("server_api_tokens").Scan(t.Context(), &rows))
		require.Len(t, rows, 1)
		want := sha256.Sum256([]byte(strings.TrimPrefix(nt.Secret, auth.TokenPrefix)))
		require.Equal(t, want[:], rows[0]["token_hash"])
		for k, v := range rows[0] {
			if s, ok := v.(string); ok {
				require.NotContains(t, s, strings.TrimPrefix(nt.Secret, auth.TokenPrefix), "column %s", k)
			}
		}

		valid := validator(t, e)
		anon := &client{t: t, base: e.Server.URL, valid: valid}
		anon.do(http.MethodGet, api.Prefix+"/customers", nil).problem(t)
		require.Equal(t, http.StatusUnauthorized, anon.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode)
		bad := &client{t: t, base: e.Server.URL, token: auth.TokenPrefix + "nope", valid: valid}
		require.Equal(t, http.StatusUnauthorized, bad.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode)

		c := &client{t: t, base: e.Server.URL, token: nt.Secret, valid: valid}
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode)
		// Token routes refuse bearer tokens: a token cannot mint tokens.
		require.Equal(t, http.StatusUnauthorized, c.jsonDo(http.MethodPost, api.Prefix+"/tokens", api.TokenRequest{Name: "x"}).StatusCode)

		res, body = browser(http.MethodGet, api.Prefix+"/tokens", "", "")
		require.Equal(t, http.StatusOK, res.StatusCode)
		var list api.TokenList
		require.NoError(t, json.Unmarshal([]byte(body), &list))
		require.Len(t, list.Tokens, 1)
		require.Equal(t, "連携", list.Tokens[0].Name)
		require.NotNil(t, list.Tokens[0].LastUsedAt, "use is noted")
		require.NotContains(t, body, strings.TrimPrefix(nt.Secret, auth.TokenPrefix), "the list never shows the secret")

		res, _ = browser(http.MethodDelete, api.Prefix+"/tokens/"+nt.ID.String(), "", sess.CSRF)
		require.Equal(t, http.StatusNoContent, res.StatusCode)
		r := c.do(http.MethodGet, api.Prefix+"/customers", nil)
		require.Equal(t, http.StatusUnauthorized, r.StatusCode)
		require.Equal(t, "urn:kiroku:problem:unauthenticated", r.problem(t).Type)
		res, _ = browser(http.MethodDelete, api.Prefix+"/tokens/"+nt.ID.String(), "", sess.CSRF)
		require.Equal(t, http.StatusNotFound, res.StatusCode, "revoked twice")

		// An inactive user's token stops working.
		staff := e.User(t, "佐藤", "サトウ", "sato@example.com")
		sc := tokenFor(t, e, e.Tenant, staff)
		require.Equal(t, http.StatusOK, sc.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode)
		u, err := e.App.Dir.User(t.Context(), e.Tenant, staff)
		require.NoError(t, err)
		u.Active = false
		_, err = e.App.Dir.SaveUser(t.Context(), *u)
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, sc.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode)
	})
}

// TestTokensRevokedForGood: a password reset and a deactivation revoke
// the user's tokens in the database, and reactivating the user revives
// none of them.
func TestTokensRevokedForGood(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staff := e.User(t, "佐藤", "サトウ", "sato@example.com")
		other := tokenFor(t, e, e.Tenant, e.Admin)
		ok := func(c *client) bool {
			return c.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode == http.StatusOK
		}

		reset := tokenFor(t, e, e.Tenant, staff)
		require.True(t, ok(reset))
		require.NoError(t, e.App.Auth.SetPassword(t.Context(), staff, "新しい合言葉 river-stone-77"))
		require.False(t, ok(reset), "a password reset revokes the user's tokens")

		deact := tokenFor(t, e, e.Tenant, staff)
		require.True(t, ok(deact))
		u, err := e.App.Dir.User(t.Context(), e.Tenant, staff)
		require.NoError(t, err)
		u.Active = false
		u, err = e.App.Dir.SaveUser(t.Context(), *u)
		require.NoError(t, err)
		require.NoError(t, e.App.Auth.EndSessions(t.Context(), staff), "what the admin page does on deactivation")
		u.Active = true
		_, err = e.App.Dir.SaveUser(t.Context(), *u)
		require.NoError(t, err)
		require.False(t, ok(deact), "reactivating revives no token")
		require.False(t, ok(reset))

		ts, err := auth.NewTokens(db, e.App.Clock, nil).List(t.Context(), e.Tenant, staff)
		require.NoError(t, err)
		require.Len(t, ts, 2)
		for _, tk := range ts {
			require.NotNil(t, tk.RevokedAt, "revoked in the database")
		}
		require.True(t, ok(other), "another user's token is untouched")
		require.True(t, ok(tokenFor(t, e, e.Tenant, staff)), "a new token works")
	})
}

// TestAdminListsAndRevokesTokens: an admin lists and revokes another
// user's tokens through the session-authenticated routes; staff may not.
func TestAdminListsAndRevokesTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staff := e.User(t, "佐藤", "サトウ", "sato@example.com")
		sc := tokenFor(t, e, e.Tenant, staff)
		as := func(email string) func(method, path string) (int, string) {
			tok, sess, err := e.App.Auth.Login(t.Context(), email, servertest.Password, "192.0.2.2")
			require.NoError(t, err)
			return func(method, path string) (int, string) {
				req, err := http.NewRequest(method, e.Server.URL+api.Prefix+path, nil)
				require.NoError(t, err)
				req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: tok})
				req.Header.Set("X-CSRF-Token", sess.CSRF)
				res, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				return res.StatusCode, string(b)
			}
		}
		admin, self := as(servertest.AdminEmail), as("sato@example.com")
		path := "/users/" + staff.String() + "/tokens"

		status, _ := self(http.MethodGet, path)
		require.Equal(t, http.StatusForbidden, status, "staff cannot list through the admin route")
		status, body := admin(http.MethodGet, path)
		require.Equal(t, http.StatusOK, status, body)
		var list api.TokenList
		require.NoError(t, json.Unmarshal([]byte(body), &list))
		require.Len(t, list.Tokens, 1)
		require.Equal(t, staff, list.Tokens[0].User)

		status, _ = self(http.MethodDelete, path+"/"+list.Tokens[0].ID.String())
		require.Equal(t, http.StatusForbidden, status)
		status, _ = admin(http.MethodDelete, "/users/"+e.Admin.String()+"/tokens/"+list.Tokens[0].ID.String())
		require.Equal(t, http.StatusNotFound, status, "the token of another user")
		status, _ = admin(http.MethodDelete, path+"/"+list.Tokens[0].ID.String())
		require.Equal(t, http.StatusNoContent, status)
		require.Equal(t, http.StatusUnauthorized, sc.do(http.MethodGet, api.Prefix+"/customers", nil).StatusCode)
	})
}

func TestCustomerLocking(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := tokenFor(t, e, e.Tenant, e.Admin)
		r := c.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada())
		require.Equal(t, http.StatusCreated, r.StatusCode, string(r.Body))
		var cu customer.Customer
		r.json(t, &cu)
		require.Equal(t, api.Prefix+"/customers/"+cu.ID.String(), r.Header.Get("Location"))
		tag := r.Header.Get("ETag")
		require.Equal(t, etagOf(cu.Version), tag)
		require.Equal(t, "ヤマダ", cu.FamilyKana)

		r = c.do(http.MethodGet, api.Prefix+"/customers/"+cu.ID.String(), nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Equal(t, tag, r.Header.Get("ETag"))

		p := yamada()
		p.Memo = "更新"
		r = c.jsonDo(http.MethodPut, api.Prefix+"/customers/"+cu.ID.String(), p)
		require.Equal(t, http.StatusPreconditionRequired, r.StatusCode)
		r.problem(t)
		r = c.jsonDo(http.MethodPut, api.Prefix+"/customers/"+cu.ID.String(), p, "If-Match", `"999"`)
		require.Equal(t, http.StatusPreconditionFailed, r.StatusCode)
		r.problem(t)
		r = c.jsonDo(http.MethodPut, api.Prefix+"/customers/"+cu.ID.String(), p, "If-Match", "garbage")
		require.Equal(t, http.StatusBadRequest, r.StatusCode)
		r = c.jsonDo(http.MethodPut, api.Prefix+"/customers/"+cu.ID.String(), p, "If-Match", tag)
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
		newTag := r.Header.Get("ETag")
		require.NotEqual(t, tag, newTag)
		// The old tag is now stale.
		r = c.jsonDo(http.MethodPut, api.Prefix+"/customers/"+cu.ID.String(), p, "If-Match", tag)
		require.Equal(t, http.StatusPreconditionFailed, r.StatusCode)

		require.Equal(t, http.StatusPreconditionRequired, c.do(http.MethodDelete, api.Prefix+"/customers/"+cu.ID.String(), nil).StatusCode)
		require.Equal(t, http.StatusPreconditionFailed, c.do(http.MethodDelete, api.Prefix+"/customers/"+cu.ID.String(), nil, "If-Match", tag).StatusCode)
		require.Equal(t, http.StatusNoContent, c.do(http.MethodDelete, api.Prefix+"/customers/"+cu.ID.String(), nil, "If-Match", newTag).StatusCode)
		require.Equal(t, http.StatusNotFound, c.do(http.MethodGet, api.Prefix+"/customers/"+cu.ID.String(), nil).StatusCode)
		require.Equal(t, http.StatusNotFound, c.do(http.MethodGet, api.Prefix+"/customers/not-a-uuid", nil).StatusCode)
		r = c.do(http.MethodPatch, api.Prefix+"/customers/"+cu.ID.String(), nil)
		require.Equal(t, http.StatusMethodNotAllowed, r.StatusCode)
		require.Equal(t, "GET, PUT, DELETE", r.Header.Get("Allow"))
		r.problem(t)
		require.Equal(t, http.StatusNotFound, c.do(http.MethodGet, "/api/v1/nothing", nil).StatusCode)

		// Validation: 422 with the engine's codes.
		r = c.jsonDo(http.MethodPost, api.Prefix+"/customers", customer.Profile{FamilyKana: "abc", Phone: "12"})
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		pr := r.problem(t)
		require.Equal(t, "urn:kiroku:problem:validation", pr.Type)
		codes := map[string]string{}
		for _, fe := range pr.Errors {
			codes[fe.Field] = fe.Code
		}
		require.Equal(t, "required", codes["family_name"], pr.Errors)
		require.Equal(t, "not_kana", codes["family_kana"], pr.Errors)
		require.Contains(t, codes, "phone")
		// A value of the wrong JSON type is a field problem too.
		r = c.do(http.MethodPost, api.Prefix+"/customers", strings.NewReader(`{"family_name":"山田","consent":"yes"}`))
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode, string(r.Body))
		pr = r.problem(t)
		require.Equal(t, "consent", pr.Errors[0].Field)
		require.Equal(t, "wrong_type", pr.Errors[0].Code)
		// Unknown JSON fields are refused, not ignored, and named; each
		// problem carries the catalog's sentence.
		r = c.do(http.MethodPost, api.Prefix+"/customers", strings.NewReader(`{"family_nam":"x"}`))
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode)
		pr = r.problem(t)
		require.Equal(t, []capi.FieldError{{Field: "family_nam", Code: "unknown", Message: msg.T("code.unknown")}}, pr.Errors)
		// An era date outside its era names the field, in Japanese.
		r = c.do(http.MethodPost, api.Prefix+"/customers", strings.NewReader(
			`{"family_name":"山田","family_kana":"ヤマダ","birthday":"平成1年1月7日"}`))
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode, string(r.Body))
		pr = r.problem(t)
		require.Equal(t, []capi.FieldError{{Field: "birthday", Code: "outside_era",
			Message: msg.T("csv.field.birthday") + "：" + msg.T("code.outside_era")}}, pr.Errors)

		// Search finds nothing deleted; the page is JSON with a cursor field.
		r = c.do(http.MethodGet, api.Prefix+"/customers?q=山田&total=true", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		var page customer.Page
		r.json(t, &page)
		require.Equal(t, 0, page.Total)
		require.Equal(t, http.StatusUnprocessableEntity, c.do(http.MethodGet, api.Prefix+"/customers?limit=x", nil).StatusCode)
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := tokenFor(t, e, e.Tenant, e.Admin)
		count := func() int {
			r := c.do(http.MethodGet, api.Prefix+"/customers?total=true", nil)
			var p customer.Page
			r.json(t, &p)
			return p.Total
		}
		r1 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada(), "Idempotency-Key", "k1")
		require.Equal(t, http.StatusCreated, r1.StatusCode, string(r1.Body))
		r2 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada(), "Idempotency-Key", "k1")
		require.Equal(t, http.StatusCreated, r2.StatusCode)
		require.Equal(t, string(r1.Body), string(r2.Body))
		require.Equal(t, r1.Header.Get("Location"), r2.Header.Get("Location"))
		require.Equal(t, r1.Header.Get("ETag"), r2.Header.Get("ETag"))
		require.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"))
		require.Equal(t, 1, count())

		other := yamada()
		other.GivenName = "花子"
		r3 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", other, "Idempotency-Key", "k1")
		require.Equal(t, http.StatusUnprocessableEntity, r3.StatusCode)
		require.Equal(t, "urn:kiroku:problem:idempotency-key-reused", r3.problem(t).Type)
		require.Equal(t, 1, count())

		// A failed request releases its key.
		r4 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", customer.Profile{}, "Idempotency-Key", "k2")
		require.Equal(t, http.StatusUnprocessableEntity, r4.StatusCode)
		r5 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", other, "Idempotency-Key", "k2")
		require.Equal(t, http.StatusCreated, r5.StatusCode)
		require.Equal(t, 2, count())

		// Keys belong to the user: another user's same key runs.
		staff := e.User(t, "佐藤", "サトウ", "sato@example.com")
		sc := tokenFor(t, e, e.Tenant, staff)
		r6 := sc.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada(), "Idempotency-Key", "k1")
		require.Equal(t, http.StatusCreated, r6.StatusCode)
		require.NotEqual(t, r1.Header.Get("Location"), r6.Header.Get("Location"))
		require.Equal(t, 3, count())

		// Streamed POSTs refuse the header instead of ignoring it.
		r7 := c.do(http.MethodPost, api.Prefix+"/customers/import?dry_run=true", strings.NewReader("姓\n"),
			"Content-Type", "text/csv", "Idempotency-Key", "k9")
		require.Equal(t, http.StatusBadRequest, r7.StatusCode)
		require.Equal(t, "urn:kiroku:problem:idempotency-key-unsupported", r7.problem(t).Type)

		// Concurrent duplicates: exactly one runs.
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		third := yamada()
		third.GivenName = "次郎"
		for i := range statuses {
			wg.Go(func() {
				b, _ := json.Marshal(third)
				req, _ := http.NewRequest(http.MethodPost, c.base+api.Prefix+"/customers", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+c.token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "k3")
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					statuses[i] = res.StatusCode
					res.Body.Close()
				}
			})
		}
		wg.Wait()
		for _, s := range statuses {
			require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, s)
		}
		require.Equal(t, 4, count())
	})
}

func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var mu sync.Mutex
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
		e := servertest.New(t, db, func(_ *app.Config, o *app.Options) { o.Clock = clock })
		c := tokenFor(t, e, e.Tenant, e.Admin)
		r1 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada(), "Idempotency-Key", "k")
		require.Equal(t, http.StatusCreated, r1.StatusCode, string(r1.Body))
		other := yamada()
		other.GivenName = "花子"
		mu.Lock()
		now = now.Add(capi.IdempotencyTTL - time.Minute)
		mu.Unlock()
		require.Equal(t, http.StatusUnprocessableEntity,
			c.jsonDo(http.MethodPost, api.Prefix+"/customers", other, "Idempotency-Key", "k").StatusCode)
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		r2 := c.jsonDo(http.MethodPost, api.Prefix+"/customers", other, "Idempotency-Key", "k")
		require.Equal(t, http.StatusCreated, r2.StatusCode, "an expired key runs again")
		require.NotEqual(t, r1.Header.Get("Location"), r2.Header.Get("Location"))
		n, err := db.NewSelect().Table("api_idempotency_keys").Count(t.Context())
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "the expired row is gone")
	})
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 10), 200, 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func TestRecordsAttachmentsComments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := tokenFor(t, e, e.Tenant, e.Admin)
		r := c.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada())
		require.Equal(t, http.StatusCreated, r.StatusCode)
		var cu customer.Customer
		r.json(t, &cu)

		r = c.jsonDo(http.MethodPost, api.Prefix+"/records", map[string]any{
			"template": "builtin:interview", "customer": cu.ID, "public_memo": "新商品のご案内"})
		require.Equal(t, http.StatusCreated, r.StatusCode, string(r.Body))
		var rec struct {
			ID      uuid.UUID `json:"id"`
			Version int64     `json:"version"`
		}
		r.json(t, &rec)
		require.Equal(t, etagOf(rec.Version), r.Header.Get("ETag"))
		recPath := api.Prefix + "/records/" + rec.ID.String()

		r = c.do(http.MethodGet, api.Prefix+"/records?q=新商品", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Contains(t, string(r.Body), rec.ID.String())

		// Upload a PNG, streamed as multipart.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		require.NoError(t, mw.WriteField("important", "true"))
		fw, err := mw.CreateFormFile("files", "写真.png")
		require.NoError(t, err)
		pic := pngBytes(t, 12, 7)
		_, err = fw.Write(pic)
		require.NoError(t, err)
		require.NoError(t, mw.Close())
		r = c.do(http.MethodPost, recPath+"/attachments", &body, "Content-Type", mw.FormDataContentType())
		require.Equal(t, http.StatusCreated, r.StatusCode, string(r.Body))
		var al capi.AttachmentList
		r.json(t, &al)
		require.Len(t, al.Attachments, 1)
		a := al.Attachments[0]
		require.Equal(t, "写真.png", a.Name)
		require.True(t, a.Important)

		r = c.do(http.MethodGet, recPath+"/attachments", nil)
		r.json(t, &al)
		require.Len(t, al.Attachments, 1)

		r = c.do(http.MethodGet, api.Prefix+"/attachments/"+a.ID.String()+"/content", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "sandbox", r.Header.Get("Content-Security-Policy"))
		require.Contains(t, r.Header.Get("Content-Disposition"), "attachment")
		img, _, err := image.Decode(bytes.NewReader(r.Body))
		require.NoError(t, err)
		require.Equal(t, image.Pt(12, 7), img.Bounds().Size())

		// Rename with If-Match.
		aPath := api.Prefix + "/attachments/" + a.ID.String()
		r = c.jsonDo(http.MethodPatch, aPath, map[string]any{"name": "外観.png"}, "If-Match", `"99"`)
		require.Equal(t, http.StatusPreconditionFailed, r.StatusCode)
		r = c.jsonDo(http.MethodPatch, aPath, map[string]any{"name": "外観.png"}, "If-Match", etagOf(a.Version))
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
		r.json(t, &a)
		require.Equal(t, "外観.png", a.Name)
		require.True(t, a.Important, "absent fields are kept")

		// A non-image is refused with a field problem.
		body.Reset()
		mw = multipart.NewWriter(&body)
		fw, _ = mw.CreateFormFile("files", "x.exe")
		_, _ = fw.Write([]byte("MZ\x90\x00 not a picture"))
		require.NoError(t, mw.Close())
		r = c.do(http.MethodPost, recPath+"/attachments", &body, "Content-Type", mw.FormDataContentType())
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode, string(r.Body))
		require.NotEmpty(t, r.problem(t).Errors)

		// Comments.
		r = c.jsonDo(http.MethodPost, recPath+"/comments", capi.CommentRequest{Body: "確認しました"})
		require.Equal(t, http.StatusCreated, r.StatusCode, string(r.Body))
		var cm struct {
			ID      uuid.UUID `json:"id"`
			Version int64     `json:"version"`
		}
		r.json(t, &cm)
		r = c.jsonDo(http.MethodPut, api.Prefix+"/comments/"+cm.ID.String(), capi.CommentRequest{Body: "再確認"}, "If-Match", r.Header.Get("ETag"))
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
		r = c.do(http.MethodGet, recPath+"/comments", nil)
		require.Contains(t, string(r.Body), "再確認")

		// Next record, then the record's own locking.
		r = c.jsonDo(http.MethodPost, recPath+"/next", capi.NextRequest{})
		require.Equal(t, http.StatusCreated, r.StatusCode, string(r.Body))
		r = c.do(http.MethodGet, recPath, nil)
		tag := r.Header.Get("ETag")
		require.Equal(t, http.StatusPreconditionFailed, c.do(http.MethodDelete, recPath, nil, "If-Match", `"77"`).StatusCode)
		require.Equal(t, http.StatusNoContent, c.do(http.MethodDelete, recPath, nil, "If-Match", tag).StatusCode)
		require.Equal(t, http.StatusNotFound, c.do(http.MethodGet, recPath, nil).StatusCode)

		// Templates and masters.
		r = c.do(http.MethodGet, api.Prefix+"/templates/builtin:interview", nil)
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
		r = c.do(http.MethodGet, api.Prefix+"/masters/progress", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		var ml capi.MasterList
		r.json(t, &ml)
		require.NotEmpty(t, ml.Items)
		require.Equal(t, http.StatusNotFound, c.do(http.MethodGet, api.Prefix+"/masters/bogus", nil).StatusCode)
		staff := tokenFor(t, e, e.Tenant, e.User(t, "佐藤", "サトウ", "sato@example.com"))
		r = staff.jsonDo(http.MethodPut, api.Prefix+"/masters/progress", ml)
		require.Equal(t, http.StatusForbidden, r.StatusCode, string(r.Body))
		r = c.jsonDo(http.MethodPut, api.Prefix+"/masters/progress", ml)
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		a := tokenFor(t, e, e.Tenant, e.Admin)
		r := a.jsonDo(http.MethodPost, api.Prefix+"/customers", yamada())
		require.Equal(t, http.StatusCreated, r.StatusCode)
		loc := r.Header.Get("Location")

		tb, err := e.App.Dir.CreateTenant(t.Context(), permission.Tenant{Name: "B社"})
		require.NoError(t, err)
		ub, err := e.App.Dir.SaveUser(t.Context(), permission.User{Tenant: tb.ID, Name: "B管理者", Kana: "ビーカンリシャ",
			Email: "b@example.com", Roles: []permission.Role{permission.RoleAdmin}, Active: true})
		require.NoError(t, err)
		b := tokenFor(t, e, tb.ID, ub.ID)
		r = b.do(http.MethodGet, loc, nil)
		require.Equal(t, http.StatusNotFound, r.StatusCode)
		r.problem(t)
		require.Equal(t, http.StatusNotFound, b.jsonDo(http.MethodPut, loc, yamada(), "If-Match", `"1"`).StatusCode)
		r = b.do(http.MethodGet, api.Prefix+"/customers?total=true", nil)
		var p customer.Page
		r.json(t, &p)
		require.Equal(t, 0, p.Total)
		require.Equal(t, http.StatusOK, a.do(http.MethodGet, loc, nil).StatusCode)
	})
}

func TestImportExport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := tokenFor(t, e, e.Tenant, e.Admin)
		csv := "姓,名,姓カナ,名カナ,電話番号\n鈴木,一郎,スズキ,イチロウ,03-1111-2222\n田中,,abc,,\n"
		r := c.do(http.MethodPost, api.Prefix+"/customers/import?dry_run=true&mode=valid_rows", strings.NewReader(csv), "Content-Type", "text/csv")
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
		var rep customer.ImportReport
		r.json(t, &rep)
		require.True(t, rep.DryRun)
		require.Equal(t, 1, rep.Created)
		require.NotEmpty(t, rep.Errors)
		require.Equal(t, 3, rep.Errors[0].Line)
		r = c.do(http.MethodGet, api.Prefix+"/customers?total=true", nil)
		var p customer.Page
		r.json(t, &p)
		require.Equal(t, 0, p.Total, "a dry run writes nothing")

		// All or nothing (the default) rejects the file with the report.
		r = c.do(http.MethodPost, api.Prefix+"/customers/import", strings.NewReader(csv), "Content-Type", "text/csv")
		require.Equal(t, http.StatusUnprocessableEntity, r.StatusCode, string(r.Body))

		// Multipart, valid rows only.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "c.csv")
		_, _ = fw.Write([]byte(csv))
		require.NoError(t, mw.Close())
		r = c.do(http.MethodPost, api.Prefix+"/customers/import?mode=valid_rows", &body, "Content-Type", mw.FormDataContentType())
		require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
		r.json(t, &rep)
		require.False(t, rep.DryRun)
		require.Equal(t, 1, rep.Created)

		r = c.do(http.MethodGet, api.Prefix+"/customers/export?encoding=utf-8-bom", nil)
		require.Equal(t, http.StatusOK, r.StatusCode)
		require.Contains(t, r.Header.Get("Content-Type"), "text/csv")
		require.Contains(t, string(r.Body), "鈴木")
		require.NotContains(t, string(r.Body), "田中")
		require.Equal(t, http.StatusUnprocessableEntity, c.do(http.MethodGet, api.Prefix+"/customers/export?encoding=ebcdic", nil).StatusCode)
	})
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	res, err := http.Get(e.Server.URL + "/api/openapi.json")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	srv, err := api.New(e.App)
	require.NoError(t, err)
	routes := srv.Routes()
	require.NotEmpty(t, routes)
	ids := map[string]bool{}
	for _, rt := range routes {
		require.False(t, ids[rt.ID], "operationId %s is unique", rt.ID)
		ids[rt.ID] = true
		require.True(t, msg.Has("api.op."+rt.ID), "route %s has a summary in the catalog", rt.ID)
		require.NotEmpty(t, rt.Tag, rt.ID)
		require.NotZero(t, rt.Status, rt.ID)
		op, ok := doc.Paths[api.Mount+rt.Path][strings.ToLower(rt.Method)]
		require.True(t, ok, "%s %s is documented", rt.Method, rt.Path)
		var o struct {
			OperationID string         `json:"operationId"`
			Responses   map[string]any `json:"responses"`
		}
		require.NoError(t, json.Unmarshal(op, &o))
		require.Equal(t, rt.ID, o.OperationID)
		require.Contains(t, o.Responses, strconv.Itoa(rt.Status))
		// Every path parameter is declared.
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}")
				found := false
				for _, p := range rt.Params {
					found = found || (p.Name == name && p.In == "path")
				}
				require.True(t, found, "%s declares path parameter %s", rt.ID, name)
			}
		}
	}
	// Every $ref resolves.
	for _, m := range refRe(string(raw)) {
		name := strings.TrimPrefix(m, "#/components/schemas/")
		require.Contains(t, doc.Components.Schemas, name)
	}
	type schema struct {
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
	}
	var cust, in schema
	require.NoError(t, json.Unmarshal(doc.Components.Schemas["customer.Customer"], &cust))
	require.Contains(t, cust.Properties, "family_kana", "embedded Profile is flattened")
	require.Contains(t, cust.Properties, "version")
	require.Contains(t, cust.Required, "id")
	require.NotContains(t, cust.Required, "deleted_at", "omitempty fields are optional")
	require.NoError(t, json.Unmarshal(doc.Components.Schemas["customer.Profile.Input"], &in))
	require.Contains(t, in.Properties, "family_name")
	require.Empty(t, in.Required, "request fields may be absent")
	require.Contains(t, string(doc.Paths[api.Prefix+"/customers"]["post"]), "customer.Profile.Input")
}

// refRe lists the "$ref" targets of a JSON text.
func refRe(s string) []string {
	var out []string
	for {
		i := strings.Index(s, `"$ref": "`)
		if i < 0 {
			return out
		}
		s = s[i+len(`"$ref": "`):]
		j := strings.IndexByte(s, '"')
		out = append(out, s[:j])
		s = s[j:]
	}
}

func etagOf(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// Admins list the tenant's locked logins and lift one; staff may not.
func TestAdminLiftsLockouts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		staff := e.User(t, "佐藤", "サトウ", "sato@example.com")
		admin, self := tokenFor(t, e, e.Tenant, e.Admin), tokenFor(t, e, e.Tenant, staff)
		list := func() []auth.Lockout {
			r := admin.do(http.MethodGet, api.Prefix+"/lockouts", nil)
			require.Equal(t, http.StatusOK, r.StatusCode, string(r.Body))
			var l api.LockoutList
			r.json(t, &l)
			return l.Lockouts
		}
		require.Empty(t, list())
		for range auth.DefaultMaxFailures {
			_, _, err := e.App.Auth.Login(t.Context(), "sato@example.com", "wrong", "192.0.2.3")
			require.Error(t, err)
		}
		locks := list()
		require.Len(t, locks, 1)
		require.Equal(t, staff, locks[0].User)
		require.Equal(t, "sato@example.com", locks[0].Login)

		require.Equal(t, http.StatusForbidden, self.do(http.MethodGet, api.Prefix+"/lockouts", nil).StatusCode)
		require.Equal(t, http.StatusForbidden, self.do(http.MethodDelete, api.Prefix+"/lockouts/"+staff.String(), nil).StatusCode)
		r := admin.do(http.MethodDelete, api.Prefix+"/lockouts/"+staff.String(), nil)
		require.Equal(t, http.StatusNoContent, r.StatusCode, string(r.Body))
		require.Empty(t, list())
		require.Equal(t, http.StatusNotFound, admin.do(http.MethodDelete, api.Prefix+"/lockouts/"+staff.String(), nil).StatusCode)
		_, _, err := e.App.Auth.Login(t.Context(), "sato@example.com", servertest.Password, "192.0.2.3")
		require.NoError(t, err)
	})
}
