package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestAdminFields: an admin adds, edits, reorders and removes customer
// custom fields; a bad field keeps what was typed and names the field;
// removing asks first and erases the values; staff cannot reach the page.
func TestAdminFields(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		admin := e.Login(t, servertest.AdminEmail)
		fields := func() []customer.FieldDef {
			defs, err := e.App.Customers.Fields(e.Ctx(t, e.Admin))
			require.NoError(t, err)
			return defs
		}
		res, body := admin.Get(t, "/admin/fields")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "追加項目はまだありません")

		res, _ = admin.Post(t, "/admin/fields", url.Values{"new_key": {"care_level"}, "new_label": {"要介護度"},
			"new_type": {"select"}, "new_options": {"要支援1\n\n要介護1\r\n要介護2\n"}, "new_required": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = admin.Post(t, "/admin/fields", url.Values{"key": {"care_level"}, "label": {"要介護度"}, "type": {"select"},
			"options": {"要支援1\n要介護1\n要介護2"}, "order": {"1"}, "required": {"care_level"},
			"new_key": {"visits"}, "new_label": {"訪問回数"}, "new_type": {"integer"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, []customer.FieldDef{
			{Key: "care_level", Label: "要介護度", Type: customer.FieldSelect, Options: []string{"要支援1", "要介護1", "要介護2"}, Required: true, Position: 1},
			{Key: "visits", Label: "訪問回数", Type: customer.FieldInteger, Options: []string{}, Position: 2},
		}, fields())

		// Edit and reorder: visits first, care_level relabelled and optional.
		res, _ = admin.Post(t, "/admin/fields", url.Values{"key": {"care_level", "visits"}, "label": {"介護度", "訪問回数"},
			"type": {"select", "integer"}, "options": {"要支援1\n要介護1", ""}, "order": {"2", "1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, []customer.FieldDef{
			{Key: "visits", Label: "訪問回数", Type: customer.FieldInteger, Options: []string{}, Position: 1},
			{Key: "care_level", Label: "介護度", Type: customer.FieldSelect, Options: []string{"要支援1", "要介護1"}, Position: 2},
		}, fields())
		res, body = admin.Get(t, "/admin/fields")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `<option value="integer" selected>整数</option>`)

		// A bad edit saves nothing and names the row; what was typed stays.
		res, body = admin.Post(t, "/admin/fields", url.Values{"key": {"visits", "care_level"}, "label": {"訪問回数（月）", "介護度"},
			"type": {"integer", "select"}, "options": {"", ""}, "order": {"1", "2"}, "new_key": {"メモ"}, "new_label": {"メモ"}, "new_type": {"text"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="options" rows="3" aria-label="選択肢" aria-invalid="true"`)
		require.Contains(t, body, `value="訪問回数（月）"`)
		require.Contains(t, body, `name="new_key" value="メモ"`)
		require.Equal(t, "訪問回数", fields()[0].Label, "nothing was saved")
		// A new key that exists is refused instead of replacing the field.
		res, body = admin.Post(t, "/admin/fields", url.Values{"key": {"visits", "care_level"}, "label": {"訪問回数", "介護度"},
			"type": {"integer", "select"}, "options": {"", "要支援1"}, "order": {"1", "2"},
			"new_key": {"visits"}, "new_label": {"別の項目"}, "new_type": {"text"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="new_key" value="visits" maxlength="81" autocapitalize="off" aria-invalid="true"`)
		require.Len(t, fields(), 2)
		// Named only: the code is generated.
		res, _ = admin.Post(t, "/admin/fields", url.Values{"key": {"visits", "care_level"}, "label": {"訪問回数", "介護度"},
			"type": {"integer", "select"}, "options": {"", "要支援1\n要介護1"}, "order": {"1", "2"},
			"new_label": {"紹介者"}, "new_type": {"text"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, customer.FieldDef{Key: "field_3", Label: "紹介者", Type: customer.FieldText, Options: []string{}, Position: 3}, fields()[2])

		// Removing asks first, then erases the values.
		c, err := e.App.Customers.Create(e.Ctx(t, e.Admin), customer.Profile{FamilyName: "山田", GivenName: "花子",
			FamilyKana: "ヤマダ", GivenKana: "ハナコ", Custom: map[string]any{"visits": 3}})
		require.NoError(t, err)
		res, body = admin.Post(t, "/admin/fields/visits/delete", url.Values{})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, "追加項目「訪問回数」を削除し")
		require.Len(t, fields(), 3, "not before the confirmation")
		res, _ = admin.Post(t, "/admin/fields/visits/delete", url.Values{"confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Len(t, fields(), 2)
		got, err := e.App.Customers.Get(e.Ctx(t, e.Admin), c.ID)
		require.NoError(t, err)
		require.NotContains(t, got.Custom, "visits")
		res, _ = admin.Post(t, "/admin/fields/visits/delete", url.Values{"confirm": {"1"}})
		require.Equal(t, http.StatusNotFound, res.StatusCode)

		e.User(t, "担当 者", "タントウ シャ", "staff@example.com", permission.RoleStaff)
		staff := e.Login(t, "staff@example.com")
		res, _ = staff.Get(t, "/admin/fields")
		require.Equal(t, http.StatusForbidden, res.StatusCode)
	})
}
