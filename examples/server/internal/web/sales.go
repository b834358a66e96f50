package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/chart"
)

// salesRoutes registers カテゴリー管理 (admins), 売上データ分析, 会計一覧 and
// 交通費計算 (staff).
func (u *UI) salesRoutes(mux *http.ServeMux) {
	admin := func(h handlerFunc) http.Handler { return u.page(h, permission.RoleAdmin) }
	mux.Handle("GET /admin/catalog", admin(u.catalogIndex))
	mux.Handle("POST /admin/catalog", admin(u.catalogCategoryPost))
	mux.Handle("POST /admin/catalog/import", admin(u.catalogImport))
	mux.Handle("GET /admin/catalog/export", admin(u.catalogExport))
	mux.Handle("GET /admin/catalog/{id}", admin(u.catalogCategory))
	mux.Handle("POST /admin/catalog/{id}", admin(u.catalogItemPost))
	mux.Handle("POST /admin/catalog/{id}/delete", admin(u.catalogCategoryDelete))
	mux.Handle("GET /sales", u.page(u.salesPage))
	mux.Handle("GET /sales/accounts", u.page(u.accountsPage))
	mux.Handle("GET /sales/buyers", u.page(u.buyersPage))
	mux.Handle("GET /customers/{id}/usage", u.page(u.customerUsage))
	mux.Handle("GET /expenses", u.page(u.expensesPage))
	mux.Handle("GET /expenses/export", u.page(u.expensesExport))
}

// yen formats an amount as the record pages do ("1,234円").
func yen(n int64) string { return msg.T("records.yen", groupDigits(n)) }

type catalogIndexView struct {
	Categories []catalog.Category
	Rates      []int
	Form       *Form
	Import     *catalog.ImportReport
	ImportErrs []string
}

func (u *UI) renderCatalog(w http.ResponseWriter, r *Request, status int, v *catalogIndexView) error {
	cats, err := u.app.Catalog.Categories(r.Context())
	if err != nil {
		return err
	}
	v.Categories, v.Rates = cats, catalog.TaxRates
	if v.Form == nil {
		v.Form = NewForm(url.Values{"tax_rate": {"10"}, "position": {"0"}})
	}
	u.render(w, r.Request, r, status, "catalog_index", v)
	return nil
}

func (u *UI) catalogIndex(w http.ResponseWriter, r *Request) error {
	return u.renderCatalog(w, r, http.StatusOK, &catalogIndexView{})
}

// formInt reads an integer form field; text that is not one adds a format
// problem to f under name.
func formInt(f *Form, name string) int64 {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(strings.NewReplacer(",", "", "円", "", "%", "").Replace(s), 10, 64)
	if err != nil {
		f.Add(name, msg.Field(validation.FieldError{Field: name, Code: validation.CodeFormat}))
	}
	return n
}

func (u *UI) catalogCategoryPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	c := catalog.Category{Name: f.Get("name"), UsesVariants: f.Get("uses_variants") != ""}
	if id := f.Get("id"); id != "" {
		var err error
		if c.ID, err = uuid.Parse(id); err != nil {
			return errors.Join(err, catalog.ErrNotFound)
		}
	}
	c.TaxRate = int(formInt(f, "tax_rate"))
	c.Position = int(formInt(f, "position"))
	if f.Valid() {
		_, err := u.app.Catalog.SaveCategory(r.Context(), c)
		if !f.AddError(err, nil) && err != nil {
			return err
		}
	} else {
		f.Message = msg.T("common.form_errors")
	}
	if !f.Valid() {
		return u.renderCatalog(w, r, http.StatusUnprocessableEntity, &catalogIndexView{Form: f})
	}
	redirect(w, r.Request, "/admin/catalog", "common.saved")
	return nil
}

