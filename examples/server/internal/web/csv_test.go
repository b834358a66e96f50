package web_test

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/text/encoding/japanese"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// upload posts a multipart form with one file field to path.
func upload(t *testing.T, c *servertest.Client, path string, fields map[string]string, fileField, fileName string, content []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	require.NoError(t, mw.WriteField("_csrf", c.CSRF))
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile(fileField, fileName)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, path, &b)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(t, req)
}

func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func unsjis(t *testing.T, b string) string {
	t.Helper()
	out, err := japanese.ShiftJIS.NewDecoder().Bytes([]byte(b))
	require.NoError(t, err)
	return string(out)
}

const importCSV = "姓,名,姓カナ,名カナ,電話番号,携帯電話,誕生日,性別,メールアドレス,備考\r\n" +
	"髙橋,一郎,タカハシ,イチロウ,03-1234-5678,,1972/03/15,男,ichiro@example.jp,一括登録テスト\r\n" +
	"昭和,太郎,ショウワ,タロウ,,,平成1年1月7日,男,,一括登録テスト\r\n" +
	"渡辺,花子,ワタナベ,ハナコ,,090-1111-2222,昭和47年3月15日,女,,一括登録テスト\r\n"

func importedCount(t *testing.T, e *servertest.Env) int {
	t.Helper()
	page, err := e.App.Customers.Search(e.Ctx(t, e.Admin), customer.Query{Text: "一括登録テスト", WithTotal: true})
	require.NoError(t, err)
	return page.Total
}

func TestImportShiftJISWithBadRow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/customers/import")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `href="/customers/import/template?encoding=sjis"`)
		require.Contains(t, body, `id="save"`)

		// A dry run reports what would happen and writes nothing.
		res, body = upload(t, c, "/customers/import", map[string]string{"dry_run": "1", "mode": "valid_rows", "on_duplicate": "skip"},
			"file", "顧客.csv", sjis(t, importCSV))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Contains(t, body, msg.T("csv.import.dry_run_notice"))
		require.Contains(t, body, `<dd class="created">2</dd>`)
		require.Equal(t, 0, importedCount(t, e), "a dry run creates nothing")

		res, body = upload(t, c, "/customers/import", map[string]string{"mode": "valid_rows", "on_duplicate": "skip", "encoding": "sjis"},
			"file", "顧客.csv", sjis(t, importCSV))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Contains(t, body, `<table class="row-errors">`)
		require.Contains(t, body, `<td class="line">3</td><td class="name">昭和 太郎</td><td class="field">誕生日</td><td class="message">`+
			msg.Field(validation.FieldError{Code: validation.CodeOutsideEra})+`</td>`)
		require.Contains(t, body, `<dd class="created">2</dd>`)
		require.Contains(t, body, "Shift_JIS")
		require.NotContains(t, body, msg.T("csv.import.dry_run_notice"))
		require.Equal(t, 2, importedCount(t, e))
		page, err := e.App.Customers.Search(e.Ctx(t, e.Admin), customer.Query{Text: "髙橋"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1, "髙 survives Shift_JIS")

		// All-or-nothing with a bad row: nothing imported, the rows shown.
		res, body = upload(t, c, "/customers/import", map[string]string{"mode": "all_or_nothing", "on_duplicate": "create"},
			"file", "顧客.csv", sjis(t, importCSV))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("csv.import.rejected"))
		require.Contains(t, body, `<td class="line">3</td>`)
		require.Equal(t, 2, importedCount(t, e))

		// The wrong encoding chosen: a form error, nothing read.
		res, body = upload(t, c, "/customers/import", map[string]string{"mode": "valid_rows", "on_duplicate": "create", "encoding": "utf8"},
			"file", "顧客.csv", sjis(t, importCSV))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("csv.import.encoding_mismatch", "Shift_JIS"))
		require.Equal(t, 2, importedCount(t, e))
	})
}

