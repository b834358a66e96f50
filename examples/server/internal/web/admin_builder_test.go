package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var (
	builderControlRE = regexp.MustCompile(`(?s)<input [^>]*>|<select name="(\w+)"[^>]*>(.*?)</select>|<textarea name="(\w+)"[^>]*>(.*?)</textarea>`)
	attrRE           = regexp.MustCompile(`(\w+)="([^"]*)"`)
	selectedRE       = regexp.MustCompile(`<option value="([^"]*)" selected>`)
)

// builderForm reads the builder's form as a browser would submit it (no
// button pressed).
func builderForm(t *testing.T, body string) url.Values {
	t.Helper()
	start := strings.Index(body, `id="builder">`)
	require.GreaterOrEqual(t, start, 0, "the builder form")
	body = body[start:]
	body = body[:strings.Index(body, "</form>")]
	v := url.Values{}
	for _, m := range builderControlRE.FindAllStringSubmatch(body, -1) {
		switch {
		case m[1] != "":
			sel := selectedRE.FindStringSubmatch(m[2])
			require.NotNil(t, sel, "a selected option")
			v.Add(m[1], html.UnescapeString(sel[1]))
		case m[3] != "":
			v.Add(m[3], html.UnescapeString(m[4]))
		default:
			attrs := map[string]string{}
			for _, a := range attrRE.FindAllStringSubmatch(m[0], -1) {
				attrs[a[1]] = html.UnescapeString(a[2])
			}
			if attrs["type"] == "checkbox" && !strings.Contains(m[0], " checked") {
				continue
			}
			if attrs["name"] != "" {
				v.Add(attrs["name"], attrs["value"])
			}
		}
	}
	return v
}

// builderPost presses the button op with the form as shown, after edit.
func builderPost(t *testing.T, c *servertest.Client, body, op string, edit func(url.Values)) (*http.Response, string) {
	t.Helper()
	v := builderForm(t, body)
	if edit != nil {
		edit(v)
	}
	v.Set("op", op)
	return c.Post(t, "/admin/templates/build", v)
}

