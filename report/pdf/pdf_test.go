package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/pdftest"
	"github.com/kirokuhq/kiroku/report/chart"
	"github.com/kirokuhq/kiroku/report/pdf"
)

const password = "s3cret-パスワード"

func TestRecordPDF(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		var b bytes.Buffer
		require.NoError(t, f.exp.Record(f.staff, &b, f.shared, pdf.Options{Cover: true, Password: password, IncludePrivateMemo: true}))
		doc := b.Bytes()

		out, ok := pdftest.Run(t, doc, "pdfinfo")
		require.False(t, ok, "opens without the password: %s", out)
		require.Contains(t, out, "Incorrect password")
		out, ok = pdftest.Run(t, doc, "pdfinfo", "-upw", password)
		require.True(t, ok, out)
		require.Regexp(t, `Pages:\s+3\n`, out) // cover, the record, its photos
		require.Regexp(t, `Encrypted:\s+yes \(print:yes copy:yes .*algorithm:AES-256\)`, out)
		require.Regexp(t, `Page size:\s+595 x 842 pts \(A4\)`, out)

		text := pdftest.Text(t, doc, password)
		for _, want := range []string{"面談記録", "山田 太郎 様", "記録商事", "期間 2026年11月20日(金)", "作成日 2026年11月22日(日)",
			"2026年11月20日(金)", "2026年11月20日(金) 14:00", "担当 一郎", "お客様宅", "2026年12月10日(木)",
			publicMemo, privateMemo, "メモ1.jpg", "・見積書.pdf (15 B)", "1 / 2", "2 / 2"} {
			require.Contains(t, text, want)
		}
		// Masters by the tenant's labels, never codes, and the customer's
		// side.
		for _, want := range []string{"対応形態 ご訪問", "進捗 提案中", "分類1 商品・サービス", "分類2 新規購入",
			"内容概略（補足） 新商品のご案内", "先方部署 総務部", "先方担当者 山田 花子"} {
			require.Regexp(t, strings.ReplaceAll(regexp.QuoteMeta(want), " ", `\s+`), text)
		}
		for _, code := range []string{"visit", "proposing", "new_purchase"} {
			require.NotContains(t, text, code)
		}
		requireKinsoku(t, text)

		out, ok = pdftest.Run(t, doc, "pdffonts", "-upw", password)
		require.True(t, ok, out)
		require.Regexp(t, `(?m)^[A-Z]{6}\+KirokuFont\s+CID TrueType\s+Identity-H\s+yes yes yes `, out, "embedded as a subset, with a ToUnicode map")
		out, ok = pdftest.Run(t, doc, "pdfimages", "-upw", password, "-list")
		require.True(t, ok, out)
		require.Equal(t, 3, imageCount(out), out)

		entries, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "record", Object: f.shared})
		require.NoError(t, err)
		require.Equal(t, pdf.AuditAction, entries[0].Action)
		require.Equal(t, "records=1 cover=true private_memo=true password=true", entries[0].Detail)

		// Without a password: not encrypted; without a cover: no cover;
		// without the tick: no private memo.
		b.Reset()
		require.NoError(t, f.exp.Record(f.staff, &b, f.shared, pdf.Options{}))
		out, ok = pdftest.Run(t, b.Bytes(), "pdfinfo")
		require.True(t, ok, out)
		require.Regexp(t, `Encrypted:\s+no`, out)
		require.Regexp(t, `Pages:\s+2\n`, out)
		text = pdftest.Text(t, b.Bytes(), "")
		require.Contains(t, text, publicMemo)
		require.NotContains(t, text, privateMemo)
		require.NotContains(t, text, "作成日")
	})
}

