// Package gendata generates Kiroku's standard data set: the deterministic,
// realistic Japanese small-business data used by every benchmark and by the
// example server's demo mode.
//
// The package yields plain Go values only. It imports no other package of
// this module and no database code; callers map the values into their
// storage engines.
//
// # Configuration
//
// A [Config] fixes the seed, the base time ("now" of the data set) and the
// size of every tenant. [Standard] is the standard data set:
//
//	tenant 0      100 000 customers, 1 000 000 records, 200 staff, 20 groups
//	tenants 1–9     1 000 customers,    10 000 records,  10 staff,  2 groups
//
// [Small] is one tenant with 200 customers, 1 000 records, 8 staff and 2
// groups, for unit tests and the demo mode. [SmallBusiness] is one tenant
// with 10 000 customers, 100 000 records, 30 staff and 4 groups: a small
// business on SQLite. All use [DefaultSeed] and
// [DefaultBase] (2025-04-01 00:00 JST). Nothing reads the clock.
//
// # Determinism
//
// Equal configurations produce identical data, whatever the order or
// concurrency of calls. Each value is drawn from a math/rand/v2 PCG source
// whose key is derived from (seed, tenant, kind) and then from the value's
// index, so Customer(t, i) never depends on which customers, records or
// tenants were generated before. Changing the size of one tenant does not
// change the entities of another, and changing the number of records does
// not change any customer. (Within a tenant, customer creation times and
// the customer choice of records depend on the number of customers, and
// assignees and authors on the staff.)
//
// # Streaming
//
// Customers and contact records are computed from their index on demand
// ([Generator.Customer], [Generator.Record]) or streamed with iterators
// ([Generator.Customers], [Generator.CustomerRange], [Generator.Records],
// [Generator.RecordRange]); a tenant is never materialised as a slice.
// Only the small per-tenant structures (staff, org tree, groups) are
// precomputed by [New]. A [Generator] is immutable and safe for concurrent
// use, so ranges can be generated in parallel.
//
// # Tenants, staff, org units and groups
//
// Tenant t has Slug "tenantNN" and a company name. Its staff ([Staff]):
// staff 0 is the admin ([RoleAdmin]), staff 1..m the managers (about 10%,
// at least one), the last n/50 staff are partners in tenants with 100 or
// more staff (four in the big tenant), everybody else is [RoleStaff]. Login
// names are unique within a tenant ("tsato007"), e-mails are unique across
// tenants.
//
// The org tree ([Generator.OrgUnits]) is 本社 → three 支店 → two or three
// 部署 each, parents listed before children. The admin works at 本社, the
// first three managers head the branches, everybody else is in a department
// (a few ordinary staff at 本社).
//
// Every group ([Generator.Groups]) has one or two managers and a share of
// the ordinary staff and partners; about 15% of staff join a second group.
// Where the numbers allow (as in Standard and Small) nobody is in more than
// two groups. [Staff.Groups] lists the groups a staff member manages or is a
// member of.
//
// # Customers
//
// [Customer] values describe realistic Japanese customers:
//
//   - about 80% individuals and 20% companies (株式会社〇〇, 〇〇商事,
//     有限会社〇〇 …, with a department and a contact person); about 30%
//     prospects and 70% existing customers;
//   - names from about 190 family names weighted by real frequency (佐藤,
//     鈴木, 高橋, 田中 …, rare names such as 小鳥遊, and variant kanji such as
//     髙橋, 山﨑, 齋藤, 渡邉 and 𠮷田 so that Shift_JIS/CP932 edge cases
//     appear) and about 160 given names split by gender and generation;
//   - readings in full-width katakana, parts separated by U+3000; company
//     readings omit the legal form;
//   - gender (individuals 47% male, 47% female, 6% unspecified); birthday
//     of individuals between 1935 and 2005 as year, month and day (zero for
//     companies), given names matching the birth generation most of the
//     time;
//   - an ASCII e-mail from the romanised name and the index
//     (taro.sato.12345@example.jp), unique within the tenant; a mobile
//     number 070/080/090-XXXX-XXXX; a landline with the area code of the
//     address (03-XXXX-XXXX, 045-XXX-XXXX, 0263-XX-XXXX, always ten
//     digits); a postal code NNN-NNNN plausible for the city; an address
//     from about 50 real prefecture/city pairs with 町名 and 丁目-番-号
//     in the notations found in real data (including occasional full-width
//     digits and U+FF0D hyphens) and sometimes a building;
//   - preferred contact method, decision maker (a name or empty), rank
//     A/B/C weighted 20/50/30, a memo of zero to two sentences, one or two
//     assignees, and a creation time within the three years before the
//     base time, advancing with the index.
//
// # Contact records
//
// [Record] values are contact records. The customer is skewed: 60% of
// records pick a customer uniformly, the rest follow a Zipf-like law, so
// the top customers of the big tenant have several hundred records while
// the mean is ten. About 3% are drafts without customer (visible to the
// author only). The author is usually one of the customer's assignees.
// Templates are interview (面談記録) 30%, sales (商談) 25%, inquiry (問合せ)
// 15%, claim (クレーム・提案) 5% and daily (日報) 25%; channel and progress
// follow the template. About 8% are planned only: PlannedAt lies within 60
// days after the base time and ActualAt is zero. Other records happened
// between the customer's creation and the base time, rarely on Sundays
// and mostly in business hours; appointments (visits, online meetings, some
// others) also have a PlannedAt. The public memo has one to four sentences
// combined from phrase tables (商談, 見積, 次回訪問, 体調, ご家族 …), the
// private memo is empty for about 40% of records and otherwise one to four
// sentences. Every record has work minutes (15–180), an amount in yen when
// the stage involves money, the important flag (about 5%), the
// shared-with-customer flag (about 20%) and a [Visibility] (about 80%
// company, the rest org unit, group or a list of users).
//
// Memos occasionally contain characters that stress CP932 round trips:
// the wave dash 〜 and circled digits ①②; a few company names use ㈱.
//
// # Romanisation
//
// [Romanize] converts the katakana readings to passport-style Hepburn; it
// is used for e-mails and login names and is exported for callers that
// need the same spelling.
package gendata