func (u *UI) catalogCategoryDelete(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = u.app.Catalog.DeleteCategory(r.Context(), id)
	f := NewForm(nil)
	if f.AddError(err, nil) {
		f.Message = msg.T("catalog.delete_refused")
		return u.renderCatalog(w, r, http.StatusUnprocessableEntity, &catalogIndexView{Form: f})
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/catalog", "common.deleted")
	return nil
}

func (u *UI) catalogImport(w http.ResponseWriter, r *Request) error {
	v := &catalogIndexView{}
	files := r.MultipartForm.File["file"]
	if len(files) == 0 || files[0].Size == 0 {
		v.Form = NewForm(nil)
		v.Form.Add("file", msg.T("csv.import.no_file"))
		v.Form.Message = msg.T("common.form_errors")
		return u.renderCatalog(w, r, http.StatusUnprocessableEntity, v)
	}
	file, err := files[0].Open()
	if err != nil {
		return err
	}
	defer file.Close()
	rep, err := u.app.Catalog.ImportCSV(r.Context(), file)
	f := NewForm(nil)
	switch {
	case errors.Is(err, catalog.ErrImportRejected):
		v.Import, v.Form = rep, f
		for _, e := range rep.Errors {
			v.ImportErrs = append(v.ImportErrs, msg.T("catalog.import.row_error", e.Line, e.Column,
				msg.Field(validation.FieldError{Field: e.Column, Code: e.Code, Param: e.Param})))
		}
		f.Message = msg.T("catalog.import.rejected", len(rep.Errors))
		return u.renderCatalog(w, r, http.StatusUnprocessableEntity, v)
	case f.AddError(err, nil):
		v.Form = f
		return u.renderCatalog(w, r, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	v.Import = rep
	return u.renderCatalog(w, r, http.StatusOK, v)
}

func (u *UI) catalogExport(w http.ResponseWriter, r *Request) error {
	enc := customer.Encoding(r.URL.Query().Get("encoding"))
	if enc == "" {
		enc = customer.UTF8BOM
	}
	return writeCSVDownload(w, "catalog.csv", enc, func(out io.Writer) error {
		_, err := u.app.Catalog.ExportCSV(r.Context(), out, enc)
		return err
	})
}

// writeCSVDownload sends a CSV attachment; the header goes out with the
// first byte, so an error before any output is still an error page.
func writeCSVDownload(w http.ResponseWriter, name string, enc customer.Encoding, write func(io.Writer) error) error {
	charset := "utf-8"
	if enc == customer.ShiftJIS {
		charset = "shift_jis"
	}
	started := false
	out := writerFunc(func(p []byte) (int, error) {
		if !started {
			started = true
			w.Header().Set("Content-Type", "text/csv; charset="+charset)
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		}
		return w.Write(p)
	})
	if err := write(out); err != nil && !started {
		return err
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type catalogCategoryView struct {
	Category catalog.Category
	Items    []catalog.Item
	Form     *Form
}

func (u *UI) renderCatalogCategory(w http.ResponseWriter, r *Request, status int, id uuid.UUID, f *Form) error {
	c, err := u.app.Catalog.Category(r.Context(), id)
	if err != nil {
		return err
	}
	items, err := u.app.Catalog.Items(r.Context(), id, true)
	if err != nil {
		return err
	}
	if f == nil {
		f = NewForm(url.Values{"position": {"0"}})
	}
	u.render(w, r.Request, r, status, "catalog_category", &catalogCategoryView{Category: c, Items: items, Form: f})
	return nil
}

func (u *UI) catalogCategory(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return u.renderCatalogCategory(w, r, http.StatusOK, id, nil)
}

// catalogItemPost adds an item (no "item") or changes one.
func (u *UI) catalogItemPost(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	it := catalog.Item{Category: id, Name: f.Get("name"), Variant: f.Get("variant"), Archived: f.Get("archived") != ""}
	if s := f.Get("item"); s != "" {
		if it.ID, err = uuid.Parse(s); err != nil {
			return catalog.ErrNotFound
		}
	}
	it.UnitPrice = formInt(f, "unit_price")
	it.Position = int(formInt(f, "position"))
	if f.Valid() {
		_, err := u.app.Catalog.SaveItem(r.Context(), it)
		if !f.AddError(err, nil) && err != nil {
			return err
		}
	} else {
		f.Message = msg.T("common.form_errors")
	}
	if !f.Valid() {
		return u.renderCatalogCategory(w, r, http.StatusUnprocessableEntity, id, f)
	}
	redirect(w, r.Request, "/admin/catalog/"+id.String(), "common.saved")
	return nil
}

// period reads the from and to dates (inclusive, in the tenant's zone) of
// a report page, defaulting to def; a date that cannot be read is a field
// error on f.
func period(r *Request, f *Form, defFrom, defTo time.Time) (from, to time.Time) {
	loc := r.Principal.Location
	if loc == nil {
		loc = time.UTC
	}
	read := func(name string, def time.Time) time.Time {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			f.Values.Set(name, def.Format(time.DateOnly))
			return def
		}
		t, err := time.ParseInLocation(time.DateOnly, strings.ReplaceAll(s, "/", "-"), loc)
		if err != nil {
			f.Add(name, msg.Field(validation.FieldError{Field: name, Code: validation.CodeBadDate}))
			return def
		}
		return t
	}
	from, to = read("from", defFrom), read("to", defTo)
	if to.Before(from) {
		f.Add("to", msg.T("sales.to_before_from"))
	}
	return from, to.AddDate(0, 0, 1)
}

// today is the start of the principal's day.
func (u *UI) today(r *Request) time.Time {
	loc := r.Principal.Location
	if loc == nil {
		loc = time.UTC
	}
	n := u.app.Clock().In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
}

type salesRowView struct {
	Label           string
	Count           int64
	Quantity        string
	Net, Tax, Gross string
	Rates           string
	Link            string
}

func salesRowOf(label string, row report.SalesRow) salesRowView {
	v := salesRowView{Label: label, Count: row.Count, Net: yen(row.Net), Tax: yen(row.Tax), Gross: yen(row.Gross)}
	if row.Quantity != 0 {
		v.Quantity = strconv.FormatFloat(row.Quantity, 'f', -1, 64)
	}
	var rates []string
	for _, rt := range row.Rates {
		rates = append(rates, msg.T("sales.rate", rt.Rate, groupDigits(rt.Base), groupDigits(rt.Tax)))
	}
	v.Rates = strings.Join(rates, " / ")
	return v
}

type salesView struct {
	Form              *Form
	Units             []string
	Periods           []salesRowView
	Categories, Items []salesRowView
	Total             salesRowView
	Chart             template.URL
	ChartAlt          string
	HasSales          bool
}

func (u *UI) salesPage(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.URL.Query())
	today := u.today(r)
	from, to := period(r, f, time.Date(today.Year(), 1, 1, 0, 0, 0, 0, today.Location()), today)
	unit := report.GroupBy(f.Get("unit"))
	switch unit {
	case "":
		unit = report.ByMonth
		f.Values.Set("unit", string(unit))
	case report.ByDay, report.ByMonth, report.ByYear:
	default:
		f.Add("unit", msg.Field(validation.FieldError{Field: "unit", Code: validation.CodeUnknown}))
	}
	v := &salesView{Form: f, Units: []string{string(report.ByDay), string(report.ByMonth), string(report.ByYear)}}
	if !f.Valid() {
		f.Message = msg.T("common.form_errors")
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "sales", v)
		return nil
	}
	s, err := u.app.Reports.Sales(r.Context(), report.SalesQuery{From: from, To: to, Unit: unit})
	if f.AddError(err, nil) {
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "sales", v)
		return nil
	}
	if err != nil {
		return err
	}
	labels := s.Labels()
	spec := chart.Spec{Kind: chart.StackedBar, Title: msg.T("sales.chart_title"), Unit: "円", Labels: labels,
		Series: []chart.Series{{Name: msg.T("sales.net")}, {Name: msg.T("sales.tax")}}}
	for i, p := range s.Periods {
		v.Periods = append(v.Periods, salesRowOf(labels[i], p))
		spec.Series[0].Values = append(spec.Series[0].Values, float64(p.Net))
		spec.Series[1].Values = append(spec.Series[1].Values, float64(p.Tax))
	}
	v.Total = salesRowOf(msg.T("sales.total"), s.Total)
	v.HasSales = s.Total.Count > 0
	for _, c := range s.Categories {
		label := c.Label
		if c.Key == "" {
			label = msg.T("sales.outside_catalog")
		}
		v.Categories = append(v.Categories, salesRowOf(label, c))
	}
	for _, it := range s.Items {
		row := salesRowOf(it.Label, it)
		row.Link = buyersLink(it.Key)
		v.Items = append(v.Items, row)
	}
	var b strings.Builder
	spec.Width, spec.Height = chartLargeWidth, chartLargeHeight
	if err := chart.SVG(&b, spec); err != nil {
		return err
	}
	v.Chart = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(b.String()))) // #nosec G203 -- a data: URL of our own SVG
	v.ChartAlt = spec.Title
	u.render(w, r.Request, r, http.StatusOK, "sales", v)
	return nil
}

