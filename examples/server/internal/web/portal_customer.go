package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/report/pdf"
)

// PortalCookie holds a customer's portal session: a cookie of its own,
// scoped to /portal, so customer and staff sessions never mix.
const PortalCookie = "kiroku_portal"

// The customer side of the portal, at /portal/.
func (u *UI) portalRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /portal/invitation/{token}", u.portalRegisterForm)
	mux.HandleFunc("POST /portal/invitation/{token}", u.portalRegister)
	mux.HandleFunc("POST /portal/invitation/{token}/strength", u.portalStrength)
	mux.HandleFunc("GET /portal/login", u.portalLoginForm)
	mux.HandleFunc("POST /portal/login", u.portalLogin)
	mux.HandleFunc("GET /portal/reset", u.portalResetRequestForm)
	mux.HandleFunc("POST /portal/reset", u.portalResetRequest)
	mux.HandleFunc("GET /portal/reset/{token}", u.portalResetForm)
	mux.HandleFunc("POST /portal/reset/{token}", u.portalReset)
	mux.Handle("GET /portal/{$}", u.portalPage(u.portalHome))
	mux.Handle("GET /portal/records/{id}", u.portalPage(u.portalRecord))
	mux.Handle("GET /portal/records/{id}/pdf", u.portalPage(u.portalRecordPDF))
	mux.Handle("GET /portal/files/{id}", u.portalPage(u.portalFile(false)))
	mux.Handle("GET /portal/files/{id}/thumb", u.portalPage(u.portalFile(true)))
	mux.Handle("GET /portal/settings", u.portalPage(u.portalSettings))
	mux.Handle("POST /portal/settings/email", u.portalPage(u.portalChangeEmail))
	mux.Handle("POST /portal/settings/password", u.portalPage(u.portalChangePassword))
	mux.Handle("POST /portal/logout", u.portalPage(u.portalLogout))
}

// portalRequest is a customer's request: the session and its principal
// in the context.
type portalRequest struct {
	*http.Request
	Session *portal.Session
}

// portalView is what portal pages get: the page's data and the session's
// CSRF token ("" before login).
type portalView struct {
	CSRF string
	Data any
}

// portalPage wraps h with the customer session: no session → the portal's
// login page; a POST must carry the session's CSRF token.
func (u *UI) portalPage(h func(w http.ResponseWriter, r *portalRequest) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		var sess *portal.Session
		c, err := hr.Cookie(PortalCookie)
		if err == nil {
			sess, err = u.app.PortalAuth.Session(hr.Context(), c.Value)
		}
		if err != nil {
			if errors.Is(err, http.ErrNoCookie) || errors.Is(err, portal.ErrNoSession) {
				if hr.Method == http.MethodGet {
					http.Redirect(w, hr, "/portal/login", http.StatusSeeOther)
					return
				}
				err = errCSRF
			}
			u.fail(w, hr, nil, err)
			return
		}
		r := &portalRequest{Request: hr.WithContext(permission.WithPrincipal(hr.Context(), sess.Principal)), Session: sess}
		if hr.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormRequest)
			if tok := r.PostFormValue("_csrf"); tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRF)) != 1 {
				u.fail(w, hr, nil, errCSRF)
				return
			}
		}
		if err := h(w, r); err != nil {
			u.fail(w, hr, nil, err)
		}
	})
}

func (u *UI) portalRender(w http.ResponseWriter, hr *http.Request, csrf string, status int, name string, data any) {
	u.render(w, hr, nil, status, name, portalView{CSRF: csrf, Data: data})
}

func (u *UI) portalCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: PortalCookie, Value: token, Path: "/portal", HttpOnly: true,
		Secure: u.app.Config.SecureCookies, SameSite: http.SameSiteLaxMode, Expires: expires})
}

// portalRegisterData is the registration form (お客様招待フォーム).
type portalRegisterData struct {
	Invite *portal.Invite
	Form   *Form
	Token  string
}

