package contactlog

import (
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Entry is what a staff member writes on a contact record: everything but
// the identity and bookkeeping that Record adds.
type Entry struct {
	// Template is the key of the template the record is written with
	// ("builtin:interview", "tenant:visit", …). Required; it cannot change
	// once the record exists.
	Template string `json:"template"`
	// TemplateVersion is the template version. On Create, 0 means the
	// latest; on Update, 0 means the version the record was written with.
	// A record keeps its version (and still renders and validates with it)
	// when the template changes later; an update may move it to a newer
	// version of the same template.
	TemplateVersion int `json:"template_version,omitempty"`
	// Customer is the customer the contact was with. The zero UUID makes
	// the record a draft (下書き): written first, linked to a customer later
	// by an Update.
	Customer uuid.UUID `json:"customer,omitzero"`
	// ContactPersons are the customer's contact persons (先方担当者), by name.
	ContactPersons []string `json:"contact_persons,omitempty"`
	// Department is the customer's department (先方部署).
	Department string `json:"department,omitempty"`
	// CustomerParticipants are the customer's other attendees (先方参加者),
	// by name.
	CustomerParticipants []string `json:"customer_participants,omitempty"`
	// PlannedAt is the planned time (予定). Zero: unplanned.
	PlannedAt time.Time `json:"planned_at,omitzero"`
	// ActualAt is when the contact took place (対応日時). Zero: not yet
	// (a planned contact). When both times are zero, Create sets ActualAt
	// to now. It may not lie more than a day in the future.
	ActualAt time.Time `json:"actual_at,omitzero"`
	// EndAt is when the contact ends or ended (終了日時); zero: not given.
	// It needs a start — ActualAt, else PlannedAt — and may not lie
	// before it.
	EndAt time.Time `json:"end_at,omitzero"`
	// Responders are the staff who handled the contact (対応者). Default on
	// Create: the author.
	Responders []uuid.UUID `json:"responders,omitempty"`
	// Participants are other staff who took part (同行者).
	Participants []uuid.UUID `json:"participants,omitempty"`
	// Channel, Result, Summary, Progress, Category1 and Category2 are codes
	// of the tenant's masters (see Masters); empty means unset. Category2
	// needs a Category1 and must belong to it. Archived codes are accepted
	// only where the record already carries them.
	Channel   string `json:"channel,omitempty"`   // 対応形態
	Result    string `json:"result,omitempty"`    // 結果
	Summary   string `json:"summary,omitempty"`   // 内容概略
	Progress  string `json:"progress,omitempty"`  // 進捗
	Category1 string `json:"category1,omitempty"` // 分類1
	Category2 string `json:"category2,omitempty"` // 分類2
	// SummaryText is the free-text part of the summary (内容概略の補足).
	SummaryText string `json:"summary_text,omitempty"`
	// PublicMemo is shown to the customer when the record is shared
	// (お客様に公開).
	PublicMemo string `json:"public_memo,omitempty"`
	// PrivateMemo is for staff only (非公開): never shown to customers nor
	// to partners (the rule permission.ActionReadPrivateMemo). A principal
	// who may not read it may not write one either: their Create or Update
	// with a private memo is refused (private_memo not_allowed), and their
	// Update without one keeps the stored memo.
	PrivateMemo string `json:"private_memo,omitempty"`
	// Values are the template's field values by field key, validated and
	// normalized by template.Template.Validate.
	Values map[string]any `json:"values,omitempty"`
	// Scope is who besides the author, the responders, the participants
	// and the report-to recipients sees the record (公開範囲). The zero
	// Scope means the whole company for a record with a customer, and
	// nobody else for a draft.
	Scope permission.Scope `json:"scope"`
	// ReportTo are the staff the record is reported to (報告先). Staff newly
	// added here — on Create or by an Update — are notified once.
	ReportTo []uuid.UUID `json:"report_to,omitempty"`
	// ReportMessage is the message to the report-to recipients (報告先への
	// メッセージ, at most MaxReportMessageLen runes): their notification
	// carries it as it reads when it is sent, and the record shows it to
	// staff. Customers never see it.
	ReportMessage string `json:"report_message,omitempty"`
	// Important marks the record (重要).
	Important bool `json:"important,omitempty"`
	// Shared shows the record to the customer's own portal account
	// (お客様と共有). Drafts cannot be shared.
	Shared bool `json:"shared,omitempty"`
	// Expenses are the transport expenses of the contact (交通費).
	Expenses []Expense `json:"expenses,omitempty"`
}

// Expense is one expense line of a contact (BizMagic's 交通費: travel,
// transport, per diem or lodging).
type Expense struct {
	// Kind is one of ExpenseKinds; empty means ExpenseTransport (lines
	// written before kinds existed have none).
	Kind ExpenseKind `json:"kind,omitempty"`
	// Route is the way travelled, e.g. "新宿→横浜" (for a per diem or a
	// lodging, where and what). Required.
	Route string `json:"route"`
	// Means is the means of transport, e.g. "電車", "タクシー".
	Means string `json:"means,omitempty"`
	// Amount is in yen, 0 to MaxExpenseAmount.
	Amount int64 `json:"amount"`
}

// ExpenseKind is the kind of an expense line.
type ExpenseKind string

// Expense kinds.
const (
	ExpenseTravel    ExpenseKind = "travel"    // 旅費
	ExpenseTransport ExpenseKind = "transport" // 交通費
	ExpensePerDiem   ExpenseKind = "per_diem"  // 日当
	ExpenseLodging   ExpenseKind = "lodging"   // 宿泊費
)

// ExpenseKinds lists the kinds in display order.
func ExpenseKinds() []ExpenseKind {
	return []ExpenseKind{ExpenseTravel, ExpenseTransport, ExpensePerDiem, ExpenseLodging}
}

// Limits of an Entry. Longer or larger input is refused with a
// *ValidationError (too_long, too_many, out_of_range).
const (
	MaxMemoLen          = 20_000 // runes, per memo and for SummaryText
	MaxNameLen          = 100    // runes, per contact person, participant, department, route and means
	MaxNames            = 50     // contact persons, customer participants
	MaxPeople           = 100    // responders, participants, report-to recipients, each
	MaxScopeTargets     = 100
	MaxExpenses         = 50
	MaxExpenseAmount    = 10_000_000
	MaxReportMessageLen = 2000 // runes
	maxFutureActualAt   = 24 * time.Hour
)

// Record is a stored contact record.
type Record struct {
	Entry
	ID     uuid.UUID `json:"id"`
	Tenant uuid.UUID `json:"tenant"`
	// Confidential comes from the template (商談 records, for example):
	// confidential records are never shown to partner principals.
	Confidential bool `json:"confidential,omitempty"`
	// Author is the staff member who created the record.
	Author uuid.UUID `json:"author"`
	// Source is the record this one was created from ("next time"), if any.
	Source    uuid.UUID  `json:"source,omitzero"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	UpdatedBy uuid.UUID  `json:"updated_by"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	// Version counts changes; Update and Delete take the version they were
	// based on and fail with ErrConflict when it is stale.
	Version int64 `json:"version"`
	// PrivateMemoWithheld says that the principal may not read the private
	// memo (permission.ActionReadPrivateMemo), so PrivateMemo is empty
	// whatever is stored. It is set on every record returned to such a
	// principal, memo or not, so it reveals nothing of the memo.
	PrivateMemoWithheld bool `json:"private_memo_withheld,omitempty"`

	// Attachments (the files the principal may see, oldest first) and
	// CommentCount (comments not deleted; always 0 for customer
	// principals) are filled by Get, Timeline, History and — when
	// Query.WithDetails is set — Search; elsewhere they are empty.
	Attachments  []Attachment `json:"attachments,omitempty"`
	CommentCount int          `json:"comment_count,omitempty"`
}

// IsDraft reports whether the record has no customer yet.
func (r *Record) IsDraft() bool { return r.Customer == uuid.Nil }

// Time is the record's place on a timeline: the actual time, else the
// planned time, else the creation time.
func (r *Record) Time() time.Time {
	switch {
	case !r.ActualAt.IsZero():
		return r.ActualAt
	case !r.PlannedAt.IsZero():
		return r.PlannedAt
	}
	return r.CreatedAt
}

// object is what the authorizer needs to know of r; customerAssignees are
// the staff in charge of its customer.
func (r *Record) object(customerAssignees []uuid.UUID) *permission.RecordObject {
	return &permission.RecordObject{
		Tenant: r.Tenant, ID: r.ID, Customer: r.Customer, Author: r.Author,
		People: r.people(), Scope: r.Scope, Confidential: r.Confidential, Shared: r.Shared,
		CustomerAssignees: customerAssignees,
	}
}

// withholdPrivateMemo empties what a principal who may not read the
// private memo gets of it.
func (r *Record) withholdPrivateMemo() { r.PrivateMemo, r.PrivateMemoWithheld = "", true }

// people are the staff who always see r.
func (r *Record) people() []uuid.UUID {
	return idset.Sorted(slices.Concat(r.Responders, r.Participants, r.ReportTo))
}

// recordRow is the stored form of a record.
type recordRow struct {
	bun.BaseModel `bun:"table:contact_records,alias:r"`

	ID                   uuid.UUID            `bun:"id,pk"`
	Tenant               uuid.UUID            `bun:"tenant_id"`
	Template             string               `bun:"template_key"`
	TemplateVersion      int                  `bun:"template_version"`
	Confidential         bool                 `bun:"confidential"`
	Customer             uuid.UUID            `bun:"customer_id,nullzero"`
	ContactPersons       []string             `bun:"contact_persons,type:jsonb"`
	Department           string               `bun:"department"`
	CustomerParticipants []string             `bun:"customer_participants,type:jsonb"`
	PlannedAt            time.Time            `bun:"planned_at,nullzero"`
	ActualAt             time.Time            `bun:"actual_at,nullzero"`
	EndAt                time.Time            `bun:"end_at,nullzero"`
	OccurredAt           time.Time            `bun:"occurred_at"`
	Channel              string               `bun:"channel"`
	Result               string               `bun:"result"`
	Summary              string               `bun:"summary"`
	SummaryText          string               `bun:"summary_text"`
	Progress             string               `bun:"progress"`
	Category1            string               `bun:"category1"`
	Category2            string               `bun:"category2"`
	PublicMemo           string               `bun:"public_memo"`
	PrivateMemo          string               `bun:"private_memo"`
	Values               map[string]any       `bun:"fields,type:jsonb"`
	Expenses             []Expense            `bun:"expenses,type:jsonb"`
	ScopeKind            permission.ScopeKind `bun:"scope_kind"`
	Important            bool                 `bun:"important"`
	Shared               bool                 `bun:"shared"`
	ReportMessage        string               `bun:"report_message"`
	SearchText           string               `bun:"search_text"`
	PrivateSearchText    string               `bun:"private_search_text"`
	Grams                storage.Grams        `bun:"grams"`
	Source               uuid.UUID            `bun:"source_id,nullzero"`
	Author               uuid.UUID            `bun:"author_id"`
	CreatedAt            time.Time            `bun:"created_at"`
	UpdatedAt            time.Time            `bun:"updated_at"`
	UpdatedBy            uuid.UUID            `bun:"updated_by"`
	DeletedAt            *time.Time           `bun:"deleted_at"`
	DeletedBy            *uuid.UUID           `bun:"deleted_by"`
	Version              int64                `bun:"version"`
}

// Roles of people rows.
const (
	roleResponder   = "responder"
	roleParticipant = "participant"
	roleReportTo    = "report_to"
)

type personRow struct {
	bun.BaseModel `bun:"table:contact_record_people,alias:rp"`
	Record        uuid.UUID `bun:"record_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
	Role          string    `bun:"role,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	Position      int       `bun:"position"`
	// OccurredAt is the record's occurred_at (Record.Time), copied so
	// that a person's records of a period are one index range.
	OccurredAt time.Time `bun:"occurred_at"`
}

type scopeRow struct {
	bun.BaseModel `bun:"table:contact_record_scope,alias:rs"`
	Record        uuid.UUID `bun:"record_id,pk"`
	Target        uuid.UUID `bun:"target_id,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
}

var gramIndex = storage.GramIndex{Column: "grams", Table: "contact_records", Doc: "gram_doc", FTS: "contact_record_grams_fts"}

// recordTable is contact_records (alias r) for the authorizer's predicate.
var recordTable = &permission.RecordTable{
	Alias: "r", ID: "id", Tenant: "tenant_id", Author: "author_id", Customer: "customer_id",
	ScopeKind: "scope_kind", Confidential: "confidential", Shared: "shared",
	PeopleTable: "contact_record_people", ScopeTable: "contact_record_scope",
	Table: "contact_records", Deleted: "deleted_at", AssigneesTable: "contact_record_assignees",
}

// RecordTable describes contact_records under alias for an Authorizer's
// Predicate (permission.RecordTable), so that other engines — the
// schedule's calendar, the reports' relation form (permission.Relater) —
// read records under the same rules as this one.
func RecordTable(alias string) *permission.RecordTable {
	t := *recordTable
	t.Alias = alias
	return &t
}

// recordTableFor is recordTable for the rows a principal may do action on
// (see permission.RecordTable.Action).
func recordTableFor(action permission.Action) *permission.RecordTable {
	if action == permission.ActionView {
		return recordTable
	}
	t := *recordTable
	t.Action = action
	return &t
}

func toRow(r *Record) recordRow {
	row := recordRow{
		ID: r.ID, Tenant: r.Tenant, Template: r.Template, TemplateVersion: r.TemplateVersion,
		Confidential: r.Confidential, Customer: r.Customer, ContactPersons: nonNil(r.ContactPersons),
		Department: r.Department, CustomerParticipants: nonNil(r.CustomerParticipants),
		PlannedAt: r.PlannedAt, ActualAt: r.ActualAt, EndAt: r.EndAt, OccurredAt: r.Time(),
		Channel: r.Channel, Result: r.Result, Summary: r.Summary, SummaryText: r.SummaryText,
		Progress: r.Progress, Category1: r.Category1, Category2: r.Category2,
		PublicMemo: r.PublicMemo, PrivateMemo: r.PrivateMemo, Values: r.Values, Expenses: nonNil(r.Expenses),
		ScopeKind: r.Scope.Kind, Important: r.Important, Shared: r.Shared, ReportMessage: r.ReportMessage,
		Source: r.Source, Author: r.Author, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		UpdatedBy: r.UpdatedBy, DeletedAt: r.DeletedAt, Version: r.Version,
	}
	if row.Values == nil {
		row.Values = map[string]any{}
	}
	public, private := searchText(r), textnorm.Key(r.PrivateMemo)
	row.SearchText = storedKey(public, keyText(r.PublicMemo, r.SummaryText))
	row.PrivateSearchText = storedKey(private, r.PrivateMemo)
	// The bigrams of both keys (Bigrams skips the space between them).
	row.Grams = storage.Grams(textnorm.Bigrams(public + " " + private))
	return row
}

// The search keys of a contact_records row r in SQL. The columns
// search_text and private_search_text store a key only where it differs
// from the text it is made of (storedKey): most private memos are written
// as their key already (no katakana, no full-width Latin letters or
// digits: 5% of the private memos of the small business's 100 000
// records store a key), and storing them twice cost a tenth of the SQLite
// file per record. The public key, which adds the template values' text,
// is stored for 58% of its records (the first 65 600, as loaded). Every
// reader of the keys goes through these expressions.
const (
	// searchKeyExpr is the search key (searchText): search_text, or, where
	// that is empty, keyText of the public memo and the summary text.
	searchKeyExpr = `CASE r.search_text WHEN '' THEN CASE WHEN r.public_memo = '' THEN r.summary_text ` +
		`WHEN r.summary_text = '' THEN r.public_memo ELSE r.public_memo || ' ' || r.summary_text END ELSE r.search_text END`
	// privateKeyExpr is the private memo's key: private_search_text, or,
	// where that is empty, the private memo.
	privateKeyExpr = `CASE r.private_search_text WHEN '' THEN r.private_memo ELSE r.private_search_text END`
)

// keyText is what searchKeyExpr reads where search_text is empty: the
// public memo and the summary text, joined by a space where both are set.
func keyText(publicMemo, summaryText string) string {
	switch {
	case publicMemo == "":
		return summaryText
	case summaryText == "":
		return publicMemo
	}
	return publicMemo + " " + summaryText
}

// storedKey is what a key column stores for key, the key of text: "" where
// key is text itself (the readers' expressions then read text), key
// otherwise, and " " — which no term matches, terms having no white space —
// for an empty key of a text that is not empty.
func storedKey(key, text string) string {
	switch {
	case key == text:
		return ""
	case key == "":
		return " "
	}
	return key
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (row *recordRow) record() Record {
	r := Record{
		Entry: Entry{
			Template: row.Template, TemplateVersion: row.TemplateVersion, Customer: row.Customer,
			ContactPersons: row.ContactPersons, Department: row.Department, CustomerParticipants: row.CustomerParticipants,
			PlannedAt: row.PlannedAt, ActualAt: row.ActualAt, EndAt: row.EndAt,
			Channel: row.Channel, Result: row.Result, Summary: row.Summary, Progress: row.Progress,
			Category1: row.Category1, Category2: row.Category2, SummaryText: row.SummaryText,
			PublicMemo: row.PublicMemo, PrivateMemo: row.PrivateMemo, Values: row.Values,
			Scope: permission.Scope{Kind: row.ScopeKind}, Important: row.Important, Shared: row.Shared,
			Expenses: row.Expenses, ReportMessage: row.ReportMessage,
		},
		ID: row.ID, Tenant: row.Tenant, Confidential: row.Confidential, Author: row.Author, Source: row.Source,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, UpdatedBy: row.UpdatedBy, DeletedAt: row.DeletedAt,
		Version: row.Version,
	}
	if len(r.ContactPersons) == 0 {
		r.ContactPersons = nil
	}
	if len(r.CustomerParticipants) == 0 {
		r.CustomerParticipants = nil
	}
	if len(r.Expenses) == 0 {
		r.Expenses = nil
	}
	return r
}

// timeResolution is the precision of stored times (PostgreSQL keeps
// microseconds).
const timeResolution = time.Microsecond
