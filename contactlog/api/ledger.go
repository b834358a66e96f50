package api

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// The customer ledger beyond CRUD: trash, assignees, my lists, the
// tenant's ranks, custom fields and settings, the import template and
// reading suggestions.

// AssigneesRequest is the staff in charge of a customer (担当者).
type AssigneesRequest struct {
	// Assignees replace the current ones; empty: nobody.
	Assignees []uuid.UUID `json:"assignees"`
}

// ReassignRequest moves every customer of one staff member to another
// (一括変更).
type ReassignRequest struct {
	From uuid.UUID `json:"from"`
	To   uuid.UUID `json:"to"`
}

// ReassignResult says how many customers a bulk reassignment changed.
type ReassignResult struct {
	Changed int `json:"changed"`
}

// AssignmentList is a customer's assignment history, oldest first.
type AssignmentList struct {
	Changes []customer.AssignmentChange `json:"changes"`
}

// ListRequest names a my list.
type ListRequest struct {
	Name string `json:"name"`
}

// ListMembers are customers added to a my list.
type ListMembers struct {
	Customers []uuid.UUID `json:"customers"`
}

// ListList is the principal's my lists.
type ListList struct {
	Lists []customer.List `json:"lists"`
}

// RankList is the tenant's customer ranks, in order.
type RankList struct {
	Ranks []customer.Rank `json:"ranks"`
}

// FieldList is the tenant's customer custom fields, in order.
type FieldList struct {
	Fields []customer.FieldDef `json:"fields"`
}

// KanaSuggestion is the suggested reading of a name; Found is false when
// there is none (no suggester configured, or no reading known).
type KanaSuggestion struct {
	customer.KanaReading
	Found bool `json:"found"`
}

// orEmpty returns s, or an empty slice for nil, so that lists encode as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// idAction serves a route whose only input is the {id} of its path and
// answers 204.
func idAction(do func(r *http.Request, id uuid.UUID) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id")
		if err != nil {
			return err
		}
		if err := do(r, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) restoreCustomer(w http.ResponseWriter, r *http.Request) error {
	return idAction(func(r *http.Request, id uuid.UUID) error { return s.opts.Customers.Restore(r.Context(), id) })(w, r)
}

func (s *Server) purgeCustomer(w http.ResponseWriter, r *http.Request) error {
	return idAction(func(r *http.Request, id uuid.UUID) error { return s.opts.Customers.Purge(r.Context(), id) })(w, r)
}

func (s *Server) setAssignees(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in AssigneesRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.opts.Customers.SetAssignees(r.Context(), id, in.Assignees); err != nil {
		return err
	}
	c, err := s.opts.Customers.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return WriteVersioned(w, http.StatusOK, c.Version, c)
}

func (s *Server) assignmentHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	cs, err := s.opts.Customers.AssignmentHistory(r.Context(), id)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, AssignmentList{Changes: orEmpty(cs)})
}

func (s *Server) reassign(w http.ResponseWriter, r *http.Request) error {
	var in ReassignRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var ve validation.Error
	for field, id := range map[string]uuid.UUID{"from": in.From, "to": in.To} {
		if id == uuid.Nil {
			ve.Add(field, validation.CodeRequired, "")
		}
	}
	if err := ve.Err(); err != nil {
		return err
	}
	n, err := s.opts.Customers.Reassign(r.Context(), in.From, in.To)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, ReassignResult{Changed: n})
}

func (s *Server) listLists(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.opts.Customers.Lists(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, ListList{Lists: orEmpty(ls)})
}

func (s *Server) createList(w http.ResponseWriter, r *http.Request) error {
	var in ListRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.opts.Customers.CreateList(r.Context(), in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.opts.Prefix+Version1+"/lists/"+l.ID.String())
	return WriteJSON(w, http.StatusCreated, l)
}

func (s *Server) renameList(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in ListRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.opts.Customers.RenameList(r.Context(), id, in.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteList(w http.ResponseWriter, r *http.Request) error {
	return idAction(func(r *http.Request, id uuid.UUID) error { return s.opts.Customers.DeleteList(r.Context(), id) })(w, r)
}

func (s *Server) addToList(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in ListMembers
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Customers) == 0 {
		var ve validation.Error
		ve.Add("customers", validation.CodeRequired, "")
		return ve.Err()
	}
	if err := s.opts.Customers.AddToList(r.Context(), id, in.Customers...); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeFromList(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := PathID(r, "customer")
	if err != nil {
		return err
	}
	if err := s.opts.Customers.RemoveFromList(r.Context(), id, c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getRanks(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.opts.Customers.Ranks(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, RankList{Ranks: orEmpty(rs)})
}

func (s *Server) putRanks(w http.ResponseWriter, r *http.Request) error {
	var in RankList
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.opts.Customers.SetRanks(r.Context(), in.Ranks); err != nil {
		return err
	}
	return s.getRanks(w, r)
}

func (s *Server) getFields(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.opts.Customers.Fields(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, FieldList{Fields: orEmpty(fs)})
}

// putField defines the field of the path's key; a key in the body must
// be the same.
func (s *Server) putField(w http.ResponseWriter, r *http.Request) error {
	var in customer.FieldDef
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	key := r.PathValue("key")
	if in.Key != "" && in.Key != key {
		var ve validation.Error
		ve.Add("key", validation.CodeNotAllowed, key)
		return ve.Err()
	}
	in.Key = key
	if err := s.opts.Customers.DefineField(r.Context(), in); err != nil {
		return err
	}
	return s.getFields(w, r)
}

func (s *Server) deleteField(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Customers.RemoveField(r.Context(), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getCustomerSettings(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.opts.Customers.TenantSettings(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, ts)
}

func (s *Server) putCustomerSettings(w http.ResponseWriter, r *http.Request) error {
	var in customer.TenantSettings
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.opts.Customers.SetTenantSettings(r.Context(), in); err != nil {
		return err
	}
	return s.getCustomerSettings(w, r)
}

func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request) error {
	enc, charset, err := csvEncoding(r)
	if err != nil {
		return err
	}
	sw := &startWriter{w: w, start: func() {
		w.Header().Set("Content-Type", "text/csv; charset="+charset)
		w.Header().Set("Content-Disposition", `attachment; filename="customers-template.csv"`)
		w.WriteHeader(http.StatusOK)
	}}
	if err := s.opts.Customers.WriteTemplate(r.Context(), sw, enc); err != nil {
		if sw.started {
			s.opts.Logger.Error("api: import template failed midway", "err", err)
			return nil
		}
		return err
	}
	if !sw.started {
		sw.start()
	}
	return nil
}

func (s *Server) suggestKana(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	reading, ok, err := s.opts.Customers.SuggestKana(r.Context(), v.Get("family_name"), v.Get("given_name"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, KanaSuggestion{KanaReading: reading, Found: ok})
}
