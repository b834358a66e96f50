package web

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/schedule"
)

// commentView is one comment on the record page.
type commentView struct {
	contactlog.Comment
	AuthorName string
	// CanDelete: the viewer wrote it or is an admin.
	CanDelete bool
}

// recordShowData is the record page's data.
type recordShowData struct {
	Record        *contactlog.Record
	AuthorName    string
	CustomerName  string
	TemplateLabel string
	Values        []fieldValue
	Comments      []commentView
	// FileProblems say which files of the last upload were refused.
	FileProblems []string
	// Files is the list of the record's attachments.
	Files fileList
	// Facts are the record's people, masters, customer side, scope and
	// expenses, in reading order (empty ones left out).
	Facts []fact
	// Expenses are the transport expenses, with their total.
	Expenses     []contactlog.Expense
	ExpenseTotal int64
	// Mail is the 「メール送信」 form: the recipients offered (the
	// customer's assignees, the colleagues a search found), checked ones
	// chosen; MailProblems say who was refused.
	Mail         []mailChoice
	MailQ        string
	MailNote     string
	MailProblems []string
	// NextPlanned is the default planned time of the next record.
	NextPlanned string
	// NextAppointments are the appointments planned as this record's
	// next contact (次回の予定), for staff.
	NextAppointments []schedule.Appointment
	// MadeFrom is the appointment the record was made from (元の予定),
	// nil when none or hidden from the principal.
	MadeFrom  *schedule.Appointment
	CanEdit   bool
	CanDelete bool
	CanShare  bool
	// PDF is the 「PDFでダウンロード」 option dialog.
	PDF pdfDialog
}

// fact is one labelled line of the record page.
type fact struct{ Label, Text string }

// mailChoice is one recipient offered by the mail form.
type mailChoice struct {
	ID, Name string
	Checked  bool
}

// recordShow is the record page.
func (u *UI) recordShow(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return u.renderRecordShow(w, r, http.StatusOK, id, nil)
}

// renderRecordShow renders the page of record id with the problems of an
// upload, if any.
func (u *UI) renderRecordShow(w http.ResponseWriter, r *Request, status int, id uuid.UUID, problems []string) error {
	return u.renderRecordPage(w, r, status, id, recordPageNotes{FileProblems: problems})
}

// recordPageNotes is what the record page shows of a refused form: the
// problems of an upload or of a file's change, those of the mail form, and
// the file of a refused rename (Renamed), whose name input shows what the
// user typed (TypedName) again.
type recordPageNotes struct {
	FileProblems, MailProblems []string
	Renamed                    uuid.UUID
	TypedName                  string
}

// renderRecordPage renders the page of record id with in's problems and
// typed name.
func (u *UI) renderRecordPage(w http.ResponseWriter, r *Request, status int, id uuid.UUID, in recordPageNotes) error {
	ctx := r.Context()
	rec, err := u.app.Records.Get(ctx, id)
	if err != nil {
		return err
	}
	d := recordShowData{Record: rec, FileProblems: in.FileProblems, MailProblems: in.MailProblems,
		NextPlanned: u.app.Clock().In(r.loc()).AddDate(0, 0, 7).Format(datetimeLocal)}
	if rec.Customer != uuid.Nil {
		names, err := u.app.Customers.Names(ctx, []uuid.UUID{rec.Customer})
		if err != nil {
			return err
		}
		d.CustomerName = names[rec.Customer]
	}
	t, err := u.app.Records.Template(ctx, rec.Template, rec.TemplateVersion)
	if err == nil {
		d.TemplateLabel = t.Name
		d.Values = renderValues(t, rec.Values, r.loc())
	} else {
		d.TemplateLabel = rec.Template
	}
	if r.Principal.IsStaff() {
		cs, err := u.app.Records.Comments().List(ctx, id)
		if err != nil {
			return err
		}
		people := append([]uuid.UUID{rec.Author}, rec.Scope.Targets...)
		for _, c := range cs {
			people = append(people, c.Author)
		}
		names, err := u.staffNamesOf(ctx, r.Principal.Tenant, people, rec.Responders, rec.Participants, rec.ReportTo)
		if err != nil {
			return err
		}
		d.AuthorName = names[rec.Author]
		if d.Facts, err = u.recordFacts(r, rec, names); err != nil {
			return err
		}
		d.Expenses = rec.Expenses
		for _, x := range rec.Expenses {
			d.ExpenseTotal += x.Amount
		}
		if d.Mail, err = u.mailChoices(r, rec); err != nil {
			return err
		}
		if d.NextAppointments, err = u.app.Schedule.NextAppointments(ctx, id); err != nil {
			return err
		}
		if d.MadeFrom, err = u.app.Schedule.MadeFromAppointment(ctx, id); err != nil && !errors.Is(err, kerr.ErrNotFound) {
			return err
		}
		d.MailQ = r.FormValue("mail_q")
		d.MailNote = r.FormValue("note")
		for _, c := range cs {
			d.Comments = append(d.Comments, commentView{Comment: c, AuthorName: names[c.Author],
				CanDelete: !c.Deleted() && (c.Author == r.Principal.User || r.Principal.Has(permission.RoleAdmin))})
		}
	}
	obj := &permission.RecordObject{Tenant: rec.Tenant, ID: rec.ID, Customer: rec.Customer, Author: rec.Author,
		People: append(append(append([]uuid.UUID{}, rec.Responders...), rec.Participants...), rec.ReportTo...),
		Scope:  rec.Scope, Confidential: rec.Confidential, Shared: rec.Shared}
	d.CanEdit = u.app.Authz.Check(ctx, r.Principal, permission.ActionEdit, obj) == nil
	d.CanDelete = u.app.Authz.Check(ctx, r.Principal, permission.ActionDelete, obj) == nil
	d.CanShare = u.app.Authz.Check(ctx, r.Principal, permission.ActionShare, obj) == nil
	d.Files = recordFileList(rec, d.CanEdit, d.CanShare, in.Renamed, in.TypedName)
	d.PDF = newPDFDialog(r, rec.ID, false, !rec.PrivateMemoWithheld)
	u.render(w, r.Request, r, status, "records_show", d)
	return nil
}

