package ramenshop

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Keys of the plugin's contributions.
const (
	// Name is the plugin's namespace.
	Name = "ramenshop"
	// TemplateOrder is the order template (注文).
	TemplateOrder = "ramenshop:order"
	// CatalogMenu is the key of the order template's menu catalog, which
	// a host merges into the tenant's catalog at install.
	CatalogMenu = "menu"
	// Alcohol is the variant (分類) of the menu's alcoholic drinks; an
	// item of the tenant's catalog with this variant or category never
	// takes the reduced rate.
	Alcohol = "アルコール"
)

// Dining choices (飲食区分).
const (
	EatIn   = "店内"
	TakeOut = "持ち帰り"
)

// Tax rates in percent.
const (
	StandardRate = 10
	ReducedRate  = 8
)

// MenuItem is one item of the menu. Price is in yen, tax excluded; Alcohol
// items never take the reduced rate.
type MenuItem struct {
	Key            string
	Name           string
	Category       string
	Classification string
	Price          int64
	Alcohol        bool
}

// Menu is the shop's menu in display order. Edit it to change the menu;
// keep the keys of items that stay on it.
var Menu = []MenuItem{
	{"shoyu-regular", "醤油ラーメン 普通", "ラーメン", "醤油 普通", 700, false},
	{"shoyu-large", "醤油ラーメン 大盛", "ラーメン", "醤油 大盛", 800, false},
	{"miso-regular", "味噌ラーメン 普通", "ラーメン", "味噌 普通", 750, false},
	{"miso-large", "味噌ラーメン 大盛", "ラーメン", "味噌 大盛", 850, false},
	{"shio-regular", "塩ラーメン 普通", "ラーメン", "塩 普通", 700, false},
	{"shio-large", "塩ラーメン 大盛", "ラーメン", "塩 大盛", 800, false},
	{"tsukemen-regular", "つけ麺 普通", "つけ麺", "普通", 850, false},
	{"tsukemen-large", "つけ麺 大盛", "つけ麺", "大盛", 950, false},
	{"gyoza-5", "餃子 5個", "餃子", "5個", 350, false},
	{"gyoza-10", "餃子 10個", "餃子", "10個", 650, false},
	{"rice", "ライス", "ご飯", "普通", 150, false},
	{"rice-large", "ライス 大", "ご飯", "大", 200, false},
	{"egg", "味玉", "トッピング", "味玉", 120, false},
	{"chashu", "チャーシュー", "トッピング", "チャーシュー", 250, false},
	{"oolong", "ウーロン茶", "ドリンク", "ソフトドリンク", 200, false},
	{"cola", "コーラ", "ドリンク", "ソフトドリンク", 250, false},
	{"beer", "生ビール", "ドリンク", Alcohol, 550, true},
}

// menuItem returns the menu item with the given key.
func menuItem(key string) (MenuItem, bool) {
	i := slices.IndexFunc(Menu, func(m MenuItem) bool { return m.Key == key })
	if i < 0 {
		return MenuItem{}, false
	}
	return Menu[i], true
}

// TaxRate returns the rate an item takes for a dining choice: the reduced
// rate for food and non-alcoholic drinks taken out, the standard rate
// otherwise.
func TaxRate(alcohol bool, dining string) int {
	if dining == TakeOut && !alcohol {
		return ReducedRate
	}
	return StandardRate
}

// Line is a line of a receipt: a whole quantity of a unit price (yen, tax
// excluded) at a tax rate (percent).
type Line struct {
	Quantity  int64
	UnitPrice int64
	TaxRate   int
}

// Totals are a receipt's totals in yen.
type Totals struct {
	// Subtotal is the sum of the lines, tax excluded (小計).
	Subtotal int64
	// Taxes is the tax per rate (percent → yen), one entry per rate of
	// the lines.
	Taxes map[int]int64
	// Total is Subtotal plus the taxes (合計).
	Total int64
}

// Receipt totals lines per receipt: the tax of each rate is the sum of
// that rate's lines times the rate, rounded down once (切り捨て), never per
// line. Like the record engine's lines, a negative sum (discounts) rounds
// its magnitude down.
func Receipt(lines []Line) Totals {
	base := map[int]int64{}
	t := Totals{Taxes: map[int]int64{}}
	for _, l := range lines {
		amount := l.Quantity * l.UnitPrice
		t.Subtotal += amount
		base[l.TaxRate] += amount
	}
	t.Total = t.Subtotal
	for rate, b := range base {
		tax := b * int64(rate) / 100 // truncates the magnitude
		t.Taxes[rate] = tax
		t.Total += tax
	}
	return t
}

// Regular is what makes a customer a regular (常連客): at least Visits
// visits within WithinDays days.
type Regular struct {
	Visits     int
	WithinDays int
}

