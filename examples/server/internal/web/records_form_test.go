package web_test

import (
	"fmt"
	"net/http"
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
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var uploadSet = regexp.MustCompile(`name="upload_set" value="([0-9a-f]{32})"`)

// spoolToken is the upload set the form carries.
func spoolToken(t *testing.T, body string) string {
	t.Helper()
	m := uploadSet.FindStringSubmatch(body)
	require.NotNil(t, m, "the form carries its upload set")
	return m[1]
}

// spooledNames lists the files the form shows as chosen.
func spooledNames(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<li class="spooled-file">([^<]+) <small>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func (re *recordEnv) records(t *testing.T) []contactlog.Record {
	t.Helper()
	page, err := re.App.Records.Search(re.ctx, contactlog.Query{WithDetails: true})
	require.NoError(t, err)
	return page.Records
}

// TestRecordFormAsksForTypedCustomer: a name typed in the customer box but
// no customer chosen is never saved as a draft: the form comes back with
// the candidates (or "not found") and everything typed.
func TestRecordFormAsksForTypedCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		sakai := re.customer(t, "酒井", "一郎", "サカイ", "イチロウ")
		form := url.Values{"template": {template.KeyInterview}, "customer_q": {"さかい"}, "public_memo": {"訪問して見積を渡した"},
			"op": {"save"}}
		res, body := postMultipart(t, re.c, "/records", form, part{"photos", "名刺.jpg", testJPEG(t)})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "「さかい」に当たる顧客がまだ選ばれていません", "訪問して見積を渡した",
			`name="customer_id" value="`+sakai.String()+`"`, "サカイ イチロウ", "名刺.jpg"))
		require.NotContains(t, body, `value="none" checked`, "the draft is not pre-selected")
		require.Empty(t, re.records(t), "no draft was saved")

		form.Set("customer_q", "存在しない人")
		res, body = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "該当する顧客が見つかりません", "「存在しない人」に当たる顧客"))
		require.Empty(t, re.records(t))

		// Choosing the candidate saves it; choosing 顧客なし saves a draft.
		form.Set("upload_set", spoolToken(t, body))
		form.Set("customer_id", sakai.String())
		form.Set("customer_q", "さかい")
		res, _ = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		form.Set("customer_id", "none")
		form.Del("upload_set")
		res, _ = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recs := re.records(t)
		require.Len(t, recs, 2)
		require.True(t, recs[0].IsDraft())
		require.Equal(t, sakai, recs[1].Customer)
	})
}

// TestRecordFormKeepsFilesAcrossRoundTrips: a photo chosen before the
// customer survives the customer search, a template switch, a validation
// error and a removal of another file, and is saved with the record; the
// set is the user's own.
func TestRecordFormKeepsFilesAcrossRoundTrips(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		photo := testJPEG(t)
		form := url.Values{"template": {template.KeyInterview}, "customer_q": {"やまだ"}, "public_memo": {"写真が先"}, "op": {"find"}}
		res, body := postMultipart(t, re.c, "/records", form, part{"photos", "先に撮った.jpg", photo})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, []string{"先に撮った.jpg"}, spooledNames(body))
		require.Contains(t, body, `name="customer_id" value="`+re.yamada.String()+`"`)
		token := spoolToken(t, body)

		form = url.Values{"upload_set": {token}, "template": {template.KeyClaim}, "public_memo": {"写真が先"},
			"customer_id": {re.yamada.String()}, "op": {"template"}}
		_, body = postMultipart(t, re.c, "/records", form, part{"files", "余分.jpg", photo})
		require.Equal(t, []string{"先に撮った.jpg", "余分.jpg"}, spooledNames(body), "kept across the template switch")
		require.Contains(t, body, `<option value="builtin:claim" selected>`)
		m := regexp.MustCompile(`value="remove_file:([0-9a-f-]{36})"`).FindAllStringSubmatch(body, -1)
		require.Len(t, m, 2)

		// Another user cannot see or take the set.
		re.User(t, "別の 担当", "ベツノ タントウ", "other@example.jp")
		oc := login(t, re.Env, "other@example.jp")
		_, obody := postMultipart(t, oc, "/records", url.Values{"upload_set": {token}, "op": {"refresh"}})
		require.Empty(t, spooledNames(obody))

		form.Set("op", "remove_file:"+m[1][1])
		_, body = postMultipart(t, re.c, "/records", form)
		require.Equal(t, []string{"先に撮った.jpg"}, spooledNames(body), "removed")

		// A validation error (a required field of the claim template).
		form.Set("op", "save")
		res, body = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Equal(t, []string{"先に撮った.jpg"}, spooledNames(body), "kept across an error")

		form.Set("f.kind", "提案")
		form.Set("f.title", "陳列の提案")
		form.Set("f.content", "棚の配置")
		res, _ = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recs := re.records(t)
		require.Len(t, recs, 1)
		require.Len(t, recs[0].Attachments, 1)
		require.Equal(t, "先に撮った.jpg", recs[0].Attachments[0].Name)

		// The set is emptied once saved.
		_, body = postMultipart(t, re.c, "/records", url.Values{"upload_set": {token}, "op": {"refresh"}})
		require.Empty(t, spooledNames(body))
		n := 0
		for _, err := range re.App.Blobs.List(t.Context(), "t/"+re.Tenant.String()+"/p/") {
			require.NoError(t, err)
			n++
		}
		require.Zero(t, n, "nothing left in the spool")
	})
}

