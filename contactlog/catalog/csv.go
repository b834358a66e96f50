package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/csvio"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// The CSV columns, in the order ExportCSV writes them. One row per item; a
// category without items is one row with the item columns empty. The
// category columns repeat on every row of the category and must agree.
const (
	colCategory     = "カテゴリー"
	colTaxRate      = "税率"
	colUsesVariants = "分類を使用"
	colCatPosition  = "カテゴリー表示優先度"
	colVariant      = "分類"
	colName         = "商品・サービス名"
	colPrice        = "価格(税抜)"
	colPosition     = "表示優先度"
	colArchived     = "アーカイブ"
)

var csvColumns = []string{colCategory, colTaxRate, colUsesVariants, colCatPosition, colVariant, colName, colPrice, colPosition, colArchived}

// fieldColumn maps the validation field names of categories and items to
// their CSV columns.
var fieldColumn = map[string]string{
	"category.name": colCategory, "category.tax_rate": colTaxRate, "category.uses_variants": colUsesVariants,
	"category.position": colCatPosition, "variant": colVariant, "name": colName, "unit_price": colPrice,
	"position": colPosition, "archived": colArchived, "category": colCategory,
}

// MaxImportBytes bounds an imported file.
const MaxImportBytes = 4 << 20

// RowError is one problem with one row of an imported file.
type RowError struct {
	// Line is the physical line of the row in the file (1 = header).
	Line int `json:"line"`
	// Column is the header of the offending column; empty when the
	// problem concerns the whole row.
	Column string `json:"column,omitempty"`
	// Code is a validation code (required, unknown, duplicate, …).
	Code  string `json:"code"`
	Param string `json:"param,omitempty"`
}

// ImportReport says what ImportCSV did, or why it did nothing.
type ImportReport struct {
	Encoding          customer.Encoding `json:"encoding"`
	Rows              int               `json:"rows"`
	CategoriesCreated int               `json:"categories_created"`
	CategoriesUpdated int               `json:"categories_updated"`
	ItemsCreated      int               `json:"items_created"`
	ItemsUpdated      int               `json:"items_updated"`
	// Errors lists every problem by line; any problem means nothing was
	// imported.
	Errors []RowError `json:"errors"`
}

// ErrImportRejected is returned (with the report) when a file has
// problems: nothing was imported.
var ErrImportRejected = errors.New("catalog: import rejected")

// importRow is one data row as read.
type importRow struct {
	line     int
	category Category
	item     *Item
}

// ExportCSV writes the tenant's whole catalog (archived items included) in
// enc (customer.UTF8BOM or customer.ShiftJIS) with the columns ImportCSV
// reads, and returns the number of rows. Admins only.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, enc customer.Encoding) (int, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return 0, err
	}
	e, ok := csvio.ByName(string(enc))
	if !ok {
		var v validation.Error
		v.Add("encoding", validation.CodeUnknown, string(enc))
		return 0, fmt.Errorf("catalog: export: %w", v.Err())
	}
	cats, err := s.categories(ctx, s.db, pr.Tenant)
	if err != nil {
		return 0, err
	}
	items, err := s.items(ctx, s.db, pr.Tenant, uuid.Nil, true)
	if err != nil {
		return 0, err
	}
	cw := csvio.NewWriter(w, e, &csvio.WriterOptions{FormulaGuard: true})
	if _, err := cw.Write(csvColumns); err != nil {
		return 0, fmt.Errorf("catalog: export: %w", err)
	}
	n := 0
	for _, c := range cats {
		head := []string{c.Name, strconv.Itoa(c.TaxRate) + "%", yesNo(c.UsesVariants), strconv.Itoa(c.Position)}
		written := false
		for _, it := range items {
			if it.Category != c.ID {
				continue
			}
			row := append(head[:4:4], it.Variant, it.Name, strconv.FormatInt(it.UnitPrice, 10), strconv.Itoa(it.Position), yesNo(it.Archived))
			if _, err := cw.Write(row); err != nil {
				return n, fmt.Errorf("catalog: export: %w", err)
			}
			n++
			written = true
		}
		if !written {
			if _, err := cw.Write(append(head, "", "", "", "", "")); err != nil {
				return n, fmt.Errorf("catalog: export: %w", err)
			}
			n++
		}
	}
	if err := cw.Flush(); err != nil {
		return n, fmt.Errorf("catalog: export: %w", err)
	}
	return n, nil
}

func yesNo(b bool) string {
	if b {
		return "はい"
	}
	return ""
}

// parseYes reads a yes/no cell: はい, ○, 1, true, yes, y, ✓ or 使用する
// are yes; いいえ, 0, false, no, n, × or empty are no.
func parseYes(s string) (bool, bool) {
	switch textnorm.Key(s) {
	case "はい", "○", "◯", "1", "true", "yes", "y", "✓", "✔", "使用する", "使用", "する":
		return true, true
	case "", "いいえ", "0", "false", "no", "n", "×", "しない":
		return false, true
	}
	return false, false
}

