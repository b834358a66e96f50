package web

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/jpdate"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/textnorm"
	"github.com/kirokuhq/kiroku/schedule"
)

// maxCustomerOptions is how many customers a search on the record form
// offers.
const maxCustomerOptions = 20

// datetimeLocal is the layout of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// customerOption is one choice of the record form's customer radio list.
type customerOption struct {
	ID   string
	Name string
	Kana string
}

// fieldInput is one template field on the record form.
type fieldInput struct {
	template.Field
	// Name is the form field: "f.<key>".
	Name string
}

// formFields are the inputs the record form shows for t's fields, drawn
// by the "record_field" partial (templates/_fields.html): every field but
// lines fields (lineFields, drawn by "record_lines") and computed ones,
// which an edit keeps and only the API writes (hidden tells there are
// some).
func formFields(t *template.Template) (fields []fieldInput, hidden bool) {
	for _, fd := range t.Fields {
		switch {
		case fd.Type == template.FieldLines:
		case slices.Contains(t.Computed, fd.Key):
			hidden = true
		default:
			fields = append(fields, fieldInput{Field: fd, Name: "f." + fd.Key})
		}
	}
	return fields, hidden
}

// recordFormData is the data of the record form (create and edit).
type recordFormData struct {
	Form *Form
	// Record is the record edited; nil when creating.
	Record *contactlog.Record
	// Action is where the form is sent (every button posts there, with
	// its "op").
	Action    string
	Templates []template.Template
	Template  *template.Template
	Fields    []fieldInput
	// Customers are the chosen customer, then the results of a customer
	// search, if one ran.
	Customers []customerOption
	// Files are the files chosen so far, spooled until the form is saved.
	Files []spooled
	// FileProblems say why the engine refused some of Files.
	FileProblems []string
	// Masters are the choices of each master select.
	Masters masterChoices
	// Staff are the staff rows of the people picker: the people chosen,
	// then the matches of a staff search.
	Staff []staffRow
	// StaffSearched tells that a staff search ran.
	StaffSearched bool
	Units         []permission.OrgUnit
	Groups        []permission.Group
	// Expenses are the transport expense rows (at least one, empty);
	// ExpensesOpen unfolds them (something typed, or a problem).
	Expenses     []expenseRow
	ExpensesOpen bool
	// ExpenseKinds are the choices of each row's kind select (旅費 /
	// 交通費 / 日当 / 宿泊費).
	ExpenseKinds []contactlog.ExpenseKind
	// Lines are the template's lines fields (会計項目): item picker rows,
	// subtotals and taxes.
	Lines []lineField
	// History are the customer's earlier records of the same template
	// (過去の推移).
	History []recordRow
	// FieldsOpen unfolds the template's fields: one is required, has a
	// value or a problem.
	FieldsOpen bool
	// Other are problems of fields the form does not show.
	Other []string
	// HasHidden tells that the template has fields the form cannot edit
	// (computed); an edit keeps their values.
	HasHidden bool
	// Appointment is the appointment a new record is written from
	// (記録を作成 on a 予定); nil otherwise.
	Appointment *schedule.Appointment
	// ReportPatterns are the user's saved report-to patterns; PatternsOpen
	// unfolds the people section after a pattern operation, whose outcome
	// PatternNotice tells.
	ReportPatterns []contactlog.ReportPattern
	PatternsOpen   bool
	PatternNotice  string
}

// loc is the principal's time zone.
func (r *Request) loc() *time.Location {
	if r.Principal.Location != nil {
		return r.Principal.Location
	}
	return jpdate.Tokyo()
}

// recordNew shows the empty record form, the customer chosen when the link
// names one (a customer's page links here), the user as responder.
func (u *UI) recordNew(w http.ResponseWriter, r *Request) error {
	f := NewForm(nil)
	f.Values.Set("template", template.KeyInterview)
	f.Values.Set("actual_at", u.app.Clock().In(r.loc()).Format(datetimeLocal))
	f.Values.Set("responders", r.Principal.User.String())
	f.Values.Set("scope_kind", string(permission.ScopeCompany))
	if id, err := uuid.Parse(r.URL.Query().Get("customer")); err == nil {
		f.Values.Set("customer_id", id.String())
	}
	if key := r.URL.Query().Get("template"); key != "" {
		f.Values.Set("template", key)
	}
	if id, err := uuid.Parse(r.URL.Query().Get("appointment")); err == nil {
		a, err := u.app.Schedule.Appointment(r.Context(), id)
		if err != nil {
			return err
		}
		if a.Record != uuid.Nil {
			redirect(w, r.Request, "/records/"+a.Record.String(), "calendar.already_recorded")
			return nil
		}
		fillFromAppointment(f, a, u.app.Clock(), r.loc())
	}
	return u.renderRecordForm(w, r, http.StatusOK, nil, f, "")
}

