package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kirokuhq/kiroku/customer"
)

// importCSV imports the file at path, or the embedded sample when path is
// empty, and prints the report. Good rows are imported even when others
// are bad, and customers already stored are skipped, so importing the same
// file twice is harmless.
func importCSV(ctx context.Context, svc *customer.Service, path string, w io.Writer) error {
	name, r := "sample.csv (組み込みサンプル embedded sample)", io.Reader(bytes.NewReader(sampleCSV))
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		name, r = path, f
	}
	rep, err := svc.Import(ctx, r, customer.ImportOptions{Mode: customer.ValidRows, OnDuplicate: customer.SkipDuplicates})
	if err != nil {
		return fmt.Errorf("import %s: %w", name, explainFile(err))
	}
	fmt.Fprintf(w, "\n取込 import: %s\n", name)
	fmt.Fprintf(w, "  文字コード encoding: %s\n", rep.Encoding)
	fmt.Fprintf(w, "  行数 rows: %d\n", rep.Rows)
	fmt.Fprintf(w, "  新規 created: %d, 更新 updated: %d, 重複スキップ skipped: %d\n", rep.Created, rep.Updated, rep.Skipped)
	if len(rep.Ignored) > 0 {
		fmt.Fprintf(w, "  無視した列 ignored columns: %s\n", strings.Join(rep.Ignored, ", "))
	}
	fmt.Fprintf(w, "  エラー errors: %d\n", len(rep.Errors))
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "    %s\n", rowError(e))
	}
	return nil
}

// rowError formats one problem as "行 N 列 X: code (value)".
func rowError(e customer.RowError) string {
	s := fmt.Sprintf("行 %d", e.Line)
	switch {
	case e.Column != "":
		s += " 列 " + e.Column
	case e.Field != "":
		s += " 項目 " + e.Field
	}
	s += ": " + e.Code
	if e.Param != "" {
		s += " (" + e.Param + ")"
	}
	return s
}

// fileProblems explains, by code, what Import reports as a problem of the
// file as a whole (a *customer.ValidationError on the field "file").
var fileProblems = map[string]string{
	"not_csv":   "CSVファイルではありません。Excel の「名前を付けて保存」で CSV を選んでください / not a CSV file (an Excel workbook?): save it as CSV first",
	"encoding":  "文字コードを読み取れません / unreadable encoding: save the file as UTF-8 or Shift_JIS CSV",
	"too_large": "ファイルが大きすぎます / the file is too large",
	"too_many":  "行数が多すぎます / the file has too many rows",
	"required":  "見出し行がないか「姓」の列がありません / no header row, or no 姓 column",
	"duplicate": "同じ項目の列が2つあります / two columns name the same field",
}

// explainFile puts a sentence before a file problem; other errors are
// returned as they are.
func explainFile(err error) error {
	var v *customer.ValidationError
	if errors.As(err, &v) {
		for _, f := range v.Fields {
			if msg, ok := fileProblems[f.Code]; ok && f.Field == "file" {
				return fmt.Errorf("%s (%w)", msg, err)
			}
		}
	}
	return err
}

func printSearch(w io.Writer, query string, page *customer.Page) {
	fmt.Fprintf(w, "\n検索 search %q:\n", query)
	for _, c := range page.Customers {
		fmt.Fprintf(w, "  %s | %s | %s | %s\n", c.DisplayName(), reading(&c), phone(&c), birthday(&c))
	}
	// Beyond customer.Config.TotalCap matches the total is the database's
	// estimate or a lower bound, and the page says so.
	switch page.TotalKind {
	case customer.TotalEstimate:
		fmt.Fprintf(w, "合計 total: 約%d件 (estimated)", page.Total)
	case customer.TotalAtLeast:
		fmt.Fprintf(w, "合計 total: %d件以上 (or more)", page.Total)
	default:
		fmt.Fprintf(w, "合計 total: %d件", page.Total)
	}
	if len(page.Customers) < page.Total {
		fmt.Fprintf(w, " (先頭 %d件を表示 first %d shown)", len(page.Customers), len(page.Customers))
	}
	fmt.Fprintln(w)
}

func reading(c *customer.Customer) string {
	return strings.TrimSpace(c.FamilyKana + " " + c.GivenKana)
}

func phone(c *customer.Customer) string {
	switch {
	case c.Phone != "":
		return c.Phone
	case c.Mobile != "":
		return c.Mobile
	}
	return "-"
}

// birthday shows the era date with its western equivalent:
// 昭和47年3月15日 (1972-03-15).
func birthday(c *customer.Customer) string {
	if c.Birthday == nil {
		return "-"
	}
	return c.Birthday.Era() + " (" + c.Birthday.String() + ")"
}

func printExport(w io.Writer, path string, enc customer.Encoding, rep *customer.ExportReport) {
	fmt.Fprintf(w, "\n書き出し export: %s (%s)\n", path, enc)
	fmt.Fprintf(w, "  行数 rows: %d, 置換文字 replaced characters: %d\n", rep.Rows, len(rep.Replacements))
	for _, r := range rep.Replacements {
		fmt.Fprintf(w, "    行 %d 列 %s: %s → 〓\n", r.Row, r.Column, r.Char)
	}
}

// writeFile creates the file at path and fills it with write, reporting
// the first error of writing or closing.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