// ImportCSV registers the categories and items of a CSV file (Shift_JIS or
// UTF-8 with or without BOM, detected by content) with the columns of
// ExportCSV; 分類を使用, カテゴリー表示優先度, 分類, 価格(税抜), 表示優先度
// and アーカイブ may be left out. A category is found by name (created when
// new; its rate, variants flag and priority are set from the file), an item
// by category, variant and name (created, or its price, priority and
// archived flag updated). It is all or nothing: any problem — each
// reported with its line and column — means nothing is imported and the
// error wraps ErrImportRejected; a file that is not CSV or too large is a
// *validation.Error on "file". Admins only.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader) (*ImportReport, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return nil, err
	}
	fileErr := func(code, param string) error {
		var v validation.Error
		v.Add("file", code, param)
		return fmt.Errorf("catalog: import: %w", v.Err())
	}
	cr, err := csvio.NewReader(r, &csvio.ReaderOptions{MaxBytes: MaxImportBytes, MaxRecords: MaxItems + 1})
	switch {
	case errors.Is(err, csvio.ErrNotCSV):
		return nil, fileErr(validation.CodeNotCSV, "")
	case errors.Is(err, csvio.ErrEncoding):
		return nil, fileErr(validation.CodeEncoding, "")
	case errors.Is(err, csvio.ErrTooLarge):
		return nil, fileErr(validation.CodeTooLarge, strconv.Itoa(MaxImportBytes))
	case err != nil:
		return nil, fmt.Errorf("catalog: import: %w", err)
	}
	rep := &ImportReport{Encoding: customer.UTF8, Errors: []RowError{}}
	switch cr.Encoding() {
	case csvio.ShiftJIS:
		rep.Encoding = customer.ShiftJIS
	case csvio.UTF8BOM:
		rep.Encoding = customer.UTF8BOM
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fileErr(validation.CodeRequired, "header")
	}
	if err != nil {
		return nil, fileErr(validation.CodeFormat, "header")
	}
	cols := map[string]int{}
	for i, h := range head.Fields {
		h = name(csvio.Unguard(h))
		switch {
		case h == "":
		case columnOf(h) == "":
			rep.Errors = append(rep.Errors, RowError{Line: head.Line, Column: h, Code: validation.CodeUnknown, Param: h})
		default:
			h = columnOf(h)
			if _, dup := cols[h]; dup {
				rep.Errors = append(rep.Errors, RowError{Line: head.Line, Column: h, Code: validation.CodeDuplicate})
			}
			cols[h] = i
		}
	}
	for _, need := range []string{colCategory, colTaxRate, colName} {
		if _, ok := cols[need]; !ok {
			rep.Errors = append(rep.Errors, RowError{Line: head.Line, Column: need, Code: validation.CodeRequired})
		}
	}
	if len(rep.Errors) > 0 {
		return rep, fmt.Errorf("catalog: import: header: %w", ErrImportRejected)
	}
	rows := s.readRows(cr, cols, rep)
	if len(rep.Errors) > 0 {
		return rep, fmt.Errorf("catalog: import: %d problems: %w", len(rep.Errors), ErrImportRejected)
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if err := s.writeImport(ctx, tx, pr.Tenant, rows, rep); err != nil {
			return err
		}
		if len(rep.Errors) > 0 {
			return ErrImportRejected
		}
		return nil
	})
	if err != nil {
		rep.CategoriesCreated, rep.CategoriesUpdated, rep.ItemsCreated, rep.ItemsUpdated = 0, 0, 0, 0
		return rep, fmt.Errorf("catalog: import: %w", err)
	}
	return rep, nil
}

// columnOf returns the column h names (compared as textnorm keys), or "".
func columnOf(h string) string {
	k := textnorm.Key(h)
	for _, c := range csvColumns {
		if textnorm.Key(c) == k {
			return c
		}
	}
	return ""
}

