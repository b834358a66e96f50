package web

import (
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"

	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
)

// Markup written in Go: the parts of pages that repeat once per row or
// option. html/template pays a reflective call for every action and one
// more for its escaper, so a row of the top page with its forms cost some
// thirty of each; written here, a row costs a few appends. The templates
// call these functions where they show the same parts (csrfField,
// portalMark, deleteButton), so each piece of markup has one source.

// markup builds HTML: raw appends trusted markup, text escaped text (for
// HTML text and quoted attribute values; html/template's escaping).
type markup struct{ strings.Builder }

func (m *markup) raw(ss ...string) {
	for _, s := range ss {
		m.WriteString(s)
	}
}

func (m *markup) text(s string) { m.WriteString(htmltemplate.HTMLEscapeString(s)) }

func (m *markup) html() htmltemplate.HTML { return htmltemplate.HTML(m.String()) }

// csrfField is the hidden field that carries the session's CSRF token.
func csrfField(token string) htmltemplate.HTML {
	var m markup
	m.writeCSRF(token)
	return m.html()
}

func (m *markup) writeCSRF(token string) {
	m.raw(`<input type="hidden" name="_csrf" value="`)
	m.text(token)
	m.raw(`">`)
}

// portalMark is a customer's portal mark (招待済み or アカウント登録済み),
// nothing without an account.
func portalMark(st portal.Status) htmltemplate.HTML {
	var m markup
	m.writePortalMark(st)
	return m.html()
}

func (m *markup) writePortalMark(st portal.Status) {
	if st == "" {
		return
	}
	key := "portal.registered"
	if st == portal.StatusInvited {
		key = "portal.status_invited"
	}
	m.raw(`<span class="badge portal-status">`)
	m.text(msg.T(key))
	m.raw(`</span>`)
}

// deleteButton is a delete that asks first, without script: the first tap
// unfolds the question, the second posts to action with the CSRF token and
// fields (hidden, by name) and confirm=1. Label names the button.
func deleteButton(action, csrf, label string, fields map[string]any) htmltemplate.HTML {
	var m markup
	m.writeDeleteButton(action, csrf, label, fields)
	return m.html()
}

func (m *markup) writeDeleteButton(action, csrf, label string, fields map[string]any) {
	m.raw(`<details class="confirm">`, "\n", `<summary class="button danger">`)
	m.text(label)
	m.raw(`</summary>`, "\n", `<form method="post" action="`)
	m.text(action)
	m.raw(`" class="confirm-box">`, "\n")
	m.writeCSRF(csrf)
	m.raw("\n")
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		m.raw(`<input type="hidden" name="`)
		m.text(k)
		m.raw(`" value="`)
		m.text(fmt.Sprint(fields[k]))
		m.raw(`">`)
	}
	m.raw("\n", `<input type="hidden" name="confirm" value="1">`, "\n", `<span>`)
	m.text(msg.T("common.confirm_delete"))
	m.raw(`</span>`, "\n", `<button class="danger" type="submit">`)
	m.text(msg.T("common.delete_confirmed"))
	m.raw(`</button>`, "\n", `</form>`, "\n", `</details>`)
}

// options are the <option>s of choices (the chosen one selected).
func options(choices []choice) htmltemplate.HTML {
	var m markup
	for _, c := range choices {
		m.raw(`<option value="`)
		m.text(c.Value)
		if c.Selected {
			m.raw(`" selected>`)
		} else {
			m.raw(`">`)
		}
		m.text(c.Label)
		m.raw(`</option>`)
	}
	return m.html()
}
