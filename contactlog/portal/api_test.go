package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/api/apitest"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// The portal's routes, served by the JSON API beside the built-in ones,
// answer as their OpenAPI document says: staff invite, list, unlock;
// a customer with a portal session reads only what is shared.
func TestAPIRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db, &portal.Config{MaxFailures: 1})
		ctx := context.Background()
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		customers, err := customer.NewService(db, &customer.Config{Authorizer: engine})
		require.NoError(t, err)
		staff := map[string]context.Context{"tanto": f.tanto, "other": f.other}
		srv, err := api.New(&api.Options{DB: db, Customers: customers, Records: f.records,
			Extra: portal.Routes(f.svc, f.sys, f.records),
			Authenticator: api.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
				c, ok := staff[r.Header.Get("X-Staff")]
				if !ok {
					return permission.Principal{}, api.ErrUnauthenticated
				}
				p, _ := permission.FromContext(c)
				return p, nil
			})})
		require.NoError(t, err)
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		v, err := apitest.NewValidator(srv.OpenAPI())
		require.NoError(t, err)
		call := func(method, path, hdr, val string, body any) (int, []byte) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				b, err := json.Marshal(body)
				require.NoError(t, err)
				rd = bytes.NewReader(b)
			}
			req, err := http.NewRequest(method, hs.URL+path, rd)
			require.NoError(t, err)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set(hdr, val)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			require.NoError(t, v.Response(req, res))
			b, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			_ = res.Body.Close()
			return res.StatusCode, b
		}
		cust := "/v1/customers/" + f.yamada.ID.String() + "/portal"

		st, body := call(http.MethodPost, cust+"/invitations", "X-Staff", "tanto", portal.InviteRequest{Channel: portal.ChannelQR})
		require.Equal(t, http.StatusCreated, st, string(body))
		var iss portal.Issued
		require.NoError(t, json.Unmarshal(body, &iss))
		st, body = call(http.MethodPost, cust+"/invitations", "X-Staff", "tanto", portal.InviteRequest{Channel: "fax"})
		require.Equal(t, http.StatusUnprocessableEntity, st, string(body))
		st, _ = call(http.MethodPost, cust+"/invitation-mails", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusAccepted, st)
		st, body = call(http.MethodPost, cust+"/invitation-sms", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusUnprocessableEntity, st, "no SMS channel")
		require.Contains(t, string(body), portal.CodeNoSMS)
		st, body = call(http.MethodGet, cust+"/invitations", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusOK, st)
		var list portal.InvitationList
		require.NoError(t, json.Unmarshal(body, &list))
		require.Len(t, list.Invitations, 2)

		_, sess, err := f.sys.Register(ctx, iss.Token, portal.Registration{Email: "taro@example.jp", Password: strongPassword, AcceptTerms: true})
		require.NoError(t, err)
		st, _ = call(http.MethodGet, cust+"/account", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusOK, st)

		shared, err := f.records.Create(f.tanto, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID, Channel: "visit",
			PublicMemo: "共有メモ", PrivateMemo: "社内のみ", Shared: true})
		require.NoError(t, err)
		hidden, err := f.records.Create(f.tanto, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID, Channel: "visit"})
		require.NoError(t, err)

		tok, _, err := f.sys.Login(ctx, "taro@example.jp", strongPassword)
		require.NoError(t, err)
		st, body = call(http.MethodGet, "/v1/portal/records", portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusOK, st, string(body))
		var page contactlog.Page
		require.NoError(t, json.Unmarshal(body, &page))
		require.Len(t, page.Records, 1)
		require.Equal(t, shared.ID, page.Records[0].ID)
		require.NotContains(t, string(body), "社内のみ")
		st, _ = call(http.MethodGet, "/v1/portal/records/"+hidden.ID.String(), portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusNotFound, st)
		pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
		files := map[string]bool{"見積書.pdf": true, "社内資料.pdf": false}
		for name, sharedFile := range files {
			_, err := f.records.Attachments().Add(f.tanto, shared.ID, contactlog.Upload{
				AttachmentMeta: contactlog.AttachmentMeta{Name: name, Shared: sharedFile}, Body: bytes.NewReader(pdf)})
			require.NoError(t, err)
		}
		st, body = call(http.MethodGet, "/v1/portal/records/"+shared.ID.String()+"/attachments", portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusOK, st, string(body))
		var sharedFiles api.AttachmentList
		require.NoError(t, json.Unmarshal(body, &sharedFiles))
		require.Len(t, sharedFiles.Attachments, 1, "only the shared file")
		require.Equal(t, "見積書.pdf", sharedFiles.Attachments[0].Name)
		file := "/v1/portal/attachments/" + sharedFiles.Attachments[0].ID.String() + "/file"
		st, body = call(http.MethodGet, file, portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusOK, st, string(body))
		require.Equal(t, pdf, body)
		st, body = call(http.MethodGet, file+"?thumb=yes", portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusUnprocessableEntity, st, "a value that is not a boolean is named, not read as false")
		require.Contains(t, string(body), `"thumb"`)
		st, body = call(http.MethodGet, "/v1/portal/records?limit=ten", portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusUnprocessableEntity, st)
		require.Contains(t, string(body), `"limit"`)
		st, _ = call(http.MethodGet, "/v1/portal/me", portal.SessionHeader, tok, nil)
		require.Equal(t, http.StatusOK, st)
		st, _ = call(http.MethodGet, "/v1/portal/records", portal.SessionHeader, "nope", nil)
		require.Equal(t, http.StatusUnauthorized, st)
		st, _ = call(http.MethodGet, "/v1/portal/locked", portal.SessionHeader, tok, nil) // staff routes refuse sessions
		require.Equal(t, http.StatusUnauthorized, st)

		// One failure locks (MaxFailures 1); tanto lists and unlocks it.
		_, _, err = f.sys.Login(ctx, "taro@example.jp", "wrong-password-1")
		require.ErrorIs(t, err, portal.ErrBadCredentials)
		st, body = call(http.MethodGet, "/v1/portal/locked", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusOK, st)
		var locked portal.LockedList
		require.NoError(t, json.Unmarshal(body, &locked))
		require.Len(t, locked.Accounts, 1)
		require.Equal(t, sess.Account, locked.Accounts[0].Account)
		st, _ = call(http.MethodPost, cust+"/unlock", "X-Staff", "other", nil)
		require.Equal(t, http.StatusForbidden, st)
		st, _ = call(http.MethodPost, cust+"/unlock", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusNoContent, st)
		st, body = call(http.MethodPost, cust+"/unlock", "X-Staff", "tanto", nil)
		require.Equal(t, http.StatusUnprocessableEntity, st, "unlocked twice: a field error, not a failure")
		require.Contains(t, string(body), validation.CodeNotAllowed)
	})
}