func TestImportRejectsNonCSV(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 1, 2}, 100)...)
		res, body := upload(t, c, "/customers/import", map[string]string{"mode": "valid_rows", "on_duplicate": "skip"},
			"file", "photo.csv", png)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.Field(validation.FieldError{Code: validation.CodeNotCSV}))
		require.Contains(t, body, `class="form-error"`)
		require.NotContains(t, body, `class="row-errors"`)

		res, body = upload(t, c, "/customers/import", map[string]string{"mode": "valid_rows", "on_duplicate": "skip"},
			"file", "empty.csv", nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("csv.import.no_file"))
	})
}

func TestImportTemplateDownload(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/customers/import/template?encoding=sjis")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, res.Header.Get("Content-Disposition"), "attachment")
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		header, err := csv.NewReader(strings.NewReader(unsjis(t, body))).Read()
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(header[0], "姓"), header[0])

		res, body = c.Get(t, "/customers/import/template?encoding=utf8")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, strings.HasPrefix(body, "\ufeff姓"), "UTF-8 with BOM")
	})
}

func TestCustomersExportFollowsSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		ctx := e.Ctx(t, e.Admin)
		for _, p := range []customer.Profile{
			{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ"},
			{FamilyName: "佐藤", GivenName: "花子", FamilyKana: "サトウ", GivenKana: "ハナコ"},
		} {
			_, err := e.App.Customers.Create(ctx, p)
			require.NoError(t, err)
		}
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/customers/export?q=山田")
		require.Equal(t, http.StatusOK, res.StatusCode)
		cd := res.Header.Get("Content-Disposition")
		require.Contains(t, cd, "attachment")
		require.Regexp(t, `filename="customers-\d{8}\.csv"`, cd)
		rows, err := csv.NewReader(strings.NewReader(unsjis(t, body))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 2, "header and the one match")
		require.Contains(t, rows[1], "山田")
		require.NotContains(t, unsjis(t, body), "佐藤")

		_, body = c.Get(t, "/customers/export?encoding=utf8")
		require.True(t, strings.HasPrefix(body, "\ufeff"))
		require.Contains(t, body, "山田")
		require.Contains(t, body, "佐藤")
	})
}

func TestRecordsExportVisibilityAndPrivateMemo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		a := e.User(t, "青木 一郎", "アオキ イチロウ", "aoki@example.jp")
		e.User(t, "坂本 二郎", "サカモト ジロウ", "sakamoto@example.jp")
		e.User(t, "外部 三郎", "ガイブ サブロウ", "partner@example.jp", permission.RolePartner)
		actx := e.Ctx(t, a)
		cu, err := e.App.Customers.Create(actx, customer.Profile{FamilyName: "井上", GivenName: "陽子", FamilyKana: "イノウエ", GivenKana: "ヨウコ"})
		require.NoError(t, err)
		at := time.Now().Add(-time.Hour)
		_, err = e.App.Records.Create(actx, contactlog.Entry{Template: "builtin:interview", Customer: cu.ID, ActualAt: at,
			PublicMemo: "=見積提出", PrivateMemo: "値引き余地あり"})
		require.NoError(t, err)
		_, err = e.App.Records.Create(actx, contactlog.Entry{Template: "builtin:interview", Customer: cu.ID, ActualAt: at,
			PublicMemo: "秘密の面談", Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{a}}})
		require.NoError(t, err)

		read := func(email, query string) [][]string {
			c := e.Login(t, email)
			res, body := c.Get(t, "/records/export"+query)
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			require.Regexp(t, `filename="records-\d{8}\.csv"`, res.Header.Get("Content-Disposition"))
			if strings.HasPrefix(body, "\ufeff") {
				body = strings.TrimPrefix(body, "\ufeff")
			} else {
				body = unsjis(t, body)
			}
			r := csv.NewReader(strings.NewReader(body))
			r.FieldsPerRecord = -1
			rows, err := r.ReadAll()
			require.NoError(t, err)
			return rows
		}

		rows := read("aoki@example.jp", "")
		require.Equal(t, []string{"作成日時", "面談日時", "顧客名", "テンプレート", "対応者", "公開メモ", "非公開メモ"}, rows[0])
		require.Len(t, rows, 3, "the author sees both records")
		var memos []string
		for _, row := range rows[1:] {
			require.Equal(t, "井上 陽子", row[2])
			require.Equal(t, "面談記録", row[3])
			require.Equal(t, "青木 一郎", row[4])
			memos = append(memos, row[5])
		}
		require.ElementsMatch(t, []string{"'=見積提出", "秘密の面談"}, memos, "formula cells guarded")

		rows = read("sakamoto@example.jp", "?encoding=utf8&q=見積")
		require.Len(t, rows, 2)
		require.Equal(t, "'=見積提出", rows[1][5])
		require.Equal(t, "値引き余地あり", rows[1][6], "staff see the private memo")
		rows = read("sakamoto@example.jp", "")
		require.Len(t, rows, 2, "a record scoped to its author stays out of others' exports")
		for _, row := range rows {
			require.NotContains(t, row, "秘密の面談")
		}

		// Partners may not export records at all (nor read private memos).
		res, _ := e.Login(t, "partner@example.jp").Get(t, "/records/export")
		require.Equal(t, http.StatusForbidden, res.StatusCode)
	})
}