func (u *UI) portalRegisterForm(w http.ResponseWriter, hr *http.Request) {
	token := hr.PathValue("token")
	inv, err := u.app.PortalAuth.Invitation(hr.Context(), token)
	if errors.Is(err, portal.ErrBadToken) {
		u.render(w, hr, nil, http.StatusNotFound, "error", map[string]any{"Message": msg.T("portal.bad_link")})
		return
	}
	if err != nil {
		u.fail(w, hr, nil, err)
		return
	}
	f := NewForm(nil)
	f.Values.Set("email", inv.Email)
	u.portalRender(w, hr, "", http.StatusOK, "portal_register", portalRegisterData{Invite: inv, Form: f, Token: token})
}

func (u *UI) portalRegister(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, MaxFormRequest)
	token := hr.PathValue("token")
	inv, err := u.app.PortalAuth.Invitation(hr.Context(), token)
	if errors.Is(err, portal.ErrBadToken) {
		u.render(w, hr, nil, http.StatusNotFound, "error", map[string]any{"Message": msg.T("portal.bad_link")})
		return
	}
	if err != nil {
		u.fail(w, hr, nil, err)
		return
	}
	version, _ := strconv.Atoi(hr.PostFormValue("terms_version"))
	reg := portal.Registration{Email: hr.PostFormValue("email"), Password: hr.PostFormValue("password"),
		AcceptTerms: hr.PostFormValue("accept_terms") == "1", TermsVersion: version}
	f := NewForm(hr.PostForm)
	f.Values.Del("password")
	sessToken, sess, err := u.app.PortalAuth.Register(hr.Context(), token, reg)
	if err != nil {
		if f.AddError(err, nil) {
			u.portalRender(w, hr, "", http.StatusUnprocessableEntity, "portal_register", portalRegisterData{Invite: inv, Form: f, Token: token})
			return
		}
		u.fail(w, hr, nil, err)
		return
	}
	u.portalCookie(w, sessToken, sess.ExpiresAt)
	redirect(w, hr, "/portal/", "portal.welcome")
}

// portalStrength answers the live strength meter of the registration form
// (the same estimator the server checks with); the link authorizes it.
func (u *UI) portalStrength(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, 4096)
	inv, err := u.app.PortalAuth.Invitation(hr.Context(), hr.PathValue("token"))
	if err != nil {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	score := portal.PasswordStrength(hr.PostFormValue("password"), inv.CustomerName, inv.Email, hr.PostFormValue("email"))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"score": score, "label": msg.T(strengthLabels[min(max(score, 0), 4)])})
}

// strengthLabels name the zxcvbn scores 0–4 for the meter.
var strengthLabels = [...]string{"portal.strength_0", "portal.strength_1", "portal.strength_2", "portal.strength_3", "portal.strength_4"}

func (u *UI) portalLoginForm(w http.ResponseWriter, hr *http.Request) {
	u.portalRender(w, hr, "", http.StatusOK, "portal_login", NewForm(nil))
}

// portalLogin logs a customer in. Besides the account's own lock, the
// client address is limited (auth.Store.PortalThrottled / PortalFailed):
// a locked address is answered before any password is checked, with the
// same page whatever address was typed.
func (u *UI) portalLogin(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, MaxFormRequest)
	password := hr.PostFormValue("password")
	f := NewForm(hr.PostForm)
	f.Values.Del("password")
	client := clientAddr(hr)
	err := u.app.Auth.PortalThrottled(hr.Context(), client)
	var token string
	var sess *portal.Session
	if err == nil {
		token, sess, err = u.app.PortalAuth.Login(hr.Context(), hr.PostFormValue("email"), password)
		if errors.Is(err, portal.ErrBadCredentials) {
			if ferr := u.app.Auth.PortalFailed(hr.Context(), client); ferr != nil {
				err = ferr // ErrThrottled: this failure locked the address
			}
		}
	}
	switch {
	case errors.Is(err, auth.ErrThrottled):
		f.Message = msg.T("portal.throttled", u.lockoutMinutes())
		u.portalRender(w, hr, "", http.StatusTooManyRequests, "portal_login", f)
		return
	case errors.Is(err, portal.ErrBadCredentials):
		f.Message = msg.T("portal.bad_credentials")
		u.portalRender(w, hr, "", http.StatusUnauthorized, "portal_login", f)
		return
	case err != nil:
		u.fail(w, hr, nil, err)
		return
	}
	u.portalCookie(w, token, sess.ExpiresAt)
	redirect(w, hr, "/portal/", "")
}