// The field builder: a copy of 面談記録, a select field added, typed,
// moved up, previewed, a refused save that names the field and keeps the
// draft, then saved and used on a record.
func TestTemplateBuilder(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)

		res, body := c.Get(t, "/admin/templates")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `/admin/templates/build?from=builtin%3Ainterview`)
		res, body = c.Get(t, "/admin/templates/build?from=builtin%3Ainterview")
		require.Equal(t, http.StatusOK, res.StatusCode)
		builtin, err := e.App.Templates.Template(t.Context(), e.Tenant, template.KeyInterview, 0)
		require.NoError(t, err)
		form := builderForm(t, body)
		require.Equal(t, msg.T("admin.builder.copy_name", builtin.Name), form.Get("name"))
		require.Len(t, form["key"], len(builtin.Fields), "every field of the copy")
		key := regexp.MustCompile(`<code>(tenant:[a-z0-9_]+)</code>`).FindStringSubmatch(body)
		require.NotNil(t, key, "a generated tenant key")

		// Add a field: a new row at the end with a generated key.
		res, body = builderPost(t, c, body, "add", func(v url.Values) { v.Set("name", "来店記録") })
		require.Equal(t, http.StatusOK, res.StatusCode)
		form = builderForm(t, body)
		n := len(form["key"])
		require.Equal(t, len(builtin.Fields)+1, n)
		require.Equal(t, "来店記録", form.Get("name"), "the draft is kept")
		newKey := form["key"][n-1]
		// Make it a required select; the options box appears on the next round.
		res, body = builderPost(t, c, body, "preview", func(v url.Values) {
			v["label"][n-1] = "来店のきっかけ"
			v["type"][n-1] = "select"
			v.Add("required", newKey)
		})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `id="preview"`)
		require.Contains(t, body, `<textarea name="options"`)
		// Move it up once.
		res, body = builderPost(t, c, body, "up:"+itoa(int64(n-1)), nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		form = builderForm(t, body)
		require.Equal(t, newKey, form["key"][n-2])
		require.Equal(t, "来店のきっかけ", form["label"][n-2])
		require.Equal(t, []string{newKey}, form["required"])

		// Saving a select without options is refused beside the field,
		// everything typed kept.
		res, body = builderPost(t, c, body, "save", nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, msg.T("admin.builder.part.options")+": ")
		require.Regexp(t, `(?s)id="field-`+itoa(int64(n-2))+`".*?class="field-error"`, body)
		form = builderForm(t, body)
		require.Equal(t, "来店記録", form.Get("name"))
		require.Equal(t, "来店のきっかけ", form["label"][n-2])

		// With options it saves as a tenant template.
		res, _ = builderPost(t, c, body, "save", func(v url.Values) { v["options"][n-2] = "チラシ\nご紹介\n通りがかり" })
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		saved, err := e.App.Templates.Template(t.Context(), e.Tenant, key[1], 0)
		require.NoError(t, err)
		require.Equal(t, "来店記録", saved.Name)
		require.Equal(t, 1, saved.Version)
		fd := saved.Fields[n-2]
		require.Equal(t, template.Field{Key: newKey, Label: "来店のきっかけ", Type: template.FieldSelect, Required: true,
			Options: []string{"チラシ", "ご紹介", "通りがかり"}}, fd)

		// Editing it again starts from the saved version; removing the
		// field makes version 2.
		res, body = c.Get(t, servertest.Location(res))
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, msg.T("admin.builder.saved"))
		res, body = builderPost(t, c, body, "remove:"+itoa(int64(n-2)), nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotContains(t, body, "来店のきっかけ")
		res, _ = builderPost(t, c, body, "save", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		saved, err = e.App.Templates.Template(t.Context(), e.Tenant, key[1], 0)
		require.NoError(t, err)
		require.Equal(t, 2, saved.Version)
		require.Len(t, saved.Fields, len(builtin.Fields))

		// The version 1 is usable by records (the record form offers it).
		v1, err := e.App.Templates.Template(t.Context(), e.Tenant, key[1], 1)
		require.NoError(t, err)
		require.Len(t, v1.Fields, len(builtin.Fields)+1)
		_, body = c.Get(t, "/records/new")
		require.Contains(t, body, `value="`+key[1]+`"`)
		_, err = e.App.Records.Create(e.Ctx(t, e.Admin), contactlog.Entry{Template: key[1], PublicMemo: "試し"})
		require.NoError(t, err)

		// Help text, unit and bounds: a bound that is not a number stays as
		// typed, named beside its row, and blocks the save; full-width and
		// grouped digits are numbers.
		res, body = c.Get(t, "/admin/templates/build?"+url.Values{"edit": {key[1]}}.Encode())
		require.Equal(t, http.StatusOK, res.StatusCode)
		res, body = builderPost(t, c, body, "add", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		form = builderForm(t, body)
		last := len(form["key"]) - 1
		countKey := form["key"][last]
		res, body = builderPost(t, c, body, "preview", func(v url.Values) {
			v["label"][last] = "来店人数"
			v["type"][last] = "integer"
		})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, between(t, body, `id="field-`+itoa(int64(last))+`"`, "</li>"), `name="unit"`)
		res, body = builderPost(t, c, body, "save", func(v url.Values) {
			v["help"][last] = "ご家族連れは全員を数えます"
			v["unit"][last] = "人"
			v["min"][last] = "１"
			v["max"][last] = "たくさん"
		})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		row := between(t, body, `id="field-`+itoa(int64(last))+`"`, "</li>")
		require.Contains(t, row, msg.T("admin.builder.part.max")+": ")
		form = builderForm(t, body)
		require.Equal(t, "たくさん", form["max"][last], "the typed bound is kept")
		require.Equal(t, "1", form["min"][last])
		require.Equal(t, "人", form["unit"][last])
		require.Equal(t, "ご家族連れは全員を数えます", form["help"][last])
		// The store's own rules come back beside the row too.
		res, body = builderPost(t, c, body, "save", func(v url.Values) { v["max"][last] = "0" })
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, between(t, body, `id="field-`+itoa(int64(last))+`"`, "</li>"), msg.T("admin.builder.part.min")+": ")
		res, _ = builderPost(t, c, body, "save", func(v url.Values) { v["max"][last] = "1,000" })
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		saved, err = e.App.Templates.Template(t.Context(), e.Tenant, key[1], 0)
		require.NoError(t, err)
		require.Equal(t, 3, saved.Version)
		require.Equal(t, template.Field{Key: countKey, Label: "来店人数", Type: template.FieldInteger, Help: "ご家族連れは全員を数えます",
			Unit: "人", Min: template.Limit(1), Max: template.Limit(1000)}, saved.Fields[last])

		// A forged draft outside the tenant namespace is refused.
		res, _ = c.Post(t, "/admin/templates/build", url.Values{"draft": {`{"key":"builtin:interview"}`}, "op": {"save"}})
		require.Equal(t, http.StatusBadRequest, res.StatusCode)
	})
}

