package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// MaxUploadRequest caps an attachment upload request: the engine's 30 MiB
// of files plus room for the multipart framing.
const MaxUploadRequest = 31 << 20

var recordQueryParams = []Param{
	{Name: "q", In: "query", Type: "string", Description: "keyword (memos, customer name, …)"},
	{Name: "customer", In: "query", Type: "string", Description: "customer ID"},
	{Name: "template", In: "query", Type: "string", Description: "template key; repeat for several"},
	{Name: "progress", In: "query", Type: "string", Description: "progress code; repeat for several"},
	{Name: "rank", In: "query", Type: "string", Description: "customer rank; repeat for several"},
	{Name: "responder", In: "query", Type: "string", Description: "staff user ID"},
	{Name: "mine", In: "query", Type: "boolean", Description: "records I wrote or took part in"},
	{Name: "drafts", In: "query", Type: "boolean", Description: "drafts only"},
	{Name: "important", In: "query", Type: "boolean", Description: "important only"},
	{Name: "deleted", In: "query", Type: "boolean", Description: "list the trash instead"},
	{Name: "actual_from", In: "query", Type: "string", Description: "RFC 3339, inclusive"},
	{Name: "actual_to", In: "query", Type: "string", Description: "RFC 3339, exclusive"},
	{Name: "planned_from", In: "query", Type: "string", Description: "RFC 3339, inclusive"},
	{Name: "planned_to", In: "query", Type: "string", Description: "RFC 3339, exclusive"},
	{Name: "created_from", In: "query", Type: "string", Description: "RFC 3339, inclusive"},
	{Name: "created_to", In: "query", Type: "string", Description: "RFC 3339, exclusive"},
	{Name: "sort", In: "query", Type: "string", Description: "created | actual | customer"},
	{Name: "asc", In: "query", Type: "boolean", Description: "oldest first"},
	{Name: "limit", In: "query", Type: "integer", Description: "page size"},
	{Name: "after", In: "query", Type: "string", Description: "cursor: next of the previous page"},
	{Name: "total", In: "query", Type: "boolean", Description: "count the matches: exactly up to the engine's TotalCap, beyond it an estimate or a lower bound (total_kind)"},
	{Name: "exact_total", In: "query", Type: "boolean", Description: "count every match exactly, however many (implies total; reads every match)"},
	{Name: "details", In: "query", Type: "boolean", Description: "include attachments and comment counts"},
}

func recordQuery(v url.Values) (contactlog.Query, error) {
	var ve validation.Error
	q := contactlog.Query{
		Text: v.Get("q"), Templates: v["template"], Progress: v["progress"], CustomerRanks: v["rank"],
		Sort: contactlog.Sort(v.Get("sort")), After: v.Get("after"),
	}
	q.Customer = queryUUID(v, "customer", &ve)
	q.Responder = queryUUID(v, "responder", &ve)
	q.Mine = QueryBool(v, "mine", &ve)
	q.DraftsOnly = QueryBool(v, "drafts", &ve)
	q.ImportantOnly = QueryBool(v, "important", &ve)
	q.Deleted = QueryBool(v, "deleted", &ve)
	q.Asc = QueryBool(v, "asc", &ve)
	q.WithTotal = QueryBool(v, "total", &ve)
	q.ExactTotal = QueryBool(v, "exact_total", &ve)
	q.WithDetails = QueryBool(v, "details", &ve)
	q.Limit = QueryInt(v, "limit", &ve)
	q.ActualFrom = queryTime(v, "actual_from", &ve)
	q.ActualTo = queryTime(v, "actual_to", &ve)
	q.PlannedFrom = queryTime(v, "planned_from", &ve)
	q.PlannedTo = queryTime(v, "planned_to", &ve)
	q.CreatedFrom = queryTime(v, "created_from", &ve)
	q.CreatedTo = queryTime(v, "created_to", &ve)
	return q, ve.Err()
}

func queryTime(v url.Values, name string, ve *validation.Error) time.Time {
	s := v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		ve.Add(name, validation.CodeFormat, "")
	}
	return t
}

func (s *Server) searchRecords(w http.ResponseWriter, r *http.Request) error {
	q, err := recordQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.opts.Records.Search(r.Context(), q)
	if err != nil {
		return err
	}
	if page.Records == nil {
		page.Records = []contactlog.Record{}
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := s.opts.Records.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, rec.Version, rec)
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request) error {
	var in contactlog.Entry
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	rec, err := s.opts.Records.Create(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.opts.Prefix+Version1+"/records/"+rec.ID.String())
	return WriteVersioned(w, http.StatusCreated, rec.Version, rec)
}

