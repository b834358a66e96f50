package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/secret"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Channel is how an invitation reaches the customer.
type Channel string

// Invitation channels.
const (
	// ChannelQR: staff show the link as a QR code the customer scans.
	ChannelQR Channel = "qr"
	// ChannelURL: staff copy the link into LINE, a chat or their own mail.
	ChannelURL Channel = "url"
	// ChannelMail: the portal mails the link to the customer's address
	// (SendInvitation).
	ChannelMail Channel = "mail"
	// ChannelSMS: the portal sends the link by text message to the
	// customer's mobile number through Config.SMS (SendSMSInvitation).
	ChannelSMS Channel = "sms"
)

// Invitation is one invitation of a customer: a single-use registration
// link valid until ExpiresAt. Staff may invite again any number of times
// until the customer registers; registering with one invitation revokes
// every other.
type Invitation struct {
	bun.BaseModel `bun:"table:portal_invitations,alias:pi"`
	Tenant        uuid.UUID `bun:"tenant_id,pk" json:"tenant"`
	ID            uuid.UUID `bun:"id,pk" json:"id"`
	Account       uuid.UUID `bun:"account_id" json:"account"`
	Channel       Channel   `bun:"channel" json:"channel"`
	// CreatedBy is the staff member who invited.
	CreatedBy uuid.UUID `bun:"created_by" json:"created_by"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	ExpiresAt time.Time `bun:"expires_at" json:"expires_at"`
	// SentAt is when the invitation mail or SMS was handed to the mailer
	// or the SMS channel (ChannelMail, ChannelSMS; nil until then, and for
	// the other channels).
	SentAt *time.Time `bun:"sent_at" json:"sent_at,omitempty"`
	// UsedAt is when the customer registered with it.
	UsedAt *time.Time `bun:"used_at" json:"used_at,omitempty"`
	// RevokedAt is when it stopped being usable otherwise: the customer
	// registered with another invitation, or their access was ended.
	RevokedAt *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
}

// Open reports whether the invitation can still be used at now.
func (i *Invitation) Open(now time.Time) bool {
	return i.UsedAt == nil && i.RevokedAt == nil && now.Before(i.ExpiresAt)
}

// Issued is an invitation just made, with its link. Token is shown once:
// only its hash is stored.
type Issued struct {
	Invitation Invitation `json:"invitation"`
	Token      string     `json:"token"`
	// URL is the registration link (Service.InvitationURL of Token).
	URL string `json:"url"`
}

// Purposes of single-use tokens.
const (
	purposeInvite = "invite"
	purposeReset  = "reset"
)

// token is a row of portal_tokens, read before the tenant is known.
type token struct {
	bun.BaseModel `bun:"table:portal_tokens"`
	Hash          []byte    `bun:"token_hash,pk"`
	Purpose       string    `bun:"purpose"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	Account       uuid.UUID `bun:"account_id"`
	// Object is the invitation, or the reset request.
	Object    uuid.UUID `bun:"object_id"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// mint stores a new token for the account and object and returns it.
func mint(ctx context.Context, tx bun.IDB, a *Account, purpose string, object uuid.UUID, expires time.Time) (string, error) {
	raw, hash, err := secret.NewToken()
	if err != nil {
		return "", err
	}
	if _, err := tx.NewDelete().Model((*token)(nil)).Where("account_id = ?", a.ID).Where("tenant_id = ?", a.Tenant).
		Where("purpose = ?", purpose).Where("object_id = ?", object).Exec(ctx); err != nil {
		return "", storage.Err(err)
	}
	t := token{Hash: hash, Purpose: purpose, Tenant: a.Tenant, Account: a.ID, Object: object, ExpiresAt: expires}
	if _, err := tx.NewInsert().Model(&t).Exec(ctx); err != nil {
		return "", storage.Err(err)
	}
	return raw, nil
}

// Invite makes a new invitation of a customer by QR code or URL (staff
// who may edit the customer: permission.ActionEdit) and returns its link,
// creating the customer's account (StatusInvited) on the first one.
// Earlier invitations stay valid until they expire or the customer
// registers. A customer who has registered is refused with
// CodeRegistered on "customer", a deactivated one with CodeDeactivated;
// channel must be ChannelQR or ChannelURL (mail: SendInvitation).
// Audited.
func (s *Service) Invite(ctx context.Context, cust uuid.UUID, ch Channel) (*Issued, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Issued
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if ch != ChannelQR && ch != ChannelURL {
			var v validation.Error
			v.Add("channel", validation.CodeUnknown, string(ch))
			return &v
		}
		ci, err := s.staffCustomer(ctx, tx, pr, cust, permission.ActionEdit)
		if err != nil {
			return err
		}
		a, inv, err := s.newInvitation(ctx, tx, pr, ci, ch)
		if err != nil {
			return err
		}
		raw, err := mint(ctx, tx, a, purposeInvite, inv.ID, inv.ExpiresAt)
		if err != nil {
			return err
		}
		out = &Issued{Invitation: *inv, Token: raw, URL: s.invitationURL(raw)}
		return s.audit(ctx, tx, pr, "invite", a.ID, "channel="+string(ch))
	})
	if err != nil {
		return nil, fmt.Errorf("portal: invite %s: %w", cust, err)
	}
	return out, nil
}

// newInvitation stores a new invitation of ci, whom pr may invite
// (staffCustomer with ActionEdit), creating the account if needed.
func (s *Service) newInvitation(ctx context.Context, tx bun.IDB, pr permission.Principal, ci *customerInfo, ch Channel) (*Account, *Invitation, error) {
	now := s.now()
	a, err := accountOf(ctx, tx, pr.Tenant, ci.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		a = &Account{Tenant: pr.Tenant, ID: uuid.Must(uuid.NewV7()), Customer: ci.ID, Status: StatusInvited,
			CreatedAt: now, UpdatedAt: now, Version: 1}
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			return nil, nil, storage.Err(err)
		}
	case err != nil:
		return nil, nil, err
	}
	var v validation.Error
	switch {
	case a.Deactivated():
		v.Add("customer", CodeDeactivated, "")
	case a.Status != StatusInvited:
		v.Add("customer", CodeRegistered, "")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	inv := &Invitation{Tenant: pr.Tenant, ID: uuid.Must(uuid.NewV7()), Account: a.ID, Channel: ch, CreatedBy: pr.User,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.InvitationTTL)}
	if _, err := tx.NewInsert().Model(inv).Exec(ctx); err != nil {
		return nil, nil, storage.Err(err)
	}
	return a, inv, nil
}

// TopicInvitation is the outbox topic of invitation mails: Recipient is
// the account ID, Key the invitation ID. Payload: invitationPayload.
const TopicInvitation = "portal.invitation"

type invitationPayload struct {
	Invitation uuid.UUID `json:"invitation"`
}

// SendInvitation mails an invitation to the customer's e-mail address
// through the outbox, in the inviting staff member's name (see
// InvitationMail for the text), under the rules of Invite. A customer
// without an e-mail address is refused with "email" required. The link
// is made when the dispatcher delivers the mail, so it is never stored
// unhashed, not even in the outbox; Invitation.SentAt records the
// delivery. Resending is another call. Audited.
func (s *Service) SendInvitation(ctx context.Context, cust uuid.UUID) (*Invitation, error) {
	return s.sendInvitation(ctx, cust, ChannelMail)
}

// SendSMSInvitation sends an invitation by text message to the customer's
// mobile number through Config.SMS, in the outbox like SendInvitation
// (see InvitationSMS for the text; the link is made and hashed at
// delivery, and Invitation.SentAt records it), under the rules of Invite.
// A tenant without an SMS channel is refused with CodeNoSMS on "channel",
// a customer without a mobile number with "mobile" required. Audited.
func (s *Service) SendSMSInvitation(ctx context.Context, cust uuid.UUID) (*Invitation, error) {
	return s.sendInvitation(ctx, cust, ChannelSMS)
}

// SMSAvailable reports whether the principal's tenant can invite by SMS:
// Config.SMS is set and serves the tenant.
func (s *Service) SMSAvailable(ctx context.Context) (bool, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return false, err
	}
	ok, err := s.smsServes(ctx, pr.Tenant)
	if err != nil {
		return false, fmt.Errorf("portal: sms available: %w", err)
	}
	return ok, nil
}

// smsServes reports whether Config.SMS serves tenant.
func (c core) smsServes(ctx context.Context, tenant uuid.UUID) (bool, error) {
	if c.cfg.SMS == nil {
		return false, nil
	}
	if sc, ok := c.cfg.SMS.(notify.Scoped); ok {
		return sc.Serves(ctx, tenant)
	}
	return true, nil
}

// sendable checks that ci can be sent an invitation by ch (mail or SMS).
func (c core) sendable(ctx context.Context, tenant uuid.UUID, ci *customerInfo, ch Channel) error {
	var v validation.Error
	switch ch {
	case ChannelMail:
		if ci.Email == "" {
			v.Add("email", validation.CodeRequired, "")
		}
	case ChannelSMS:
		ok, err := c.smsServes(ctx, tenant)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("channel", CodeNoSMS, "")
		}
		if ci.Mobile == "" {
			v.Add("mobile", validation.CodeRequired, "")
		}
	}
	return v.Err()
}

func (s *Service) sendInvitation(ctx context.Context, cust uuid.UUID, ch Channel) (*Invitation, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Invitation
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		ci, err := s.staffCustomer(ctx, tx, pr, cust, permission.ActionEdit)
		if err != nil {
			return err
		}
		if err := s.sendable(ctx, pr.Tenant, ci, ch); err != nil {
			return err
		}
		a, inv, err := s.newInvitation(ctx, tx, pr, ci, ch)
		if err != nil {
			return err
		}
		payload, err := json.Marshal(invitationPayload{Invitation: inv.ID})
		if err != nil {
			return err
		}
		if err := outbox.Enqueue(ctx, tx, outbox.Message{Tenant: pr.Tenant, Topic: TopicInvitation,
			Recipient: a.ID.String(), Key: inv.ID.String(), Payload: payload}); err != nil {
			return err
		}
		out = inv
		return s.audit(ctx, tx, pr, "invite", a.ID, "channel="+string(ch))
	})
	if err != nil {
		return nil, fmt.Errorf("portal: send invitation %s by %s: %w", cust, ch, err)
	}
	return out, nil
}

// placeholderURL stands for the link in InvitationMail's preview.
const placeholderURL = "(送信時に発行される登録用URL)"

// InvitationMail is the invitation mail SendInvitation would send now for
// the customer, for the staff member to confirm (招待メール送信画面), with
// a placeholder instead of the link. Same rules as SendInvitation, but
// nothing is stored.
func (s *Service) InvitationMail(ctx context.Context, cust uuid.UUID) (mail.Message, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return mail.Message{}, err
	}
	ci, err := s.staffCustomer(ctx, s.db, pr, cust, permission.ActionEdit)
	if err == nil {
		err = s.sendable(ctx, pr.Tenant, ci, ChannelMail)
	}
	if err != nil {
		return mail.Message{}, fmt.Errorf("portal: invitation mail %s: %w", cust, err)
	}
	return s.invitationMail(ctx, s.db, pr.Tenant, pr.User, ci, placeholderURL)
}

// InvitationSMS is the text message SendSMSInvitation would send now for
// the customer, for the staff member to confirm, with a placeholder
// instead of the link. Same rules as SendSMSInvitation, but nothing is
// stored.
func (s *Service) InvitationSMS(ctx context.Context, cust uuid.UUID) (notify.Message, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return notify.Message{}, err
	}
	ci, err := s.staffCustomer(ctx, s.db, pr, cust, permission.ActionEdit)
	if err == nil {
		err = s.sendable(ctx, pr.Tenant, ci, ChannelSMS)
	}
	if err != nil {
		return notify.Message{}, fmt.Errorf("portal: invitation sms %s: %w", cust, err)
	}
	return s.invitationSMS(ctx, s.db, pr.Tenant, pr.User, ci, uuid.Nil, placeholderURL)
}

// Invitations lists a customer's invitations, newest first, with their
// send times (staff who see the customer).
func (s *Service) Invitations(ctx context.Context, cust uuid.UUID) ([]Invitation, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.staffCustomer(ctx, s.db, pr, cust, permission.ActionView); err != nil {
		return nil, fmt.Errorf("portal: invitations of %s: %w", cust, err)
	}
	out := []Invitation{}
	err = s.db.NewSelect().Model(&out).
		Join("JOIN portal_accounts AS pa ON pa.tenant_id = pi.tenant_id AND pa.id = pi.account_id").
		Where("pi.tenant_id = ?", pr.Tenant).Where("pa.customer_id = ?", cust).
		OrderExpr("pi.created_at DESC, pi.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("portal: invitations of %s: %w", cust, storage.Err(err))
	}
	return out, nil
}

// revokeInvitations revokes the account's open invitations but keep and
// deletes their tokens; with resets, its reset links too.
func revokeInvitations(ctx context.Context, tx bun.IDB, a *Account, keep uuid.UUID, now time.Time, resets bool) error {
	if _, err := tx.NewUpdate().Model((*Invitation)(nil)).Set("revoked_at = ?", now).
		Where("pi.tenant_id = ?", a.Tenant).Where("pi.account_id = ?", a.ID).Where("pi.id <> ?", keep).
		Where("pi.used_at IS NULL").Where("pi.revoked_at IS NULL").Exec(ctx); err != nil {
		return storage.Err(err)
	}
	purposes := []string{purposeInvite}
	if resets {
		purposes = append(purposes, purposeReset)
	}
	_, err := tx.NewDelete().Model((*token)(nil)).Where("account_id = ?", a.ID).Where("tenant_id = ?", a.Tenant).
		Where("purpose IN (?)", bun.List(purposes)).Exec(ctx)
	return storage.Err(err)
}

// Terms is a version of a tenant's terms of use for customers.
type Terms struct {
	bun.BaseModel `bun:"table:portal_terms,alias:pt"`
	Tenant        uuid.UUID `bun:"tenant_id,pk" json:"tenant"`
	// Version counts from 1; 0 is DefaultTerms, never stored.
	Version   int       `bun:"version,pk" json:"version"`
	Body      string    `bun:"body" json:"body"`
	CreatedBy uuid.UUID `bun:"created_by" json:"created_by"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
}