// fillFromAppointment sets the record form to what the appointment a
// carries (記録を作成 from a 予定): the customer, the contact persons,
// the channel, the staff as responders, the scope, its start as the
// planned time and, once the start has come, as the actual time; and
// the appointment and its version, which the save links.
func fillFromAppointment(f *Form, a *schedule.Appointment, now time.Time, loc *time.Location) {
	v := f.Values
	v.Set("appointment", a.ID.String())
	v.Set("appointment_version", itoa64(a.Version))
	v.Set("customer_id", draftChoice)
	if a.Customer != uuid.Nil {
		v.Set("customer_id", a.Customer.String())
	}
	v.Set("planned_at", a.Start.In(loc).Format(datetimeLocal))
	v.Del("actual_at")
	if !a.Start.After(now) {
		v.Set("actual_at", a.Start.In(loc).Format(datetimeLocal))
	}
	v.Del("responders")
	for _, id := range a.Staff {
		v.Add("responders", id.String())
	}
	v.Set("channel", a.Channel)
	v.Set("contact_persons", strings.Join(a.ContactPersons, "\n"))
	setScopeValues(v, a.Scope)
}

// appointmentRef is the appointment a new record is written from (zero
// for none), as the form carries it.
type appointmentRef struct {
	ID      uuid.UUID
	Version int64
}

// formAppointment reads the form's appointment reference; a malformed one
// is a tampered form.
func formAppointment(f *Form) (appointmentRef, error) {
	s := f.Get("appointment")
	if s == "" {
		return appointmentRef{}, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return appointmentRef{}, kerr.ErrInvalid
	}
	version, err := parseVersion(f.Get("appointment_version"))
	return appointmentRef{ID: id, Version: version}, err
}

// Form operations: every button of the record form posts the whole form
// (files included) with its "op"; all but saving show the form again.
const (
	opSave        = "save"
	opFind        = "find"         // customer search
	opTemplate    = "template"     // template switch (new records)
	opRefresh     = "refresh"      // re-render: 分類2 follows 分類1
	opStaffFind   = "staff_find"   // staff search of the people picker
	opReportPeers = "report_peers" // 参加社員を報告先に追加
	opAddExpense  = "add_expense"  // one more expense row
	opRemoveFile  = "remove_file:" // + spooled file ID
	// Report-to patterns (報告パターン) of the chosen "report_pattern".
	opApplyPattern  = "apply_pattern"  // add its recipients to 報告先
	opSavePattern   = "save_pattern"   // save 報告先 as a pattern named "pattern_name"
	opDeletePattern = "delete_pattern" // delete it
)

// recordCreate handles a post of the create form.
func (u *UI) recordCreate(w http.ResponseWriter, r *Request) error {
	return u.recordFormPost(w, r, nil)
}

// recordFormPost handles a post of the record form (rec nil: create):
// it spools the files sent, runs the form operation, or saves record and
// files in one transaction. Nothing typed or chosen is dropped: every
// answer but a successful save is the form again, with its files.
func (u *UI) recordFormPost(w http.ResponseWriter, r *Request, rec *contactlog.Record) error {
	f := NewForm(r.PostForm)
	sp := u.spoolOf(r, f)
	if err := sp.add(r.Context(), r); err != nil {
		return err
	}
	op := f.Get("op")
	f.Values.Del("op")
	if id, ok := strings.CutPrefix(op, opRemoveFile); ok {
		if err := sp.remove(r.Context(), id); err != nil {
			return err
		}
		op = opRefresh
	}
	if lineOp(f, op) {
		op = opRefresh
	}
	switch op {
	case "", opSave:
	case opReportPeers:
		for _, p := range f.Values["participants"] {
			if !f.Has("report_to", p) {
				f.Values.Add("report_to", p)
			}
		}
		return u.renderRecordForm(w, r, http.StatusOK, rec, f, op)
	case opAddExpense:
		f.Values.Set("expense_rows", strconv.Itoa(expenseRowCount(f)+1))
		return u.renderRecordForm(w, r, http.StatusOK, rec, f, op)
	case opApplyPattern, opSavePattern, opDeletePattern:
		return u.reportPatternOp(w, r, rec, f, op)
	default:
		return u.renderRecordForm(w, r, http.StatusOK, rec, f, op)
	}
	key, version := f.Get("template"), 0
	var e contactlog.Entry
	var base int64
	var from appointmentRef
	if rec == nil {
		var err error
		if from, err = formAppointment(f); err != nil {
			return err
		}
	}
	if rec != nil {
		key, version, e = rec.Template, rec.TemplateVersion, rec.Entry
		var err error
		if base, err = parseVersion(f.Get("version")); err != nil {
			return err
		}
	}
	t, err := u.formTemplate(r, key, version)
	if err != nil {
		return err
	}
	e.Template = t.Key
	var old map[string]any
	if rec != nil {
		old = rec.Values
	}
	if err := u.readEntry(r, f, t, &e, old); err != nil {
		return err
	}
	if f.Get("customer_id") == "" && strings.TrimSpace(f.Get("customer_q")) != "" {
		// A name typed but no customer chosen: ask, never save a draft.
		f.Add("customer_id", msg.T("records.choose_customer", strings.TrimSpace(f.Get("customer_q"))))
		f.Message = msg.T("common.form_errors")
		return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, rec, f, opFind)
	}
	if !f.Valid() {
		return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, rec, f, "")
	}
	saved, problems, err := u.saveRecord(r, rec, base, from, e, sp)
	if err != nil {
		if addEntryError(f, err, t) {
			return u.renderRecordForm(w, r, http.StatusUnprocessableEntity, rec, f, "")
		}
		if from.ID != uuid.Nil && errors.Is(err, kerr.ErrConflict) {
			return u.appointmentConflict(w, r, f, from)
		}
		if from.ID != uuid.Nil && errors.Is(err, kerr.ErrPermissionDenied) {
			// The user sees the appointment but may not change it: the
			// record can be saved, not linked; say so, keep what was typed.
			f.Values.Del("appointment")
			f.Values.Del("appointment_version")
			f.Message = msg.T("calendar.cannot_link")
			return u.renderRecordForm(w, r, http.StatusForbidden, nil, f, "")
		}
		return err
	}
	if len(problems) > 0 {
		f.Message = msg.T("records.nothing_saved")
		return u.renderRecordFormFiles(w, r, http.StatusUnprocessableEntity, rec, f, "", problems)
	}
	flash := "records.created"
	if rec != nil {
		flash = "common.saved"
	}
	redirect(w, r.Request, "/records/"+saved.ID.String(), flash)
	return nil
}

