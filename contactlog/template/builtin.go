package template

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// Keys of the built-in templates.
const (
	KeyInterview = "builtin:interview" // 面談記録
	KeySales     = "builtin:sales"     // 商談
	KeyInquiry   = "builtin:inquiry"   // 問合せ
	KeyClaim     = "builtin:claim"     // クレーム・提案
	KeyDaily     = "builtin:daily"     // 日報
	KeyUsage     = "builtin:usage"     // 利用・会計
)

// builtins returns every version of every built-in template. A built-in
// definition is never changed in place: a change appends a new version,
// and the old one stays here for the records written with it.
func builtins() []Template {
	all := builtinsV1()
	// 商談 v2 drops v1's own 進捗 field ("stage"): the record's 進捗 — the
	// tenant's progress master, which drives the customer's 現進捗 — is
	// the only one, so the two cannot disagree. The contactlog migration
	// 20261206100002_sales_progress moves v1 records onto v2.
	i := slices.IndexFunc(all, func(t Template) bool { return t.Key == KeySales })
	sales := all[i].Clone()
	sales.Version = 2
	sales.Description = "商談の確度・見込金額の記録。進捗は記録の「進捗」で選び、顧客の現進捗になります。パートナーには表示されません。"
	sales.Fields = slices.DeleteFunc(sales.Fields, func(f Field) bool { return f.Key == "stage" })
	all = slices.Insert(all, i+1, sales)
	// 利用・会計 v2 says what v1 left to guessing: its lines draw from the
	// tenant's catalog (カテゴリー管理), so an item is a catalog item's ID
	// and never a free code that happens to look like one. The contactlog
	// migration 20261208000002_usage_tenant_catalog moves v1 records,
	// whose item IDs were read the same way, onto v2.
	i = slices.IndexFunc(all, func(t Template) bool { return t.Key == KeyUsage })
	usage := all[i].Clone()
	usage.Version = 2
	usage.Fields[slices.IndexFunc(usage.Fields, func(f Field) bool { return f.Key == "items" })].TenantCatalog = true
	return slices.Insert(all, i+1, usage)
}

