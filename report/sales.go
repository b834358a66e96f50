package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// SalesSource names the records that are sales (利用歴): a template and its
// lines field. The default is the built-in 利用・会計 template
// (template.KeyUsage) and its field "items".
type SalesSource struct {
	Template string
	Field    string
}

func (s SalesSource) withDefaults() SalesSource {
	if s.Template == "" {
		s.Template, s.Field = template.KeyUsage, "items"
	}
	return s
}

// SalesRow is the sales of one period, category or item, in yen, exact.
type SalesRow struct {
	// Key is the period's first day (2006-01-02), the category's or the
	// item's ID (Line.Item), or, for lines without a catalog item, "" (the
	// category) and the line's name (the item).
	Key string `json:"key"`
	// Label is the category's or the item's name now; for an item outside
	// the catalog, the line's name; "" for periods and for the category of
	// the lines outside the catalog.
	Label string `json:"label,omitempty"`
	// Start and End bound a period in the tenant's zone.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Count is the number of sales (records) of a period; for a category
	// or an item, the number of its lines (明細数).
	Count int64 `json:"count"`
	// Quantity is the quantity sold (categories and items only).
	Quantity float64 `json:"quantity,omitempty"`
	// Net is before tax, Tax the consumption tax, Gross with tax. For
	// periods they are the sums of what the records stored (tax rounded
	// per receipt and rate). A category's or an item's Tax is its net at
	// each rate taxed once, rounded down: receipts round per receipt, so
	// it can differ from the periods' by a few yen.
	Net   int64       `json:"net"`
	Tax   int64       `json:"tax"`
	Gross int64       `json:"gross"`
	Rates []RateTotal `json:"rates"`
}

// SalesQuery selects a sales analysis (売上データ分析).
type SalesQuery struct {
	// From and To bound the sales' time, from inclusive, to exclusive.
	// Required.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Unit is ByDay, ByMonth (the default) or ByYear.
	Unit GroupBy `json:"unit,omitempty"`
	// Customer, if set, keeps one customer's sales.
	Customer uuid.UUID `json:"customer,omitzero"`
}

// Sales is the outcome of Service.Sales.
type Sales struct {
	Unit  GroupBy  `json:"unit"`
	Total SalesRow `json:"total"`
	// Periods in order, empty ones included.
	Periods []SalesRow `json:"periods"`
	// Categories and Items by gross, largest first; the lines outside
	// the catalog form the category "".
	Categories []SalesRow `json:"categories"`
	Items      []SalesRow `json:"items"`
}

// Labels returns the periods' labels as Result.Labels does.
func (s *Sales) Labels() []string {
	r := Result{GroupBy: s.Unit, Groups: make([]Group, len(s.Periods))}
	for i, p := range s.Periods {
		r.Groups[i] = Group{Key: p.Key, Start: p.Start, End: p.End}
	}
	return r.Labels()
}

// salesQuery is the report query of the sales source.
func (s *Service) salesQuery(group GroupBy, from, to time.Time, customer uuid.UUID) Query {
	src := s.cfg.Sales
	return Query{Template: src.Template, GroupBy: group, From: from, To: to, Lines: src.Field,
		noAggregations: true, Filter: contactlog.Query{Customer: customer}}
}

// Sales analyses the sales (records of Config.Sales) the principal may see
// over a period: count, net, tax and gross per day, month or year, per
// catalog category and per item. Staff only. Bad input is a
// *validation.Error naming the field ("from", "to", "unit").
func (s *Service) Sales(ctx context.Context, q SalesQuery) (*Sales, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: sales: %w", ErrPermissionDenied)
	}
	if q.Unit == "" {
		q.Unit = ByMonth
	}
	if q.Unit != ByDay && q.Unit != ByMonth && q.Unit != ByYear {
		var ve validation.Error
		ve.Add("unit", validation.CodeUnknown, string(q.Unit))
		return nil, fmt.Errorf("report: sales: %w", ve.Err())
	}
	rq := s.salesQuery(q.Unit, q.From, q.To, q.Customer)
	rq.lineItems = true
	res, err := s.aggregate(ctx, pr, rq)
	if err != nil {
		return nil, fmt.Errorf("report: sales: %w", err)
	}
	out := &Sales{Unit: q.Unit, Total: SalesRow{Rates: []RateTotal{}}}
	for _, g := range res.Groups {
		row := salesRow(g)
		out.Periods = append(out.Periods, row)
		out.Total.add(row)
	}
	if out.Categories, out.Items, err = s.lineSales(ctx, res); err != nil {
		return nil, fmt.Errorf("report: sales: %w", err)
	}
	return out, nil
}

