package careservice_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/plugins/careservice"
	"github.com/kirokuhq/kiroku/plugins/internal/enginecheck"
	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

func TestUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		service        string
		minutes, rides int
		units          int
		ok             bool
	}{
		{careservice.PhysicalCare, 0, 0, 160, true},
		{careservice.PhysicalCare, 19, 0, 160, true},
		{careservice.PhysicalCare, 20, 0, 240, true},
		{careservice.PhysicalCare, 29, 0, 240, true},
		{careservice.PhysicalCare, 30, 0, 390, true},
		{careservice.PhysicalCare, 59, 0, 390, true},
		{careservice.PhysicalCare, 60, 0, 570, true},
		{careservice.PhysicalCare, 89, 0, 570, true},
		{careservice.PhysicalCare, 90, 0, 650, true},
		{careservice.PhysicalCare, 119, 0, 650, true},
		{careservice.PhysicalCare, 120, 0, 730, true},
		{careservice.PhysicalCare, 24 * 60, 0, 570 + 46*80, true},
		{careservice.HouseholdHelp, 19, 0, 0, false},
		{careservice.HouseholdHelp, 20, 0, 180, true},
		{careservice.HouseholdHelp, 44, 0, 180, true},
		{careservice.HouseholdHelp, 45, 0, 220, true},
		{careservice.HouseholdHelp, 300, 0, 220, true},
		{careservice.RideAssist, 5, 1, 100, true},
		{careservice.RideAssist, 240, 2, 200, true},
		{"散歩", 60, 0, 0, false},
	} {
		t.Run(fmt.Sprintf("%s %d min %d rides", tc.service, tc.minutes, tc.rides), func(t *testing.T) {
			t.Parallel()
			units, ok := careservice.Units(tc.service, tc.minutes, tc.rides)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.units, units)
		})
	}
}

func TestThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level string
		units int
		want  int
	}{
		{"要介護1", 0, 0},
		{"要介護1", 15_029, 0}, // 16,700 × 90% = 15,030
		{"要介護1", 15_030, 90},
		{"要介護1", 16_699, 90},
		{"要介護1", 16_700, 100},
		{"要介護1", 40_000, 100},
		{"要支援1", 4_500, 90},
		{"要支援1", 4_499, 0},
		{"要介護5", 32_580, 90},
		{"", 40_000, 0},
		{"要介護9", 40_000, 0},
	} {
		require.Equal(t, tc.want, careservice.Threshold(tc.level, tc.units), "%s %d", tc.level, tc.units)
	}
	for _, level := range careservice.CareLevels {
		require.Positive(t, careservice.MonthlyLimits[level], level)
	}
}

var tokyo = time.FixedZone("JST", 9*60*60)

// visitValues validates input with the engine's template, as the host does,
// and returns the values a plugin receives.
func visitValues(t *testing.T, input map[string]any) map[string]any {
	t.Helper()
	tpl := enginecheck.Template(t, careservice.Manifest().Templates[0])
	return enginecheck.Values(t, tpl, input, tokyo)
}

// plugins are the plugin served in-process and the built binary.
func plugins(t *testing.T) map[string]*plugintest.Plugin {
	return map[string]*plugintest.Plugin{
		"in-process": plugintest.InProcess(t, careservice.Opts()),
		"process":    plugintest.Launch(t, plugintest.Build(t, "./cmd/kiroku-plugin-careservice")),
	}
}

func TestPlugin(t *testing.T) {
	t.Parallel()
	for name, p := range plugins(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testManifest(t, p)
			testValidate(t, p)
			testCompute(t, p)
			testEvents(t, p)
		})
	}
}

func testManifest(t *testing.T, p *plugintest.Plugin) {
	m, err := p.Manifest(t.Context())
	require.NoError(t, err)
	require.Equal(t, "careservice", m.Name)
	require.Len(t, m.Templates, 1)
	require.Equal(t, careservice.TemplateVisit, m.Templates[0].Key)
	require.Equal(t, []string{"units"}, m.Templates[0].Computed)
	enginecheck.Template(t, m.Templates[0])
	require.Equal(t, []sdk.CustomerField{{Key: careservice.FieldCareLevel, Label: "要介護度", Type: "select",
		Options: []string{"要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5"}}}, m.CustomerFields)
	require.ElementsMatch(t, []string{sdk.EventRecordCreated, sdk.EventRecordUpdated}, m.EventKinds)
}