// builtinsV1 are the first versions of the built-in templates.
func builtinsV1() []Template {
	return []Template{
		{
			Key: KeyInterview, Version: 1, Name: "面談記録",
			Description: "お客様との面談の記録。日時・写真・公開メモ/非公開メモは記録本体に残し、ここでは面談の要点と次回への申し送りを残します。",
			Fields: []Field{
				{Key: "place", Label: "面談場所", Type: FieldText, Max: Limit(100), Help: "例: 本社応接室、お客様宅、オンライン"},
				{Key: "purpose", Label: "面談目的", Type: FieldSelect, Options: []string{"初回面談", "定期訪問", "提案", "契約", "アフターフォロー", "その他"}},
				{Key: "attendees", Label: "先方出席者", Type: FieldText, Max: Limit(200)},
				{Key: "hearing", Label: "ヒアリング内容", Type: FieldLongText},
				{Key: "requests", Label: "お客様の要望", Type: FieldLongText},
				{Key: "promises", Label: "約束事項", Type: FieldLongText, Help: "お客様と約束したこと(資料送付、見積提出など)"},
				{Key: "next_proposal", Label: "次回提案事項", Type: FieldLongText},
				{Key: "next_contact_on", Label: "次回連絡予定日", Type: FieldDate},
			},
			Aggregations: []Aggregation{
				{Key: "interviews", Label: "面談件数", Expr: "count()", Unit: "件"},
			},
		},
		{
			Key: KeySales, Version: 1, Name: "商談", Confidential: true,
			Description: "商談の進捗・確度・見込金額の記録。パートナーには表示されません。",
			Fields: []Field{
				{Key: "stage", Label: "進捗", Type: FieldSelect, Required: true, Default: "初回接触",
					Options: []string{"初回接触", "ヒアリング", "提案", "見積提示", "交渉", "受注", "失注"}},
				{Key: "probability", Label: "確度", Type: FieldSelect, Options: []string{"A", "B", "C"},
					Help: "A: 受注見込み高 / B: 五分五分 / C: 見込み低"},
				{Key: "expected_amount", Label: "見込金額", Type: FieldMoney, Min: Limit(0)},
				{Key: "expected_close_on", Label: "受注予定日", Type: FieldDate},
				{Key: "competitors", Label: "競合", Type: FieldText, Max: Limit(200)},
				{Key: "hearing", Label: "ヒアリング内容", Type: FieldLongText},
				{Key: "proposal", Label: "提案内容", Type: FieldLongText},
				{Key: "next_action", Label: "次回アクション", Type: FieldLongText},
			},
			Aggregations: []Aggregation{
				{Key: "pipeline", Label: "見込金額合計", Expr: "sum(.expected_amount)", Unit: "円"},
				{Key: "average_amount", Label: "平均見込金額", Expr: "avg(.expected_amount)", Unit: "円"},
				{Key: "meetings", Label: "商談件数", Expr: "count()", Unit: "件"},
			},
		},
		{
			Key: KeyInquiry, Version: 1, Name: "問合せ",
			Description: "電話・メール・来店などでのお問合せと回答の記録。",
			Fields: []Field{
				{Key: "channel", Label: "問合せ経路", Type: FieldSelect, Required: true,
					Options: []string{"電話", "メール", "来店", "Webフォーム", "SNS", "その他"}},
				{Key: "category", Label: "問合せ種別", Type: FieldSelect,
					Options: []string{"商品・サービス", "料金", "予約・日程", "手続き", "その他"}},
				{Key: "content", Label: "問合せ内容", Type: FieldLongText, Required: true},
				{Key: "answer", Label: "回答内容", Type: FieldLongText},
				{Key: "resolved", Label: "対応完了", Type: FieldBoolean, Default: false},
				{Key: "handling_minutes", Label: "対応時間", Type: FieldDuration, Min: Limit(0), Max: Limit(1440)},
			},
			Aggregations: []Aggregation{
				{Key: "inquiries", Label: "問合せ件数", Expr: "count()", Unit: "件"},
				{Key: "resolved_rate", Label: "完了率", Expr: "count() > 0 ? sum(.resolved) / count() * 100 : 0", Unit: "%"},
				{Key: "handling_minutes", Label: "対応時間合計", Expr: "sum(.handling_minutes)", Unit: "分"},
			},
		},
		{
			Key: KeyClaim, Version: 1, Name: "クレーム・提案",
			Description: "お客様から頂いたクレームや提案事項と、その対処内容・対処予定の記録。",
			Fields: []Field{
				{Key: "kind", Label: "種別", Type: FieldSelect, Required: true, Options: []string{"クレーム", "提案"}},
				{Key: "title", Label: "件名", Type: FieldText, Required: true, Max: Limit(100)},
				{Key: "content", Label: "内容", Type: FieldLongText, Required: true},
				{Key: "response", Label: "対処内容", Type: FieldLongText},
				{Key: "planned_response", Label: "対処予定", Type: FieldLongText},
				{Key: "status", Label: "対応状況", Type: FieldSelect, Default: "未対応",
					Options: []string{"未対応", "対応中", "対応済"}},
				{Key: "responded_on", Label: "対処日", Type: FieldDate},
			},
			Aggregations: []Aggregation{
				{Key: "claims", Label: "件数", Expr: "count()", Unit: "件"},
			},
		},
		{
			Key: KeyDaily, Version: 1, Name: "日報",
			Description: "一日の業務の記録。作業時間や訪問件数は顧客履歴やレポートでグラフになります。",
			Fields: []Field{
				{Key: "work_minutes", Label: "作業時間", Type: FieldDuration, Required: true, Min: Limit(0), Max: Limit(1440),
					Help: "例: 90、1:30、1時間30分"},
				{Key: "visits", Label: "訪問件数", Type: FieldInteger, Min: Limit(0), Max: Limit(1000), Unit: "件"},
				{Key: "calls", Label: "電話件数", Type: FieldInteger, Min: Limit(0), Max: Limit(1000), Unit: "件"},
				{Key: "points_used", Label: "消費ポイント", Type: FieldNumber, Min: Limit(0), Unit: "pt"},
				{Key: "work_done", Label: "業務内容", Type: FieldLongText, Required: true},
				{Key: "findings", Label: "所感・課題", Type: FieldLongText},
				{Key: "plan", Label: "翌日の予定", Type: FieldLongText},
			},
			Aggregations: []Aggregation{
				{Key: "work_minutes", Label: "作業時間合計", Expr: "sum(.work_minutes)", Unit: "分"},
				{Key: "work_hours", Label: "作業時間合計(時間)", Expr: "sum(.work_minutes) / 60", Unit: "時間"},
				{Key: "average_minutes", Label: "平均作業時間", Expr: "avg(.work_minutes)", Unit: "分"},
				{Key: "visits", Label: "訪問件数合計", Expr: "sum(.visits)", Unit: "件"},
				{Key: "visits_per_report", Label: "日報あたり訪問件数", Expr: "count() > 0 ? sum(.visits) / count() : 0", Unit: "件"},
				{Key: "points_used", Label: "消費ポイント合計", Expr: "sum(.points_used)", Unit: "pt"},
			},
		},
		{
			Key: KeyUsage, Version: 1, Name: "利用・会計",
			Description: "ご利用・お買い上げの記録(会計項目)。金額は税抜き単価から計算し、消費税は税率ごとに1回端数処理します。",
			TaxRounding: RoundFloor,
			Fields: []Field{
				{Key: "items", Label: "会計項目", Type: FieldLines, Required: true, Min: Limit(1), Max: Limit(100),
					Help: "商品・サービスごとに数量・単価(税抜き)・税率を入力します。持ち帰りの飲食料品は8%です。"},
				{Key: "payment", Label: "支払方法", Type: FieldSelect,
					Options: []string{"現金", "クレジットカード", "電子マネー", "QRコード決済", "請求書払い", "その他"}},
				{Key: "note", Label: "備考", Type: FieldLongText},
			},
			Aggregations: []Aggregation{
				{Key: "sales", Label: "売上合計(税込)", Expr: "sum(.items)", Unit: "円"},
				{Key: "average_sale", Label: "客単価(税込)", Expr: "avg(.items)", Unit: "円"},
				{Key: "visits", Label: "利用件数", Expr: "count()", Unit: "件"},
			},
		},
	}
}

