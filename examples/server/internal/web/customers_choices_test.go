package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestCustomerChoicesFragment: the inline search of the record form gets
// the candidate radios as a fragment — the chosen customer first, only
// customers the user may see, a problem named when nothing matches.
func TestCustomerChoicesFragment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		tn, err := e.App.Dir.Tenant(t.Context(), e.Tenant)
		require.NoError(t, err)
		tn.CustomerVisibility = permission.VisibilityAssigned // staff see their own customers only
		_, err = e.App.Dir.UpdateTenant(t.Context(), *tn)
		require.NoError(t, err)
		staff := e.User(t, "記録 担当", "キロク タントウ", "staff@example.jp")
		other := e.User(t, "別 担当", "ベツ タントウ", "other@example.jp")
		admin := e.Ctx(t, e.Admin)
		mine, err := e.App.Customers.Create(admin, customer.Profile{FamilyName: "坂井", GivenName: "一郎",
			FamilyKana: "サカイ", GivenKana: "イチロウ", Assignees: []uuid.UUID{staff}})
		require.NoError(t, err)
		hidden, err := e.App.Customers.Create(admin, customer.Profile{FamilyName: "坂井", GivenName: "次郎",
			FamilyKana: "サカイ", GivenKana: "ジロウ", Assignees: []uuid.UUID{other}})
		require.NoError(t, err)
		chosen, err := e.App.Customers.Create(admin, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ",
			Assignees: []uuid.UUID{staff}})
		require.NoError(t, err)
		c := login(t, e, "staff@example.jp")

		res, body := c.Get(t, "/customers/choices?"+url.Values{"customer_q": {"さかい"}, "customer_id": {chosen.ID.String()}}.Encode())
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotContains(t, body, "<html", "a fragment, not a page")
		require.Less(t, strings.Index(body, `value="`+chosen.ID.String()+`" checked`), strings.Index(body, `value="`+mine.ID.String()+`"`),
			"the chosen customer first, still chosen")
		require.Contains(t, body, `<label class="inline cand"><input type="radio" name="customer_id" value="`+mine.ID.String()+`">`)
		require.Contains(t, body, "（サカイ イチロウ）")
		require.NotContains(t, body, hidden.ID.String(), "a customer of another's is not offered")

		_, body = c.Get(t, "/customers/choices?customer_q="+url.QueryEscape("該当なし"))
		require.Contains(t, body, `<p class="field-error cand">`+msg.T("records.no_customer_found")+`</p>`)

		// The record form's box names the fragment; the script is served.
		_, body = c.Get(t, "/records/new")
		require.Contains(t, body, `name="customer_q" data-choices="/customers/choices"`)
		res, js := c.Get(t, "/static/record_form.js")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, js, "dataset.choices")

		anon := e.Client(t)
		res, _ = anon.Get(t, "/customers/choices?customer_q=a")
		require.NotEqual(t, http.StatusOK, res.StatusCode, "signed-in users only")
	})
}
