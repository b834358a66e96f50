package customer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/csvio"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/telemetry"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Encoding is the character encoding of a CSV file Kiroku writes.
type Encoding string

// Encodings for CSV output. Import detects its input's encoding by content.
const (
	// UTF8BOM is UTF-8 with a byte order mark, which Excel opens correctly
	// and which holds every character. The default.
	UTF8BOM Encoding = "utf-8-bom"
	// ShiftJIS is Microsoft's CP932, what Japanese Excel writes as "CSV
	// (comma delimited)". Characters it cannot hold are written as 〓 and
	// reported.
	ShiftJIS Encoding = "shift_jis"
	// UTF8 is UTF-8 without a byte order mark (what Import may report).
	UTF8 Encoding = "utf-8"
)

func (e Encoding) csvio() (csvio.Encoding, error) {
	if enc, ok := csvio.ByName(string(e)); ok {
		return enc, nil
	}
	return 0, fmt.Errorf("customer: encoding %q: %w", e, ErrInvalid)
}

func encodingOf(e csvio.Encoding) Encoding {
	switch e {
	case csvio.ShiftJIS:
		return ShiftJIS
	case csvio.UTF8BOM:
		return UTF8BOM
	}
	return UTF8
}

// column is one CSV column of the customer file format.
type column struct {
	header  string   // as written in templates and exports
	field   string   // the Profile field it fills (validation field name)
	aliases []string // other headers accepted on import
	example string   // the template's example row
	get     func(c *Customer) string
	set     func(p *Profile, v string) string // returns a problem code or ""
}

// columns: memolog's set first (姓 … 備考), then MASPO's.
var columns = []column{
	{header: "姓", field: "family_name", aliases: []string{"氏名(姓)", "苗字", "名字", "顧客名(姓)", "last name"}, example: "山田",
		get: func(c *Customer) string { return c.FamilyName }, set: func(p *Profile, v string) string { p.FamilyName = v; return "" }},
	{header: "名", field: "given_name", aliases: []string{"氏名(名)", "名前", "顧客名(名)", "first name"}, example: "太郎",
		get: func(c *Customer) string { return c.GivenName }, set: func(p *Profile, v string) string { p.GivenName = v; return "" }},
	{header: "姓カナ", field: "family_kana", aliases: []string{"セイ", "姓(カナ)", "姓フリガナ", "フリガナ(姓)", "姓ふりがな", "顧客名カナ(姓)"}, example: "ヤマダ",
		get: func(c *Customer) string { return c.FamilyKana }, set: func(p *Profile, v string) string { p.FamilyKana = v; return "" }},
	{header: "名カナ", field: "given_kana", aliases: []string{"メイ", "名(カナ)", "名フリガナ", "フリガナ(名)", "名ふりがな", "顧客名カナ(名)"}, example: "タロウ",
		get: func(c *Customer) string { return c.GivenKana }, set: func(p *Profile, v string) string { p.GivenKana = v; return "" }},
	{header: "電話番号", field: "phone", aliases: []string{"電話", "tel", "自宅電話", "固定電話"}, example: "03-1234-5678",
		get: func(c *Customer) string { return c.Phone }, set: func(p *Profile, v string) string { p.Phone = v; return "" }},
	{header: "携帯電話", field: "mobile", aliases: []string{"携帯", "携帯番号", "携帯電話番号"}, example: "090-1234-5678",
		get: func(c *Customer) string { return c.Mobile }, set: func(p *Profile, v string) string { p.Mobile = v; return "" }},
	{header: "誕生日", field: "birthday", aliases: []string{"生年月日"}, example: "昭和55年4月1日",
		get: func(c *Customer) string {
			if c.Birthday == nil {
				return ""
			}
			return c.Birthday.String()
		},
		set: setBirthday},
	{header: "性別", field: "gender", example: "男性",
		get: func(c *Customer) string { return genderLabels[c.Gender] },
		set: func(p *Profile, v string) string { return lookup(&p.Gender, genderValues, v) }},
	{header: "メールアドレス", field: "email", aliases: []string{"メール", "eメール", "e-mail", "email", "mail"}, example: "taro@example.jp",
		get: func(c *Customer) string { return c.Email }, set: func(p *Profile, v string) string { p.Email = v; return "" }},
	{header: "備考", field: "memo", aliases: []string{"メモ", "free memo", "フリーメモ", "備考欄"}, example: "ゴルフが趣味",
		get: func(c *Customer) string { return c.Memo }, set: func(p *Profile, v string) string { p.Memo = v; return "" }},
	{header: "見込/既存", field: "status", aliases: []string{"見込み/既存", "既存/見込", "区分", "顧客区分"}, example: "既存",
		get: func(c *Customer) string { return statusLabels[c.Status] },
		set: func(p *Profile, v string) string { return lookup(&p.Status, statusValues, v) }},
	{header: "会社/個人", field: "kind", aliases: []string{"法人/個人", "個人/会社", "種別"}, example: "個人",
		get: func(c *Customer) string { return kindLabels[c.Kind] },
		set: func(p *Profile, v string) string { return lookup(&p.Kind, kindValues, v) }},
	{header: "会社名", field: "company_name", aliases: []string{"法人名", "会社"},
		get: func(c *Customer) string { return c.CompanyName }, set: func(p *Profile, v string) string { p.CompanyName = v; return "" }},
	{header: "会社名カナ", field: "company_kana", aliases: []string{"会社名フリガナ", "会社カナ", "法人名カナ"},
		get: func(c *Customer) string { return c.CompanyKana }, set: func(p *Profile, v string) string { p.CompanyKana = v; return "" }},
	{header: "部署", field: "department", aliases: []string{"部署名", "所属"},
		get: func(c *Customer) string { return c.Department }, set: func(p *Profile, v string) string { p.Department = v; return "" }},
	{header: "郵便番号", field: "postal_code", aliases: []string{"〒"}, example: "160-0023",
		get: func(c *Customer) string { return c.PostalCode }, set: func(p *Profile, v string) string { p.PostalCode = v; return "" }},
	{header: "住所", field: "address", aliases: []string{"所在地"}, example: "東京都新宿区西新宿2-8-1",
		get: func(c *Customer) string { return c.Address }, set: func(p *Profile, v string) string { p.Address = v; return "" }},
	{header: "連絡方法", field: "contact_method", aliases: []string{"連絡手段", "希望連絡方法"}, example: "携帯電話",
		get: func(c *Customer) string { return contactLabels[c.ContactMethod] },
		set: func(p *Profile, v string) string { return lookup(&p.ContactMethod, contactValues, v) }},
	{header: "決定権者", field: "decision_maker", aliases: []string{"決裁者", "決定者", "決定権者名"},
		get: func(c *Customer) string { return c.DecisionMaker }, set: func(p *Profile, v string) string { p.DecisionMaker = v; return "" }},
	{header: "ランク", field: "rank", aliases: []string{"顧客ランク"}, example: "A",
		get: func(c *Customer) string { return c.Rank }, set: func(p *Profile, v string) string { p.Rank = v; return "" }},
}