// TestRecordFormEnterSaves: the form's first submit button (the one Enter
// in a text box presses) saves; searching needs its own button.
func TestRecordFormEnterSaves(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		for _, path := range []string{"/records/new", "/records/" + re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada}).ID.String() + "/edit"} {
			_, body := re.c.Get(t, path)
			form := body[strings.Index(body, `class="stack record-form"`):]
			first := regexp.MustCompile(`<button[^>]*>`).FindString(form)
			require.Contains(t, first, `type="submit" name="op" value="save"`, path)
		}
	})
}

// TestRecordFormCategory2FollowsCategory1 without a script: the refresh
// re-renders the form with 分類2's options of the chosen 分類1, keeping the
// rest; archived items are not offered but a record keeps its own.
func TestRecordFormCategory2FollowsCategory1(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		_, body := postMultipart(t, re.c, "/records", url.Values{"op": {"refresh"}, "category1": {"support"},
			"public_memo": {"分類を変えた"}, "customer_id": {re.yamada.String()}}, part{"photos", "p.jpg", testJPEG(t)})
		require.True(t, servertest.Contains(body, `<option value="inspection" >点検</option>`, `<option value="repair" >修理</option>`,
			"分類を変えた", `<option value="support" selected>`, "p.jpg"))
		require.NotContains(t, body, `value="new_purchase"`)

		admin := re.User(t, "管理 者", "カンリ シャ", "admin@example.jp", permission.RoleAdmin)
		actx := re.Ctx(t, admin)
		items, err := re.App.Records.Masters().List(actx, contactlog.MasterChannel)
		require.NoError(t, err)
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, Channel: "letter"})
		for i := range items {
			items[i].Archived = items[i].Code == "letter"
		}
		require.NoError(t, re.App.Records.Masters().Set(actx, contactlog.MasterChannel, items))
		_, body = re.c.Get(t, "/records/new")
		require.NotContains(t, body, `value="letter"`, "archived: not offered")
		_, body = re.c.Get(t, "/records/"+rec.ID.String()+"/edit")
		require.Contains(t, body, `<option value="letter" selected>郵送</option>`, "kept on the record")
	})
}