// recordDelete moves a record to the trash, once confirmed; the top page
// then offers 元に戻す.
func (u *UI) recordDelete(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	if !u.confirmed(w, r, "/records/"+id.String()) {
		return nil
	}
	if err := u.app.Records.Delete(r.Context(), id, version); err != nil {
		return err
	}
	// Delete bumps the version: the restore is based on the next one.
	redirect(w, r.Request, "/?"+url.Values{"deleted": {id.String()}, "v": {itoa64(version + 1)}}.Encode(), "common.deleted")
	return nil
}

// recordNext starts the next record of a contact (次回の記録) planned at
// the form's "planned_at" (empty: unplanned) and opens its form.
func (u *UI) recordNext(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	planned := formTime(r, f, "planned_at")
	if !f.Valid() {
		return u.renderRecordShow(w, r, http.StatusUnprocessableEntity, id,
			[]string{msg.T("records.next_planned") + ": " + f.Err("planned_at")})
	}
	rec, err := u.app.Records.CreateNext(r.Context(), id, planned)
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/records/"+rec.ID.String()+"/edit", "records.next_created")
	return nil
}

// recordAddFiles adds the multipart "files" (and "photos") to a record.
func (u *UI) recordAddFiles(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return kerr.ErrInvalid
	}
	problems, err := u.attach(r, id)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return u.renderRecordShow(w, r, http.StatusUnprocessableEntity, id, problems)
	}
	redirect(w, r.Request, "/records/"+id.String(), "records.files_added")
	return nil
}

// attach stores the request's spooled "photos" and "files" on record id in
// one Attachments().Add call. A refusal of the engine comes back as problems
// to show (one sentence per file problem), and nothing is stored then.
func (u *UI) attach(r *Request, id uuid.UUID) ([]string, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var fhs []*multipart.FileHeader
	fhs = append(fhs, r.MultipartForm.File["photos"]...)
	fhs = append(fhs, r.MultipartForm.File["files"]...)
	if len(fhs) == 0 {
		return nil, nil
	}
	names, bodies, closeAll, err := openParts(fhs)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	uploads := make([]contactlog.Upload, len(names))
	for i := range names {
		uploads[i] = contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: names[i]}, Body: bodies[i]}
	}
	_, err = u.app.Records.Attachments().Add(r.Context(), id, uploads...)
	return filesRefused(err, names)
}

// openParts opens the uploaded files fhs and returns their names and
// bodies; closeAll closes them.
func openParts(fhs []*multipart.FileHeader) (names []string, bodies []io.Reader, closeAll func(), err error) {
	var open closers
	closeAll = open.close
	for _, fh := range fhs {
		f, err := fh.Open()
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		open = append(open, f)
		names = append(names, fh.Filename)
		bodies = append(bodies, f)
	}
	return names, bodies, closeAll, nil
}

// filesRefused turns an engine's refusal of uploaded files (a validation
// error) into the sentences to show, one per problem, naming the file by
// names (the names in upload order); any other error is returned as is.
func filesRefused(err error, names []string) ([]string, error) {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return nil, err
	}
	problems := make([]string, 0, len(ve.Fields))
	for _, fe := range ve.Fields {
		problems = append(problems, fileProblem(fe, names))
	}
	return problems, nil
}

// visibleName shows a file name with its control characters as U+FFFD.
func visibleName(name string) string {
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return unicode.ReplacementChar
		}
		return c
	}, name)
}

var fileIndex = regexp.MustCompile(`^files\[(\d+)\]`)

// fileProblem is the sentence for a problem of an upload, naming the file.
func fileProblem(fe validation.FieldError, names []string) string {
	text := msg.Field(fe)
	switch {
	case fe.Code == validation.CodeNotAllowed && strings.HasSuffix(fe.Field, ".content"):
		text = msg.T("records.file_type_refused", fe.Param)
	case strings.HasSuffix(fe.Field, ".name"):
		text = msg.T("records.file_name_problem", text)
	}
	if m := fileIndex.FindStringSubmatch(fe.Field); m != nil {
		if i, err := strconv.Atoi(m[1]); err == nil && i < len(names) {
			return visibleName(names[i]) + ": " + text
		}
	}
	return text
}

