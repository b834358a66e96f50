package template_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
)

var tokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*60*60)
	}
	return loc
}()

// everyType is a template with a field of every type.
func everyType() template.Template {
	return template.Template{
		Key: "tenant:every_type", Version: 1, Name: "全項目",
		Fields: []template.Field{
			{Key: "title", Label: "件名", Type: template.FieldText, Max: template.Limit(10)},
			{Key: "body", Label: "本文", Type: template.FieldLongText},
			{Key: "weight", Label: "体重", Type: template.FieldNumber, Unit: "kg", Min: template.Limit(0), Max: template.Limit(300)},
			{Key: "temp", Label: "差分", Type: template.FieldNumber},
			{Key: "visits", Label: "訪問件数", Type: template.FieldInteger, Min: template.Limit(0)},
			{Key: "amount", Label: "金額", Type: template.FieldMoney, Min: template.Limit(0)},
			{Key: "delta", Label: "差額", Type: template.FieldMoney},
			{Key: "on", Label: "日付", Type: template.FieldDate},
			{Key: "at", Label: "日時", Type: template.FieldDateTime},
			{Key: "minutes", Label: "作業時間", Type: template.FieldDuration, Max: template.Limit(1440)},
			{Key: "rank", Label: "確度", Type: template.FieldSelect, Options: []string{"A", "B", "C"}},
			{Key: "tags", Label: "経路", Type: template.FieldMultiSelect, Options: []string{"電話", "メール", "来店"}, Max: template.Limit(2)},
			{Key: "done", Label: "完了", Type: template.FieldBoolean},
			{Key: "staff", Label: "担当者", Type: template.FieldStaff},
			{Key: "contact", Label: "先方担当者", Type: template.FieldContact},
			{Key: "careservice:level", Label: "要介護度", Type: template.FieldInteger, Min: template.Limit(1), Max: template.Limit(5)},
		},
	}
}

