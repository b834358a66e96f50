package api

import (
	"io"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/schedule"
)

// AlertList is a customer's alert definitions.
type AlertList struct {
	Alerts []schedule.Alert `json:"alerts"`
}

// DoneChange marks an alert occurrence done (完了 → 済) or not done again.
type DoneChange struct {
	Done bool `json:"done"`
}

// MemoChange replaces an alert occurrence's memo ("" clears it).
type MemoChange struct {
	Memo string `json:"memo"`
}

// NoticeList is a list of notices, newest first.
type NoticeList struct {
	Notices []schedule.Notice `json:"notices"`
}

// occurrenceParams are the filters of the occurrence list and its export.
var occurrenceParams = []capi.Param{
	{Name: "from", In: "query", Type: "string", Description: "first due day, 2006-01-02"},
	{Name: "to", In: "query", Type: "string", Description: "last due day, 2006-01-02"},
	{Name: "period", In: "query", Type: "string", Description: "last_week | this_week | next_week | last_month | this_month | next_month (tenant zone; replaces from and to)"},
	{Name: "status", In: "query", Type: "string", Description: "pending (未通知) | notified (通知済); none: all"},
	{Name: "done", In: "query", Type: "boolean", Description: "only done (true) or not done (false) ones; none: both"},
	{Name: "customer", In: "query", Type: "string", Description: "one customer's ID"},
	{Name: "assignee", In: "query", Type: "string", Description: "the customers this staff member is assigned to"},
	{Name: "newest", In: "query", Type: "boolean", Description: "latest due day first"},
}