func TestCustomerPDF(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		var b bytes.Buffer
		require.NoError(t, f.exp.Customer(f.staff, &b, f.yamada, pdf.Options{Cover: true, Title: "山田様 ご対応記録", IncludePrivateMemo: true}))
		text := pdftest.Text(t, b.Bytes(), "")
		for _, want := range []string{"山田様 ご対応記録", "期間 2026年11月20日(金) 〜 2026年11月21日(土)", publicMemo, privateMemo,
			usageMemo, "利用・会計", "シャンプー × 2 = ¥2,468", "小計 ¥2,468 / 消費税 ¥246 / 合計 ¥2,714"} {
			require.Contains(t, text, want)
		}
		require.Less(t, strings.Index(text, publicMemo), strings.Index(text, usageMemo), "oldest first")
		out, _ := pdftest.Run(t, b.Bytes(), "pdfimages", "-list")
		require.Equal(t, 3, imageCount(out), out)

		// One template only.
		b.Reset()
		require.NoError(t, f.exp.Customer(f.staff, &b, f.yamada, pdf.Options{Template: "builtin:usage"}))
		text = pdftest.Text(t, b.Bytes(), "")
		require.Contains(t, text, usageMemo)
		require.NotContains(t, text, publicMemo)

		// Charts of one template's history follow its records, as images.
		var charted []contactlog.Record
		exp := f.newExporter(&pdf.Config{Charts: func(_ context.Context, cust uuid.UUID, tmpl string, recs []contactlog.Record) ([]chart.Spec, error) {
			require.Equal(t, f.yamada, cust)
			require.Equal(t, "builtin:usage", tmpl)
			charted = recs
			return []chart.Spec{{Kind: chart.Line, Title: "売上の推移", Labels: []string{"11/21"},
				Series: []chart.Series{{Name: "合計", Values: []float64{2714}}}}}, nil
		}})
		b.Reset()
		require.NoError(t, exp.Customer(f.staff, &b, f.yamada, pdf.Options{Template: "builtin:usage"}))
		require.Len(t, charted, 1)
		require.Contains(t, pdftest.Text(t, b.Bytes(), ""), "■ 売上の推移")
		out, _ = pdftest.Run(t, b.Bytes(), "pdfimages", "-list")
		require.Equal(t, 1, imageCount(out), out)

		// A history over the cap is refused with the cap, not cut.
		b.Reset()
		err := f.newExporter(&pdf.Config{MaxRecords: 1}).Customer(f.staff, &b, f.yamada, pdf.Options{})
		requireField(t, err, "records", validation.CodeTooMany)
		require.Zero(t, b.Len())
		err = f.newExporter(&pdf.Config{MaxPhotoBytes: 100}).Customer(f.staff, &b, f.yamada, pdf.Options{})
		requireField(t, err, "photos", validation.CodeTooLarge)
		require.Zero(t, b.Len())

		// The last export made (the refused ones are not exports; they
		// read the customer, which its engine audits as a view).
		entries, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "customer", Object: f.yamada})
		require.NoError(t, err)
		i := slices.IndexFunc(entries, func(e permission.AuditEntry) bool { return e.Action == pdf.AuditAction })
		require.GreaterOrEqual(t, i, 0)
		require.Equal(t, "records=1 cover=false private_memo=false password=false", entries[i].Detail)
	})
}

