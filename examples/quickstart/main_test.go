package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/japanese"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// eachDB runs fn with the flags that select a fresh SQLite database and,
// when KIROKU_TEST_POSTGRES_URL is set, a fresh PostgreSQL schema.
func eachDB(t *testing.T, fn func(t *testing.T, db []string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, []string{"-data", t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, []string{"-postgres", postgresSchema(t)})
	})
}

// postgresSchema creates a schema dropped when t ends and returns a DSN
// using it, or skips t when no test server is configured.
func postgresSchema(t *testing.T) string {
	base := os.Getenv(dbtest.EnvPostgres)
	if base == "" {
		t.Skip(dbtest.EnvPostgres + " is not set")
	}
	adminDSN, err := dbopen.PostgresDSN(base, "")
	require.NoError(t, err)
	admin, err := dbopen.OpenPostgres(adminDSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	schema := "kiroku_quickstart_" + strings.ToLower(rand.Text()[:8])
	_, err = admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	dsn, err := dbopen.PostgresDSN(base, schema)
	require.NoError(t, err)
	return dsn
}

// runOK runs the program and returns what it printed on stdout.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(t.Context(), args, &stdout, &stderr), stderr.String())
	return stdout.String()
}

func TestImportTwice(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db []string) {
		out := runOK(t, db...)
		require.Contains(t, out, "文字コード encoding: shift_jis")
		require.Contains(t, out, "行数 rows: 16")
		require.Contains(t, out, "新規 created: 15, 更新 updated: 0, 重複スキップ skipped: 0")
		require.Contains(t, out, "エラー errors: 1\n    行 12 列 誕生日: outside_era (平成1年1月7日)\n")

		out = runOK(t, db...)
		require.Contains(t, out, "新規 created: 0, 更新 updated: 0, 重複スキップ skipped: 15")
		require.Contains(t, out, "行 12 列 誕生日: outside_era")
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db []string) {
		runOK(t, db...)
		for _, tc := range []struct {
			query string
			want  []string
			total int
		}{
			// The default: hiragana finds the katakana reading ヤマダ.
			{"やまだ", []string{
				"山田 太郎 | ヤマダ タロウ | 03-3210-1234 | 昭和47年3月15日 (1972-03-15)",
				"山田 花子 | ヤマダ ハナコ | 080-2345-6789 | 昭和52年8月3日 (1977-08-03)",
			}, 2},
			// Kanji also finds 田中 誠, whose memo names 山田 太郎.
			{"山田", []string{"田中 誠 |"}, 3},
			// Half-width katakana, stored full-width.
			{"ｽｽﾞｷ", []string{"鈴木 一郎 | スズキ イチロウ | 090-3456-7890 | 平成元年1月8日 (1989-01-08)"}, 1},
			// Phone numbers match by digits.
			{"09034567890", []string{"鈴木 一郎 |"}, 1},
			{"", []string{"井上 修 | イノウエ オサム | 0263-32-1122 | 大正14年8月15日 (1925-08-15)"}, 15},
			{"存在しない名前", nil, 0},
		} {
			out := runOK(t, append(db, "-q", tc.query)...)
			for _, w := range tc.want {
				require.Contains(t, out, w, "query %q", tc.query)
			}
			require.Contains(t, out, "合計 total: "+strconv.Itoa(tc.total)+"件\n", "query %q", tc.query)
		}
	})
}

func TestExportAndTemplate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db []string) {
		dir := t.TempDir()
		export, template := filepath.Join(dir, "yamada.csv"), filepath.Join(dir, "template.csv")
		out := runOK(t, append(db, "-export", export, "-template", template, "-sjis")...)
		require.Contains(t, out, "書き出し export: "+export+" (shift_jis)\n  行数 rows: 2, 置換文字 replaced characters: 0\n")

		text := fromShiftJIS(t, export)
		require.True(t, strings.HasPrefix(text, "顧客ID,姓,名,姓カナ,名カナ,"), text)
		require.Contains(t, text, ",山田,太郎,ヤマダ,タロウ,03-3210-1234,")
		require.Contains(t, text, ",山田,花子,ヤマダ,ハナコ,")
		require.Equal(t, 3, strings.Count(text, "\r\n"), text)
		require.True(t, strings.HasPrefix(fromShiftJIS(t, template), "姓,名,姓カナ,名カナ,"))

		// Without -sjis: UTF-8 with a byte order mark, which Excel opens.
		runOK(t, append(db, "-export", export, "-template", template)...)
		for _, path := range []string{export, template} {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")), path)
		}
	})
}

func TestExportReplacesWhatShiftJISCannotHold(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	require.NoError(t, os.WriteFile(in, []byte("姓,名,姓カナ,名カナ,携帯電話\n𠮷田,花子,ヨシダ,ハナコ,090-0000-1111\n"), 0o600))
	out := runOK(t, "-data", dir, "-import", in, "-q", "よしだ", "-export", filepath.Join(dir, "out.csv"), "-sjis")
	require.Contains(t, out, "文字コード encoding: utf-8\n")
	require.Contains(t, out, "新規 created: 1,")
	require.Contains(t, out, "𠮷田 花子 | ヨシダ ハナコ | 090-0000-1111 | -")
	require.Contains(t, out, "置換文字 replaced characters: 1\n    行 1 列 姓: 𠮷 → 〓\n")
	require.Contains(t, fromShiftJIS(t, filepath.Join(dir, "out.csv")), ",〓田,花子,")
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "customers.xlsx")
	require.NoError(t, os.WriteFile(xlsx, []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		is   error
		msg  string
	}{
		{"xlsx", []string{"-import", xlsx}, customer.ErrInvalid, "not a CSV file"},
		{"missing file", []string{"-import", filepath.Join(dir, "nope.csv")}, os.ErrNotExist, "nope.csv"},
		{"unknown flag", []string{"-bogus"}, errUsage, "-bogus"},
		{"argument", []string{"extra"}, errUsage, "extra"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), append([]string{"-data", dir}, tc.args...), &stdout, &stderr)
		require.ErrorIs(t, err, tc.is, tc.name)
		require.ErrorContains(t, err, tc.msg, tc.name)
		require.NotContains(t, stdout.String(), "取込 import:", tc.name)
	}
}

func fromShiftJIS(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	require.NoError(t, err)
	return string(text)
}
