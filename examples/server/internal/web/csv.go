package web

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/csvio"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// MaxRecordExportRows caps a records export; the last row of a capped file
// says so.
const MaxRecordExportRows = 100_000

func (u *UI) csvRoutes(mux *http.ServeMux) {
	mux.Handle("GET /customers/import", u.page(u.csvImportForm))
	mux.Handle("POST /customers/import", u.page(u.csvImport))
	mux.Handle("GET /customers/import/template", u.page(u.csvTemplate))
	mux.Handle("GET /customers/export", u.page(u.csvCustomersExport))
	mux.Handle("GET /records/export", u.page(u.csvRecordsExport))
}

// csvImportView is the data of the import page: the form and, after an
// import, its report.
type csvImportView struct {
	Form   *Form
	Report *customer.ImportReport
	Rows   []csvRowError
	// Rejected is set when nothing was imported because of bad rows.
	Rejected bool
	// Encoding is the detected encoding's name, Ignored the headers not
	// read, joined.
	Encoding, Ignored string
	// BadRows counts the rows with a problem (a row may have several).
	BadRows int
	// FileName is the name of the file sent, shown again beside the file
	// input (which a page cannot refill).
	FileName string
}

// csvRowError is one problem of a bad row as the page shows it, with whose
// row it is (Name).
type csvRowError struct {
	Line    int
	Name    string
	Field   string
	Message string
}

func (u *UI) csvImportForm(w http.ResponseWriter, r *Request) error {
	f := NewForm(url.Values{"mode": {string(customer.ValidRows)}, "on_duplicate": {string(customer.SkipDuplicates)},
		"encoding": {"auto"}, "dry_run": {"1"}})
	u.render(w, r.Request, r, http.StatusOK, "csv_import", csvImportView{Form: f})
	return nil
}

func (u *UI) csvImport(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.MultipartForm.Value)
	opts := customer.ImportOptions{DryRun: f.Get("dry_run") != "",
		Mode: customer.Mode(f.Get("mode")), OnDuplicate: customer.OnDuplicate(f.Get("on_duplicate"))}
	switch opts.Mode {
	case customer.AllOrNothing, customer.ValidRows:
	default:
		f.Add("mode", msg.Field(validation.FieldError{Code: validation.CodeUnknown}))
	}
	switch opts.OnDuplicate {
	case customer.SkipDuplicates, customer.UpdateDuplicates, customer.CreateDuplicates:
	default:
		f.Add("on_duplicate", msg.Field(validation.FieldError{Code: validation.CodeUnknown}))
	}
	enc := f.Get("encoding")
	if enc == "" {
		enc = "auto"
	}
	if enc != "auto" && enc != "sjis" && enc != "utf8" {
		f.Add("encoding", msg.Field(validation.FieldError{Code: validation.CodeUnknown}))
	}
	files := r.MultipartForm.File["file"]
	view := csvImportView{Form: f}
	if len(files) == 0 || files[0].Size == 0 {
		f.Add("file", msg.T("csv.import.no_file"))
	} else {
		view.FileName = files[0].Filename
	}
	var file multipart.File
	if len(files) > 0 && files[0].Size > 0 {
		var err error
		if file, err = files[0].Open(); err != nil {
			return err
		}
		defer file.Close()
		excel, err := isExcel(file)
		if err != nil {
			return err
		}
		if excel {
			f.Add("file", msg.T("csv.import.excel"))
		}
	}
	if !f.Valid() {
		f.Message = msg.T("common.form_errors")
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "csv_import", view)
		return nil
	}
	if enc != "auto" {
		// The engine detects the encoding by content; a file that is not
		// in the encoding the user chose is most likely the wrong file.
		got, ok := sniffEncoding(file)
		if _, err := file.Seek(0, 0); err != nil {
			return err
		}
		if ok && !encodingMatches(enc, got) {
			f.Add("encoding", msg.T("csv.import.encoding_mismatch", encodingLabel(got)))
			f.Message = msg.T("common.form_errors")
			u.render(w, r.Request, r, http.StatusUnprocessableEntity, "csv_import", view)
			return nil
		}
	}
	rep, err := u.app.Customers.Import(r.Context(), file, opts)
	v := view
	v.Report = rep
	if rep != nil {
		v.Ignored = strings.Join(rep.Ignored, "、")
		switch rep.Encoding {
		case customer.ShiftJIS:
			v.Encoding = "Shift_JIS"
		case customer.UTF8, customer.UTF8BOM:
			v.Encoding = "UTF-8"
		}
		lines := map[int]bool{}
		for _, re := range rep.Errors {
			lines[re.Line] = true
			v.Rows = append(v.Rows, csvRowError{Line: re.Line, Name: re.Name, Field: importFieldLabel(re),
				Message: msg.Field(validation.FieldError{Field: re.Field, Code: re.Code, Param: re.Param})})
		}
		v.BadRows = len(lines)
	}
	switch {
	case err == nil:
		u.render(w, r.Request, r, http.StatusOK, "csv_import", v)
		return nil
	case errors.Is(err, customer.ErrImportRejected):
		v.Rejected = true
		f.Message = msg.T("csv.import.rejected")
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "csv_import", v)
		return nil
	case f.AddError(err, nil):
		v.Report, v.Rows = nil, nil
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "csv_import", v)
		return nil
	}
	return err
}

