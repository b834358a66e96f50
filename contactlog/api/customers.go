package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// MaxImportSize caps a CSV import request.
const MaxImportSize = 30 << 20

// customerQueryParams documents the query of customer searches and exports.
var customerQueryParams = []Param{
	{Name: "q", In: "query", Type: "string", Description: "free word (name, reading, phone, …)"},
	{Name: "status", In: "query", Type: "string", Description: "prospect | existing"},
	{Name: "kind", In: "query", Type: "string", Description: "individual | company"},
	{Name: "gender", In: "query", Type: "string", Description: "gender code"},
	{Name: "rank", In: "query", Type: "string", Description: "rank code; repeat for several"},
	{Name: "assignee", In: "query", Type: "string", Description: "staff user ID in charge"},
	{Name: "list", In: "query", Type: "string", Description: "my list ID"},
	{Name: "birth_year_from", In: "query", Type: "integer", Description: "birth year, inclusive"},
	{Name: "birth_year_to", In: "query", Type: "integer", Description: "birth year, inclusive"},
	{Name: "deleted", In: "query", Type: "boolean", Description: "list the trash instead"},
	{Name: "sort", In: "query", Type: "string", Description: "kana | created | updated"},
	{Name: "desc", In: "query", Type: "boolean", Description: "descending order"},
	{Name: "limit", In: "query", Type: "integer", Description: "page size"},
	{Name: "after", In: "query", Type: "string", Description: "cursor: next of the previous page"},
	{Name: "total", In: "query", Type: "boolean", Description: "count the matches: exactly up to the engine's TotalCap, beyond it an estimate or a lower bound (total_kind)"},
	{Name: "exact_total", In: "query", Type: "boolean", Description: "count every match exactly, however many (implies total; reads every match)"},
}

// customerQuery reads a customer.Query from the URL; malformed numbers and
// IDs are field problems.
func customerQuery(v url.Values) (customer.Query, error) {
	var ve validation.Error
	q := customer.Query{
		Text:   v.Get("q"),
		Status: customer.Status(v.Get("status")),
		Kind:   customer.Kind(v.Get("kind")),
		Gender: customer.Gender(v.Get("gender")),
		Ranks:  v["rank"],
		Sort:   customer.Sort(v.Get("sort")),
		After:  v.Get("after"),
	}
	q.Assignee = queryUUID(v, "assignee", &ve)
	q.List = queryUUID(v, "list", &ve)
	q.BirthYearFrom = QueryInt(v, "birth_year_from", &ve)
	q.BirthYearTo = QueryInt(v, "birth_year_to", &ve)
	q.Limit = QueryInt(v, "limit", &ve)
	q.Deleted = QueryBool(v, "deleted", &ve)
	q.Desc = QueryBool(v, "desc", &ve)
	q.WithTotal = QueryBool(v, "total", &ve)
	q.ExactTotal = QueryBool(v, "exact_total", &ve)
	return q, ve.Err()
}

func queryUUID(v url.Values, name string, ve *validation.Error) uuid.UUID {
	s := v.Get(name)
	if s == "" {
		return uuid.Nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		ve.Add(name, validation.CodeInvalidUUID, "")
	}
	return id
}

// QueryInt reads the integer query parameter name of v: 0 when absent; a
// value that is not an integer adds a format problem for name to ve (so an
// Extra route answers 422 naming the parameter, as the built-in ones do).
func QueryInt(v url.Values, name string, ve *validation.Error) int {
	s := v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		ve.Add(name, validation.CodeFormat, "")
	}
	return n
}

// QueryBool reads the boolean query parameter name of v (strconv.ParseBool:
// true, false, 1, 0, …): false when absent; any other value adds a format
// problem for name to ve.
func QueryBool(v url.Values, name string, ve *validation.Error) bool {
	s := v.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		ve.Add(name, validation.CodeFormat, "")
	}
	return b
}

func (s *Server) searchCustomers(w http.ResponseWriter, r *http.Request) error {
	q, err := customerQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.opts.Customers.Search(r.Context(), q)
	if err != nil {
		return err
	}
	if page.Customers == nil {
		page.Customers = []customer.Customer{}
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.opts.Customers.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, c.Version, c)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var in customer.Profile
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.opts.Customers.Create(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.opts.Prefix+Version1+"/customers/"+c.ID.String())
	return WriteVersioned(w, http.StatusCreated, c.Version, c)
}

// customerPut is the body of updateCustomer: a customer as getCustomer
// returns it, its read-only fields ignored; Assignees is a pointer to tell
// an omitted list (unchanged) from an empty one (nobody in charge).
type customerPut struct {
	customer.Customer
	Assignees *[]uuid.UUID `json:"assignees"`
}

