package ramenshop_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/plugins/internal/enginecheck"
	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/ramenshop"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

func TestTaxRate(t *testing.T) {
	t.Parallel()
	require.Equal(t, 10, ramenshop.TaxRate(false, ramenshop.EatIn))
	require.Equal(t, 8, ramenshop.TaxRate(false, ramenshop.TakeOut))
	require.Equal(t, 10, ramenshop.TaxRate(true, ramenshop.EatIn))
	require.Equal(t, 10, ramenshop.TaxRate(true, ramenshop.TakeOut))
}

func TestReceipt(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		lines []ramenshop.Line
		want  ramenshop.Totals
	}{
		"empty": {nil, ramenshop.Totals{Taxes: map[int]int64{}}},
		"eat-in": {
			[]ramenshop.Line{{1, 700, 10}, {1, 350, 10}},
			ramenshop.Totals{Subtotal: 1050, Taxes: map[int]int64{10: 105}, Total: 1155},
		},
		// Per receipt: 8% of 3 × 131 = 31.44 → 31; per line it would be
		// 3 × (10.48 → 10) = 30.
		"take-out floor per receipt": {
			[]ramenshop.Line{{1, 131, 8}, {1, 131, 8}, {1, 131, 8}},
			ramenshop.Totals{Subtotal: 393, Taxes: map[int]int64{8: 31}, Total: 424},
		},
		"mixed rates": {
			[]ramenshop.Line{{2, 750, 8}, {1, 550, 10}, {1, 125, 8}},
			ramenshop.Totals{Subtotal: 2175, Taxes: map[int]int64{8: 130, 10: 55}, Total: 2360},
		},
		"quantities": {
			[]ramenshop.Line{{3, 699, 10}},
			ramenshop.Totals{Subtotal: 2097, Taxes: map[int]int64{10: 209}, Total: 2306},
		},
		"discount": {
			[]ramenshop.Line{{1, 700, 10}, {1, -105, 10}},
			ramenshop.Totals{Subtotal: 595, Taxes: map[int]int64{10: 59}, Total: 654},
		},
		"negative": {
			[]ramenshop.Line{{1, -105, 10}},
			ramenshop.Totals{Subtotal: -105, Taxes: map[int]int64{10: -10}, Total: -115},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, ramenshop.Receipt(tc.lines))
		})
	}
}

func TestShouldNotifyAbsence(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	regular := ramenshop.Regular{Visits: 3, WithinDays: 30}
	for name, tc := range map[string]struct {
		visits []time.Time
		now    time.Time
		notify bool
		key    string
	}{
		"no visits":            {nil, day(100), false, ""},
		"not regular":          {[]time.Time{day(0), day(10)}, day(100), false, ""},
		"regular, recent":      {[]time.Time{day(0), day(10), day(20)}, day(30), false, ""},
		"regular, a day short": {[]time.Time{day(20), day(0), day(10)}, day(40).Add(-time.Second), false, ""},
		"regular, absent": {[]time.Time{day(20), day(0), day(10)}, day(41), true,
			"ramenshop:absent:c1:2024-04-21T12:00:00Z"},
		"exactly N days": {[]time.Time{day(0), day(10), day(20)}, day(40), true,
			"ramenshop:absent:c1:2024-04-21T12:00:00Z"},
		"visits too spread": {[]time.Time{day(0), day(29), day(31)}, day(100), false, ""},
		"spread, then regular": {[]time.Time{day(0), day(29), day(31), day(40)}, day(100), true,
			"ramenshop:absent:c1:2024-05-11T12:00:00Z"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			notify, key := ramenshop.ShouldNotifyAbsence("c1", tc.visits, regular, 20, tc.now)
			require.Equal(t, tc.notify, notify)
			require.Equal(t, tc.key, key)
		})
	}
}

// menuIDs are the IDs of the menu's items in a tenant catalog that
// installing the plugin filled, and tenantItems resolves them as the record
// engine does.
var menuIDs, tenantItems = enginecheck.TenantCatalog(ramenshop.Manifest().Templates[0].Catalogs)

// order is an order of input as the host hands it to the plugin: its
// lines name the tenant catalog's items (line), which fill their names,
// categories, variants and prices.
func order(t *testing.T, input map[string]any) sdk.Record {
	t.Helper()
	tpl := enginecheck.Template(t, ramenshop.Manifest().Templates[0])
	return sdk.Record{ID: "o1", Tenant: "t1", Template: ramenshop.TemplateOrder, TemplateVersion: 1,
		Values: enginecheck.ValuesWith(t, tpl, input, template.ValidateOptions{Location: time.UTC, Items: tenantItems})}
}

func TestPlugin(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]*plugintest.Plugin{
		"in-process": plugintest.InProcess(t, ramenshop.Opts()),
		"process":    plugintest.Launch(t, plugintest.Build(t, "./cmd/kiroku-plugin-ramenshop")),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testManifest(t, p)
			testValidate(t, p)
			testCompute(t, p)
			testAbsence(t, p)
		})
	}
}

