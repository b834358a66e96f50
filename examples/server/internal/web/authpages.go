package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
)

// lockoutMinutes is how long a throttled login or request waits, in whole
// minutes rounded up, as the throttle messages say it.
func (u *UI) lockoutMinutes() int {
	return int((u.app.Auth.Lockout() + time.Minute - 1) / time.Minute)
}

func (u *UI) authRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", u.loginForm)
	mux.HandleFunc("POST /login", u.login)
	mux.Handle("POST /logout", u.page(u.logout))
	mux.HandleFunc("GET /password/{token}", u.passwordForm)
	mux.HandleFunc("POST /password/{token}", u.setPassword)
}

func (u *UI) loginForm(w http.ResponseWriter, hr *http.Request) {
	f := NewForm(nil)
	f.Values.Set("next", safeNext(hr.URL.Query().Get("next")))
	u.render(w, hr, nil, http.StatusOK, "login", f)
}

// safeNext keeps a post-login redirect on this site: next must be a path
// of this origin ("/x…", not "//host"), with no scheme or host, no
// backslash, control character or space (browsers read "\\" as "/" and
// drop tabs and newlines, so "/\\host" and "/\t/host" would leave the
// site), and must still start with one "/" once percent-decoded
// ("/%2F/host"). Anything else becomes "/".
func safeNext(next string) string {
	decoded, derr := url.PathUnescape(next)
	u, perr := url.Parse(next)
	if derr != nil || perr != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		!localStart(next) || !localStart(decoded) || strings.ContainsFunc(next, unsafeInPath) {
		return "/"
	}
	return next
}

// localStart reports whether p is "/" or starts with "/" followed by
// neither another slash nor an unsafe character.
func localStart(p string) bool {
	rest, ok := strings.CutPrefix(p, "/")
	if !ok {
		return false
	}
	c, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || c != '/' && !unsafeInPath(c)
}

func unsafeInPath(c rune) bool { return c == '\\' || unicode.IsControl(c) || unicode.IsSpace(c) }

func (u *UI) login(w http.ResponseWriter, hr *http.Request) {
	if err := hr.ParseForm(); err != nil {
		u.fail(w, hr, nil, err)
		return
	}
	// The form shown again must not carry the password; it is read
	// before being removed (the form shares PostForm's map).
	password := hr.PostFormValue("password")
	f := NewForm(hr.PostForm)
	f.Values.Del("password")
	token, s, err := u.app.Auth.Login(hr.Context(), hr.PostFormValue("email"), password, clientAddr(hr))
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		f.Message = msg.T("auth.bad_credentials")
	case errors.Is(err, auth.ErrThrottled):
		f.Message = msg.T("auth.throttled", u.lockoutMinutes())
	case err != nil:
		u.fail(w, hr, nil, err)
		return
	}
	if err != nil {
		u.render(w, hr, nil, http.StatusUnauthorized, "login", f)
		return
	}
	http.SetCookie(w, u.sessionCookie(token, s.ExpiresAt))
	redirect(w, hr, safeNext(hr.PostFormValue("next")), "")
}

func (u *UI) sessionCookie(token string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: u.app.Config.SecureCookies, SameSite: http.SameSiteLaxMode, Expires: expires}
}

// clientAddr is the peer's IP address (the example trusts no proxy header).
func clientAddr(hr *http.Request) string {
	host, _, err := net.SplitHostPort(hr.RemoteAddr)
	if err != nil {
		return hr.RemoteAddr
	}
	return host
}

func (u *UI) logout(w http.ResponseWriter, r *Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := u.app.Auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	c := u.sessionCookie("", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
	redirect(w, r.Request, "/login", "auth.logged_out")
	return nil
}

type passwordPage struct {
	Form  *Form
	Token string
	Email string
	Name  string
}

func (u *UI) passwordForm(w http.ResponseWriter, hr *http.Request) {
	if page := u.passwordPage(w, hr); page != nil {
		u.render(w, hr, nil, http.StatusOK, "password", page)
	}
}

// passwordPage loads the page of the link's token, or answers the request
// itself (an unknown, used or expired link; an error) and returns nil. The
// token is in the URL, so the page sends no Referer anywhere.
func (u *UI) passwordPage(w http.ResponseWriter, hr *http.Request) *passwordPage {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := hr.PathValue("token")
	tenant, user, err := u.app.Auth.PeekToken(hr.Context(), token, auth.PurposeSetPassword)
	var usr *permission.User
	if err == nil {
		usr, err = u.app.Dir.User(hr.Context(), tenant, user)
	}
	switch {
	case errors.Is(err, auth.ErrBadToken):
		u.render(w, hr, nil, http.StatusNotFound, "error", map[string]any{"Message": msg.T("auth.bad_token")})
		return nil
	case err != nil:
		u.fail(w, hr, nil, err)
		return nil
	}
	return &passwordPage{Form: NewForm(nil), Token: token, Email: usr.Email, Name: usr.Name}
}

func (u *UI) setPassword(w http.ResponseWriter, hr *http.Request) {
	page := u.passwordPage(w, hr)
	if page == nil {
		return
	}
	token := page.Token
	pw := hr.PostFormValue("password")
	err := u.app.Auth.RedeemToken(hr.Context(), token, auth.PurposeSetPassword,
		func(ctx context.Context, st *auth.Store, _, user uuid.UUID) error {
			return st.SetPassword(ctx, user, pw)
		})
	for _, pe := range []error{auth.ErrPasswordTooShort, auth.ErrPasswordTooLong, auth.ErrPasswordWeak} {
		if errors.Is(err, pe) {
			page.Form.Add("password", msg.T("auth."+pe.Error()))
			u.render(w, hr, nil, http.StatusUnprocessableEntity, "password", page)
			return
		}
	}
	if err != nil {
		u.fail(w, hr, nil, err)
		return
	}
	redirect(w, hr, "/login", "auth.password_set")
}
