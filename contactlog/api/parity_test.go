package api_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// notExposed are the exported engine methods the API deliberately has no
// route for, with the reason.
var notExposed = map[string]string{
	"customer.WithDB":                       "binds the engine to a transaction: not an operation",
	"contactlog.WithDB":                     "binds the engine to a transaction: not an operation",
	"customer.Names":                        "display names of IDs for server-rendered pages: getCustomer and searchCustomers return the names",
	"contactlog.Attachments.CollectOrphans": "a maintenance job of the host (timer), not something a staff user asks for",
	"contactlog.Masters.All":                "every kind in one query for a server-rendered page; getMasters serves each kind",
	"contactlog.Attachments":                "returns the attachments handle, whose methods are walked too: not an operation",
	"customer.Files":                        "returns the profile files handle, whose methods are walked too: not an operation",
	"customer.Files.CollectOrphans":         "a maintenance job of the host (timer), not something a staff user asks for",
	"contactlog.Comments":                   "returns the comments handle, whose methods are walked too: not an operation",
	"contactlog.Masters":                    "returns the masters handle, whose methods are walked too: not an operation",
	"contactlog.ReportPatterns":             "returns the report-pattern handle, whose methods are walked too: not an operation",
	"contactlog.Matching":                   "returns a SQL query for other engines to build on (report's aggregations): not an operation",
}

// routeOf maps each exported engine method a staff user can perform to the
// route that performs it.
var routeOf = map[string]string{
	"customer.Search": "searchCustomers", "customer.Create": "createCustomer", "customer.Get": "getCustomer",
	"customer.Update": "updateCustomer", "customer.Delete": "deleteCustomer", "customer.Restore": "restoreCustomer",
	"customer.Purge": "purgeCustomer", "customer.Export": "exportCustomers", "customer.Import": "importCustomers",
	"customer.WriteTemplate": "customerImportTemplate", "customer.SuggestKana": "suggestKana",
	"customer.SetAssignees": "setAssignees", "customer.Reassign": "reassignCustomers",
	"customer.AssignmentHistory": "assignmentHistory",
	"customer.Lists":             "listLists", "customer.CreateList": "createList", "customer.RenameList": "renameList",
	"customer.DeleteList": "deleteList", "customer.AddToList": "addToList", "customer.RemoveFromList": "removeFromList",
	"customer.Ranks": "getRanks", "customer.SetRanks": "putRanks", "customer.Fields": "getCustomerFields",
	"customer.DefineField": "putCustomerField", "customer.RemoveField": "deleteCustomerField",
	"customer.TenantSettings": "getCustomerSettings", "customer.SetTenantSettings": "putCustomerSettings",
	"customer.Files.List": "listCustomerFiles", "customer.Files.Add": "uploadCustomerFiles",
	"customer.Files.Open": "downloadCustomerFile", "customer.Files.Update": "updateCustomerFile",
	"customer.Files.Delete": "deleteCustomerFile", "customer.Files.Get": "getCustomerFile",

	"contactlog.Search": "searchRecords", "contactlog.Create": "createRecord", "contactlog.Get": "getRecord",
	"contactlog.Update": "updateRecord", "contactlog.Delete": "deleteRecord", "contactlog.Restore": "restoreRecord",
	"contactlog.Purge": "purgeRecord", "contactlog.CreateNext": "createNextRecord", "contactlog.Export": "exportRecords",
	"contactlog.Timeline": "customerTimeline", "contactlog.History": "recordHistory",
	"contactlog.CustomerStatuses": "customerStatuses", "contactlog.MailRecord": "mailRecord",
	"contactlog.Templates": "listTemplates", "contactlog.Template": "getTemplate",
	"contactlog.Attachments.List": "listAttachments", "contactlog.Attachments.Add": "uploadAttachments",
	"contactlog.Attachments.Open": "downloadAttachment", "contactlog.Attachments.Update": "updateAttachment",
	"contactlog.Attachments.Delete": "deleteAttachment", "contactlog.Attachments.Get": "getAttachment",
	"contactlog.Comments.List": "listComments", "contactlog.Comments.Add": "addComment",
	"contactlog.Comments.Edit": "editComment", "contactlog.Comments.Delete": "deleteComment",
	"contactlog.Masters.List": "getMasters", "contactlog.Masters.Set": "putMasters",
	"contactlog.ReportPatterns.List": "listReportPatterns", "contactlog.ReportPatterns.Create": "createReportPattern",
	"contactlog.ReportPatterns.Update": "updateReportPattern", "contactlog.ReportPatterns.Delete": "deleteReportPattern",
}