// A copy of 利用・会計 shows that its lines field draws from the tenant
// catalog; unticking it saves a field of free product codes.
func TestTemplateBuilderTenantCatalog(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		res, body := c.Get(t, "/admin/templates/build?from=builtin%3Ausage")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, []string{"items"}, builderForm(t, body)["tenant_catalog"])
		key := regexp.MustCompile(`<code>(tenant:[a-z0-9_]+)</code>`).FindStringSubmatch(body)
		require.NotNil(t, key)

		res, _ = builderPost(t, c, body, "save", func(v url.Values) { v.Del("tenant_catalog") })
		require.Less(t, res.StatusCode, 400)
		saved, err := e.App.Templates.Template(t.Context(), e.Tenant, key[1], 0)
		require.NoError(t, err)
		items, _ := saved.Field("items")
		require.False(t, items.TenantCatalog)
	})
}

// The builder's preview draws the draft's fields with the record form's
// own partials: for every field type, a lines field included, the preview
// and a new record's form carry the same markup.
func TestBuilderPreviewIsTheRecordForm(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		c := e.Login(t, servertest.AdminEmail)
		_, body := c.Get(t, "/admin/templates/build?from=builtin%3Ausage")
		key := regexp.MustCompile(`<code>(tenant:[a-z0-9_]+)</code>`).FindStringSubmatch(body)
		require.NotNil(t, key, "a generated tenant key")
		types := []template.FieldType{template.FieldText, template.FieldLongText, template.FieldNumber, template.FieldInteger,
			template.FieldMoney, template.FieldDate, template.FieldDateTime, template.FieldDuration, template.FieldSelect,
			template.FieldMultiSelect, template.FieldBoolean, template.FieldStaff}
		for range types {
			_, body = builderPost(t, c, body, "add", nil)
		}
		first := len(builderForm(t, body)["key"]) - len(types)
		res, body := builderPost(t, c, body, "preview", func(v url.Values) {
			for i, ty := range types {
				j := first + i
				v["label"][j], v["type"][j], v["help"][j] = "欄・"+string(ty), string(ty), string(ty)+"の説明"
				if ty == template.FieldSelect || ty == template.FieldMultiSelect {
					v["options"][j] = "松\n竹\n梅"
				}
				if i%2 == 0 {
					v.Add("required", v["key"][j])
				}
			}
		})
		require.Equal(t, http.StatusOK, res.StatusCode)
		res, _ = builderPost(t, c, body, "save", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		saved, err := e.App.Templates.Template(t.Context(), e.Tenant, key[1], 0)
		require.NoError(t, err)

		_, body = c.Get(t, servertest.Location(res))
		res, body = builderPost(t, c, body, "preview", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		preview := between(t, body, `id="preview"`, "</section>")
		res, form := c.Get(t, "/records/new?"+url.Values{"template": {key[1]}}.Encode())
		require.Equal(t, http.StatusOK, res.StatusCode)
		form = between(t, form, `<form method="post" action="/records"`, "</form>")

		// A field's markup: the partial's top-level element (lines at its
		// indentation) that carries the field's name.
		top := regexp.MustCompile(`\n  <`)
		markup := func(page, key string) string {
			t.Helper()
			i := strings.Index(page, `name="f.`+key+`"`)
			if i < 0 {
				i = strings.Index(page, `name="ln.`+key+`.rows"`)
			}
			require.GreaterOrEqual(t, i, 0, "field %s shown", key)
			from, to := -1, len(page)
			for _, l := range top.FindAllStringIndex(page, -1) {
				if l[0] < i {
					from = l[0]
				} else {
					to = l[0]
					break
				}
			}
			require.GreaterOrEqual(t, from, 0)
			return page[from:to]
		}
		seen := map[template.FieldType]bool{}
		for _, fd := range saved.Fields {
			if slices.Contains(saved.Computed, fd.Key) {
				continue
			}
			seen[fd.Type] = true
			require.Equal(t, markup(form, fd.Key), markup(preview, fd.Key), "field %s (%s)", fd.Key, fd.Type)
		}
		for _, ty := range append(types, template.FieldLines) {
			require.True(t, seen[ty], "a %s field compared", ty)
		}
	})
}