// ShouldNotifyAbsence reports whether to announce that a regular customer
// has not visited for absentDays days: the customer was a regular at their
// last visit (at least r.Visits visits, the last included, within the
// r.WithinDays days ending with it) and now is at least absentDays days
// after it. key is stable for one absence: it names the customer and the
// last visit, so a later visit starts a new absence with a new key. visits
// need not be sorted.
func ShouldNotifyAbsence(customer string, visits []time.Time, r Regular, absentDays int, now time.Time) (notify bool, key string) {
	if len(visits) == 0 || r.Visits <= 0 {
		return false, ""
	}
	last := slices.MaxFunc(visits, time.Time.Compare)
	from := last.Add(-time.Duration(r.WithinDays) * 24 * time.Hour)
	n := 0
	for _, v := range visits {
		if v.After(from) && !v.After(last) {
			n++
		}
	}
	if n < r.Visits || now.Sub(last) < time.Duration(absentDays)*24*time.Hour {
		return false, ""
	}
	return true, fmt.Sprintf("%s:absent:%s:%s", Name, customer, last.UTC().Format(time.RFC3339))
}

// Settings of the absence notice (see the package documentation); edit
// them to change when a regular's absence is announced.
var (
	// AbsentDays is how many days without a visit make an absence.
	AbsentDays = 30
	// RegularCustomer is what makes a customer a regular.
	RegularCustomer = Regular{Visits: 3, WithinDays: 60}
)

// Opts are the plugin's serve options: the manifest, Validate, Compute and
// HandleEvent.
func Opts() sdk.ServeOpts {
	return sdk.ServeOpts{
		Manifest:     Manifest(),
		Validator:    sdk.ValidateEach(func(r sdk.Record) []sdk.FieldProblem { return problems(r.Values) }, TemplateOrder),
		Computer:     sdk.ComputeEach(compute, TemplateOrder),
		EventHandler: sdk.EventHandlerFunc(HandleEvent),
	}
}

// visitTime is when the order r was a visit: its actual time, else its
// planned time; false when it has neither.
func visitTime(r sdk.Record) (time.Time, bool) {
	switch {
	case !r.ActualAt.IsZero():
		return r.ActualAt, true
	case !r.PlannedAt.IsZero():
		return r.PlannedAt, true
	}
	return time.Time{}, false
}

// HandleEvent watches regulars' absences (see the package documentation).
// An order created or updated with a customer and a visit time sets the
// timer "absent:<customer>:<record ID>" AbsentDays days after the visit.
// When such a timer is due, ShouldNotifyAbsence over the visit times of
// the customer's recent orders (Event.RecentRecords) decides whether the
// customer's assignees are told; a newer visit, or a customer who is not a
// regular, means no notice.
func HandleEvent(_ context.Context, e sdk.Event) (sdk.EventResult, error) {
	switch e.Kind {
	case sdk.EventRecordCreated, sdk.EventRecordUpdated:
		r := e.Record
		if r == nil || r.Template != TemplateOrder || r.Customer == "" {
			return sdk.EventResult{}, nil
		}
		visit, ok := visitTime(*r)
		if !ok {
			return sdk.EventResult{}, nil
		}
		return sdk.EventResult{Timers: []sdk.Timer{{
			Key: fmt.Sprintf("absent:%s:%s", r.Customer, r.ID), At: visit.AddDate(0, 0, AbsentDays), Customer: r.Customer,
		}}}, nil
	case sdk.EventTimer:
		c := e.Customer
		if c == nil || len(c.Assignees) == 0 {
			return sdk.EventResult{}, nil
		}
		var visits []time.Time
		for _, r := range e.RecentRecords {
			if t, ok := visitTime(r); ok && r.Template == TemplateOrder {
				visits = append(visits, t)
			}
		}
		notify, key := ShouldNotifyAbsence(c.ID, visits, RegularCustomer, AbsentDays, e.At)
		if !notify {
			return sdk.EventResult{}, nil
		}
		last := slices.MaxFunc(visits, time.Time.Compare).In(japan)
		return sdk.EventResult{Notifications: []sdk.Notification{{
			Recipients: slices.Clone(c.Assignees),
			Subject:    fmt.Sprintf("【常連客】%s様が%d日以上ご来店されていません", c.Name, AbsentDays),
			Body: fmt.Sprintf("常連の%s様の最後のご来店は%d年%d月%d日です。%d日以上ご来店がありません。",
				c.Name, last.Year(), last.Month(), last.Day(), AbsentDays),
			Key: key,
		}}}, nil
	}
	return sdk.EventResult{}, nil
}

// japan is the shop's time zone, for dates in notices.
var japan = time.FixedZone("JST", 9*60*60)

func bound(v float64) *float64 { return &v }