// Export-only columns: recognised on import (so an export can be edited
// and imported again) but never read.
var exportOnly = []string{"顧客ID", "登録日時", "更新日時"}

var (
	genderLabels  = map[Gender]string{Male: "男性", Female: "女性", GenderOther: "その他"}
	genderValues  = keyed(map[string]Gender{"男性": Male, "男": Male, "m": Male, "male": Male, "女性": Female, "女": Female, "f": Female, "female": Female, "その他": GenderOther, "other": GenderOther, "未回答": GenderUnspecified})
	statusLabels  = map[Status]string{Prospect: "見込", Existing: "既存"}
	statusValues  = keyed(map[string]Status{"見込": Prospect, "見込み": Prospect, "見込客": Prospect, "見込み客": Prospect, "prospect": Prospect, "既存": Existing, "既存客": Existing, "existing": Existing})
	kindLabels    = map[Kind]string{Individual: "個人", Company: "会社"}
	kindValues    = keyed(map[string]Kind{"個人": Individual, "individual": Individual, "会社": Company, "法人": Company, "company": Company})
	contactLabels = map[ContactMethod]string{ContactMobile: "携帯電話", ContactEmail: "メール", ContactHomePhone: "自宅電話", ContactLetter: "手紙"}
	contactValues = keyed(map[string]ContactMethod{"携帯電話": ContactMobile, "携帯": ContactMobile, "mobile": ContactMobile, "メール": ContactEmail, "eメール": ContactEmail, "email": ContactEmail, "自宅電話": ContactHomePhone, "自宅": ContactHomePhone, "固定電話": ContactHomePhone, "電話": ContactHomePhone, "home_phone": ContactHomePhone, "手紙": ContactLetter, "郵送": ContactLetter, "letter": ContactLetter})
)

// keyed re-keys a label table by textnorm.Key of each label.
func keyed[T any](labels map[string]T) map[string]T {
	out := make(map[string]T, len(labels))
	for label, v := range labels {
		out[textnorm.Key(label)] = v
	}
	return out
}

// lookup sets *dst from a keyed label table.
func lookup[T ~string](dst *T, table map[string]T, v string) string {
	val, ok := table[textnorm.Key(v)]
	if !ok {
		return validation.CodeUnknown
	}
	*dst = val
	return ""
}

// excelTimes are the time parts Excel appends to dates ("1980/4/1 0:00")
// after white space.
var excelTimes = []string{"0:00", "00:00", "0:00:00", "00:00:00"}

// trimExcelTime removes from v a time part of Excel's and the white space
// (\t, \n, \f, \r, space) before it.
func trimExcelTime(v string) string {
	for _, t := range excelTimes {
		if rest, ok := strings.CutSuffix(v, t); ok && rest != "" && strings.IndexByte(" \t\n\f\r", rest[len(rest)-1]) >= 0 {
			return strings.TrimRight(rest, " \t\n\f\r")
		}
	}
	return v
}

func setBirthday(p *Profile, v string) string {
	d, err := date.Parse(trimExcelTime(v))
	if err != nil {
		return date.ErrorCode(err)
	}
	p.Birthday = &d
	return ""
}

// headerKey normalises a header for matching: the text key without spaces
// and without markers such as "(必須入力)", "*" and "※".
var requiredMark = regexp.MustCompile(`\([^)]*必須[^)]*\)|必須|[*※]`)

func headerKey(h string) string {
	k := textnorm.Key(h)
	k = requiredMark.ReplaceAllString(k, "")
	return strings.ReplaceAll(k, " ", "")
}

// WriteTemplate writes the import template: the header row and one example
// row, with the tenant's custom fields as extra columns, in enc (default
// UTF8BOM; ShiftJIS for older Excel).
func (s *Service) WriteTemplate(ctx context.Context, w io.Writer, enc Encoding) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	e, err := enc.csvio()
	if err != nil {
		return err
	}
	st, err := s.settings(ctx, pr.Tenant)
	if err != nil {
		return err
	}
	cw := csvio.NewWriter(w, e, &csvio.WriterOptions{FormulaGuard: true})
	head, ex := make([]string, 0, len(columns)), make([]string, 0, len(columns))
	for _, c := range columns {
		head, ex = append(head, c.header), append(ex, c.example)
	}
	for _, f := range st.fields {
		head, ex = append(head, f.Label), append(ex, "")
	}
	if _, err := cw.Write(head); err != nil {
		return err
	}
	if _, err := cw.Write(ex); err != nil {
		return err
	}
	return cw.Flush()
}