func salesRow(g Group) SalesRow {
	return SalesRow{Key: g.Key, Start: g.Start, End: g.End, Count: g.Count,
		Net: g.Lines.Net, Tax: g.Lines.Tax, Gross: g.Lines.Gross, Rates: g.Lines.Rates}
}

// add adds o's amounts and counts to r, rate by rate.
func (r *SalesRow) add(o SalesRow) {
	r.Count += o.Count
	r.Quantity += o.Quantity
	r.Net += o.Net
	r.Tax += o.Tax
	r.Gross += o.Gross
	for _, rt := range o.Rates {
		r.Rates = addRate(r.Rates, rt)
	}
}

// addRate adds rt to the rate totals rates, ordered by rate.
func addRate(rates []RateTotal, rt RateTotal) []RateTotal {
	i := sort.Search(len(rates), func(i int) bool { return rates[i].Rate >= rt.Rate })
	if i == len(rates) || rates[i].Rate != rt.Rate {
		rates = append(rates, RateTotal{})
		copy(rates[i+1:], rates[i:])
		rates[i] = RateTotal{Rate: rt.Rate}
	}
	rates[i].Base += rt.Base
	rates[i].Tax += rt.Tax
	return rates
}

// maxLineGroups bounds the item groups of a sales analysis.
const maxLineGroups = 20_000

// tooManyLines is the error of a sales analysis of more than maxLineGroups
// items and rates.
func tooManyLines() error {
	var ve validation.Error
	ve.Add("from", validation.CodeTooMany, strconv.Itoa(maxLineGroups))
	return ve.Err()
}

// itemLines are the lines of one item (Line.Item, or "~" and the line's
// name for a line without one) at one tax rate, summed.
type itemLines struct {
	key, name  string
	rate       int
	qty        float64
	net, count int64
}

// itemsPart sums the lines of the lines field of the live records per item
// and rate into items.
func (s *Service) itemsPart(field string, items *[]itemLines) *livePart {
	p := s.newLivePart()
	join, jargs, elem := storage.JSONArrayJoin(s.dialect, "r.fields", "li", field, "items")
	item, iargs := storage.JSONValue(s.dialect, elem, storage.JSONText, "item")
	name, nargs := storage.JSONValue(s.dialect, elem, storage.JSONText, "name")
	rate, rargs := storage.JSONValue(s.dialect, elem, storage.JSONInteger, "tax_rate")
	qty, qargs := storage.JSONValue(s.dialect, elem, storage.JSONFloat, "quantity")
	sub, sargs := storage.JSONValue(s.dialect, elem, storage.JSONInteger, "subtotal")
	// Lines without an item are told apart by name.
	key := "CASE WHEN COALESCE(" + item + ", '') = '' THEN '~' || " + name + " ELSE " + item + " END"
	keyArgs := append(append(append([]any{}, iargs...), nargs...), iargs...)
	p.sel.Join(join, jargs...).GroupExpr(key, keyArgs...).GroupExpr(rate, rargs...)
	p.col(key, keyArgs...).col("MAX("+name+")", nargs...).col(rate, rargs...).
		col("SUM("+qty+")", qargs...).col("SUM("+sub+")", sargs...).col("COUNT(*)")
	p.read = func(cols []sql.NullString) error {
		it := itemLines{key: cols[0].String, name: cols[1].String}
		r, err := parseInt(cols[2])
		if err != nil {
			return fmt.Errorf("report: tax rate: %w", err)
		}
		it.rate = int(r)
		if cols[3].Valid {
			if it.qty, err = strconv.ParseFloat(cols[3].String, 64); err != nil {
				return fmt.Errorf("report: quantity %q: %w", cols[3].String, err)
			}
		}
		if it.net, err = parseInt(cols[4]); err != nil {
			return err
		}
		if it.count, err = parseInt(cols[5]); err != nil {
			return err
		}
		if len(*items) == maxLineGroups {
			return tooManyLines()
		}
		*items = append(*items, it)
		return nil
	}
	return p
}