func visit(t *testing.T, input map[string]any) sdk.Record {
	return sdk.Record{ID: "r1", Tenant: "t1", Template: careservice.TemplateVisit, TemplateVersion: 1, Values: visitValues(t, input)}
}

func testValidate(t *testing.T, p *plugintest.Plugin) {
	records := []sdk.Record{
		visit(t, map[string]any{"service_type": "身体介護", "start": "2024-04-01 09:00", "end": "2024-04-01 10:00",
			"temperature": "36.5", "bp_upper": 128, "bp_lower": 82, "pulse": 72, "notes": "入浴介助。"}),
		visit(t, map[string]any{"service_type": "身体介護", "start": "2024-04-01 09:00", "end": "2024-04-01 09:00"}),
		visit(t, map[string]any{"service_type": "身体介護", "start": "2024-04-01 09:00", "end": "2024-04-02 09:01"}),
		visit(t, map[string]any{"service_type": "生活援助", "start": "2024-04-01 09:00", "end": "2024-04-01 09:15", "rides": 1}),
		visit(t, map[string]any{"service_type": "通院等乗降介助", "start": "2024-04-01 09:00", "end": "2024-04-01 09:30"}),
		visit(t, map[string]any{"service_type": "通院等乗降介助", "start": "2024-04-01 09:00", "end": "2024-04-01 09:30", "rides": 2,
			"bp_upper": 80, "bp_lower": 80}),
		{ID: "other", Template: "builtin:daily", Values: map[string]any{"anything": 1.0}},
		{ID: "raw", Template: careservice.TemplateVisit, Values: map[string]any{"service_type": "散歩", "start": "yesterday"}},
	}
	got, err := p.ValidateRecords(t.Context(), records)
	require.NoError(t, err)
	pr := func(field, code, param string) sdk.FieldProblem {
		return sdk.FieldProblem{Field: "fields." + field, Code: code, Param: param}
	}
	require.Equal(t, [][]sdk.FieldProblem{
		nil,
		{pr("end", "out_of_range", "2024-04-01T00:00:00Z..2024-04-02T00:00:00Z")},
		{pr("end", "out_of_range", "2024-04-01T00:00:00Z..2024-04-02T00:00:00Z")},
		{pr("service_type", "not_allowed", "20"), pr("rides", "not_allowed", "")},
		{pr("rides", "required", "")},
		{pr("bp_lower", "out_of_range", "..79")},
		nil,
		{pr("start", "required", ""), pr("end", "required", ""), pr("service_type", "unknown", "散歩")},
	}, normalize(got))
}

// normalize maps empty problem lists to nil (the wire does not tell them
// apart).
func normalize(ps [][]sdk.FieldProblem) [][]sdk.FieldProblem {
	for i := range ps {
		if len(ps[i]) == 0 {
			ps[i] = nil
		}
	}
	return ps
}

func testCompute(t *testing.T, p *plugintest.Plugin) {
	records := []sdk.Record{
		visit(t, map[string]any{"service_type": "身体介護", "start": "2024-04-01 09:00", "end": "2024-04-01 10:30"}),
		visit(t, map[string]any{"service_type": "生活援助", "start": "2024-04-01 09:00", "end": "2024-04-01 09:45"}),
		visit(t, map[string]any{"service_type": "通院等乗降介助", "start": "2024-04-01 09:00", "end": "2024-04-01 11:00", "rides": 2}),
		visit(t, map[string]any{"service_type": "生活援助", "start": "2024-04-01 09:00", "end": "2024-04-01 09:10"}),
		{ID: "other", Template: "builtin:daily"},
	}
	got, err := p.ComputeRecords(t.Context(), records)
	require.NoError(t, err)
	require.Equal(t, []map[string]any{
		{"units": 650.0}, {"units": 220.0}, {"units": 200.0}, {}, {},
	}, got)
}

