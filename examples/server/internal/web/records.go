package web

import (
	htmltemplate "html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/schedule"
)

// recordRoutes registers the contact-record pages (memolog's loop): the top
// page listing records, creating a record from a phone with photos, the
// record page with its files and comments, editing and deleting.
func (u *UI) recordRoutes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", u.page(u.recordList))
	mux.Handle("GET /records/new", u.page(u.recordNew))
	mux.Handle("POST /records", u.page(u.recordCreate))
	mux.Handle("GET /records/{id}", u.page(u.recordShow))
	mux.Handle("GET /records/{id}/edit", u.page(u.recordEdit))
	mux.Handle("POST /records/{id}/edit", u.page(u.recordUpdate))
	mux.Handle("POST /records/{id}/delete", u.page(u.recordDelete))
	mux.Handle("POST /records/{id}/next", u.page(u.recordNext))
	mux.Handle("POST /records/{id}/restore", u.page(u.recordRestore))
	mux.Handle("POST /records/{id}/important", u.page(u.recordImportant))
	mux.Handle("POST /records/{id}/mail", u.page(u.recordMail))
	mux.Handle("POST /records/{id}/files", u.page(u.recordAddFiles))
	mux.Handle("POST /records/{id}/comments", u.page(u.recordAddComment))
	mux.Handle("POST /comments/{id}/delete", u.page(u.commentDelete))
	mux.Handle("GET /files/{id}", u.page(u.fileServe))
	mux.Handle("GET /files/{id}/thumb", u.page(u.fileThumb))
	mux.Handle("POST /files/{id}", u.page(u.fileUpdate))
	mux.Handle("POST /files/{id}/delete", u.page(u.fileDelete))
}

// recordPageSizes are the page sizes the top page offers.
var recordPageSizes = []int{10, 20, 50, 100}

// detailedFilters are the parameters of 詳細検索.
var detailedFilters = []string{"mine", "important", "template", "progress", "rank", "responder",
	"actual_from", "actual_to", "planned_from", "planned_to", "created_from", "created_to"}

// recordRow is one line of the top page.
type recordRow struct {
	contactlog.Record
	CustomerName  string
	TemplateLabel string
	// ResponderNames are the responders' names; Excerpt the memo's start.
	ResponderNames string
	Excerpt        string
	// Portal is the customer's portal status (招待済み / 登録済み marks;
	// set on the top page only).
	Portal portal.Status
}

// excerptLen is how many characters of the memo a list row shows.
const excerptLen = 60

// excerpt is the start of s on one line.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > excerptLen {
		return string(r[:excerptLen]) + "…"
	}
	return s
}

// recordListData is the top page's data.
type recordListData struct {
	Q      string
	Drafts bool
	Sort   string
	Limit  int
	Sizes  []int
	Rows   []recordRow
	Next   string
	After  string
	// V are the search parameters as given (詳細検索 refills from them);
	// Query is them encoded, for the next page and the export links.
	V     url.Values
	Query htmltemplate.URL
	// Detailed unfolds 詳細検索 (a filter of it is set); Problems name
	// the malformed ones.
	Detailed  bool
	Problems  []string
	Templates []template.Template
	Progress  []contactlog.MasterItem
	Ranks     []customer.Rank
	Staff     []permission.User
	// Deleted is the record just deleted, offered back (元に戻す) at
	// DeletedVersion.
	Deleted        string
	DeletedVersion string
	// Notices are the notices of the day (お知らせ), newest first.
	Notices []schedule.Notice
	// Requests are the first topRequests requests received and not done
	// (依頼・課題), due soonest first; MoreRequests tells there are more.
	Requests     []requestItem
	MoreRequests bool
	Today        schedule.Date
	Loc          *time.Location
}

// topRequests is how many open requests the top page lists.
const topRequests = 5