func testAbsence(t *testing.T, p *plugintest.Plugin) {
	day := func(d int) time.Time { return time.Date(2026, 4, d, 3, 0, 0, 0, time.UTC) } // 12:00 JST
	visit := func(id string, d int) sdk.Record {
		return sdk.Record{ID: id, Template: ramenshop.TemplateOrder, Customer: "c1", ActualAt: day(d)}
	}
	customer := &sdk.Customer{ID: "c1", Name: "山田", Assignees: []string{"u1", "u2"}}

	// An order with a customer sets the timer AbsentDays after its visit.
	o := visit("o3", 10)
	for _, kind := range []string{sdk.EventRecordCreated, sdk.EventRecordUpdated} {
		got, err := p.HandleEvent(t.Context(), sdk.Event{ID: "e1", Kind: kind, Record: &o, Customer: customer})
		require.NoError(t, err)
		require.Equal(t, []sdk.Timer{{Key: "absent:c1:o3", At: day(10).AddDate(0, 0, 30), Customer: "c1"}}, got.Timers)
		require.Empty(t, got.Notifications)
	}
	// A draft, another template, an order without a time, or a deletion:
	// no timer.
	draft, other, timeless := o, o, o
	draft.Customer = ""
	other.Template = "builtin:daily"
	timeless.ActualAt = time.Time{}
	for _, e := range []sdk.Event{
		{ID: "e2", Kind: sdk.EventRecordCreated, Record: &draft},
		{ID: "e3", Kind: sdk.EventRecordCreated, Record: &other},
		{ID: "e4", Kind: sdk.EventRecordCreated, Record: &timeless},
		{ID: "e5", Kind: sdk.EventRecordDeleted, Record: &o},
	} {
		got, err := p.HandleEvent(t.Context(), e)
		require.NoError(t, err)
		require.Empty(t, got.Timers, e.ID)
	}

	timer := func(recent ...sdk.Record) sdk.Event {
		return sdk.Event{ID: "absent:c1:o3", Kind: sdk.EventTimer, TimerKey: "absent:c1:o3", At: day(10).AddDate(0, 0, 30),
			Customer: customer, RecentRecords: recent}
	}
	regular := []sdk.Record{visit("o3", 10), visit("o2", 5), visit("o1", 1)}
	// A regular (3 visits within 60 days) gone for 30 days: the assignees
	// are told, once per absence (the key names the last visit).
	got, err := p.HandleEvent(t.Context(), timer(regular...))
	require.NoError(t, err)
	require.Equal(t, []sdk.Notification{{
		Recipients: []string{"u1", "u2"},
		Subject:    "【常連客】山田様が30日以上ご来店されていません",
		Body:       "常連の山田様の最後のご来店は2026年4月10日です。30日以上ご来店がありません。",
		Key:        "ramenshop:absent:c1:2026-04-10T03:00:00Z",
	}}, got.Notifications)
	require.Empty(t, got.Timers)
	// A newer visit since, too few visits, or no assignees: nothing.
	unassigned := *customer
	unassigned.Assignees = nil
	for name, e := range map[string]sdk.Event{
		"newer visit":  timer(append([]sdk.Record{visit("o4", 20)}, regular...)...),
		"not regular":  timer(regular[:2]...),
		"no assignees": func() sdk.Event { e := timer(regular...); e.Customer = &unassigned; return e }(),
	} {
		got, err := p.HandleEvent(t.Context(), e)
		require.NoError(t, err)
		require.Empty(t, got.Notifications, name)
	}
}

func testManifest(t *testing.T, p *plugintest.Plugin) {
	m, err := p.Manifest(t.Context())
	require.NoError(t, err)
	require.Equal(t, "ramenshop", m.Name)
	require.Len(t, m.Templates, 1)
	tpl := m.Templates[0]
	require.Equal(t, ramenshop.TemplateOrder, tpl.Key)
	require.Equal(t, []string{"subtotal", "tax_10", "tax_8", "total"}, tpl.Computed)
	enginecheck.Template(t, tpl)
	lines := tpl.Fields[slices.IndexFunc(tpl.Fields, func(f sdk.Field) bool { return f.Key == "lines" })]
	require.True(t, lines.TenantCatalog, "orders name the tenant catalog's items")
	require.Empty(t, lines.Catalog)
	require.Len(t, tpl.Catalogs, 1, "the menu a host merges into the tenant catalog")
	require.Len(t, tpl.Catalogs[0].Items, len(ramenshop.Menu))
	require.Contains(t, tpl.Catalogs[0].Items, sdk.CatalogItem{Key: "miso-large", Name: "味噌ラーメン 大盛",
		Category: "ラーメン", Classification: "味噌 大盛", UnitPrice: 850, TaxRate: 10})
	require.Contains(t, m.Masters, sdk.MasterItem{Kind: "channel", Code: "ramenshop:counter", Label: "店頭"})
	require.Equal(t, []string{sdk.EventRecordCreated, sdk.EventRecordUpdated}, m.EventKinds)
}

// line is a line of the menu item called item (its key), named by its ID
// in the tenant catalog.
func line(item string, quantity any, rate ...int) map[string]any {
	l := map[string]any{"item": menuIDs[item], "quantity": quantity}
	if len(rate) > 0 {
		l["tax_rate"] = rate[0]
	}
	return l
}