// Mode says what Import does with a file that has bad rows.
type Mode string

// Import modes.
const (
	// AllOrNothing imports nothing when any row has a problem. The default.
	AllOrNothing Mode = "all_or_nothing"
	// ValidRows imports the good rows and reports the bad ones.
	ValidRows Mode = "valid_rows"
)

// OnDuplicate says what Import does with a row that names an existing
// customer: same name (姓+名, normalised) and the same phone, mobile or
// e-mail. A row repeating an earlier row of the same file is always skipped
// (the earlier row wins).
type OnDuplicate string

// Duplicate policies.
const (
	// SkipDuplicates leaves the existing customer as it is. The default.
	SkipDuplicates OnDuplicate = "skip"
	// UpdateDuplicates writes the row's non-empty cells over the existing
	// customer; empty cells keep what is stored.
	UpdateDuplicates OnDuplicate = "update"
	// CreateDuplicates creates a new customer anyway.
	CreateDuplicates OnDuplicate = "create"
)

// ImportOptions configures Import.
type ImportOptions struct {
	Mode        Mode        // default AllOrNothing
	OnDuplicate OnDuplicate // default SkipDuplicates
	// DryRun checks everything, including what the database would refuse,
	// and reports what would happen, then rolls back.
	DryRun bool
	// Assignees of created customers. Default: the importing staff member.
	Assignees []uuid.UUID
	// FillSuggestedKana writes the readings that Config.KanaSuggester
	// suggests into the rows of individuals that lack them, before the rows
	// are checked (so that rows refused for a missing reading import).
	// Default false: suggestions are only reported (ImportReport.Suggested),
	// and rows keep what the file says.
	FillSuggestedKana bool
}

// RowError is one problem with one row of an imported file.
type RowError struct {
	// Line is the physical line of the row in the file (1 = header).
	Line int `json:"line"`
	// Column is the header of the offending column as written in the file;
	// empty when the problem is not tied to a column present in the file
	// (e.g. a required column the file lacks).
	Column string `json:"column,omitempty"`
	// Field is the customer field (validation field name), when known.
	Field string `json:"field,omitempty"`
	// Code is a kerr code: required, format, not_kana, outside_era, ….
	Code  string `json:"code"`
	Param string `json:"param,omitempty"`
	// Name tells whose row it is: the row's company name, family name and
	// given name as read, joined by spaces; empty when the row has none or
	// the row could not be parsed.
	Name string `json:"name,omitempty"`
}

// ImportReport says what Import did (or, for a dry run, would do).
type ImportReport struct {
	Encoding Encoding `json:"encoding"`
	DryRun   bool     `json:"dry_run"`
	Rows     int      `json:"rows"` // data rows read
	Created  int      `json:"created"`
	Updated  int      `json:"updated"`
	Skipped  int      `json:"skipped"` // duplicates left alone
	// Errors lists every problem, by line. In AllOrNothing mode any error
	// means nothing was imported.
	Errors []RowError `json:"errors"`
	// Ignored lists headers that name no customer field and were not read.
	Ignored []string `json:"ignored,omitempty"`
	// Suggested lists, by line, the rows of individuals that lacked a
	// reading (姓カナ, or 名カナ beside a 名) and for which
	// Config.KanaSuggester suggested one, filled in or not (see
	// ImportOptions.FillSuggestedKana). Empty without a suggester.
	Suggested []SuggestedKana `json:"suggested,omitempty"`
}

// ErrImportRejected is returned (wrapping ErrInvalid) by an AllOrNothing
// import that found bad rows; the report lists them and nothing was written.
var ErrImportRejected = fmt.Errorf("import rejected: %w", ErrInvalid)

// fileError is a problem with the file as a whole.
func fileError(code, param string) error {
	var v validation.Error
	v.Add("file", code, param)
	return &v
}

// plannedRow is a row that passed validation.
type plannedRow struct {
	line  int
	cells []string // by file column, "" when empty
	prof  Profile
	dup   *dupCandidate
}

type dupCandidate struct {
	id                         uuid.UUID
	phone, mobile, email, name string
	line                       int // >0 when the candidate is an earlier row of the file
}

func (d *dupCandidate) matches(r *row) bool {
	return d.name == r.NameKey && ((d.phone != "" && d.phone == r.PhoneDigits) ||
		(d.mobile != "" && d.mobile == r.MobileDigits) || (d.email != "" && d.email == r.EmailKey))
}

