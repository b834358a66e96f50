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
	// Sorts and Sizes are the choices of the order and the page size.
	Sorts []choice
	Limit int
	Sizes []choice
	Next  string
	After string
	// V are the search parameters as given (詳細検索 refills from them);
	// Query is them encoded, for the next page and the export links.
	V     url.Values
	Query htmltemplate.URL
	// Detailed unfolds 詳細検索 (a filter of it is set); Problems name
	// the malformed ones.
	Detailed bool
	Problems []string
	// Dates are 詳細検索's date ranges; Templates, Progress, Ranks and
	// Staff (the active colleagues) the choices of its selects.
	Dates     []dateFilter
	Templates []choice
	Progress  []choice
	Ranks     []choice
	Staff     []choice
	// Rows are the records of the page as list items (empty when none).
	Rows htmltemplate.HTML
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
	d := recordListData{Q: v.Get("q"), Drafts: v.Get("drafts") == "1", Limit: 20, After: v.Get("after"), V: v}
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
		q.Asc = true
	}
	d.Sorts = []choice{{Value: "created", Label: msg.T("records.sort_created"), Selected: q.Sort != contactlog.SortCustomerKana},
		{Value: "customer", Label: msg.T("records.sort_customer"), Selected: q.Sort == contactlog.SortCustomerKana}}
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
	d.Loc = r.loc()
	d.Today = schedule.DateOf(u.app.Clock().In(d.Loc))
	templates, err := u.app.Records.Templates(r.Context())
	if err != nil && len(templates) == 0 {
		return err
	}
	for _, t := range templates {
		d.Templates = append(d.Templates, choice{Value: t.Key, Label: t.Name, Selected: t.Key == v.Get("template")})
	}
	progress, err := u.app.Records.Masters().List(r.Context(), contactlog.MasterProgress)
	if err != nil {
		return err
	}
	for _, it := range progress {
		d.Progress = append(d.Progress, choice{Value: it.Code, Label: it.Label, Selected: it.Code == v.Get("progress")})
	}
	ranks, err := u.app.Customers.Ranks(r.Context())
	if err != nil {
		return err
	}
	for _, rk := range ranks {
		d.Ranks = append(d.Ranks, choice{Value: rk.Code, Label: rk.Label, Selected: rk.Code == v.Get("rank")})
	}
	// The responder filter offers every active colleague: the list comes
	// from the principal cache while the directory has not changed, and
	// names the page's people too.
	users, err := u.app.Staff.Users(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	for _, us := range users {
		if us.Active {
			id := us.ID.String()
			d.Staff = append(d.Staff, choice{Value: id, Label: us.Name, Selected: id == v.Get("responder")})
		}
	}
	for _, name := range []string{"actual", "planned", "created"} {
		d.Dates = append(d.Dates, dateFilter{Name: name, From: v.Get(name + "_from"), To: v.Get(name + "_to"),
			Legend: msg.T("records.filter." + name), FromLabel: msg.T("records.filter." + name + "_from"), ToLabel: msg.T("records.filter." + name + "_to")})
	}
	staff := namesOf(users)
	if n, err := strconv.Atoi(v.Get("limit")); err == nil {
		for _, s := range recordPageSizes {
			if n == s {
				d.Limit = n
			}
		}
	}
	q.Limit = d.Limit
	for _, n := range recordPageSizes {
		d.Sizes = append(d.Sizes, choice{Value: strconv.Itoa(n), Label: msg.T("common.count", n), Selected: n == d.Limit})
	}
	// The notices of the day and the open requests are read beside the
	// records when a processor is spare (see beside).
	wait := u.beside(func() error {
		var err error
		if d.Notices, err = u.app.Schedule.TopNotices(r.Context()); err != nil {
			return err
		}
		d.Requests, err = u.requestItems(r, schedule.RequestQuery{Box: schedule.Received, Open: true, Limit: topRequests + 1}, staff)
		return err
	})
	page, err := u.app.Records.Search(r.Context(), q)
	if side := wait(); err == nil {
		err = side
	}
	if err != nil {
		return err
	}
	if d.MoreRequests = len(d.Requests) > topRequests; d.MoreRequests {
		d.Requests = d.Requests[:topRequests]
	}
	d.Next = page.Next
	// The customers' names and portal marks come from one query.
	marks, err := u.app.Portal.Marks(r.Context(), recordCustomers(page.Records))
	if err != nil {
		return err
	}
	names := make(map[uuid.UUID]string, len(marks))
	for id, m := range marks {
		names[id] = m.Name
	}
	// The templates read for 詳細検索 name the rows' templates too.
	labels := u.templateLabels(r)
	labels.know(templates)
	rows := namedRows(labels, page.Records, names, staff)
	top := make([]topRow, len(rows))
	for i, row := range rows {
		top[i] = newTopRow(row, marks[row.Customer].Status, d.Loc)
	}
	if len(top) > 0 {
		d.Rows = topRowsHTML(top, r.Session.CSRF, d.Query)
	}
	u.render(w, r.Request, r, http.StatusOK, "records_list", d)
	return nil
}

