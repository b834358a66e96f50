package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// recordFacts are the record page's lines for what the form sets besides
// the memos and template values: planned time, people, masters (by label,
// archived ones included), customer side, scope.
func (u *UI) recordFacts(r *Request, rec *contactlog.Record, names staffNames) ([]fact, error) {
	ctx := r.Context()
	var out []fact
	add := func(key, text string) {
		if text != "" {
			out = append(out, fact{Label: msg.T(key), Text: text})
		}
	}
	for _, at := range []struct {
		key string
		t   time.Time
	}{{"records.planned_at", rec.PlannedAt}, {"records.end_at", rec.EndAt}} {
		if !at.t.IsZero() {
			lt := inZone(at.t, r.loc())
			add(at.key, lt.Format("2006/01/02")+"("+weekday(lt)+") "+lt.Format("15:04"))
		}
	}
	add("records.responders", names.joined(rec.Responders))
	add("records.participants", names.joined(rec.Participants))
	add("records.report_to", names.joined(rec.ReportTo))
	add("records.report_message", rec.ReportMessage)
	var masters map[contactlog.MasterKind][]contactlog.MasterItem // read once, when a record has a master
	for _, m := range []struct {
		kind contactlog.MasterKind
		key  string
		code string
	}{
		{contactlog.MasterChannel, "records.channel", rec.Channel}, {contactlog.MasterResult, "records.result", rec.Result},
		{contactlog.MasterSummary, "records.summary", rec.Summary}, {contactlog.MasterProgress, "records.progress", rec.Progress},
		{contactlog.MasterCategory1, "records.category1", rec.Category1}, {contactlog.MasterCategory2, "records.category2", rec.Category2},
	} {
		if m.code == "" {
			continue
		}
		if masters == nil {
			var err error
			if masters, err = u.app.Records.Masters().All(ctx); err != nil {
				return nil, err
			}
		}
		add(m.key, contactlog.MasterLabel(masters[m.kind], m.code))
	}
	add("records.summary_text", rec.SummaryText)
	add("records.department", rec.Department)
	add("records.contact_persons", strings.Join(rec.ContactPersons, "、"))
	add("records.customer_participants", strings.Join(rec.CustomerParticipants, "、"))
	scope, err := u.scopeText(r, rec.Scope, names)
	if err != nil {
		return nil, err
	}
	add("records.scope", scope)
	return out, nil
}

// scopeText says who a scope shows the record to.
func (u *UI) scopeText(r *Request, s permission.Scope, names staffNames) (string, error) {
	ctx, tenant := r.Context(), r.Principal.Tenant
	var targets []string
	switch s.Kind {
	case permission.ScopeOrgUnits:
		units, err := u.app.Dir.OrgUnits(ctx, tenant)
		if err != nil {
			return "", err
		}
		for _, un := range units {
			if slices.Contains(s.Targets, un.ID) {
				targets = append(targets, un.Name)
			}
		}
		return msg.T("records.scope_units") + ": " + strings.Join(targets, "、"), nil
	case permission.ScopeGroups:
		groups, err := u.app.Dir.Groups(ctx, tenant)
		if err != nil {
			return "", err
		}
		for _, g := range groups {
			if slices.Contains(s.Targets, g.ID) {
				targets = append(targets, g.Name)
			}
		}
		return msg.T("records.scope_groups") + ": " + strings.Join(targets, "、"), nil
	case permission.ScopeUsers:
		return msg.T("records.scope_people") + ": " + names.joined(s.Targets), nil
	}
	return msg.T("records.scope_company"), nil
}