// recordAddComment adds a comment to a record.
func (u *UI) recordAddComment(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := u.app.Records.Comments().Add(r.Context(), id, r.PostFormValue("body")); err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			problems := make([]string, len(ve.Fields))
			for i, fe := range ve.Fields {
				problems[i] = msg.T("records.comment_problem", msg.Field(fe))
			}
			return u.renderRecordShow(w, r, http.StatusUnprocessableEntity, id, problems)
		}
		return err
	}
	redirect(w, r.Request, "/records/"+id.String()+"#comments", "records.comment_added")
	return nil
}

// commentDelete deletes a comment (its author or an admin).
func (u *UI) commentDelete(w http.ResponseWriter, r *Request) error {
	return u.deleteFromRecord(w, r, u.app.Records.Comments().Delete, "#comments")
}

// deleteFromRecord deletes the comment or file {id} at the form's version
// with del, then shows its record (the form's "record") at anchor.
func (u *UI) deleteFromRecord(w http.ResponseWriter, r *Request, del func(context.Context, uuid.UUID, int64) error, anchor string) error {
	return u.deleteFromPage(w, r, del, "record", "/records/", anchor)
}

// deleteFromPage deletes the item {id} at the form's version with del,
// once confirmed, then shows the page it was on: path + the form's parent
// field (a UUID) + anchor.
func (u *UI) deleteFromPage(w http.ResponseWriter, r *Request, del func(context.Context, uuid.UUID, int64) error, parent, path, anchor string) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	owner, err := uuid.Parse(r.PostFormValue(parent))
	if err != nil {
		return kerr.ErrInvalid
	}
	back := path + owner.String() + anchor
	if !u.confirmed(w, r, back) {
		return nil
	}
	if err := del(r.Context(), id, version); err != nil {
		return err
	}
	redirect(w, r.Request, back, "common.deleted")
	return nil
}

// fileUpdate renames a file and sets its flags (重要, お客様と共有).
func (u *UI) fileUpdate(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	m := contactlog.AttachmentMeta{Name: r.PostFormValue("name"), Important: r.PostFormValue("important") == "1",
		Shared: r.PostFormValue("shared") == "1"}
	a, err := u.app.Records.Attachments().Update(r.Context(), id, version, m)
	if err != nil {
		var ve *validation.Error
		if errors.As(err, &ve) {
			rec, perr := uuid.Parse(r.PostFormValue("record"))
			if perr != nil {
				return err
			}
			return u.renderRecordPage(w, r, http.StatusUnprocessableEntity, rec,
				recordPageNotes{FileProblems: renameProblems(ve, m.Name), Renamed: id, TypedName: m.Name})
		}
		return err
	}
	redirect(w, r.Request, "/records/"+a.Record.String()+"#files", "common.saved")
	return nil
}

// fileDelete erases a file.
func (u *UI) fileDelete(w http.ResponseWriter, r *Request) error {
	return u.deleteFromRecord(w, r, u.app.Records.Attachments().Delete, "#files")
}

// fileServe streams a file: images shown in the browser, other kinds
// downloaded, none able to run script here (see capi.SetFileHeaders).
func (u *UI) fileServe(w http.ResponseWriter, r *Request) error {
	return u.serveAttachment(w, r, false)
}

// fileThumb streams an image's thumbnail (JPEG).
func (u *UI) fileThumb(w http.ResponseWriter, r *Request) error { return u.serveAttachment(w, r, true) }

func (u *UI) serveAttachment(w http.ResponseWriter, r *Request, thumb bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return u.writeAttachment(r.Context(), w, id, thumb)
}

// writeAttachment streams attachment id (or its thumbnail) with the headers
// that keep it from running script here; both the staff UI and the portal
// serve files through it.
func (u *UI) writeAttachment(ctx context.Context, w http.ResponseWriter, id uuid.UUID, thumb bool) error {
	body, a, err := u.app.Records.Attachments().Open(ctx, id, thumb)
	if err != nil {
		return err
	}
	capi.SetFileHeaders(w.Header(), a, thumb, true)
	writeFile(w, body)
	return nil
}

// writeFile streams an opened file whose headers are set, and closes it.
func writeFile(w http.ResponseWriter, body io.ReadCloser) {
	defer body.Close()
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = io.Copy(w, body)
}

// pathIDVersion reads the path's {id} and the posted form's version, as
// every write of one record needs.
func pathIDVersion(r *Request) (uuid.UUID, int64, error) {
	id, err := pathID(r)
	if err != nil {
		return uuid.Nil, 0, err
	}
	version, err := parseVersion(r.PostFormValue("version"))
	return id, version, err
}

// parseVersion reads a form's version; a missing or malformed one is a bad
// request.
func parseVersion(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, kerr.ErrInvalid
	}
	return v, nil
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