// readRows parses the data rows; problems go to rep.
func (s *Service) readRows(cr *csvio.Reader, cols map[string]int, rep *ImportReport) []importRow {
	var out []importRow
	type itemKey struct{ cat, variant, name string }
	seenItem := map[itemKey]int{}
	seenCat := map[string]importRow{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csvio.ParseError
		if errors.As(err, &pe) {
			rep.Rows++
			rep.Errors = append(rep.Errors, RowError{Line: pe.Line, Code: validation.CodeFormat, Param: pe.Err.Error()})
			continue
		}
		if errors.Is(err, csvio.ErrTooManyRecords) {
			rep.Errors = append(rep.Errors, RowError{Line: rec.Line, Code: validation.CodeTooMany, Param: strconv.Itoa(MaxItems)})
			break
		}
		if err != nil {
			rep.Errors = append(rep.Errors, RowError{Line: rec.Line, Code: validation.CodeFormat})
			break
		}
		rep.Rows++
		cell := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec.Fields) {
				return csvio.Unguard(rec.Fields[i])
			}
			return ""
		}
		var v validation.Error
		row := importRow{line: rec.Line}
		c := &row.category
		c.Name = cell(colCategory)
		c.TaxRate = int(parseNumber(&v, "category.tax_rate", "tax_rate", cell(colTaxRate)))
		if cell(colTaxRate) == "" {
			v.Add("category.tax_rate", validation.CodeRequired, "")
		}
		yes, ok := parseYes(cell(colUsesVariants))
		if !ok {
			v.Add("category.uses_variants", validation.CodeFormat, "")
		}
		c.UsesVariants = yes
		c.Position = int(parseNumber(&v, "category.position", "position", cell(colCatPosition)))
		checkCategory(&v, "category.", c)
		if prev, ok := seenCat[c.Name]; ok && c.Name != "" {
			p := prev.category
			if p.TaxRate != c.TaxRate {
				v.Add("category.tax_rate", validation.CodeDuplicate, strconv.Itoa(prev.line))
			}
			if p.UsesVariants != c.UsesVariants {
				v.Add("category.uses_variants", validation.CodeDuplicate, strconv.Itoa(prev.line))
			}
			if p.Position != c.Position {
				v.Add("category.position", validation.CodeDuplicate, strconv.Itoa(prev.line))
			}
		} else if c.Name != "" {
			seenCat[c.Name] = row
		}
		rest := cell(colVariant) + cell(colName) + cell(colPrice) + cell(colPosition) + cell(colArchived)
		if rest != "" {
			it := &Item{Name: cell(colName), Variant: cell(colVariant)}
			it.UnitPrice = parseNumber(&v, "unit_price", "unit_price", cell(colPrice))
			if cell(colPrice) == "" {
				v.Add("unit_price", validation.CodeRequired, "")
			}
			it.Position = int(parseNumber(&v, "position", "position", cell(colPosition)))
			if it.Archived, ok = parseYes(cell(colArchived)); !ok {
				v.Add("archived", validation.CodeFormat, "")
			}
			checkItem(&v, "", it, c)
			k := itemKey{c.Name, it.Variant, it.Name}
			if prev, ok := seenItem[k]; ok && it.Name != "" {
				v.Add("name", validation.CodeDuplicate, strconv.Itoa(prev))
			} else {
				seenItem[k] = rec.Line
			}
			row.item = it
		}
		for _, f := range v.Fields {
			rep.Errors = append(rep.Errors, RowError{Line: rec.Line, Column: fieldColumn[f.Field], Code: f.Code, Param: f.Param})
		}
		out = append(out, row)
	}
	return out
}

// writeImport saves the categories, then the items, of valid rows.
func (s *Service) writeImport(ctx context.Context, tx bun.IDB, tenant uuid.UUID, rows []importRow, rep *ImportReport) error {
	cats, err := s.categories(ctx, tx, tenant)
	if err != nil {
		return err
	}
	byName := map[string]Category{}
	for _, c := range cats {
		byName[c.Name] = c
	}
	// rowErr records a validation problem of a row (with its column).
	rowErr := func(line int, prefix string, err error) error {
		var fe *validation.Error
		if !errors.As(err, &fe) {
			return err
		}
		for _, f := range fe.Fields {
			rep.Errors = append(rep.Errors, RowError{Line: line, Column: fieldColumn[prefix+f.Field], Code: f.Code, Param: f.Param})
		}
		return nil
	}
	done := map[string]bool{}
	for _, r := range rows {
		c := r.category
		if done[c.Name] {
			continue
		}
		done[c.Name] = true
		cur, exists := byName[c.Name]
		if exists {
			if cur.TaxRate == c.TaxRate && cur.UsesVariants == c.UsesVariants && cur.Position == c.Position {
				continue
			}
			c.ID = cur.ID
		}
		if err := s.saveCategory(ctx, tx, tenant, &c); err != nil {
			if err := rowErr(r.line, "category.", err); err != nil {
				return err
			}
			continue
		}
		if exists {
			rep.CategoriesUpdated++
		} else {
			rep.CategoriesCreated++
		}
		byName[c.Name] = c
	}
	if len(rep.Errors) > 0 {
		return nil
	}
	cats = cats[:0]
	for _, c := range byName {
		cats = append(cats, c)
	}
	existing, err := s.items(ctx, tx, tenant, uuid.Nil, true)
	if err != nil {
		return err
	}
	type itemKey struct {
		cat           uuid.UUID
		variant, name string
	}
	known := map[itemKey]Item{}
	for _, it := range existing {
		known[itemKey{it.Category, it.Variant, it.Name}] = it
	}
	for _, r := range rows {
		if r.item == nil {
			continue
		}
		it := *r.item
		it.Category = byName[r.category.Name].ID
		cur, exists := known[itemKey{it.Category, it.Variant, it.Name}]
		if exists {
			if cur.UnitPrice == it.UnitPrice && cur.Position == it.Position && cur.Archived == it.Archived {
				continue
			}
			it.ID = cur.ID
		}
		if err := s.saveItem(ctx, tx, tenant, cats, &it, ""); err != nil {
			if err := rowErr(r.line, "", err); err != nil {
				return err
			}
			continue
		}
		if exists {
			rep.ItemsUpdated++
		} else {
			rep.ItemsCreated++
		}
	}
	return nil
}