type receiptView struct {
	When, Customer, Link, CustomerLink string
	Net, Tax, Gross                    string
}

type accountsView struct {
	Form            *Form
	Days, Customers []salesRowView
	Receipts        []receiptView
	Total           salesRowView
	Page            int
	Prev, Next      template.URL
}

func (u *UI) accountsPage(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.URL.Query())
	today := u.today(r)
	from, to := period(r, f, time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location()), today)
	page := int(formInt(f, "page"))
	if page < 1 {
		page = 1
	}
	v := &accountsView{Form: f, Page: page}
	if !f.Valid() {
		f.Message = msg.T("common.form_errors")
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "sales_accounts", v)
		return nil
	}
	const perPage = 50
	acc, err := u.app.Reports.Accounts(r.Context(), report.AccountsQuery{From: from, To: to, Limit: perPage, Offset: (page - 1) * perPage})
	if f.AddError(err, nil) {
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "sales_accounts", v)
		return nil
	}
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, 0, len(acc.Customers)+len(acc.Receipts))
	for _, c := range acc.Customers {
		if id, err := uuid.Parse(c.Key); err == nil {
			ids = append(ids, id)
		}
	}
	for _, rc := range acc.Receipts {
		ids = append(ids, rc.Customer)
	}
	names, err := u.app.Customers.Names(r.Context(), ids)
	if err != nil {
		return err
	}
	nameOf := func(id uuid.UUID) string {
		if id == uuid.Nil {
			return msg.T("sales.no_customer")
		}
		if n, ok := names[id]; ok {
			return n
		}
		return msg.T("sales.hidden_customer")
	}
	for _, d := range acc.Days {
		v.Days = append(v.Days, salesRowOf(d.Start.Format("2006/01/02")+"("+weekday(d.Start)+")", d))
	}
	for _, c := range acc.Customers {
		id, _ := uuid.Parse(c.Key)
		row := salesRowOf(nameOf(id), c)
		if id != uuid.Nil {
			row.Link = "/customers/" + id.String()
		}
		v.Customers = append(v.Customers, row)
	}
	for _, rc := range acc.Receipts {
		rv := receiptView{When: rc.Time.Format("2006/01/02 15:04"), Customer: nameOf(rc.Customer), Link: "/records/" + rc.Record.String(),
			Net: yen(rc.Net), Tax: yen(rc.Tax), Gross: yen(rc.Gross)}
		if rc.Customer != uuid.Nil {
			rv.CustomerLink = "/customers/" + rc.Customer.String()
		}
		v.Receipts = append(v.Receipts, rv)
	}
	v.Total = salesRowOf(msg.T("sales.total"), acc.Total)
	pageURL := func(p int) template.URL {
		q := url.Values{"from": {f.Get("from")}, "to": {f.Get("to")}, "page": {strconv.Itoa(p)}}
		return template.URL("/sales/accounts?" + q.Encode()) // #nosec G203 -- our own path and encoded query
	}
	if page > 1 {
		v.Prev = pageURL(page - 1)
	}
	if acc.More {
		v.Next = pageURL(page + 1)
	}
	u.render(w, r.Request, r, http.StatusOK, "sales_accounts", v)
	return nil
}