// updateRecordDescription documents what updateRecord accepts.
const updateRecordDescription = "Replaces the record's entry with the body. The body may be the " +
	"record exactly as GET returned it: the read-only properties (id, version, author, attachments, " +
	"…) are accepted and ignored; the version changed is the one named by If-Match. A principal " +
	"who may not read the private memo (private_memo_withheld) keeps the stored one by sending none."

func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	var in contactlog.Record
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	rec, err := s.opts.Records.Update(r.Context(), id, version, in.Entry)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, rec.Version, rec)
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	return deleteVersioned(w, r, s.opts.Records.Delete)
}

// NextRequest starts the next record of a contact.
type NextRequest struct {
	// PlannedAt is the next contact's planned time; absent: unplanned.
	PlannedAt time.Time `json:"planned_at,omitzero"`
}

func (s *Server) createNext(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in NextRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	rec, err := s.opts.Records.CreateNext(r.Context(), id, in.PlannedAt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.opts.Prefix+Version1+"/records/"+rec.ID.String())
	return WriteVersioned(w, http.StatusCreated, rec.Version, rec)
}

// --- attachments ---

// AttachmentList lists a record's files.
type AttachmentList struct {
	Attachments []contactlog.Attachment `json:"attachments"`
}

// AttachmentPatch changes an attachment's metadata; absent fields keep
// their value.
type AttachmentPatch struct {
	Name      *string `json:"name,omitempty"`
	Important *bool   `json:"important,omitempty"`
	Shared    *bool   `json:"shared,omitempty"`
}

// UploadForm documents the multipart upload: text parts "important" and
// "shared" apply to the file parts after them; every part with a file name
// is one file.
type UploadForm struct {
	Important bool   `json:"important,omitempty"`
	Shared    bool   `json:"shared,omitempty"`
	Files     []byte `json:"files" format:"binary"`
}

func (s *Server) listAttachments(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	as, err := s.opts.Records.Attachments().List(r.Context(), id)
	if err != nil {
		return err
	}
	if as == nil {
		as = []contactlog.Attachment{}
	}
	return WriteJSON(w, http.StatusOK, AttachmentList{Attachments: as})
}

// uploadAttachments hands each file of the multipart body to the engine as
// it arrives (readUpload). Files before a refused one stay attached; the
// response lists what was stored only when every file was.
func (s *Server) uploadAttachments(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var meta contactlog.AttachmentMeta
	out := []contactlog.Attachment{}
	err = readUpload(w, r, func(name string, v bool) {
		switch name {
		case "important":
			meta.Important = v
		case "shared":
			meta.Shared = v
		}
	}, func(name string, body io.Reader) error {
		m := meta
		m.Name = name
		as, err := s.opts.Records.Attachments().Add(r.Context(), id, contactlog.Upload{AttachmentMeta: m, Body: body})
		out = append(out, as...)
		return err
	})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, AttachmentList{Attachments: out})
}

// errUploadTooLarge answers an upload body over MaxUploadRequest.
var errUploadTooLarge = &Error{Code: "too-large", Status: http.StatusRequestEntityTooLarge,
	Detail: fmt.Sprintf("files: the upload is over %d bytes", MaxUploadRequest)}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// readUpload reads a multipart/form-data body part by part, so nothing is
// held whole: a text part sets the boolean flag of its name (set), and
// every part with a file name is handed to add as it arrives. A body over
// MaxUploadRequest is a 413 naming "files"; a body without files, a 422
// ("files": required).
func readUpload(w http.ResponseWriter, r *http.Request, set func(name string, v bool), add func(name string, body io.Reader) error) error {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return errMediaType
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, MaxUploadRequest), params["boundary"])
	files := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if tooLarge(err) {
				return errUploadTooLarge
			}
			return fmt.Errorf("api: upload: %w: %w", kerr.ErrInvalid, err)
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, 16))
			if err != nil {
				return err
			}
			v, _ := strconv.ParseBool(string(b))
			set(part.FormName(), v)
			continue
		}
		if err := add(part.FileName(), part); err != nil {
			if tooLarge(err) {
				return errUploadTooLarge
			}
			return err
		}
		files++
	}
	if files == 0 {
		var ve validation.Error
		ve.Add("files", validation.CodeRequired, "")
		return ve.Err()
	}
	return nil
}

func (s *Server) attachment(r *http.Request) (*contactlog.Attachment, error) {
	id, err := PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.opts.Records.Attachments().Get(r.Context(), id)
}

