package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// idAfter returns the UUID that follows prefix in s.
func idAfter(t *testing.T, s, prefix string) uuid.UUID {
	t.Helper()
	i := strings.Index(s, prefix)
	require.GreaterOrEqual(t, i, 0, "%q in %q", prefix, s)
	id, err := uuid.Parse(s[i+len(prefix) : i+len(prefix)+36])
	require.NoError(t, err)
	return id
}

// The slot's form finds a customer by reading without script, asks when
// a name was typed but none chosen, and keeps everything typed; the
// saved appointment links to its page from the calendar.
func TestAppointmentFormCustomerPicker(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		form := url.Values{"title": {"定期訪問"}, "date": {"2026-09-24"}, "start": {"10:00"}, "end": {"11:00"},
			"place": {"山田様宅"}, "channel": {"visit"}, "contact_persons": {"山田 花子\n"}, "memo": {"書類を持参"}}
		with := func(kv ...string) url.Values {
			v := url.Values{}
			for k, x := range form {
				v[k] = x
			}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		res, body := re.c.Post(t, "/calendar/new", with("op", "find", "customer_q", "やまだ"))
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="customer_id" value="`+re.yamada.String()+`"`)
		require.Contains(t, body, "ヤマダ タロウ")
		require.NotContains(t, body, re.sato.String())
		require.True(t, servertest.Contains(body, `value="定期訪問"`, "書類を持参", "山田 花子", `<option value="visit" selected>`))

		res, body = re.c.Post(t, "/calendar/new", with("customer_q", "やまだ"))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "typed but not chosen")
		require.Contains(t, body, "「やまだ」に当たる顧客がまだ選ばれていません")
		require.Contains(t, body, "書類を持参")

		res, body = re.c.Post(t, "/calendar/new", with("customer_id", re.yamada.String(), "end", "09:00"))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "ends before it starts")
		require.Contains(t, between(t, body, `name="end"`, "</label>"), "field-error")
		require.Contains(t, body, `value="`+re.yamada.String()+`" checked`, "the chosen customer stays chosen")

		res, _ = re.c.Post(t, "/calendar/new", with("customer_id", re.yamada.String()))
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/calendar?d=2026-09-24", servertest.Location(res))

		_, body = re.c.Get(t, "/calendar?d=2026-09-24")
		day := between(t, body, `id="day-2026-09-24"`, `id="day-2026-09-25"`)
		id := idAfter(t, day, `href="/appointments/`)
		a, err := re.App.Schedule.Appointment(re.ctx, id)
		require.NoError(t, err)
		require.Equal(t, re.yamada, a.Customer)
		require.Equal(t, "visit", a.Channel)
		require.Equal(t, []string{"山田 花子"}, a.ContactPersons)
		require.Equal(t, []uuid.UUID{re.staff}, a.Staff)

		res, body = re.c.Get(t, "/appointments/"+id.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		for _, want := range []string{"定期訪問", "山田 太郎", "訪問", "山田 花子", "書類を持参",
			`href="/records/new?appointment=` + id.String() + `"`} {
			require.Contains(t, body, want)
		}

		// Someone outside the appointment's scope: it does not exist.
		re.User(t, "別 部署", "ベツ ブショ", "other@example.jp")
		_, err = re.App.Schedule.UpdateAppointment(re.ctx, id, a.Version, func() schedule.AppointmentInput {
			in := a.AppointmentInput
			in.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{re.staff}}
			return in
		}())
		require.NoError(t, err)
		res, _ = login(t, re.Env, "other@example.jp").Get(t, "/appointments/"+id.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// 記録を作成 from an appointment opens the record form filled from it;
// a refused save keeps what was typed; the saved record is linked to the
// appointment. From the record, 次回の予定 plans the next appointment or
// links an existing one, and the record page lists them.
func TestRecordFromAppointmentAndNextPlan(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		loc := time.FixedZone("JST", 9*3600)
		start := time.Now().In(loc).Add(-2 * time.Hour).Truncate(time.Minute)
		a, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "定期訪問", Start: start,
			End: start.Add(time.Hour), Customer: re.yamada, Channel: "phone", ContactPersons: []string{"山田 花子"}})
		require.NoError(t, err)

		res, body := re.c.Get(t, "/records/new?appointment="+a.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		stamp := start.Format("2006-01-02T15:04")
		require.True(t, servertest.Contains(body, `id="from-appointment"`, "定期訪問",
			`name="appointment" value="`+a.ID.String()+`"`, `name="appointment_version" value="1"`,
			`value="`+re.yamada.String()+`" checked`, `value="`+stamp+`"`, `<option value="phone" selected>`, "山田 花子"))
		require.Regexp(t, `name="responders" value="`+re.staff.String()+`"[^>]*checked`, body)

		post := url.Values{"appointment": {a.ID.String()}, "appointment_version": {"1"}, "template": {template.KeyInterview},
			"customer_id": {re.yamada.String()}, "actual_at": {"昨日"}, "planned_at": {stamp}, "channel": {"phone"},
			"responders": {re.staff.String()}, "public_memo": {"来月また伺う約束"}, "scope_kind": {"company"}}
		res, body = re.c.Post(t, "/records", post)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "来月また伺う約束", `name="appointment" value="`+a.ID.String()+`"`))

		// Saved against a stale version: the form again, at the new one.
		a, err = re.App.Schedule.UpdateAppointment(re.ctx, a.ID, a.Version, a.AppointmentInput)
		require.NoError(t, err)
		post.Set("actual_at", stamp)
		res, body = re.c.Post(t, "/records", post)
		require.Equal(t, http.StatusConflict, res.StatusCode)
		require.True(t, servertest.Contains(body, "来月また伺う約束", `name="appointment_version" value="2"`))

		post.Set("appointment_version", "2")
		res, _ = re.c.Post(t, "/records", post)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recID := idAfter(t, servertest.Location(res), "/records/")
		a, err = re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, recID, a.Record, "the appointment links to its record")
		rec, err := re.App.Records.Get(re.ctx, recID)
		require.NoError(t, err)
		require.Equal(t, "来月また伺う約束", rec.PublicMemo)
		require.Equal(t, []string{"山田 花子"}, rec.ContactPersons)

		_, body = re.c.Get(t, "/appointments/"+a.ID.String())
		require.Contains(t, body, `href="/records/`+recID.String()+`" id="record"`)
		res, _ = re.c.Get(t, "/records/new?appointment="+a.ID.String())
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "a second record is not offered")
		require.Equal(t, "/records/"+recID.String(), servertest.Location(res))

		// 次回の予定; the record names the appointment it was made from.
		_, body = re.c.Get(t, "/records/"+recID.String())
		require.Contains(t, body, `href="/records/`+recID.String()+`/next-appointment"`)
		require.Contains(t, between(t, body, `id="made-from"`, "</section>"), `href="/appointments/`+a.ID.String()+`">`)
		res, body = re.c.Get(t, "/records/"+recID.String()+"/next-appointment")
		require.Equal(t, http.StatusOK, res.StatusCode)
		nextDay := schedule.DateOf(start.AddDate(0, 0, 7)).String()
		require.True(t, servertest.Contains(body, `value="`+nextDay+`"`, `value="`+re.yamada.String()+`" checked`,
			`<option value="phone" selected>`, "山田 花子"))
		require.NotContains(t, body, `name="customer_id" value="none"`, "the next one keeps the record's customer")

		next := url.Values{"title": {"次回訪問"}, "date": {nextDay}, "start": {"14:00"}, "end": {"13:00"},
			"customer_id": {re.yamada.String()}, "channel": {"phone"}, "place": {"山田様宅"}}
		res, body = re.c.Post(t, "/records/"+recID.String()+"/next-appointment", next)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, `value="次回訪問"`, `value="山田様宅"`))
		next.Set("end", "15:00")
		res, _ = re.c.Post(t, "/records/"+recID.String()+"/next-appointment", next)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/records/"+recID.String(), servertest.Location(res))

		// An appointment already on the calendar can be linked instead.
		later := start.AddDate(0, 0, 30)
		other, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "電話で確認", Start: later, Customer: re.yamada})
		require.NoError(t, err)
		_, body = re.c.Get(t, "/records/"+recID.String()+"/next-appointment")
		linkable := between(t, body, `id="linkable"`, "</section>")
		require.Contains(t, linkable, "電話で確認")
		require.NotContains(t, linkable, "次回訪問", "already the next one")
		res, _ = re.c.Post(t, "/records/"+recID.String()+"/link-next", url.Values{"appointment": {other.ID.String()},
			"version": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)

		_, body = re.c.Get(t, "/records/"+recID.String())
		nexts := between(t, body, `id="next-appointments"`, "</section>")
		require.Contains(t, nexts, "次回訪問")
		require.Contains(t, nexts, "電話で確認")
		require.Less(t, strings.Index(nexts, "次回訪問"), strings.Index(nexts, "電話で確認"), "soonest first")
	})
}

