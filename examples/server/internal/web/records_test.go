package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// recordEnv is a server with one logged-in staff member who owns two
// customers.
type recordEnv struct {
	*servertest.Env
	staff  uuid.UUID
	ctx    context.Context
	c      *servertest.Client
	yamada uuid.UUID // 山田 太郎, ヤマダ タロウ
	sato   uuid.UUID // 佐藤 花子, サトウ ハナコ
}

func newRecordEnv(t *testing.T, db *bun.DB) *recordEnv {
	t.Helper()
	e := servertest.New(t, db)
	re := &recordEnv{Env: e}
	re.staff = e.User(t, "記録 担当", "キロク タントウ", "staff@example.jp")
	re.ctx = e.Ctx(t, re.staff)
	re.yamada = re.customer(t, "山田", "太郎", "ヤマダ", "タロウ")
	re.sato = re.customer(t, "佐藤", "花子", "サトウ", "ハナコ")
	re.c = login(t, e, "staff@example.jp")
	return re
}

// login opens a session for email through the auth store and returns a
// client carrying it. (servertest.Login goes through the login form, whose
// handler currently drops the password before checking it: NewForm shares
// the request's PostForm map and the handler deletes "password" from it.)
func login(t testing.TB, e *servertest.Env, email string) *servertest.Client {
	t.Helper()
	token, s, err := e.App.Auth.Login(t.Context(), email, servertest.Password, "192.0.2.10")
	require.NoError(t, err)
	c := e.Client(t)
	u, err := url.Parse(c.Base)
	require.NoError(t, err)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: token, Path: "/"}})
	c.Session, c.CSRF = token, s.CSRF
	return c
}

func (re *recordEnv) customer(t *testing.T, family, given, fkana, gkana string) uuid.UUID {
	t.Helper()
	c, err := re.App.Customers.Create(re.ctx, customer.Profile{FamilyName: family, GivenName: given,
		FamilyKana: fkana, GivenKana: gkana})
	require.NoError(t, err)
	return c.ID
}

func (re *recordEnv) record(t *testing.T, ctx context.Context, e contactlog.Entry) *contactlog.Record {
	t.Helper()
	if e.Template == "" {
		e.Template = template.KeyInterview
	}
	rec, err := re.App.Records.Create(ctx, e)
	require.NoError(t, err)
	return rec
}

// recordLinks lists the record IDs the page links to, in order.
func recordLinks(body string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`<li class="record">\s*<a href="/records/([0-9a-f-]{36})"`).FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

func TestRecordListFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		rSato := re.record(t, re.ctx, contactlog.Entry{Customer: re.sato, PublicMemo: "見積書を渡した", Important: true})
		rYamada := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, PublicMemo: "初回の挨拶"})
		draft := re.record(t, re.ctx, contactlog.Entry{PublicMemo: "現場の写真"})
		_, err := re.App.Records.Comments().Add(re.ctx, rYamada.ID, "次は来週")
		require.NoError(t, err)

		other := re.User(t, "他の 担当", "ホカノ タントウ", "other@example.jp")
		octx := re.Ctx(t, other)
		oc, err := re.App.Customers.Create(octx, customer.Profile{FamilyName: "鈴木", FamilyKana: "スズキ"})
		require.NoError(t, err)
		private := re.record(t, octx, contactlog.Entry{Customer: oc.ID, PublicMemo: "非公開の記録",
			Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{other}}})
		public := re.record(t, octx, contactlog.Entry{Customer: oc.ID, PublicMemo: "全社公開の記録"})

		res, body := re.c.Get(t, "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, []string{public.ID.String(), draft.ID.String(), rYamada.ID.String(), rSato.ID.String()},
			recordLinks(body), "newest first; another user's private-scope record is not listed")
		require.NotContains(t, body, private.ID.String())
		res, _ = re.c.Get(t, "/records/"+private.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		res, _ = re.c.Get(t, "/records/"+public.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `href="/records/new"`)
		require.Contains(t, body, "山田 太郎")
		require.Contains(t, body, "下書き")
		require.Contains(t, body, "コメント 1")
		require.Regexp(t, `\d{4}/\d{2}/\d{2}\([日月火水木金土]\) \d{2}:\d{2}`, body)

		_, body = re.c.Get(t, "/?q="+url.QueryEscape("見積"))
		require.Equal(t, []string{rSato.ID.String()}, recordLinks(body), "memo search")
		_, body = re.c.Get(t, "/?q="+url.QueryEscape("やまだ"))
		require.Equal(t, []string{rYamada.ID.String()}, recordLinks(body), "customer reading, hiragana")
		_, body = re.c.Get(t, "/?drafts=1")
		require.Equal(t, []string{draft.ID.String()}, recordLinks(body))
		require.Contains(t, body, `name="drafts" value="1" checked`)

		_, body = re.c.Get(t, "/?sort=customer")
		require.Equal(t, []string{rSato.ID.String(), public.ID.String(), rYamada.ID.String(), draft.ID.String()},
			recordLinks(body), "サトウ, スズキ, ヤマダ, then the draft")

		for range 8 {
			re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, PublicMemo: "追加"})
		}
		_, body = re.c.Get(t, "/?limit=10")
		first := recordLinks(body)
		require.Len(t, first, 10)
		m := regexp.MustCompile(`<a class="next" href="(/\?[^"]+)"`).FindStringSubmatch(body)
		require.NotNil(t, m, "a next page link")
		next := strings.ReplaceAll(m[1], "&amp;", "&")
		require.Contains(t, next, "limit=10")
		_, body = re.c.Get(t, next)
		second := recordLinks(body)
		require.Len(t, second, 2)
		require.NotContains(t, first, second[0])
		require.NotContains(t, body, `class="next"`)
		require.Equal(t, rSato.ID.String(), second[1], "the oldest comes last")
	})
}

// testJPEG encodes a small photo.
func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: uint8(y * 5), B: 90, A: 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

type part struct {
	field, name string
	body        []byte
}

// postMultipart sends fields and files as multipart/form-data.
func postMultipart(t *testing.T, c *servertest.Client, path string, fields url.Values, files ...part) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	require.NoError(t, w.WriteField("_csrf", c.CSRF))
	for k, vs := range fields {
		for _, v := range vs {
			require.NoError(t, w.WriteField(k, v))
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f.field, f.name)
		require.NoError(t, err)
		_, err = fw.Write(f.body)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, path, &b)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(t, req)
}