type expenseRowView struct {
	Name  string
	Lines int64
	Kinds []string
	Total string
}

type expensesView struct {
	Form  *Form
	Kinds []string
	Rows  []expenseRowView
	Total expenseRowView
	// CSVSJIS and CSVUTF8 download the shown period.
	CSVSJIS, CSVUTF8 template.URL
}

func expenseRowOf(name string, row report.ExpenseRow) expenseRowView {
	v := expenseRowView{Name: name, Lines: row.Lines, Total: yen(row.Total)}
	for _, k := range row.Kinds {
		v.Kinds = append(v.Kinds, yen(k.Amount))
	}
	return v
}

func (u *UI) expensesQuery(r *Request, f *Form) report.ExpenseQuery {
	today := u.today(r)
	from, to := period(r, f, time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location()), today)
	return report.ExpenseQuery{From: from, To: to}
}

func (u *UI) expensesPage(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.URL.Query())
	q := u.expensesQuery(r, f)
	v := &expensesView{Form: f}
	for _, k := range contactlog.ExpenseKinds() {
		v.Kinds = append(v.Kinds, msg.T("expenses.kind."+string(k)))
	}
	if !f.Valid() {
		f.Message = msg.T("common.form_errors")
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "expenses", v)
		return nil
	}
	res, err := u.app.Reports.Expenses(r.Context(), q)
	if f.AddError(err, nil) {
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "expenses", v)
		return nil
	}
	if err != nil {
		return err
	}
	people := make([]uuid.UUID, len(res.Staff))
	for i, row := range res.Staff {
		people[i] = row.Staff
	}
	names, err := u.staffNamesOf(r.Context(), r.Principal.Tenant, people)
	if err != nil {
		return err
	}
	for _, row := range res.Staff {
		v.Rows = append(v.Rows, expenseRowOf(names[row.Staff], row))
	}
	v.Total = expenseRowOf(msg.T("sales.total"), res.Total)
	csvURL := func(enc customer.Encoding) template.URL {
		q := url.Values{"from": {f.Get("from")}, "to": {f.Get("to")}, "encoding": {string(enc)}}
		return template.URL("/expenses/export?" + q.Encode()) // #nosec G203 -- our own path and encoded query
	}
	v.CSVSJIS, v.CSVUTF8 = csvURL(customer.ShiftJIS), csvURL(customer.UTF8BOM)
	u.render(w, r.Request, r, http.StatusOK, "expenses", v)
	return nil
}

func (u *UI) expensesExport(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.URL.Query())
	q := u.expensesQuery(r, f)
	if !f.Valid() {
		return fmt.Errorf("web: expenses export: %w", validation.ErrInvalid)
	}
	enc := customer.Encoding(f.Get("encoding"))
	if enc == "" {
		enc = customer.UTF8BOM
	}
	names, err := u.staffNames(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	return writeCSVDownload(w, "expenses.csv", enc, func(out io.Writer) error {
		_, err := u.app.Reports.ExportExpensesCSV(r.Context(), out, q, enc, func(id uuid.UUID) string { return names[id] })
		return err
	})
}