// choice is one option of a select: its value, its label and whether the
// request chose it.
type choice struct {
	Value, Label string
	Selected     bool
}

// dateFilter is one date range of 詳細検索: the parameters' stem
// ("actual": actual_from, actual_to), their values as given, and the
// range's legend and its fields' labels.
type dateFilter struct {
	Name, From, To             string
	Legend, FromLabel, ToLabel string
}

// topRow is one line of the top page with every text formatted, written
// by writeTopRow.
type topRow struct {
	ID, Version string
	// Customer is the customer's ID when the row names one (its links and
	// portal mark show), else "".
	Customer string
	// When is the contact's time, else the planned one (予定 …), else
	// the creation's; Who the customer's name, 下書き or —.
	When, Who     string
	Portal        portal.Status
	TemplateLabel string
	Important     bool
	// Files and Comments count them; Responders names them (empty when
	// none); Excerpt is the memo's start.
	Files, Comments, Responders string
	Excerpt                     string
}

// newTopRow formats row, whose customer has portal status st, for a user
// in loc.
func newTopRow(row recordRow, st portal.Status, loc *time.Location) topRow {
	t := topRow{ID: row.ID.String(), Version: strconv.FormatInt(row.Version, 10), Who: row.CustomerName, Portal: st,
		TemplateLabel: row.TemplateLabel, Important: row.Important, Excerpt: row.Excerpt,
		Files:    msg.T("records.files_count", len(row.Attachments)),
		Comments: msg.T("records.comments_count", row.CommentCount)}
	switch {
	case row.CustomerName != "":
		t.Customer = row.Customer.String()
	case row.IsDraft():
		t.Who = msg.T("records.draft")
	default:
		t.Who = "—"
	}
	switch {
	case !row.ActualAt.IsZero():
		t.When = formatDateTime(row.ActualAt, loc)
	case !row.PlannedAt.IsZero():
		t.When = msg.T("records.planned_short") + " " + formatDateTime(row.PlannedAt, loc)
	default:
		t.When = formatDateTime(row.CreatedAt, loc)
	}
	if row.ResponderNames != "" {
		t.Responders = msg.T("records.responders") + ": " + row.ResponderNames
	}
	return t
}