func TestValidateFieldTypes(t *testing.T) {
	t.Parallel()
	tpl := everyType()
	require.NoError(t, tpl.Check())
	id := uuid.MustParse("0190f5a0-1111-7000-8000-000000000001")
	day := date.Date{Year: 2024, Month: time.March, Day: 15}
	at := time.Date(2024, 3, 15, 5, 30, 0, 0, time.UTC) // 14:30 in Tokyo

	tests := []struct {
		name string
		key  string
		in   any
		want any    // canonical value when code is ""
		code string // expected problem code
	}{
		// text
		{"text", "title", "件名", "件名", ""},
		{"text trimmed, line breaks to spaces", "title", " 一行目\r\n二行目 ", "一行目 二行目", ""},
		{"text at max", "title", "1234567890", "1234567890", ""},
		{"text too long", "title", "12345678901", nil, validation.CodeTooLong},
		{"text wrong type", "title", 123, nil, validation.CodeWrongType},
		{"text control character", "title", "a\x00b", nil, validation.CodeFormat},
		{"longtext keeps lines", "body", "一行目\r\n二行目\n", "一行目\n二行目", ""},
		// number
		{"number", "weight", 65.5, 65.5, ""},
		{"number text with unit", "weight", "65kg", 65.0, ""},
		{"number full-width", "weight", "６５．５", 65.5, ""},
		{"number json.Number", "weight", json.Number("12.5"), 12.5, ""},
		{"number negative where min forbids", "weight", "-1", nil, validation.CodeOutOfRange},
		{"number over max", "weight", 300.5, nil, validation.CodeOutOfRange},
		{"number negative allowed", "temp", "-1.5", -1.5, ""},
		{"number full-width minus", "temp", "－２", -2.0, ""},
		{"number garbage", "weight", "12x", nil, validation.CodeFormat},
		{"number NaN text", "temp", "NaN", nil, validation.CodeFormat},
		{"number NaN", "temp", math.NaN(), nil, validation.CodeFormat},
		{"number wrong type", "weight", true, nil, validation.CodeWrongType},
		// integer
		{"integer", "visits", 3, int64(3), ""},
		{"integer from JSON", "visits", 3.0, int64(3), ""},
		{"integer int8", "visits", int8(7), int64(7), ""},
		{"integer uint64", "visits", uint64(9), int64(9), ""},
		{"integer float32", "visits", float32(4), int64(4), ""},
		{"integer int64 negative where min forbids", "visits", int64(-2), nil, validation.CodeOutOfRange},
		{"integer full-width", "visits", "１２３", int64(123), ""},
		{"integer with commas", "visits", "1,234", int64(1234), ""},
		{"integer fraction", "visits", 3.5, nil, validation.CodeFormat},
		{"integer negative where min forbids", "visits", -1, nil, validation.CodeOutOfRange},
		{"integer plugin field", "careservice:level", "3", int64(3), ""},
		{"integer plugin field out of range", "careservice:level", 6, nil, validation.CodeOutOfRange},
		// money
		{"money", "amount", 1200, int64(1200), ""},
		{"money with commas", "amount", "1,200", int64(1200), ""},
		{"money yen sign", "amount", "¥1,200", int64(1200), ""},
		{"money full-width with 円", "amount", "１，２００円", int64(1200), ""},
		{"money full-width yen sign", "amount", "￥１２００", int64(1200), ""},
		{"money fraction", "amount", "1200.5", nil, validation.CodeFormat},
		{"money bad grouping", "amount", "12,00", nil, validation.CodeFormat},
		{"money negative where min forbids", "amount", "-100", nil, validation.CodeOutOfRange},
		{"money negative allowed", "delta", "-1,000円", int64(-1000), ""},
		{"money wrong type", "amount", []any{1}, nil, validation.CodeWrongType},
		// date
		{"date ISO", "on", "2024-03-15", day, ""},
		{"date slashes", "on", "2024/3/15", day, ""},
		{"date era", "on", "令和6年3月15日", day, ""},
		{"date era short", "on", "R6.3.15", day, ""},
		{"date full-width", "on", "２０２４年３月１５日", day, ""},
		{"date value", "on", day, day, ""},
		{"date from time in tenant zone", "on", time.Date(2024, 3, 14, 16, 0, 0, 0, time.UTC), day, ""},
		{"date no such day", "on", "2024-02-30", nil, validation.CodeBadDate},
		{"date outside era", "on", "平成31年5月1日", nil, validation.CodeOutsideEra},
		{"date garbage", "on", "明日", nil, validation.CodeFormat},
		{"date wrong type", "on", 20240315, nil, validation.CodeWrongType},
		// datetime
		{"datetime local", "at", "2024-03-15 14:30", at, ""},
		{"datetime RFC 3339", "at", "2024-03-15T14:30:00+09:00", at, ""},
		{"datetime RFC 3339 UTC", "at", "2024-03-15T05:30:00Z", at, ""},
		{"datetime-local input", "at", "2024-03-15T14:30", at, ""},
		{"datetime PostgreSQL text", "at", "2024-03-15 14:30:00+09", at, ""},
		{"datetime zone with space", "at", "2024-03-15 05:30:00Z", at, ""},
		{"datetime slashes", "at", "2024/3/15 14:30", at, ""},
		{"datetime era", "at", "令和6年3月15日 14時30分", at, ""},
		{"datetime era no space", "at", "令和6年3月15日14時30分", at, ""},
		{"datetime full-width", "at", "２０２４－０３－１５　１４：３０", at, ""},
		{"datetime value", "at", at.In(tokyo), at, ""},
		{"datetime bad hour", "at", "2024-03-15 25:00", nil, validation.CodeFormat},
		{"datetime without time", "at", "2024-03-15", nil, validation.CodeFormat},
		{"datetime bad day", "at", "2024-02-30 10:00", nil, validation.CodeBadDate},
		{"datetime wrong type", "at", 1710480600, nil, validation.CodeWrongType},
		// duration
		{"duration minutes", "minutes", "90", int64(90), ""},
		{"duration number", "minutes", 90, int64(90), ""},
		{"duration h:mm", "minutes", "1:30", int64(90), ""},
		{"duration h:mm full-width", "minutes", "１：３０", int64(90), ""},
		{"duration 時間分", "minutes", "1時間30分", int64(90), ""},
		{"duration 分", "minutes", "90分", int64(90), ""},
		{"duration 時間", "minutes", "2時間", int64(120), ""},
		{"duration 時間半", "minutes", "1時間半", int64(90), ""},
		{"duration decimal hours", "minutes", "1.5時間", int64(90), ""},
		{"duration h m", "minutes", "1h30m", int64(90), ""},
		{"duration time.Duration", "minutes", 90 * time.Minute, int64(90), ""},
		{"duration bad minutes", "minutes", "1:75", nil, validation.CodeFormat},
		{"duration fraction of a minute", "minutes", 1.5, nil, validation.CodeFormat},
		{"duration garbage", "minutes", "そこそこ", nil, validation.CodeFormat},
		{"duration negative", "minutes", "-5", nil, validation.CodeOutOfRange},
		{"duration beyond exact integers", "minutes", "-99999999999999999999", nil, validation.CodeFormat},
		{"duration over max", "minutes", "24:01", nil, validation.CodeOutOfRange},
		{"duration wrong type", "minutes", true, nil, validation.CodeWrongType},
		// select
		{"select", "rank", "A", "A", ""},
		{"select full-width", "rank", "Ａ", "A", ""},
		{"select unknown", "rank", "D", nil, validation.CodeUnknown},
		{"select wrong type", "rank", 1, nil, validation.CodeWrongType},
		// multiselect
		{"multiselect in options order", "tags", []any{"来店", "電話"}, []string{"電話", "来店"}, ""},
		{"multiselect repeats dropped", "tags", []string{"電話", "電話"}, []string{"電話"}, ""},
		{"multiselect over max", "tags", []string{"電話", "メール", "来店"}, nil, validation.CodeOutOfRange},
		{"multiselect wrong type", "tags", "電話", nil, validation.CodeWrongType},
		// boolean
		{"boolean", "done", true, true, ""},
		{"boolean text", "done", "はい", true, ""},
		{"boolean zero", "done", "0", false, ""},
		{"boolean JSON number", "done", 1.0, true, ""},
		{"boolean garbage", "done", "たぶん", nil, validation.CodeWrongType},
		// staff, contact
		{"staff", "staff", id.String(), id, ""},
		{"staff value", "staff", id, id, ""},
		{"staff garbage", "staff", "田中", nil, validation.CodeInvalidUUID},
		{"staff nil UUID", "staff", uuid.Nil.String(), nil, validation.CodeInvalidUUID},
		{"staff wrong type", "staff", 5, nil, validation.CodeWrongType},
		{"contact", "contact", id.String(), id, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, verr := tpl.Validate(map[string]any{tc.key: tc.in}, tokyo)
			if tc.code == "" {
				require.Nil(t, verr)
				require.Equal(t, tc.want, out[tc.key])
				return
			}
			require.NotNil(t, verr)
			require.Nil(t, out)
			require.True(t, problems(t, verr).Has("fields."+tc.key, tc.code), "got %v", verr)
		})
	}
}

