package portal

import (
	"errors"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// SessionHeader carries a portal session token to the JSON API's
// customer routes.
const SessionHeader = "X-Portal-Session"

// SessionScheme documents SessionHeader in the OpenAPI document.
var SessionScheme = &api.SecurityScheme{Name: "portalSession", Type: "apiKey", In: "header", Param: SessionHeader,
	Description: "A customer portal session token (System.Login)."}

// InviteRequest is the body of the inviteCustomer route.
type InviteRequest struct {
	// Channel is "qr" or "url".
	Channel Channel `json:"channel"`
}

// InvitationList is the body of the listInvitations route.
type InvitationList struct {
	Invitations []Invitation `json:"invitations"`
}

// LockedList is the body of the listLockedAccounts route.
type LockedList struct {
	Accounts []LockedAccount `json:"accounts"`
}

// Routes returns the portal's JSON API routes, for api.Options.Extra:
// staff (the API's own authenticator) issue, mail, text (SMS) and list a customer's
// invitations, read their account, list the locked accounts they may
// unlock and unlock them; customers (SessionHeader, resolved by sys) read
// their account, the records shared with them and those records' shared
// files, through records with their own principal.
func Routes(svc *Service, sys *System, records *contactlog.Service) []api.Route {
	id := []api.Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "The customer's ID."}}
	rid := []api.Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "The record's ID."}}
	aid := []api.Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "The attachment's ID."},
		{Name: "thumb", In: "query", Type: "boolean", Description: "The thumbnail instead of the file."}}
	page := []api.Param{{Name: "limit", In: "query", Type: "integer", Description: "Page size."},
		{Name: "after", In: "query", Type: "string", Description: "The next page's cursor (Page.next)."}}
	auth := api.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
		sess, err := sys.Session(r.Context(), r.Header.Get(SessionHeader))
		if errors.Is(err, ErrNoSession) {
			return permission.Principal{}, ErrUnauthenticated
		}
		if err != nil {
			return permission.Principal{}, err
		}
		return sess.Principal, nil
	})
	customerRoute := func(rt api.Route) api.Route {
		rt.Tag, rt.Authenticator, rt.Security = "portal", auth, SessionScheme
		return rt
	}
	return []api.Route{
		{ID: "inviteCustomer", Tag: "portal", Summary: "Invite a customer to the portal by QR code or URL", Method: http.MethodPost,
			Path: "/v1/customers/{id}/portal/invitations", Params: id, Request: InviteRequest{}, Response: Issued{}, Status: http.StatusCreated,
			Problems: map[int]string{http.StatusUnprocessableEntity: "the customer is registered (customer registered) or deactivated (customer deactivated)"},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cust, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				var in InviteRequest
				if err := api.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				iss, err := svc.Invite(r.Context(), cust, in.Channel)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusCreated, iss)
			}},
		{ID: "mailInvitation", Tag: "portal", Summary: "Mail a portal invitation to the customer", Method: http.MethodPost,
			Path: "/v1/customers/{id}/portal/invitation-mails", Params: id, Response: Invitation{}, Status: http.StatusAccepted,
			Problems: map[int]string{http.StatusUnprocessableEntity: "no e-mail address (email required), or the customer is registered or deactivated (customer)"},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cust, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				inv, err := svc.SendInvitation(r.Context(), cust)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusAccepted, inv)
			}},
		{ID: "smsInvitation", Tag: "portal", Summary: "Send a portal invitation to the customer's mobile phone by SMS", Method: http.MethodPost,
			Path: "/v1/customers/{id}/portal/invitation-sms", Params: id, Response: Invitation{}, Status: http.StatusAccepted,
			Problems: map[int]string{http.StatusUnprocessableEntity: "no SMS channel (channel no_sms), no mobile number (mobile required), or the customer is registered or deactivated (customer)"},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cust, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				inv, err := svc.SendSMSInvitation(r.Context(), cust)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusAccepted, inv)
			}},
		{ID: "listInvitations", Tag: "portal", Summary: "List a customer's portal invitations", Method: http.MethodGet,
			Path: "/v1/customers/{id}/portal/invitations", Params: id, Response: InvitationList{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cust, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				invs, err := svc.Invitations(r.Context(), cust)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusOK, InvitationList{Invitations: invs})
			}},
		{ID: "getPortalAccount", Tag: "portal", Summary: "Get a customer's portal account status", Method: http.MethodGet,
			Path: "/v1/customers/{id}/portal/account", Params: id, Response: Account{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cust, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				a, err := svc.Account(r.Context(), cust)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusOK, a)
			}},
		{ID: "unlockPortalAccount", Tag: "portal", Summary: "Unlock a customer's locked portal account", Method: http.MethodPost,
			Path: "/v1/customers/{id}/portal/unlock", Params: id, Status: http.StatusNoContent,
			Problems: map[int]string{http.StatusUnprocessableEntity: "the account is not locked (customer not_allowed)"},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cust, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				if err := svc.Unlock(r.Context(), cust); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}},
		{ID: "listLockedAccounts", Tag: "portal", Summary: "List the locked portal accounts you may unlock", Method: http.MethodGet,
			Path: "/v1/portal/locked", Response: LockedList{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				l, err := svc.Locked(r.Context())
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusOK, LockedList{Accounts: l})
			}},
		customerRoute(api.Route{ID: "getMyPortalAccount", Summary: "Get your own portal account (customers)", Method: http.MethodGet,
			Path: "/v1/portal/me", Response: Account{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				a, err := svc.Account(r.Context(), uuid.Nil)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusOK, a)
			}}),
		customerRoute(api.Route{ID: "listSharedRecords", Summary: "List the records shared with you, newest first (customers)", Method: http.MethodGet,
			Path: "/v1/portal/records", Params: page, Response: contactlog.Page{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var v validation.Error
				q := contactlog.Query{After: r.URL.Query().Get("after"), Limit: api.QueryInt(r.URL.Query(), "limit", &v)}
				if err := v.Err(); err != nil {
					return err
				}
				p, err := records.Search(r.Context(), q)
				if err != nil {
					return err
				}
				if p.Records == nil {
					p.Records = []contactlog.Record{}
				}
				return api.WriteJSON(w, http.StatusOK, p)
			}}),
		customerRoute(api.Route{ID: "getSharedRecord", Summary: "Get a record shared with you (customers)", Method: http.MethodGet,
			Path: "/v1/portal/records/{id}", Params: rid, Response: contactlog.Record{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				rec, err := pathRecord(r, records)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusOK, rec)
			}}),
		customerRoute(api.Route{ID: "listSharedAttachments", Summary: "List the shared files of a record shared with you (customers)", Method: http.MethodGet,
			Path: "/v1/portal/records/{id}/attachments", Params: rid, Response: api.AttachmentList{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				rec, err := pathRecord(r, records) // with the files the customer may see
				if err != nil {
					return err
				}
				as := rec.Attachments
				if as == nil {
					as = []contactlog.Attachment{}
				}
				return api.WriteJSON(w, http.StatusOK, api.AttachmentList{Attachments: as})
			}}),
		customerRoute(api.Route{ID: "downloadSharedAttachment", Summary: "Download a shared file (customers)", Method: http.MethodGet,
			Path: "/v1/portal/attachments/{id}/file", Params: aid, ResponseType: api.MediaAny, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := api.PathID(r, "id")
				if err != nil {
					return err
				}
				var v validation.Error
				thumb := api.QueryBool(r.URL.Query(), "thumb", &v)
				if err := v.Err(); err != nil {
					return err
				}
				rc, a, err := records.Attachments().Open(r.Context(), id, thumb)
				if err != nil {
					return err
				}
				defer rc.Close()
				api.SetFileHeaders(w.Header(), a, thumb, false)
				w.WriteHeader(http.StatusOK)
				_, err = io.Copy(w, rc)
				return err
			}}),
	}
}

func pathRecord(r *http.Request, records *contactlog.Service) (*contactlog.Record, error) {
	id, err := api.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return records.Get(r.Context(), id)
}
