// Package contactlog is Kiroku's contact-record engine (接点記録): who met
// which customer, when, what was said and promised, and what comes next.
//
// # Records
//
// A Record is an Entry — what staff write — plus identity and bookkeeping.
// An entry names its template (see package template) and is validated
// against the version it is written with; the record keeps that version, so
// it still renders and validates after the template changes, and an update
// may move it to a newer version of the same template, never to another
// template. Besides the template's own values (Entry.Values), every record
// has:
//
//   - the customer (Entry.Customer); none makes the record a draft (下書き),
//     written first — a photo taken in the field — and linked to a customer
//     later by an update; a linked record cannot become a draft again, and
//     a draft cannot be shared;
//   - the customer's contact persons, department and other participants;
//   - the planned time (予定) and the actual time (対応日時); when neither is
//     given the contact happened now; the actual time may not lie more than
//     a day ahead;
//   - responders (対応者: the author by default) and participating staff
//     (同行者);
//   - the master codes channel, result, summary (with free text), progress
//     and categories 1/2 (see Masters);
//   - a public memo, shown to the customer when the record is shared
//     (お客様に公開), and a private memo that customers never see (非公開);
//   - the visibility scope (公開範囲: the company, org units with their
//     subtrees, groups, or named staff; by default the company, and for a
//     draft nobody but its people), report-to recipients (報告先), the
//     important flag (重要), the shared-with-customer flag, and transport
//     expenses (交通費: route, means, amount in yen).
//
// Create validates everything at once and returns every problem in one
// *ValidationError with stable codes (fields "template", "customer",
// "channel", "fields.<key>", "expenses[0].amount", …). Master codes must
// exist; archived codes, departed staff and removed scope targets are
// accepted only where the record already carries them. Get returns a record
// the principal may see — ErrNotFound otherwise, even when it exists — and
// writes the read to the audit log; for customer principals the private
// memo, expenses, report-to recipients and scope are left out. Update
// replaces the entry based on the version read (ErrConflict when someone
// saved in between); Delete and Restore move a record to and from the
// trash, and Purge (admins) erases it with its comments, attachments and
// index. CreateNext starts the next contact of a record ("次回"): same
// customer, template, people and scope, planned at the time given.
//
// Two sets of tables follow the records by triggers, in the transaction of
// every write, whoever writes (the engines or an embedder's own SQL): the
// record summary package report sums from (contact_record_sums and
// contact_record_day_sums), and contact_record_assignees, which puts each
// live record under each assignee (担当者) of its customer with its time,
// so that package schedule's calendars read the records of the customers a
// staff member is in charge of from one index range instead of probing
// each customer. The second follows customer_assignees too: assigning a
// customer adds its live records under the new assignee (on PostgreSQL
// once per statement: an import's batch costs one indexed join, 7 ms for
// 5 000 assignees beside 1 000 000 records).
//
// # Who sees and changes what
//
// Every list filters in SQL with the Authorizer's predicate and every write
// is checked (see package permission): the author, the record's people
// (responders, participants, report-to recipients) and admins always see
// it; the scope decides for others; managers see their groups' members'
// records; partners see non-confidential records of their own customers
// only (templates such as 商談 are confidential); customer principals see
// shared records of their own customer. With the tenant's visibility
// "assigned", records follow their customer: the scope shows a record
// only to those who see its customer. Editing, deleting and sharing
// belong to the author, the record's people, the author's group managers
// and admins.
//
// The private memo follows permission.ActionReadPrivateMemo (staff other
// than partners) on every path: Get, Search, Timeline, History, Export and
// record mails leave it out for the others (Record.PrivateMemoWithheld),
// and a keyword search finds no record by words that occur only in a
// private memo the principal may not read (the memo has its own search
// key). Export, the bulk read for CSV downloads, is for staff other than
// partners (permission.ActionExport) and is written to the audit log with
// its filter and row count.
//
// # Search and timeline
//
// Search lists the records a principal may see, filtered by a keyword
// (memos, summary text, the customer's people and department, template
// text values, or the customer's name and reading — hiragana ≡ katakana,
// full ≡ half width; terms with two non-ASCII characters use a bigram
// index, on PostgreSQL ASCII terms of three characters or more (digits,
// codes, Latin words) an index of ASCII trigrams, and customers are looked
// up by an index of their names alone), by actual,
// planned and entry time, by template, responder, progress, customer rank,
// drafts, important records, "mine", or the trash; sorted by entry time,
// contact time or customer reading; one keyset page at a time (Page.Next),
// so pages never skip or repeat records while others write.
//
// Query.WithTotal adds the number of matches, counted under the same
// visibility: exactly up to Config.TotalCap (default 1 000; the count
// reads at most one more match), and beyond it PostgreSQL's planner
// estimate of the search's rows or, on SQLite and when that estimate is
// not above the cap, the cap plus one as a lower bound. Page.TotalKind
// (customer.TotalExact, TotalEstimate, TotalAtLeast) says which, so a page
// shows 約N件 or N件以上 rather than a wrong exact-looking number. The
// planner's estimate can be far off for the visibility predicate's ORs
// and EXISTS: it is a size, not a count. Query.ExactTotal counts every
// match (as expensive as reading them all: seconds at a million records);
// use it where the number must be right. Export ignores both.
//
// Timeline is a customer's history as Maroud shows it: the newest 20
// records, then month by month in the tenant's time zone, optionally of
// one template, with the months and templates to navigate by. History
// lists the earlier records of a record's template for its customer
// (過去の推移を見る). CustomerStatuses gives a page of customers their
// latest progress (from the newest record with an actual time) and next
// contact date (the earliest planned time ahead), as a customer list shows
// them (助っ人クラウド). All of them count only records the principal may
// see, and never reveal a customer's name, reading or rank through a
// record when the customer is hidden from the principal.
//
// # What is fast and what is not (PostgreSQL)
//
// The benchmark matrix (bench_test.go, bench_matrix_test.go: every search
// form × staff, manager, partner and admin × both customer visibility
// modes, beside hand-written SQL in the same run) measured these on the
// standard data set with a big tenant of 200 000 records and 20 000
// customers, on 2 shared cores at load 25–40 (so the absolute times are
// several times those of an idle machine; the ratios are what carry over):
//
//   - Fast, at or near the hand-written cost: the top page and the other
//     sorts by entry or contact time (2–4 ms for staff in the "all"
//     customer visibility mode; about 45 ms in "assigned" mode, where the
//     hand-written query takes 35 ms), the planned-time, template,
//     progress, customer-rank and customer filters in "all" mode (2–16
//     ms), two-character keywords common or rare (50–170 ms at that load,
//     0.4–1.4× hand-written), and the keyword corners: a word no record
//     contains and a word common only in customers' addresses (丁目) answer
//     from the indexes (4–40 ms, where the same search written by hand
//     with the customers in a subquery walks the tenant for seconds), and
//     ASCII terms of three characters or more (090) use the ASCII trigram
//     index (4–35 ms; a LIKE scan takes seconds).
//   - Keywords of three or more characters whose bigrams occur together in
//     many records (見積書 in 10% of them): the share of the term's rarest
//     bigram in the statistics ANALYZE keeps (pg_stats of the grams column,
//     storage.GramIndex.Match) decides between walking the newest records,
//     checking the term on each, and the gram index, which PostgreSQL would
//     pick itself (it multiplies the bigrams' shares) and which reads and
//     sorts every match. A later matrix run at load 30–60: one-term
//     searches of admins and of staff in "all" mode walk (見積書 150–180
//     ms, where they took 2–3 s; a rare term, 手付金, 200–370 ms through
//     the index, 0.4–0.8× hand-written). For a partner or staff in the
//     "assigned" mode, who see a small share of the records, the walk
//     meets a page after page ÷ (term's share × their share) records:
//     their share is the planner's estimate of the records they reach
//     (permission.Reacher) over the tenant's, and a partner's search
//     may start from the records reached instead, the term's share being
//     estimated by its rarest bigram too (fromRelations). On 1 000 000
//     records (7 December 2026, p50, before → after in three runs,
//     hand-written in the after runs): 見積書 for the "assigned" staff
//     member 1 337 → 58–63 ms (hand-written 1 328–1 423), for the manager
//     in "assigned" mode 2 241 → 25–29 ms (4 960–5 430), for the partner
//     1 108 → 70–84 ms (1 124–1 218); カタログ 683 → 267–287 ms, 1 343 →
//     26–31 ms and 544 → 78–108 ms; with a capped total, カタログ for the
//     partner 1 103 → 142–191 ms, for the manager 1 571 → 333–421 ms and
//     for the staff member 1 447 → 922–1 422 ms (the count reads every
//     match they see). Two-character terms keep their one bigram's
//     estimate, which the planner weighs right.
//   - Slow: searches of several terms, which keep the gram index (0.17–
//     0.42 s for two terms in "assigned" mode, 0.2–0.3× the hand-written
//     query, which reads the index too), and the rare longer terms in
//     "assigned" mode and for partners (手付金, 押印いただき: 0.16–0.4 s,
//     about hand-written). One-character keywords have no index: each
//     record walked or reached is checked (65–80 ms for admins and staff
//     in the "all" mode on 1 000 000 records). Where the principal
//     reaches few records, whether to start from them weighs the walk
//     with the character's share from the bigram column's statistics
//     (storage.GramIndex.RuneShare: the most common listed bigram holding
//     it, or the least share listed for one in none; the planner gives
//     any such LIKE one fixed share), and not against reading its
//     matches, which no index does. On 1 000 000 records (7 December
//     2026, night, p50 of three runs, before → after in one session):
//     釣 (in 2% of the records) for the "assigned" staff member 2 251 →
//     330 ms (1.14× → 0.23× hand-written; the 25 700 records they reach
//     are read), 見 (24%) 46 → 37 ms (walked). Filters that most records fail cost 0.1–1 s
//     when the principal sees few of the tenant's records (a staff member
//     in "assigned" mode, a partner): the page walks the tenant's records
//     by entry time and checks each for both, where reading the
//     principal's own records first (as author, person, or through their
//     customers) pays where those are few. On PostgreSQL, where the
//     authorizer gives that relation form (permission.Reacher: partners,
//     staff in the "assigned" mode), a search with a condition no index
//     walk covers or with a total asks the planner's estimates (a few
//     EXPLAINs, 1–3 ms) whether reading every record the principal
//     reaches costs less than the walk or the filters' indexes; the
//     visibility predicate still decides each record (Service.Search's
//     fromRelations in search.go). On 1 000 000 records (7 December 2026,
//     quiet, p50, before → after, beside hand-written walks of 0.1–1.7
//     s): the partner, who reaches 7 500 records, a rare one-character
//     term (釣) 1 106 → 92–96 ms, 挨拶 (in 10% of the records; 3.0×
//     hand-written before) 948 → 65–84 ms, the actual-time filter 289 → 60–75 ms, the
//     planned-time filter 120 → 70–76 ms, the capped total 215 → 77–79
//     ms (with 見積 2 035 → 227–232 ms), the exact total 1 039 →
//     132–136 ms; the "assigned" staff member's exact total 2 139 → 605–
//     624 ms. That staff member reaches 26 000 records (with those scoped
//     to the org units above theirs). Their number comes from
//     permission.Engine.ReachRows, which counts the company-scope drafts:
//     the planner, multiplying the shares of the records without a
//     customer and of the company scope, put 23 000 of them where there
//     were none, and the reach at 35 000–41 000 in two loads. Where the planner's plan of a page
//     without keywords reads every match and sorts them rather than walking
//     (storage.PlanSorts; the actual-time filter under the entry-time
//     sort reads the month's 74 000 records through
//     contact_records_occurred), the records reached are weighed against
//     those matches, and with a contact-time or planned-time filter they
//     are read within its range: the range's index entries are checked
//     against the records reached, hashed, and only the records in both
//     are read. On 1 000 000 records (7 December 2026, p50, two runs
//     before and three after, quiet), for that staff member: the
//     actual-time filter 782–845 → 61–106 ms (1.06–1.18× → 0.10–0.13×
//     hand-written; 0.27 s with the records reached looked up one by one),
//     the capped total of the top page 674–700 → 110–169 ms, with a
//     two-character term 1.9–3.1 s → 230–350 ms; the partner's
//     planned-time filter 81–85 → 44–47 ms. The records of the customers
//     a principal sees by assignment come from contact_record_assignees,
//     one index range per assignee (permission.RecordTable's
//     AssigneesTable), not from each customer's records read to check
//     them; a range's form costs its entries and the records reached
//     read from indexes plus the records in both, looked up; and a walk
//     in entry order is taken to pass the records entered after the range
//     before its first match (rangePassed). On the same kind of data set
//     (7 December 2026, evening, p50 of three runs, before → after in
//     one session): the manager in "assigned" mode's actual-time filter
//     1 069 → 241 ms (1.01× → 0.25× hand-written; the month's 7 000
//     records they reach are read and sorted by entry), the staff
//     member's planned-time filter 116 → 35 ms (0.88× → 0.30×), capped
//     total 160 → 64 ms; the partner's actual- and planned-time filters
//     51 → 25 and 40 → 17 ms, 挨拶 973 → 68 ms (2.95× → 0.17×), a rare
//     one-character term 132 → 51 ms, exact total 210 → 126 ms. Cells
//     whose hand-written SQL moved as much are left out (the rare terms
//     of three and more characters, 0.17–0.26 s, still over 100 ms, moved
//     with theirs). The one lookup
//     of the records reached that no relation finds, the company-scope drafts of the tenant (every staff member sees
//     them), reads an index of those alone
//     (contact_records_company_drafts): through the drafts' index it read
//     every draft of the tenant (counting all the staff member reaches,
//     warm, in psql: 0.67 s without it, 0.35–0.37 s with it). A manager in "assigned" mode reaches their groups'
//     records too (100 000 there); a search filtered by customer rank
//     never starts from the relations, the rank's customers being the
//     principal's already (with the relations, a manager's exact total of
//     one rank took 2.6 s instead of 0.23–0.25 s). Where the estimates run, they add 1–3 ms (a term no
//     record has: 3.8 → 4–6.5 ms); a term of three or more characters
//     adds an EXPLAIN per bigram (up to four), the tenant's and a read of
//     the bigram statistics, not timed apart (the rare longer terms'
//     cells moved within the runs' noise: the partner's 手付金 146 →
//     160–163 ms). That read, which every search of one term by an admin
//     or by staff in the "all" mode makes too (Match), took 17–20 ms:
//     pg_stats joined to pg_class built the view's rows of every table,
//     and the bigram column's most common values (whole arrays, 90 KiB)
//     were converted to text; it now looks the table's schema and name up
//     first and converts only what it reads (2.5–3 ms in psql). On
//     1 000 000 records (7 December 2026, night, p50 of three runs, before
//     → after in one session): two-character terms for admins and staff
//     and managers in the "all" mode 20–27 → 4–9 ms (0.24–0.35× →
//     0.06–0.13× hand-written), 見積書 27–50 → 9–20 ms, 手付金 36–46 →
//     16–30 ms; in "assigned" mode カタログ 391 → 233 ms for the staff
//     member and 56 → 30 ms for the manager. The template and progress
//     filters walk indexes of their own in entry-time order
//     (contact_records_template_created, contact_records_progress_created;
//     two matrix runs on 100 000 records at load 20–31, 6 December 2026:
//     1.6–1.9 s → 80–140 ms p50 for that staff member, 1.1–1.6 s →
//     35–125 ms for the partner, 0.8–3.4× hand-written on the same
//     indexes, the ratios noisy at that load). The important-only filter walks
//     the important records alone (contact_records_important_created; on
//     1 000 000 records, one in twenty important, 7 December 2026, quiet,
//     p50: staff in "assigned" mode 276–284 → 21 ms, partner 293–298 →
//     11 ms, manager in "assigned" mode 19–21 → 11 ms). About as
//     slow as hand-written (0.9–1.3×): the created-time, planned-time
//     and drafts filters for that staff member (80–160 ms p50 in earlier
//     runs; 10–18, 70–108 and 30–53 ms on 1 000 000 records on 7
//     December), the
//     drafts filter for staff in "all" mode (70–170 ms: every draft of
//     the tenant is checked, and they see 19 of the 3 000), and the
//     planned-time filter for the partner (1.4 s: 17 matches, fewer than
//     a page, so the walk reads the whole tenant). A manager's pages in
//     "assigned" mode take 8–25 ms (0.2–0.8×), their assignees being one
//     list read once. The actual-time filter reads the contact-time index (17–74 ms
//     on 100 000 records on a quiet machine, 0.7–1.2× hand-written; 0.6 s,
//     1.4×, for a manager in "assigned" mode; on 1 000 000 records 0.7–1.0
//     s for that manager, as long as hand-written: they reach 95 000
//     records, more than the month's 74 000 matches). Query.WithTotal counts at most Config.TotalCap+1
//     matches, then asks the planner (a matrix run at load 23–37 on
//     100 000 records): 13–380 ms p50 for principals who see more than the
//     cap (a staff member's top page 34 ms, where Query.ExactTotal took
//     3.6 s in the same run), 0.1–1.5× the hand-written capped count; a
//     principal who sees fewer than the cap among many records (staff in
//     "assigned" mode, partners, a rare keyword) still reads everything
//     they see (0.5–2.7 s, as the hand-written count does). ExactTotal
//     counts every match (1–7 s over 200 000 records).
//   - SortCustomerKana walks the customers the principal sees in reading
//     order and each one's records by time (a LATERAL join), stopping when
//     the page is full, where it sorted every visible record (3.5–12 s at
//     100 000 records): 7–99 ms p50 for every principal kind and mode at
//     load 36 on 100 000 records (6 December 2026; 8–72 ms in a run at
//     load 23–31), 0.5–1.9× the hand-written walk, which reads the page's
//     people and scopes in the same statement (0.05–0.1× for a manager in
//     "assigned" mode, whose hand-written visibility is slower). With a
//     keyword (挨拶, in 9% of the records), checked on each record walked:
//     12–99 ms, 0.03–1.1× the hand-written walk, which looks the term up
//     once per customer, where sorting every match took 1.1–5.6 s. A walk
//     under a filter that few of the customers' records pass (a rare
//     keyword over a million records) probes every customer's records. On
//     SQLite the order still sorts every visible record of the walked
//     customers.
//   - For staff members in "assigned" mode and partners, the customer
//     condition of a record's visibility names the tenant as a value too:
//     PostgreSQL hashes that subquery beside the visibility's OR, and
//     without the value it scanned every tenant's assignees (5–15 ms warm,
//     30–50 ms cold) instead of reading the principal's from
//     customer_assignees_user. A matrix run on 1 000 000 records
//     (6 December 2026, quiet, jit off, five runs, before and after
//     alternated twice), p50: staff in "assigned" mode top 18.2–18.7 →
//     12.4–12.6 ms, created-time filter 20–30 → 13.2–13.7 ms, customer
//     12.3–13.1 → 5.0–5.1 ms, template 28.6–29.0 → 20.3–20.9 ms, 見積
//     43–44 → 37–38 ms; partner top 14.6–15.2 → 7.8–8.0 ms, template
//     15.8–15.9 → 6.3–7.6 ms, 見積 121–123 → 96–99 ms. The planned-time
//     filter stays over 100 ms for both (107–113 and 151–163 ms: a month
//     of plans holds 37 000 of the tenant's records, 238 of them this staff
//     member's, so the page walks the newest records; the hand-written
//     query, with the same tenant value, takes 110 and 151 ms).
//   - A page's details (Query.WithDetails, and the people and scopes of
//     every page) are three statements by record IDs; with
//     Config.StatementCache they are prepared once per connection, and
//     a top page with details took 0.67–0.86× the time (p50 on 1 000 000
//     records: staff 2.4 → 1.6–1.7 ms, partner 6.1 → 5.2–5.3 ms;
//     -bench Records/details, which reads each page both ways).
//
// Run the matrix with
//
//	KIROKU_TEST_POSTGRES_URL=… KIROKU_BENCH_BIG_RECORDS=200000 \
//	    go test ./contactlog -run '^$' -bench 'Records/matrix' -benchtime 5x -timeout 90m -v
//
// (without KIROKU_BENCH_BIG_RECORDS at the standard 1 000 000 records; with
// -short on a small data set, as CI does).
//
// # Masters
//
// A contact record is classified by a tenant's masters (BizMagic's マスタ):
// 対応形態 (Channel: visit, store, phone, e-mail, online, letter), 結果
// (Result), 内容概略 (Summary), 進捗 (Progress: first contact → proposing →
// quoted → won/lost, follow-up) and two levels of categories, where every
// 分類2 (Category2) item belongs to a 分類1 (Category1) item. Each master
// is an ordered list of items with a stable code (stored on records) and a
// Japanese label (shown). Until a tenant sets its own, DefaultMasters
// apply.
//
// Service.Masters is their handle: List returns a kind's items, archived
// ones included and marked, and All every kind at once. Set (admins) replaces them with every problem reported at once:
// codes are lower-case ASCII and unique, labels present and short, a
// Category2 item's Parent is a Category1 code, and codes never disappear —
// records may carry them — so an item that is no longer wanted is
// archived: not offered for new records, still shown on old ones.
//
// # Attachments
//
// Photos, PDFs, audio and video are attached to records through the
// Service.Attachments handle: Add streams each file to the configured
// blob.Store
// (blob.NewLocal of customer/blob, or bucket.New of customer/blob/bucket
// for S3 and others through gocloud.dev, optionally wrapped by
// blob.NewEncrypted for encryption at rest). The type is decided by the content, never by the name; other
// content — and HEIC/HEIF, which cannot be decoded to strip its metadata —
// is refused with a field problem. A file may be at most
// Config.MaxAttachmentSize and one call at most Config.MaxUploadSize in
// total (30 MiB each by default). Images are stored upright (EXIF
// orientation applied) and re-encoded without metadata, so no GPS position
// leaves with them, plus a JPEG thumbnail. Each file can be renamed,
// starred (重要), shared with the customer or deleted (Attachments.Update,
// Attachments.Delete, optimistic on the file's version); customers see only
// shared files of records shared with them.
//
// Files are written before the rows that name them, and removed again when
// anything fails. What a crash or a rolled-back outer transaction can still
// leave behind — and the files of records erased by customer.Purge — is
// removed by Attachments.CollectOrphans, which a maintenance job runs as an admin
// (daily, for example), or which System.ScheduleOrphanCollection has the
// outbox dispatcher run once a day per tenant.
//
// # Comments
//
// Staff who see a record comment on it (BizMagic's コメント, but always
// with the author, never anonymous), through the Service.Comments handle:
// Add, List (oldest first),
// Comments.Edit (the author only) and Comments.Delete (the author or an
// admin), the last two optimistic on the comment's version. Deleting erases
// the text and leaves a placeholder, so a thread keeps its order. Comments
// are internal: customer principals neither read nor write them. Adding a
// comment notifies nobody; the manuals we follow send mail for report-to
// recipients only.
//
// # Mail
//
// Two kinds of mail leave through the outbox, written in the transaction of
// the change that causes them and sent later by a dispatcher:
//
//   - report-to notifications (報告先, TopicReportTo): staff newly added to a
//     record's ReportTo hear of it once, however often it is edited;
//   - MailRecord (助っ人クラウド's メール送信, TopicMailRecord): a staff member
//     sends a record with a note to colleagues who may see it; replies go to
//     the sender.
//
// Both render the record as the recipient sees it at delivery, in Japanese
// plain text, and go to the recipient's directory e-mail address through
// Config.Mailer. A recipient who can no longer see the record, or has
// left, gets nothing.
//
// # Events
//
// With Config.Events set (the plugin host), every create, update, delete
// and restore of a record enqueues, in the write's transaction, one
// TopicRecordEvent message per subscriber of the event's kind
// (EventRecordCreated, EventRecordUpdated — a restore too —,
// EventRecordDeleted), keyed "<record ID>:<version>" so that each event is
// stored and handed to each subscriber once (at least once: a subscriber
// must tolerate a redelivery of the same key). The subscriber's handler
// reads what it needs with System.RecordEvent at delivery. Notifications a
// subscriber asks for go through System.EnqueueNotifications (TopicNotification)
// and are mailed with their own subject and text, once per recipient and
// key. Customer events are not emitted yet.
//
// # Channels
//
// Config.Channels (notify.Channel: chat, SMS, a plugin's Notify
// through plugins.Host.Channels) deliver the report-to and subscriber
// notifications besides mail: each mail message is enqueued with one
// TopicChannel message per channel, in the same statement, which the
// handler delivers with the mail's subject and text (without its footer)
// once per recipient; a channel's error is retried and a channel no longer
// configured fails the message for good. MailRecord stays mail-only.
//
// # Wiring
//
//	if err := contactlog.Migrate(ctx, db); err != nil { … } // also permission, customer, template, outbox
//	engine, err := permission.NewEngine(db)
//	dir, err := permission.NewDirectory(db, nil)
//	templates, err := template.NewStoreRegistry(db, nil)    // built-in and tenant templates
//	customers, err := customer.NewSystem(db)                // trusted: only NewSystem uses it
//	mailer, err := mail.NewSMTP(&mail.SMTPConfig{Host: "smtp.example.jp", Username: "kiroku", Password: pw})
//	cfg := &contactlog.Config{Authorizer: engine, Directory: dir, Templates: templates, Customers: customers, Mailer: mailer}
//	svc, err := contactlog.NewService(db, cfg)              // for request handlers
//	items, err := svc.Masters().List(ctx, contactlog.MasterProgress) // ctx carries a staff principal
//
//	sys, err := contactlog.NewSystem(db, cfg)               // trusted: keep it in the wiring code
//	d, err := outbox.NewDispatcher(db, sys.Handlers(), nil) // the handlers of all engines, merged
//	go d.Run(ctx)                                           // until ctx ends
//
// The engine builds none of its dependencies: the Authorizer, Directory
// and Templates (and, for NewSystem, Customers) are given in Config, and a
// missing one fails NewService with ErrInvalid naming the field.
// svc.WithDB(tx) binds everything the service reads and writes through —
// its own queries, the authorizer (permission.BindAuthorizer), the
// directory, the tenant templates (template.Registry.WithDB) and the
// handles it returns — to the transaction; sys.WithDB(tx) likewise.
//
// # Trusted calls
//
// Service is the principal-scoped handle: every call reads the principal
// from its context and goes through the Authorizer. The calls of the
// installation's machinery, which take a tenant and skip every check
// (event loads, enqueueing a subscriber's notifications and timers, the
// outbox handlers), are on System, which NewSystem builds from the
// database; no Service method returns one, so request code given a Service
// cannot reach them.
package contactlog