// With Config.PhotoDPI, a photo with more pixels than its place on the
// page takes at that resolution is embedded scaled down to it; a small one
// as stored. Without it, every photo is embedded as stored. The PDF goes
// through temporary files in Config.TempDir, which are gone afterwards,
// also when the export fails.
func TestPhotosScaledToPrint(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		big := jpegFile(t, 3000, 2000)
		as, err := f.records.Attachments().Add(f.staff, f.unshared, contactlog.Upload{
			AttachmentMeta: contactlog.AttachmentMeta{Name: "大きな写真.jpg"}, Body: bytes.NewReader(big)})
		require.NoError(t, err)
		tmp := t.TempDir()
		var b bytes.Buffer
		require.NoError(t, f.newExporter(&pdf.Config{TempDir: tmp}).Record(f.staff, &b, f.unshared, pdf.Options{}))
		out, ok := pdftest.Run(t, b.Bytes(), "pdfimages", "-list")
		require.True(t, ok, out)
		require.Equal(t, [][2]int{{3000, 2000}}, imageSizes(out), "as stored without PhotoDPI: %s", out)

		exp := f.newExporter(&pdf.Config{TempDir: tmp, PhotoDPI: 200})
		b.Reset()
		require.NoError(t, exp.Record(f.staff, &b, f.unshared, pdf.Options{Password: password}))
		out, ok = pdftest.Run(t, b.Bytes(), "pdfimages", "-upw", password, "-list")
		require.True(t, ok, out)
		// The page's width (499 pt) at 200 dpi is 1387 pixels: halved
		// (1500, within 1.5 times that).
		require.Equal(t, [][2]int{{1500, 1000}}, imageSizes(out), out)
		require.Less(t, b.Len(), int(as[0].Size), "smaller than the stored photo")
		require.Contains(t, pdftest.Text(t, b.Bytes(), password), "大きな写真.jpg")

		b.Reset()
		require.NoError(t, exp.Record(f.staff, &b, f.shared, pdf.Options{}))
		out, _ = pdftest.Run(t, b.Bytes(), "pdfimages", "-list")
		require.ElementsMatch(t, [][2]int{{120, 80}, {80, 120}, {100, 100}}, imageSizes(out), "small photos as stored: %s", out)

		// The budget counts the photos as embedded: the big one's stored
		// size exceeds it, its scaled copy does not.
		b.Reset()
		err = f.newExporter(&pdf.Config{TempDir: tmp, MaxPhotoBytes: as[0].Size - 1}).Record(f.staff, &b, f.unshared, pdf.Options{})
		requireField(t, err, "photos", validation.CodeTooLarge)
		require.NoError(t, f.newExporter(&pdf.Config{TempDir: tmp, PhotoDPI: 200, MaxPhotoBytes: as[0].Size - 1}).Record(f.staff, &b, f.unshared, pdf.Options{}))
		b.Reset()
		err = f.newExporter(&pdf.Config{TempDir: tmp, MaxPhotoBytes: 1000}).Record(f.staff, &b, f.unshared, pdf.Options{Password: password})
		requireField(t, err, "photos", validation.CodeTooLarge)
		require.Zero(t, b.Len())

		left, err := os.ReadDir(tmp)
		require.NoError(t, err)
		require.Empty(t, left, "temporary files removed")
	})
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		var b bytes.Buffer

		// A partner may not tick the private memo, and never gets it.
		err := f.exp.Record(f.partner, &b, f.shared, pdf.Options{IncludePrivateMemo: true})
		requireField(t, err, "include_private_memo", validation.CodeNotAllowed)
		require.NoError(t, f.exp.Customer(f.partner, &b, f.yamada, pdf.Options{}))
		text := pdftest.Text(t, b.Bytes(), "")
		require.Contains(t, text, publicMemo)
		require.Contains(t, text, usageMemo)
		require.NotContains(t, text, privateMemo)
		require.NotContains(t, text, "非公開メモ")
		require.Contains(t, text, "ご訪問", "partners are staff: they see the masters")

		// The customer (portal) gets the shared record with its shared
		// files only, and no private memo, ever.
		portal := f.customerPrincipal
		err = f.exp.Customer(portal, &b, f.yamada, pdf.Options{IncludePrivateMemo: true})
		requireField(t, err, "include_private_memo", validation.CodeNotAllowed)
		b.Reset()
		require.NoError(t, f.exp.Customer(portal, &b, f.yamada, pdf.Options{Cover: true, Password: password}))
		text = pdftest.Text(t, b.Bytes(), password)
		require.Contains(t, text, publicMemo)
		require.Contains(t, text, "山田 太郎 様")
		require.Contains(t, text, "・見積書.pdf")
		require.NotContains(t, text, privateMemo)
		require.NotContains(t, text, usageMemo, "the unshared record")
		require.NotContains(t, text, "社内用.jpg", "the unshared photo")
		for _, internal := range []string{"対応形態", "ご訪問", "提案中", "visit", "proposing"} {
			require.NotContains(t, text, internal, "the tenant's classifications are for staff")
		}
		require.Contains(t, text, "総務部")
		out, _ := pdftest.Run(t, b.Bytes(), "pdfimages", "-upw", password, "-list")
		require.Equal(t, 2, imageCount(out), out)
		err = f.exp.Record(portal, &b, f.unshared, pdf.Options{})
		require.ErrorIs(t, err, pdf.ErrNotFound)

		// Another customer's portal sees nothing of this one.
		p, _ := permission.FromContext(portal)
		p.Customer = uuid.New()
		err = f.exp.Customer(permission.WithPrincipal(context.Background(), p), &b, f.yamada, pdf.Options{})
		require.ErrorIs(t, err, pdf.ErrNotFound)
		err = f.exp.Record(context.Background(), &b, f.shared, pdf.Options{})
		require.ErrorIs(t, err, pdf.ErrUnauthenticated)
	})
}