// TestRecordFormSavesAtomically: a refused third file leaves neither a
// record nor an attachment; the input and all three files are kept.
func TestRecordFormSavesAtomically(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		photo := testJPEG(t)
		res, body := postMultipart(t, re.c, "/records", url.Values{"op": {"save"}, "customer_id": {re.yamada.String()},
			"public_memo": {"三つ目が不正"}, "template": {template.KeyInterview}},
			part{"photos", "1.jpg", photo}, part{"photos", "2.jpg", photo}, part{"files", "3.txt", []byte("text")})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "記録は保存されていません", "3.txt: ", "三つ目が不正"))
		require.Equal(t, []string{"1.jpg", "2.jpg", "3.txt"}, spooledNames(body))
		require.Empty(t, re.records(t))
		n := 0
		for _, err := range re.App.Blobs.List(t.Context(), "t/"+re.Tenant.String()+"/a/") {
			require.NoError(t, err)
			n++
		}
		require.Zero(t, n, "no attachment bytes left behind")

		// Without the refused file, it saves.
		m := regexp.MustCompile(`value="remove_file:([0-9a-f-]{36})"`).FindAllStringSubmatch(body, -1)
		require.Len(t, m, 3)
		form := url.Values{"upload_set": {spoolToken(t, body)}, "customer_id": {re.yamada.String()},
			"public_memo": {"三つ目が不正"}, "template": {template.KeyInterview}, "op": {"remove_file:" + m[2][1]}}
		_, _ = postMultipart(t, re.c, "/records", form)
		form.Set("op", "save")
		res, _ = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recs := re.records(t)
		require.Len(t, recs, 1)
		require.Len(t, recs[0].Attachments, 2)
	})
}

