package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// ログイン情報変更: every user changes their own e-mail address (the login)
// and password at /account, after typing the current password.

func (u *UI) accountRoutes(mux *http.ServeMux) {
	mux.Handle("GET /account", u.page(u.account))
	mux.Handle("POST /account", u.page(u.accountPost))
}

func (u *UI) account(w http.ResponseWriter, r *Request) error {
	f := NewForm(nil)
	f.Values.Set("email", r.User.Email)
	u.render(w, r.Request, r, http.StatusOK, "account", f)
	return nil
}

// accountPost saves a changed e-mail address and/or a new password in one
// transaction. The form shown again keeps the e-mail address typed; the
// password fields are never written back into the page.
func (u *UI) accountPost(w http.ResponseWriter, r *Request) error {
	ctx := r.Context()
	current, next, again := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("new_password_again")
	f := NewForm(r.PostForm)
	for _, k := range []string{"current_password", "new_password", "new_password_again"} {
		f.Values.Del(k)
	}
	email := auth.NormalizeLogin(f.Get("email"))
	f.Values.Set("email", email)
	checkEmail(f, email)
	if current == "" {
		f.Add("current_password", msg.Field(validation.FieldError{Field: "current_password", Code: validation.CodeRequired}))
	}
	if next != again {
		f.Add("new_password_again", msg.T("account.mismatch"))
	}
	if f.Valid() && email == r.User.Email && next == "" {
		f.Message = msg.T("account.unchanged")
	}
	if !f.Valid() {
		return u.renderAccount(w, r, f)
	}
	switch err := u.app.Auth.Reauthenticate(ctx, r.User.ID, current, clientAddr(r.Request)); {
	case errors.Is(err, auth.ErrBadCredentials):
		f.Add("current_password", msg.T("account.bad_current"))
		return u.renderAccount(w, r, f)
	case errors.Is(err, auth.ErrThrottled):
		f.Add("current_password", msg.T("auth.throttled", u.lockoutMinutes()))
		return u.renderAccount(w, r, f)
	case err != nil:
		return err
	}
	err := u.changeLogin(ctx, r, email, next)
	if errors.Is(err, kerr.ErrConflict) {
		f.Add("email", msg.T("admin.users.email_taken"))
		return u.renderAccount(w, r, f)
	}
	for _, pe := range []error{auth.ErrPasswordTooShort, auth.ErrPasswordTooLong, auth.ErrPasswordWeak} {
		if errors.Is(err, pe) {
			f.Add("new_password", msg.T("auth."+pe.Error()))
			return u.renderAccount(w, r, f)
		}
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/account", "account.saved")
	return nil
}

// changeLogin stores the user's new e-mail address (in the directory and
// as the login) and new password (if not empty), ending the user's other
// sessions on a password change, all or nothing.
func (u *UI) changeLogin(ctx context.Context, r *Request, email, password string) error {
	return storage.InTx(ctx, u.app.DB, func(ctx context.Context, tx bun.IDB) error {
		st := u.app.Auth.WithDB(tx)
		if email != r.User.Email {
			usr := *r.User
			usr.Email = email
			if _, err := u.app.Dir.WithDB(tx).SaveUser(ctx, usr); err != nil {
				return err
			}
			if err := st.SetLogin(ctx, usr.Tenant, usr.ID, email); err != nil {
				return err
			}
		}
		if password == "" {
			return nil
		}
		c, err := r.Cookie(SessionCookie)
		if err != nil {
			return kerr.ErrUnauthenticated
		}
		return st.ChangePassword(ctx, r.User.ID, password, c.Value)
	})
}

func (u *UI) renderAccount(w http.ResponseWriter, r *Request, f *Form) error {
	if f.Message == "" {
		f.Message = msg.T("common.form_errors")
	}
	u.render(w, r.Request, r, http.StatusUnprocessableEntity, "account", f)
	return nil
}
