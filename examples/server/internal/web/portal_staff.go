package web

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// The staff side of the customer portal: invitations from the customer
// page, and the locked-account list.
func (u *UI) portalStaffRoutes(mux *http.ServeMux) {
	mux.Handle("POST /customers/{id}/portal/invite", u.page(u.portalInvite))
	mux.Handle("GET /customers/{id}/portal/mail", u.page(u.portalMailConfirm))
	mux.Handle("POST /customers/{id}/portal/mail", u.page(u.portalMailSend))
	mux.Handle("GET /customers/{id}/portal/sms", u.page(u.portalSMSConfirm))
	mux.Handle("POST /customers/{id}/portal/sms", u.page(u.portalSMSSend))
	mux.Handle("POST /customers/{id}/portal/unlock", u.page(u.portalUnlock))
	mux.Handle("GET /customers/{id}/portal/deactivate", u.page(u.portalDeactivateConfirm))
	mux.Handle("POST /customers/{id}/portal/deactivate", u.page(u.portalDeactivate))
	mux.Handle("POST /customers/{id}/portal/restore", u.page(u.portalRestore))
	mux.Handle("GET /portal-locks", u.page(u.portalLocks))
}

// portalPanel is the customer page's お客様ページ section.
type portalPanel struct {
	Account  *portal.Account // nil: never invited
	HasEmail bool
	// HasMobile: the customer has a mobile number; SMS: the tenant can
	// invite by SMS (an SMS plugin is installed).
	HasMobile, SMS bool
	Sends          []portal.Invitation // mail and SMS invitations, newest first
	// Manage: the principal may unlock, deactivate and restore the
	// account (portal.Service.MayManage).
	Manage bool
}

// portalPanelOf loads the section of customer c for the principal.
func (u *UI) portalPanelOf(r *Request, c *customer.Customer) (portalPanel, error) {
	p := portalPanel{HasEmail: c.Email != "", HasMobile: c.Mobile != ""}
	var err error
	if p.SMS, err = u.app.Portal.SMSAvailable(r.Context()); err != nil {
		return p, err
	}
	a, err := u.app.Portal.Account(r.Context(), c.ID)
	switch {
	case errors.Is(err, kerr.ErrNotFound):
		return p, nil
	case err != nil:
		return p, err
	}
	p.Account = a
	if p.Manage, err = u.app.Portal.MayManage(r.Context(), c.ID); err != nil {
		return p, err
	}
	invs, err := u.app.Portal.Invitations(r.Context(), c.ID)
	if err != nil {
		return p, err
	}
	for _, inv := range invs {
		if inv.Channel == portal.ChannelMail || inv.Channel == portal.ChannelSMS {
			p.Sends = append(p.Sends, inv)
		}
	}
	return p, nil
}

type portalInviteData struct {
	Customer *customer.Customer
	URL      string
	QR       template.URL // data: URL of the PNG
	LINE     string
}

