// Package report evaluates the aggregations that record templates declare
// (contactlog/template: Aggregation, expr strings) over the contact records
// a principal may see, grouped by period or by person, and turns results
// into charts (report/chart) and CSV.
//
// # Aggregating
//
// Service.Aggregate takes a Query: one template, the aggregations to
// compute (default: all the template declares), a grouping, a period and
// any record filter contactlog's search accepts (contactlog.Query). The
// records counted are exactly those contactlog.Service.Search would list
// for the principal: the permission predicate and the filters are part of
// the SQL (contactlog.Service.Matching), never applied afterwards.
//
// Groupings:
//
//   - none: one group over the whole period;
//   - day, week (Monday to Sunday), month, year: periods in the tenant's
//     time zone (Principal.Location), every period of [From, To) listed,
//     empty ones included, by the record's time (Record.Time: actual, else
//     planned, else entry time);
//   - customer, author: one group per customer (drafts: key "") or author;
//   - responder: one group per responder (対応者); a record with two
//     responders counts in both, one without any in the group "";
//   - field: one group per value of a select field (no value: key "").
//
// # Push-down and expr
//
// An aggregation in one of the plain forms sum(.f), avg(.f), min(.f),
// max(.f), count(.f) or count() is computed by the database (SUM, AVG, …
// over the field's JSON value) on both SQLite and PostgreSQL. Any other
// expression (sum(.work_minutes) / 60, a conditional, …) is evaluated with
// expr: the rows are streamed from the database ordered by group, and only
// the values of one group are held in memory at a time (at most
// Config.MaxGroupRows of them).
//
// Sums, minima and maxima of integer, money, duration, boolean and lines
// fields are exact integers (Value.Exact, Value.Int): yen never go through
// floating point. A lines field counts as its total with tax, as stored on
// the record (prices and rates as they were written).
//
// Expressions are compiled once per tenant, template and version and kept
// for the life of the Service.
//
// # The record summary
//
// Sums over a period read the record summary where it answers exactly
// (Result.Summarized says so): contactlog's triggers keep, in the
// transaction of every write of a record (create, update, delete,
// restore, purge, a customer's deletion), per tenant, template, UTC hour,
// template version and visibility class (draft or not, confidential,
// shared) the count and the integer sums of the records of scope company
// (公開範囲: 全社) — per field, per lines field (net, tax, gross), per tax
// rate and per item and rate — and the same per UTC day. A period is read
// from the day rows for the UTC days that lie whole within one of its
// periods, and from the hour rows for the days a bound cuts (in
// Asia/Tokyo a month starts at 15:00 UTC: a year by month reads 13 days of
// hours and about 350 day rows per key instead of 8 760 hours); the item
// rows are summed over the whole period.
//
// The summary's rows are counters that every write of a record of their
// hour and day updates, so a transaction that writes a record holds its
// hour's and day's rows until it commits. Transactions that each write
// many records at once (a bulk load through contactlog.Service.WithDB)
// can deadlock on them on PostgreSQL, which then aborts one: that write
// fails with contactlog.ErrConflict and is to be run again (the example
// server's demo loader does). The engines' own operations write one
// record per transaction and its summary rows in one statement.
//
// The visibility predicate is applied to the summary rows as to records
// nobody relates to (no author, no people, a customer nobody is assigned
// to): the classes it shows are summed, and the records of another scope
// or class are read live, with the predicate. That is exact for
// permission.Engine and Unrestricted, whose rules never hide a record of a
// class they show unrelated records of; Config.Authorizer must be the
// Authorizer given to contactlog. For a staff member where the tenant
// shows every customer (and for admins) only the records of other scopes
// are read one by one; for a partner nothing is summed.
//
// Where Config.Authorizer is a permission.Relater (permission.Engine is),
// the live queries read only the records related to the principal
// (Engine.Related: those they authored, those naming them among their
// people, those scoped to them, to their groups or to the org units above
// theirs, those of authors in the groups they manage and, where the scope
// shows a record only to those who see its customer, those of the
// customers they see), found through those relations' indexes, and apply
// the full predicate to them. Every record of another scope or class that
// the principal sees is one of them, so the results are the same; for an
// admin, who needs no relation, it is every record. The live records are
// read by one statement whatever a query computes over them (the periods,
// the tax rates and, for the sales, the items): they are found once,
// through those relations, and each aggregation reads them from there.
//
// The summary answers the groupings by period and the one group over
// periods whose bounds are whole hours (tenant zones with whole-hour
// offsets), without record filters (Query.Filter, Query.Item), for
// count(), and sum, count and avg of fields every version of the template
// holds as integer, money, duration or lines; the sales analysis (Sales)
// and the accounting list's days. Any other query reads every record.
//
// # Template versions
//
// A query counts the records of every version of its template. The
// aggregations are the latest version's, and each record's values are read
// as the version it was written with defines them: a field its version
// lacks, or holds as text, is no value (count(.f) skips it, count() does
// not), and a field whose type changed (a number that became an integer)
// is read per version, so a sum is exact only when every version holds the
// field as an integer.
//
// # Sales and expenses
//
// Sales, Accounts, CustomerUsage and Buyers read the records that are
// sales (Config.Sales: by default the built-in 利用・会計 template's lines):
// totals per day, month or year, per catalog category and item
// (contactlog/catalog; a line names its item by ID and keeps the price and
// rate it was written with), the accounting list (会計一覧), a customer's
// lifetime total (利用総額) and an item's buyers. Expenses totals the
// expense lines of every record (交通費計算) per employee and kind.
package report
