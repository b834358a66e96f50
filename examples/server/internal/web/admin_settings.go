package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/plugins"
)

// adminTimeZones are offered on the tenant form (any IANA name is accepted).
var adminTimeZones = []string{"Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "UTC",
	"America/Los_Angeles", "America/New_York", "Europe/London"}

type adminTenantPage struct {
	Form  *Form
	Zones []string
}

func (u *UI) adminTenant(w http.ResponseWriter, r *Request) error {
	t, err := u.app.Dir.Tenant(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	f := NewForm(nil)
	f.Values.Set("name", t.Name)
	f.Values.Set("time_zone", t.TimeZone)
	f.Values.Set("customer_visibility", string(t.CustomerVisibility))
	f.Values.Set("version", formatVersion(t.Version))
	u.render(w, r.Request, r, http.StatusOK, "admin_tenant", &adminTenantPage{Form: f, Zones: adminTimeZones})
	return nil
}

func (u *UI) adminTenantPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	// The tenant is always the admin's own, never one named by the form.
	_, err := u.app.Dir.UpdateTenant(r.Context(), permission.Tenant{ID: r.Principal.Tenant,
		Name: f.Get("name"), TimeZone: strings.TrimSpace(f.Get("time_zone")),
		CustomerVisibility: permission.CustomerVisibility(f.Get("customer_visibility")),
		Version:            formVersion(f.Get("version"))})
	if f.AddError(err, nil) {
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "admin_tenant",
			&adminTenantPage{Form: f, Zones: adminTimeZones})
		return nil
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/tenant", "common.saved")
	return nil
}

// adminMasterRow is a master item with its position on the form (1-based).
type adminMasterRow struct {
	contactlog.MasterItem
	Order int
}

type adminMastersPage struct {
	Kinds  []contactlog.MasterKind
	Kind   contactlog.MasterKind
	Items  []adminMasterRow
	Parent []contactlog.MasterItem // Category1 items, for Category2
	Form   *Form
}

func masterKind(s string) (contactlog.MasterKind, error) {
	if s == "" {
		return contactlog.MasterKinds()[0], nil
	}
	k := contactlog.MasterKind(s)
	if !k.Valid() {
		return "", kerr.ErrNotFound
	}
	return k, nil
}

func (u *UI) renderMasters(w http.ResponseWriter, r *Request, status int, kind contactlog.MasterKind,
	items []contactlog.MasterItem, f *Form) error {
	p := &adminMastersPage{Kinds: contactlog.MasterKinds(), Kind: kind, Form: f}
	for i, it := range items {
		p.Items = append(p.Items, adminMasterRow{MasterItem: it, Order: i + 1})
	}
	if kind == contactlog.MasterCategory2 {
		var err error
		if p.Parent, err = u.app.Records.Masters().List(r.Context(), contactlog.MasterCategory1); err != nil {
			return err
		}
	}
	u.render(w, r.Request, r, status, "admin_masters", p)
	return nil
}

func (u *UI) adminMasters(w http.ResponseWriter, r *Request) error {
	kind, err := masterKind(r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	items, err := u.app.Records.Masters().List(r.Context(), kind)
	if err != nil {
		return err
	}
	return u.renderMasters(w, r, http.StatusOK, kind, items, NewForm(nil))
}

// adminMastersPost saves one kind's items: "code", "label", "parent" and
// "order" are aligned lists, one entry per item; items are sorted by
// "order" (ties keep the form's order). "archived" lists archived codes, and
// "new_label", "new_parent" add an item at the end, its code generated.
func (u *UI) adminMastersPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	kind, err := masterKind(f.Get("kind"))
	if err != nil {
		return err
	}
	codes, labels, parents, orders := f.Values["code"], f.Values["label"], f.Values["parent"], f.Values["order"]
	if len(labels) != len(codes) || (len(parents) != 0 && len(parents) != len(codes)) ||
		(len(orders) != 0 && len(orders) != len(codes)) {
		return kerr.ErrInvalid
	}
	rows := make([]adminMasterRow, 0, len(codes))
	for i, code := range codes {
		row := adminMasterRow{MasterItem: contactlog.MasterItem{Code: code, Label: strings.TrimSpace(labels[i]),
			Archived: f.Has("archived", code)}, Order: i + 1}
		if len(parents) > 0 {
			row.Parent = parents[i]
		}
		if len(orders) > 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(orders[i])); err == nil {
				row.Order = n
			}
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b adminMasterRow) int { return cmp.Compare(a.Order, b.Order) })
	items := make([]contactlog.MasterItem, 0, len(codes)+1)
	for _, row := range rows {
		items = append(items, row.MasterItem)
	}
	if label := strings.TrimSpace(f.Get("new_label")); label != "" {
		items = append(items, contactlog.MasterItem{Code: freeKey(string(kind)+"_", len(codes)+1, codes), Label: label,
			Parent: f.Get("new_parent")})
	}
	err = u.app.Records.Masters().Set(r.Context(), kind, items)
	newItem := fmt.Sprintf("items[%d].", len(codes))
	if f.AddError(err, map[string]string{newItem + "label": "new_label",
		newItem + "parent": "new_parent"}) {
		return u.renderMasters(w, r, http.StatusUnprocessableEntity, kind, items[:len(codes)], f)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/masters?kind="+string(kind), "common.saved")
	return nil
}

// adminTemplate is a template as listed: Tenant tells the ones admins edit.
type adminTemplate struct {
	template.Template
	Tenant bool
}

type adminTemplatesPage struct {
	Templates []adminTemplate
	Form      *Form
	Problems  []string
}