// portalInvite issues a QR/URL invitation and shows it once: the QR code,
// the URL to copy, and a link to LINE's share screen.
func (u *UI) portalInvite(w http.ResponseWriter, r *Request) error {
	c, err := u.pathCustomer(r)
	if err != nil {
		return err
	}
	id := c.ID
	iss, err := u.app.Portal.Invite(r.Context(), id, portal.ChannelQR)
	if err != nil {
		f := NewForm(nil)
		if f.AddError(err, nil) {
			redirect(w, r.Request, "/customers/"+id.String()+"#portal", "portal.already_registered")
			return nil
		}
		return err
	}
	png, err := qrcode.Encode(iss.URL, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	d := portalInviteData{Customer: c, URL: iss.URL,
		QR:   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		LINE: "https://line.me/R/share?text=" + url.QueryEscape(msg.T("portal.line_text", c.DisplayName(), iss.URL))}
	u.render(w, r.Request, r, http.StatusOK, "portal_invite", d)
	return nil
}

type portalMailData struct {
	Customer *customer.Customer
	Mail     mail.Message
}

// portalMailConfirm shows the invitation mail before it is sent.
func (u *UI) portalMailConfirm(w http.ResponseWriter, r *Request) error {
	c, err := u.pathCustomer(r)
	if err != nil {
		return err
	}
	id := c.ID
	m, err := u.app.Portal.InvitationMail(r.Context(), id)
	if err != nil {
		if NewForm(nil).AddError(err, nil) {
			redirect(w, r.Request, "/customers/"+id.String()+"#portal", "portal.cannot_mail")
			return nil
		}
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "portal_mail", portalMailData{Customer: c, Mail: m})
	return nil
}

func (u *UI) portalMailSend(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := u.app.Portal.SendInvitation(r.Context(), id); err != nil {
		if NewForm(nil).AddError(err, nil) {
			redirect(w, r.Request, "/customers/"+id.String()+"#portal", "portal.cannot_mail")
			return nil
		}
		return err
	}
	redirect(w, r.Request, "/customers/"+id.String()+"#portal", "portal.mail_sent")
	return nil
}

// portalUnlock unlocks and goes back to the list or the customer page. An
// account that is no longer locked (the button pressed twice, or another
// staff member was quicker) is told so instead of claiming a new unlock.
type portalSMSData struct {
	Customer *customer.Customer
	SMS      notify.Message
}

// portalSMSConfirm shows the invitation SMS before it is sent.
func (u *UI) portalSMSConfirm(w http.ResponseWriter, r *Request) error {
	c, err := u.pathCustomer(r)
	if err != nil {
		return err
	}
	m, err := u.app.Portal.InvitationSMS(r.Context(), c.ID)
	if err != nil {
		return u.portalSMSRefused(w, r, c.ID, err)
	}
	u.render(w, r.Request, r, http.StatusOK, "portal_sms", portalSMSData{Customer: c, SMS: m})
	return nil
}

func (u *UI) portalSMSSend(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := u.app.Portal.SendSMSInvitation(r.Context(), id); err != nil {
		return u.portalSMSRefused(w, r, id, err)
	}
	redirect(w, r.Request, "/customers/"+id.String()+"#portal", "portal.sms_sent")
	return nil
}

// portalSMSRefused goes back to the customer page saying why an SMS
// invitation cannot be sent: no SMS plugin in the tenant, no mobile
// number, or a customer who registered or whose access is ended.
func (u *UI) portalSMSRefused(w http.ResponseWriter, r *Request, id uuid.UUID, err error) error {
	var v *validation.Error
	if !errors.As(err, &v) {
		return err
	}
	flash := "portal.already_registered"
	switch {
	case v.Has("channel", portal.CodeNoSMS):
		flash = "portal.no_sms"
	case v.Has("mobile", ""):
		flash = "portal.no_mobile"
	}
	redirect(w, r.Request, "/customers/"+id.String()+"#portal", flash)
	return nil
}

func (u *UI) portalUnlock(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	flash := "portal.unlocked"
	if err := u.app.Portal.Unlock(r.Context(), id); err != nil {
		var v *validation.Error
		if !errors.As(err, &v) || !v.Has("customer", validation.CodeNotAllowed) {
			return err
		}
		flash = "portal.not_locked"
	}
	to := "/portal-locks"
	if r.PostFormValue("back") == "customer" {
		to = "/customers/" + id.String() + "#portal"
	}
	redirect(w, r.Request, to, flash)
	return nil
}

// portalDeactivateConfirm asks before ending a customer's access, saying
// what it does (a page, so it works without script).
func (u *UI) portalDeactivateConfirm(w http.ResponseWriter, r *Request) error {
	c, err := u.pathCustomer(r)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "portal_deactivate", c)
	return nil
}

// portalDeactivate ends the access once confirmed; a post without the
// confirmation shows the confirmation page.
func (u *UI) portalDeactivate(w http.ResponseWriter, r *Request) error {
	if r.PostFormValue("confirm") != "1" {
		return u.portalDeactivateConfirm(w, r)
	}
	return u.portalSetAccess(w, r, u.app.Portal.Deactivate, "portal.deactivated")
}

func (u *UI) portalRestore(w http.ResponseWriter, r *Request) error {
	return u.portalSetAccess(w, r, u.app.Portal.Restore, "portal.restored")
}

func (u *UI) portalSetAccess(w http.ResponseWriter, r *Request, fn func(context.Context, uuid.UUID) error, flash string) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := fn(r.Context(), id); err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+id.String()+"#portal", flash)
	return nil
}

// portalLocks is アカウントロック一覧: the locked accounts the staff member
// may unlock.
func (u *UI) portalLocks(w http.ResponseWriter, r *Request) error {
	l, err := u.app.Portal.Locked(r.Context())
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "portal_locks", l)
	return nil
}
