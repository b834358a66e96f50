package pdf

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/report/chart"
)

// Errors, the same values as package contactlog's: match with errors.Is.
var (
	ErrNotFound         = contactlog.ErrNotFound
	ErrInvalid          = contactlog.ErrInvalid
	ErrPermissionDenied = contactlog.ErrPermissionDenied
	ErrUnauthenticated  = contactlog.ErrUnauthenticated
)

// DefaultTitle is the title of a PDF whose Options.Title is empty.
const DefaultTitle = "面談記録"

// Limits of Options.
const (
	MaxTitleLen    = 100 // characters
	MaxPasswordLen = 127 // bytes, the most AES-256 (PDF 2.0) uses
)

// AuditAction is the audit log's action for a PDF export; the object type
// is "record" or "customer".
const AuditAction = "export_pdf"

// Config configures an Exporter. Only Font is required.
type Config struct {
	// Records is the contact-record engine the records and their
	// attachments are read through. Required.
	Records *contactlog.Service
	// Customers is the customer engine the customers' names are read
	// through. Required.
	Customers *customer.Service
	// Directory is the staff directory (permission.NewDirectory on the
	// same database): the tenant's and staff members' names. Required.
	Directory *permission.Directory
	// Font is a Japanese TrueType font (.ttf; not a collection), embedded
	// in every PDF as a subset of the glyphs used. Required: bizud.Regular()
	// of package report/pdf/font/bizud, or any TrueType font whose licence
	// allows embedding. Characters the font lacks are drawn as spaces.
	Font []byte
	// Clock returns the current time (the date made, on the cover, and the
	// audit entry). Default: time.Now.
	Clock func() time.Time
	// Location is the time zone for dates when the principal carries none
	// (permission.Directory.Principal fills in the tenant's). Default:
	// Asia/Tokyo.
	Location *time.Location
	// MaxRecords caps the records of one customer's PDF: a history with
	// more is refused with a field problem "records" too_many (Param: the
	// cap), so the requester narrows Options.From and To — pages of a long
	// history. Default: 300.
	MaxRecords int
	// PhotoDPI, when positive, scales each photo with more pixels than its
	// place on the page takes at this resolution down to it, re-encoded
	// (200 gives print quality: a 12-megapixel phone photo of 3 MB then
	// takes about 0.3 MB). It makes the PDF far smaller, for mail, at the
	// cost of decoding every large photo: about 0.25 s for 12 megapixels
	// on one core. Default 0: photos are embedded as stored (already
	// upright and without metadata), the fastest.
	PhotoDPI int
	// MaxPhotoBytes caps the photos embedded in one PDF together, in
	// bytes as embedded (after PhotoDPI's scaling, if set).
	// It bounds the memory an export takes: the page generator holds the
	// embedded photos twice until the PDF is written (see Limits in the
	// package documentation). More is refused with a field problem
	// "photos" too_large (Param: the cap), so the requester narrows the
	// period. Default: 64 MiB.
	MaxPhotoBytes int64
	// TempDir is the directory of the temporary files an export writes
	// the PDF to before it is sent (readable by this process's user only,
	// deleted before the export returns; the unencrypted PDF is among
	// them). Default: os.TempDir().
	TempDir string
	// Charts describes the charts of a customer's history of one template
	// (Options.Template), drawn as PNG images after the records with the
	// text in Font. Default: none, and no charts are drawn. The example
	// server passes report.Service.CustomerCharts (staff only).
	Charts ChartFunc
}

// ChartFunc returns the charts of a customer's history of one template:
// records are the records the PDF holds, oldest first, as the principal in
// ctx sees them. nil, nil draws none.
type ChartFunc func(ctx context.Context, customer uuid.UUID, template string, records []contactlog.Record) ([]chart.Spec, error)

// WithDefaults returns a copy of c with defaults filled in.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.Location == nil {
		out.Location = jpdate.Tokyo()
	}
	if out.MaxRecords <= 0 {
		out.MaxRecords = 300
	}
	if out.MaxPhotoBytes <= 0 {
		out.MaxPhotoBytes = 64 << 20
	}
	return out
}