func TestOptionsChecked(t *testing.T) {
	t.Parallel()
	f := setup(t, dbtest.SQLite(t))
	var b bytes.Buffer
	now := f.clock.Now()
	for _, tc := range []struct {
		opt         pdf.Options
		field, code string
	}{
		{pdf.Options{Title: strings.Repeat("長", pdf.MaxTitleLen+1)}, "title", validation.CodeTooLong},
		{pdf.Options{Title: "改行\nあり"}, "title", validation.CodeFormat},
		{pdf.Options{Password: strings.Repeat("p", pdf.MaxPasswordLen+1)}, "password", validation.CodeTooLong},
		{pdf.Options{From: now, To: now}, "to", validation.CodeOutOfRange},
	} {
		requireField(t, f.exp.Customer(f.staff, &b, f.yamada, tc.opt), tc.field, tc.code)
	}
	requireField(t, f.exp.Record(f.staff, &b, f.shared, pdf.Options{Template: "builtin:usage"}), "template", validation.CodeNotAllowed)
	require.Zero(t, b.Len())
}

func requireField(t *testing.T, err error, field, code string) {
	t.Helper()
	require.ErrorIs(t, err, pdf.ErrInvalid)
	var v *validation.Error
	require.True(t, errors.As(err, &v))
	require.True(t, v.Has(field, code), "%v", v)
}

// requireKinsoku checks kinsokuMemo in the extracted text: every paragraph
// whole, no line starting with 。 or ending with 「.
func requireKinsoku(t *testing.T, text string) {
	t.Helper()
	joined := strings.ReplaceAll(text, "\n", "")
	for para := range strings.SplitSeq(kinsokuMemo, "\n") {
		require.Contains(t, joined, para)
	}
	startsWrong := regexp.MustCompile(`(?m)^[。、」]`)
	require.False(t, startsWrong.MatchString(text), "a line starts with 。、」:\n%s", text)
	endsWrong := regexp.MustCompile(`(?m)「$`)
	require.False(t, endsWrong.MatchString(text), "a line ends with 「:\n%s", text)
	require.Contains(t, text, "\n漢。続き\n", "the character before 。 moved to the next line")
}

// imageSizes are the width and height of each image pdfimages -list lists.
func imageSizes(list string) [][2]int {
	var out [][2]int
	for _, m := range regexp.MustCompile(`(?m)^\s*\d+\s+\d+\s+image\s+(\d+)\s+(\d+)\s`).FindAllStringSubmatch(list, -1) {
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		out = append(out, [2]int{w, h})
	}
	return out
}

// imageCount counts the images pdfimages -list lists.
func imageCount(list string) int {
	return len(regexp.MustCompile(`(?m)^\s*\d+\s+\d+\s+image\s`).FindAllString(list, -1))
}