// appointmentConflict answers a record from an appointment that changed
// since the form was opened: the form again, with what was typed, at the
// appointment's new version — or, when a record was made from it
// meanwhile, saying so with a link to it.
func (u *UI) appointmentConflict(w http.ResponseWriter, r *Request, f *Form, from appointmentRef) error {
	a, err := u.app.Schedule.Appointment(r.Context(), from.ID)
	if err != nil {
		return err
	}
	f.Message = msg.T("error.conflict")
	if a.Record != uuid.Nil {
		f.Message = msg.T("calendar.already_recorded")
	}
	f.Values.Set("appointment_version", itoa64(a.Version))
	return u.renderRecordForm(w, r, http.StatusConflict, nil, f, "")
}

// saveRecord creates (rec nil) or updates the record from e and moves the
// spooled files onto it, in one transaction: when the engine refuses a
// file nothing is saved and the refusals come back as problems (the
// files stay spooled). A new record written from an appointment (from)
// is linked to it in the same transaction. On success the spool is
// emptied.
func (u *UI) saveRecord(r *Request, rec *contactlog.Record, version int64, from appointmentRef, e contactlog.Entry, sp spool) (*contactlog.Record, []string, error) {
	return saveSpooled(u, r.Context(), sp, func(ctx context.Context, tx bun.Tx) (*contactlog.Record, error) {
		switch {
		case rec == nil && from.ID != uuid.Nil:
			saved, _, err := u.app.Schedule.WithDB(tx).RecordFromAppointment(ctx, from.ID, from.Version, e)
			return saved, err
		case rec == nil:
			return u.app.Records.WithDB(tx).Create(ctx, e)
		default:
			return u.app.Records.WithDB(tx).Update(ctx, rec.ID, version, e)
		}
	}, func(ctx context.Context, tx bun.Tx, saved *contactlog.Record, files []spooled, bodies []io.Reader) error {
		ups := make([]contactlog.Upload, len(files))
		for i, f := range files {
			ups[i] = contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: f.Name}, Body: bodies[i]}
		}
		_, err := u.app.Records.WithDB(tx).Attachments().Add(ctx, saved.ID, ups...)
		return err
	})
}