// TestEveryEngineOperationHasARoute walks the exported methods of
// customer.Service, contactlog.Service and contactlog's attachments,
// comments, masters and report-pattern handles: each has a route, or is listed
// in notExposed with the reason. A new engine method fails this test until
// it is served or listed.
func TestEveryEngineOperationHasARoute(t *testing.T) {
	t.Parallel()
	e := setup(t, dbtest.SQLite(t))
	ids := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		ids[rt.ID] = true
	}
	seen := map[string]bool{}
	for pkg, typ := range map[string]reflect.Type{
		"customer": reflect.TypeFor[*customer.Service](), "contactlog": reflect.TypeFor[*contactlog.Service](),
		"contactlog.Attachments":    reflect.TypeFor[*contactlog.Attachments](),
		"contactlog.Comments":       reflect.TypeFor[*contactlog.Comments](),
		"contactlog.Masters":        reflect.TypeFor[*contactlog.Masters](),
		"contactlog.ReportPatterns": reflect.TypeFor[*contactlog.ReportPatterns](),
		"customer.Files":            reflect.TypeFor[*customer.Files](),
	} {
		for m := range typ.Methods() {
			name := pkg + "." + m.Name
			seen[name] = true
			if reason, ok := notExposed[name]; ok {
				require.NotEmpty(t, reason, name)
				continue
			}
			id, ok := routeOf[name]
			require.True(t, ok, "%s has no route and is not listed as deliberately not exposed", name)
			require.True(t, ids[id], "%s: route %q is not served", name, id)
		}
	}
	for name := range routeOf {
		require.True(t, seen[name], "%s is no engine method: drop it from the table", name)
	}
	for name := range notExposed {
		require.True(t, seen[name], "%s is no engine method: drop it from the table", name)
	}
}

