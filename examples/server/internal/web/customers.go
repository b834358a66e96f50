package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

func (u *UI) customerRoutes(mux *http.ServeMux) {
	mux.Handle("GET /customers", u.page(u.customerIndex))
	mux.Handle("GET /customers/new", u.page(u.customerNew))
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

// customerQuery reads the customer list's GET form (q, rank, status, sort,
// after) into an engine query; the export uses the same parameters.
func customerQuery(v url.Values) customer.Query {
	q := customer.Query{Text: strings.TrimSpace(v.Get("q")), After: v.Get("after"), WithTotal: true}
	if r := strings.TrimSpace(v.Get("rank")); r != "" {
		q.Ranks = []string{r}
	}
	switch s := customer.Status(v.Get("status")); s {
	case customer.Prospect, customer.Existing:
		q.Status = s
	}
	for _, s := range customerSorts {
		if s.Value == v.Get("sort") {
			q.Sort, q.Desc = s.Sort, s.Desc
		}
	}
	return q
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

type customerIndexData struct {
	Form  *Form
	Rows  []customerRow
	Total int
	Next  string
	Ranks []customer.Rank
	Sorts any
	// NextQuery is the query string of the next page.
	NextQuery string
	Paged     bool
}

func (u *UI) customerIndex(w http.ResponseWriter, r *Request) error {
	v := r.URL.Query()
	ctx := r.Context()
	page, err := u.app.Customers.Search(ctx, customerQuery(v))
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
	d := customerIndexData{Form: NewForm(v), Rows: rows, Total: page.Total, Next: page.Next, Ranks: ranks,
		Sorts: customerSorts, Paged: v.Get("after") != ""}
	if page.Next != "" {
		nv := url.Values{}
		for _, k := range []string{"q", "rank", "status", "sort"} {
			if s := v.Get(k); s != "" {
				nv.Set(k, s)
			}
		}
		nv.Set("after", page.Next)
		d.NextQuery = nv.Encode()
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
	names, err := u.staffNames(ctx, p.Tenant)
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
