package contactlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// TopicReportTo is the outbox topic of report-to notifications (報告先):
// one message per newly added recipient (Recipient: the user ID) and record
// (Key: the record ID), so a recipient hears of a record once, however often
// it is edited. Payload: ReportToPayload.
const TopicReportTo = "contactlog.report_to"

// ReportToPayload is the payload of a TopicReportTo message.
type ReportToPayload struct {
	Record uuid.UUID `json:"record"`
	// By is the staff member whose change added the recipient.
	By uuid.UUID `json:"by"`
}

// searchText is the normalized text the keyword search matches but the
// private memo (kept apart, see Service.keywords): the public memo,
// summary text, the customer's people and department, and the text of
// template values. (The customer's name is matched through the customer's
// own index, so renaming a customer needs no record rewrite.) A part whose
// key equals an earlier part's is left out: the parts are joined by a
// space and terms have none, so every term found in it is found in the
// earlier one (a template value repeating the summary or the memo costs no
// bytes in the key).
func searchText(r *Record) string {
	parts := []string{r.PublicMemo, r.SummaryText, r.Department}
	parts = append(parts, r.ContactPersons...)
	parts = append(parts, r.CustomerParticipants...)
	keys := slices.Sorted(maps.Keys(r.Values))
	for _, k := range keys {
		switch v := r.Values[k].(type) {
		case string:
			parts = append(parts, v)
		case []string:
			parts = append(parts, v...)
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					parts = append(parts, s)
				}
			}
		}
	}
	var keysOut []string
	for _, p := range parts {
		if k := textnorm.Key(p); k != "" && !slices.Contains(keysOut, k) {
			keysOut = append(keysOut, k)
		}
	}
	return strings.Join(keysOut, " ")
}

// cleanNames trims names, drops empty ones and reports overlong ones.
func cleanNames(v *validation.Error, field string, names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		at := fmt.Sprintf("%s[%d]", field, len(out))
		if v.CheckText(at, n, false) && utf8.RuneCountInString(n) > MaxNameLen {
			v.Add(at, validation.CodeTooLong, fmt.Sprint(MaxNameLen))
		}
		out = append(out, n)
	}
	if len(out) > MaxNames {
		v.Add(field, validation.CodeTooMany, fmt.Sprint(MaxNames))
	}
	return out
}