func TestValidateMultiselectChoiceProblems(t *testing.T) {
	t.Parallel()
	tpl := everyType()
	_, verr := tpl.Validate(map[string]any{"tags": []any{"電話", "FAX", 3}}, tokyo)
	require.NotNil(t, verr)
	require.True(t, problems(t, verr).Has("fields.tags[1]", validation.CodeUnknown))
	require.True(t, problems(t, verr).Has("fields.tags[2]", validation.CodeWrongType))
}

func TestValidateRequiredDefaultsAndUnknownKeys(t *testing.T) {
	t.Parallel()
	tpl := template.Template{
		Key: "tenant:t", Version: 1, Name: "t",
		Fields: []template.Field{
			{Key: "kind", Label: "種別", Type: template.FieldSelect, Required: true, Options: []string{"クレーム", "提案"}},
			{Key: "status", Label: "対応状況", Type: template.FieldSelect, Options: []string{"未対応", "対応済"}, Default: "未対応"},
			{Key: "note", Label: "備考", Type: template.FieldText},
			{Key: "done", Label: "完了", Type: template.FieldBoolean, Default: false},
		},
	}
	require.NoError(t, tpl.Check())

	// Every problem at once, in a stable order: unknown keys first, sorted.
	out, verr := tpl.Validate(map[string]any{"zzz": 1, "aaa": 2, "note": 3}, tokyo)
	require.Nil(t, out)
	require.Equal(t, []validation.FieldError{
		{Field: "fields.aaa", Code: validation.CodeUnknown, Param: "aaa"},
		{Field: "fields.zzz", Code: validation.CodeUnknown, Param: "zzz"},
		{Field: "fields.kind", Code: validation.CodeRequired},
		{Field: "fields.note", Code: validation.CodeWrongType},
	}, problems(t, verr).Fields)
	require.ErrorIs(t, verr, template.ErrInvalid)

	// Defaults fill missing optional fields; blank text counts as missing.
	out, verr = tpl.Validate(map[string]any{"kind": "提案", "note": "　", "status": ""}, tokyo)
	require.Nil(t, verr)
	require.Equal(t, map[string]any{"kind": "提案", "status": "未対応", "done": false}, out)

	// nil values and a nil map are "nothing given".
	_, verr = tpl.Validate(nil, nil)
	require.True(t, problems(t, verr).Has("fields.kind", validation.CodeRequired))
}

// TestValidateRoundTrip: a normalized record stored as JSON and read back
// validates to the same values.
func TestValidateRoundTrip(t *testing.T) {
	t.Parallel()
	tpl := everyType()
	id := uuid.New()
	in := map[string]any{
		"title": "件名", "body": "本文\n二行目", "weight": "65.5kg", "temp": -2, "visits": "１２",
		"amount": "¥1,200", "delta": -300, "on": "令和6年3月15日", "at": "2024-03-15 14:30",
		"minutes": "1時間30分", "rank": "B", "tags": []any{"来店", "電話"}, "done": "はい",
		"staff": id.String(), "contact": id, "careservice:level": 2,
	}
	out, verr := tpl.Validate(in, tokyo)
	require.Nil(t, verr)
	require.Len(t, out, len(tpl.Fields))

	b, err := json.Marshal(out)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	again, verr := tpl.Validate(back, time.UTC) // the zone must not matter any more
	require.Nil(t, verr)
	require.Equal(t, out, again)
}

// problems returns the *ValidationError that err (from Validate) is,
// failing the test when it is not one.
func problems(t *testing.T, err error) *template.ValidationError {
	t.Helper()
	var ve *template.ValidationError
	require.ErrorAs(t, err, &ve)
	return ve
}