// The customer page lists the customer's upcoming and past appointments,
// each linking to its page, and offers a new one for the customer.
func TestCustomerPageAppointments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		now := time.Now()
		past, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "初回面談",
			Start: now.AddDate(0, 0, -10), End: now.AddDate(0, 0, -10).Add(time.Hour), Customer: re.yamada})
		require.NoError(t, err)
		soon, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "契約手続き",
			Start: now.AddDate(0, 0, 3), Customer: re.yamada})
		require.NoError(t, err)
		_, err = re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "佐藤様訪問",
			Start: now.AddDate(0, 0, 3), Customer: re.sato})
		require.NoError(t, err)

		res, body := re.c.Get(t, "/customers/"+re.yamada.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		upcoming := between(t, body, `id="upcoming"`, "</ul>")
		require.Contains(t, upcoming, `href="/appointments/`+soon.ID.String()+`"`)
		require.Contains(t, upcoming, "契約手続き")
		require.NotContains(t, upcoming, "初回面談")
		pastList := between(t, body, `id="past"`, "</ul>")
		require.Contains(t, pastList, `href="/appointments/`+past.ID.String()+`"`)
		require.NotContains(t, body, "佐藤様訪問")
		require.Contains(t, body, `/calendar/new?customer=`+re.yamada.String())

		res, body = re.c.Get(t, "/calendar/new?customer="+re.yamada.String()+"&date=2026-10-01")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `value="`+re.yamada.String()+`" checked`)
	})
}