// recordList is the top page: the records the user may see, newest first,
// searched by customer name or memo, drafts only, sorted by creation or by
// customer reading, one keyset page at a time.
func (u *UI) recordList(w http.ResponseWriter, r *Request) error {
	v := r.URL.Query()
	d := recordListData{Q: v.Get("q"), Drafts: v.Get("drafts") == "1", Sort: "created", Limit: 20,
		Sizes: recordPageSizes, After: v.Get("after"), V: v}
	if id, err := uuid.Parse(v.Get("deleted")); err == nil {
		if n, err := strconv.ParseInt(v.Get("v"), 10, 64); err == nil {
			d.Deleted, d.DeletedVersion = id.String(), strconv.FormatInt(n, 10)
		}
	}
	q, bad := recordQuery(v, r.loc())
	q.WithDetails, q.After = true, d.After
	for _, field := range bad {
		d.Problems = append(d.Problems, msg.T("records.bad_filter", msg.T("records.filter."+field)))
	}
	if q.Sort == contactlog.SortCustomerKana {
		// The reading ascending (ア → ン), which is how a ledger is read;
		// drafts come last.
		d.Sort, q.Asc = "customer", true
	}
	for _, k := range detailedFilters {
		d.Detailed = d.Detailed || v.Get(k) != ""
	}
	keep := url.Values{}
	for k, vs := range v {
		if k != "after" && k != "deleted" && k != "v" {
			keep[k] = vs
		}
	}
	if keep.Get("limit") == "" {
		keep.Set("limit", strconv.Itoa(d.Limit))
	}
	d.Query = htmltemplate.URL(keep.Encode())
	var err error
	if d.Notices, err = u.app.Schedule.TopNotices(r.Context()); err != nil {
		return err
	}
	d.Loc = r.loc()
	d.Today = schedule.DateOf(u.app.Clock().In(d.Loc))
	if d.Templates, err = u.app.Records.Templates(r.Context()); err != nil && len(d.Templates) == 0 {
		return err
	}
	if d.Progress, err = u.app.Records.Masters().List(r.Context(), contactlog.MasterProgress); err != nil {
		return err
	}
	if d.Ranks, err = u.app.Customers.Ranks(r.Context()); err != nil {
		return err
	}
	// The responder filter offers every colleague: the list comes from
	// the principal cache while the directory has not changed, and names
	// the page's people too.
	if d.Staff, err = u.app.Staff.Users(r.Context(), r.Principal.Tenant); err != nil {
		return err
	}
	staff := namesOf(d.Staff)
	if d.Requests, err = u.requestItems(r, schedule.RequestQuery{Box: schedule.Received, Open: true}, topRequests+1, staff); err != nil {
		return err
	}
	if d.MoreRequests = len(d.Requests) > topRequests; d.MoreRequests {
		d.Requests = d.Requests[:topRequests]
	}
	if n, err := strconv.Atoi(v.Get("limit")); err == nil {
		for _, s := range recordPageSizes {
			if n == s {
				d.Limit = n
			}
		}
	}
	q.Limit = d.Limit
	page, err := u.app.Records.Search(r.Context(), q)
	if err != nil {
		return err
	}
	d.Next = page.Next
	if d.Rows, err = u.recordRows(r, page.Records, staff); err != nil {
		return err
	}
	if err := u.portalMarks(r, page.Records, d.Rows); err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "records_list", d)
	return nil
}

// recordCustomers are the customers of recs (drafts without one left out).
func recordCustomers(recs []contactlog.Record) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(recs))
	for _, rec := range recs {
		if rec.Customer != uuid.Nil {
			ids = append(ids, rec.Customer)
		}
	}
	return ids
}

// portalMarks sets the portal status of the customer of each row of recs,
// with one query.
func (u *UI) portalMarks(r *Request, recs []contactlog.Record, rows []recordRow) error {
	st, err := u.app.Portal.Statuses(r.Context(), recordCustomers(recs))
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Portal = st[rows[i].Customer]
	}
	return nil
}

// recordResponders are the responders of recs, whom their rows name.
func recordResponders(recs []contactlog.Record) []uuid.UUID {
	var ids []uuid.UUID
	for _, rec := range recs {
		ids = append(ids, rec.Responders...)
	}
	return ids
}

// recordRows adds customer names, template labels and the responders'
// names (from staff) to records.
func (u *UI) recordRows(r *Request, recs []contactlog.Record, staff staffNames) ([]recordRow, error) {
	names, err := u.app.Customers.Names(r.Context(), recordCustomers(recs))
	if err != nil {
		return nil, err
	}
	labels := u.templateLabels(r)
	rows := make([]recordRow, len(recs))
	for i, rec := range recs {
		rows[i] = recordRow{Record: rec, CustomerName: names[rec.Customer], TemplateLabel: labels.label(rec.Template, rec.TemplateVersion),
			ResponderNames: staff.joined(rec.Responders), Excerpt: excerpt(rec.PublicMemo)}
	}
	return rows, nil
}

// recordImportant sets or clears a record's ☆ (form: important=1 or not,
// version) from a list row, then returns to the top page with the search
// it came from (back: that page's query string).
func (u *UI) recordImportant(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	rec, err := u.app.Records.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if rec.Version != version {
		return contactlog.ErrConflict
	}
	e := rec.Entry
	e.Important = r.PostFormValue("important") == "1"
	if _, err := u.app.Records.Update(r.Context(), id, version, e); err != nil {
		return err
	}
	back, err := url.ParseQuery(r.PostFormValue("back"))
	if err != nil {
		back = url.Values{}
	}
	key := "records.unstarred"
	if e.Important {
		key = "records.starred"
	}
	redirect(w, r.Request, "/?"+back.Encode(), key)
	return nil
}