// Import reads a customer CSV file (UTF-8, UTF-8 with BOM or Shift_JIS,
// detected by content) and creates or updates customers. See ImportOptions
// for the modes. The header row is required; headers are matched by name
// (with aliases such as 氏名(姓) for 姓, ignoring "(必須入力)" markers and
// width/kana differences), so column order does not matter, and custom
// fields are matched by label or key.
//
// Errors: a file that is not CSV, too large, has too many rows, or lacks a
// usable header fails with a *ValidationError on field "file" (codes
// not_csv, encoding, too_large, too_many, required). An AllOrNothing import
// with bad rows returns the report and ErrImportRejected. A database
// failure returns the report and the error, and leaves the database as it
// was.
func (s *Service) Import(ctx context.Context, r io.Reader, opts ImportOptions) (rep *ImportReport, err error) {
	ctx, span := s.tracer.Start(ctx, "customer.Import")
	defer func() {
		span.SetAttributes(rep.attributes()...)
		telemetry.End(span, err)
	}()
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Check(ctx, pr, permission.ActionCreate, &permission.CustomerObject{Tenant: pr.Tenant}); err != nil {
		return nil, fmt.Errorf("customer: import: %w", err)
	}
	if opts.Mode == "" {
		opts.Mode = AllOrNothing
	}
	if opts.OnDuplicate == "" {
		opts.OnDuplicate = SkipDuplicates
	}
	if (opts.Mode != AllOrNothing && opts.Mode != ValidRows) ||
		(opts.OnDuplicate != SkipDuplicates && opts.OnDuplicate != UpdateDuplicates && opts.OnDuplicate != CreateDuplicates) {
		return nil, fmt.Errorf("customer: import: options: %w", ErrInvalid)
	}
	if opts.Assignees == nil {
		opts.Assignees = []uuid.UUID{pr.User}
	}
	if err := s.knownStaff(ctx, s.db, pr.Tenant, "assignees", opts.Assignees); err != nil {
		return nil, fmt.Errorf("customer: import: %w", err)
	}
	cr, err := csvio.NewReader(r, &csvio.ReaderOptions{MaxBytes: s.cfg.ImportMaxBytes, MaxRecords: s.cfg.ImportMaxRows + 1})
	switch {
	case errors.Is(err, csvio.ErrNotCSV):
		return nil, fmt.Errorf("customer: import: %w", fileError(validation.CodeNotCSV, ""))
	case errors.Is(err, csvio.ErrEncoding):
		return nil, fmt.Errorf("customer: import: %w", fileError(validation.CodeEncoding, ""))
	case errors.Is(err, csvio.ErrTooLarge):
		return nil, fmt.Errorf("customer: import: %w", fileError(validation.CodeTooLarge, strconv.FormatInt(s.cfg.ImportMaxBytes, 10)))
	case err != nil:
		return nil, fmt.Errorf("customer: import: %w", err)
	}
	rep = &ImportReport{Encoding: encodingOf(cr.Encoding()), DryRun: opts.DryRun, Errors: []RowError{}}
	st, err := s.settings(ctx, pr.Tenant)
	if err != nil {
		return nil, err
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("customer: import: %w", fileError(validation.CodeRequired, "header"))
	}
	if err != nil {
		return nil, fmt.Errorf("customer: import: header: %w", fileError(validation.CodeFormat, "header"))
	}
	hm, err := mapHeader(head.Fields, st.fields, rep)
	if err != nil {
		return nil, fmt.Errorf("customer: import: %w", err)
	}
	planned, err := s.readRows(cr, hm, st, s.today(pr), opts.FillSuggestedKana, rep)
	if err != nil {
		return nil, fmt.Errorf("customer: import: %w", err)
	}
	if opts.Mode == AllOrNothing && len(rep.Errors) > 0 {
		return rep, fmt.Errorf("customer: import: %d problems: %w", len(rep.Errors), ErrImportRejected)
	}
	errDryRun := errors.New("dry run")
	conn, err := s.copyConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("customer: import: %w", err)
	}
	var txdb bun.IDB = s.db
	if conn != nil {
		defer func() { _ = conn.Close() }()
		txdb = *conn
	}
	err = storage.InTx(ctx, txdb, func(ctx context.Context, tx bun.IDB) (err error) {
		if s.dialect == storage.SQLite {
			restore, err := widenCache(ctx, tx)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, restore()) }()
		}
		w := s.WithDB(tx)
		if conn != nil {
			w.copy = conn.Conn
		}
		if err := w.writeImport(ctx, pr, planned, hm, st, opts, rep); err != nil {
			return err
		}
		if opts.Mode == AllOrNothing && len(rep.Errors) > 0 {
			// The database refused rows that passed validation: roll back.
			return fmt.Errorf("%d problems: %w", len(rep.Errors), ErrImportRejected)
		}
		if opts.DryRun {
			return errDryRun
		}
		return s.audit(ctx, tx, pr, "import", uuid.Nil,
			fmt.Sprintf("rows=%d created=%d updated=%d skipped=%d errors=%d", rep.Rows, rep.Created, rep.Updated, rep.Skipped, len(rep.Errors)))
	})
	if err != nil && !errors.Is(err, errDryRun) {
		rep.Created, rep.Updated, rep.Skipped = 0, 0, 0
		return rep, fmt.Errorf("customer: import: %w", err)
	}
	return rep, nil
}

// importCacheKiB is the SQLite page cache of an import's connection while
// it writes (PRAGMA cache_size, negative: in KiB). With SQLite's default of
// 2 MiB, an import of thousands of rows outgrows the cache, and SQLite
// writes the transaction's pages to the WAL before the commit and reads
// them back, a third of the import's time. The cache is memory the
// connection holds during the import only.
const importCacheKiB = 128 << 10

// widenCache sets the page cache of tx's SQLite connection to
// importCacheKiB and returns the function that restores it.
func widenCache(ctx context.Context, tx bun.IDB) (restore func() error, err error) {
	var was int64
	if err := tx.NewRaw("PRAGMA cache_size").Scan(ctx, &was); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(-importCacheKiB)); err != nil {
		return nil, err
	}
	return func() error {
		_, err := tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.FormatInt(was, 10))
		return err
	}, nil
}

// headerMap maps file columns to customer columns.
type headerMap struct {
	names   []string       // file headers as written
	cols    []int          // file column → index in columns, -1 when none
	custom  []string       // file column → custom field key, "" when none
	byField map[string]int // customer field → file column
}