// TestRecordFormStoresEveryField: each field of the form is stored, shown
// on the edit form and kept when the form comes back with an error.
func TestRecordFormStoresEveryField(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		tenant := re.Tenant
		peer := re.User(t, "同行 次郎", "ドウコウ ジロウ", "peer@example.jp")
		boss := re.User(t, "上司 花子", "ジョウシ ハナコ", "boss@example.jp")
		g, err := re.App.Dir.CreateGroup(t.Context(), tenant, "営業1課")
		require.NoError(t, err)

		// The staff picker finds colleagues by reading, in hiragana.
		_, body := postMultipart(t, re.c, "/records", url.Values{"op": {"staff_find"}, "staff_q": {"どうこう"}})
		require.Contains(t, body, `name="participants" value="`+peer.String()+`"`)
		require.NotContains(t, body, `name="participants" value="`+boss.String()+`"`)
		// 参加社員を報告先に追加.
		_, body = postMultipart(t, re.c, "/records", url.Values{"op": {"report_peers"}, "participants": {peer.String()}})
		require.Regexp(t, `name="report_to" value="`+peer.String()+`" aria-label="[^"]*" checked`, body)

		form := url.Values{
			"op": {"save"}, "template": {template.KeySales}, "customer_id": {re.yamada.String()},
			"planned_at": {"2026-11-20T10:00"}, "actual_at": {"2026-11-20T10:30"}, "end_at": {"2026-11-20T11:45"},
			"responders": {re.staff.String(), peer.String()}, "participants": {peer.String()}, "report_to": {boss.String()},
			"channel": {"visit"}, "result": {"met"}, "summary": {"proposal"}, "summary_text": {"新商品の説明"},
			"progress": {"proposing"}, "category1": {"product"}, "category2": {"replacement"},
			"department": {"総務部"}, "contact_persons": {"鈴木 課長\n田中 主任"}, "customer_participants": {"佐々木 部長"},
			"scope_kind": {"groups"}, "scope_groups": {g.ID.String()},
			"expense_rows": {"2"}, "exp.route.0": {"新宿→横浜"}, "exp.means.0": {"電車"}, "exp.amount.0": {"５８０"},
			"exp.route.1": {"横浜駅→客先"}, "exp.means.1": {"タクシー"}, "exp.amount.1": {"1,200"}, "exp.kind.1": {"per_diem"},
			"public_memo": {"商談メモ"}, "f.probability": {"A"},
		}
		// An error elsewhere keeps every field.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("exp.amount.1", "千二百")
		res, body := postMultipart(t, re.c, "/records", bad)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, `value="2026-11-20T10:00"`, `value="2026-11-20T11:45"`, `<option value="proposing" selected>`,
			`<option value="replacement" selected>`, "新商品の説明", "総務部", "鈴木 課長\n田中 主任", `value="新宿→横浜"`,
			`value="千二百" aria-invalid="true"`, `<option value="per_diem" selected>日当</option>`, `name="scope_groups" value="`+g.ID.String()+`" checked`,
			`name="report_to" value="`+boss.String()+`" aria-label="上司 花子 報告先" checked`))

		// An end before the start comes back named, with the times kept.
		bad = url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("end_at", "2026-11-20T09:00")
		res, body = postMultipart(t, re.c, "/records", bad)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "終了日時が開始（対応日時、なければ予定日時）より前です。",
			`name="end_at" value="2026-11-20T09:00" aria-invalid="true"`))

		res, _ = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recs := re.records(t)
		require.Len(t, recs, 1)
		rec, err := re.App.Records.Get(re.ctx, recs[0].ID)
		require.NoError(t, err)
		require.Equal(t, "2026-11-20T01:00:00Z", rec.PlannedAt.UTC().Format("2006-01-02T15:04:05Z"))
		require.Equal(t, "2026-11-20T02:45:00Z", rec.EndAt.UTC().Format("2006-01-02T15:04:05Z"))
		require.ElementsMatch(t, []uuid.UUID{re.staff, peer}, rec.Responders)
		require.Equal(t, []uuid.UUID{peer}, rec.Participants)
		require.Equal(t, []uuid.UUID{boss}, rec.ReportTo)
		require.Equal(t, []string{"visit", "met", "proposal", "proposing", "product", "replacement", "新商品の説明"},
			[]string{rec.Channel, rec.Result, rec.Summary, rec.Progress, rec.Category1, rec.Category2, rec.SummaryText})
		require.Equal(t, "総務部", rec.Department)
		require.Equal(t, []string{"鈴木 課長", "田中 主任"}, rec.ContactPersons)
		require.Equal(t, []string{"佐々木 部長"}, rec.CustomerParticipants)
		require.Equal(t, permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{g.ID}}, rec.Scope)
		require.Equal(t, []contactlog.Expense{{Route: "新宿→横浜", Means: "電車", Amount: 580},
			{Kind: contactlog.ExpensePerDiem, Route: "横浜駅→客先", Means: "タクシー", Amount: 1200}}, rec.Expenses)

		_, body = re.c.Get(t, "/records/"+rec.ID.String())
		require.True(t, servertest.Contains(body, "<dt>終了日時</dt><dd>2026/11/20(金) 11:45</dd>"))
		_, body = re.c.Get(t, "/records/"+rec.ID.String()+"/edit")
		require.True(t, servertest.Contains(body, `value="2026-11-20T10:00"`, `name="end_at" value="2026-11-20T11:45"`, `<option value="proposing" selected>`,
			"鈴木 課長\n田中 主任", `value="タクシー"`, `value="1200"`, `<option value="per_diem" selected>日当</option>`, `name="scope_kind" value="groups" checked`,
			fmt.Sprintf(`name="participants" value="%s" aria-label="同行 次郎 参加社員" checked`, peer)))
	})
}

