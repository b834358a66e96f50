package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/jpdate"
)

func TestPDFDownload(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, PublicMemo: "カタログをお渡ししました。", PrivateMemo: "決裁者は奥様。"})
		path := "/records/" + rec.ID.String() + "/pdf"

		// The dialog is on the record page and the customer page, as forms.
		_, body := re.c.Get(t, "/records/"+rec.ID.String())
		require.Contains(t, body, `<form method="post" action="`+path+`" class="pdf-options">`)
		require.Contains(t, body, `name="private_memo"`)
		_, body = re.c.Get(t, "/customers/"+re.yamada.String())
		require.Contains(t, body, `action="/customers/`+re.yamada.String()+`/pdf"`)
		require.Contains(t, body, `name="from"`)

		res, body := re.c.Post(t, path, url.Values{"cover": {"1"}, "title": {"面談記録"}, "password_on": {"1"},
			"password": {"test"}, "private_memo": {"1"}})
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Equal(t, "application/pdf", res.Header.Get("Content-Type"))
		require.True(t, strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;"))
		require.True(t, strings.HasPrefix(body, "%PDF-"))
		require.Contains(t, body, "/Encrypt")

		day := rec.ActualAt.In(jpdate.Tokyo()).Format(time.DateOnly) // the record's day, not a fixed year
		res, body = re.c.Post(t, "/customers/"+re.yamada.String()+"/pdf", url.Values{"from": {day}, "to": {day}})
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.NotContains(t, body, "/Encrypt")

		// Refused choices come back on the dialog's page with what was typed.
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"password_on": {"1"}, "title": {"控え"}}, "パスワードを入力してください。"},
			{url.Values{"password": {"秘密"}, "title": {"控え"}}, "「パスワードをつける」にチェックするか"},
			{url.Values{"title": {strings.Repeat("長", 101)}}, "100文字以内で入力してください。"},
		} {
			res, body = re.c.Post(t, path, tc.form)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
			require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
			require.Contains(t, body, tc.want)
			require.Contains(t, body, `<details class="card pdf-dialog" open>`)
		}
		require.Contains(t, body, strings.Repeat("長", 101), "the title typed is kept")
		res, body = re.c.Post(t, "/customers/"+re.yamada.String()+"/pdf", url.Values{"from": {"昨日"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, body)
		require.Contains(t, body, `value="昨日"`)

		res, _ = re.c.Get(t, path)
		require.Equal(t, http.StatusOK, res.StatusCode)
	})
}