// recordEdit shows the form of an existing record.
func (u *UI) recordEdit(w http.ResponseWriter, r *Request) error {
	rec, err := u.recordOf(r)
	if err != nil {
		return err
	}
	t, err := u.formTemplate(r, rec.Template, rec.TemplateVersion)
	if err != nil {
		return err
	}
	f := NewForm(nil)
	v := f.Values
	v.Set("version", itoa64(rec.Version))
	v.Set("template", rec.Template)
	v.Set("customer_id", draftChoice)
	if rec.Customer != uuid.Nil {
		v.Set("customer_id", rec.Customer.String())
	}
	for name, at := range map[string]time.Time{"actual_at": rec.ActualAt, "planned_at": rec.PlannedAt, "end_at": rec.EndAt} {
		if !at.IsZero() {
			v.Set(name, at.In(r.loc()).Format(datetimeLocal))
		}
	}
	for name, ids := range map[string][]uuid.UUID{"responders": rec.Responders, "participants": rec.Participants,
		"report_to": rec.ReportTo} {
		for _, id := range ids {
			v.Add(name, id.String())
		}
	}
	for name, code := range map[string]string{"channel": rec.Channel, "result": rec.Result, "summary": rec.Summary,
		"progress": rec.Progress, "category1": rec.Category1, "category2": rec.Category2,
		"summary_text": rec.SummaryText, "department": rec.Department, "report_message": rec.ReportMessage,
		"contact_persons":       strings.Join(rec.ContactPersons, "\n"),
		"customer_participants": strings.Join(rec.CustomerParticipants, "\n")} {
		v.Set(name, code)
	}
	setScopeValues(v, rec.Scope)
	for i, x := range rec.Expenses {
		n := strconv.Itoa(i)
		v.Set("exp.kind."+n, string(x.Kind))
		v.Set("exp.route."+n, x.Route)
		v.Set("exp.means."+n, x.Means)
		v.Set("exp.amount."+n, strconv.FormatInt(x.Amount, 10))
	}
	v.Set("expense_rows", strconv.Itoa(len(rec.Expenses)))
	v.Set("public_memo", rec.PublicMemo)
	v.Set("private_memo", rec.PrivateMemo)
	if rec.Important {
		v.Set("important", "1")
	}
	if rec.Shared {
		v.Set("shared", "1")
	}
	for _, fd := range t.Fields {
		val, ok := rec.Values[fd.Key]
		if !ok || val == nil {
			continue
		}
		name := "f." + fd.Key
		switch fd.Type {
		case template.FieldMultiSelect:
			for _, x := range anyList(val) {
				v.Add(name, x)
			}
		case template.FieldBoolean:
			if b, _ := val.(bool); b {
				v.Set(name, "1")
			}
		case template.FieldLines:
			if err := setLines(v, fd.Key, val); err != nil {
				return err
			}
		default:
			v.Set(name, inputValue(fd, val, r.loc()))
		}
	}
	return u.renderRecordForm(w, r, http.StatusOK, rec, f, "")
}

// recordUpdate handles a post of the edit form, based on the version the
// form was read at: a stale version is a conflict.
func (u *UI) recordUpdate(w http.ResponseWriter, r *Request) error {
	rec, err := u.recordOf(r)
	if err != nil {
		return err
	}
	r.PostForm.Set("template", rec.Template)
	return u.recordFormPost(w, r, rec)
}

// draftChoice is the customer radio's value for "no customer (draft)":
// chosen on purpose, unlike an empty choice.
const draftChoice = "none"

// scopeTargetFields are the form fields of each scope kind's targets.
var scopeTargetFields = map[permission.ScopeKind]string{
	permission.ScopeOrgUnits: "scope_units", permission.ScopeGroups: "scope_groups", permission.ScopeUsers: "scope_users",
}

// setScopeValues sets the form's scope choice (scope_kind and its
// targets' field) to s; the zero kind is the whole company.
func setScopeValues(v url.Values, s permission.Scope) {
	kind := cmp.Or(s.Kind, permission.ScopeCompany)
	v.Set("scope_kind", string(kind))
	if field, ok := scopeTargetFields[kind]; ok {
		for _, id := range s.Targets {
			v.Add(field, id.String())
		}
	}
}

// readScope reads the form's scope choice: the kind chosen (none: the
// whole company) and the targets of its field.
func readScope(f *Form) permission.Scope {
	s := permission.Scope{Kind: cmp.Or(permission.ScopeKind(f.Get("scope_kind")), permission.ScopeCompany)}
	if field, ok := scopeTargetFields[s.Kind]; ok {
		s.Targets = peopleIDs(f, field)
	}
	return s
}

// readEntry copies the form's fields into e; old are the record's values
// before the edit (fields the form does not show keep them). Problems the
// engine cannot see (a malformed time) are recorded on f.
func (u *UI) readEntry(r *Request, f *Form, t *template.Template, e *contactlog.Entry, old map[string]any) error {
	e.Customer = uuid.Nil
	if s := f.Get("customer_id"); s != "" && s != draftChoice {
		id, err := uuid.Parse(s)
		if err != nil {
			f.Add("customer_id", msg.T("code.invalid_id"))
		}
		e.Customer = id
	}
	e.ActualAt = formTime(r, f, "actual_at")
	e.PlannedAt = formTime(r, f, "planned_at")
	e.EndAt = formTime(r, f, "end_at")
	e.Responders = peopleIDs(f, "responders")
	e.Participants = peopleIDs(f, "participants")
	e.ReportTo = peopleIDs(f, "report_to")
	e.ReportMessage = f.Get("report_message")
	e.Channel, e.Result, e.Summary = f.Get("channel"), f.Get("result"), f.Get("summary")
	e.Progress, e.Category1, e.Category2 = f.Get("progress"), f.Get("category1"), f.Get("category2")
	e.SummaryText = f.Get("summary_text")
	e.Department = strings.TrimSpace(f.Get("department"))
	e.ContactPersons = formLines(f.Get("contact_persons"))
	e.CustomerParticipants = formLines(f.Get("customer_participants"))
	e.Scope = readScope(f)
	e.Expenses = readExpenses(f)
	e.PublicMemo = f.Get("public_memo")
	e.PrivateMemo = f.Get("private_memo")
	e.Important = f.Get("important") == "1"
	e.Shared = f.Get("shared") == "1"
	vals := map[string]any{}
	for _, fd := range t.Fields {
		name := "f." + fd.Key
		switch {
		case fd.Type == template.FieldLines:
			if err := u.fillLines(r, f, fd); err != nil {
				return err
			}
			if l := readLines(f, fd.Key); len(l) > 0 {
				vals[fd.Key] = l
			}
		case slices.Contains(t.Computed, fd.Key):
			if v, ok := old[fd.Key]; ok {
				vals[fd.Key] = v
			}
		case fd.Type == template.FieldMultiSelect:
			if l := f.Values[name]; len(l) > 0 {
				vals[fd.Key] = l
			}
		case fd.Type == template.FieldBoolean:
			vals[fd.Key] = f.Get(name) == "1"
		default:
			if s := strings.TrimSpace(f.Get(name)); s != "" {
				vals[fd.Key] = s
			}
		}
	}
	e.Values = vals
	return nil
}

