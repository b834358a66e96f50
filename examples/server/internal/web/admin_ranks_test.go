package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestAdminRanks: an admin reorders, relabels, removes and adds customer
// ranks; a bad new rank keeps what was typed and names the field.
func TestAdminRanks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		admin := e.Login(t, servertest.AdminEmail)
		res, body := admin.Get(t, "/admin/ranks")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="code" value="A"`)

		res, _ = admin.Post(t, "/admin/ranks", url.Values{
			"code": {"A", "B", "C"}, "label": {"A（重要）", "B", "C"}, "order": {"2", "1", "3"},
			"remove": {"C"}, "new_code": {"S"}, "new_label": {"最重要"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		ranks, err := e.App.Customers.Ranks(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		require.Equal(t, []customer.Rank{{Code: "B", Label: "B"}, {Code: "A", Label: "A(重要)"}, {Code: "S", Label: "最重要"}}, ranks)

		res, body = admin.Post(t, "/admin/ranks", url.Values{
			"code": {"B", "A", "S"}, "label": {"B", "A", "S"}, "order": {"1", "2", "3"},
			"new_code": {"B"}, "new_label": {"重複"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="new_code" value="B" maxlength="20" aria-invalid="true"`)
		require.Contains(t, body, `value="重複"`, "what the admin typed stays")
	})
}