// cleanIDs drops duplicates (keeping the first) and reports nil IDs and
// overlong lists.
func cleanIDs(v *validation.Error, field string, ids []uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range ids {
		if id == uuid.Nil {
			v.Add(field, validation.CodeInvalidUUID, "")
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > MaxPeople {
		v.Add(field, validation.CodeTooMany, fmt.Sprint(MaxPeople))
	}
	return out
}

// checkLen trims s and reports it under field when it is no text
// (validation.ValidText; line breaks and tabs pass) or longer than limit.
func checkLen(v *validation.Error, field, s string, limit int) string {
	s = strings.TrimSpace(s)
	if v.CheckText(field, s, true) && utf8.RuneCountInString(s) > limit {
		v.Add(field, validation.CodeTooLong, fmt.Sprint(limit))
	}
	return s
}

// prepare validates and normalizes e for a record written by pr; prev is
// the stored record on update (nil on create). It returns the template the
// record is written with. Each step adds its field problems to one
// validation error; the plugins validate only values the template accepted
// (and compute them in the same call), and their computed values are
// stored only for an entry without problems.
func (s *Service) prepare(ctx context.Context, db bun.IDB, pr permission.Principal, e *Entry, prev *Record) (*template.Template, error) {
	var v validation.Error
	tpl, valuesOK, err := s.prepareTemplate(ctx, db, pr, &v, e, prev)
	if err != nil {
		return nil, err
	}
	prepareTimes(&v, e, prev, s.now())
	prepareText(&v, e)
	if err := s.checkMasters(ctx, db, pr, &v, e, prev); err != nil {
		return nil, err
	}
	if err := preparePeople(ctx, db, pr, &v, e, prev); err != nil {
		return nil, err
	}
	if err := s.checkScope(ctx, db, pr, &v, e, prev); err != nil {
		return nil, err
	}
	var computed map[string]any
	if valuesOK {
		if computed, err = s.pluginCheck(ctx, pr, &v, tpl, e, prev); err != nil {
			return nil, err
		}
	}
	if err := s.checkCustomer(ctx, db, pr, &v, e, prev); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.pluginCompute(pr, tpl, e, computed); err != nil {
		return nil, err
	}
	return tpl, nil
}

// prepareTemplate resolves e's template (fixed once the record exists; the
// version may move forward) and validates e.Values against it, leaving
// them in their stored form. valuesOK tells whether the values passed.
func (s *Service) prepareTemplate(ctx context.Context, db bun.IDB, pr permission.Principal, v *validation.Error, e *Entry, prev *Record) (tpl *template.Template, valuesOK bool, err error) {
	if prev != nil {
		if e.Template == "" {
			e.Template = prev.Template
		}
		if e.Template != prev.Template {
			v.Add("template", validation.CodeNotAllowed, prev.Template)
		}
		if e.TemplateVersion == 0 {
			e.TemplateVersion = prev.TemplateVersion
		}
		if e.TemplateVersion < prev.TemplateVersion {
			v.Add("template_version", validation.CodeOutOfRange, fmt.Sprintf("%d..", prev.TemplateVersion))
		}
	}
	if e.Template == "" {
		v.Add("template", validation.CodeRequired, "")
	} else if v.Err() == nil {
		t, err := s.templates.Template(ctx, pr.Tenant, e.Template, e.TemplateVersion)
		switch {
		case errors.Is(err, ErrNotFound):
			v.Add("template", validation.CodeUnknown, e.Template)
		case err != nil:
			return nil, false, err
		case t.Archived && (prev == nil || prev.TemplateVersion != t.Version):
			// An archived template is not offered for new records; records
			// written with it stay editable.
			v.Add("template", validation.CodeNotAllowed, e.Template)
		default:
			tpl = t
			e.TemplateVersion = t.Version
		}
	}
	if tpl != nil {
		// Computed fields are the plugin's to fill, never the user's.
		if len(tpl.Computed) > 0 {
			e.Values = maps.Clone(e.Values)
			for _, k := range tpl.Computed {
				delete(e.Values, k)
			}
		}
		vals, err := tpl.ValidateWith(e.Values, template.ValidateOptions{Location: s.location(pr), Items: s.lineItems(ctx, db, pr, prev)})
		if err != nil {
			var fv *ValidationError
			if !errors.As(err, &fv) {
				return nil, false, err
			}
			v.Fields = append(v.Fields, fv.Fields...)
		}
		valuesOK = err == nil
		// The stored (JSON) form, so that what Create and Update return
		// equals what Get returns later.
		if e.Values, err = jsonValues(vals); err != nil {
			return nil, false, err
		}
	}

	return tpl, valuesOK, nil
}

// prepareTimes defaults and bounds e's times: a new record without either
// time happened now; an end lies not before the start; times are stored
// in UTC at the storage resolution.
func prepareTimes(v *validation.Error, e *Entry, prev *Record, now time.Time) {
	if prev == nil && e.PlannedAt.IsZero() && e.ActualAt.IsZero() {
		e.ActualAt = now
	}
	e.PlannedAt = e.PlannedAt.UTC().Truncate(timeResolution)
	e.ActualAt = e.ActualAt.UTC().Truncate(timeResolution)
	e.EndAt = e.EndAt.UTC().Truncate(timeResolution)
	for _, t := range []struct {
		field string
		at    *time.Time
	}{{"planned_at", &e.PlannedAt}, {"actual_at", &e.ActualAt}, {"end_at", &e.EndAt}} {
		if !t.at.IsZero() && (t.at.Year() < 1900 || t.at.Year() > 2200) {
			v.Add(t.field, validation.CodeOutOfRange, "1900..2200")
			*t.at = time.Time{}
		}
	}
	if !e.ActualAt.IsZero() && e.ActualAt.After(now.Add(maxFutureActualAt)) {
		v.Add("actual_at", validation.CodeOutOfRange, "not in the future")
	}
	if e.EndAt.IsZero() {
		return
	}
	start, field := e.ActualAt, "actual_at"
	if start.IsZero() {
		start, field = e.PlannedAt, "planned_at"
	}
	switch {
	case start.IsZero():
		// An end needs the start it ends.
		v.Add("actual_at", validation.CodeRequired, "")
	case e.EndAt.Before(start):
		// Param: the time the end may not precede.
		v.Add("end_at", validation.CodeOutOfRange, field+"..")
	}
}

// prepareText trims and bounds e's texts, names and expenses.
func prepareText(v *validation.Error, e *Entry) {
	e.Department = checkLen(v, "department", e.Department, MaxNameLen)
	e.SummaryText = checkLen(v, "summary_text", e.SummaryText, MaxMemoLen)
	e.ReportMessage = checkLen(v, "report_message", e.ReportMessage, MaxReportMessageLen)
	e.PublicMemo = strings.TrimRight(e.PublicMemo, " \t\r\n\u3000")
	e.PrivateMemo = strings.TrimRight(e.PrivateMemo, " \t\r\n\u3000")
	if v.CheckText("public_memo", e.PublicMemo, true) && utf8.RuneCountInString(e.PublicMemo) > MaxMemoLen {
		v.Add("public_memo", validation.CodeTooLong, fmt.Sprint(MaxMemoLen))
	}
	if v.CheckText("private_memo", e.PrivateMemo, true) && utf8.RuneCountInString(e.PrivateMemo) > MaxMemoLen {
		v.Add("private_memo", validation.CodeTooLong, fmt.Sprint(MaxMemoLen))
	}
	e.ContactPersons = cleanNames(v, "contact_persons", e.ContactPersons)
	e.CustomerParticipants = cleanNames(v, "customer_participants", e.CustomerParticipants)
	if len(e.Expenses) > MaxExpenses {
		v.Add("expenses", validation.CodeTooMany, fmt.Sprint(MaxExpenses))
	}
	for i := range e.Expenses {
		x := &e.Expenses[i]
		p := fmt.Sprintf("expenses[%d]", i)
		x.Route = checkLen(v, p+".route", x.Route, MaxNameLen)
		x.Means = checkLen(v, p+".means", x.Means, MaxNameLen)
		if x.Route == "" {
			v.Add(p+".route", validation.CodeRequired, "")
		}
		if x.Kind != "" && !slices.Contains(ExpenseKinds(), x.Kind) {
			v.Add(p+".kind", validation.CodeUnknown, string(x.Kind))
		}
		if x.Amount < 0 || x.Amount > MaxExpenseAmount {
			v.Add(p+".amount", validation.CodeOutOfRange, fmt.Sprintf("0..%d", MaxExpenseAmount))
		}
	}
}

// checkMasters requires e's master codes to be the tenant's, not archived
// (unless the record had the code already), and category2 under category1.
func (s *Service) checkMasters(ctx context.Context, db bun.IDB, pr permission.Principal, v *validation.Error, e *Entry, prev *Record) error {
	ms, err := s.masterSet(ctx, db, pr.Tenant)
	if err != nil {
		return err
	}
	var prevCodes map[MasterKind]string
	if prev != nil {
		prevCodes = prev.MasterCodes()
	}
	codes := e.MasterCodes()
	for _, kind := range MasterKinds() {
		code := codes[kind]
		if code == "" {
			continue
		}
		i := slices.IndexFunc(ms[kind], func(m MasterItem) bool { return m.Code == code })
		switch {
		case i < 0:
			v.Add(string(kind), validation.CodeUnknown, code)
		case ms[kind][i].Archived && prevCodes[kind] != code:
			v.Add(string(kind), validation.CodeNotAllowed, code)
		case kind == MasterCategory2 && ms[kind][i].Parent != e.Category1:
			v.Add(string(kind), validation.CodeNotAllowed, ms[kind][i].Parent)
		}
	}
	return nil
}

// preparePeople defaults the responders to the writer on create, cleans
// the staff lists and refuses staff who are not active in the tenant
// (unless they were on the record already).
func preparePeople(ctx context.Context, db bun.IDB, pr permission.Principal, v *validation.Error, e *Entry, prev *Record) error {
	if prev == nil && len(e.Responders) == 0 {
		e.Responders = []uuid.UUID{pr.User}
	}
	e.Responders = cleanIDs(v, "responders", e.Responders)
	e.Participants = cleanIDs(v, "participants", e.Participants)
	e.ReportTo = cleanIDs(v, "report_to", e.ReportTo)
	var known []uuid.UUID
	if pr.IsStaff() {
		// The writing staff member (the default responder) is known staff:
		// the directory made the principal.
		known = []uuid.UUID{pr.User}
	}
	if prev != nil {
		// People already on the record may have left the company since;
		// keeping them is not an error, adding departed staff is.
		known = append(known, prev.people()...)
	}
	var added []uuid.UUID
	for _, id := range slices.Concat(e.Responders, e.Participants, e.ReportTo) {
		if !slices.Contains(known, id) && !slices.Contains(added, id) {
			added = append(added, id)
		}
	}
	unknown, err := permission.UnknownStaff(ctx, db, pr.Tenant, added)
	if err != nil {
		return err
	}
	for _, f := range e.peopleFields() {
		for _, id := range f.ids {
			if slices.Contains(unknown, id) {
				v.Add(f.field, validation.CodeUnknown, id.String())
			}
		}
	}
	return nil
}

// checkCustomer requires a customer the writer sees when it is set or
// changed, keeps a record's customer once it has one, and keeps drafts
// (no customer) unshared.
func (s *Service) checkCustomer(ctx context.Context, db bun.IDB, pr permission.Principal, v *validation.Error, e *Entry, prev *Record) error {
	if e.Customer != uuid.Nil && (prev == nil || prev.Customer != e.Customer) {
		ok, err := s.customerVisible(ctx, db, pr, e.Customer)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("customer", validation.CodeUnknown, e.Customer.String())
		}
	}
	if prev != nil && prev.Customer != uuid.Nil && e.Customer == uuid.Nil {
		v.Add("customer", validation.CodeRequired, "")
	}
	if e.Customer == uuid.Nil && e.Shared {
		v.Add("shared", validation.CodeNotAllowed, "draft")
	}
	return nil
}

// peopleFields lists e's staff lists with their field names and roles.
func (e *Entry) peopleFields() []struct {
	field, role string
	ids         []uuid.UUID
} {
	return []struct {
		field, role string
		ids         []uuid.UUID
	}{
		{"responders", roleResponder, e.Responders},
		{"participants", roleParticipant, e.Participants},
		{"report_to", roleReportTo, e.ReportTo},
	}
}

// jsonValues returns values as encoding/json decodes them (nil stays nil).
func jsonValues(values map[string]any) (map[string]any, error) {
	if values == nil {
		return nil, nil
	}
	b, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// MasterCodes returns the entry's master codes by kind, "" where unset
// (look their labels up with MasterLabel).
func (e *Entry) MasterCodes() map[MasterKind]string {
	return map[MasterKind]string{
		MasterChannel: e.Channel, MasterResult: e.Result, MasterSummary: e.Summary, MasterProgress: e.Progress,
		MasterCategory1: e.Category1, MasterCategory2: e.Category2,
	}
}

// checkScope validates the scope's kind and targets: org units, groups or
// staff of the tenant. Targets already on prev are kept even if they were
// since removed from the directory.
func (s *Service) checkScope(ctx context.Context, db bun.IDB, pr permission.Principal, v *validation.Error, e *Entry, prev *Record) error {
	if e.Scope.Kind == "" {
		e.Scope.Kind = permission.ScopeCompany
		if e.Customer == uuid.Nil {
			e.Scope.Kind = permission.ScopeUsers
		}
	}
	switch e.Scope.Kind {
	case permission.ScopeCompany:
		if len(e.Scope.Targets) > 0 {
			v.Add("scope.targets", validation.CodeNotAllowed, "")
		}
		e.Scope.Targets = nil
		return nil
	case permission.ScopeOrgUnits, permission.ScopeGroups, permission.ScopeUsers:
	default:
		v.Add("scope.kind", validation.CodeUnknown, string(e.Scope.Kind))
		return nil
	}
	e.Scope.Targets = cleanIDs(v, "scope.targets", e.Scope.Targets)
	if len(e.Scope.Targets) > MaxScopeTargets {
		v.Add("scope.targets", validation.CodeTooMany, fmt.Sprint(MaxScopeTargets))
		return nil
	}
	var check []uuid.UUID
	for _, t := range e.Scope.Targets {
		if prev == nil || prev.Scope.Kind != e.Scope.Kind || !slices.Contains(prev.Scope.Targets, t) {
			check = append(check, t)
		}
	}
	unknown, err := permission.UnknownScopeTargets(ctx, db, pr.Tenant, e.Scope.Kind, check)
	if err != nil {
		return err
	}
	for _, t := range unknown {
		v.Add("scope.targets", validation.CodeUnknown, t.String())
	}
	return nil
}

// customerVisible reports whether the customer exists, is not deleted and
// is visible to pr.
func (s *Service) customerVisible(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID) (bool, error) {
	c := customer.Ref{Alias: "c"}
	pred, err := s.authz.Predicate(ctx, pr, c.Resource(""))
	if err != nil {
		return false, err
	}
	ok, err := c.Visible(db, pred, id).Exists(ctx)
	return ok, storage.Err(err)
}

// checkRecord checks that pr may do each of actions on r, looking the
// assignees of r's customer up once.
func (s *Service) checkRecord(ctx context.Context, db bun.IDB, pr permission.Principal, r *Record, actions ...permission.Action) error {
	assignees, err := customerAssignees(ctx, db, pr.Tenant, r.Customer)
	if err != nil {
		return err
	}
	obj := r.object(assignees)
	for _, a := range actions {
		if err := s.authz.Check(ctx, pr, a, obj); err != nil {
			return err
		}
	}
	return nil
}

// customerAssignees returns the staff in charge of a customer (nil for
// drafts).
func customerAssignees(ctx context.Context, db bun.IDB, tenant, cust uuid.UUID) ([]uuid.UUID, error) {
	if cust == uuid.Nil {
		return nil, nil
	}
	var out []uuid.UUID
	err := customer.AssigneeRef{Alias: "ca"}.Of(db, tenant, cust).Scan(ctx, &out)
	return out, storage.Err(err)
}

// Create stores a new record written by the principal (its author). Every
// problem with the entry comes back at once as a *ValidationError. Report-to
// recipients are notified through the outbox in the same transaction.
func (s *Service) Create(ctx context.Context, e Entry) (*Record, error) {
	return s.create(ctx, e, uuid.Nil)
}

// CreateNext starts the next record of a contact ("次回"): a new record with
// the customer, template (latest version), responders, participants, scope
// and customer-side people of the record id, planned at plannedAt (zero:
// unplanned, actual now). Memos, values and flags start empty.
func (s *Service) CreateNext(ctx context.Context, id uuid.UUID, plannedAt time.Time) (*Record, error) {
	src, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	e := Entry{
		Template: src.Template, Customer: src.Customer, ContactPersons: src.ContactPersons,
		Department: src.Department, CustomerParticipants: src.CustomerParticipants,
		Responders: src.Responders, Participants: src.Participants, Scope: src.Scope,
		PlannedAt: plannedAt, Category1: src.Category1, Category2: src.Category2,
	}
	return s.create(ctx, e, src.ID)
}

func (s *Service) create(ctx context.Context, e Entry, source uuid.UUID) (*Record, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Record
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		tpl, err := s.prepare(ctx, tx, pr, &e, nil)
		if err != nil {
			return err
		}
		now := s.now()
		r := &Record{
			Entry: e, ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Confidential: tpl.Confidential,
			Author: pr.User, Source: source, CreatedAt: now, UpdatedAt: now, UpdatedBy: pr.User, Version: 1,
		}
		assignees, err := customerAssignees(ctx, tx, pr.Tenant, r.Customer)
		if err != nil {
			return err
		}
		if err := s.authz.Check(ctx, pr, permission.ActionCreate, r.object(assignees)); err != nil {
			return err
		}
		memo, err := s.readsPrivateMemo(ctx, pr, r.object(assignees))
		if err != nil {
			return err
		}
		if !memo && r.PrivateMemo != "" {
			return privateMemoNotAllowed()
		}
		row := toRow(r)
		if err := gramIndex.InsertRow(ctx, tx, tx.NewInsert().Model(&row), row.Grams); err != nil {
			return err
		}
		if err := s.writeSides(ctx, tx, r, false); err != nil {
			return err
		}
		if err := s.notifyReportTo(ctx, tx, pr, r, r.ReportTo); err != nil {
			return err
		}
		if err := s.enqueueEvent(ctx, tx, r.Tenant, r.ID, r.Version, EventRecordCreated); err != nil {
			return err
		}
		out = r
		if !memo {
			out.withholdPrivateMemo()
		}
		return s.audit(ctx, tx, pr, "create", "record", r.ID, "")
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: create: %w", err)
	}
	return out, nil
}

// writeSides writes the people and scope rows of r, replacing the old ones
// when replace is set. The people rows carry r's time (occurred_at), so
// every save of r — a changed time included — rewrites them.
func (s *Service) writeSides(ctx context.Context, tx bun.IDB, r *Record, replace bool) error {
	if replace {
		for _, m := range []any{(*personRow)(nil), (*scopeRow)(nil)} {
			// By the tables' keys (tenant_id, record_id, …): without the
			// tenant, SQLite read every row of the table.
			if _, err := tx.NewDelete().Model(m).Where("tenant_id = ?", r.Tenant).Where("record_id = ?", r.ID).Exec(ctx); err != nil {
				return err
			}
		}
	}
	var people []personRow
	at := r.Time()
	for _, f := range r.peopleFields() {
		for i, id := range f.ids {
			people = append(people, personRow{Record: r.ID, User: id, Role: f.role, Tenant: r.Tenant, Position: i, OccurredAt: at})
		}
	}
	if len(people) > 0 {
		if _, err := tx.NewInsert().Model(&people).Exec(ctx); err != nil {
			return err
		}
	}
	if len(r.Scope.Targets) > 0 {
		scope := make([]scopeRow, len(r.Scope.Targets))
		for i, t := range r.Scope.Targets {
			scope[i] = scopeRow{Record: r.ID, Target: t, Tenant: r.Tenant}
		}
		if _, err := tx.NewInsert().Model(&scope).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// notifyReportTo enqueues one report-to notification per recipient.
func (s *Service) notifyReportTo(ctx context.Context, tx bun.IDB, pr permission.Principal, r *Record, recipients []uuid.UUID) error {
	if len(recipients) == 0 {
		return nil
	}
	payload, err := json.Marshal(ReportToPayload{Record: r.ID, By: pr.User})
	if err != nil {
		return err
	}
	msgs := make([]outbox.Message, 0, len(recipients))
	for _, u := range recipients {
		if u == pr.User {
			continue // nobody needs telling what they did themselves
		}
		msgs = append(msgs, outbox.Message{Tenant: r.Tenant, Topic: TopicReportTo, Recipient: u.String(), Key: r.ID.String(), Payload: payload})
	}
	msgs, err = s.withChannels(msgs)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, msgs...)
}

// Get returns a record that is not deleted and that the principal may see
// (ErrNotFound otherwise). For customer principals the private memo,
// the report-to recipients and the expenses are left out. The read is
// recorded in the audit log.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Record, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.get(ctx, s.db, pr, id, false)
	if err == nil {
		rs := []Record{*r}
		err = s.details(ctx, s.db, pr, rs)
		r = &rs[0]
	}
	if err == nil {
		err = s.audit(ctx, s.db, pr, string(permission.ActionView), "record", id, "")
	}
	if err != nil {
		return nil, fmt.Errorf("contactlog: get %s: %w", id, err)
	}
	return r, nil
}

// get loads one record pr may see, deleted or not as asked.
func (s *Service) get(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID, deleted bool) (*Record, error) {
	rs, err := s.query(ctx, db, pr, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("r.id = ?", id)
		if deleted {
			return q.Where("r.deleted_at IS NOT NULL")
		}
		return q.Where("r.deleted_at IS NULL")
	})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, ErrNotFound
	}
	return &rs[0], nil
}