// formTime parses a datetime-local field in the user's zone (zero when
// empty); a malformed one is a problem of the field.
func formTime(r *Request, f *Form, name string) time.Time {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return time.Time{}
	}
	at, err := time.ParseInLocation(datetimeLocal, s, r.loc())
	if err != nil {
		f.Add(name, msg.T("code.format"))
	}
	return at
}

// peopleIDs parses the IDs of a multi-valued field (formIDs), once each,
// in order; a malformed one is a problem of the field.
func peopleIDs(f *Form, name string) []uuid.UUID {
	ids, err := formIDs(f.Values[name])
	if err != nil {
		f.Add(name, msg.T("code.invalid_id"))
	}
	return idset.Sorted(ids)
}

// formLines splits a textarea into its non-empty lines, trimmed.
func formLines(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// expenseRow is one expense row of the form, as typed; Kind is empty
// until chosen (the engine reads it as 交通費).
type expenseRow struct {
	Index                      int
	Kind, Route, Means, Amount string
}

// maxExpenseRows bounds the rows a form renders (the engine allows
// contactlog.MaxExpenses lines).
const maxExpenseRows = contactlog.MaxExpenses

// expenseRowCount is the number of expense rows the form shows: those it
// says it has, at least one.
func expenseRowCount(f *Form) int {
	n, _ := strconv.Atoi(f.Get("expense_rows"))
	return min(max(n, 1), maxExpenseRows)
}

// expenseRows are the form's expense rows as typed.
func expenseRows(f *Form) []expenseRow {
	rows := make([]expenseRow, expenseRowCount(f))
	for i := range rows {
		n := strconv.Itoa(i)
		rows[i] = expenseRow{Index: i, Kind: f.Get("exp.kind." + n), Route: f.Get("exp.route." + n),
			Means: f.Get("exp.means." + n), Amount: f.Get("exp.amount." + n)}
	}
	return rows
}

// readExpenses reads the rows with anything typed; an amount that is not
// a whole number of yen is a problem of its input ("exp.amount.<i>").
func readExpenses(f *Form) []contactlog.Expense {
	var out []contactlog.Expense
	for _, row := range expenseRows(f) {
		route, means := strings.TrimSpace(row.Route), strings.TrimSpace(row.Means)
		amount := strings.ReplaceAll(strings.TrimSpace(norm.NFKC.String(row.Amount)), ",", "")
		if route == "" && means == "" && amount == "" {
			continue
		}
		var n int64
		if amount != "" {
			var err error
			if n, err = strconv.ParseInt(amount, 10, 64); err != nil {
				f.Add("exp.amount."+strconv.Itoa(row.Index), msg.T("code.format"))
			}
		}
		out = append(out, contactlog.Expense{Kind: contactlog.ExpenseKind(row.Kind), Route: route, Means: means, Amount: n})
	}
	return out
}

// entryFields are the engine's field names the record form shows, with the
// form's names.
var entryFields = map[string]string{
	"customer": "customer_id", "template": "template", "actual_at": "actual_at", "planned_at": "planned_at", "end_at": "end_at",
	"responders": "responders", "participants": "participants", "report_to": "report_to", "report_message": "report_message",
	"channel": "channel", "result": "result", "summary": "summary", "progress": "progress",
	"category1": "category1", "category2": "category2", "summary_text": "summary_text",
	"department": "department", "contact_persons": "contact_persons", "customer_participants": "customer_participants",
	"scope": "scope_kind", "expenses": "expenses",
	"public_memo": "public_memo", "private_memo": "private_memo", "important": "important", "shared": "shared",
}

// addEntryError records a validation error of the record engine on f:
// template values ("fields.<key>…") next to their inputs, other problems the
// form shows next to their fields, the rest at the top of the form. It
// reports whether err was a validation error.
func addEntryError(f *Form, err error, t *template.Template) bool {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return false
	}
	for _, fe := range ve.Fields {
		name := fe.Field
		if i := strings.IndexAny(name, "[."); i > 0 && !strings.HasPrefix(name, "fields.") {
			name = name[:i]
		}
		switch {
		case strings.HasPrefix(name, "fields."):
			key := strings.TrimPrefix(name, "fields.")
			if i := strings.Index(key, "["); i > 0 {
				key = key[:i]
			}
			if _, ok := t.Field(key); ok {
				f.Add("f."+key, msg.Field(fe))
				continue
			}
			f.Add("_other", msg.Field(fe))
		case name == "end_at" && fe.Code == validation.CodeOutOfRange && strings.HasSuffix(fe.Param, ".."):
			f.Add("end_at", msg.T("records.end_before_start"))
		default:
			if to, ok := entryFields[name]; ok {
				f.Add(to, msg.Field(fe))
				continue
			}
			f.Add("_other", msg.T("records.other_problem", name, msg.Field(fe)))
		}
	}
	f.Message = msg.T("common.form_errors")
	return true
}