// TestParityRoutes exercises the routes beyond CRUD on both databases,
// each response validated against the document: trash and restore,
// assignees and their history, bulk reassignment, my lists, ranks, custom
// fields, settings, the import template, kana, the timeline, a record's
// history, customer statuses, mail and the record export.
func TestParityRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		ok := func(r reply, want int) reply {
			t.Helper()
			require.Equal(t, want, r.status, string(r.body))
			return r
		}
		var c customer.Customer
		ok(e.call(e.staff, http.MethodPost, "/v1/customers",
			customer.Profile{FamilyName: "佐藤", FamilyKana: "サトウ"}), http.StatusCreated).decode(t, &c)
		cpath := "/v1/customers/" + c.ID.String()

		// Trash and restore.
		ok(e.call(e.staff, http.MethodDelete, cpath, nil, "If-Match", `"1"`), http.StatusNoContent)
		require.Equal(t, http.StatusNotFound, e.call(e.staff, http.MethodGet, cpath, nil).status)
		var trash customer.Page
		ok(e.call(e.staff, http.MethodGet, "/v1/customers?deleted=true", nil), http.StatusOK).decode(t, &trash)
		require.Len(t, trash.Customers, 1)
		ok(e.call(e.staff, http.MethodPost, cpath+"/restore", nil), http.StatusNoContent)
		ok(e.call(e.staff, http.MethodGet, cpath, nil), http.StatusOK).decode(t, &c)

		// Assignees: the staff member may not reassign, the admin may;
		// the history and the bulk change follow.
		require.Equal(t, http.StatusForbidden, e.call(e.staff, http.MethodPut, cpath+"/assignees",
			api.AssigneesRequest{Assignees: []uuid.UUID{e.admin}}).problem(t).Status)
		var after customer.Customer
		ok(e.call(e.admin, http.MethodPut, cpath+"/assignees",
			api.AssigneesRequest{Assignees: []uuid.UUID{e.admin}}), http.StatusOK).decode(t, &after)
		require.Equal(t, []uuid.UUID{e.admin}, after.Assignees)
		var moved api.ReassignResult
		ok(e.call(e.admin, http.MethodPost, "/v1/customers/reassign",
			api.ReassignRequest{From: e.admin, To: e.staff}), http.StatusOK).decode(t, &moved)
		require.Equal(t, 1, moved.Changed)
		var hist api.AssignmentList
		ok(e.call(e.admin, http.MethodGet, cpath+"/assignments", nil), http.StatusOK).decode(t, &hist)
		require.Len(t, hist.Changes, 3, "created, set, bulk change")
		p := e.call(e.admin, http.MethodPost, "/v1/customers/reassign", map[string]any{"to": e.staff}).problem(t)
		require.Equal(t, []api.FieldError{{Field: "from", Code: "required"}}, p.Errors)

		// My lists.
		var l customer.List
		ok(e.call(e.staff, http.MethodPost, "/v1/lists", api.ListRequest{Name: "今月訪問"}), http.StatusCreated).decode(t, &l)
		lpath := "/v1/lists/" + l.ID.String()
		ok(e.call(e.staff, http.MethodPost, lpath+"/customers", api.ListMembers{Customers: []uuid.UUID{c.ID}}), http.StatusNoContent)
		var page customer.Page
		ok(e.call(e.staff, http.MethodGet, "/v1/customers?list="+l.ID.String(), nil), http.StatusOK).decode(t, &page)
		require.Len(t, page.Customers, 1)
		ok(e.call(e.staff, http.MethodPatch, lpath, api.ListRequest{Name: "来月訪問"}), http.StatusNoContent)
		var lists api.ListList
		ok(e.call(e.staff, http.MethodGet, "/v1/lists", nil), http.StatusOK).decode(t, &lists)
		require.Len(t, lists.Lists, 1)
		require.Equal(t, "来月訪問", lists.Lists[0].Name)
		require.Equal(t, 1, lists.Lists[0].Count)
		ok(e.call(e.staff, http.MethodDelete, lpath+"/customers/"+c.ID.String(), nil), http.StatusNoContent)
		require.Equal(t, "name", e.call(e.staff, http.MethodPost, "/v1/lists", api.ListRequest{}).problem(t).Errors[0].Field)
		ok(e.call(e.staff, http.MethodDelete, lpath, nil), http.StatusNoContent)

		// Ranks, custom fields, settings: admin writes, staff reads.
		ranks := api.RankList{Ranks: []customer.Rank{{Code: "S", Label: "S (最重要)"}, {Code: "A", Label: "A"}}}
		require.Equal(t, http.StatusForbidden, e.call(e.staff, http.MethodPut, "/v1/ranks", ranks).problem(t).Status)
		ok(e.call(e.admin, http.MethodPut, "/v1/ranks", ranks), http.StatusOK)
		var gotRanks api.RankList
		ok(e.call(e.staff, http.MethodGet, "/v1/ranks", nil), http.StatusOK).decode(t, &gotRanks)
		require.Equal(t, ranks, gotRanks)
		ok(e.call(e.admin, http.MethodPut, "/v1/customer-fields/hobby",
			customer.FieldDef{Label: "趣味", Type: customer.FieldText}), http.StatusOK)
		p = e.call(e.admin, http.MethodPut, "/v1/customer-fields/hobby", customer.FieldDef{Key: "other", Label: "x", Type: customer.FieldText}).problem(t)
		require.Equal(t, "key", p.Errors[0].Field)
		var fields api.FieldList
		ok(e.call(e.staff, http.MethodGet, "/v1/customer-fields", nil), http.StatusOK).decode(t, &fields)
		require.Len(t, fields.Fields, 1)
		ok(e.call(e.admin, http.MethodDelete, "/v1/customer-fields/hobby", nil), http.StatusNoContent)
		ok(e.call(e.admin, http.MethodPut, "/v1/customer-settings", customer.TenantSettings{KanaOptional: true}), http.StatusOK)
		var ts customer.TenantSettings
		ok(e.call(e.staff, http.MethodGet, "/v1/customer-settings", nil), http.StatusOK).decode(t, &ts)
		require.True(t, ts.KanaOptional)

		// Import template and kana suggestion (no suggester configured).
		tpl := ok(e.call(e.staff, http.MethodGet, "/v1/customers/import-template?encoding=shift_jis", nil), http.StatusOK)
		require.Equal(t, "text/csv; charset=shift_jis", tpl.header.Get("Content-Type"))
		require.NotEmpty(t, tpl.body)
		require.Equal(t, "encoding", e.call(e.staff, http.MethodGet, "/v1/customers/import-template?encoding=ebcdic", nil).problem(t).Errors[0].Field)
		var kana api.KanaSuggestion
		ok(e.call(e.staff, http.MethodGet, "/v1/customers/kana-suggestion?family_name=鈴木", nil), http.StatusOK).decode(t, &kana)
		require.False(t, kana.Found)

		// Records: an older and a newer one of the same template, one
		// planned for later.
		past := time.Date(2026, 10, 5, 1, 0, 0, 0, time.UTC)
		var old, rec, plan contactlog.Record
		ok(e.call(e.staff, http.MethodPost, "/v1/records", contactlog.Entry{Template: "builtin:interview",
			Customer: c.ID, ActualAt: past, Progress: "proposing"}), http.StatusCreated).decode(t, &old)
		ok(e.call(e.staff, http.MethodPost, "/v1/records", contactlog.Entry{Template: "builtin:interview",
			Customer: c.ID, ActualAt: past.AddDate(0, 1, 0), PublicMemo: "見積提出"}), http.StatusCreated).decode(t, &rec)
		ok(e.call(e.staff, http.MethodPost, "/v1/records", contactlog.Entry{Template: "builtin:interview",
			Customer: c.ID, PlannedAt: time.Now().AddDate(1, 0, 0)}), http.StatusCreated).decode(t, &plan)

		var tl contactlog.Timeline
		ok(e.call(e.staff, http.MethodGet, cpath+"/timeline", nil), http.StatusOK).decode(t, &tl)
		require.Len(t, tl.Records, 3)
		ok(e.call(e.staff, http.MethodGet, cpath+"/timeline?month=2026-10&template=builtin:interview", nil), http.StatusOK).decode(t, &tl)
		require.Len(t, tl.Records, 1)
		require.Equal(t, old.ID, tl.Records[0].ID)
		require.Equal(t, "month", e.call(e.staff, http.MethodGet, cpath+"/timeline?month=十月", nil).problem(t).Errors[0].Field)

		var h api.RecordList
		ok(e.call(e.staff, http.MethodGet, "/v1/records/"+rec.ID.String()+"/history", nil), http.StatusOK).decode(t, &h)
		require.Len(t, h.Records, 1)
		require.Equal(t, old.ID, h.Records[0].ID)

		var st api.StatusList
		ok(e.call(e.staff, http.MethodGet, "/v1/customer-statuses?customer="+c.ID.String(), nil), http.StatusOK).decode(t, &st)
		require.Equal(t, "proposing", st.Statuses[c.ID.String()].Progress)
		require.Equal(t, plan.ID, st.Statuses[c.ID.String()].NextRecord)
		require.Equal(t, "customer", e.call(e.staff, http.MethodGet, "/v1/customer-statuses", nil).problem(t).Errors[0].Field)

		// Mail: to a colleague; an unknown recipient is named.
		ok(e.call(e.staff, http.MethodPost, "/v1/records/"+rec.ID.String()+"/mail",
			api.MailRequest{To: []uuid.UUID{e.admin}, Note: "ご確認ください"}), http.StatusAccepted)
		p = e.call(e.staff, http.MethodPost, "/v1/records/"+rec.ID.String()+"/mail", api.MailRequest{To: []uuid.UUID{uuid.New()}}).problem(t)
		require.Equal(t, "to", p.Errors[0].Field)

		// Export: every record in one body.
		var all api.RecordList
		ok(e.call(e.staff, http.MethodGet, "/v1/records/export?customer="+c.ID.String(), nil), http.StatusOK).decode(t, &all)
		require.Len(t, all.Records, 3)
		ok(e.call(e.staff, http.MethodGet, "/v1/records/export?customer="+uuid.NewString(), nil), http.StatusOK).decode(t, &all)
		require.Empty(t, all.Records)
		require.NotNil(t, all.Records)

		// Trash and restore of a record (If-Match), purge by the admin.
		rpath := "/v1/records/" + old.ID.String()
		ok(e.call(e.staff, http.MethodDelete, rpath, nil, "If-Match", `"1"`), http.StatusNoContent)
		require.Equal(t, http.StatusPreconditionRequired, e.call(e.staff, http.MethodPost, rpath+"/restore", nil).problem(t).Status)
		ok(e.call(e.staff, http.MethodPost, rpath+"/restore", nil, "If-Match", `"2"`), http.StatusNoContent)
		ok(e.call(e.staff, http.MethodGet, rpath, nil), http.StatusOK)
		require.Equal(t, http.StatusForbidden, e.call(e.staff, http.MethodPost, rpath+"/purge", nil).problem(t).Status)
		ok(e.call(e.admin, http.MethodPost, rpath+"/purge", nil), http.StatusNoContent)
		require.Equal(t, http.StatusNotFound, e.call(e.admin, http.MethodGet, rpath, nil).status)
		require.Equal(t, http.StatusForbidden, e.call(e.staff, http.MethodPost, cpath+"/purge", nil).problem(t).Status)
		ok(e.call(e.admin, http.MethodPost, cpath+"/purge", nil), http.StatusNoContent)
		require.Equal(t, http.StatusNotFound, e.call(e.admin, http.MethodGet, cpath, nil).status, "purged")
	})
}