// query runs a select over the records pr may see, shaped by build, and
// loads their people and scopes.
func (s *Service) query(ctx context.Context, db bun.IDB, pr permission.Principal, build func(*bun.SelectQuery) *bun.SelectQuery) ([]Record, error) {
	return s.queryFor(ctx, db, pr, permission.ActionView, build)
}

// queryFor is query over the records pr may do action on.
func (s *Service) queryFor(ctx context.Context, db bun.IDB, pr permission.Principal, action permission.Action, build func(*bun.SelectQuery) *bun.SelectQuery) ([]Record, error) {
	pred, err := s.authz.Predicate(ctx, pr, recordTableFor(action))
	if err != nil {
		return nil, err
	}
	return s.scanFor(ctx, db, pr, func(q *bun.SelectQuery) *bun.SelectQuery { return build(pred.Apply(q)) })
}

// scanFor runs build, a select over records pr may see (build restricts
// them), loads their people and scopes, and leaves out what pr may not
// read of them.
func (s *Service) scanFor(ctx context.Context, db bun.IDB, pr permission.Principal, build func(*bun.SelectQuery) *bun.SelectQuery) ([]Record, error) {
	out, err := s.scan(ctx, db, pr.Tenant, build)
	if err != nil {
		return nil, err
	}
	if err := s.withholdPrivateMemos(ctx, db, pr, out); err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		for i := range out {
			out[i].redact()
		}
	}
	return out, nil
}