// alertRoutes are the routes of recurring alerts, their occurrences and
// notices.
func alertRoutes(h *handlers) []capi.Route {
	const p = capi.Version1
	id := []capi.Param{{Name: "id", In: "path", Type: "string", Description: "ID", Required: true}}
	return []capi.Route{
		{ID: "createAlert", Summary: "Create a recurring alert and its occurrences", Tag: "alerts", Method: http.MethodPost,
			Path: p + "/alerts", Request: schedule.AlertInput{}, Response: schedule.Alert{}, Status: http.StatusCreated, ETag: true,
			Idempotent: true, Handler: h.createAlert},
		{ID: "getAlert", Summary: "Get a recurring alert", Tag: "alerts", Method: http.MethodGet, Path: p + "/alerts/{id}",
			Params: id, Response: schedule.Alert{}, Status: http.StatusOK, ETag: true, Handler: h.getAlert},
		{ID: "updateAlert", Summary: "Change a recurring alert (future occurrences not done are regenerated)", Tag: "alerts",
			Method: http.MethodPut, Path: p + "/alerts/{id}", Params: id, Request: schedule.AlertInput{}, Response: schedule.Alert{},
			Status: http.StatusOK, IfMatch: true, ETag: true, Handler: h.updateAlert},
		{ID: "deleteAlert", Summary: "Delete a recurring alert with its occurrences", Tag: "alerts", Method: http.MethodDelete,
			Path: p + "/alerts/{id}", Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: h.deleteAlert},
		{ID: "customerAlerts", Summary: "A customer's recurring alerts", Tag: "alerts", Method: http.MethodGet,
			Path: p + "/customers/{id}/alerts", Params: id, Response: AlertList{}, Status: http.StatusOK, Handler: h.customerAlerts},
		{ID: "listAlertOccurrences", Summary: "List alert occurrences by due day", Tag: "alerts", Method: http.MethodGet,
			Path: p + "/alert-occurrences", Params: append(append([]capi.Param(nil), occurrenceParams...),
				capi.Param{Name: "limit", In: "query", Type: "integer", Description: "page size (default 50)"},
				capi.Param{Name: "after", In: "query", Type: "string", Description: "the previous page's next"}),
			Response: schedule.OccurrencePage{}, Status: http.StatusOK, Handler: h.listOccurrences},
		{ID: "exportAlertOccurrences", Summary: "Export alert occurrences as CSV", Tag: "alerts", Method: http.MethodGet,
			Path: p + "/alert-occurrences/export", Params: append(append([]capi.Param(nil), occurrenceParams...),
				capi.Param{Name: "encoding", In: "query", Type: "string", Description: "utf-8-bom (default) | shift_jis"}),
			ResponseType: capi.MediaCSV, Status: http.StatusOK, Handler: h.exportOccurrences},
		{ID: "getAlertOccurrence", Summary: "Get an alert occurrence", Tag: "alerts", Method: http.MethodGet,
			Path: p + "/alert-occurrences/{id}", Params: id, Response: schedule.Occurrence{}, Status: http.StatusOK, ETag: true,
			Handler: h.getOccurrence},
		{ID: "setAlertOccurrenceDone", Summary: "Mark an alert occurrence done or not done", Tag: "alerts", Method: http.MethodPut,
			Path: p + "/alert-occurrences/{id}/done", Params: id, Request: DoneChange{}, Response: schedule.Occurrence{},
			Status: http.StatusOK, IfMatch: true, ETag: true, Handler: h.setDone},
		{ID: "setAlertOccurrenceMemo", Summary: "Replace an alert occurrence's memo", Tag: "alerts", Method: http.MethodPut,
			Path: p + "/alert-occurrences/{id}/memo", Params: id, Request: MemoChange{}, Response: schedule.Occurrence{},
			Status: http.StatusOK, IfMatch: true, ETag: true, Handler: h.setMemo},
		{ID: "createNotice", Summary: "Post a notice", Tag: "notices", Method: http.MethodPost, Path: p + "/notices",
			Request: schedule.NoticeInput{}, Response: schedule.Notice{}, Status: http.StatusCreated, ETag: true, Idempotent: true,
			Handler: h.createNotice},
		{ID: "topNotices", Summary: "The notices shown to the principal today", Tag: "notices", Method: http.MethodGet,
			Path: p + "/notices", Response: NoticeList{}, Status: http.StatusOK, Handler: h.topNotices},
		{ID: "managedNotices", Summary: "The notices the principal may edit", Tag: "notices", Method: http.MethodGet,
			Path: p + "/notices/managed", Response: NoticeList{}, Status: http.StatusOK, Handler: h.managedNotices},
		{ID: "updateNotice", Summary: "Change a notice", Tag: "notices", Method: http.MethodPut, Path: p + "/notices/{id}",
			Params: id, Request: schedule.NoticeInput{}, Response: schedule.Notice{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, Handler: h.updateNotice},
		{ID: "deleteNotice", Summary: "Delete a notice", Tag: "notices", Method: http.MethodDelete, Path: p + "/notices/{id}",
			Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: h.deleteNotice},
	}
}

func (h *handlers) createAlert(w http.ResponseWriter, r *http.Request) error {
	var in schedule.AlertInput
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := h.svc.CreateAlert(r.Context(), in)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusCreated, a.Version, a)
}

func (h *handlers) getAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.Alert(r.Context(), id)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusOK, a.Version, a)
}

func (h *handlers) updateAlert(w http.ResponseWriter, r *http.Request) error {
	var in schedule.AlertInput
	id, version, err := target(w, r, &in)
	if err != nil {
		return err
	}
	a, err := h.svc.UpdateAlert(r.Context(), id, version, in)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusOK, a.Version, a)
}

func (h *handlers) deleteAlert(w http.ResponseWriter, r *http.Request) error {
	id, version, err := target(w, r, nil)
	if err != nil {
		return err
	}
	return noContent(w, h.svc.DeleteAlert(r.Context(), id, version))
}

func (h *handlers) customerAlerts(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	as, err := h.svc.CustomerAlerts(r.Context(), id)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, AlertList{Alerts: nonNil(as)})
}

