package api

import (
	"net/http"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// builtin is every built-in route of /v1, in the order of the document.
func (s *Server) builtin() []Route {
	id := []Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "UUID"}}
	p := Version1
	return []Route{
		// Customers.
		{ID: "searchCustomers", Summary: "Search customers", Tag: "customers", Method: http.MethodGet, Path: p + "/customers",
			Params: customerQueryParams, Response: customer.Page{}, Status: http.StatusOK, Handler: s.searchCustomers},
		{ID: "createCustomer", Summary: "Create a customer", Tag: "customers", Method: http.MethodPost, Path: p + "/customers",
			Request: customer.Profile{}, Response: customer.Customer{}, Status: http.StatusCreated, ETag: true,
			Idempotent: true, Handler: s.createCustomer},
		{ID: "exportCustomers", Summary: "Export customers as CSV", Tag: "customers", Method: http.MethodGet, Path: p + "/customers/export",
			Params: append(append([]Param(nil), customerQueryParams...),
				Param{Name: "encoding", In: "query", Type: "string", Description: "utf-8-bom (default) | shift_jis"}),
			ResponseType: MediaCSV, Status: http.StatusOK, Handler: s.exportCustomers},
		{ID: "importCustomers", Summary: "Import customers from CSV", Tag: "customers", Method: http.MethodPost, Path: p + "/customers/import",
			Params: importParams, RequestType: MediaCSV, Response: customer.ImportReport{}, Status: http.StatusOK,
			OtherResponses: map[int]any{http.StatusUnprocessableEntity: customer.ImportReport{}},
			Handler:        s.importCustomers},
		{ID: "getCustomer", Summary: "Get a customer", Tag: "customers", Method: http.MethodGet, Path: p + "/customers/{id}", Params: id,
			Response: customer.Customer{}, Status: http.StatusOK, ETag: true, Handler: s.getCustomer},
		{ID: "updateCustomer", Summary: "Update a customer", Tag: "customers", Method: http.MethodPut, Path: p + "/customers/{id}", Params: id,
			Request: customer.Profile{}, Response: customer.Customer{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, Handler: s.updateCustomer},
		{ID: "deleteCustomer", Summary: "Delete a customer (to the trash)", Tag: "customers", Method: http.MethodDelete, Path: p + "/customers/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: s.deleteCustomer},

		// Records.
		{ID: "searchRecords", Summary: "Search contact records", Tag: "records", Method: http.MethodGet, Path: p + "/records",
			Params: recordQueryParams, Response: contactlog.Page{}, Status: http.StatusOK, Handler: s.searchRecords},
		{ID: "createRecord", Summary: "Create a contact record", Tag: "records", Method: http.MethodPost, Path: p + "/records",
			Request: contactlog.Entry{}, Response: contactlog.Record{}, Status: http.StatusCreated, ETag: true,
			Idempotent: true, Handler: s.createRecord},
		{ID: "getRecord", Summary: "Get a contact record", Tag: "records", Method: http.MethodGet, Path: p + "/records/{id}", Params: id,
			Response: contactlog.Record{}, Status: http.StatusOK, ETag: true, Handler: s.getRecord},
		{ID: "updateRecord", Summary: "Update a contact record", Tag: "records", Method: http.MethodPut, Path: p + "/records/{id}", Params: id,
			Request: contactlog.Entry{}, Response: contactlog.Record{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, Handler: s.updateRecord},
		{ID: "deleteRecord", Summary: "Delete a contact record (to the trash)", Tag: "records", Method: http.MethodDelete, Path: p + "/records/{id}", Params: id,
			Status: http.StatusNoContent, IfMatch: true, Handler: s.deleteRecord},
		{ID: "createNextRecord", Summary: "Create the next record of a contact", Tag: "records", Method: http.MethodPost, Path: p + "/records/{id}/next",
			Params: id, Request: NextRequest{}, Response: contactlog.Record{}, Status: http.StatusCreated,
			ETag: true, Idempotent: true, Handler: s.createNext},

		// Attachments.
		{ID: "listAttachments", Summary: "List a record's attachments", Tag: "attachments", Method: http.MethodGet, Path: p + "/records/{id}/attachments",
			Params: id, Response: AttachmentList{}, Status: http.StatusOK, Handler: s.listAttachments},
		{ID: "uploadAttachments", Summary: "Attach files to a record", Tag: "attachments", Method: http.MethodPost,
			Path: p + "/records/{id}/attachments", Params: id, Request: UploadForm{}, RequestType: MediaMultipart,
			Response: AttachmentList{}, Status: http.StatusCreated, Handler: s.uploadAttachments},
		{ID: "getAttachment", Summary: "Get an attachment's metadata", Tag: "attachments", Method: http.MethodGet, Path: p + "/attachments/{id}",
			Params: id, Response: contactlog.Attachment{}, Status: http.StatusOK, ETag: true, Handler: s.getAttachment},
		{ID: "downloadAttachment", Summary: "Download an attachment", Tag: "attachments", Method: http.MethodGet,
			Path: p + "/attachments/{id}/content", ResponseType: MediaAny, Status: http.StatusOK, ETag: true,
			Params: append(append([]Param(nil), id...),
				Param{Name: "thumb", In: "query", Type: "boolean", Description: "the JPEG thumbnail"}),
			Handler: s.downloadAttachment},
		{ID: "updateAttachment", Summary: "Rename an attachment or change its important and shared flags", Tag: "attachments", Method: http.MethodPatch, Path: p + "/attachments/{id}",
			Params: id, Request: AttachmentPatch{}, Response: contactlog.Attachment{}, Status: http.StatusOK,
			IfMatch: true, ETag: true, Handler: s.patchAttachment},
		{ID: "deleteAttachment", Summary: "Delete an attachment", Tag: "attachments", Method: http.MethodDelete, Path: p + "/attachments/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: s.deleteAttachment},

		// Comments.
		{ID: "listComments", Summary: "List a record's comments", Tag: "comments", Method: http.MethodGet, Path: p + "/records/{id}/comments",
			Params: id, Response: CommentList{}, Status: http.StatusOK, Handler: s.listComments},
		{ID: "addComment", Summary: "Comment on a record", Tag: "comments", Method: http.MethodPost, Path: p + "/records/{id}/comments",
			Params: id, Request: CommentRequest{}, Response: contactlog.Comment{}, Status: http.StatusCreated,
			ETag: true, Idempotent: true, Handler: s.addComment},
		{ID: "editComment", Summary: "Edit a comment", Tag: "comments", Method: http.MethodPut, Path: p + "/comments/{id}", Params: id,
			Request: CommentRequest{}, Response: contactlog.Comment{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, Handler: s.editComment},
		{ID: "deleteComment", Summary: "Delete a comment", Tag: "comments", Method: http.MethodDelete, Path: p + "/comments/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: s.deleteComment},

		// Templates and masters.
		{ID: "listTemplates", Summary: "List the record templates", Tag: "templates", Method: http.MethodGet, Path: p + "/templates",
			Response: TemplateList{}, Status: http.StatusOK, Handler: s.listTemplates},
		{ID: "getTemplate", Summary: "Get a record template", Tag: "templates", Method: http.MethodGet, Path: p + "/templates/{key}",
			Params: []Param{{Name: "key", In: "path", Type: "string", Required: true, Description: "e.g. builtin:daily"},
				{Name: "version", In: "query", Type: "integer", Description: "0 or absent: the latest"}},
			Response: template.Template{}, Status: http.StatusOK, Handler: s.getTemplate},
		{ID: "getMasters", Summary: "Get the items of a master", Tag: "masters", Method: http.MethodGet, Path: p + "/masters/{kind}",
			Params: []Param{{Name: "kind", In: "path", Type: "string", Required: true,
				Description: "channel | result | summary | progress | category1 | category2"}},
			Response: MasterList{}, Status: http.StatusOK, Handler: s.getMasters},
		{ID: "putMasters", Summary: "Set the items of a master (admin)", Tag: "masters", Method: http.MethodPut, Path: p + "/masters/{kind}",
			Params: []Param{{Name: "kind", In: "path", Type: "string", Required: true,
				Description: "channel | result | summary | progress | category1 | category2"}},
			Request: MasterList{}, Response: MasterList{}, Status: http.StatusOK,
			Roles: []permission.Role{permission.RoleAdmin}, Handler: s.putMasters},
	}
}