func mapHeader(head []string, defs []FieldDef, rep *ImportReport) (*headerMap, error) {
	hm := &headerMap{names: head, cols: make([]int, len(head)), custom: make([]string, len(head)), byField: map[string]int{}}
	for j := range hm.cols {
		hm.cols[j] = -1
	}
	known := map[string]int{}
	for i, c := range columns {
		known[headerKey(c.header)] = i
		for _, a := range c.aliases {
			known[headerKey(a)] = i
		}
	}
	customKeys := map[string]string{}
	for _, d := range defs {
		customKeys[headerKey(d.Label)] = d.Key
		customKeys[headerKey(d.Key)] = d.Key
	}
	ignore := map[string]bool{}
	for _, h := range exportOnly {
		ignore[headerKey(h)] = true
	}
	var v validation.Error
	for j, h := range head {
		k := headerKey(h)
		if k == "" {
			continue
		}
		if i, ok := known[k]; ok {
			f := columns[i].field
			if _, dup := hm.byField[f]; dup {
				v.Add("file", validation.CodeDuplicate, h)
				continue
			}
			hm.cols[j], hm.byField[f] = i, j
			continue
		}
		if key, ok := customKeys[k]; ok {
			f := "custom." + key
			if _, dup := hm.byField[f]; dup {
				v.Add("file", validation.CodeDuplicate, h)
				continue
			}
			hm.custom[j], hm.byField[f] = key, j
			continue
		}
		if !ignore[k] {
			rep.Ignored = append(rep.Ignored, h)
		}
	}
	if _, ok := hm.byField["family_name"]; !ok {
		v.Add("file", validation.CodeRequired, columns[0].header)
	}
	return hm, v.Err()
}

// readRows parses and validates every data row, collecting problems in rep.
// fillKana fills readings suggested for rows that lack them. The file is
// read in order; its rows are then checked on every processor (checkRow)
// and their problems reported in file order.
func (s *Service) readRows(cr *csvio.Reader, hm *headerMap, st *settings, today date.Date, fillKana bool, rep *ImportReport) ([]*plannedRow, error) {
	var read []readRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csvio.ParseError
		if errors.As(err, &pe) {
			rep.Rows++
			read = append(read, readRow{errs: []RowError{{Line: pe.Line, Code: validation.CodeFormat, Param: "column " + strconv.Itoa(pe.Column)}}})
			continue
		}
		if errors.Is(err, csvio.ErrTooManyRecords) {
			return nil, fileError(validation.CodeTooMany, strconv.Itoa(s.cfg.ImportMaxRows))
		}
		if err != nil {
			return nil, err
		}
		cells, blank := rec.Fields, true
		for j, f := range cells {
			cells[j] = strings.TrimSpace(csvio.Unguard(f))
			blank = blank && cells[j] == ""
		}
		if !blank {
			rep.Rows++
			read = append(read, readRow{line: rec.Line, cells: cells})
		}
	}
	inParallel(len(read), func(i int) {
		if r := &read[i]; r.cells != nil {
			s.checkRow(r, hm, st, today, fillKana)
		}
	})
	// Pointers: a slice of large rows growing to 100 000 would be copied
	// as it grows.
	var planned []*plannedRow
	for i := range read {
		r := &read[i]
		rep.Errors = append(rep.Errors, r.errs...)
		if r.suggested != nil {
			rep.Suggested = append(rep.Suggested, *r.suggested)
		}
		if r.planned != nil {
			planned = append(planned, r.planned)
		}
	}
	return planned, nil
}

// readRow is a row of an imported file as checkRow finds it.
type readRow struct {
	line      int
	cells     []string // nil for a row the CSV reader could not parse
	errs      []RowError
	suggested *SuggestedKana
	planned   *plannedRow // nil for a row with problems
}

// checkRow parses r's cells into a profile, suggests its readings and
// normalises it, setting r's problems or its planned row.
func (s *Service) checkRow(r *readRow, hm *headerMap, st *settings, today date.Date, fillKana bool) {
	var p Profile
	var rep ImportReport
	hm.apply(&p, r.cells, r.line, &rep)
	r.suggested = s.suggestRowKana(&p, r.line, fillKana)
	read := p // the names as read, for the errors' Name
	if v := normalize(&p, st, today); v.Err() != nil {
		hm.report(r.line, v, &rep)
	}
	if len(rep.Errors) == 0 {
		r.planned = &plannedRow{line: r.line, cells: r.cells, prof: p}
		return
	}
	name := rowName(&read)
	for i := range rep.Errors {
		rep.Errors[i].Name = name
	}
	r.errs = rep.Errors
}