func TestRecordCreateWithPhoto(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		res, body := re.c.Get(t, "/records/new?customer="+re.yamada.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="customer_id" value="`+re.yamada.String()+`" checked`)
		require.Contains(t, body, `capture="environment"`)
		require.Contains(t, body, `<option value="builtin:interview" selected>`)

		photo := testJPEG(t)
		res, _ = postMultipart(t, re.c, "/records", url.Values{
			"customer_id": {re.yamada.String()}, "template": {template.KeyInterview},
			"actual_at": {"2026-11-20T14:30"}, "public_memo": {"保険の説明をした"}, "private_memo": {"奥様が同席"},
			"f.place": {"ご自宅"}, "f.purpose": {"提案"}, "important": {"1"},
		}, part{"photos", "メモの写真.jpg", photo})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		loc := servertest.Location(res)
		require.Regexp(t, `^/records/[0-9a-f-]{36}$`, loc)
		id := uuid.MustParse(strings.TrimPrefix(loc, "/records/"))
		rec, err := re.App.Records.Get(re.ctx, id)
		require.NoError(t, err)
		require.Equal(t, re.yamada, rec.Customer)
		require.Equal(t, "ご自宅", rec.Values["place"])
		require.True(t, rec.Important)
		require.Equal(t, "2026-11-20T05:30:00Z", rec.ActualAt.UTC().Format("2006-01-02T15:04:05Z"), "JST input")
		require.Len(t, rec.Attachments, 1)
		a := rec.Attachments[0]

		res, body = re.c.Get(t, loc)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, fmt.Sprintf(`<img class="thumb" src="/files/%s/thumb"`, a.ID))
		require.Contains(t, body, fmt.Sprintf(`href="/files/%s"`, a.ID))
		require.True(t, servertest.Contains(body, "山田 太郎", "保険の説明をした", "奥様が同席", "面談場所", "ご自宅", "提案", "面談記録"))
		require.Contains(t, body, "2026/11/20(金) 14:30")

		res, thumb := re.c.Get(t, "/files/"+a.ID.String()+"/thumb")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "image/jpeg", res.Header.Get("Content-Type"))
		_, err = jpeg.Decode(strings.NewReader(thumb))
		require.NoError(t, err)

		res, full := re.c.Get(t, "/files/"+a.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "image/jpeg", res.Header.Get("Content-Type"))
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "sandbox", res.Header.Get("Content-Security-Policy"))
		require.Contains(t, res.Header.Get("Cache-Control"), "private")
		require.Equal(t, `inline; filename="_____.jpg"; filename*=UTF-8''%E3%83%A1%E3%83%A2%E3%81%AE%E5%86%99%E7%9C%9F.jpg`,
			res.Header.Get("Content-Disposition"))
		cfg, err := jpeg.DecodeConfig(strings.NewReader(full))
		require.NoError(t, err)
		require.Equal(t, 64, cfg.Width)

		// A file the engine refuses: nothing is saved, the form comes back
		// with the input and the files (see also TestRecordFormSavesAtomically).
		res, body = postMultipart(t, re.c, "/records", url.Values{
			"customer_id": {re.sato.String()}, "template": {template.KeyInterview}, "public_memo": {"資料を受領"},
		}, part{"files", "notes.txt", []byte("just text, not a photo\n")})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "記録は保存されていません", "notes.txt: ", "資料を受領"))
		page, err := re.App.Records.Search(re.ctx, contactlog.Query{Customer: re.sato, WithDetails: true})
		require.NoError(t, err)
		require.Empty(t, page.Records)
		page.Records = append(page.Records, *re.record(t, re.ctx, contactlog.Entry{Customer: re.sato, PublicMemo: "資料を受領"}))

		// Files added to an existing record.
		res, _ = postMultipart(t, re.c, "/records/"+page.Records[0].ID.String()+"/files", nil,
			part{"files", "追加.jpg", photo})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		as, err := re.App.Records.Attachments().List(re.ctx, page.Records[0].ID)
		require.NoError(t, err)
		require.Len(t, as, 1)
		require.Equal(t, "追加.jpg", as[0].Name)
	})
}

func TestRecordFormKeepsInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		res, body := postMultipart(t, re.c, "/records", url.Values{
			"customer_id": {re.yamada.String()}, "template": {template.KeyInterview},
			"actual_at": {"2099-01-01T10:00"}, "public_memo": {"来月また伺う約束"}, "f.hearing": {"子供の教育資金"},
		}, part{"photos", "p.jpg", testJPEG(t)})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "来月また伺う約束", "the typed memo is kept")
		require.Contains(t, body, "子供の教育資金")
		require.Contains(t, body, `value="2099-01-01T10:00" aria-invalid="true"`)
		require.Contains(t, body, "範囲外の値です")
		require.Contains(t, body, "p.jpg", "the chosen file is kept, shown as attached")
		page, err := re.App.Records.Search(re.ctx, contactlog.Query{})
		require.NoError(t, err)
		require.Empty(t, page.Records)

		// A required template field, next to its input.
		_, body = re.c.Post(t, "/records", url.Values{"template": {template.KeyClaim}, "public_memo": {"苦情の内容"},
			"f.kind": {"クレーム"}})
		require.Contains(t, body, `name="f.title"`)
		require.Regexp(t, `name="f.title" value=""\s*aria-invalid="true"`, body)
		require.Contains(t, body, "苦情の内容")
		require.Contains(t, body, `<option value="クレーム" selected>`)

		// A malformed time is refused by the form itself.
		res, body = re.c.Post(t, "/records", url.Values{"actual_at": {"昨日"}, "public_memo": {"メモ"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "形式が正しくありません")
	})
}

func TestRecordCustomerSearchByKana(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		res, body := postMultipart(t, re.c, "/records", url.Values{"op": {"find"}, "customer_q": {"やまだ"},
			"public_memo": {"検索前に書いたメモ"}, "template": {template.KeyInterview}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="customer_id" value="`+re.yamada.String()+`"`)
		require.NotContains(t, body, re.sato.String())
		require.Contains(t, body, "顧客なし（下書き）")
		require.Contains(t, body, "検索前に書いたメモ")
		require.Contains(t, body, "ヤマダ タロウ")

		_, body = re.c.Post(t, "/records", url.Values{"op": {"template"}, "template": {template.KeyClaim},
			"public_memo": {"切り替え前のメモ"}})
		require.True(t, servertest.Contains(body, `<option value="builtin:claim" selected>`, `name="f.title"`, "切り替え前のメモ"))
		require.NotContains(t, body, `name="f.place"`)
		require.Contains(t, body, `<option value="builtin:usage" >`, "templates with lines fields are offered (the form writes their lines)")

		_, body = re.c.Post(t, "/records", url.Values{"op": {"find"}, "customer_q": {"佐藤"}})
		require.Contains(t, body, `name="customer_id" value="`+re.sato.String()+`"`)
		_, body = re.c.Post(t, "/records", url.Values{"op": {"find"}, "customer_q": {"存在しない人"}})
		require.Contains(t, body, "該当する顧客が見つかりません")
	})
}