func (u *UI) portalLogout(w http.ResponseWriter, r *portalRequest) error {
	if c, err := r.Cookie(PortalCookie); err == nil {
		if err := u.app.PortalAuth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: PortalCookie, Path: "/portal", MaxAge: -1})
	redirect(w, r.Request, "/portal/login", "portal.logged_out")
	return nil
}

func (u *UI) portalResetRequestForm(w http.ResponseWriter, hr *http.Request) {
	u.portalRender(w, hr, "", http.StatusOK, "portal_reset_request", NewForm(nil))
}

// portalResetRequest mails a reset link to the address typed, if it has an
// account; requests are limited per address typed and per client address
// (auth.Store.PortalResetRequested), a refused one keeping what was typed.
func (u *UI) portalResetRequest(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, MaxFormRequest)
	email := hr.PostFormValue("email")
	err := u.app.Auth.PortalResetRequested(hr.Context(), email, clientAddr(hr))
	if errors.Is(err, auth.ErrThrottled) {
		f := NewForm(hr.PostForm)
		f.Message = msg.T("portal.reset_throttled", u.lockoutMinutes())
		u.portalRender(w, hr, "", http.StatusTooManyRequests, "portal_reset_request", f)
		return
	}
	if err == nil {
		err = u.app.PortalAuth.RequestReset(hr.Context(), email)
	}
	if err != nil {
		u.fail(w, hr, nil, err)
		return
	}
	redirect(w, hr, "/portal/login", "portal.reset_sent")
}

func (u *UI) portalResetForm(w http.ResponseWriter, hr *http.Request) {
	u.portalRender(w, hr, "", http.StatusOK, "portal_reset", map[string]any{"Token": hr.PathValue("token"), "Form": NewForm(nil)})
}

func (u *UI) portalReset(w http.ResponseWriter, hr *http.Request) {
	hr.Body = http.MaxBytesReader(w, hr.Body, MaxFormRequest)
	token := hr.PathValue("token")
	err := u.app.PortalAuth.Reset(hr.Context(), token, hr.PostFormValue("password"))
	f := NewForm(nil)
	switch {
	case errors.Is(err, portal.ErrBadToken):
		u.render(w, hr, nil, http.StatusNotFound, "error", map[string]any{"Message": msg.T("portal.bad_link")})
	case err == nil:
		redirect(w, hr, "/portal/login", "portal.password_changed")
	case f.AddError(err, nil):
		u.portalRender(w, hr, "", http.StatusUnprocessableEntity, "portal_reset", map[string]any{"Token": token, "Form": f})
	default:
		u.fail(w, hr, nil, err)
	}
}

// portalItem is a shared record as the customer sees it (its Attachments
// are the shared files), with its template's name.
type portalItem struct {
	Record   contactlog.Record
	Template string
}

func (u *UI) portalItems(r *portalRequest, recs []contactlog.Record) []portalItem {
	names := u.templateLabels(&Request{Request: r.Request})
	out := make([]portalItem, len(recs))
	for i, rec := range recs {
		out[i] = portalItem{Record: rec, Template: names.label(rec.Template, rec.TemplateVersion)}
	}
	return out
}

type portalHomeData struct {
	Items []portalItem
	Next  string
	Loc   *time.Location
}