// updateCustomerDescription documents what updateCustomer accepts.
const updateCustomerDescription = "Replaces the customer's profile with the body. The body may be " +
	"the customer exactly as GET returned it: the read-only properties (id, version, created_at, …) " +
	"are accepted and ignored; the version changed is the one named by If-Match. An omitted " +
	"`assignees` keeps the staff in charge; an empty list removes them all (which needs the right " +
	"to reassign)."

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	var in customerPut
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p := in.Profile
	if in.Assignees != nil {
		p.Assignees = *in.Assignees
	} else {
		// Keep the stored assignees: a change between this read and the
		// update bumps the version, so the update then fails with 412.
		cur, err := s.opts.Customers.Get(r.Context(), id)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return fmt.Errorf("api: update customer: %w", kerr.ErrConflict)
		}
		p.Assignees = cur.Assignees
	}
	c, err := s.opts.Customers.Update(r.Context(), id, version, p)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, c.Version, c)
}

// deleteCustomer checks If-Match against the stored version first: the
// customer engine's Delete takes no version, so a change between the check
// and the delete is not noticed.
func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	version, err := IfMatch(r)
	if err != nil {
		return err
	}
	c, err := s.opts.Customers.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if c.Version != version {
		return fmt.Errorf("api: delete customer: %w", kerr.ErrConflict)
	}
	if err := s.opts.Customers.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// exportCustomers streams the customers matching the query as CSV.
func (s *Server) exportCustomers(w http.ResponseWriter, r *http.Request) error {
	q, err := customerQuery(r.URL.Query())
	if err != nil {
		return err
	}
	enc, charset, err := csvEncoding(r)
	if err != nil {
		return err
	}
	sw := &startWriter{w: w, start: func() {
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset="+charset)
		h.Set("Content-Disposition", `attachment; filename="customers.csv"`)
		w.WriteHeader(http.StatusOK)
	}}
	if _, err := s.opts.Customers.Export(r.Context(), sw, q, customer.ExportOptions{Encoding: enc}); err != nil {
		if sw.started {
			// The status is sent: all we can do is cut the stream short.
			s.opts.Logger.Error("api: export failed midway", "err", err)
			return nil
		}
		return err
	}
	if !sw.started {
		sw.start()
	}
	return nil
}

// csvEncoding reads the "encoding" query parameter of a CSV download and
// returns it with its charset name.
func csvEncoding(r *http.Request) (customer.Encoding, string, error) {
	enc := customer.Encoding(r.URL.Query().Get("encoding"))
	switch enc {
	case "", customer.UTF8BOM:
		return customer.UTF8BOM, "utf-8", nil
	case customer.ShiftJIS:
		return customer.ShiftJIS, "shift_jis", nil
	}
	var ve validation.Error
	ve.Add("encoding", validation.CodeUnknown, string(enc))
	return "", "", ve.Err()
}

// startWriter sends the response head before the first byte, so that an
// error before any output still becomes a problem response.
type startWriter struct {
	w       io.Writer
	start   func()
	started bool
}

func (s *startWriter) Write(b []byte) (int, error) {
	if !s.started {
		s.started = true
		s.start()
	}
	return s.w.Write(b)
}

// importCustomers reads a CSV file (the body as text/csv, or the multipart
// part "file") and returns the import report; a rejected all-or-nothing
// import is 422 with the report.
func (s *Server) importCustomers(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	var ve validation.Error
	opts := customer.ImportOptions{
		Mode:        customer.Mode(v.Get("mode")),
		OnDuplicate: customer.OnDuplicate(v.Get("on_duplicate")),
		DryRun:      QueryBool(v, "dry_run", &ve),
	}
	if err := ve.Err(); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, MaxImportSize)
	var src io.Reader
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/csv", "application/octet-stream", "text/plain":
		src = body
	case "multipart/form-data":
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				ve.Add("file", validation.CodeRequired, "")
				return ve.Err()
			}
			if err != nil {
				return fmt.Errorf("api: import: %w: %w", kerr.ErrInvalid, err)
			}
			if part.FormName() == "file" {
				src = part
				break
			}
		}
	default:
		return errMediaType
	}
	rep, err := s.opts.Customers.Import(r.Context(), src, opts)
	if rep != nil && rep.Errors == nil {
		rep.Errors = []customer.RowError{}
	}
	switch {
	case errors.Is(err, customer.ErrImportRejected) && rep != nil:
		return WriteJSON(w, http.StatusUnprocessableEntity, rep)
	case err != nil:
		return err
	}
	return WriteJSON(w, http.StatusOK, rep)
}

// importParams documents the import query.
var importParams = []Param{
	{Name: "dry_run", In: "query", Type: "boolean", Description: "check and report without writing"},
	{Name: "mode", In: "query", Type: "string", Description: "all_or_nothing (default) | valid_rows"},
	{Name: "on_duplicate", In: "query", Type: "string", Description: "skip (default) | update | create"},
}
