package api_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestReportPatternRoutes: a staff member saves, lists, changes and deletes
// their report-to patterns; problems name the field; someone else's
// pattern is not found. Every response matches the document.
func TestReportPatternRoutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := setup(t, db)
		res := e.call(e.staff, http.MethodPost, "/v1/report-patterns",
			contactlog.ReportPatternInput{Name: "管理者へ", Recipients: []uuid.UUID{e.admin}})
		require.Equal(t, http.StatusCreated, res.status, string(res.body))
		var p contactlog.ReportPattern
		res.decode(t, &p)
		require.Equal(t, prefix+"/v1/report-patterns/"+p.ID.String(), res.header.Get("Location"))
		require.Equal(t, []uuid.UUID{e.admin}, p.Recipients)

		res = e.call(e.staff, http.MethodPost, "/v1/report-patterns", contactlog.ReportPatternInput{Name: "管理者へ"})
		require.Equal(t, http.StatusUnprocessableEntity, res.status)
		fields := map[string]string{}
		for _, f := range res.problem(t).Errors {
			fields[f.Field] = f.Code
		}
		require.Equal(t, map[string]string{"name": "duplicate", "recipients": "required"}, fields)

		res = e.call(e.staff, http.MethodPut, "/v1/report-patterns/"+p.ID.String(),
			contactlog.ReportPatternInput{Name: "管理者と自分", Recipients: []uuid.UUID{e.admin, e.staff}})
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		var list api.ReportPatternList
		e.call(e.staff, http.MethodGet, "/v1/report-patterns", nil).decode(t, &list)
		require.Len(t, list.Patterns, 1)
		require.Equal(t, "管理者と自分", list.Patterns[0].Name)

		// The admin has none of their own and cannot touch the staff's.
		e.call(e.admin, http.MethodGet, "/v1/report-patterns", nil).decode(t, &list)
		require.Empty(t, list.Patterns)
		require.Equal(t, http.StatusNotFound, e.call(e.admin, http.MethodDelete, "/v1/report-patterns/"+p.ID.String(), nil).status)

		require.Equal(t, http.StatusNoContent, e.call(e.staff, http.MethodDelete, "/v1/report-patterns/"+p.ID.String(), nil).status)
		require.Equal(t, http.StatusNotFound, e.call(e.staff, http.MethodDelete, "/v1/report-patterns/"+p.ID.String(), nil).status)
	})
}
