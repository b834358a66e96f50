// Package customer is Kiroku's customer engine: the customer ledger (顧客台帳)
// that every contact record, schedule and report hangs from.
//
// # Wiring
//
// The engine is built from a bun.IDB that the embedding program opens
// (Kiroku imports no SQL driver):
//
//	if err := customer.Migrate(ctx, db); err != nil { … } // idempotent, safe from several processes
//	svc, err := customer.NewService(db, nil)              // nil Config: defaults
//	ctx = permission.WithPrincipal(ctx, principal)         // who is acting
//	c, err := svc.Create(ctx, customer.Profile{FamilyName: "山田", FamilyKana: "やまだ", …})
//
// Every call needs a principal in ctx (ErrUnauthenticated otherwise). What
// it may see and do is decided by the Config.Authorizer (normally
// permission.NewEngine): every read is filtered by the authorizer's SQL
// predicate, so customers the principal may not see — another tenant's,
// or, in a tenant with "assigned" visibility, other staff's — behave as if
// they did not exist (ErrNotFound, absent from searches and counts), and
// every write is checked (ErrPermissionDenied). A customer (portal)
// principal sees its own customer only and changes nothing. Creates,
// changes, deletes, views and exports are written to the audit log in the
// same transaction. svc.WithDB(tx) binds the engine to a transaction
// shared with other engines.
//
// # Customers
//
// A Customer is an individual (個人) or a company (会社), a prospect
// (見込み) or existing (既存). Its Profile holds what staff enter:
//
//   - 姓 FamilyName (required; for companies, the contact person) and 名
//     GivenName; readings FamilyKana/GivenKana, required for individuals
//     unless the tenant made them optional (SetTenantSettings), accepted in
//     hiragana, katakana or half-width katakana and stored as full-width
//     katakana; CompanyName (required for companies), CompanyKana,
//     Department. With a Config.KanaSuggester (customer/kana), SuggestKana
//     proposes readings for a form to show and Import reports (and on
//     request fills) the readings it suggested.
//   - Email, Mobile (for SMS invitations), Phone: phones hold 6–15 digits
//     with hyphens, parentheses, a leading + and spaces; full-width input
//     is folded.
//   - Birthday: a date.Date (customer/date); date.Parse accepts 2024-03-15, 2024/3/15,
//     昭和47年3月15日, S47.3.15, H1/1/8, 平成元年1月8日 and refuses days
//     outside their era (平成1年1月7日) and days after today.
//   - Gender, PostalCode (〒123-4567 or 1234567, stored 123-4567), Address,
//     ContactMethod (mobile, email, home_phone, letter), DecisionMaker
//     (決定権者), Rank (a code of the tenant's ranks; default A/B/C, see
//     SetRanks), Memo (Free Memo, up to 10 000 characters).
//   - Custom: values of the tenant's custom fields (DefineField), typed
//     and validated; unknown keys are refused.
//   - Assignees (担当者): active staff of the tenant's directory; the
//     creator by default. Consent to record-keeping (stamped with who and
//     when).
//
// Validation reports every problem at once as a *ValidationError whose
// FieldError codes are stable (required, too_long, format, not_kana,
// invalid_date, outside_era, out_of_range, unknown, …); the example server
// maps codes to Japanese messages.
//
// Writes use optimistic locking: Update takes the version the caller read
// and fails with ErrConflict, changing nothing, if the customer changed
// since. Delete is soft (Restore brings the customer back, Search with
// Query.Deleted lists the trash); Purge (admins) erases the customer and
// everything hanging from it in this engine for real.
//
// # Search
//
// Search takes a Query: a free word plus filters (birth-year range,
// prospect/existing, company/individual, gender, ranks, assignee, my list),
// a sort (reading, created, updated; ascending or descending) and a page
// size, and returns a Page with a keyset cursor (Page.Next) and, on
// request (Query.WithTotal), the total: counted exactly up to
// Config.TotalCap matches (default 1 000; reading at most one more), and
// beyond it PostgreSQL's planner estimate or, on SQLite and when the
// estimate is not above the cap, the cap plus one as a lower bound —
// Page.TotalKind says which, so a page can show 約N件 or N件以上. A count
// of every match costs as much as reading them all (seconds at a million
// rows); Query.ExactTotal asks for it where the number must be right.
// Terms match names, readings, company, department, e-mail, address,
// decision maker, memo and text custom fields after Japanese normalisation
// (hiragana ≡ katakana, full ≡ half width, case-folded), and phone, mobile
// and postal code by digits. Terms of two or more Japanese characters use
// a bigram index (a GIN-indexed text[] on PostgreSQL, a side table on
// SQLite), so 2-character queries such as 田中 stay fast on large ledgers.
//
// # My lists and assignees
//
// CreateList, AddToList, … manage a staff member's private named lists
// (マイリスト); Query.List searches one. SetAssignees changes one customer's
// staff in charge and Reassign moves every customer of one staff member to
// another (一括変更); both need the manager or admin role and are logged
// (AssignmentHistory).
//
// # Profile files
//
// Service.Files is the handle on a customer's profile files
// (プロフィール画像登録): photos and PDFs (audio and video too) kept with the
// customer, at most 30 MiB per file and per upload by default
// (Config.MaxFileSize, Config.MaxUploadSize), typed by their content,
// images cleaned of their metadata and given a thumbnail, stored in
// Config.Blobs (blob.NewEncrypted for encryption at rest). One image may
// be the favorite (☆), the customer's profile picture. Who may see the
// customer may list and open its files; who may edit it may add, rename,
// ☆ and delete them.
//
// # CSV
//
// WriteTemplate writes the import template (memolog's columns 姓, 名, 姓カナ,
// 名カナ, 電話番号, 携帯電話, 誕生日, 性別, メールアドレス, 備考, then MASPO's
// 見込/既存, 会社/個人, 会社名, …, ランク, then the tenant's custom fields) with
// an example row, in UTF-8 with BOM or Shift_JIS.
//
// Import reads UTF-8, UTF-8 with BOM or Shift_JIS/CP932 (detected by
// content; 髙, 﨑, ①, ㈱ survive), refuses files that are not CSV (xlsx,
// images), matches headers by name and alias, and reports every bad row by
// line, column and code. AllOrNothing imports nothing if any row is bad;
// ValidRows imports the good rows. DryRun reports without writing.
// Duplicates (same name and the same phone, mobile or e-mail) are skipped,
// updated or created anyway. A database failure midway leaves the database
// as it was; a row the database refuses is reported like a bad row.
// Created rows are written with multi-row INSERTs of 500 rows (search grams,
// assignees and the assignment log included) whose values are bound as
// parameters, each statement built once per import (and on SQLite parsed
// once), or, on PostgreSQL with Config.Copier, with COPY in batches of
// 5 000. These statements (and Create's INSERT of the customer and its
// search grams) go to the driver directly, not through bun's query hooks.
// On SQLite the import's connection holds a page cache of up to 128 MiB
// while it writes (SQLite's default of 2 MiB would spill the uncommitted
// rows to the WAL file), and gets its own setting back after.
//
// On PostgreSQL the server's index maintenance bounds an import, whichever
// way the rows arrive. The grams of the customers' names, which
// Ref.WhereName looks customers up by, are derived in Go and stored in the
// rows' grams beside the search text's bigrams (each prefixed by '~', so
// that a search term's bigram never meets one), in the one GIN index
// customers_grams, whose column keeps ten times the default statistics
// (without them a search for a rare or absent word walked the tenant:
// 0.5–0.7 s instead of 1–4 ms). Until migration 20261214000005 they were an
// expression index over an SQL function (customers_name_grams, fastupdate
// off), which cost the server 7.5–9 s of CPU per 100 000 rows of the
// benchmark's file (BenchmarkImportShiftJIS100k), about half of the 14–16 s
// the customers took. With it gone, the server process of an import through
// Config.Copier did 9.4–10.3 s of CPU per 100 000 rows against 14.5–16.6 s
// before (PostgreSQL 15, 2 cores shared with other work at load 2.3–4.1,
// the code before and after alternated, two runs each). Of what is left, as
// measured before, per 100 000 rows COPYed by hand: the table 1.2–1.7 s,
// the bigram index 3–5 s (35 entries per row through its pending list, to
// which the name grams now add theirs; a larger gin_pending_list_limit for
// the import's transaction only moves that work to the list's cleanup), the
// five B-trees together 2–3 s (customers_deleted takes no entry, a new
// customer is not deleted), the assignees and the assignment log 2.1–3 s,
// of which their foreign-key checks about 1.4 s. The engine's parsing,
// validation, grams and encoding run beside the server's work: the rows
// are checked on every processor, the next batch's grams are derived while
// the database writes this one, and COPY's data is encoded as the driver
// sends it, so the server parses one chunk while the next is encoded. In
// two alternated runs on 2 cores (load 1.6–2, 7 Dec 2026) the import
// reached 10 700–11 000 rows/s through COPY beside a hand-written binary
// COPY of the same rows at 11 300–11 400 (0.95–0.97×; 9 500–9 900 before
// the encoding was streamed and the rows checked in parallel), and
// 6 800–7 200 rows/s with INSERTs (6 500–6 900 before), which miss the
// 10 000 rows/s budget as hand-written 500-row INSERTs do (8 300).
//
// Export writes any search result in the import format (plus 顧客ID and
// timestamps); with Shift_JIS, characters it cannot hold become 〓 and are
// reported by row and column, never shifting a column. Cells Excel would
// run as formulas are prefixed with ', and Import removes the prefix.
//
// # Query fragments for other engines
//
// The record, schedule and report engines read customers inside their own
// SQL. They build it from Ref (the customers table under an alias: its
// join with the tenant equality, the visible-customers subquery IDs for the
// permission engine's predicate, WhereName, WhereRank, SortKana,
// NameColumns) and AssigneeRef (who is in charge of which customer), so
// that the customer engine's tables and columns stay its own.
package customer
