package customer_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/text/encoding/japanese"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// countingCopier is the pgx Copier, counting the COPYs it runs.
type countingCopier struct {
	dbopen.Copier
	n atomic.Int64
}

func (c *countingCopier) CopyFrom(ctx context.Context, conn *sql.Conn, query string, data io.Reader) (int64, error) {
	c.n.Add(1)
	return c.Copier.CopyFrom(ctx, conn, query, data)
}

// eachImport runs fn like dbtest.Each, and on PostgreSQL once more
// ("postgres-copy") with the fixture's service importing through
// Config.Copier (COPY instead of INSERTs), which it checks was used.
func eachImport(t *testing.T, fn func(t *testing.T, db *bun.DB, f *fixture)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) { fn(t, db, setup(t, db)) })
	if os.Getenv(dbtest.EnvPostgres) == "" {
		return
	}
	t.Run("postgres-copy", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Postgres(t)
		f := setup(t, db)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		copier := &countingCopier{}
		f.svc, err = customer.NewService(db, &customer.Config{Clock: f.clock.Now, Authorizer: engine, Copier: copier})
		require.NoError(t, err)
		fn(t, db, f)
		require.Positive(t, copier.n.Load(), "no COPY ran")
	})
}

func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func unsjis(t *testing.T, b []byte) string {
	t.Helper()
	s, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	require.NoError(t, err)
	return string(s)
}

func count(t *testing.T, f *fixture) int {
	t.Helper()
	page, err := f.svc.Search(f.staff, customer.Query{ExactTotal: true, Limit: 1})
	require.NoError(t, err)
	return page.Total
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		require.NoError(t, f.svc.DefineField(f.admin, customer.FieldDef{Key: "care_level", Label: "要介護度", Type: customer.FieldText}))
		var b bytes.Buffer
		require.NoError(t, f.svc.WriteTemplate(f.staff, &b, customer.ShiftJIS))
		text := unsjis(t, b.Bytes())
		require.True(t, strings.HasPrefix(text, "姓,名,姓カナ,名カナ,電話番号,携帯電話,誕生日,性別,メールアドレス,備考,見込/既存,会社/個人"), text)
		require.Contains(t, text, ",要介護度\r\n山田,太郎,ヤマダ,タロウ,")
		// The template imports cleanly as it is.
		rep, err := f.svc.Import(f.staff, bytes.NewReader(b.Bytes()), customer.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created)

		b.Reset()
		require.NoError(t, f.svc.WriteTemplate(f.staff, &b, customer.UTF8BOM))
		require.True(t, bytes.HasPrefix(b.Bytes(), []byte("\xEF\xBB\xBF姓,名,")))
		require.ErrorIs(t, f.svc.WriteTemplate(f.staff, &b, "ebcdic"), customer.ErrInvalid)
	})
}

