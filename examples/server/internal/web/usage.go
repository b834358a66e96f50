package web

import (
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// A customer's 利用歴 (MASPO): a purchase is a record of the 利用・会計
// template (builtin:usage), written on the record form with its catalog
// lines, so it has the record's permissions, history, files and audit; this
// tab shows the customer's lifetime total (利用総額) and what they bought,
// and links the purchases in the customer's history and the form that
// records one (会計登録).

// customerUsageData is a customer's 利用歴 tab.
type customerUsageData struct {
	Customer *customer.Customer
	// Total is the lifetime total (利用総額) over the sales the user may
	// see; First and Last the dates of the first and the latest.
	Total       salesRowView
	First, Last string
	// Items are the items bought, by gross, each linking its buyers.
	Items []salesRowView
	// Record is the 会計登録 link; History the customer's usage records.
	Record, History string
}

func (u *UI) customerUsage(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := u.app.Customers.Get(r.Context(), id)
	if err != nil {
		return err
	}
	us, err := u.app.Reports.CustomerUsage(r.Context(), id)
	if err != nil {
		return err
	}
	d := customerUsageData{Customer: c, Total: salesRowOf(msg.T("usage.total"), us.Total),
		Record:  "/records/new?" + url.Values{"customer": {id.String()}, "template": {template.KeyUsage}}.Encode(),
		History: "/customers/" + id.String() + "?" + url.Values{"template": {template.KeyUsage}}.Encode()}
	if !us.First.IsZero() {
		d.First = us.First.In(r.loc()).Format("2006/01/02")
		d.Last = us.Last.In(r.loc()).Format("2006/01/02")
	}
	for _, it := range us.Items {
		row := salesRowOf(it.Label, it)
		row.Link = buyersLink(it.Key)
		d.Items = append(d.Items, row)
	}
	u.render(w, r.Request, r, http.StatusOK, "customers_usage", d)
	return nil
}

// buyersLink is the buyers page of a catalog item (its ID as Line.Item);
// "" for lines outside the catalog, which have no item to search by.
func buyersLink(item string) string {
	if _, err := uuid.Parse(item); err != nil {
		return ""
	}
	return "/sales/buyers?" + url.Values{"item": {item}}.Encode()
}

// buyersData is the customer search by purchased item.
type buyersData struct {
	Item string
	Rows []salesRowView
}

// buyersPage lists the customers who bought a catalog item, largest
// buyers first (report.Buyers: only sales the user may see count).
func (u *UI) buyersPage(w http.ResponseWriter, r *Request) error {
	id, err := uuid.Parse(r.URL.Query().Get("item"))
	if err != nil {
		return kerr.ErrNotFound
	}
	it, err := u.app.Catalog.Item(r.Context(), id)
	if err != nil {
		return err
	}
	rows, err := u.app.Reports.Buyers(r.Context(), id.String())
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, 0, len(rows))
	for _, row := range rows {
		if cid, err := uuid.Parse(row.Key); err == nil {
			ids = append(ids, cid)
		}
	}
	names, err := u.app.Customers.Names(r.Context(), ids)
	if err != nil {
		return err
	}
	d := buyersData{Item: it.DisplayName()}
	for _, row := range rows {
		cid, _ := uuid.Parse(row.Key)
		name, ok := names[cid]
		if !ok {
			name = msg.T("sales.hidden_customer")
		}
		v := salesRowOf(name, row)
		if ok {
			v.Link = "/customers/" + cid.String() + "/usage"
		}
		d.Rows = append(d.Rows, v)
	}
	u.render(w, r.Request, r, http.StatusOK, "sales_buyers", d)
	return nil
}