// inParallel calls f for each index below n, spread over the available
// processors in contiguous parts of at least importBatch indexes.
func inParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/importBatch+1)
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for from := 0; from < n; from += per {
		wg.Go(func() {
			for i := from; i < min(from+per, n); i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// rowName is RowError.Name of a row read into p (before normalisation).
func rowName(p *Profile) string {
	return strings.Join(strings.Fields(strings.Join([]string{p.CompanyName, p.FamilyName, p.GivenName}, " ")), " ")
}

// apply sets p's fields from the non-empty cells, reporting unparsable ones.
func (hm *headerMap) apply(p *Profile, cells []string, line int, rep *ImportReport) {
	for j, v := range cells[:min(len(cells), len(hm.cols))] {
		if v == "" {
			continue
		}
		if i := hm.cols[j]; i >= 0 {
			if code := columns[i].set(p, v); code != "" {
				rep.Errors = append(rep.Errors, RowError{Line: line, Column: hm.names[j], Field: columns[i].field, Code: code, Param: v})
			}
		}
		if key := hm.custom[j]; key != "" {
			if p.Custom == nil {
				p.Custom = map[string]any{}
			}
			p.Custom[key] = v
		}
	}
}

// report turns validation problems into row errors tied to file columns.
func (hm *headerMap) report(line int, v *validation.Error, rep *ImportReport) {
	for _, f := range v.Fields {
		re := RowError{Line: line, Field: f.Field, Code: f.Code, Param: f.Param}
		if j, ok := hm.byField[f.Field]; ok {
			re.Column = hm.names[j]
		}
		rep.Errors = append(rep.Errors, re)
	}
}

// importBatch is the rows of one multi-row INSERT of an import;
// copyBatch the rows of one COPY (Config.Copier), whose cost per row does
// not grow with the batch (a batch the database refuses in ValidRows mode
// is retried row by row).
const (
	importBatch = 500
	copyBatch   = 5000
)

// writeImport writes the planned rows inside the import's transaction.
func (s *Service) writeImport(ctx context.Context, pr permission.Principal, planned []*plannedRow, hm *headerMap, st *settings, opts ImportOptions, rep *ImportReport) (err error) {
	rows := make([]row, len(planned))
	for i := range planned {
		planned[i].prof.Assignees = opts.Assignees
		// IDs and times in file order; the keys in parallel below, the
		// search columns (most of the work) while the rows are written.
		rows[i] = s.newRowUnderived(pr, planned[i].prof)
	}
	deriveAllKeys(rows)
	if opts.OnDuplicate != CreateDuplicates {
		if err := s.findDuplicates(ctx, pr, planned, rows); err != nil {
			return err
		}
	}
	batch := importBatch
	if s.copy != nil {
		batch = copyBatch
	}
	w, err := s.newImportWriter(s.db)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, w.close()) }()
	search := deriveAhead(rows, batch, s.dialect)
	defer search.stop()
	for start := 0; start < len(planned); start += batch {
		end := min(start+batch, len(planned))
		search.wait(start / batch)
		var create []row
		var createLines []int
		var updated []outbox.Event
		for i := start; i < end; i++ {
			switch d := planned[i].dup; {
			case d == nil:
				create = append(create, rows[i])
				createLines = append(createLines, planned[i].line)
			case opts.OnDuplicate == SkipDuplicates || d.line > 0:
				// Left alone, or a repeat of an earlier row of this file
				// (the earlier row wins).
				rep.Skipped++
			default:
				if err := s.updateDuplicate(ctx, pr, planned[i], hm, st, rep, &updated); err != nil {
					return err
				}
			}
		}
		if err := s.enqueueEvents(ctx, s.db, updated...); err != nil {
			return err
		}
		if err := s.createImported(ctx, pr, w, create, createLines, opts, rep); err != nil {
			return err
		}
	}
	return nil
}

// deriveAllKeys derives the keys of rows (deriveKeys), spread over the
// available processors.
func deriveAllKeys(rows []row) {
	inParallel(len(rows), func(i int) { deriveKeys(&rows[i]) })
}

// searchDeriver derives the search columns (deriveSearch) of an import's
// rows in a goroutine, batch after batch, ahead of the writer: the grams
// of the next batch are made on another processor while the database
// writes this one.
type searchDeriver struct {
	done     []chan struct{} // done[k] is closed once batch k is derived
	quit     chan struct{}
	finished chan struct{}
}

// deriveAhead starts deriving the search columns of rows for dialect
// dialect, in batches of batch rows; wait for a batch before reading its
// rows, and stop the deriver before rows is dropped.
func deriveAhead(rows []row, batch int, dialect storage.Dialect) *searchDeriver {
	d := &searchDeriver{done: make([]chan struct{}, (len(rows)+batch-1)/batch), quit: make(chan struct{}), finished: make(chan struct{})}
	for k := range d.done {
		d.done[k] = make(chan struct{})
	}
	go func() {
		defer close(d.finished)
		for k := range d.done {
			select {
			case <-d.quit:
				return
			default:
			}
			for i := k * batch; i < min((k+1)*batch, len(rows)); i++ {
				deriveSearch(&rows[i], dialect)
			}
			close(d.done[k])
		}
	}()
	return d
}

// wait returns once the rows of batch k are derived.
func (d *searchDeriver) wait(k int) { <-d.done[k] }

// stop ends the deriver (after the batch it is deriving) and waits for it.
func (d *searchDeriver) stop() {
	close(d.quit)
	<-d.finished
}

// createImported inserts rows in one statement (or COPY), through w; in
// ValidRows mode a batch the database refuses is retried row by row, each
// refused row reported.
func (s *Service) createImported(ctx context.Context, pr permission.Principal, w *importWriter, rows []row, lines []int, opts ImportOptions, rep *ImportReport) error {
	if len(rows) == 0 {
		return nil
	}
	insert := func(ctx context.Context, tx bun.IDB, rows []row) error {
		if err := w.rows.insert(ctx, rows); err != nil {
			return err
		}
		events := make([]outbox.Event, len(rows))
		for i := range rows {
			events[i] = s.event(pr.Tenant, rows[i].ID, rows[i].Version, EventCustomerCreated)
		}
		if err := s.enqueueEvents(ctx, tx, events...); err != nil {
			return err
		}
		return s.insertImportAssignees(ctx, w, pr, rows, opts.Assignees)
	}
	// Each batch (and each row retried) runs in a savepoint of the import's
	// transaction, on whose connection w's statements are prepared.
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error { return insert(ctx, tx, rows) })
	if err == nil {
		rep.Created += len(rows)
		return nil
	}
	if ctx.Err() != nil || !refused(err) {
		return err
	}
	for i := range rows {
		err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error { return insert(ctx, tx, rows[i:i+1]) })
		switch {
		case err == nil:
			rep.Created++
		case refused(err):
			rep.Errors = append(rep.Errors, RowError{Line: lines[i], Code: validation.CodeRejected})
		default:
			return err
		}
	}
	return nil
}