func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) error {
	a, err := s.attachment(r)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, a.Version, a)
}

// downloadAttachment streams the file (or, with thumb=1, its thumbnail).
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	thumb, err := thumbParam(r)
	if err != nil {
		return err
	}
	rc, a, err := s.opts.Records.Attachments().Open(r.Context(), id, thumb)
	if err != nil {
		return err
	}
	defer rc.Close()
	SetFileHeaders(w.Header(), a, thumb, false)
	w.Header().Set("ETag", etag(a.Version))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.opts.Logger.Warn("api: download cut short", "attachment", a.ID, "err", err)
	}
	return nil
}

// thumbParam reads the "thumb" query parameter of a download.
func thumbParam(r *http.Request) (bool, error) {
	var ve validation.Error
	thumb := QueryBool(r.URL.Query(), "thumb", &ve)
	return thumb, ve.Err()
}

func (s *Server) patchAttachment(w http.ResponseWriter, r *http.Request) error {
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	var in AttachmentPatch
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.attachment(r)
	if err != nil {
		return err
	}
	m := a.AttachmentMeta
	if in.Name != nil {
		m.Name = *in.Name
	}
	if in.Important != nil {
		m.Important = *in.Important
	}
	if in.Shared != nil {
		m.Shared = *in.Shared
	}
	a, err = s.opts.Records.Attachments().Update(r.Context(), a.ID, version, m)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, a.Version, a)
}

func (s *Server) deleteAttachment(w http.ResponseWriter, r *http.Request) error {
	return deleteVersioned(w, r, s.opts.Records.Attachments().Delete)
}

// --- comments ---

// CommentList lists a record's comments, oldest first.
type CommentList struct {
	Comments []contactlog.Comment `json:"comments"`
}

// CommentRequest is a comment's text.
type CommentRequest struct {
	Body string `json:"body"`
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	cs, err := s.opts.Records.Comments().List(r.Context(), id)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []contactlog.Comment{}
	}
	return WriteJSON(w, http.StatusOK, CommentList{Comments: cs})
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in CommentRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.opts.Records.Comments().Add(r.Context(), id, in.Body)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusCreated, c.Version, c)
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	var in CommentRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.opts.Records.Comments().Edit(r.Context(), id, version, in.Body)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, c.Version, c)
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) error {
	return deleteVersioned(w, r, s.opts.Records.Comments().Delete)
}

// --- templates and masters ---

// TemplateList lists the templates of the tenant.
type TemplateList struct {
	Templates []template.Template `json:"templates"`
}

// MasterList is the items of one master.
type MasterList struct {
	Items []contactlog.MasterItem `json:"items"`
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	p, err := permission.RequireStaff(r.Context())
	if err != nil {
		return err
	}
	ts, err := s.opts.Templates.Templates(r.Context(), p.Tenant)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []template.Template{}
	}
	return WriteJSON(w, http.StatusOK, TemplateList{Templates: ts})
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	p, err := permission.RequireStaff(r.Context())
	if err != nil {
		return err
	}
	var ve validation.Error
	version := QueryInt(r.URL.Query(), "version", &ve)
	if err := ve.Err(); err != nil {
		return err
	}
	t, err := s.opts.Templates.Template(r.Context(), p.Tenant, r.PathValue("key"), version)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, t)
}

func masterKind(r *http.Request) (contactlog.MasterKind, error) {
	k := contactlog.MasterKind(r.PathValue("kind"))
	if !k.Valid() {
		return "", fmt.Errorf("api: master %q: %w", k, kerr.ErrNotFound)
	}
	return k, nil
}

func (s *Server) getMasters(w http.ResponseWriter, r *http.Request) error {
	k, err := masterKind(r)
	if err != nil {
		return err
	}
	items, err := s.opts.Records.Masters().List(r.Context(), k)
	if err != nil {
		return err
	}
	if items == nil {
		items = []contactlog.MasterItem{}
	}
	return WriteJSON(w, http.StatusOK, MasterList{Items: items})
}

func (s *Server) putMasters(w http.ResponseWriter, r *http.Request) error {
	k, err := masterKind(r)
	if err != nil {
		return err
	}
	var in MasterList
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.opts.Records.Masters().Set(r.Context(), k, in.Items); err != nil {
		return err
	}
	return s.getMasters(w, r)
}

// deleteVersioned deletes the {id} of the path at the If-Match version with
// del and answers 204.
func deleteVersioned(w http.ResponseWriter, r *http.Request, del func(context.Context, uuid.UUID, int64) error) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	if err := del(r.Context(), id, version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