func TestRecordFilesCommentsEdit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, PublicMemo: "最初のメモ"})
		as, err := re.App.Records.Attachments().Add(re.ctx, rec.ID, contactlog.Upload{
			AttachmentMeta: contactlog.AttachmentMeta{Name: "a.jpg"}, Body: bytes.NewReader(testJPEG(t))})
		require.NoError(t, err)
		a := as[0]
		base := url.Values{"record": {rec.ID.String()}}
		with := func(kv ...string) url.Values {
			v := url.Values{}
			for k, vs := range base {
				v[k] = vs
			}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		reload := func() contactlog.Attachment {
			as, err := re.App.Records.Attachments().List(re.ctx, rec.ID)
			require.NoError(t, err)
			require.Len(t, as, 1)
			return as[0]
		}

		res, _ := re.c.Post(t, "/files/"+a.ID.String(), with("name", "契約書の写真.jpg", "version", fmt.Sprint(a.Version)))
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		a = reload()
		require.Equal(t, "契約書の写真.jpg", a.Name)
		res, _ = re.c.Post(t, "/files/"+a.ID.String(), with("name", a.Name, "important", "1", "version", fmt.Sprint(a.Version)))
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		a = reload()
		require.True(t, a.Important)
		res, _ = re.c.Post(t, "/files/"+a.ID.String(), with("name", a.Name, "important", "1", "shared", "1", "version", fmt.Sprint(a.Version)))
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		a = reload()
		require.True(t, a.Important)
		require.True(t, a.Shared)
		_, body := re.c.Get(t, "/records/"+rec.ID.String())
		require.True(t, servertest.Contains(body, "☆重要を外す", "共有をやめる", "契約書の写真.jpg"))

		res, _ = re.c.Post(t, "/files/"+a.ID.String(), with("name", "a/b.jpg", "version", fmt.Sprint(a.Version)))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a bad name is refused")
		// From the record page (which names the record), the refused name
		// stays in its input and the problem names it.
		res, body = re.c.Post(t, "/files/"+a.ID.String(), with("name", "a/b.jpg", "version", fmt.Sprint(a.Version), "record", rec.ID.String()))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="name" value="a/b.jpg"`)
		require.Contains(t, html.UnescapeString(body), "a/b.jpg: ファイル名")
		res, _ = re.c.Post(t, "/files/"+a.ID.String()+"/delete", with("version", fmt.Sprint(a.Version-1), "confirm", "1"))
		require.Equal(t, http.StatusConflict, res.StatusCode)
		res, body = re.c.Post(t, "/files/"+a.ID.String()+"/delete", with("version", fmt.Sprint(a.Version)))
		require.Equal(t, http.StatusOK, res.StatusCode, "unconfirmed: asks")
		require.True(t, servertest.Contains(body, "削除してよろしいですか？", `name="confirm" value="1"`))
		require.Len(t, reload().Name, len(a.Name), "not deleted yet")
		res, _ = re.c.Post(t, "/files/"+a.ID.String()+"/delete", with("version", fmt.Sprint(a.Version), "confirm", "1"))
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		as, err = re.App.Records.Attachments().List(re.ctx, rec.ID)
		require.NoError(t, err)
		require.Empty(t, as)
		res, _ = re.c.Get(t, "/files/"+a.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		// Comments.
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/comments", url.Values{"body": {"確認しました"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = re.c.Get(t, "/records/"+rec.ID.String())
		require.True(t, servertest.Contains(body, "確認しました", "記録 担当"))
		cs, err := re.App.Records.Comments().List(re.ctx, rec.ID)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		res, _ = re.c.Post(t, "/comments/"+cs[0].ID.String()+"/delete",
			url.Values{"record": {rec.ID.String()}, "version": {fmt.Sprint(cs[0].Version)}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = re.c.Get(t, "/records/"+rec.ID.String())
		require.NotContains(t, body, "確認しました")
		require.Contains(t, body, "削除されました")
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/comments", url.Values{"body": {"  "}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)

		// Edit, then a stale edit.
		res, body = re.c.Get(t, "/records/"+rec.ID.String()+"/edit")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "最初のメモ")
		require.Contains(t, body, fmt.Sprintf(`name="version" value="%d"`, rec.Version))
		actual := rec.ActualAt.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02T15:04")
		require.Contains(t, body, `value="`+actual+`"`)
		edit := url.Values{"version": {fmt.Sprint(rec.Version)}, "customer_id": {re.yamada.String()}, "actual_at": {actual},
			"public_memo": {"書き直したメモ"}, "f.place": {"喫茶店"}}
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/edit", edit)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		got, err := re.App.Records.Get(re.ctx, rec.ID)
		require.NoError(t, err)
		require.Equal(t, "書き直したメモ", got.PublicMemo)
		require.Equal(t, "喫茶店", got.Values["place"])
		require.Equal(t, rec.ActualAt.Truncate(time.Minute).Unix(), got.ActualAt.Unix())
		edit.Set("public_memo", "古い版からの上書き")
		res, body = re.c.Post(t, "/records/"+rec.ID.String()+"/edit", edit)
		require.Equal(t, http.StatusConflict, res.StatusCode)
		require.Contains(t, body, "他の人が先に更新しました")

		// Next record, then delete.
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/next", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Regexp(t, `^/records/[0-9a-f-]{36}/edit$`, servertest.Location(res))
		_, body = re.c.Get(t, "/records/"+rec.ID.String())
		require.Regexp(t, `<details class="confirm">\s*<summary class="button danger">記録を削除</summary>`, body, "asks first")
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/delete", url.Values{"version": {fmt.Sprint(got.Version)}})
		require.Equal(t, http.StatusOK, res.StatusCode, "unconfirmed: asks")
		res, _ = re.c.Get(t, "/records/"+rec.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode, "still there")
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/delete", url.Values{"version": {fmt.Sprint(got.Version)}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		top := servertest.Location(res)
		res, _ = re.c.Get(t, "/records/"+rec.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		// 元に戻す from the top page.
		_, body = re.c.Get(t, top)
		require.Contains(t, body, `action="/records/`+rec.ID.String()+`/restore"`)
		m := regexp.MustCompile(`/restore"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]*"><input type="hidden" name="version" value="(\d+)">`).FindStringSubmatch(body)
		require.NotNil(t, m)
		res, _ = re.c.Post(t, "/records/"+rec.ID.String()+"/restore", url.Values{"version": {m[1]}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = re.c.Get(t, "/records/"+rec.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode, "restored")
		res, _ = re.c.Get(t, "/records/not-a-uuid")
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

func TestRecordUploadControlCharacterInFileName(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, PublicMemo: "写真を追加する"})
		photo := testJPEG(t)
		for _, tc := range []struct {
			disposition string
			status      int
		}{
			// A raw control character breaks the part's header line.
			{"form-data; name=\"files\"; filename=\"memo\x01.jpg\"", http.StatusBadRequest},
			{"form-data; name=\"files\"; filename=\"memo\x7f.jpg\"", http.StatusBadRequest},
			{"form-data; name=\"files\"; filename=\"a\x1b[31m.jpg\"", http.StatusBadRequest},
			// Percent-encoded (RFC 2231), it reaches the engine, which refuses it.
			{"form-data; name=\"files\"; filename*=UTF-8''memo%01.jpg", http.StatusUnprocessableEntity},
			{"form-data; name=\"files\"; filename*=UTF-8''memo%09.jpg", http.StatusUnprocessableEntity},
		} {
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			require.NoError(t, w.WriteField("_csrf", re.c.CSRF))
			pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {tc.disposition},
				"Content-Type": {"image/jpeg"}})
			require.NoError(t, err)
			_, err = pw.Write(photo)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			req, err := http.NewRequest(http.MethodPost, "/records/"+rec.ID.String()+"/files", &b)
			require.NoError(t, err)
			req.Header.Set("Content-Type", w.FormDataContentType())
			res, body := re.c.Do(t, req)
			require.Equal(t, tc.status, res.StatusCode, tc.disposition)
			require.Contains(t, body, "ファイル名", "the field is named: %s", tc.disposition)
			require.NotContains(t, body, "\x01", "the name is shown without its control character")
		}
		as, err := re.App.Records.Attachments().List(re.ctx, rec.ID)
		require.NoError(t, err)
		require.Empty(t, as)
	})
}

// TestUserFilesCannotRunScript: a PDF (which may carry script) is
// downloaded, never shown in the site's origin; every user file and
// thumbnail is sandboxed and not sniffed; photos still preview inline.
func TestUserFilesCannotRunScript(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, PublicMemo: "資料"})
		pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (alert(1)) >> >>\nendobj\n" +
			"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
		as, err := re.App.Records.Attachments().Add(re.ctx, rec.ID,
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "見積.pdf"}, Body: bytes.NewReader(pdf)},
			contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "p.jpg"}, Body: bytes.NewReader(testJPEG(t))})
		require.NoError(t, err)
		for _, tc := range []struct{ path, disposition string }{
			{"/files/" + as[0].ID.String(), "attachment;"},
			{"/files/" + as[1].ID.String(), "inline;"},
			{"/files/" + as[1].ID.String() + "/thumb", "inline;"},
		} {
			res, _ := re.c.Get(t, tc.path)
			require.Equal(t, http.StatusOK, res.StatusCode, tc.path)
			require.True(t, strings.HasPrefix(res.Header.Get("Content-Disposition"), tc.disposition), tc.path)
			require.Equal(t, "sandbox", res.Header.Get("Content-Security-Policy"), tc.path)
			require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), tc.path)
		}
	})
}

// The top page offers every colleague in its responder filter and names
// the responders of its rows without reading the staff list again while
// the directory has not changed (the principal cache holds it); a
// colleague added meanwhile, by any process, is offered at the next load.
func TestTopPageStaffFromCache(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		helper := re.User(t, "補助 花子", "ホジョ ハナコ", "helper@example.jp")
		_, err := re.App.Records.Create(re.ctx, contactlog.Entry{Template: template.KeyInterview, Customer: re.yamada,
			Responders: []uuid.UUID{re.staff, helper}, PublicMemo: "訪問"})
		require.NoError(t, err)
		res, body := re.c.Get(t, "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "記録 担当、補助 花子")

		rec := dbtest.Record(db)
		res, body = re.c.Get(t, "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "記録 担当、補助 花子")
		stmts := rec.Take()
		for _, s := range stmts {
			require.NotContains(t, s, "staff_users", "a current directory costs no staff read: %s", s)
		}

		re.User(t, "新人 一郎", "シンジン イチロウ", "new@example.jp")
		_, body = re.c.Get(t, "/")
		require.Contains(t, body, ">新人 一郎</option>")
	})
}

// warmTopPage sets up a record environment on db with one interview
// record, runs setup on it, loads the top page once (filling the caches)
// and returns the second load's body and the statements it issued.
func warmTopPage(t *testing.T, db *bun.DB, setup func(*recordEnv)) (string, []string) {
	t.Helper()
	re := newRecordEnv(t, db)
	_, err := re.App.Records.Create(re.ctx, contactlog.Entry{Template: template.KeyInterview, Customer: re.yamada,
		Responders: []uuid.UUID{re.staff}, PublicMemo: "訪問"})
	require.NoError(t, err)
	setup(re)
	res, _ := re.c.Get(t, "/")
	require.Equal(t, http.StatusOK, res.StatusCode)

	rec := dbtest.Record(db)
	res, body := re.c.Get(t, "/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	return body, rec.Take()
}

// The top page reads its tenant's version once per request, for the
// principal, the staff names, the masters, the ranks and the templates
// together, and reads none of those while the version has not moved.
func TestTopPageReadsTheVersionOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		body, stmts := warmTopPage(t, db, func(*recordEnv) {})
		require.Contains(t, body, "提案中")
		versions := 0
		for _, s := range stmts {
			if strings.Contains(s, "directory_version") {
				versions++
			}
			for _, table := range []string{"contact_masters", "customer_ranks", "customer_fields", "staff_users", "template_heads"} {
				require.NotContains(t, s, table, "a current tenant version costs no settings read: %s", s)
			}
		}
		require.Equal(t, 1, versions, "%q", stmts)
		t.Logf("%d statements", len(stmts))
	})
}

// A top page costs a fixed set of statements while the tenant's version
// has not moved: the session (with the version), the notices of the day,
// the six open requests the box needs (five shown, one telling there are
// more) with their recipients, the record page with its people, files and
// comments, and the customers' names with portal marks (the notices and
// the requests possibly beside the records). A statement added to every
// request, or a requests box that reads a whole page again, fails here.
func TestTopPageStatements(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		body, stmts := warmTopPage(t, db, func(re *recordEnv) {
			for i := range 8 {
				_, err := re.App.Schedule.CreateRequest(re.ctx, schedule.RequestInput{Title: fmt.Sprintf("課題%d", i)})
				require.NoError(t, err)
			}
		})
		require.Contains(t, body, "課題3", "the newest five of the eight")
		require.NotContains(t, body, "課題2")
		require.Contains(t, body, msg.T("requests.top_more"))
		require.Contains(t, body, `<small class="badge">`+msg.T("requests.task")+`</small>`,
			"the recipients read with the requests: each is its author's own task")
		// The notices and the requests may be read beside the records
		// (UI.beside): each sequence keeps its order, the two interleave.
		records := []string{"contact_records", "contact_record_people", "contact_attachments", "contact_record_comments", "portal_accounts"}
		side := []string{"schedule_notices", "schedule_requests"}
		require.Len(t, stmts, 1+len(records)+len(side), "%q", stmts)
		require.Contains(t, stmts[0], "server_sessions")
		var main, beside []string
		for _, st := range stmts[1:] {
			if strings.Contains(st, "schedule_") {
				beside = append(beside, st)
			} else {
				main = append(main, st)
			}
		}
		require.Len(t, beside, len(side), "%q", stmts)
		for i, table := range side {
			require.Contains(t, beside[i], table, "side statement %d", i)
		}
		for i, table := range records {
			require.Contains(t, main[i], table, "statement %d of the records", i)
		}
		require.True(t, strings.HasSuffix(beside[1], "LIMIT 6"), "the requests box reads six requests: %s", beside[1])
	})
}

// The top page's rows are written in Go (markup.go): what users typed —
// a customer's name, a memo — comes out escaped, never as markup.
func TestTopPageEscapesWhatUsersTyped(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		name := `<script>alert("x")</script>&'+`
		id := re.customer(t, name, "太郎", "ヤマダ", "タロウ")
		re.record(t, re.ctx, contactlog.Entry{Customer: id, PublicMemo: `<img src=x onerror="alert(1)">見積`})
		res, body := re.c.Get(t, "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotContains(t, body, "<script>alert")
		require.NotContains(t, body, "<img src=x")
		require.Contains(t, body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;+`)
		require.Contains(t, body, `&lt;img src=x onerror=&#34;alert(1)&#34;&gt;見積`)
	})
}