// refused reports whether the database refused the data (a constraint or a
// trigger, as mapped by storage.Err), as opposed to failing.
func refused(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid)
}

// importWriter writes the customers an import creates, their assignees
// and the assignment log, batch after batch, through statements built once
// per import (storage.Bulk), or with COPY through Config.Copier.
type importWriter struct {
	rows      *rowWriter
	assignees tableWriter
	log       tableWriter
	values    []any
}

// newImportWriter returns an importWriter on tx, the import's transaction
// (through Config.Copier when s.copy is set); close it before tx ends.
func (s *Service) newImportWriter(tx bun.IDB) (*importWriter, error) {
	rows, err := s.newRowWriter(tx)
	if err != nil {
		return nil, err
	}
	w := &importWriter{rows: rows}
	if w.assignees, err = s.tableWriter(tx, storage.BulkInsert{Table: "customer_assignees",
		Columns: []string{"customer_id", "user_id", "tenant_id", "assigned_at", "assigned_by"}}); err != nil {
		return nil, errors.Join(err, rows.close())
	}
	if w.log, err = s.tableWriter(tx, storage.BulkInsert{Table: "customer_assignment_log",
		Columns: []string{"id", "tenant_id", "customer_id", "to_user", "changed_at", "changed_by"}}); err != nil {
		return nil, errors.Join(err, rows.close(), w.assignees.Close())
	}
	return w, nil
}

// close releases the writer's statements.
func (w *importWriter) close() error {
	return errors.Join(w.rows.close(), w.assignees.Close(), w.log.Close())
}

// insertImportAssignees assigns users to the new customers rows and logs
// it, through w.
func (s *Service) insertImportAssignees(ctx context.Context, w *importWriter, pr permission.Principal, rows []row, users []uuid.UUID) error {
	if len(users) == 0 {
		return nil
	}
	now := s.now()
	values := w.values[:0]
	for i := range rows {
		for _, u := range users {
			values = append(values, rows[i].ID, u, pr.Tenant, now, pr.User)
		}
	}
	if err := w.assignees.Exec(ctx, values); err != nil {
		return err
	}
	values = values[:0]
	for i := range rows {
		for _, u := range users {
			values = append(values, uuid.Must(uuid.NewV7()), pr.Tenant, rows[i].ID, u, now, pr.User)
		}
	}
	w.values = values[:0]
	defer clear(values)
	return w.log.Exec(ctx, values)
}

// findDuplicates sets planned[i].dup for rows naming an existing customer
// the principal can see, or an earlier row of the file. Existing customers
// are looked up once, before anything is written, by name in chunks; the
// file's own rows are matched in memory.
func (s *Service) findDuplicates(ctx context.Context, pr permission.Principal, planned []*plannedRow, rows []row) error {
	names := map[string]bool{}
	keys := make([]string, 0, len(rows))
	for i := range rows {
		if !names[rows[i].NameKey] {
			names[rows[i].NameKey] = true
			keys = append(keys, rows[i].NameKey)
		}
	}
	byName := map[string][]*dupCandidate{}
	const chunk = 1000
	for start := 0; start < len(keys); start += chunk {
		var cands []struct {
			ID           uuid.UUID `bun:"id"`
			NameKey      string    `bun:"name_key"`
			PhoneDigits  string    `bun:"phone_digits"`
			MobileDigits string    `bun:"mobile_digits"`
			EmailKey     string    `bun:"email_key"`
		}
		q := s.db.NewSelect().Model((*row)(nil)).Column("c.id", "c.name_key", "c.phone_digits", "c.mobile_digits", "c.email_key").
			Where("c.deleted_at IS NULL").Where("c.name_key IN (?)", bun.List(keys[start:min(start+chunk, len(keys))]))
		if err := s.visible(ctx, pr, q); err != nil {
			return err
		}
		if err := q.Scan(ctx, &cands); err != nil {
			return err
		}
		for _, c := range cands {
			byName[c.NameKey] = append(byName[c.NameKey], &dupCandidate{id: c.ID, name: c.NameKey, phone: c.PhoneDigits, mobile: c.MobileDigits, email: c.EmailKey})
		}
	}
	for i := range rows {
		for _, c := range byName[rows[i].NameKey] {
			if c.matches(&rows[i]) {
				planned[i].dup = c
				break
			}
		}
		if planned[i].dup == nil {
			// Later rows of the file that repeat this one are duplicates of it.
			byName[rows[i].NameKey] = append(byName[rows[i].NameKey], &dupCandidate{id: rows[i].ID, name: rows[i].NameKey,
				phone: rows[i].PhoneDigits, mobile: rows[i].MobileDigits, email: rows[i].EmailKey, line: planned[i].line})
		}
	}
	return nil
}