// portalHome lists the records shared with the customer, newest first.
func (u *UI) portalHome(w http.ResponseWriter, r *portalRequest) error {
	page, err := u.app.Records.Search(r.Context(), contactlog.Query{Limit: 20, After: r.URL.Query().Get("after")})
	if err != nil {
		return err
	}
	u.portalRender(w, r.Request, r.Session.CSRF, http.StatusOK, "portal_home",
		portalHomeData{Items: u.portalItems(r, page.Records), Next: page.Next, Loc: r.Session.Principal.Location})
	return nil
}

func (u *UI) portalRecord(w http.ResponseWriter, r *portalRequest) error {
	id, err := portalPathID(r.Request)
	if err != nil {
		return err
	}
	rec, err := u.app.Records.Get(r.Context(), id) // with the shared files
	if err != nil {
		return err
	}
	item := u.portalItems(r, []contactlog.Record{*rec})[0]
	u.portalRender(w, r.Request, r.Session.CSRF, http.StatusOK, "portal_record", map[string]any{"Item": &item, "Loc": r.Session.Principal.Location})
	return nil
}

// portalRecordPDF answers the customer's own PDF of a shared record (the
// staff dialog's defaults: cover on, title 面談記録) as an attachment. It
// takes no options, so a private memo can never be asked for; the exporter
// reads as the customer principal and so finds shared records only.
func (u *UI) portalRecordPDF(w http.ResponseWriter, r *portalRequest) error {
	id, err := portalPathID(r.Request)
	if err != nil {
		return err
	}
	return u.app.PDF.Record(r.Context(), pdf.Download(w, pdf.DefaultTitle), id, pdf.Options{Cover: true, Title: pdf.DefaultTitle})
}

func (u *UI) portalFile(thumb bool) func(w http.ResponseWriter, r *portalRequest) error {
	return func(w http.ResponseWriter, r *portalRequest) error {
		id, err := portalPathID(r.Request)
		if err != nil {
			return err
		}
		return u.writeAttachment(r.Context(), w, id, thumb)
	}
}

func (u *UI) portalSettings(w http.ResponseWriter, r *portalRequest) error {
	return u.portalSettingsPage(w, r, http.StatusOK, NewForm(nil), NewForm(nil))
}

func (u *UI) portalSettingsPage(w http.ResponseWriter, r *portalRequest, status int, email, pw *Form) error {
	a, err := u.app.Portal.Account(r.Context(), r.Session.Customer)
	if err != nil {
		return err
	}
	if email.Get("email") == "" {
		email.Values.Set("email", a.Email)
	}
	u.portalRender(w, r.Request, r.Session.CSRF, status, "portal_settings", map[string]any{"Account": a, "Email": email, "Password": pw})
	return nil
}

func (u *UI) portalChangeEmail(w http.ResponseWriter, r *portalRequest) error {
	f := NewForm(r.PostForm)
	err := u.app.Portal.ChangeEmail(r.Context(), r.PostFormValue("current_password"), r.PostFormValue("email"))
	f.Values.Del("current_password")
	if err != nil {
		if f.AddError(err, nil) {
			return u.portalSettingsPage(w, r, http.StatusUnprocessableEntity, f, NewForm(nil))
		}
		return err
	}
	redirect(w, r.Request, "/portal/settings", "portal.email_changed")
	return nil
}

func (u *UI) portalChangePassword(w http.ResponseWriter, r *portalRequest) error {
	err := u.app.Portal.ChangePassword(r.Context(), r.PostFormValue("current_password"), r.PostFormValue("password"))
	if err != nil {
		f := NewForm(nil)
		if f.AddError(err, nil) {
			return u.portalSettingsPage(w, r, http.StatusUnprocessableEntity, NewForm(nil), f)
		}
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: PortalCookie, Path: "/portal", MaxAge: -1})
	redirect(w, r.Request, "/portal/login", "portal.password_changed")
	return nil
}

func portalPathID(hr *http.Request) (uuid.UUID, error) {
	return pathID(&Request{Request: hr})
}