func testEvents(t *testing.T, p *plugintest.Plugin) {
	customer := &sdk.Customer{ID: "c1", Name: "山田 花子", Fields: map[string]any{careservice.FieldCareLevel: "要支援1"},
		Assignees: []string{"u1", "u2"}}
	// A month of 1-hour 身体介護 visits (570 units each), the last without
	// stored units (it is recomputed).
	var month []sdk.Record
	for day := 1; day <= 8; day++ {
		r := visit(t, map[string]any{"service_type": "身体介護",
			"start": fmt.Sprintf("2024-04-%02d 09:00", day), "end": fmt.Sprintf("2024-04-%02d 10:00", day)})
		r.ID = fmt.Sprint("r", day)
		if day < 8 {
			r.Values["units"] = 570.0
		}
		month = append(month, r)
	}
	event := func(kind string, records []sdk.Record, c *sdk.Customer) sdk.Event {
		last := records[len(records)-1]
		return sdk.Event{ID: "e1", Kind: kind, Tenant: "t1", At: time.Date(2024, 4, 8, 2, 0, 0, 0, time.UTC),
			Record: &last, Customer: c, MonthRecords: records}
	}
	// 7 × 570 = 3,990 < 4,500 (90% of 5,000).
	got, err := p.HandleEvent(t.Context(), event(sdk.EventRecordCreated, month[:7], customer))
	require.NoError(t, err)
	require.Empty(t, got.Notifications)
	// 8 × 570 = 4,560 ≥ 4,500.
	want := []sdk.Notification{{
		Recipients: []string{"u1", "u2"},
		Subject:    "【区分支給限度基準額 90%】山田 花子様 2024年4月",
		Body:       "山田 花子様の2024年4月の訪問介護の単位数が4,560単位となり、要支援1の区分支給限度基準額（5,000単位）の90%に達しました。今月の残りの予定が限度額を超えないか確認してください。",
		Key:        "careservice:limit:c1:2024-04:90",
	}}
	for _, kind := range []string{sdk.EventRecordCreated, sdk.EventRecordUpdated} {
		got, err = p.HandleEvent(t.Context(), event(kind, month, customer))
		require.NoError(t, err)
		require.Equal(t, want, got.Notifications)
	}
	// The event's record missing from MonthRecords still counts.
	e := event(sdk.EventRecordUpdated, month, customer)
	e.MonthRecords = month[:7]
	got, err = p.HandleEvent(t.Context(), e)
	require.NoError(t, err)
	require.Equal(t, want, got.Notifications)
	// 要介護1's limit is far away; no level, no assignees, or another
	// template: nothing.
	for _, c := range []*sdk.Customer{
		{ID: "c1", Name: "山田 花子", Fields: map[string]any{careservice.FieldCareLevel: "要介護1"}, Assignees: []string{"u1"}},
		{ID: "c1", Name: "山田 花子", Assignees: []string{"u1"}},
		{ID: "c1", Name: "山田 花子", Fields: customer.Fields},
		nil,
	} {
		got, err = p.HandleEvent(t.Context(), event(sdk.EventRecordCreated, month, c))
		require.NoError(t, err)
		require.Empty(t, got.Notifications)
	}
	other := event(sdk.EventRecordCreated, month, customer)
	other.Record = &sdk.Record{ID: "x", Template: "builtin:daily"}
	got, err = p.HandleEvent(t.Context(), other)
	require.NoError(t, err)
	require.Empty(t, got.Notifications)
	// Past the limit: the 100% notice, with its own key.
	over := append(month, month...)
	got, err = p.HandleEvent(t.Context(), event(sdk.EventRecordUpdated, over, customer))
	require.NoError(t, err)
	require.Len(t, got.Notifications, 1)
	require.Equal(t, "careservice:limit:c1:2024-04:100", got.Notifications[0].Key)
	require.Equal(t, "【区分支給限度基準額 100%】山田 花子様 2024年4月", got.Notifications[0].Subject)
	require.Contains(t, got.Notifications[0].Body, "9,120単位")
	require.Contains(t, got.Notifications[0].Body, "全額自己負担")
}
