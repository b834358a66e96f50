package web_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestImportPageDryRunByDefault(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		_, body := c.Get(t, "/customers/import")
		form := between(t, body, `<form method="post" action="/customers/import"`, "</form>")
		dry := `<input type="checkbox" name="dry_run" value="1" checked>`
		require.Contains(t, form, dry, "確認のみ is on by default")
		file, dryAt, encodingAt := strings.Index(form, `name="file"`), strings.Index(form, dry), strings.Index(form, `name="encoding"`)
		require.Less(t, file, dryAt)
		require.Less(t, dryAt, encodingAt, "確認のみ right after the file input")
	})
}

func TestImportCountsBadRowsAndNamesThem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		// Three bad rows, five problems: 佐藤 (kana and birthday), 鈴木
		// (kana, gender), 田中 (birthday); 山田 is good.
		file := "姓,名,姓カナ,名カナ,誕生日,性別\r\n" +
			"佐藤,花子,sato,ハナコ,1972/13/40,女\r\n" +
			"山田,太郎,ヤマダ,タロウ,1980/01/02,男\r\n" +
			"鈴木,一郎,suzuki,イチロウ,,不明な性別\r\n" +
			"田中,次郎,タナカ,ジロウ,平成1年1月7日,男\r\n"
		res, body := upload(t, c, "/customers/import", map[string]string{"dry_run": "1", "mode": "valid_rows",
			"on_duplicate": "skip"}, "file", "顧客.csv", []byte(file))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		table := between(t, body, `<table class="row-errors">`, "</table>")
		require.Equal(t, 5, strings.Count(table, `<td class="line">`), "every problem listed")
		require.Contains(t, body, `<dt>`+msg.T("csv.import.errors")+`</dt><dd class="errors">3</dd>`, "rows, not problems")
		require.Contains(t, body, `<dd class="created">1</dd>`)
		for line, name := range map[string]string{"2": "佐藤 花子", "4": "鈴木 一郎", "5": "田中 次郎"} {
			require.Contains(t, table, `<td class="line">`+line+`</td><td class="name">`+name+`</td>`)
		}
		require.Equal(t, 0, importedCount(t, e))
	})
}

func TestImportRefusesExcelKeepingTheName(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		for name, head := range map[string][]byte{
			"顧客一覧.xlsx": append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte("x"), 200)...),
			"顧客.xls":    append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bytes.Repeat([]byte{0}, 200)...),
			// Named .csv but a workbook all the same: the content decides.
			"顧客.csv": append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte("x"), 200)...),
		} {
			res, body := upload(t, c, "/customers/import", map[string]string{"mode": "valid_rows", "on_duplicate": "skip",
				"encoding": "sjis"}, "file", name, head)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, name)
			field := between(t, body, `name="file"`, "</label>")
			require.Contains(t, field, `<span class="field-error">`+msg.T("csv.import.excel")+`</span>`, name)
			require.Contains(t, field, msg.T("csv.import.file_chosen", name), "the file name stays shown")
			require.Contains(t, body, `<option value="sjis" selected>`, "the other choices are kept")
			require.NotContains(t, body, `class="csv-result"`)
		}
		require.Equal(t, 0, importedCount(t, e))
	})
}