// MaxTermsLen caps the terms of use, in runes.
const MaxTermsLen = 50000

// currentTerms is the tenant's latest terms (DefaultTerms as version 0 when
// it has set none).
func currentTerms(ctx context.Context, db bun.IDB, tenant uuid.UUID) (*Terms, error) {
	var t Terms
	err := db.NewSelect().Model(&t).Where("pt.tenant_id = ?", tenant).OrderExpr("pt.version DESC").Limit(1).Scan(ctx)
	if errors.Is(storage.Err(err), ErrNotFound) {
		return &Terms{Tenant: tenant, Body: DefaultTerms}, nil
	}
	if err != nil {
		return nil, storage.Err(err)
	}
	return &t, nil
}

// Terms returns the principal's tenant's current terms of use.
func (s *Service) Terms(ctx context.Context) (*Terms, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	t, err := currentTerms(ctx, s.db, pr.Tenant)
	if err != nil {
		return nil, fmt.Errorf("portal: terms: %w", err)
	}
	return t, nil
}

// SetTerms stores a new version of the tenant's terms of use (admins).
// Customers who register from then on agree to it; the version each
// customer agreed to stays on their account. body is required, at most
// MaxTermsLen runes.
func (s *Service) SetTerms(ctx context.Context, body string) (*Terms, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var v validation.Error
	switch {
	case !validation.ValidText(body, true):
		v.Add("body", validation.CodeFormat, "")
	case len([]rune(body)) > MaxTermsLen:
		v.Add("body", validation.CodeTooLong, fmt.Sprint(MaxTermsLen))
	case len(body) == 0:
		v.Add("body", validation.CodeRequired, "")
	}
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("portal: set terms: %w", err)
	}
	var out *Terms
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := currentTerms(ctx, tx, pr.Tenant)
		if err != nil {
			return err
		}
		out = &Terms{Tenant: pr.Tenant, Version: cur.Version + 1, Body: body, CreatedBy: pr.User, CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(out).Exec(ctx); err != nil {
			return storage.Err(err)
		}
		return permission.Audit(ctx, tx, pr, s.now(), "edit", "portal_terms", uuid.Nil, fmt.Sprintf("version=%d", out.Version))
	})
	if err != nil {
		return nil, fmt.Errorf("portal: set terms: %w", err)
	}
	return out, nil
}
