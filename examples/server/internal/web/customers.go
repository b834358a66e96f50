package web

import (
	"context"
	htmltemplate "html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
)

func (u *UI) customerRoutes(mux *http.ServeMux) {
	mux.Handle("GET /customers", u.page(u.customerIndex))
	mux.Handle("GET /customers/new", u.page(u.customerNew))
	mux.Handle("GET /customers/choices", u.page(u.customerChoices))
	mux.Handle("POST /customers/new", u.page(u.customerCreate))
	mux.Handle("GET /customers/{id}", u.page(u.customerShow))
	mux.Handle("GET /customers/{id}/edit", u.page(u.customerEdit))
	mux.Handle("POST /customers/{id}/edit", u.page(u.customerUpdate))
	mux.Handle("POST /customers/{id}/delete", u.page(u.customerDelete))
	mux.Handle("POST /customers/{id}/lists", u.page(u.customerAddToList))
	u.listRoutes(mux)
	u.customerFileRoutes(mux)
}

// customerSorts are the list's sort choices (form value → engine order).
var customerSorts = []struct {
	Value string
	Sort  customer.Sort
	Desc  bool
	Label string
}{
	{"kana", customer.SortKana, false, "customers.sort_kana"},
	{"kana_desc", customer.SortKana, true, "customers.sort_kana_desc"},
	{"created_desc", customer.SortCreated, true, "customers.sort_created_desc"},
	{"created", customer.SortCreated, false, "customers.sort_created"},
	{"updated_desc", customer.SortUpdated, true, "customers.sort_updated_desc"},
}

// customerFilters are the customer list's GET parameters besides the
// cursor; the next page, the first page and the export keep them.
var customerFilters = []string{"q", "rank", "status", "kind", "gender", "birth_year_from", "birth_year_to",
	"assignee", "sort"}

// customerQuery reads the customer list's GET form (q, rank, status, kind,
// gender, birth_year_from/birth_year_to, assignee (a staff ID), sort,
// after) into an engine query; the export uses the same parameters.
// Malformed values are left out of the query and named in bad.
func customerQuery(v url.Values) (q customer.Query, bad []string) {
	q = customer.Query{Text: strings.TrimSpace(v.Get("q")), After: v.Get("after"), WithTotal: true}
	if r := strings.TrimSpace(v.Get("rank")); r != "" {
		q.Ranks = []string{r}
	}
	switch s := customer.Status(v.Get("status")); s {
	case customer.Prospect, customer.Existing:
		q.Status = s
	}
	switch k := customer.Kind(v.Get("kind")); k {
	case "":
	case customer.Individual, customer.Company:
		q.Kind = k
	default:
		bad = append(bad, "kind")
	}
	switch g := customer.Gender(v.Get("gender")); g {
	case customer.GenderUnspecified:
	case customer.Male, customer.Female, customer.GenderOther:
		q.Gender = g
	default:
		bad = append(bad, "gender")
	}
	for _, y := range []struct {
		field string
		to    *int
	}{{"birth_year_from", &q.BirthYearFrom}, {"birth_year_to", &q.BirthYearTo}} {
		s := strings.TrimSpace(v.Get(y.field))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1868 || n > 9999 {
			bad = append(bad, y.field)
			continue
		}
		*y.to = n
	}
	if q.BirthYearFrom != 0 && q.BirthYearTo != 0 && q.BirthYearFrom > q.BirthYearTo {
		bad = append(bad, "birth_year_to")
		q.BirthYearTo = 0
	}
	if s := v.Get("assignee"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			bad = append(bad, "assignee")
		}
		q.Assignee = id
	}
	for _, s := range customerSorts {
		if s.Value == v.Get("sort") {
			q.Sort, q.Desc = s.Sort, s.Desc
		}
	}
	return q, bad
}

// customerRow is one customer of a list with where its contacts stand.
type customerRow struct {
	Customer  customer.Customer
	Assignees []string
	Progress  string
	Status    contactlog.CustomerStatus
	// Portal is the customer's portal status ("" when never invited).
	Portal portal.Status
	// Loc is the principal's time zone (for the next contact's date).
	Loc *time.Location
}

// totalText is how many matches a search found, as a page shows it:
// "N件", "約N件" (the database's estimate) or "N件以上" (a lower bound), as
// kind says; "" when the search counted none.
func totalText(n int, kind customer.TotalKind) string {
	switch kind {
	case customer.TotalExact:
		return msg.T("common.count", n)
	case customer.TotalEstimate:
		return msg.T("common.count_estimate", n)
	case customer.TotalAtLeast:
		return msg.T("common.count_at_least", n)
	}
	return ""
}