// lineSales sums the lines of the sales res answered (a query with
// lineItems) per item and rate — those read live and, if the record
// summary answered part of it, its item rows — and groups the items by
// their catalog category.
func (s *Service) lineSales(ctx context.Context, res *Result) (cats, items []SalesRow, err error) {
	catalogItems := map[string]catalog.Item{}
	catNames := map[uuid.UUID]string{}
	if s.cfg.Catalog != nil {
		all, err := s.cfg.Catalog.Items(ctx, uuid.Nil, true)
		if err != nil {
			return nil, nil, err
		}
		for _, it := range all {
			catalogItems[it.ID.String()] = it
		}
		cs, err := s.cfg.Catalog.Categories(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			catNames[c.ID] = c.Name
		}
	}
	byItem := map[string]*SalesRow{}
	byCat := map[string]*SalesRow{}
	var itemOrder, catOrder []string
	addTo := func(m map[string]*SalesRow, order *[]string, key, label string, part SalesRow) {
		row, ok := m[key]
		if !ok {
			row = &SalesRow{Key: key, Label: label, Rates: []RateTotal{}}
			m[key] = row
			*order = append(*order, key)
		}
		row.add(part)
	}
	// The lines per item and rate, live (by item, then rate, as the rates
	// of an item first seen set its label) and summarized: an item's tax
	// is computed once on its net at each rate.
	type itemRate struct {
		key  string
		rate int
	}
	sums := map[itemRate]*itemLines{}
	var order []itemRate
	addLines := func(it itemLines) error {
		k := itemRate{it.key, it.rate}
		ls, ok := sums[k]
		if !ok {
			if len(order) == maxLineGroups {
				return tooManyLines()
			}
			ls = &itemLines{}
			sums[k] = ls
			order = append(order, k)
		}
		ls.name = max(ls.name, it.name)
		ls.qty += it.qty
		ls.net += it.net
		ls.count += it.count
		return nil
	}
	slices.SortFunc(res.items, func(a, b itemLines) int {
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.rate, b.rate))
	})
	for _, it := range res.items {
		if err := addLines(it); err != nil {
			return nil, nil, err
		}
	}
	if res.sum != nil {
		for _, r := range res.sum.rows {
			if r.kind != sumItem || r.field != s.cfg.Sales.Field {
				continue
			}
			if err := addLines(itemLines{key: r.item, rate: r.rate, name: r.name, qty: float64(r.c) / 1000, net: r.a, count: r.n}); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, k := range order {
		ls := sums[k]
		tax := template.ComputeLines([]template.Line{{Quantity: 1, UnitPrice: ls.net, TaxRate: k.rate}}, template.RoundFloor).Tax
		part := SalesRow{Count: ls.count, Quantity: math.Round(ls.qty*1000) / 1000, Net: ls.net, Tax: tax, Gross: ls.net + tax,
			Rates: []RateTotal{{Rate: k.rate, Base: ls.net, Tax: tax}}}
		itemKey, label, catKey, catLabel := k.key, ls.name, "", ""
		if strings.HasPrefix(itemKey, "~") {
			itemKey = itemKey[1:]
		} else if it, ok := catalogItems[itemKey]; ok {
			label, catKey, catLabel = it.DisplayName(), it.Category.String(), catNames[it.Category]
		}
		addTo(byItem, &itemOrder, itemKey, label, part)
		addTo(byCat, &catOrder, catKey, catLabel, part)
	}
	collect := func(m map[string]*SalesRow, order []string) []SalesRow {
		out := make([]SalesRow, 0, len(order))
		for _, k := range order {
			out = append(out, *m[k])
		}
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Gross != out[j].Gross {
				return out[i].Gross > out[j].Gross
			}
			return out[i].Key < out[j].Key
		})
		return out
	}
	return collect(byCat, catOrder), collect(byItem, itemOrder), nil
}