// formTemplate finds the template a form is written with: key at version
// (0: the latest), the meeting template when key is empty or unknown on a
// new record.
func (u *UI) formTemplate(r *Request, key string, version int) (*template.Template, error) {
	if key == "" {
		key = template.KeyInterview
	}
	t, err := u.app.Records.Template(r.Context(), key, version)
	if err != nil && version == 0 && errors.Is(err, kerr.ErrNotFound) {
		return u.app.Records.Template(r.Context(), template.KeyInterview, 0)
	}
	return t, err
}

// newRecordTemplates are the templates offered for new records: those not
// archived.
func (u *UI) newRecordTemplates(r *Request) ([]template.Template, error) {
	ts, err := u.app.Records.Templates(r.Context())
	if err != nil {
		if len(ts) == 0 {
			return nil, err
		}
		// A plugin that is down: offer the others.
		u.log.Warn("record templates incomplete", "err", err)
	}
	out := ts[:0]
	for _, t := range ts {
		if t.Archived {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// renderRecordForm shows the record form with f; rec is the record edited
// (nil when creating); op is the form operation that brought it back
// (opFind runs the customer search of "customer_q", opStaffFind the staff
// search of "staff_q").
func (u *UI) renderRecordForm(w http.ResponseWriter, r *Request, status int, rec *contactlog.Record, f *Form, op string) error {
	return u.renderRecordFormFiles(w, r, status, rec, f, op, nil)
}

// renderRecordFormFiles is renderRecordForm with the engine's refusals of
// the spooled files.
func (u *UI) renderRecordFormFiles(w http.ResponseWriter, r *Request, status int, rec *contactlog.Record, f *Form, op string, fileProblems []string) error {
	return u.renderRecordFormData(w, r, status, rec, f, op, recordFormData{FileProblems: fileProblems})
}

// renderRecordFormData renders the record form with what d already says
// (file problems, a pattern operation's notice) and the rest looked up.
func (u *UI) renderRecordFormData(w http.ResponseWriter, r *Request, status int, rec *contactlog.Record, f *Form, op string, d recordFormData) error {
	ctx := r.Context()
	d.Form, d.Record, d.Action, d.StaffSearched = f, rec, "/records", op == opStaffFind
	d.PatternsOpen = d.PatternsOpen || op == opApplyPattern || op == opSavePattern || op == opDeletePattern
	var err error
	if rec != nil {
		d.Action = "/records/" + rec.ID.String() + "/edit"
		d.Template, err = u.formTemplate(r, rec.Template, rec.TemplateVersion)
	} else {
		if d.Templates, err = u.newRecordTemplates(r); err != nil {
			return err
		}
		d.Template, err = u.formTemplate(r, f.Get("template"), 0)
	}
	if err != nil {
		return err
	}
	if d.Files, err = u.spoolOf(r, f).list(ctx); err != nil {
		return err
	}
	if from, err := formAppointment(f); err != nil {
		return err
	} else if from.ID != uuid.Nil {
		if d.Appointment, err = u.app.Schedule.Appointment(ctx, from.ID); err != nil {
			return err
		}
	}
	f.Values.Set("template", d.Template.Key)
	d.Fields, d.HasHidden = formFields(d.Template)
	for _, in := range d.Fields {
		d.FieldsOpen = d.FieldsOpen || in.Required || f.Err(in.Name) != "" ||
			(in.Type != template.FieldBoolean && strings.TrimSpace(f.Get(in.Name)) != "") || f.Get(in.Name) == "1"
	}
	d.Other = f.Errors["_other"]
	if d.Customers, err = u.customerOptions(r, f, op == opFind); err != nil {
		return err
	}
	if d.Masters, err = u.masterChoices(r, f); err != nil {
		return err
	}
	if d.Staff, err = u.staffRows(r, f, d.StaffSearched); err != nil {
		return err
	}
	if d.Units, err = u.app.Dir.OrgUnits(ctx, r.Principal.Tenant); err != nil {
		return err
	}
	if d.Groups, err = u.app.Dir.Groups(ctx, r.Principal.Tenant); err != nil {
		return err
	}
	if d.ReportPatterns, err = u.app.Records.ReportPatterns().List(ctx); err != nil {
		return err
	}
	if d.Lines, err = u.lineFields(r, f, d.Template); err != nil {
		return err
	}
	d.Expenses = expenseRows(f)
	d.ExpenseKinds = contactlog.ExpenseKinds()
	d.ExpensesOpen = f.Err("expenses") != "" || op == opAddExpense
	for _, x := range d.Expenses {
		d.ExpensesOpen = d.ExpensesOpen || x.Route != "" || x.Means != "" || x.Amount != "" ||
			f.Err("exp.amount."+strconv.Itoa(x.Index)) != ""
	}
	if d.History, err = u.pastRecords(r, f, d.Template.Key, rec); err != nil {
		return err
	}
	u.render(w, r.Request, r, status, "records_form", d)
	return nil
}

// maxHistory is how many earlier records 「過去の推移を見る」 lists.
const maxHistory = 5

// pastRecords are the chosen customer's latest records of template key,
// other than rec (Maroud's past entries while writing).
func (u *UI) pastRecords(r *Request, f *Form, key string, rec *contactlog.Record) ([]recordRow, error) {
	id, err := uuid.Parse(f.Get("customer_id"))
	if err != nil {
		return nil, nil
	}
	page, err := u.app.Records.Search(r.Context(), contactlog.Query{Customer: id, Templates: []string{key},
		Limit: maxHistory + 1})
	if err != nil {
		return nil, err
	}
	recs := slices.DeleteFunc(page.Records, func(x contactlog.Record) bool { return rec != nil && x.ID == rec.ID })
	if len(recs) > maxHistory {
		recs = recs[:maxHistory]
	}
	staff, err := u.staffNamesOf(r.Context(), r.Principal.Tenant, recordResponders(recs))
	if err != nil {
		return nil, err
	}
	return u.recordRows(r, recs, staff)
}

// masterOption is one choice of a master select.
type masterOption struct {
	Code, Label string
}

// masterChoices are the options of each master select, by kind.
type masterChoices map[contactlog.MasterKind][]masterOption

// masterChoices lists the tenant's masters for the form: archived items
// only where the form already carries them (an old record keeps its
// label), 分類2 only the children of the chosen 分類1.
func (u *UI) masterChoices(r *Request, f *Form) (masterChoices, error) {
	all, err := u.app.Records.Masters().All(r.Context())
	if err != nil {
		return nil, err
	}
	out := masterChoices{}
	for _, kind := range contactlog.MasterKinds() {
		items := all[kind]
		current := f.Get(string(kind))
		for _, it := range items {
			if it.Archived && it.Code != current {
				continue
			}
			if kind == contactlog.MasterCategory2 && it.Parent != f.Get(string(contactlog.MasterCategory1)) {
				continue
			}
			out[kind] = append(out[kind], masterOption{Code: it.Code, Label: it.Label})
		}
	}
	return out, nil
}

// Options returns the choices of kind (for templates).
func (m masterChoices) Options(kind string) []masterOption { return m[contactlog.MasterKind(kind)] }

// staffRow is one person of the people picker: each column a role.
type staffRow struct {
	ID, Name, Kana string
}

// maxStaffMatches is how many staff a search on the form offers.
const maxStaffMatches = 30

// staffRows are the people picker's rows: everyone the form names in a
// role (or as an appointment's staff), then the active staff whose name or
// reading contains "staff_q" (hiragana finds katakana, width and case
// folded).
func (u *UI) staffRows(r *Request, f *Form, search bool) ([]staffRow, error) {
	users, err := u.app.Staff.Users(r.Context(), r.Principal.Tenant)
	if err != nil {
		return nil, err
	}
	chosen := map[string]bool{}
	for _, field := range []string{"responders", "participants", "report_to", "scope_users", "staff"} {
		for _, id := range f.Values[field] {
			chosen[id] = true
		}
	}
	var rows, matches []staffRow
	q := staffKey(f.Get("staff_q"))
	for _, us := range users {
		row := staffRow{ID: us.ID.String(), Name: us.Name, Kana: us.Kana}
		switch {
		case chosen[row.ID]:
			rows = append(rows, row)
		case search && len(matches) < maxStaffMatches && staffMatches(us, q):
			matches = append(matches, row)
		}
	}
	if search && q != "" && len(matches) == 0 {
		f.Add("staff_q", msg.T("records.no_staff_found"))
	}
	return append(rows, matches...), nil
}

// staffKey is a staff search's form of s: textnorm.Key without spaces.
func staffKey(s string) string { return strings.ReplaceAll(textnorm.Key(s), " ", "") }

// staffMatches tells whether us is an active user whose name or reading
// contains q (a staffKey; empty matches no one).
func staffMatches(us permission.User, q string) bool {
	return q != "" && us.Active && (strings.Contains(staffKey(us.Name), q) || strings.Contains(staffKey(us.Kana), q))
}

// customerOptions are the customer choices of the form: the chosen
// customer, then, after a search, up to maxCustomerOptions matches of
// "customer_q" (by name or reading; hiragana finds katakana).
func (u *UI) customerOptions(r *Request, f *Form, find bool) ([]customerOption, error) {
	var out []customerOption
	chosen, _ := uuid.Parse(f.Get("customer_id"))
	if chosen != uuid.Nil {
		names, err := u.app.Customers.Names(r.Context(), []uuid.UUID{chosen})
		if err != nil {
			return nil, err
		}
		n, ok := names[chosen]
		if !ok {
			// A customer hidden from the user since (reassigned): kept,
			// unnamed, so that saving does not unlink the record.
			n = msg.T("records.hidden_customer")
		}
		out = append(out, customerOption{ID: chosen.String(), Name: n})
	}
	q := strings.TrimSpace(f.Get("customer_q"))
	if !find || q == "" {
		return out, nil
	}
	page, err := u.app.Customers.Search(r.Context(), customer.Query{Text: q, Limit: maxCustomerOptions})
	if err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			f.Add("customer_q", msg.Field(ve.Fields[0]))
			return out, nil
		}
		return nil, err
	}
	for _, c := range page.Customers {
		if c.ID == chosen && len(out) > 0 {
			out[0].Kana = strings.TrimSpace(c.FamilyKana + " " + c.GivenKana)
			continue
		}
		out = append(out, customerOption{ID: c.ID.String(), Name: c.DisplayName(),
			Kana: strings.TrimSpace(c.FamilyKana + " " + c.GivenKana)})
	}
	if len(page.Customers) == 0 {
		f.Add("customer_q", msg.T("records.no_customer_found"))
	}
	return out, nil
}

// recordOf loads the record named by the path's {id}.
func (u *UI) recordOf(r *Request) (*contactlog.Record, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return u.app.Records.Get(r.Context(), id)
}

func anyList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// reportPatternOp runs a report-to pattern operation of the form and shows
// the form again, everything typed kept: apply adds the chosen pattern's
// recipients to 報告先, save keeps the current 報告先 as a pattern named
// "pattern_name", delete removes the chosen pattern.
func (u *UI) reportPatternOp(w http.ResponseWriter, r *Request, rec *contactlog.Record, f *Form, op string) error {
	ctx := r.Context()
	var d recordFormData
	if op == opSavePattern {
		p, err := u.app.Records.ReportPatterns().Create(ctx, contactlog.ReportPatternInput{Name: f.Get("pattern_name"),
			Recipients: peopleIDs(f, "report_to")})
		var ve *validation.Error
		switch {
		case errors.As(err, &ve):
			for _, fe := range ve.Fields {
				if fe.Field == "recipients" && fe.Code == validation.CodeRequired {
					f.Add("pattern_name", msg.T("records.pattern_needs_report_to"))
					continue
				}
				f.Add("pattern_name", msg.Field(fe))
			}
		case err != nil:
			return err
		default:
			f.Values.Del("pattern_name")
			f.Values.Set("report_pattern", p.ID.String())
			d.PatternNotice = msg.T("records.pattern_saved", p.Name)
		}
		return u.renderRecordFormData(w, r, http.StatusOK, rec, f, op, d)
	}
	id, err := uuid.Parse(f.Get("report_pattern"))
	if err != nil {
		f.Add("report_pattern", msg.T("records.pattern_choose"))
		return u.renderRecordFormData(w, r, http.StatusOK, rec, f, op, d)
	}
	if op == opDeletePattern {
		err := u.app.Records.ReportPatterns().Delete(ctx, id)
		switch {
		case errors.Is(err, kerr.ErrNotFound):
			f.Add("report_pattern", msg.T("records.pattern_choose"))
		case err != nil:
			return err
		default:
			f.Values.Del("report_pattern")
			d.PatternNotice = msg.T("records.pattern_deleted")
		}
		return u.renderRecordFormData(w, r, http.StatusOK, rec, f, op, d)
	}
	mine, err := u.app.Records.ReportPatterns().List(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(mine, func(p contactlog.ReportPattern) bool { return p.ID == id })
	if i < 0 {
		f.Add("report_pattern", msg.T("records.pattern_choose"))
		return u.renderRecordFormData(w, r, http.StatusOK, rec, f, op, d)
	}
	for _, id := range mine[i].Recipients {
		if !f.Has("report_to", id.String()) {
			f.Values.Add("report_to", id.String())
		}
	}
	d.PatternNotice = msg.T("records.pattern_applied", mine[i].Name)
	return u.renderRecordFormData(w, r, http.StatusOK, rec, f, op, d)
}