type customerIndexData struct {
	Form *Form
	Rows []customerRow
	// Total is how many customers the search found (totalText).
	Total string
	Next  string
	Ranks []customer.Rank
	Sorts any
	// Staff are the assignee filter's choices.
	Staff []permission.User
	// Query is the filters as a query string (no cursor): the first page
	// and the export links carry it; NextQuery adds the next page's cursor.
	Query     htmltemplate.URL
	NextQuery htmltemplate.URL
	Paged     bool
	// Detailed unfolds the more filters (one of them is set); Problems
	// name the malformed ones.
	Detailed bool
	Problems []string
}

func (u *UI) customerIndex(w http.ResponseWriter, r *Request) error {
	v := r.URL.Query()
	ctx := r.Context()
	q, bad := customerQuery(v)
	page, err := u.app.Customers.Search(ctx, q)
	if err != nil {
		return err
	}
	rows, err := u.customerRows(ctx, page.Customers)
	if err != nil {
		return err
	}
	ranks, err := u.app.Customers.Ranks(ctx)
	if err != nil {
		return err
	}
	staff, err := u.app.Staff.Users(ctx, r.Principal.Tenant)
	if err != nil {
		return err
	}
	d := customerIndexData{Form: NewForm(v), Rows: rows, Total: totalText(page.Total, page.TotalKind), Next: page.Next, Ranks: ranks,
		Sorts: customerSorts, Staff: staff, Paged: v.Get("after") != ""}
	for _, field := range bad {
		d.Problems = append(d.Problems, msg.T("records.bad_filter", msg.T("customers.filter."+field)))
	}
	keep := url.Values{}
	for _, k := range customerFilters {
		if s := v.Get(k); s != "" {
			keep.Set(k, s)
		}
	}
	for _, k := range []string{"kind", "gender", "birth_year_from", "birth_year_to", "assignee"} {
		d.Detailed = d.Detailed || keep.Get(k) != ""
	}
	d.Query = htmltemplate.URL(keep.Encode())
	if page.Next != "" {
		keep.Set("after", page.Next)
		d.NextQuery = htmltemplate.URL(keep.Encode())
	}
	u.render(w, r.Request, r, http.StatusOK, "customers_index", d)
	return nil
}

// customerRows adds to a page of customers their assignees' names and,
// with one call, their latest progress and next contact.
func (u *UI) customerRows(ctx context.Context, cs []customer.Customer) ([]customerRow, error) {
	rows := make([]customerRow, len(cs))
	if len(cs) == 0 {
		return rows, nil
	}
	ids := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	statuses, err := u.app.Records.CustomerStatuses(ctx, ids)
	if err != nil {
		return nil, err
	}
	portals, err := u.app.Portal.Statuses(ctx, ids)
	if err != nil {
		return nil, err
	}
	p, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	var assignees []uuid.UUID
	for _, c := range cs {
		assignees = append(assignees, c.Assignees...)
	}
	names, err := u.staffNamesOf(ctx, p.Tenant, assignees)
	if err != nil {
		return nil, err
	}
	progress, err := u.customerMasterLabels(ctx, contactlog.MasterProgress)
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		st := statuses[c.ID]
		rows[i] = customerRow{Customer: c, Assignees: names.of(c.Assignees), Status: st,
			Progress: customerLabelOr(progress, st.Progress), Portal: portals[c.ID], Loc: p.Location}
	}
	return rows, nil
}

// customerMasterLabels maps a master's codes to their labels.
func (u *UI) customerMasterLabels(ctx context.Context, kind contactlog.MasterKind) (map[string]string, error) {
	items, err := u.app.Records.Masters().List(ctx, kind)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(items))
	for _, it := range items {
		m[it.Code] = it.Label
	}
	return m, nil
}

func customerLabelOr(labels map[string]string, code string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}

// customerChoicesData is the fragment of a form's customer candidates.
type customerChoicesData struct {
	Form      *Form
	Customers []customerOption
}

// customerChoices answers the inline customer search of the record form's
// script (static/record_form.js) with the candidate radios for
// customer_q, the chosen customer_id first, as an HTML fragment: the same
// candidates 顧客を検索 shows without the script.
func (u *UI) customerChoices(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.URL.Query())
	opts, err := u.customerOptions(r, f, true)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "customer_choices", customerChoicesData{Form: f, Customers: opts})
	return nil
}