// updateDuplicate writes a row's non-empty cells over the customer it
// duplicates and appends the update's event to events.
func (s *Service) updateDuplicate(ctx context.Context, pr permission.Principal, pl *plannedRow, hm *headerMap, st *settings, rep *ImportReport, events *[]outbox.Event) error {
	cur, err := s.get(ctx, s.db, pr, pl.dup.id, false)
	if err != nil {
		return err
	}
	if err := s.check(ctx, pr, permission.ActionEdit, cur, nil); err != nil {
		return err
	}
	p := cur.Profile
	before := len(rep.Errors)
	hm.apply(&p, pl.cells, pl.line, rep)
	// A reading the row got from FillSuggestedKana (it is in the planned
	// profile, not in the cells) fills a reading the customer lacks.
	if p.FamilyKana == "" {
		p.FamilyKana = pl.prof.FamilyKana
	}
	if p.GivenKana == "" {
		p.GivenKana = pl.prof.GivenKana
	}
	if v := normalize(&p, st, s.today(pr)); v.Err() != nil {
		hm.report(pl.line, v, rep)
	}
	if len(rep.Errors) > before {
		return nil
	}
	r := row{Customer: *cur}
	r.Profile = p
	r.UpdatedAt, r.UpdatedBy, r.Version = s.now(), pr.User, cur.Version+1
	derive(&r, s.dialect)
	q := s.db.NewUpdate().Model(&r).
		ExcludeColumn("id", "tenant_id", "created_at", "created_by", "deleted_at", "deleted_by", "consent_at", "consent_by").
		Where("c.id = ?", cur.ID).Where("c.tenant_id = ?", pr.Tenant).Where("c.version = ?", cur.Version)
	if !gramIndex.Writes(s.dialect) {
		q = q.ExcludeColumn("grams")
	}
	if _, err := q.Exec(ctx); err != nil {
		return err
	}
	if err := gramIndex.Save(ctx, s.db, pr.Tenant, []storage.GramSet{{Owner: cur.ID, Grams: r.Grams}}); err != nil {
		return err
	}
	if err := s.audit(ctx, s.db, pr, string(permission.ActionEdit), cur.ID, "import"); err != nil {
		return err
	}
	*events = append(*events, s.event(pr.Tenant, cur.ID, r.Version, EventCustomerUpdated))
	rep.Updated++
	return nil
}

// ExportOptions configures Export.
type ExportOptions struct {
	Encoding Encoding // default UTF8BOM
}

// attributes are the counts of r (nil: none) for the import's span.
func (r *ImportReport) attributes() []attribute.KeyValue {
	if r == nil {
		return nil
	}
	return []attribute.KeyValue{attribute.Int("kiroku.rows", r.Rows), attribute.Int("kiroku.created", r.Created),
		attribute.Int("kiroku.updated", r.Updated), attribute.Int("kiroku.skipped", r.Skipped),
		attribute.Int("kiroku.errors", len(r.Errors)), attribute.Bool("kiroku.dry_run", r.DryRun)}
}

// attributes are the counts of r (nil: none) for the export's span.
func (r *ExportReport) attributes() []attribute.KeyValue {
	if r == nil {
		return nil
	}
	return []attribute.KeyValue{attribute.Int("kiroku.rows", r.Rows), attribute.Int("kiroku.replacements", len(r.Replacements))}
}

// Replacement is a character Shift_JIS could not hold, written as 〓.
type Replacement struct {
	Row      int       `json:"row"` // 1-based data row
	Customer uuid.UUID `json:"customer"`
	Column   string    `json:"column"`
	Char     string    `json:"char"`
}

// ExportReport says what Export wrote.
type ExportReport struct {
	Rows         int           `json:"rows"`
	Replacements []Replacement `json:"replacements"`
}

// Export writes every customer matching q (its Limit, After, WithTotal and
// ExactTotal are ignored) as CSV in the import format plus 顧客ID, 登録日時
// and 更新日時, so an edited export can be imported again. Cells that Excel
// would run as a formula are prefixed with ' (and the prefix is removed on
// import). It reads from Config.ReadDB when one is set.
func (s *Service) Export(ctx context.Context, w io.Writer, q Query, opts ExportOptions) (rep *ExportReport, err error) {
	ctx, span := s.tracer.Start(ctx, "customer.Export")
	defer func() {
		span.SetAttributes(rep.attributes()...)
		telemetry.End(span, err)
	}()
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Check(ctx, pr, permission.ActionExport, &permission.CustomerObject{Tenant: pr.Tenant}); err != nil {
		return nil, fmt.Errorf("customer: export: %w", err)
	}
	e, err := opts.Encoding.csvio()
	if err != nil {
		return nil, err
	}
	st, err := s.reader().settings(ctx, pr.Tenant)
	if err != nil {
		return nil, err
	}
	head := []string{exportOnly[0]}
	for _, c := range columns {
		head = append(head, c.header)
	}
	for _, f := range st.fields {
		head = append(head, f.Label)
	}
	head = append(head, exportOnly[1:]...)
	cw := csvio.NewWriter(w, e, &csvio.WriterOptions{FormulaGuard: true})
	if _, err := cw.Write(head); err != nil {
		return nil, err
	}
	rep = &ExportReport{Replacements: []Replacement{}}
	q.After, q.Limit, q.WithTotal, q.ExactTotal = "", s.cfg.MaxPageSize, false, false
	loc := s.location(pr)
	for {
		page, err := s.Search(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("customer: export: %w", err)
		}
		for i := range page.Customers {
			c := &page.Customers[i]
			rec := []string{c.ID.String()}
			for _, col := range columns {
				rec = append(rec, col.get(c))
			}
			for _, f := range st.fields {
				rec = append(rec, customCell(c.Custom[f.Key]))
			}
			rec = append(rec, c.CreatedAt.In(loc).Format("2006/01/02 15:04"), c.UpdatedAt.In(loc).Format("2006/01/02 15:04"))
			reps, err := cw.Write(rec)
			if err != nil {
				return nil, fmt.Errorf("customer: export: %w", err)
			}
			rep.Rows++
			for _, r := range reps {
				rep.Replacements = append(rep.Replacements, Replacement{Row: rep.Rows, Customer: c.ID, Column: head[r.Column-1], Char: string(r.Rune)})
			}
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if err := cw.Flush(); err != nil {
		return nil, fmt.Errorf("customer: export: %w", err)
	}
	if err := s.audit(ctx, s.db, pr, string(permission.ActionExport), uuid.Nil, fmt.Sprintf("rows=%d", rep.Rows)); err != nil {
		return nil, fmt.Errorf("customer: export: %w", err)
	}
	return rep, nil
}

func customCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