// Usage is a customer's usage history total (利用総額).
type Usage struct {
	Customer uuid.UUID `json:"customer"`
	// Total over every sale the principal may see: count, net, tax, gross.
	Total SalesRow `json:"total"`
	// First and Last are the times of the first and the latest sale.
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// Items the customer bought, by gross, largest first.
	Items []SalesRow `json:"items"`
}

// CustomerUsage returns a customer's lifetime sales (利用総額) and the items
// bought, over the sales the principal may see. Staff only.
func (s *Service) CustomerUsage(ctx context.Context, customer uuid.UUID) (*Usage, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: usage: %w", ErrPermissionDenied)
	}
	if customer == uuid.Nil {
		var ve validation.Error
		ve.Add("customer", validation.CodeRequired, "")
		return nil, fmt.Errorf("report: usage: %w", ve.Err())
	}
	sel, err := s.records.Matching(ctx, contactlog.Query{Templates: []string{s.cfg.Sales.Template}, Customer: customer})
	if err != nil {
		return nil, fmt.Errorf("report: usage: %w", err)
	}
	var span struct {
		First time.Time `bun:"first"`
		Last  time.Time `bun:"last"`
		N     int64     `bun:"n"`
	}
	if err := sel.ColumnExpr("MIN(r.occurred_at) AS first, MAX(r.occurred_at) AS last, COUNT(*) AS n").Scan(ctx, &span); err != nil {
		return nil, fmt.Errorf("report: usage: %w", storage.Err(err))
	}
	out := &Usage{Customer: customer, Total: SalesRow{Rates: []RateTotal{}}, Items: []SalesRow{}}
	if span.N == 0 {
		return out, nil
	}
	out.First, out.Last = span.First.In(zone(pr)), span.Last.In(zone(pr))
	q := s.salesQuery(ByNone, time.Time{}, time.Time{}, customer)
	q.lineItems = true
	res, err := s.aggregate(ctx, pr, q)
	if err != nil {
		return nil, fmt.Errorf("report: usage: %w", err)
	}
	out.Total = salesRow(res.Groups[0])
	if _, out.Items, err = s.lineSales(ctx, res); err != nil {
		return nil, fmt.Errorf("report: usage: %w", err)
	}
	return out, nil
}

// Receipt is one sale of the accounting list (会計一覧).
type Receipt struct {
	Record   uuid.UUID `json:"record"`
	Customer uuid.UUID `json:"customer,omitzero"`
	Time     time.Time `json:"time"`
	Net      int64     `json:"net"`
	Tax      int64     `json:"tax"`
	Gross    int64     `json:"gross"`
}

// AccountsQuery selects an accounting list.
type AccountsQuery struct {
	// From and To bound the sales' time. Required.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Limit is the most receipts returned (default and at most 500);
	// Offset skips the newest ones, for the next page.
	Limit  int `json:"limit,omitempty"`
	Offset int `json:"offset,omitempty"`
}

// Accounts is the accounting list (会計一覧).
type Accounts struct {
	// Days are the sales per day, newest first, days without sales left
	// out.
	Days []SalesRow `json:"days"`
	// Customers are the sales per customer, by gross, largest first (Key:
	// the customer's ID, "" for sales without a customer).
	Customers []SalesRow `json:"customers"`
	// Receipts are the sales themselves, newest first (a page of them).
	Receipts []Receipt `json:"receipts"`
	// More says there are receipts after this page.
	More bool `json:"more"`
	// Total over the period.
	Total SalesRow `json:"total"`
}

// MaxReceipts bounds a page of Accounts.Receipts.
const MaxReceipts = 500