func TestImportShiftJISExcel(t *testing.T) {
	t.Parallel()
	eachImport(t, func(t *testing.T, db *bun.DB, f *fixture) {
		// What Excel writes: Shift_JIS, CRLF, a quoted newline, aliases with
		// required markers, full-width digits, era birthdays, columns in
		// another order, and one column Kiroku does not know.
		file := "氏名(姓),名 (必須入力),セイ,メイ,生年月日,ＴＥＬ,携帯,性別,備考,会社/個人,会社名,郵便番号,好きな色\r\n" +
			"髙橋,一郎,たかはし,ｲﾁﾛｳ,S47.3.15,０３-１２３４-５６７８,,男,\"①初回訪問\r\n②見積提示\",個人,,〒１６０-００２３,青\r\n" +
			"山﨑,花子,ヤマサキ,ハナコ,平成元年1月8日,,090-1111-2222,女性,,個人,,,\r\n" +
			"佐藤,次郎,サトウ,ジロウ,1980/4/1 0:00,,,,,会社,㈱サトウ商事,,\r\n"
		rep, err := f.svc.Import(f.staff, bytes.NewReader(sjis(t, file)), customer.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, customer.ShiftJIS, rep.Encoding)
		require.Equal(t, 3, rep.Rows)
		require.Equal(t, 3, rep.Created)
		require.Equal(t, []string{"好きな色"}, rep.Ignored)
		require.Empty(t, rep.Errors)

		page, err := f.svc.Search(f.staff, customer.Query{Text: "いちろう"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)
		c := page.Customers[0]
		require.Equal(t, "髙橋", c.FamilyName)
		require.Equal(t, "イチロウ", c.GivenKana)
		require.Equal(t, "03-1234-5678", c.Phone)
		require.Equal(t, "160-0023", c.PostalCode)
		require.Equal(t, "①初回訪問\n②見積提示", c.Memo)
		require.Equal(t, date.Date{Year: 1972, Month: 3, Day: 15}, *c.Birthday)
		require.Equal(t, []string{"山﨑 花子"}, names(must(f.svc.Search(f.staff, customer.Query{Text: "山﨑"})).Customers))
		require.Equal(t, []string{"㈱サトウ商事 佐藤 次郎"}, names(must(f.svc.Search(f.staff, customer.Query{Text: "サトウ商事"})).Customers))
		require.Equal(t, []string{"山﨑 花子"}, names(must(f.svc.Search(f.staff, customer.Query{Text: "09011112222"})).Customers))
		// The importer is in charge of what they imported.
		require.Equal(t, user(f.staff), c.Assignees[0])
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

const badFile = "姓,名,姓カナ,名カナ,誕生日,メールアドレス,性別\n" +
	"山田,太郎,ヤマダ,タロウ,S47.3.15,taro@example.jp,男性\n" +
	"鈴木,,,,平成1年1月7日,x@,宇宙人\n" +
	"田中,花子,タナカ,ハナコ,,,女性\n" +
	"\"壊れた,行\n"

func TestImportBadRows(t *testing.T) {
	t.Parallel()
	eachImport(t, func(t *testing.T, db *bun.DB, f *fixture) {
		rep, err := f.svc.Import(f.staff, strings.NewReader(badFile), customer.ImportOptions{})
		require.ErrorIs(t, err, customer.ErrImportRejected)
		require.ErrorIs(t, err, customer.ErrInvalid)
		require.Equal(t, 0, count(t, f))
		require.Equal(t, 0, rep.Created)
		got := map[string]string{}
		for _, e := range rep.Errors {
			got[fmt.Sprintf("%d:%s:%s", e.Line, e.Column, e.Field)] = e.Code
		}
		require.Equal(t, map[string]string{
			"3:誕生日:birthday":    validation.CodeOutsideEra,
			"3:性別:gender":       validation.CodeUnknown,
			"3:姓カナ:family_kana": validation.CodeRequired,
			"3:メールアドレス:email":   validation.CodeFormat,
			"5::":               validation.CodeFormat,
		}, got)

		// Dry run of the valid rows: reported, not written.
		rep, err = f.svc.Import(f.staff, strings.NewReader(badFile), customer.ImportOptions{Mode: customer.ValidRows, DryRun: true})
		require.NoError(t, err)
		require.True(t, rep.DryRun)
		require.Equal(t, 2, rep.Created)
		require.Len(t, rep.Errors, 5)
		require.Equal(t, 0, count(t, f))

		rep, err = f.svc.Import(f.staff, strings.NewReader(badFile), customer.ImportOptions{Mode: customer.ValidRows})
		require.NoError(t, err)
		require.Equal(t, 2, rep.Created)
		require.Equal(t, 2, count(t, f))
	})
}

func TestImportRefusesNonCSVAndLimits(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		fileCode := func(err error) string {
			var v *customer.ValidationError
			require.ErrorAs(t, err, &v)
			require.Equal(t, "file", v.Fields[0].Field)
			return v.Fields[0].Code
		}
		_, err := f.svc.Import(f.staff, strings.NewReader("PK\x03\x04\x14\x00\x06\x00xl/workbook.xml"), customer.ImportOptions{})
		require.Equal(t, validation.CodeNotCSV, fileCode(err))
		_, err = f.svc.Import(f.staff, bytes.NewReader([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")), customer.ImportOptions{})
		require.Equal(t, validation.CodeNotCSV, fileCode(err))
		_, err = f.svc.Import(f.staff, strings.NewReader(""), customer.ImportOptions{})
		require.Equal(t, validation.CodeRequired, fileCode(err))
		_, err = f.svc.Import(f.staff, strings.NewReader("名,メール\n太郎,a@b.jp\n"), customer.ImportOptions{})
		require.Equal(t, validation.CodeRequired, fileCode(err)) // no 姓 column
		_, err = f.svc.Import(f.staff, strings.NewReader("姓,氏名(姓)\n山田,山田\n"), customer.ImportOptions{})
		require.Equal(t, validation.CodeDuplicate, fileCode(err))
		_, err = f.svc.Import(f.staff, strings.NewReader("姓\n"), customer.ImportOptions{Mode: "some"})
		require.ErrorIs(t, err, customer.ErrInvalid)

		small, err := customer.NewService(db, &customer.Config{ImportMaxBytes: 64, ImportMaxRows: 2, Authorizer: permission.Unrestricted()})
		require.NoError(t, err)
		_, err = small.Import(f.staff, strings.NewReader("姓,姓カナ\n"+strings.Repeat("山田,ヤマダ\n", 10)), customer.ImportOptions{})
		require.Equal(t, validation.CodeTooLarge, fileCode(err))
		_, err = small.Import(f.staff, strings.NewReader("姓,姓カナ\n山,ヤ\n川,カ\n森,モ\n"), customer.ImportOptions{})
		require.Equal(t, validation.CodeTooMany, fileCode(err))
		require.Equal(t, 0, count(t, f))
	})
}

func TestImportDuplicates(t *testing.T) {
	t.Parallel()
	eachImport(t, func(t *testing.T, db *bun.DB, f *fixture) {
		_, err := f.svc.Create(f.staff, taro()) // 山田太郎, mobile 090-1234-5678, Taro@example.jp
		require.NoError(t, err)
		file := "姓,名,姓カナ,名カナ,携帯電話,メールアドレス,備考,住所\n" +
			"山田,太郎,ヤマダ,タロウ,09012345678,,更新されたメモ,\n" + // same name + mobile
			"山田,太郎,ヤマダ,タロウ,,TARO@example.jp,,大阪\n" + // same name + e-mail
			"山田,太郎,ヤマダ,タロウ,,,,\n" + // same name, nothing else: not a duplicate
			"木村,拓也,キムラ,タクヤ,080-0000-0000,,,\n" +
			"木村,拓也,キムラ,タクヤ,080-0000-0000,,,\n" // repeats the row above
		rep, err := f.svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{DryRun: true})
		require.NoError(t, err)
		require.Equal(t, [3]int{2, 0, 3}, [3]int{rep.Created, rep.Updated, rep.Skipped})

		rep, err = f.svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{OnDuplicate: customer.UpdateDuplicates})
		require.NoError(t, err)
		require.Equal(t, [3]int{2, 2, 1}, [3]int{rep.Created, rep.Updated, rep.Skipped})
		page := must(f.svc.Search(f.staff, customer.Query{Text: "更新されたメモ"}))
		require.Len(t, page.Customers, 1)
		c := page.Customers[0]
		require.Equal(t, "大阪", c.Address)            // the second row's cell
		require.Equal(t, "TARO@example.jp", c.Email) // the second row's non-empty cell
		require.Equal(t, "03-1234-5678", c.Phone)    // no cell for it: what was stored stays
		require.Equal(t, int64(3), c.Version)
		require.Equal(t, 3, count(t, f))

		rep, err = f.svc.Import(f.staff, strings.NewReader(file), customer.ImportOptions{OnDuplicate: customer.CreateDuplicates})
		require.NoError(t, err)
		require.Equal(t, 5, rep.Created)
		require.Equal(t, 8, count(t, f))
	})
}

// failOn makes the database itself refuse customers named 故障, as a
// constraint or a trigger would midway through a large import.
func failOn(t *testing.T, db *bun.DB) {
	t.Helper()
	ctx := context.Background()
	if db.Dialect().Name().String() == "pg" {
		_, err := db.ExecContext(ctx, `CREATE FUNCTION kiroku_fail() RETURNS trigger AS $$
			BEGIN IF NEW.family_name = '故障' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `CREATE TRIGGER kiroku_fail BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION kiroku_fail()`)
		require.NoError(t, err)
		return
	}
	_, err := db.ExecContext(ctx, `CREATE TRIGGER kiroku_fail BEFORE INSERT ON customers
		WHEN NEW.family_name = '故障' BEGIN SELECT RAISE(ABORT, 'refused'); END`)
	require.NoError(t, err)
}

func TestImportFailureMidway(t *testing.T) {
	t.Parallel()
	eachImport(t, func(t *testing.T, db *bun.DB, f *fixture) {
		failOn(t, db)
		var b strings.Builder
		b.WriteString("姓,姓カナ\n")
		for i := range 1200 { // three insert batches; the failure is in the second
			name := fmt.Sprintf("顧客%d", i)
			if i == 777 {
				name = "故障"
			}
			fmt.Fprintf(&b, "%s,コキャク\n", name)
		}
		rep, err := f.svc.Import(f.staff, strings.NewReader(b.String()), customer.ImportOptions{})
		require.ErrorIs(t, err, customer.ErrImportRejected)
		require.Equal(t, 0, rep.Created)
		require.Equal(t, []customer.RowError{{Line: 779, Code: validation.CodeRejected}}, rep.Errors)
		require.Equal(t, 0, count(t, f)) // as it was

		rep, err = f.svc.Import(f.staff, strings.NewReader(b.String()), customer.ImportOptions{Mode: customer.ValidRows})
		require.NoError(t, err)
		require.Equal(t, 1199, rep.Created)
		require.Equal(t, []customer.RowError{{Line: 779, Code: validation.CodeRejected}}, rep.Errors)
		require.Equal(t, 1199, count(t, f)) // exactly the reported rows
		require.Empty(t, must(f.svc.Search(f.staff, customer.Query{Text: "故障"})).Customers)
	})
}

// importBatchRows is the rows of one multi-row INSERT of an import.
const importBatchRows = 500

// Files of one batch less, exactly one batch and one batch more import
// every row with its assignee, assignment log entry and search grams; in
// ValidRows mode a row the database refuses in the middle of a batch is
// reported and leaves nothing behind, while the other rows of its batch
// are written with all they come with.
func TestImportBatchBoundaries(t *testing.T) {
	t.Parallel()
	eachImport(t, func(t *testing.T, db *bun.DB, f *fixture) {
		ctx := context.Background()
		failOn(t, db)
		sideRows := func() [2]int {
			t.Helper()
			var n [2]int
			require.NoError(t, db.NewRaw("SELECT (SELECT count(*) FROM customer_assignees), (SELECT count(*) FROM customer_assignment_log)").Scan(ctx, &n[0], &n[1]))
			return n
		}
		file := func(prefix string, rows, refused int) string {
			var b strings.Builder
			b.WriteString("姓,名,姓カナ,名カナ\n")
			for i := range rows {
				name := fmt.Sprintf("%s%d", prefix, i)
				if i == refused {
					name = "故障"
				}
				fmt.Fprintf(&b, "%s,花子,ヤマダ,ハナコ\n", name)
			}
			return b.String()
		}
		total := 0
		for k, rows := range []int{importBatchRows - 1, importBatchRows, importBatchRows + 1} {
			prefix := []string{"甲", "乙", "丙"}[k]
			rep, err := f.svc.Import(f.staff, strings.NewReader(file(prefix, rows, -1)), customer.ImportOptions{})
			require.NoError(t, err)
			require.Equal(t, rows, rep.Created)
			total += rows
			require.Equal(t, total, count(t, f))
			require.Equal(t, [2]int{total, total}, sideRows())
			for _, i := range []int{0, rows - 1} {
				name := fmt.Sprintf("%s%d", prefix, i)
				page := must(f.svc.Search(f.staff, customer.Query{Text: name, Assignee: user(f.staff)}))
				require.Len(t, page.Customers, 1, name)
				require.Equal(t, name, page.Customers[0].FamilyName)
			}
		}

		rep, err := f.svc.Import(f.staff, strings.NewReader(file("丁", importBatchRows+1, 250)), customer.ImportOptions{Mode: customer.ValidRows})
		require.NoError(t, err)
		require.Equal(t, importBatchRows, rep.Created)
		require.Equal(t, []customer.RowError{{Line: 252, Code: validation.CodeRejected}}, rep.Errors)
		total += importBatchRows
		require.Equal(t, total, count(t, f))
		require.Equal(t, [2]int{total, total}, sideRows())
		for _, name := range []string{"丁249", "丁251", "丁500"} {
			require.Len(t, must(f.svc.Search(f.staff, customer.Query{Text: name})).Customers, 1, name)
		}
		require.Empty(t, must(f.svc.Search(f.staff, customer.Query{Text: "故障"})).Customers)
	})
}

func TestExport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		p := taro()
		p.Memo = "=HYPERLINK(\"http://evil\")"
		p.Birthday = birthday(t, "S47.3.15")
		_, err := f.svc.Create(f.staff, p)
		require.NoError(t, err)
		_, err = f.svc.Create(f.staff, customer.Profile{FamilyName: "𠮷田", GivenName: "一", FamilyKana: "ヨシダ", GivenKana: "ハジメ", Address: "髙松市①番地,〒"})
		require.NoError(t, err)

		var b bytes.Buffer
		rep, err := f.svc.Export(f.staff, &b, customer.Query{}, customer.ExportOptions{Encoding: customer.ShiftJIS})
		require.NoError(t, err)
		require.Equal(t, 2, rep.Rows)
		require.Len(t, rep.Replacements, 1)
		require.Equal(t, customer.Replacement{Row: 2, Customer: rep.Replacements[0].Customer, Column: "姓", Char: "𠮷"}, rep.Replacements[0])
		text := unsjis(t, b.Bytes())
		lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
		require.Len(t, lines, 3)
		require.Contains(t, lines[2], ",〓田,一,ヨシダ,")
		require.Contains(t, lines[2], `"髙松市①番地,〒"`)
		require.Contains(t, lines[1], `'=HYPERLINK`)

		// An export imports into another tenant unchanged (UTF-8 with BOM).
		b.Reset()
		_, err = f.svc.Export(f.staff, &b, customer.Query{Text: "やまだ"}, customer.ExportOptions{})
		require.NoError(t, err)
		imp, err := f.svc.Import(f.other, bytes.NewReader(b.Bytes()), customer.ImportOptions{})
		require.NoError(t, err)
		require.Equal(t, 1, imp.Created)
		require.Empty(t, imp.Ignored)
		got := must(f.svc.Search(f.other, customer.Query{})).Customers[0]
		require.Equal(t, p.Memo, got.Memo)
		require.Equal(t, "1972-03-15", got.Birthday.String())
		require.Equal(t, "ヤマダ", got.FamilyKana)
		require.Equal(t, customer.Male, got.Gender)
		require.Equal(t, "A", got.Rank)
	})
}