// A request to a colleague: both lists show it, the recipient replies
// (an empty reply is refused next to the box) and moves its status; no
// one else sees it. Nobody chosen makes a task for oneself.
func TestRequestPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		colleague := re.User(t, "依頼 先", "イライ サキ", "colleague@example.jp")
		re.User(t, "無関係 者", "ムカンケイ シャ", "outsider@example.jp")
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, ActualAt: time.Now().Add(-time.Hour)})

		res, body := re.c.Get(t, "/requests/new?record="+rec.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, "山田 太郎", `name="to" value="`+colleague.String()+`"`))

		form := url.Values{"title": {"見積書の作成"}, "body": {"来週までにお願いします"}, "due": {"2026-02-30"},
			"to": {colleague.String()}, "record": {rec.ID.String()}}
		res, body = re.c.Post(t, "/requests/new", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, `value="見積書の作成"`, "来週までにお願いします", "存在しない日付です"))
		require.Regexp(t, `value="`+colleague.String()+`" checked`, body)

		form.Set("due", "2026-03-02")
		res, _ = re.c.Post(t, "/requests/new", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		id := idAfter(t, servertest.Location(res), "/requests/")

		_, body = re.c.Get(t, "/requests?box=sent")
		require.True(t, servertest.Contains(body, "見積書の作成", "依頼 先", "未対応", "2026/03/02(月)"))
		_, body = re.c.Get(t, "/requests")
		require.NotContains(t, body, "見積書の作成", "not in the author's received box")

		cc := login(t, re.Env, "colleague@example.jp")
		_, body = cc.Get(t, "/requests")
		require.True(t, servertest.Contains(body, "見積書の作成", "記録 担当"))
		res, body = cc.Get(t, "/requests/"+id.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, "来週までにお願いします", `href="/records/`+rec.ID.String()+`"`))

		res, body = cc.Post(t, "/requests/"+id.String()+"/reply", url.Values{"body": {"  "}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `name="body"`, "</label>"), "field-error")
		res, _ = cc.Post(t, "/requests/"+id.String()+"/reply", url.Values{"body": {"承知しました"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = cc.Post(t, "/requests/"+id.String()+"/status", url.Values{"status": {"in_progress"}, "version": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = cc.Post(t, "/requests/"+id.String()+"/status", url.Values{"status": {"done"}, "version": {"1"}})
		require.Equal(t, http.StatusConflict, res.StatusCode, "a stale status change")

		_, body = re.c.Get(t, "/requests/"+id.String())
		require.True(t, servertest.Contains(body, "承知しました", `<dd id="status">対応中</dd>`))
		_, body = re.c.Get(t, "/requests?box=sent&open=1")
		require.Contains(t, body, "見積書の作成", "対応中 is still open")
		_, body = cc.Get(t, "/")
		require.Contains(t, between(t, body, `id="requests"`, "</section>"), "見積書の作成", "the recipient's top page lists it while open")
		_, body = re.c.Get(t, "/")
		require.NotContains(t, body, `id="requests"`, "not on the author's top page (sent, not received)")

		res, _ = login(t, re.Env, "outsider@example.jp").Get(t, "/requests/"+id.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		res, _ = re.c.Post(t, "/requests/new", url.Values{"title": {"名刺の発注"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		_, body = re.c.Get(t, "/requests")
		require.True(t, servertest.Contains(body, "名刺の発注", "課題"))
		_, body = re.c.Get(t, "/")
		require.Contains(t, between(t, body, `id="requests"`, "</section>"), "名刺の発注", "a task is one's own open request")
	})
}

// A colleague who sees an appointment but may not change it keeps what
// they typed: told that the record cannot be linked, they save it unlinked.
func TestRecordFromAnotherStaffsAppointment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		re.User(t, "同僚 花子", "ドウリョウ ハナコ", "peer@example.jp")
		start := time.Now().Add(-time.Hour).Truncate(time.Minute)
		a, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "定期訪問", Start: start, Customer: re.yamada})
		require.NoError(t, err)
		peer := login(t, re.Env, "peer@example.jp")
		res, body := peer.Get(t, "/records/new?appointment="+a.ID.String())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="appointment" value="`+a.ID.String()+`"`)

		post := url.Values{"appointment": {a.ID.String()}, "appointment_version": {"1"}, "template": {template.KeyInterview},
			"customer_id": {re.yamada.String()}, "actual_at": {start.Format("2006-01-02T15:04")}, "public_memo": {"代理で訪問"},
			"scope_kind": {"company"}}
		res, body = peer.Post(t, "/records", post)
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		require.True(t, servertest.Contains(body, "代理で訪問", "紐づけられません"))
		require.NotContains(t, body, `name="appointment"`)

		post.Del("appointment")
		post.Del("appointment_version")
		res, _ = peer.Post(t, "/records", post)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		a, err = re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, uuid.Nil, a.Record)
	})
}

// An appointment's edit shows and keeps its staff and scope and keeps the
// number of days; a stale edit comes back with what was typed; the delete
// takes it off the calendar.
func TestAppointmentEditDelete(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		peer := re.User(t, "同行 次郎", "ドウコウ ジロウ", "peer@example.jp")
		loc := time.FixedZone("JST", 9*3600)
		start := time.Date(2026, 10, 5, 10, 0, 0, 0, loc)
		a, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "研修", Start: start,
			End: start.AddDate(0, 0, 1).Add(7 * time.Hour), Staff: []uuid.UUID{re.staff, peer}, Customer: re.yamada,
			Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{re.staff, peer}}})
		require.NoError(t, err)

		res, body := re.c.Get(t, "/appointments/"+a.ID.String()+"/edit")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, servertest.Contains(body, `value="研修"`, `name="date" value="2026-10-05"`, `name="end_date" value="2026-10-06"`,
			`value="10:00"`, `value="17:00"`, `name="version" value="1"`, `value="`+re.yamada.String()+`" checked`,
			`name="staff" value="`+re.staff.String()+`" checked`, `name="staff" value="`+peer.String()+`" checked`,
			`name="scope_kind" value="users" checked`, `name="scope_users" value="`+peer.String()+`" checked`))

		form := url.Values{"version": {"1"}, "title": {"研修（会場変更）"}, "date": {"2026-10-06"}, "end_date": {"2026-10-07"},
			"start": {"10:00"}, "end": {"17:00"}, "customer_id": {re.yamada.String()}, "place": {"大阪会場"},
			"staff": {re.staff.String(), peer.String()}, "scope_kind": {"users"}, "scope_users": {re.staff.String(), peer.String()}}
		res, _ = re.c.Post(t, "/appointments/"+a.ID.String()+"/edit", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		b, err := re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, "研修（会場変更）", b.Title)
		require.Equal(t, start.AddDate(0, 0, 1).UTC(), b.Start)
		require.Equal(t, start.AddDate(0, 0, 2).Add(7*time.Hour).UTC(), b.End, "still two days")
		require.Equal(t, a.Staff, b.Staff)
		require.Equal(t, a.Scope, b.Scope)

		// The staff change from the form; none at all is refused there.
		form.Set("version", "2")
		form.Del("staff")
		res, body = re.c.Post(t, "/appointments/"+a.ID.String()+"/edit", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `id="staff"`, "</fieldset>"), "field-error")
		require.Contains(t, body, `value="大阪会場"`)
		form.Set("staff", peer.String())
		res, _ = re.c.Post(t, "/appointments/"+a.ID.String()+"/edit", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		b, err = re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{peer}, b.Staff)
		require.Equal(t, int64(3), b.Version)
		form.Set("version", "1")

		form.Set("place", "名古屋会場")
		res, body = re.c.Post(t, "/appointments/"+a.ID.String()+"/edit", form)
		require.Equal(t, http.StatusConflict, res.StatusCode)
		require.True(t, servertest.Contains(body, `value="名古屋会場"`, `name="version" value="3"`, "他の人が先に更新しました"))

		res, _ = re.c.Post(t, "/appointments/"+a.ID.String()+"/delete", url.Values{"version": {"3"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/calendar?d=2026-10-06", servertest.Location(res))
		res, _ = re.c.Get(t, "/appointments/"+a.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// The edit form changes an appointment's scope: narrowed to a group or
// widened to the whole company, as the record form does. A scope the engine
// refuses (a kind without its targets) and an edit by someone who may not
// change the appointment come back with everything typed.
func TestAppointmentEditScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		g, err := re.App.Dir.CreateGroup(context.Background(), re.Tenant, "東京営業")
		require.NoError(t, err)
		other := re.User(t, "別部署 三郎", "ベツブショ サブロウ", "other@example.jp")
		start := time.Date(2026, 10, 5, 10, 0, 0, 0, time.FixedZone("JST", 9*3600))
		a, err := re.App.Schedule.CreateAppointment(re.ctx, schedule.AppointmentInput{Title: "商談", Start: start,
			End: start.Add(time.Hour), Staff: []uuid.UUID{re.staff}})
		require.NoError(t, err)
		path := "/appointments/" + a.ID.String() + "/edit"
		_, body := re.c.Get(t, path)
		require.True(t, servertest.Contains(body, `name="scope_kind" value="company" checked`, `name="scope_groups" value="`+g.ID.String()+`"`))

		form := url.Values{"version": {"1"}, "title": {"商談（社外秘）"}, "date": {"2026-10-05"}, "start": {"10:00"}, "end": {"11:00"},
			"customer_id": {"none"}, "staff": {re.staff.String()}, "memo": {"価格の相談"}, "scope_kind": {"groups"}}
		res, body := re.c.Post(t, path, form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a group scope without a group")
		require.True(t, servertest.Contains(body, `value="商談（社外秘）"`, "価格の相談", `name="scope_kind" value="groups" checked`))
		require.Contains(t, between(t, body, msg.T("records.scope")+"</summary>", `name="scope_kind" value="company"`), "field-error", "next to the scope")
		b, err := re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, int64(1), b.Version, "nothing saved")

		form.Set("scope_groups", g.ID.String())
		res, _ = re.c.Post(t, path, form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		b, err = re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{g.ID}}, b.Scope)
		_, body = re.c.Get(t, path)
		require.True(t, servertest.Contains(body, `name="scope_kind" value="groups" checked`, `name="scope_groups" value="`+g.ID.String()+`" checked`))
		oc := login(t, re.Env, "other@example.jp")
		res, _ = oc.Get(t, "/appointments/"+a.ID.String())
		require.Equal(t, http.StatusNotFound, res.StatusCode, "outside the group's scope it does not exist")

		form.Set("version", "2")
		form.Set("scope_kind", "company")
		res, _ = re.c.Post(t, path, form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		b, err = re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, permission.Scope{Kind: permission.ScopeCompany}, b.Scope, "widened again, the group dropped")

		// other sees it now but is not on it: the save is refused, the
		// form keeps what other typed.
		form.Set("version", "3")
		form.Set("memo", "別部署からのメモ")
		form.Set("scope_kind", "users")
		form.Set("scope_users", other.String())
		res, _ = oc.Get(t, path)
		require.Equal(t, http.StatusOK, res.StatusCode)
		form.Del("_csrf") // the other session's token
		res, body = oc.Post(t, path, form)
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		for _, part := range []string{msg.T("calendar.edit_refused"), "別部署からのメモ",
			`name="scope_kind" value="users" checked`, `name="scope_users" value="` + other.String() + `" checked`} {
			require.Contains(t, body, part)
		}
		b, err = re.App.Schedule.Appointment(re.ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, int64(3), b.Version)
		require.Equal(t, permission.Scope{Kind: permission.ScopeCompany}, b.Scope)
	})
}

// The slot's form and the 次回予定 form show the 公開範囲 block the edit
// form shows (the 次回予定 one proposing the record's scope) and save what
// is chosen; an invalid choice is shown beside the block with everything
// typed kept, and nothing is saved.
func TestAppointmentNewScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		g, err := re.App.Dir.CreateGroup(context.Background(), re.Tenant, "東京営業")
		require.NoError(t, err)
		scopeBlock := func(body string) string {
			return between(t, body, msg.T("records.scope")+"</summary>", `name="scope_kind" value="company"`)
		}
		_, body := re.c.Get(t, "/calendar/new?date=2026-10-05")
		require.True(t, servertest.Contains(body, `name="scope_kind" value="company" checked`, `name="scope_groups" value="`+g.ID.String()+`"`))

		form := url.Values{"title": {"役員面談"}, "date": {"2026-10-05"}, "start": {"10:00"}, "end": {"11:00"},
			"customer_id": {"none"}, "staff": {re.staff.String()}, "memo": {"人事の相談"}, "scope_kind": {"groups"}}
		res, body := re.c.Post(t, "/calendar/new", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a group scope without a group")
		require.True(t, servertest.Contains(body, `value="役員面談"`, "人事の相談", `name="scope_kind" value="groups" checked`))
		require.Contains(t, scopeBlock(body), "field-error", "next to the scope")
		day := schedule.Date{Year: 2026, Month: 10, Day: 5}
		cal, err := re.App.Schedule.Calendar(re.ctx, schedule.CalendarQuery{From: day, To: day})
		require.NoError(t, err)
		require.Empty(t, cal.Entries, "nothing saved")

		form.Set("scope_groups", g.ID.String())
		res, _ = re.c.Post(t, "/calendar/new", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		cal, err = re.App.Schedule.Calendar(re.ctx, schedule.CalendarQuery{From: day, To: day})
		require.NoError(t, err)
		require.Len(t, cal.Entries, 1)
		a, err := re.App.Schedule.Appointment(re.ctx, cal.Entries[0].ID)
		require.NoError(t, err)
		require.Equal(t, permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{g.ID}}, a.Scope)

		// 次回予定 of a record open to a group: the group proposed.
		rec := re.record(t, re.ctx, contactlog.Entry{Customer: re.yamada, Responders: []uuid.UUID{re.staff},
			ActualAt: time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC), Scope: permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{g.ID}}})
		path := "/records/" + rec.ID.String() + "/next-appointment"
		_, body = re.c.Get(t, path)
		require.True(t, servertest.Contains(body, `name="scope_kind" value="groups" checked`, `name="scope_groups" value="`+g.ID.String()+`" checked`))

		next := url.Values{"title": {"次回訪問"}, "date": {"2026-10-08"}, "start": {"14:00"}, "end": {"15:00"},
			"customer_id": {re.yamada.String()}, "staff": {re.staff.String()}, "place": {"山田様宅"}, "scope_kind": {"users"}}
		res, body = re.c.Post(t, path, next)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a people scope without people")
		require.True(t, servertest.Contains(body, `value="次回訪問"`, `value="山田様宅"`, `name="scope_kind" value="users" checked`))
		require.Contains(t, scopeBlock(body), "field-error", "next to the scope")
		nexts, err := re.App.Schedule.NextAppointments(re.ctx, rec.ID)
		require.NoError(t, err)
		require.Empty(t, nexts, "nothing saved")

		next.Set("scope_kind", "company")
		res, _ = re.c.Post(t, path, next)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		nexts, err = re.App.Schedule.NextAppointments(re.ctx, rec.ID)
		require.NoError(t, err)
		require.Len(t, nexts, 1)
		require.Equal(t, permission.Scope{Kind: permission.ScopeCompany}, nexts[0].Scope, "the scope chosen, not the record's")
	})
}

// The slot's form picks the staff (the calendar's owner by default, found
// by reading with the record form's staff search) and spans several days:
// timed or all-day, the appointment is on every day it covers.
func TestAppointmentFormStaffAndDays(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		peer := re.User(t, "同行 次郎", "ドウコウ ジロウ", "peer@example.jp")
		_, body := re.c.Get(t, "/calendar?d=2026-09-24&staff="+peer.String())
		require.Contains(t, body, `href="/calendar/new?date=2026-09-24&amp;staff=`+peer.String()+`"`)
		_, body = re.c.Get(t, "/calendar/new?date=2026-09-24&staff="+peer.String())
		picker := between(t, body, `id="staff"`, "</fieldset>")
		require.Contains(t, picker, `name="staff" value="`+peer.String()+`" checked`, "a colleague's slot: the colleague")
		require.NotContains(t, picker, re.staff.String())
		_, body = re.c.Get(t, "/calendar/new?date=2026-09-24")
		require.Contains(t, between(t, body, `id="staff"`, "</fieldset>"), `name="staff" value="`+re.staff.String()+`" checked`)

		form := url.Values{"title": {"展示会"}, "date": {"2026-09-24"}, "end_date": {"2026-09-26"}, "start": {"10:00"},
			"end": {"12:00"}, "customer_id": {"none"}, "memo": {"ブース設営"}, "staff": {re.staff.String()}}
		find := url.Values{"op": {"staff_find"}, "staff_q": {"どうこう"}}
		for k, v := range form {
			find[k] = v
		}
		res, body := re.c.Post(t, "/calendar/new", find)
		require.Equal(t, http.StatusOK, res.StatusCode)
		picker = between(t, body, `id="staff"`, "</fieldset>")
		require.Contains(t, picker, `name="staff" value="`+re.staff.String()+`" checked`)
		require.Contains(t, picker, `name="staff" value="`+peer.String()+`">`, "found, not yet chosen")
		require.True(t, servertest.Contains(body, `value="展示会"`, `name="end_date" value="2026-09-26"`, "ブース設営"))
		find.Set("staff_q", "該当なし")
		_, body = re.c.Post(t, "/calendar/new", find)
		require.Contains(t, body, "field-error")

		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("end_date", "9月26日")
		res, body = re.c.Post(t, "/calendar/new", bad)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `name="end_date"`, "</label>"), "field-error")
		require.Contains(t, body, "ブース設営")

		form["staff"] = []string{re.staff.String(), peer.String()}
		res, _ = re.c.Post(t, "/calendar/new", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		allDay := url.Values{"title": {"研修"}, "date": {"2026-09-28"}, "end_date": {"2026-09-29"}, "all_day": {"on"},
			"customer_id": {"none"}, "staff": {peer.String()}}
		res, _ = re.c.Post(t, "/calendar/new", allDay)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)

		_, body = re.c.Get(t, "/calendar?d=2026-09-24&view=month&staff="+peer.String())
		for day, want := range map[string]bool{"2026-09-23": false, "2026-09-24": true, "2026-09-25": true, "2026-09-26": true,
			"2026-09-27": false} {
			next := dayAfter(t, day)
			require.Equal(t, want, strings.Contains(between(t, body, `id="day-`+day+`"`, `id="day-`+next+`"`), "展示会"), day)
		}
		id := idAfter(t, between(t, body, `id="day-2026-09-25"`, `id="day-2026-09-26"`), `href="/appointments/`)
		a, err := re.App.Schedule.Appointment(re.ctx, id)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{re.staff, peer}, a.Staff)
		loc := time.FixedZone("JST", 9*3600)
		require.Equal(t, time.Date(2026, 9, 26, 12, 0, 0, 0, loc).UTC(), a.End)

		for day, want := range map[string]bool{"2026-09-27": false, "2026-09-28": true, "2026-09-29": true, "2026-09-30": false} {
			next := dayAfter(t, day)
			require.Equal(t, want, strings.Contains(between(t, body, `id="day-`+day+`"`, `id="day-`+next+`"`), "研修"), day)
		}
	})
}

// dayAfter returns the day after day (2006-01-02).
func dayAfter(t *testing.T, day string) string {
	t.Helper()
	d, err := schedule.ParseDate(day)
	require.NoError(t, err)
	return d.AddDays(1).String()
}