// TestRecordPageMailAndNext: 「メール送信」 offers the customer's assignees,
// finds colleagues, names whoever may not see the record and sends nothing
// then; 「次回の記録」 asks for the next planned date.
func TestRecordPageMailAndNext(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		peer := re.User(t, "担当 二郎", "タントウ ジロウ", "peer@example.jp")
		outsider := re.User(t, "外野 三郎", "ソトノ サブロウ", "outsider@example.jp")
		cu, err := re.App.Customers.Create(re.ctx, customer.Profile{FamilyName: "石井", FamilyKana: "イシイ",
			Assignees: []uuid.UUID{re.staff, peer}})
		require.NoError(t, err)
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: cu.ID, PublicMemo: "秘密の商談",
			Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{peer}}})
		path := "/records/" + rec.ID.String()

		_, body := re.c.Get(t, path)
		require.Contains(t, body, `name="to" value="`+peer.String()+`" checked`, "the customer's assignee, checked")
		_, body = re.c.Get(t, path+"?mail_q="+url.QueryEscape("そとの")+"&to="+peer.String()+"&note=x")
		require.Contains(t, body, `name="to" value="`+peer.String()+`" checked`)
		require.Contains(t, body, `name="to" value="`+outsider.String()+`" >`, "found, not checked")

		res, body := re.c.Post(t, path+"/mail", url.Values{"to": {peer.String(), outsider.String()}, "note": {"ご確認を"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "外野 三郎さんはこの記録を閲覧できないため、送信できません。")
		require.Contains(t, body, "ご確認を", "the note is kept")
		_, err = re.App.RunOutbox(t.Context())
		require.NoError(t, err)
		require.Empty(t, re.Mails(), "nothing sent")

		res, _ = re.c.Post(t, path+"/mail", url.Values{"to": {peer.String()}, "note": {"ご確認を"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, err = re.App.RunOutbox(t.Context())
		require.NoError(t, err)
		mails := re.Mails()
		require.Len(t, mails, 1)
		require.Equal(t, "peer@example.jp", mails[0].To[0].Email)
		require.Contains(t, mails[0].Text, "ご確認を")

		// 次回の記録 with its planned date.
		_, body = re.c.Get(t, path)
		require.Contains(t, body, `name="planned_at"`)
		res, _ = re.c.Post(t, path+"/next", url.Values{"planned_at": {"2026-12-24T15:00"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		next := strings.TrimSuffix(strings.TrimPrefix(servertest.Location(res), "/records/"), "/edit")
		got, err := re.App.Records.Get(re.ctx, uuid.MustParse(next))
		require.NoError(t, err)
		require.Equal(t, "2026-12-24T06:00:00Z", got.PlannedAt.UTC().Format("2006-01-02T15:04:05Z"))
		require.Equal(t, rec.ID, got.Source)
	})
}

// TestRecordListDetailedSearchAndExport: the top page shows the contact
// time, the responder and a memo excerpt; 詳細検索 filters by 進捗, ☆,
// template, date range and the customer's rank, and 「この条件でCSV出力」 exports the same rows.
func TestRecordListDetailedSearchAndExport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		at := func(s string) time.Time {
			v, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("JST", 9*3600))
			require.NoError(t, err)
			return v
		}
		y, err := re.App.Customers.Get(re.ctx, re.yamada)
		require.NoError(t, err)
		p := y.Profile
		p.Rank = "A"
		_, err = re.App.Customers.Update(re.ctx, y.ID, y.Version, p)
		require.NoError(t, err)
		won := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, Progress: "won", Important: true,
			ActualAt: at("2026-11-02 10:00"), PublicMemo: "成約しました。ありがとうございました。"})
		re.record(t, re.ctx, contactlog.Entry{Customer: re.sato, Progress: "proposing", Template: template.KeySales,
			Values: map[string]any{"probability": "B"}, ActualAt: at("2026-11-10 10:00"), PublicMemo: "提案中の案件"})
		_, body := re.c.Get(t, "/")
		require.True(t, servertest.Contains(body, "2026/11/02(月) 10:00", "対応者: 記録 担当", "成約しました。ありがとうございました。"))
		for _, q := range []string{"progress=won", "important=1", "template=builtin%3Ainterview", "actual_from=2026-11-01&actual_to=2026-11-02",
			"rank=A"} {
			_, body = re.c.Get(t, "/?"+q)
			require.Equal(t, []string{won.ID.String()}, recordLinks(body), q)
			require.Contains(t, body, `<details class="more" open>`, "詳細検索 stays open: %s", q)
		}
		res, body := re.c.Get(t, "/?actual_from=昨日")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "対応日（から）の指定が正しくありません。")

		_, body = re.c.Get(t, "/?progress=won")
		m := regexp.MustCompile(`href="(/records/export\?[^"]+encoding=utf8)"`).FindStringSubmatch(body)
		require.NotNil(t, m)
		res, csv := re.c.Get(t, strings.ReplaceAll(m[1], "&amp;", "&"))
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, csv, "成約しました")
		require.NotContains(t, csv, "提案中の案件", "the export has the search's rows only")
	})
}

