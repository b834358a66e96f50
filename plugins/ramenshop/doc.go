// Package ramenshop is Kiroku's first-party plugin for a ramen shop (ラーメン
// 店): its menu, its orders (注文) with the consumption tax of 軽減税率, and
// the rule for noticing a regular customer (常連客) who stopped coming. The
// plugin's binary is cmd/kiroku-plugin-ramenshop; Opts are its serve
// options.
//
// # Menu (メニュー)
//
// Menu is the shop's menu, contributed as the catalog "menu" of the order
// template, for the host to merge into the tenant's catalog. Like MASPO's
// カテゴリー and 分類, items are grouped by category
// (ラーメン, つけ麺, 餃子, ご飯, トッピング, ドリンク) and classification (the
// variant: 醤油・味噌・塩 × 普通・大盛, 5個・10個, …). Prices are yen, tax
// excluded (税抜き). Alcohol (生ビール) is marked: it never qualifies for the
// reduced rate. A host with a tenant catalog (plugins.Config.Catalog)
// merges the menu into it when a tenant installs the plugin — categories
// ラーメン, つけ麺, …, the classification as the variant — so purchases
// (利用・会計), orders and the sales analysis offer it; the tenant owns
// those items then (its prices and archiving survive reinstalling), and
// an order written after a price change in カテゴリー管理 takes the new
// price. Orders of the template's first version named the menu's keys
// and keep their lines.
//
// # Order (ramenshop:order, 注文)
//
//	key       type    label             rule
//	dining    select  飲食区分          required, default 店内; 店内 (eat-in) or 持ち帰り (take-out)
//	lines     lines   注文内容          required; items of the tenant catalog, whole quantities
//	subtotal  money   小計（税抜）      computed
//	tax_10    money   消費税（10%）     computed
//	tax_8     money   消費税（8%）      computed
//	total     money   合計（税込）      computed
//
// The template aggregates sales (sum of total), orders (count) and the
// average order (客単価).
//
// # Tax (消費税・軽減税率)
//
// Food and non-alcoholic drinks are taxed at 10% when eaten in the shop
// (店内飲食) and at the reduced rate of 8% when taken out (持ち帰り, 軽減税率);
// alcohol is 10% either way (TaxRate): a menu item marked Alcohol, or an
// item of the tenant's catalog whose variant or category is アルコール
// (Alcohol; the menu's 生ビール is ドリンク / アルコール). The menu's
// categories carry 10%, the eat-in rate; a take-out order's lines carry 8%
// for the reduced items.
// The plugin chooses to validate rather than to rewrite: its validator refuses
// a line whose tax rate contradicts the order's dining choice (code
// not_allowed at fields.lines[i].tax_rate, Param the rate it must have), so
// that the lines stored, the receipt printed and the computed totals
// always agree; a client sets the rates when the dining choice changes.
//
// Its computer derives the totals with Receipt, per receipt as the
// qualified-invoice rules (インボイス制度) require: the tax of each rate is
// computed once on the sum of that rate's lines and rounded down (切り捨て),
// never per line. subtotal is the sum of the lines tax excluded, tax_10 and
// tax_8 the tax of each rate (0 when the order has none), total the sum.
//
// The validator also reports a quantity that is not a whole number (format: a
// shop sells whole bowls), a line without an item (required: the host
// checks the item itself against the tenant's catalog), and a missing
// dining choice (required).
//
// # Regular customers (常連客)
//
// ShouldNotifyAbsence is the rule "a regular customer has not visited for
// N days": given a customer's visit times, a Regular definition (at least
// Visits visits within WithinDays days), N and now, it tells whether to
// notify and a key that is stable per absence (the customer and the last
// visit), so the notice goes out once per absence.
//
// The settings are AbsentDays (N, default 30) and RegularCustomer (default
// 3 visits within 60 days). An order's visit is its actual time, else its
// planned time; an order with neither is not a visit. HandleEvent applies
// the rule with timers, since an absence is the lack of an event: an order
// created or updated for a customer sets the timer
// "absent:<customer>:<record ID>" AbsentDays after its visit (set once per
// order: moving an order's time later does not move its timer). When the
// timer is due, the host delivers the customer's most recent records; if
// none is a newer visit and the customer was a regular at the last visit,
// the customer's assignees (担当者) are told 「【常連客】…様が30日以上ご来店
// されていません」, once per absence.
package ramenshop