// privateMemoPredicate returns the condition on contact_records r that pr
// may read the private memo (permission.ActionReadPrivateMemo), and
// whether it is that of the records pr sees: then pr reads every private
// memo they see, and callers need not apply it.
func (s *Service) privateMemoPredicate(ctx context.Context, pr permission.Principal) (permission.Predicate, bool, error) {
	memo, err := s.authz.Predicate(ctx, pr, recordTableFor(permission.ActionReadPrivateMemo))
	if err != nil {
		return memo, false, err
	}
	view, err := s.authz.Predicate(ctx, pr, recordTable)
	return memo, memo.SQL == view.SQL && reflect.DeepEqual(memo.Args, view.Args), err
}

// withholdPrivateMemos applies permission.ActionReadPrivateMemo to rs,
// records pr sees: the private memos pr may not read are kept out (one
// query for the page; none for the staff who read every memo they see).
func (s *Service) withholdPrivateMemos(ctx context.Context, db bun.IDB, pr permission.Principal, rs []Record) error {
	if len(rs) == 0 {
		return nil
	}
	memo, all, err := s.privateMemoPredicate(ctx, pr)
	if err != nil || all {
		return err
	}
	ids := make([]uuid.UUID, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	var readable []uuid.UUID
	if err := memo.Apply(db.NewSelect().Model((*recordRow)(nil)).Column("r.id")).Where("r.id IN (?)", bun.List(ids)).
		Scan(ctx, &readable); err != nil {
		return storage.Err(err)
	}
	for i := range rs {
		if !slices.Contains(readable, rs[i].ID) {
			rs[i].withholdPrivateMemo()
		}
	}
	return nil
}

// readsPrivateMemo reports whether pr may read the private memo of obj.
func (s *Service) readsPrivateMemo(ctx context.Context, pr permission.Principal, obj *permission.RecordObject) (bool, error) {
	err := s.authz.Check(ctx, pr, permission.ActionReadPrivateMemo, obj)
	if errors.Is(err, ErrPermissionDenied) || errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// privateMemoNotAllowed is the refusal of a private memo written by a
// principal who may not read it.
func privateMemoNotAllowed() error {
	var v validation.Error
	v.Add("private_memo", validation.CodeNotAllowed, "")
	return v.Err()
}

// scan loads the records of the tenant's that build selects, with their
// people and scopes, without any permission check: callers check
// permissions in build (queryFor) or read for the system (event delivery).
func (s *Service) scan(ctx context.Context, db bun.IDB, tenant uuid.UUID, build func(*bun.SelectQuery) *bun.SelectQuery) ([]Record, error) {
	var rows []recordRow
	q := listed(db.NewSelect().Model(&rows))
	if err := storage.ScanBound(ctx, db, nil, build(q), &rows); err != nil {
		return nil, storage.Err(err)
	}
	out := make([]Record, len(rows))
	for i := range rows {
		out[i] = rows[i].record()
	}
	if err := s.loadSides(ctx, db, tenant, out); err != nil {
		return nil, err
	}
	return out, nil
}

// listed leaves out of sel, a select of recordRow, the columns a record
// read is not given: its search keys and their grams.
func listed(sel *bun.SelectQuery) *bun.SelectQuery {
	return sel.ExcludeColumn("grams", "search_text", "private_search_text")
}

// details fills Attachments and CommentCount of rs in place (two queries
// for any number of records).
func (s *Service) details(ctx context.Context, db bun.IDB, pr permission.Principal, rs []Record) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	files, err := s.attachmentsOf(ctx, db, pr, ids)
	if err != nil {
		return err
	}
	counts := map[uuid.UUID]int{}
	if pr.IsStaff() {
		if counts, err = s.commentCounts(ctx, db, pr.Tenant, ids); err != nil {
			return err
		}
	}
	for i := range rs {
		rs[i].Attachments, rs[i].CommentCount = files[rs[i].ID], counts[rs[i].ID]
	}
	return nil
}

// redact removes what a customer principal must not see.
func (r *Record) redact() {
	r.PrivateMemo, r.ReportTo, r.ReportMessage, r.Expenses = "", nil, "", nil
	r.Scope = permission.Scope{}
}

// loadSides fills people and scope targets of rs with one query.
func (s *Service) loadSides(ctx context.Context, db bun.IDB, tenant uuid.UUID, rs []Record) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(rs))
	at := make(map[uuid.UUID]*Record, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
		at[rs[i].ID] = &rs[i]
	}
	// People rows and the scope's targets (tagged with the role "scope").
	const scopeTag = "scope"
	type side struct {
		Record   uuid.UUID `bun:"record_id"`
		ID       uuid.UUID `bun:"id"`
		Role     string    `bun:"role"`
		Position int       `bun:"position"`
	}
	var sides []side
	people := db.NewSelect().TableExpr("contact_record_people").ColumnExpr("record_id, user_id AS id, role, position").
		Where("tenant_id = ?", tenant).Where("record_id IN (?)", bun.List(ids))
	scope := db.NewSelect().TableExpr("contact_record_scope").ColumnExpr("record_id, target_id AS id, ? AS role, 0 AS position", scopeTag).
		Where("tenant_id = ?", tenant).Where("record_id IN (?)", bun.List(ids))
	if err := storage.ScanBound(ctx, db, s.cfg.StatementCache, people.UnionAll(scope), &sides); err != nil {
		return storage.Err(err)
	}
	slices.SortFunc(sides, func(a, b side) int {
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	for _, x := range sides {
		r := at[x.Record]
		switch x.Role {
		case roleResponder:
			r.Responders = append(r.Responders, x.ID)
		case roleParticipant:
			r.Participants = append(r.Participants, x.ID)
		case roleReportTo:
			r.ReportTo = append(r.ReportTo, x.ID)
		case scopeTag:
			r.Scope.Targets = append(r.Scope.Targets, x.ID)
		}
	}
	return nil
}

// Update replaces the entry of a record, based on version (ErrConflict when
// stale). The author, responders, participants, report-to recipients,
// managers of the author's groups and admins may edit. Changing the
// report-to recipients or Shared needs the share permission. Staff newly
// added to ReportTo are notified.
func (s *Service) Update(ctx context.Context, id uuid.UUID, version int64, e Entry) (*Record, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Record
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.get(ctx, tx, pr, id, false)
		if err != nil {
			return err
		}
		assignees, err := customerAssignees(ctx, tx, pr.Tenant, cur.Customer)
		if err != nil {
			return err
		}
		if err := s.authz.Check(ctx, pr, permission.ActionEdit, cur.object(assignees)); err != nil {
			return err
		}
		if cur.Version != version {
			return ErrConflict
		}
		tpl, err := s.prepare(ctx, tx, pr, &e, cur)
		if err != nil {
			return err
		}
		r := *cur
		r.Entry = e
		r.Confidential = tpl.Confidential
		if cur.PrivateMemoWithheld {
			// Not pr's to read, nor to write: the stored memo stays.
			if e.PrivateMemo != "" {
				return privateMemoNotAllowed()
			}
			if err := tx.NewSelect().Model((*recordRow)(nil)).Column("r.private_memo").
				Where("r.tenant_id = ?", pr.Tenant).Where("r.id = ?", id).Scan(ctx, &r.PrivateMemo); err != nil {
				return storage.Err(err)
			}
		}
		r.UpdatedAt, r.UpdatedBy, r.Version = s.now(), pr.User, version+1
		if !e.Shared != !cur.Shared || !idset.Same(e.ReportTo, cur.ReportTo) {
			if err := s.authz.Check(ctx, pr, permission.ActionShare, cur.object(assignees)); err != nil {
				return err
			}
		}
		// The record must stay writable by the editor's rules for its new
		// shape too (a partner may not move a record to a confidential
		// template or to a customer not theirs).
		if r.Customer != cur.Customer {
			if assignees, err = customerAssignees(ctx, tx, pr.Tenant, r.Customer); err != nil {
				return err
			}
		}
		if err := s.authz.Check(ctx, pr, permission.ActionCreate, r.object(assignees)); err != nil {
			return err
		}
		memo, err := s.readsPrivateMemo(ctx, pr, r.object(assignees))
		if err != nil {
			return err
		}
		row := toRow(&r)
		q := tx.NewUpdate().Model(&row).
			ExcludeColumn("id", "tenant_id", "author_id", "created_at", "source_id", "deleted_at", "deleted_by").
			Where("r.id = ?", id).Where("r.tenant_id = ?", pr.Tenant).Where("r.version = ?", version)
		if !gramIndex.Writes(s.dialect) {
			q = q.ExcludeColumn("grams")
		}
		res, err := q.Exec(ctx)
		if err := storage.Affected(res, err, ErrConflict); err != nil {
			return err
		}
		if err := gramIndex.Save(ctx, tx, pr.Tenant, []storage.GramSet{{Owner: id, Grams: row.Grams}}); err != nil {
			return err
		}
		if err := s.writeSides(ctx, tx, &r, true); err != nil {
			return err
		}
		var added []uuid.UUID
		for _, u := range r.ReportTo {
			if !slices.Contains(cur.ReportTo, u) {
				added = append(added, u)
			}
		}
		if err := s.notifyReportTo(ctx, tx, pr, &r, added); err != nil {
			return err
		}
		if err := s.enqueueEvent(ctx, tx, r.Tenant, r.ID, r.Version, EventRecordUpdated); err != nil {
			return err
		}
		out = &r
		if !memo {
			out.withholdPrivateMemo()
		}
		return s.audit(ctx, tx, pr, string(permission.ActionEdit), "record", id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: update %s: %w", id, err)
	}
	return out, nil
}

// Delete moves a record to the trash, based on version: it disappears from
// Get, searches and timelines and can be restored.
func (s *Service) Delete(ctx context.Context, id uuid.UUID, version int64) error {
	return s.setDeleted(ctx, "delete", id, version, true)
}

// Restore brings a deleted record back, based on version.
func (s *Service) Restore(ctx context.Context, id uuid.UUID, version int64) error {
	return s.setDeleted(ctx, "restore", id, version, false)
}

func (s *Service) setDeleted(ctx context.Context, op string, id uuid.UUID, version int64, deleted bool) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.get(ctx, tx, pr, id, !deleted)
		if err != nil {
			return err
		}
		if err := s.checkRecord(ctx, tx, pr, cur, permission.ActionDelete); err != nil {
			return err
		}
		if err := storage.SetDeleted(ctx, tx, (*recordRow)(nil), pr.Tenant, id, version, pr.User, s.now(), deleted); err != nil {
			return err
		}
		kind := EventRecordUpdated
		if deleted {
			kind = EventRecordDeleted
		}
		if err := s.enqueueEvent(ctx, tx, pr.Tenant, id, version+1, kind); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, op, "record", id, "")
	})
	if err != nil {
		return fmt.Errorf("contactlog: %s %s: %w", op, id, err)
	}
	return nil
}

// Purge erases a record for real, deleted or not, with its people, scope,
// comments, attachments and search index (personal-data erasure). Admins
// only. The audit log keeps that the purge happened. Attachment files are
// deleted after the commit, as by Attachments.Delete.
func (s *Service) Purge(ctx context.Context, id uuid.UUID) error {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	var blobs []string
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		keys, err := s.attachmentBlobKeys(ctx, tx, pr.Tenant, id)
		if err != nil {
			return err
		}
		blobs = keys
		res, err := tx.NewDelete().Model((*recordRow)(nil)).Where("id = ?", id).Where("tenant_id = ?", pr.Tenant).Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "purge", "record", id, "")
	})
	if err == nil {
		err = s.dropBlobs(ctx, blobs)
	}
	if err != nil {
		return fmt.Errorf("contactlog: purge %s: %w", id, err)
	}
	return nil
}