// occurrenceQuery reads occurrenceParams (and limit and after) from v;
// malformed values are reported naming the parameter.
func occurrenceQuery(v url.Values) (schedule.OccurrenceQuery, error) {
	var ve validation.Error
	q := schedule.OccurrenceQuery{Period: schedule.Period(v.Get("period")), Status: schedule.Status(v.Get("status")),
		Newest: capi.QueryBool(v, "newest", &ve), Limit: capi.QueryInt(v, "limit", &ve), After: v.Get("after")}
	for _, f := range []struct {
		name string
		d    *schedule.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(f.name); s != "" {
			if err := f.d.UnmarshalText([]byte(s)); err != nil {
				ve.Add(f.name, validation.CodeBadDate, "")
			}
		}
	}
	if v.Has("done") {
		done := capi.QueryBool(v, "done", &ve)
		q.Done = &done
	}
	for _, f := range []struct {
		name string
		id   *uuid.UUID
	}{{"customer", &q.Customer}, {"assignee", &q.Assignee}} {
		if s := v.Get(f.name); s != "" {
			u, err := uuid.Parse(s)
			if err != nil {
				ve.Add(f.name, validation.CodeInvalidUUID, "")
			}
			*f.id = u
		}
	}
	return q, ve.Err()
}

func (h *handlers) listOccurrences(w http.ResponseWriter, r *http.Request) error {
	q, err := occurrenceQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := h.svc.Occurrences(r.Context(), q)
	if err != nil {
		return err
	}
	page.Occurrences = nonNil(page.Occurrences)
	return capi.WriteJSON(w, http.StatusOK, page)
}

func (h *handlers) exportOccurrences(w http.ResponseWriter, r *http.Request) error {
	q, err := occurrenceQuery(r.URL.Query())
	if err != nil {
		return err
	}
	return capi.WriteCSV(w, r, "alerts.csv", func(out io.Writer, enc customer.Encoding) error {
		_, err := h.svc.ExportOccurrences(r.Context(), out, q, enc)
		return err
	})
}

func (h *handlers) getOccurrence(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	o, err := h.svc.Occurrence(r.Context(), id)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusOK, o.Version, o)
}

func (h *handlers) setDone(w http.ResponseWriter, r *http.Request) error {
	var in DoneChange
	id, version, err := target(w, r, &in)
	if err != nil {
		return err
	}
	o, err := h.svc.SetDone(r.Context(), id, version, in.Done)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusOK, o.Version, o)
}

func (h *handlers) setMemo(w http.ResponseWriter, r *http.Request) error {
	var in MemoChange
	id, version, err := target(w, r, &in)
	if err != nil {
		return err
	}
	o, err := h.svc.SetMemo(r.Context(), id, version, in.Memo)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusOK, o.Version, o)
}

func (h *handlers) createNotice(w http.ResponseWriter, r *http.Request) error {
	var in schedule.NoticeInput
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	n, err := h.svc.CreateNotice(r.Context(), in)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusCreated, n.Version, n)
}

func (h *handlers) topNotices(w http.ResponseWriter, r *http.Request) error {
	ns, err := h.svc.TopNotices(r.Context())
	return writeNotices(w, ns, err)
}

func (h *handlers) managedNotices(w http.ResponseWriter, r *http.Request) error {
	ns, err := h.svc.ManagedNotices(r.Context())
	return writeNotices(w, ns, err)
}

func (h *handlers) updateNotice(w http.ResponseWriter, r *http.Request) error {
	var in schedule.NoticeInput
	id, version, err := target(w, r, &in)
	if err != nil {
		return err
	}
	n, err := h.svc.UpdateNotice(r.Context(), id, version, in)
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, http.StatusOK, n.Version, n)
}

func (h *handlers) deleteNotice(w http.ResponseWriter, r *http.Request) error {
	id, version, err := target(w, r, nil)
	if err != nil {
		return err
	}
	return noContent(w, h.svc.DeleteNotice(r.Context(), id, version))
}

// writeNotices answers a notice list, or passes on the error of the call
// that made it.
func writeNotices(w http.ResponseWriter, ns []schedule.Notice, err error) error {
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, NoticeList{Notices: nonNil(ns)})
}