// excelMagic are the first bytes of Excel workbooks: xlsx (a zip archive)
// and xls (an OLE2 compound file).
var excelMagic = [][]byte{[]byte("PK\x03\x04"), {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}}

// isExcel tells by content whether file is an Excel workbook rather than
// a CSV, and rewinds it.
func isExcel(file io.ReadSeeker) (bool, error) {
	head := make([]byte, 8)
	n, _ := readFull(file, head)
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	for _, m := range excelMagic {
		if bytes.HasPrefix(head[:n], m) {
			return true, nil
		}
	}
	return false, nil
}

// sniffEncoding detects the encoding of the start of the file (its first
// complete lines); ok is false when that says nothing (no complete line,
// not text).
func sniffEncoding(file interface{ Read([]byte) (int, error) }) (enc csvio.Encoding, ok bool) {
	buf := make([]byte, 64<<10)
	n, _ := readFull(file, buf)
	b := buf[:n]
	if n == len(buf) {
		i := bytes.LastIndexByte(b, '\n')
		if i < 0 {
			return 0, false
		}
		b = b[:i+1]
	}
	enc, err := csvio.Detect(b)
	return enc, err == nil
}

func readFull(r interface{ Read([]byte) (int, error) }, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func encodingMatches(chosen string, got csvio.Encoding) bool {
	if chosen == "sjis" {
		// Pure ASCII is valid in both.
		return got == csvio.ShiftJIS || got == csvio.UTF8
	}
	return got == csvio.UTF8 || got == csvio.UTF8BOM
}

func encodingLabel(e csvio.Encoding) string {
	if e == csvio.ShiftJIS {
		return "Shift_JIS"
	}
	return "UTF-8"
}

// importFieldLabel names the field of a bad row in Japanese: the column as
// written in the file, else the catalog's label of the customer field.
func importFieldLabel(re customer.RowError) string {
	if re.Column != "" {
		return re.Column
	}
	if re.Field == "" {
		return msg.T("csv.field.row")
	}
	if key := "csv.field." + re.Field; msg.Has(key) {
		return msg.T(key)
	}
	return re.Field
}

// csvEncoding reads the encoding parameter of a download: Shift_JIS by
// default (what Japanese Excel opens), UTF-8 with BOM on request.
func csvEncoding(r *Request) (customer.Encoding, csvio.Encoding) {
	if v := r.URL.Query().Get("encoding"); v == "utf8" || v == "utf-8" {
		return customer.UTF8BOM, csvio.UTF8BOM
	}
	return customer.ShiftJIS, csvio.ShiftJIS
}

func (u *UI) csvTemplate(w http.ResponseWriter, r *Request) error {
	enc, _ := csvEncoding(r)
	var b bytes.Buffer
	if err := u.app.Customers.WriteTemplate(r.Context(), &b, enc); err != nil {
		return err
	}
	setCSVHeaders(w, "customers-template.csv", enc == customer.ShiftJIS)
	_, _ = w.Write(b.Bytes())
	return nil
}

// setCSVHeaders makes the response a CSV download named name.
func setCSVHeaders(w http.ResponseWriter, name string, sjis bool) {
	charset := "utf-8"
	if sjis {
		charset = "shift_jis"
	}
	w.Header().Set("Content-Type", "text/csv; charset="+charset)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
}

// lazyCSV is a response writer for a streamed CSV: the download headers
// are set on the first write, so an error before any output still becomes
// an error page.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	sjis    bool
	started bool
}

func (l *lazyCSV) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		setCSVHeaders(l.w, l.name, l.sjis)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// exportName is the download's name: prefix-YYYYMMDD.csv, today by the
// application's clock in the tenant's time zone.
func (u *UI) exportName(prefix string, p permission.Principal) string {
	return prefix + "-" + inZone(u.app.Clock(), p.Location).Format("20060102") + ".csv"
}