// TestRecordPageWithholdsPrivateMemoFromPartners: the record page and its
// edit form show a partner neither the private memo nor its field; staff
// see both.
func TestRecordPageWithholdsPrivateMemoFromPartners(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		a := e.User(t, "青木 一郎", "アオキ イチロウ", "aoki@example.jp")
		partner := e.User(t, "外部 三郎", "ガイブ サブロウ", "partner@example.jp", permission.RolePartner)
		actx := e.Ctx(t, a)
		cu, err := e.App.Customers.Create(actx, customer.Profile{FamilyName: "井上", GivenName: "陽子", FamilyKana: "イノウエ", GivenKana: "ヨウコ",
			Assignees: []uuid.UUID{a, partner}})
		require.NoError(t, err)
		rec, err := e.App.Records.Create(actx, contactlog.Entry{Template: "builtin:interview", Customer: cu.ID,
			Responders: []uuid.UUID{partner}, PublicMemo: "定期点検", PrivateMemo: "値引き余地あり"})
		require.NoError(t, err)
		for email, shown := range map[string]bool{"aoki@example.jp": true, "partner@example.jp": false} {
			c := e.Login(t, email)
			for _, path := range []string{"/records/" + rec.ID.String(), "/records/" + rec.ID.String() + "/edit"} {
				res, body := c.Get(t, path)
				require.Equal(t, http.StatusOK, res.StatusCode, path)
				require.Contains(t, body, "定期点検", path)
				require.Equal(t, shown, strings.Contains(body, "非公開メモ"), "%s %s", email, path)
				require.Equal(t, shown, strings.Contains(body, "値引き余地あり"), "%s %s", email, path)
			}
		}
	})
}

// A download is named by the application's clock, the day in the
// tenant's time zone (15:30 UTC on 31 January is 1 February in Tokyo).
func TestExportNameFollowsTheClock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		clock := clocktest.New(time.Date(2031, 1, 31, 15, 30, 0, 0, time.UTC), time.Millisecond)
		e := servertest.New(t, db, func(_ *app.Config, o *app.Options) { o.Clock = clock.Now })
		c := e.Login(t, servertest.AdminEmail)
		for _, path := range []string{"/customers/export", "/records/export", "/alerts/export"} {
			res, _ := c.Get(t, path)
			require.Equal(t, http.StatusOK, res.StatusCode, path)
			require.Contains(t, res.Header.Get("Content-Disposition"), "-20310201.csv", path)
		}
	})
}