// topRowsHTML writes the top page's rows: each links to its record and its
// customer, with a ☆ toggle that returns to the page of query and a
// delete button posting the session's CSRF token. The markup is written
// here rather than in records_list.html because html/template's actions
// cost a reflective call each and one more for their escaper, and a row
// had some thirty (BenchmarkTopPage profiles a request).
func topRowsHTML(rows []topRow, csrf string, query htmltemplate.URL) htmltemplate.HTML {
	var m markup
	m.Grow(2048 * len(rows))
	important, star, unstar := msg.T("records.important"), msg.T("records.star"), msg.T("records.unstar")
	history, profile, del := msg.T("customers.history"), msg.T("customers.profile"), msg.T("common.delete")
	for _, t := range rows {
		m.raw("\n", `<li class="record">`, "\n", `<a href="/records/`, t.ID, `">`, "\n", `<span class="when">`)
		m.text(t.When)
		m.raw(`</span>`, "\n", `<strong class="who">`)
		m.text(t.Who)
		m.raw(`</strong>`, "\n")
		if t.Customer != "" {
			m.writePortalMark(t.Portal)
		}
		m.raw("\n", `</a>`, "\n", `<span class="meta">`, "\n", `<span class="badge">`)
		m.text(t.TemplateLabel)
		m.raw(`</span>`, "\n")
		if t.Important {
			m.raw(`<span class="star" title="`)
			m.text(important)
			m.raw(`">☆</span>`)
		}
		m.raw("\n", `<span>`)
		m.text(t.Files)
		m.raw(`</span>`, "\n", `<span>`)
		m.text(t.Comments)
		m.raw(`</span>`, "\n")
		if t.Responders != "" {
			m.raw(`<span>`)
			m.text(t.Responders)
			m.raw(`</span>`)
		}
		m.raw("\n", `</span>`, "\n")
		if t.Excerpt != "" {
			m.raw(`<p class="excerpt">`)
			m.text(t.Excerpt)
			m.raw(`</p>`)
		}
		m.raw("\n", `<div class="row record-actions">`, "\n", `<form method="post" action="/records/`, t.ID, `/important" class="star-toggle">`, "\n")
		m.writeCSRF(csrf)
		m.raw(`<input type="hidden" name="version" value="`, t.Version, `"><input type="hidden" name="back" value="`)
		m.text(string(query))
		m.raw(`">`, "\n")
		if t.Important {
			m.raw("\n", `<button type="submit" class="star on" aria-pressed="true">`)
			m.text(unstar)
		} else {
			m.raw(`<input type="hidden" name="important" value="1">`, "\n", `<button type="submit" class="star" aria-pressed="false">`)
			m.text(star)
		}
		m.raw(`</button>`, "\n", `</form>`, "\n")
		if t.Customer != "" {
			m.raw(`<a class="button" href="/customers/`, t.Customer, `#history">`)
			m.text(history)
			m.raw(`</a>`, "\n", `<a class="button" href="/customers/`, t.Customer, `">`)
			m.text(profile)
			m.raw(`</a>`, "\n")
		}
		m.writeDeleteButton("/records/"+t.ID+"/delete", csrf, del, map[string]any{"version": t.Version})
		m.raw("\n", `</div>`, "\n", `</li>`)
	}
	m.raw("\n")
	return m.html()
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

// recordResponders are the responders of recs, whom their rows name.
func recordResponders(recs []contactlog.Record) []uuid.UUID {
	var ids []uuid.UUID
	for _, rec := range recs {
		ids = append(ids, rec.Responders...)
	}
	return ids
}

// recordRows adds customer names (what the principal sees of them),
// template labels and the responders' names (from staff) to records.
func (u *UI) recordRows(r *Request, recs []contactlog.Record, staff staffNames) ([]recordRow, error) {
	names, err := u.app.Customers.Names(r.Context(), recordCustomers(recs))
	if err != nil {
		return nil, err
	}
	return namedRows(u.templateLabels(r), recs, names, staff), nil
}

// namedRows adds the customer names of names (by customer), template labels
// (from labels) and the responders' names (from staff) to records.
func namedRows(labels *templateLabeler, recs []contactlog.Record, names map[uuid.UUID]string, staff staffNames) []recordRow {
	rows := make([]recordRow, len(recs))
	for i, rec := range recs {
		rows[i] = recordRow{Record: rec, CustomerName: names[rec.Customer], TemplateLabel: labels.label(rec.Template, rec.TemplateVersion),
			ResponderNames: staff.joined(rec.Responders), Excerpt: excerpt(rec.PublicMemo)}
	}
	return rows
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