func (u *UI) renderTemplates(w http.ResponseWriter, r *Request, status int, f *Form, problems []string) error {
	tpls, err := u.app.Templates.Templates(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	list := make([]adminTemplate, len(tpls))
	for i, t := range tpls {
		list[i] = adminTemplate{Template: t, Tenant: template.Namespace(t.Key) == "tenant"}
	}
	u.render(w, r.Request, r, status, "admin_templates", &adminTemplatesPage{Templates: list, Form: f,
		Problems: problems})
	return nil
}

// adminTemplates lists every template; ?edit=tenant:key fills the
// definition form with that tenant template's latest version.
func (u *UI) adminTemplates(w http.ResponseWriter, r *Request) error {
	f := NewForm(nil)
	f.Values.Set("version", "0")
	if key := r.URL.Query().Get("edit"); key != "" {
		if template.Namespace(key) != "tenant" {
			return kerr.ErrNotFound
		}
		t, err := u.app.Templates.Template(r.Context(), r.Principal.Tenant, key, 0)
		if err != nil {
			return err
		}
		def, err := t.DefinitionJSON()
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := json.Indent(&b, def, "", "  "); err != nil {
			return err
		}
		f.Values.Set("definition", b.String())
		f.Values.Set("version", fmt.Sprint(t.Version))
	}
	return u.renderTemplates(w, r, http.StatusOK, f, nil)
}

// adminTemplatesPost saves a tenant template from its JSON definition; the
// "version" field is the version the edit was based on (0 for a new one).
func (u *UI) adminTemplatesPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	var t template.Template
	dec := json.NewDecoder(strings.NewReader(f.Get("definition")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		f.Add("definition", msg.T("admin.templates.bad_json", err.Error()))
		f.Message = msg.T("common.form_errors")
		return u.renderTemplates(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	t.Version = int(formVersion(f.Get("version")))
	if template.Namespace(t.Key) != "tenant" {
		f.Add("definition", msg.T("admin.templates.tenant_only"))
		f.Message = msg.T("common.form_errors")
		return u.renderTemplates(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	saved, err := u.app.TemplateStore.Save(r.Context(), t)
	var ve *validation.Error
	if errors.As(err, &ve) {
		var problems []string
		for _, fe := range ve.Fields {
			problems = append(problems, fe.Field+": "+msg.Field(fe))
		}
		f.Message = msg.T("common.form_errors")
		return u.renderTemplates(w, r, http.StatusUnprocessableEntity, f, problems)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/templates?edit="+saved.Key, "common.saved")
	return nil
}

// adminPlugin is a plugin's status with its latencies in milliseconds,
// the executable it runs from and whether the admin's tenant installed it.
type adminPlugin struct {
	plugins.Status
	MeanMS, P95MS string
	Path          string
	Installed     bool
}

// adminPluginsPage is the plugins page: the host's plugins, where they
// come from, and the first-party ones that are not there.
type adminPluginsPage struct {
	Plugins []adminPlugin
	// Dir is the plugin directory searched at start; DirFound tells
	// whether it exists.
	Dir      string
	DirFound bool
	EnvDir   string
	// Missing are first-party plugins not among Plugins.
	Missing []string
	// Uninstalled are plugins the tenant installed that the host no
	// longer has.
	Uninstalled []string
}

func millis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

func (u *UI) adminPlugins(w http.ResponseWriter, r *Request) error {
	installed, err := u.app.Plugins.Installed(r.Context())
	if err != nil {
		return err
	}
	dir := u.app.Config.PluginDir
	fi, statErr := os.Stat(dir)
	p := &adminPluginsPage{Dir: dir, DirFound: statErr == nil && fi.IsDir(), EnvDir: app.EnvPluginDir}
	for _, s := range u.app.Plugins.Status() {
		p.Plugins = append(p.Plugins, adminPlugin{Status: s, MeanMS: millis(s.MeanLatency), P95MS: millis(s.P95Latency),
			Path: filepath.Join(dir, plugins.FilePrefix+s.Name), Installed: slices.Contains(installed, s.Name)})
	}
	has := func(name string) bool {
		return slices.ContainsFunc(p.Plugins, func(a adminPlugin) bool { return a.Name == name })
	}
	for _, name := range app.FirstPartyPlugins {
		if !has(name) {
			p.Missing = append(p.Missing, name)
		}
	}
	for _, name := range installed {
		if !has(name) {
			p.Uninstalled = append(p.Uninstalled, name)
		}
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_plugins", p)
	return nil
}

// adminPluginsInstall contributes the running plugin "name" (every running
// plugin when empty) — its masters and customer fields — to the admin's
// tenant and marks it installed.
func (u *UI) adminPluginsInstall(w http.ResponseWriter, r *Request) error {
	var names []string
	if name := r.PostFormValue("name"); name != "" {
		names = append(names, name)
	}
	if err := u.app.Plugins.Install(r.Context(), u.app.Records, u.app.Customers, names...); err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/plugins", "admin.plugins.installed")
	return nil
}

// adminPluginsUninstall uninstalls the plugin "name" from the admin's
// tenant (what it contributed stays readable; see plugins.Host.Uninstall).
func (u *UI) adminPluginsUninstall(w http.ResponseWriter, r *Request) error {
	name := r.PostFormValue("name")
	if name == "" {
		return kerr.ErrInvalid
	}
	if err := u.app.Plugins.Uninstall(r.Context(), u.app.Records, name); err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/plugins", "admin.plugins.uninstalled")
	return nil
}