// Accounts lists the sales the principal may see over a period: per day
// (newest first), per customer, and each sale. Staff only.
func (s *Service) Accounts(ctx context.Context, q AccountsQuery) (*Accounts, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: accounts: %w", ErrPermissionDenied)
	}
	var ve validation.Error
	if q.Limit == 0 {
		q.Limit = MaxReceipts
	}
	if q.Limit < 0 || q.Limit > MaxReceipts {
		ve.Add("limit", validation.CodeOutOfRange, "1.."+strconv.Itoa(MaxReceipts))
	}
	if q.Offset < 0 {
		ve.Add("offset", validation.CodeOutOfRange, "0..")
	}
	if err := ve.Err(); err != nil {
		return nil, fmt.Errorf("report: accounts: %w", err)
	}
	days, err := s.aggregate(ctx, pr, s.salesQuery(ByDay, q.From, q.To, uuid.Nil))
	if err != nil {
		return nil, fmt.Errorf("report: accounts: %w", err)
	}
	out := &Accounts{Total: SalesRow{Rates: []RateTotal{}}, Days: []SalesRow{}, Customers: []SalesRow{}, Receipts: []Receipt{}}
	for i := len(days.Groups) - 1; i >= 0; i-- {
		if g := days.Groups[i]; g.Count > 0 {
			row := salesRow(g)
			out.Days = append(out.Days, row)
			out.Total.add(row)
		}
	}
	custs, err := s.aggregate(ctx, pr, s.salesQuery(ByCustomer, q.From, q.To, uuid.Nil))
	if err != nil {
		return nil, fmt.Errorf("report: accounts: %w", err)
	}
	for _, g := range custs.Groups {
		out.Customers = append(out.Customers, salesRow(g))
	}
	sort.SliceStable(out.Customers, func(i, j int) bool { return out.Customers[i].Gross > out.Customers[j].Gross })

	sel, err := s.records.Matching(ctx, contactlog.Query{Templates: []string{s.cfg.Sales.Template}})
	if err != nil {
		return nil, fmt.Errorf("report: accounts: %w", err)
	}
	sel.ColumnExpr("r.id, r.customer_id, r.occurred_at").
		Where("r.occurred_at >= ? AND r.occurred_at < ?", q.From, q.To)
	for _, c := range [][2]string{{"subtotal", "net"}, {"tax", "tax"}, {"total", "gross"}} {
		expr, args := storage.JSONValue(s.dialect, "r.fields", storage.JSONInteger, s.cfg.Sales.Field, c[0])
		sel.ColumnExpr("COALESCE("+expr+", 0) AS "+c[1], args...)
	}
	var found []struct {
		ID       uuid.UUID     `bun:"id"`
		Customer uuid.NullUUID `bun:"customer_id"`
		Time     time.Time     `bun:"occurred_at"`
		Net      int64         `bun:"net"`
		Tax      int64         `bun:"tax"`
		Gross    int64         `bun:"gross"`
	}
	if err := sel.OrderExpr("r.occurred_at DESC, r.id DESC").Limit(int64(q.Limit+1)).Offset(int64(q.Offset)).Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("report: accounts: %w", storage.Err(err))
	}
	if len(found) > q.Limit {
		found, out.More = found[:q.Limit], true
	}
	for _, f := range found {
		out.Receipts = append(out.Receipts, Receipt{Record: f.ID, Customer: f.Customer.UUID, Time: f.Time.In(zone(pr)), Net: f.Net, Tax: f.Tax, Gross: f.Gross})
	}
	return out, nil
}

// Buyers returns the customers who bought a catalog item (its ID as
// Line.Item) among the sales the principal may see, with their sales that
// include it, by gross, largest first. Staff only.
func (s *Service) Buyers(ctx context.Context, item string) ([]SalesRow, error) {
	if item == "" {
		var ve validation.Error
		ve.Add("item", validation.CodeRequired, "")
		return nil, fmt.Errorf("report: buyers: %w", ve.Err())
	}
	q := s.salesQuery(ByCustomer, time.Time{}, time.Time{}, uuid.Nil)
	q.Item = item
	res, err := s.Aggregate(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]SalesRow, 0, len(res.Groups))
	for _, g := range res.Groups {
		if g.Key != "" {
			out = append(out, salesRow(g))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Gross > out[j].Gross })
	return out, nil
}
