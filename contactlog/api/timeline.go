package api

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// A customer's history and where its contacts stand, a record's past
// entries, mailing a record, the trash and the bulk export of records.

// RecordList is a list of records, newest first.
type RecordList struct {
	Records []contactlog.Record `json:"records"`
}

// StatusList is the status of each customer asked for that has one.
type StatusList struct {
	Statuses map[string]contactlog.CustomerStatus `json:"statuses"`
}

// MailRequest mails a record to colleagues (メール送信).
type MailRequest struct {
	// To are the staff user IDs of the recipients.
	To []uuid.UUID `json:"to"`
	// Note is the sender's message above the record.
	Note string `json:"note,omitempty"`
}

// timelineParams documents the timeline's query.
var timelineParams = []Param{
	{Name: "id", In: "path", Type: "string", Required: true, Description: "customer UUID"},
	{Name: "month", In: "query", Type: "string", Description: "YYYY-MM: month mode (that month's records); absent: the newest 20"},
	{Name: "template", In: "query", Type: "string", Description: "template key: only its records"},
	{Name: "limit", In: "query", Type: "integer", Description: "page size"},
	{Name: "after", In: "query", Type: "string", Description: "cursor: next of the previous page"},
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	v := r.URL.Query()
	var ve validation.Error
	q := contactlog.TimelineQuery{Customer: id, Template: v.Get("template"), After: v.Get("after"),
		Limit: QueryInt(v, "limit", &ve)}
	if m := v.Get("month"); m != "" {
		// The engine takes the month in the tenant's zone from any instant
		// of it: the 15th at noon UTC is inside the month everywhere.
		t, err := time.Parse("2006-01", m)
		if err != nil {
			ve.Add("month", validation.CodeFormat, "")
		}
		q.Month = t.AddDate(0, 0, 14).Add(12 * time.Hour)
	}
	if err := ve.Err(); err != nil {
		return err
	}
	tl, err := s.opts.Records.Timeline(r.Context(), q)
	if err != nil {
		return err
	}
	tl.Records = orEmpty(tl.Records)
	tl.Months = orEmpty(tl.Months)
	tl.Templates = orEmpty(tl.Templates)
	return WriteJSON(w, http.StatusOK, tl)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var ve validation.Error
	limit := QueryInt(r.URL.Query(), "limit", &ve)
	if err := ve.Err(); err != nil {
		return err
	}
	rs, err := s.opts.Records.History(r.Context(), id, limit)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, RecordList{Records: orEmpty(rs)})
}

func (s *Server) customerStatuses(w http.ResponseWriter, r *http.Request) error {
	var ve validation.Error
	var ids []uuid.UUID
	for _, c := range r.URL.Query()["customer"] {
		id, err := uuid.Parse(c)
		if err != nil {
			ve.Add("customer", validation.CodeInvalidUUID, "")
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 && ve.Err() == nil {
		ve.Add("customer", validation.CodeRequired, "")
	}
	if err := ve.Err(); err != nil {
		return err
	}
	st, err := s.opts.Records.CustomerStatuses(r.Context(), ids)
	if err != nil {
		return err
	}
	out := StatusList{Statuses: make(map[string]contactlog.CustomerStatus, len(st))}
	for id, cs := range st {
		out.Statuses[id.String()] = cs
	}
	return WriteJSON(w, http.StatusOK, out)
}

func (s *Server) mailRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in MailRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.opts.Records.MailRecord(r.Context(), id, in.To, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Server) restoreRecord(w http.ResponseWriter, r *http.Request) error {
	return deleteVersioned(w, r, s.opts.Records.Restore)
}

func (s *Server) purgeRecord(w http.ResponseWriter, r *http.Request) error {
	return idAction(func(r *http.Request, id uuid.UUID) error { return s.opts.Records.Purge(r.Context(), id) })(w, r)
}

// exportRecords streams every record matching the query as one
// RecordList, written page by page as the engine reads them (the engine
// audits the bulk read). A failure after the first byte cuts the body
// short: the client then holds JSON that does not parse.
func (s *Server) exportRecords(w http.ResponseWriter, r *http.Request) error {
	q, err := recordQuery(r.URL.Query())
	if err != nil {
		return err
	}
	sw := &startWriter{w: w, start: func() {
		w.Header().Set("Content-Type", ctJSON)
		w.Header().Set("Content-Disposition", `attachment; filename="records.json"`)
		w.WriteHeader(http.StatusOK)
	}}
	sep := `{"records":[`
	if _, err := s.opts.Records.Export(r.Context(), q, func(rs []contactlog.Record) error {
		for i := range rs {
			b, err := json.Marshal(&rs[i])
			if err != nil {
				return err
			}
			if _, err := io.WriteString(sw, sep); err != nil {
				return err
			}
			if _, err := sw.Write(b); err != nil {
				return err
			}
			sep = ","
		}
		return nil
	}); err != nil {
		if sw.started {
			s.opts.Logger.Error("api: record export failed midway", "err", err)
			return nil
		}
		return err
	}
	if sep != "," {
		_, err = io.WriteString(sw, sep)
	}
	if err == nil {
		_, err = io.WriteString(sw, "]}\n")
	}
	if err != nil {
		s.opts.Logger.Error("api: record export failed midway", "err", err)
	}
	return nil
}