// Options are what the requester chose in the option dialog (オプション設定).
// They are also the JSON body of the routes (see Routes).
type Options struct {
	// Cover adds a cover page (表紙): the title, 「<customer> 様」, the
	// period, the date made and the company (tenant) name.
	Cover bool `json:"cover,omitempty"`
	// Title is the cover's and the header's title, at most MaxTitleLen
	// characters on one line. Default: DefaultTitle.
	Title string `json:"title,omitempty"`
	// Password, when set, encrypts the PDF with AES-256: the password
	// opens it, with printing and copying allowed. At most MaxPasswordLen
	// bytes, one line. It is never stored or logged; the audit entry says
	// only whether one was set.
	Password string `json:"password,omitempty"`
	// IncludePrivateMemo adds the private memos (非公開メモ). Only staff who
	// may read them (permission.ActionReadPrivateMemo: not partners, never
	// customers) may tick it; for others it is refused with a field
	// problem "include_private_memo" not_allowed rather than ignored.
	IncludePrivateMemo bool `json:"include_private_memo,omitempty"`
	// From and To bound a customer's history by the contacts' actual time
	// (from inclusive, to exclusive; zero: unbounded). With neither, the
	// whole history, planned contacts included. Customer only.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Template keeps a customer's records of one template key; with
	// Config.Charts set, its numeric fields are charted. Customer only.
	Template string `json:"template,omitempty"`
}

func (o *Options) check(v *validation.Error) {
	if v.CheckText("title", o.Title, false) && utf8.RuneCountInString(o.Title) > MaxTitleLen {
		v.Add("title", validation.CodeTooLong, strconv.Itoa(MaxTitleLen))
	}
	if v.CheckText("password", o.Password, false) && len(o.Password) > MaxPasswordLen {
		v.Add("password", validation.CodeTooLong, strconv.Itoa(MaxPasswordLen))
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		v.Add("to", validation.CodeOutOfRange, "after from")
	}
}

// Exporter makes PDFs of contact records for the principal in the context.
// It reads through the principal-scoped engines, so a PDF holds only what
// its requester may see. It is safe for concurrent use.
type Exporter struct {
	db        bun.IDB
	records   *contactlog.Service
	customers *customer.Service
	dir       *permission.Directory
	cfg       Config
	fontName  string
	chartFont *chart.Font // Config.Font for chart text; nil without Config.Charts
}

// NewExporter returns an exporter reading through cfg.Records,
// cfg.Customers and cfg.Directory and writing the audit log to db (the
// engines' database).
func NewExporter(db bun.IDB, cfg *Config) (*Exporter, error) {
	c := cfg.WithDefaults()
	switch {
	case db == nil:
		return nil, errors.New("pdf: NewExporter needs the database")
	case c.Records == nil:
		return nil, errors.New("pdf: Config.Records is required (contactlog.NewService on the same database)")
	case c.Customers == nil:
		return nil, errors.New("pdf: Config.Customers is required (customer.NewService on the same database)")
	case c.Directory == nil:
		return nil, errors.New("pdf: Config.Directory is required (permission.NewDirectory on the same database)")
	case len(c.Font) == 0:
		return nil, errors.New("pdf: Config.Font is required (e.g. bizud.Regular() of report/pdf/font/bizud)")
	}
	e := &Exporter{db: db, records: c.Records, customers: c.Customers, dir: c.Directory, cfg: c, fontName: subsetName(c.Font)}
	if c.Charts != nil {
		f, err := chart.ParseFont(c.Font)
		if err != nil {
			return nil, fmt.Errorf("pdf: Config.Font: %w", err)
		}
		e.chartFont = f
	}
	return e, nil
}

// drawCharts renders the charts as PNG images.
func (e *Exporter) drawCharts(specs []chart.Spec) ([]chartView, error) {
	var out []chartView
	for _, s := range specs {
		var b bytes.Buffer
		if err := chart.PNG(&b, s, e.chartFont); err != nil {
			return nil, err
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b.Bytes()))
		if err != nil {
			return nil, err
		}
		out = append(out, chartView{Caption: s.Title, PNG: b.Bytes(), Width: cfg.Width, Height: cfg.Height})
	}
	return out, nil
}

// Record writes a PDF of one record the principal may see (ErrNotFound
// otherwise) to w. Options.From, To and Template do not apply. Nothing is
// written when it fails.
func (e *Exporter) Record(ctx context.Context, w io.Writer, id uuid.UUID, opt Options) error {
	v := &validation.Error{}
	opt.check(v)
	if !opt.From.IsZero() || !opt.To.IsZero() {
		v.Add("from", validation.CodeNotAllowed, "")
	}
	if opt.Template != "" {
		v.Add("template", validation.CodeNotAllowed, "")
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("pdf: record %s: %w", id, err)
	}
	p, err := permission.Require(ctx)
	if err != nil {
		return err
	}
	r, err := e.records.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("pdf: record %s: %w", id, err)
	}
	err = e.export(ctx, w, p, "record", id, r.Customer, []contactlog.Record{*r}, opt, nil)
	if err != nil {
		return fmt.Errorf("pdf: record %s: %w", id, err)
	}
	return nil
}