// Builtins returns the latest version of every built-in template, as
// fresh copies the caller may change: 面談記録 (builtin:interview), 商談
// (builtin:sales, confidential), 問合せ (builtin:inquiry), クレーム・提案
// (builtin:claim), 日報 (builtin:daily) and 利用・会計 (builtin:usage).
func Builtins() []Template {
	all := builtins()
	latest := map[string]int{}
	for _, t := range all {
		latest[t.Key] = max(latest[t.Key], t.Version)
	}
	out := make([]Template, 0, len(latest))
	for _, t := range all {
		if t.Version == latest[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

// BuiltinSource returns the Source of the built-in templates (the
// "builtin" namespace). They are the same for every tenant.
func BuiltinSource() Source { return builtinSource{} }

type builtinSource struct{}

var _ Source = builtinSource{}

func (builtinSource) Templates(context.Context, uuid.UUID) ([]Template, error) {
	return Builtins(), nil
}

func (builtinSource) Template(_ context.Context, _ uuid.UUID, key string, version int) (*Template, error) {
	return pick(builtins(), key, version)
}

// pick returns the given version of key among ts (0: the latest).
func pick(ts []Template, key string, version int) (*Template, error) {
	var found *Template
	for i := range ts {
		t := &ts[i]
		if t.Key != key {
			continue
		}
		if t.Version == version || (version == 0 && (found == nil || t.Version > found.Version)) {
			found = t
		}
	}
	if found == nil {
		if version == 0 || !slices.ContainsFunc(ts, func(t Template) bool { return t.Key == key }) {
			return nil, fmt.Errorf("template: %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("template: %s version %d: %w", key, version, ErrNotFound)
	}
	c := found.Clone()
	return &c, nil
}