// Manifest returns what the plugin contributes (see the package
// documentation), with the channel master items 店頭 and 電話注文.
func Manifest() sdk.Manifest {
	items := make([]sdk.CatalogItem, len(Menu))
	for i, m := range Menu {
		items[i] = sdk.CatalogItem{Key: m.Key, Name: m.Name, Category: m.Category, Classification: m.Classification,
			UnitPrice: m.Price, TaxRate: StandardRate}
	}
	return sdk.Manifest{
		Name:        Name,
		Version:     "1.0.0",
		DisplayName: "ラーメン店",
		Description: "ラーメン店のメニュー（カテゴリー・分類）と注文記録。店内10%・持ち帰り8%（軽減税率）の消費税をレシートごとに計算します。",
		Templates: []sdk.Template{{
			Key:         TemplateOrder,
			Name:        "注文",
			Description: "来店・持ち帰りの注文の記録です。税込合計は自動計算されます。",
			Fields: []sdk.Field{
				{Key: "dining", Label: "飲食区分", Type: "select", Required: true, Options: []string{EatIn, TakeOut}, Default: EatIn,
					Help: "持ち帰りの飲食料品は軽減税率8%です（酒類は10%）。"},
				{Key: "lines", Label: "注文内容", Type: "lines", Required: true, Min: bound(1), TenantCatalog: true},
				{Key: "subtotal", Label: "小計（税抜）", Type: "money"},
				{Key: "tax_10", Label: "消費税（10%）", Type: "money"},
				{Key: "tax_8", Label: "消費税（8%）", Type: "money"},
				{Key: "total", Label: "合計（税込）", Type: "money"},
			},
			Aggregations: []sdk.Aggregation{
				{Key: "sales", Label: "売上（税込）", Expr: "sum(.total)", Unit: "円"},
				{Key: "orders", Label: "注文数", Expr: "count()", Unit: "件"},
				{Key: "average", Label: "客単価（税込）", Expr: "avg(.total)", Unit: "円"},
			},
			Catalogs:    []sdk.Catalog{{Key: CatalogMenu, Name: "メニュー", Items: items}},
			TaxRounding: "floor",
			Computed:    []string{"subtotal", "tax_10", "tax_8", "total"},
		}},
		Masters: []sdk.MasterItem{
			{Kind: "channel", Code: "ramenshop:counter", Label: "店頭"},
			{Kind: "channel", Code: "ramenshop:phone", Label: "電話注文"},
		},
		EventKinds: []string{sdk.EventRecordCreated, sdk.EventRecordUpdated},
	}
}

// orderLine is a line of an order's lines value in its JSON form.
type orderLine struct {
	item, category, variant string
	quantity                float64
	price                   float64
	rate                    float64
}

// alcohol reports whether l is an alcoholic drink: a menu item marked so
// (orders of the first template version name the menu's keys), or an item
// of the tenant's catalog whose variant or category is Alcohol.
func (l orderLine) alcohol() bool {
	if m, ok := menuItem(l.item); ok {
		return m.Alcohol
	}
	return l.variant == Alcohol || l.category == Alcohol
}

// orderLines reads the lines of a lines value in its JSON form: the
// canonical map with "items", or a bare list of line maps.
func orderLines(v any) []orderLine {
	list, _ := v.([]any)
	if m, ok := v.(map[string]any); ok {
		list, _ = m["items"].([]any)
	}
	out := make([]orderLine, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		var l orderLine
		l.item, _ = m["item"].(string)
		l.category, _ = m["category"].(string)
		l.variant, _ = m["variant"].(string)
		l.quantity, _ = m["quantity"].(float64)
		l.price, _ = m["unit_price"].(float64)
		l.rate, _ = m["tax_rate"].(float64)
		out = append(out, l)
	}
	return out
}

func problems(values map[string]any) []sdk.FieldProblem {
	var ps []sdk.FieldProblem
	add := func(field, code, param string) {
		ps = append(ps, sdk.FieldProblem{Field: "fields." + field, Code: code, Param: param})
	}
	dining, _ := values["dining"].(string)
	switch dining {
	case EatIn, TakeOut:
	case "":
		add("dining", sdk.CodeRequired, "")
	default:
		add("dining", sdk.CodeUnknown, dining)
	}
	lines := orderLines(values["lines"])
	if len(lines) == 0 {
		add("lines", sdk.CodeRequired, "")
	}
	for i, l := range lines {
		// The field prefix is formatted only for a line with a problem.
		p := func(part string) string { return fmt.Sprintf("lines[%d].%s", i, part) }
		if l.quantity != math.Trunc(l.quantity) || l.quantity < 1 {
			add(p("quantity"), sdk.CodeFormat, "")
		}
		// The host checked the item (in the tenant's catalog, or in the
		// menu of the first template version); a shop sells items, never
		// free lines.
		if l.item == "" {
			add(p("item"), sdk.CodeRequired, "")
			continue
		}
		if dining != EatIn && dining != TakeOut {
			continue
		}
		if want := TaxRate(l.alcohol(), dining); l.rate != float64(want) {
			add(p("tax_rate"), sdk.CodeNotAllowed, fmt.Sprint(want))
		}
	}
	return ps
}

// compute derives the totals of an order record with Receipt from its
// lines.
func compute(r sdk.Record) map[string]any {
	var lines []Line
	for _, l := range orderLines(r.Values["lines"]) {
		lines = append(lines, Line{Quantity: int64(l.quantity), UnitPrice: int64(l.price), TaxRate: int(l.rate)})
	}
	t := Receipt(lines)
	return map[string]any{
		"subtotal": t.Subtotal,
		"tax_10":   t.Taxes[StandardRate],
		"tax_8":    t.Taxes[ReducedRate],
		"total":    t.Total,
	}
}
