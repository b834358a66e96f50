package api

import (
	"net/http"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// table is every route of /api/v1. The OpenAPI document is generated from
// it; each route's summary is the catalog message "api.op.<ID>".
func (x *API) table() []Route {
	id := []Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "UUID"}}
	p := Prefix
	return []Route{
		// Tokens (browser session).
		{ID: "createToken", Tag: "tokens", Method: http.MethodPost, Path: p + "/tokens", Auth: AuthSession,
			Request: TokenRequest{}, Response: NewToken{}, Status: http.StatusCreated, h: x.createToken},
		{ID: "listTokens", Tag: "tokens", Method: http.MethodGet, Path: p + "/tokens", Auth: AuthSession,
			Response: TokenList{}, Status: http.StatusOK, h: x.listTokens},
		{ID: "revokeToken", Tag: "tokens", Method: http.MethodDelete, Path: p + "/tokens/{id}", Params: id,
			Auth: AuthSession, Status: http.StatusNoContent, h: x.revokeToken},

		// Customers.
		{ID: "searchCustomers", Tag: "customers", Method: http.MethodGet, Path: p + "/customers",
			Params: customerQueryParams, Response: customer.Page{}, Status: http.StatusOK, h: x.searchCustomers},
		{ID: "createCustomer", Tag: "customers", Method: http.MethodPost, Path: p + "/customers",
			Request: customer.Profile{}, Response: customer.Customer{}, Status: http.StatusCreated, ETag: true,
			Idempotent: true, h: x.createCustomer},
		{ID: "exportCustomers", Tag: "customers", Method: http.MethodGet, Path: p + "/customers/export",
			Params: append(append([]Param(nil), customerQueryParams...),
				Param{Name: "encoding", In: "query", Type: "string", Description: "utf-8-bom (default) | shift_jis"}),
			ResponseType: ctCSV, Status: http.StatusOK, h: x.exportCustomers},
		{ID: "importCustomers", Tag: "customers", Method: http.MethodPost, Path: p + "/customers/import",
			Params: importParams, RequestType: ctCSV, Response: customer.ImportReport{}, Status: http.StatusOK,
			h: x.importCustomers},
		{ID: "getCustomer", Tag: "customers", Method: http.MethodGet, Path: p + "/customers/{id}", Params: id,
			Response: customer.Customer{}, Status: http.StatusOK, ETag: true, h: x.getCustomer},
		{ID: "updateCustomer", Tag: "customers", Method: http.MethodPut, Path: p + "/customers/{id}", Params: id,
			Request: customer.Profile{}, Response: customer.Customer{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, h: x.updateCustomer},
		{ID: "deleteCustomer", Tag: "customers", Method: http.MethodDelete, Path: p + "/customers/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, h: x.deleteCustomer},

		// Records.
		{ID: "searchRecords", Tag: "records", Method: http.MethodGet, Path: p + "/records",
			Params: recordQueryParams, Response: contactlog.Page{}, Status: http.StatusOK, h: x.searchRecords},
		{ID: "createRecord", Tag: "records", Method: http.MethodPost, Path: p + "/records",
			Request: contactlog.Entry{}, Response: contactlog.Record{}, Status: http.StatusCreated, ETag: true,
			Idempotent: true, h: x.createRecord},
		{ID: "getRecord", Tag: "records", Method: http.MethodGet, Path: p + "/records/{id}", Params: id,
			Response: contactlog.Record{}, Status: http.StatusOK, ETag: true, h: x.getRecord},
		{ID: "updateRecord", Tag: "records", Method: http.MethodPut, Path: p + "/records/{id}", Params: id,
			Request: contactlog.Entry{}, Response: contactlog.Record{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, h: x.updateRecord},
		{ID: "deleteRecord", Tag: "records", Method: http.MethodDelete, Path: p + "/records/{id}", Params: id,
			Status: http.StatusNoContent, IfMatch: true, h: x.deleteRecord},
		{ID: "createNextRecord", Tag: "records", Method: http.MethodPost, Path: p + "/records/{id}/next",
			Params: id, Request: NextRequest{}, Response: contactlog.Record{}, Status: http.StatusCreated,
			ETag: true, Idempotent: true, h: x.createNext},

		// Attachments.
		{ID: "listAttachments", Tag: "attachments", Method: http.MethodGet, Path: p + "/records/{id}/attachments",
			Params: id, Response: AttachmentList{}, Status: http.StatusOK, h: x.listAttachments},
		{ID: "uploadAttachments", Tag: "attachments", Method: http.MethodPost,
			Path: p + "/records/{id}/attachments", Params: id, Request: UploadForm{}, RequestType: ctMultipart,
			Response: AttachmentList{}, Status: http.StatusCreated, h: x.uploadAttachments},
		{ID: "getAttachment", Tag: "attachments", Method: http.MethodGet, Path: p + "/attachments/{id}",
			Params: id, Response: contactlog.Attachment{}, Status: http.StatusOK, ETag: true, h: x.getAttachment},
		{ID: "downloadAttachment", Tag: "attachments", Method: http.MethodGet,
			Path: p + "/attachments/{id}/content", ResponseType: ctBinary, Status: http.StatusOK, ETag: true,
			Params: append(append([]Param(nil), id...),
				Param{Name: "thumb", In: "query", Type: "boolean", Description: "the JPEG thumbnail"}),
			h: x.downloadAttachment},
		{ID: "updateAttachment", Tag: "attachments", Method: http.MethodPatch, Path: p + "/attachments/{id}",
			Params: id, Request: AttachmentPatch{}, Response: contactlog.Attachment{}, Status: http.StatusOK,
			IfMatch: true, ETag: true, h: x.patchAttachment},
		{ID: "deleteAttachment", Tag: "attachments", Method: http.MethodDelete, Path: p + "/attachments/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, h: x.deleteAttachment},

		// Comments.
		{ID: "listComments", Tag: "comments", Method: http.MethodGet, Path: p + "/records/{id}/comments",
			Params: id, Response: CommentList{}, Status: http.StatusOK, h: x.listComments},
		{ID: "addComment", Tag: "comments", Method: http.MethodPost, Path: p + "/records/{id}/comments",
			Params: id, Request: CommentRequest{}, Response: contactlog.Comment{}, Status: http.StatusCreated,
			ETag: true, Idempotent: true, h: x.addComment},
		{ID: "editComment", Tag: "comments", Method: http.MethodPut, Path: p + "/comments/{id}", Params: id,
			Request: CommentRequest{}, Response: contactlog.Comment{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, h: x.editComment},
		{ID: "deleteComment", Tag: "comments", Method: http.MethodDelete, Path: p + "/comments/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, h: x.deleteComment},

		// Templates and masters.
		{ID: "listTemplates", Tag: "templates", Method: http.MethodGet, Path: p + "/templates",
			Response: TemplateList{}, Status: http.StatusOK, h: x.listTemplates},
		{ID: "getTemplate", Tag: "templates", Method: http.MethodGet, Path: p + "/templates/{key}",
			Params: []Param{{Name: "key", In: "path", Type: "string", Required: true, Description: "e.g. builtin:daily"},
				{Name: "version", In: "query", Type: "integer", Description: "0 or absent: the latest"}},
			Response: template.Template{}, Status: http.StatusOK, h: x.getTemplate},
		{ID: "getMasters", Tag: "masters", Method: http.MethodGet, Path: p + "/masters/{kind}",
			Params: []Param{{Name: "kind", In: "path", Type: "string", Required: true,
				Description: "channel | result | summary | progress | category1 | category2"}},
			Response: MasterList{}, Status: http.StatusOK, h: x.getMasters},
		{ID: "putMasters", Tag: "masters", Method: http.MethodPut, Path: p + "/masters/{kind}",
			Params: []Param{{Name: "kind", In: "path", Type: "string", Required: true,
				Description: "channel | result | summary | progress | category1 | category2"}},
			Request: MasterList{}, Response: MasterList{}, Status: http.StatusOK,
			Roles: []permission.Role{permission.RoleAdmin}, h: x.putMasters},
	}
}