// mailChoices are the recipients the mail form offers: the customer's
// assignees (checked unless the form says otherwise), the colleagues the
// form names, and the active staff whose name or reading contains
// "mail_q".
func (u *UI) mailChoices(r *Request, rec *contactlog.Record) ([]mailChoice, error) {
	var ids []uuid.UUID
	if rec.Customer != uuid.Nil {
		c, err := u.app.Customers.Get(r.Context(), rec.Customer)
		if err != nil {
			return nil, err
		}
		ids = append(ids, c.Assignees...)
	}
	assignees := len(ids)
	if err := r.ParseForm(); err != nil {
		return nil, kerr.ErrInvalid
	}
	chosen, err := formIDs(r.Form["to"])
	if err != nil {
		return nil, err
	}
	for _, id := range chosen {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if q := staffKey(r.FormValue("mail_q")); q != "" {
		users, err := u.app.Staff.Users(r.Context(), r.Principal.Tenant)
		if err != nil {
			return nil, err
		}
		for _, us := range users {
			if staffMatches(us, q) && !slices.Contains(ids, us.ID) && len(ids) < maxStaffMatches {
				ids = append(ids, us.ID)
			}
		}
	}
	// Untouched, the form checks the customer's assignees (the first
	// ids); once sent or searched, what the user checked.
	touched := r.Method == http.MethodPost || r.Form.Has("mail_q")
	names, err := u.staffNamesOf(r.Context(), r.Principal.Tenant, ids)
	if err != nil {
		return nil, err
	}
	out := make([]mailChoice, 0, len(ids))
	for i, id := range ids {
		name, ok := names[id]
		if !ok || id == r.Principal.User {
			continue
		}
		checked := slices.Contains(chosen, id) || (!touched && i < assignees)
		out = append(out, mailChoice{ID: id.String(), Name: name, Checked: checked})
	}
	return out, nil
}

// recordMail mails the record to the chosen colleagues with a note; who
// may not receive it is named, and nothing is sent then.
func (u *UI) recordMail(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	to, err := formIDs(r.PostForm["to"])
	if err != nil {
		return err
	}
	err = u.app.Records.MailRecord(r.Context(), id, to, r.PostFormValue("note"))
	var ve *validation.Error
	if errors.As(err, &ve) {
		var refused []uuid.UUID
		for _, fe := range ve.Fields {
			if id, perr := uuid.Parse(orNil(fe.Param)); perr == nil {
				refused = append(refused, id)
			}
		}
		names, nerr := u.staffNamesOf(r.Context(), r.Principal.Tenant, refused)
		if nerr != nil {
			return nerr
		}
		var problems []string
		for _, fe := range ve.Fields {
			who := names[uuid.MustParse(orNil(fe.Param))]
			switch {
			case fe.Field == "to" && fe.Code == validation.CodeRequired:
				problems = append(problems, msg.T("records.mail_no_recipient"))
			case fe.Field == "to" && who != "":
				problems = append(problems, msg.T("records.mail_refused", who))
			default:
				problems = append(problems, msg.T("records.other_problem", fe.Field, msg.Field(fe)))
			}
		}
		return u.renderRecordMail(w, r, id, problems)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/records/"+id.String()+"#mail", "records.mail_sent")
	return nil
}

// orNil returns s when it is a UUID, else the nil UUID's text.
func orNil(s string) string {
	if uuid.Validate(s) != nil {
		return uuid.Nil.String()
	}
	return s
}

// renderRecordMail shows the record page with the mail form's problems.
func (u *UI) renderRecordMail(w http.ResponseWriter, r *Request, id uuid.UUID, problems []string) error {
	return u.renderRecordPage(w, r, http.StatusUnprocessableEntity, id, recordPageNotes{MailProblems: problems})
}

// recordRestore takes a record out of the trash (元に戻す).
func (u *UI) recordRestore(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	if err := u.app.Records.Restore(r.Context(), id, version); err != nil {
		return err
	}
	redirect(w, r.Request, "/records/"+id.String(), "records.restored")
	return nil
}

// confirmData is the confirmation page of a delete posted without one
// (the pages ask with a folded second button; this is its fallback).
type confirmData struct {
	Action string
	Fields map[string]string
	Back   string
	// Message, when set, replaces the generic question: what exactly
	// will be deleted.
	Message string
}

// confirmed tells whether a delete was confirmed; if not, it shows the
// confirmation page posting the same fields with the confirmation.
func (u *UI) confirmed(w http.ResponseWriter, r *Request, back string) bool {
	return u.confirmedWith(w, r, back, "")
}

// confirmedWith is confirmed asking message instead of the generic
// question.
func (u *UI) confirmedWith(w http.ResponseWriter, r *Request, back, message string) bool {
	if r.PostFormValue("confirm") == "1" {
		return true
	}
	fields := map[string]string{}
	for k := range r.PostForm {
		if k != "_csrf" && k != "confirm" {
			fields[k] = r.PostFormValue(k)
		}
	}
	u.render(w, r.Request, r, http.StatusOK, "confirm", confirmData{Action: r.URL.Path, Fields: fields, Back: back, Message: message})
	return false
}