func testValidate(t *testing.T, p *plugintest.Plugin) {
	records := []sdk.Record{
		order(t, map[string]any{"lines": []any{line("shoyu-large", 1), line("gyoza-5", 1), line("beer", 2)}}),
		order(t, map[string]any{"dining": "持ち帰り", "lines": []any{line("shoyu-large", 1, 8), line("beer", 1, 10)}}),
		order(t, map[string]any{"dining": "持ち帰り", "lines": []any{line("shoyu-large", 1), line("beer", 1, 8), line("rice", 0.5, 8)}}),
		order(t, map[string]any{"dining": "店内", "lines": []any{line("gyoza-10", 2, 8)}}),
		{ID: "raw", Template: ramenshop.TemplateOrder, Values: map[string]any{"dining": "出前", "lines": map[string]any{
			"items": []any{map[string]any{"name": "焼きそば", "quantity": 1.0, "unit_price": 600.0, "tax_rate": 10.0}}}}},
		// An item the tenant added to its catalog: its variant tells
		// alcohol.
		{ID: "highball", Template: ramenshop.TemplateOrder, Values: map[string]any{"dining": "持ち帰り", "lines": map[string]any{
			"items": []any{
				map[string]any{"item": uuid.NewString(), "name": "ハイボール", "category": "ドリンク", "variant": ramenshop.Alcohol,
					"quantity": 1.0, "unit_price": 450.0, "tax_rate": 8.0},
				map[string]any{"item": uuid.NewString(), "name": "メンマ", "category": "トッピング",
					"quantity": 1.0, "unit_price": 100.0, "tax_rate": 8.0},
			}}}},
		// An order of the first template version names the menu's keys.
		{ID: "v1", Template: ramenshop.TemplateOrder, Values: map[string]any{"dining": "持ち帰り", "lines": map[string]any{
			"items": []any{
				map[string]any{"item": "beer", "name": "生ビール", "quantity": 1.0, "unit_price": 550.0, "tax_rate": 8.0},
				map[string]any{"item": "rice", "name": "ライス", "quantity": 1.0, "unit_price": 150.0, "tax_rate": 8.0},
			}}}},
		{ID: "empty", Template: ramenshop.TemplateOrder, Values: map[string]any{}},
		{ID: "other", Template: "builtin:daily"},
	}
	got, err := p.ValidateRecords(t.Context(), records)
	require.NoError(t, err)
	for i := range got {
		if len(got[i]) == 0 {
			got[i] = nil
		}
	}
	pr := func(field, code, param string) sdk.FieldProblem {
		return sdk.FieldProblem{Field: "fields." + field, Code: code, Param: param}
	}
	require.Equal(t, [][]sdk.FieldProblem{
		nil,
		nil,
		{pr("lines[0].tax_rate", "not_allowed", "8"), pr("lines[1].tax_rate", "not_allowed", "10"), pr("lines[2].quantity", "format", "")},
		{pr("lines[0].tax_rate", "not_allowed", "10")},
		{pr("dining", "unknown", "出前"), pr("lines[0].item", "required", "")},
		{pr("lines[0].tax_rate", "not_allowed", "10")},
		{pr("lines[0].tax_rate", "not_allowed", "10")},
		{pr("dining", "required", ""), pr("lines", "required", "")},
		nil,
	}, got)
}

func testCompute(t *testing.T, p *plugintest.Plugin) {
	records := []sdk.Record{
		// 800 + 350 + 2 × 550 = 2,250 at 10%: tax 225.
		order(t, map[string]any{"lines": []any{line("shoyu-large", 1), line("gyoza-5", 1), line("beer", 2)}}),
		// Take-out: 3 × 850 + 650 = 3,200 at 8% (256) and 550 at 10% (55).
		order(t, map[string]any{"dining": "持ち帰り", "lines": []any{
			line("miso-large", 3, 8), line("gyoza-10", 1, 8), line("beer", 1, 10)}}),
		// 3 × 131 at 8%: 31.44 → 31 per receipt (per line it would be 30).
		order(t, map[string]any{"dining": "持ち帰り", "lines": []any{
			map[string]any{"item": menuIDs["egg"], "quantity": 3, "unit_price": 131, "tax_rate": 8}}}),
		{ID: "other", Template: "builtin:daily"},
	}
	got, err := p.ComputeRecords(t.Context(), records)
	require.NoError(t, err)
	require.Equal(t, []map[string]any{
		{"subtotal": 2250.0, "tax_10": 225.0, "tax_8": 0.0, "total": 2475.0},
		{"subtotal": 3750.0, "tax_10": 55.0, "tax_8": 256.0, "total": 4061.0},
		{"subtotal": 393.0, "tax_10": 0.0, "tax_8": 31.0, "total": 424.0},
		{},
	}, got)
	// The computed totals agree with the engine's own lines totals.
	lines := records[1].Values["lines"].(map[string]any)
	require.Equal(t, 4061.0, lines["total"])
}