// Customer writes a PDF of a customer's history to w: the records of the
// customer that the principal may see, oldest first, within Options.From
// and To, optionally of one template (with its charts). A customer
// principal (the portal) gets the records shared with it, without private
// memos, ever. An empty history is a PDF too (it says so). More than
// Config.MaxRecords records is refused. Nothing is written when it fails.
func (e *Exporter) Customer(ctx context.Context, w io.Writer, customerID uuid.UUID, opt Options) error {
	v := &validation.Error{}
	opt.check(v)
	if err := v.Err(); err != nil {
		return fmt.Errorf("pdf: customer %s: %w", customerID, err)
	}
	p, err := permission.Require(ctx)
	if err != nil {
		return err
	}
	q := contactlog.Query{Customer: customerID, ActualFrom: opt.From, ActualTo: opt.To, Sort: contactlog.SortActual,
		Asc: true, Limit: 100, WithDetails: true}
	if opt.Template != "" {
		q.Templates = []string{opt.Template}
	}
	var recs []contactlog.Record
	for {
		page, err := e.records.Search(ctx, q)
		if err != nil {
			return fmt.Errorf("pdf: customer %s: %w", customerID, err)
		}
		recs = append(recs, page.Records...)
		if len(recs) > e.cfg.MaxRecords {
			v.Add("records", validation.CodeTooMany, strconv.Itoa(e.cfg.MaxRecords))
			return fmt.Errorf("pdf: customer %s: %w", customerID, v.Err())
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	var charts []chartView
	if opt.Template != "" && e.cfg.Charts != nil && len(recs) > 0 {
		specs, err := e.cfg.Charts(ctx, customerID, opt.Template, recs)
		if err != nil {
			return fmt.Errorf("pdf: customer %s: charts: %w", customerID, err)
		}
		if charts, err = e.drawCharts(specs); err != nil {
			return fmt.Errorf("pdf: customer %s: charts: %w", customerID, err)
		}
	}
	if err := e.export(ctx, w, p, "customer", customerID, customerID, recs, opt, charts); err != nil {
		return fmt.Errorf("pdf: customer %s: %w", customerID, err)
	}
	return nil
}

func (e *Exporter) location(p permission.Principal) *time.Location {
	if p.Location != nil {
		return p.Location
	}
	return e.cfg.Location
}

// export builds the document of recs, renders it, audits the export and
// writes the PDF (encrypted when a password is set).
func (e *Exporter) export(ctx context.Context, w io.Writer, p permission.Principal, objType string, obj, customerID uuid.UUID,
	recs []contactlog.Record, opt Options, charts []chartView) error {
	v := &validation.Error{}
	if opt.IncludePrivateMemo && (!p.IsStaff() || (len(recs) > 0 && recs[0].PrivateMemoWithheld)) {
		v.Add("include_private_memo", validation.CodeNotAllowed, "")
	}
	if err := v.Err(); err != nil {
		return err
	}
	doc, err := e.document(ctx, p, customerID, recs, opt)
	if err != nil {
		return err
	}
	doc.Charts = charts
	plain, err := e.tempFile()
	if err != nil {
		return err
	}
	defer removeTemp(plain)
	bw := bufio.NewWriterSize(plain, 256<<10)
	open := func(ctx context.Context, id uuid.UUID) (io.ReadCloser, error) {
		rc, _, err := e.records.Attachments().Open(ctx, id, false)
		return rc, err
	}
	err = render(ctx, bw, doc, e.cfg.Font, e.fontName, open, e.cfg.MaxPhotoBytes, e.cfg.PhotoDPI)
	if errors.Is(err, errPhotosTooLarge) {
		v.Add("photos", validation.CodeTooLarge, strconv.FormatInt(e.cfg.MaxPhotoBytes, 10))
		return v.Err()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	detail := fmt.Sprintf("records=%d cover=%t private_memo=%t password=%t", len(recs), opt.Cover, opt.IncludePrivateMemo,
		opt.Password != "")
	if err := permission.Audit(ctx, e.db, p, e.cfg.Clock(), AuditAction, objType, obj, detail); err != nil {
		return err
	}
	out := plain
	if opt.Password != "" {
		if out, err = e.tempFile(); err != nil {
			return err
		}
		defer removeTemp(out)
		if _, err := plain.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := encrypt(plain, out, opt.Password); err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(w, out)
	return err
}

// tempFile creates a file for a PDF being made, in Config.TempDir, readable
// by this process's user only (os.CreateTemp's mode 0600).
func (e *Exporter) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(e.cfg.TempDir, "kiroku-pdf-*.pdf")
	if err != nil {
		return nil, fmt.Errorf("temporary file: %w", err)
	}
	return f, nil
}

// removeTemp closes and deletes a temporary file.
func removeTemp(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// document looks up the names a PDF shows and formats the records.
func (e *Exporter) document(ctx context.Context, p permission.Principal, customerID uuid.UUID, recs []contactlog.Record,
	opt Options) (*document, error) {
	loc := e.location(p)
	tenant, err := e.dir.Tenant(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	doc := &document{Title: strings.TrimSpace(opt.Title), Tenant: tenant.Name, Cover: opt.Cover,
		Made: e.cfg.Clock().In(loc)}
	if doc.Title == "" {
		doc.Title = DefaultTitle
	}
	if customerID != uuid.Nil {
		c, err := e.customers.Get(ctx, customerID)
		if err != nil {
			return nil, err
		}
		doc.Customer = c.DisplayName()
	}
	doc.From, doc.To = opt.From.In(loc), opt.To.In(loc)
	if !opt.To.IsZero() {
		doc.To = opt.To.Add(-time.Nanosecond).In(loc) // the last day within the period
	}
	if len(recs) > 0 {
		if opt.From.IsZero() {
			doc.From = recs[0].Time().In(loc)
		}
		if opt.To.IsZero() {
			doc.To = recs[len(recs)-1].Time().In(loc)
		}
	}
	names := map[uuid.UUID]string{}
	staff := func(id uuid.UUID) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := "(不明なスタッフ)"
		if u, err := e.dir.User(ctx, p.Tenant, id); err == nil {
			n = u.Name
		}
		names[id] = n
		return n
	}
	// The masters' labels, read once when a record carries a code and the
	// principal is staff: the record engine gives customers none of the
	// tenant's internal classifications.
	var masters map[contactlog.MasterKind][]contactlog.MasterItem
	templates := map[string]*template.Template{}
	for _, r := range recs {
		key := r.Template + "@" + strconv.Itoa(r.TemplateVersion)
		t, ok := templates[key]
		if !ok {
			if t, err = e.records.Template(ctx, r.Template, r.TemplateVersion); err != nil {
				return nil, err
			}
			templates[key] = t
		}
		rows := []fieldRow{{"種類", t.Name}, {"顧客", customerLabel(doc.Customer)}}
		if !r.PlannedAt.IsZero() {
			rows = append(rows, fieldRow{"予定日時", jpDateTime(r.PlannedAt.In(loc))})
		}
		if !r.ActualAt.IsZero() {
			rows = append(rows, fieldRow{"対応日時", jpDateTime(r.ActualAt.In(loc))})
		}
		add := func(label, text string) {
			if text != "" {
				rows = append(rows, fieldRow{label, text})
			}
		}
		add("対応者", staffList(r.Responders, staff))
		add("参加社員", staffList(r.Participants, staff))
		codes := r.MasterCodes()
		for _, k := range contactlog.MasterKinds() {
			if codes[k] == "" || !p.IsStaff() {
				continue
			}
			if masters == nil {
				if masters, err = e.records.Masters().All(ctx); err != nil {
					return nil, err
				}
			}
			add(k.Label(), contactlog.MasterLabel(masters[k], codes[k]))
		}
		add("内容概略（補足）", r.SummaryText)
		add("先方部署", r.Department)
		add("先方担当者", strings.Join(r.ContactPersons, "、"))
		add("先方参加者", strings.Join(r.CustomerParticipants, "、"))
		rv := recordView{At: r.Time().In(loc), Rows: append(rows, fieldRows(t, r.Values, loc, staff)...),
			PublicMemo: r.PublicMemo, PrivateMemo: r.PrivateMemo, ShowPrivate: opt.IncludePrivateMemo && !r.PrivateMemoWithheld}
		for _, a := range r.Attachments {
			if a.Kind == contactlog.AttachmentImage {
				rv.Photos = append(rv.Photos, photo{ID: a.ID, Name: a.Name, MIME: a.MIME, Size: a.Size, Width: a.Width, Height: a.Height})
				continue
			}
			rv.Files = append(rv.Files, a.Name+" ("+sizeText(a.Size)+")")
		}
		doc.Records = append(doc.Records, rv)
	}
	return doc, nil
}

// staffList names staff members, joined by 、.
func staffList(ids []uuid.UUID, name func(uuid.UUID) string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = name(id)
	}
	return strings.Join(names, "、")
}

// customerLabel is the table's customer: 「<name> 様」, or a note for a
// draft without one.
func customerLabel(name string) string {
	if name == "" {
		return "(下書き: 顧客未設定)"
	}
	return name + " 様"
}

// subsetName names the embedded font as a subset ("ABCDEF+KirokuFont", PDF
// 32000-1 §9.6.4): a tag of six capital letters derived from the font's
// bytes, so that different fonts never share a name.
func subsetName(font []byte) string {
	sum := sha256.Sum256(font)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag) + "+KirokuFont"
}