// TestRecordFormReportPatterns: 報告先 is saved as a pattern, filled from
// one (everything typed kept), the message goes with the record, and the
// record page shows it.
func TestRecordFormReportPatterns(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		boss := re.User(t, "上司 花子", "ジョウシ ハナコ", "boss@example.jp")
		clerk := re.User(t, "事務 三郎", "ジム サブロウ", "clerk@example.jp")
		form := url.Values{"template": {template.KeyInterview}, "customer_id": {re.yamada.String()},
			"public_memo": {"見積を渡した"}}
		with := func(kv ...string) url.Values {
			out := url.Values{}
			for k, v := range form {
				out[k] = v
			}
			for i := 0; i+1 < len(kv); i += 2 {
				out.Add(kv[i], kv[i+1])
			}
			return out
		}

		// Saving needs a name and someone in 報告先.
		_, body := postMultipart(t, re.c, "/records", with("op", "save_pattern", "pattern_name", "上長"))
		require.Contains(t, body, "報告先を1人以上選んでから保存してください。")
		_, body = postMultipart(t, re.c, "/records", with("op", "save_pattern", "pattern_name", "上長と事務",
			"report_to", boss.String(), "report_to", clerk.String()))
		require.True(t, servertest.Contains(body, "報告パターン「上長と事務」を保存しました。", "見積を渡した"))
		require.Regexp(t, `<option value="[0-9a-f-]{36}" selected>上長と事務（2人）</option>`, body, "the saved pattern is chosen")
		mine, err := re.App.Records.ReportPatterns().List(re.ctx)
		require.NoError(t, err)
		require.Len(t, mine, 1)
		require.ElementsMatch(t, []uuid.UUID{boss, clerk}, mine[0].Recipients)
		_, body = postMultipart(t, re.c, "/records", with("op", "save_pattern", "pattern_name", "上長と事務",
			"report_to", boss.String()))
		require.Contains(t, body, "既に登録されています。")

		// Choosing it fills 報告先 and keeps the memo; the message is saved.
		_, body = postMultipart(t, re.c, "/records", with("op", "apply_pattern", "report_pattern", mine[0].ID.String()))
		require.True(t, servertest.Contains(body, "報告パターン「上長と事務」の社員を報告先に追加しました。", "見積を渡した",
			`name="report_to" value="`+boss.String()+`" aria-label="上司 花子 報告先" checked`,
			`name="report_to" value="`+clerk.String()+`" aria-label="事務 三郎 報告先" checked`))
		_, body = postMultipart(t, re.c, "/records", with("op", "apply_pattern"))
		require.Contains(t, body, "報告パターンを選んでください。")

		res, _ := postMultipart(t, re.c, "/records", with("op", "save", "report_to", boss.String(), "report_to", clerk.String(),
			"report_message", "ご確認ください。"))
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recs := re.records(t)
		require.Len(t, recs, 1)
		require.Equal(t, "ご確認ください。", recs[0].ReportMessage)
		require.ElementsMatch(t, []uuid.UUID{boss, clerk}, recs[0].ReportTo)
		_, body = re.c.Get(t, "/records/"+recs[0].ID.String())
		require.Contains(t, body, "<dt>報告先へのメッセージ</dt><dd>ご確認ください。</dd>")
		_, body = re.c.Get(t, "/records/"+recs[0].ID.String()+"/edit")
		require.Contains(t, body, ">ご確認ください。</textarea>")

		_, body = postMultipart(t, re.c, "/records", with("op", "delete_pattern", "report_pattern", mine[0].ID.String()))
		require.Contains(t, body, "報告パターンを削除しました。")
		mine, err = re.App.Records.ReportPatterns().List(re.ctx)
		require.NoError(t, err)
		require.Empty(t, mine)
	})
}