func (u *UI) csvCustomersExport(w http.ResponseWriter, r *Request) error {
	enc, _ := csvEncoding(r)
	out := &lazyCSV{w: w, name: u.exportName("customers", r.Principal), sjis: enc == customer.ShiftJIS}
	q, bad := customerQuery(r.URL.Query())
	if len(bad) > 0 {
		return kerr.ErrInvalid
	}
	q.After, q.WithTotal = "", false // the export covers the whole search
	_, err := u.app.Customers.Export(r.Context(), out, q, customer.ExportOptions{Encoding: enc})
	if err != nil && out.started {
		// The download is cut short; the browser shows it as failed.
		u.log.Error("customer export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// recordQuery reads the search parameters of the top page (and of its
// export): q, drafts=1, sort (created, customer) and the 詳細検索 — mine=1,
// important=1, template, progress, responder (a staff ID), and the date
// ranges actual_from/actual_to, planned_from/planned_to,
// created_from/created_to (YYYY-MM-DD in loc, both days included).
// Malformed values are left out of the query and reported by name.
func recordQuery(v url.Values, loc *time.Location) (contactlog.Query, []string) {
	q := contactlog.Query{Text: strings.TrimSpace(v.Get("q")), DraftsOnly: v.Get("drafts") == "1",
		Mine: v.Get("mine") == "1", ImportantOnly: v.Get("important") == "1"}
	if v.Get("sort") == "customer" {
		q.Sort = contactlog.SortCustomerKana
	}
	if t := v.Get("template"); t != "" {
		q.Templates = []string{t}
	}
	if p := v.Get("progress"); p != "" {
		q.Progress = []string{p}
	}
	if rk := v.Get("rank"); rk != "" {
		q.CustomerRanks = []string{rk}
	}
	var bad []string
	if s := v.Get("responder"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			bad = append(bad, "responder")
		}
		q.Responder = id
	}
	for _, rg := range []struct {
		name     string
		from, to *time.Time
	}{
		{"actual", &q.ActualFrom, &q.ActualTo}, {"planned", &q.PlannedFrom, &q.PlannedTo},
		{"created", &q.CreatedFrom, &q.CreatedTo},
	} {
		for i, field := range []string{rg.name + "_from", rg.name + "_to"} {
			s := v.Get(field)
			if s == "" {
				continue
			}
			day, err := time.ParseInLocation("2006-01-02", s, loc)
			if err != nil {
				bad = append(bad, field)
				continue
			}
			if i == 0 {
				*rg.from = day
			} else {
				*rg.to = day.AddDate(0, 0, 1)
			}
		}
	}
	return q, bad
}

// errExportCapped ends a records export at MaxRecordExportRows.
var errExportCapped = errors.New("web: records export capped")

// csvRecordsExport writes the records of the top page's search as CSV,
// through the engine's Export (which checks the export permission and
// audits the download). A record whose private memo the user may not read
// has that cell empty.
func (u *UI) csvRecordsExport(w http.ResponseWriter, r *Request) error {
	ctx := r.Context()
	_, enc := csvEncoding(r)
	out := &lazyCSV{w: w, name: u.exportName("records", r.Principal), sjis: enc == csvio.ShiftJIS}
	cw := csvio.NewWriter(out, enc, &csvio.WriterOptions{FormulaGuard: true})
	header := []string{msg.T("csv.records.created"), msg.T("csv.records.actual"), msg.T("csv.records.customer"),
		msg.T("csv.records.template"), msg.T("csv.records.responders"), msg.T("csv.records.public_memo"),
		msg.T("csv.records.private_memo")}
	rows := 0
	// The header is written with the first page, so that an error before
	// it (a refused export) is still an error page.
	q, bad := recordQuery(r.URL.Query(), r.loc())
	if len(bad) > 0 {
		return kerr.ErrInvalid
	}
	staff, err := u.staffNames(ctx, r.Principal.Tenant)
	if err != nil {
		return err
	}
	_, err = u.app.Records.Export(ctx, q, func(page []contactlog.Record) error {
		if rows == 0 {
			if _, err := cw.Write(header); err != nil {
				return err
			}
		}
		recs, err := u.recordRows(r, page, staff)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if rows == MaxRecordExportRows {
				row := make([]string, len(header))
				row[0] = msg.T("csv.records.capped", MaxRecordExportRows)
				if _, err := cw.Write(row); err != nil {
					return err
				}
				return errExportCapped
			}
			row := []string{
				formatExportTime(rec.CreatedAt, r.Principal.Location),
				formatExportTime(rec.ActualAt, r.Principal.Location),
				exportCustomerName(rec),
				rec.TemplateLabel,
				rec.ResponderNames,
				rec.PublicMemo,
				rec.PrivateMemo,
			}
			if _, err := cw.Write(row); err != nil {
				return err
			}
			rows++
		}
		return nil
	})
	switch {
	case err != nil && !errors.Is(err, errExportCapped) && !out.started:
		return err
	case err != nil && !errors.Is(err, errExportCapped):
		// The download is cut short; the browser shows it as failed.
		u.log.Error("record export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	case rows == 0:
		if _, err := cw.Write(header); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// exportCustomerName is the customer column: the name, 下書き, or a
// placeholder for a customer the principal may not see.
func exportCustomerName(rec recordRow) string {
	switch {
	case rec.CustomerName != "":
		return rec.CustomerName
	case rec.IsDraft():
		return msg.T("csv.records.draft")
	}
	return msg.T("csv.records.hidden_customer")
}

func formatExportTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return inZone(t, loc).Format("2006/01/02 15:04")
}
