package api

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
)

// ReportPatternList is the principal's saved report-to patterns, by name.
type ReportPatternList struct {
	Patterns []contactlog.ReportPattern `json:"patterns"`
}

func (s *Server) listReportPatterns(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.opts.Records.ReportPatterns().List(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, ReportPatternList{Patterns: ps})
}

func (s *Server) createReportPattern(w http.ResponseWriter, r *http.Request) error {
	var in contactlog.ReportPatternInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.opts.Records.ReportPatterns().Create(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.opts.Prefix+Version1+"/report-patterns/"+p.ID.String())
	return WriteJSON(w, http.StatusCreated, p)
}

func (s *Server) updateReportPattern(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "id")
	if err != nil {
		return err
	}
	var in contactlog.ReportPatternInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.opts.Records.ReportPatterns().Update(r.Context(), id, in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, p)
}

func (s *Server) deleteReportPattern(w http.ResponseWriter, r *http.Request) error {
	return idAction(func(r *http.Request, id uuid.UUID) error {
		return s.opts.Records.ReportPatterns().Delete(r.Context(), id)
	})(w, r)
}
