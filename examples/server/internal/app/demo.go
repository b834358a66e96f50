package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/gendata"
	"github.com/kirokuhq/kiroku/plugins"
)

// DemoResult is what LoadDemo did.
type DemoResult struct {
	// Loaded is false when the tenant already had customers (nothing done).
	Loaded bool
	// Password is the one password of every demo login (empty when not
	// loaded).
	Password string
	// Admin, Manager and Staff are sample logins of each role.
	Admin, Manager, Staff string
	// Users, Customers and Records count what was created.
	Users, Customers, Records int
	// Plugins are the first-party plugins installed in the tenant (those
	// running); Unavailable the ones not built into the plugin directory
	// or not running.
	Plugins, Unavailable []string
}

// FirstPartyPlugins are the verticals under plugins/ that the demo data
// set installs when they run (built as kiroku-plugin-<name> into the
// plugin directory).
var FirstPartyPlugins = []string{"careservice", "ramenshop"}

// LoadDemo loads the demo data set into tenant when it has no customers yet
// and prints the demo logins to out.
func (a *App) LoadDemo(ctx context.Context, tenant uuid.UUID, out io.Writer) error {
	res, err := a.Demo(ctx, tenant)
	if err != nil || !res.Loaded {
		return err
	}
	_, err = fmt.Fprintf(out, "デモデータを読み込みました（担当者 %d 名、顧客 %d 件、記録 %d 件）。\n"+
		"デモ用パスワード（全デモユーザー共通・この表示限り）: %s\n"+
		"  管理者:     %s\n  マネージャー: %s\n  スタッフ:   %s\n",
		res.Users, res.Customers, res.Records, res.Password, res.Admin, res.Manager, res.Staff)
	if err == nil && len(res.Plugins) > 0 {
		_, err = fmt.Fprintf(out, "プラグインを導入しました: %s\n", strings.Join(res.Plugins, "、"))
	}
	if err == nil && len(res.Unavailable) > 0 {
		_, err = fmt.Fprintf(out, "プラグインがビルドされていないため導入していません: %s（管理 → プラグイン に手順があります）\n",
			strings.Join(res.Unavailable, "、"))
	}
	return err
}

// Demo loads internal/gendata's Small data set into tenant through the
// engines, when the tenant has no customers yet (see LoadGendata).
func (a *App) Demo(ctx context.Context, tenant uuid.UUID) (*DemoResult, error) {
	return a.LoadGendata(ctx, tenant, gendata.Small(), 0, -1)
}

// LoadGendata loads tenant t of the gendata configuration cfg into tenant
// through the engines, when the tenant has no customers yet: the org tree
// (its root is the tenant's existing company unit), the staff (logins are
// their e-mail addresses, all with one random password generated here),
// the groups with their managers, the customers with their assignees, and
// the first maxRecords contact records (all when negative) written by
// their authors. Record times are moved forward by whole weeks so that the
// newest contacts are recent. Existing users, such as the bootstrap
// administrator, are left as they are. Customers and records are written
// in transactions of a hundred, concurrently on PostgreSQL.
func (a *App) LoadGendata(ctx context.Context, tenant uuid.UUID, cfg gendata.Config, t, maxRecords int) (*DemoResult, error) {
	var n int
	if err := a.DB.NewSelect().TableExpr("customers").ColumnExpr("count(*)").Where("tenant_id = ?", tenant).
		Scan(ctx, &n); err != nil {
		return nil, err
	}
	if n > 0 {
		return &DemoResult{}, nil
	}
	gen, err := gendata.New(cfg)
	if err != nil {
		return nil, err
	}
	if t < 0 || t >= gen.NumTenants() {
		return nil, fmt.Errorf("gendata has no tenant %d", t)
	}
	d := &demoLoader{a: a, gen: gen, t: t, tenant: tenant, maxRecords: maxRecords,
		res: &DemoResult{Loaded: true, Password: rand.Text()}}
	for _, step := range []func(context.Context) error{d.orgUnits, d.staff, d.groups, d.plugins, d.customers, d.records, d.analyze} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return d.res, nil
}

// plugins installs those of FirstPartyPlugins that are running in the
// tenant, as the demo administrator, before the customers are written (so
// the plugins' customer fields exist), and notes the others.
func (d *demoLoader) plugins(ctx context.Context) error {
	running := map[string]bool{}
	for _, s := range d.a.Plugins.Status() {
		running[s.Name] = s.State == plugins.StateRunning
	}
	for _, name := range FirstPartyPlugins {
		if running[name] {
			d.res.Plugins = append(d.res.Plugins, name)
		} else {
			d.res.Unavailable = append(d.res.Unavailable, name)
		}
	}
	if len(d.res.Plugins) == 0 {
		return nil
	}
	return d.a.Plugins.Install(permission.WithPrincipal(ctx, d.principals[0]), d.a.Records, d.a.Customers, d.res.Plugins...)
}

// analyze refreshes PostgreSQL's planner statistics of the tables just
// filled: until autovacuum gets to them the planner takes them for empty,
// and on the standard data set the top page's queries took 200 ms instead
// of 2 ms.
func (d *demoLoader) analyze(ctx context.Context) error {
	if d.a.DB.Dialect().Name() != dialect.PG {
		return nil
	}
	_, err := d.a.DB.ExecContext(ctx, "ANALYZE staff_users, org_memberships, group_members, customers, "+
		"customer_assignees, contact_records, contact_record_people, contact_record_scope, contact_record_assignees")
	return err
}

// demoLoader keeps the IDs of the loaded entities by gendata index.
type demoLoader struct {
	a          *App
	gen        *gendata.Generator
	t          int
	maxRecords int
	tenant     uuid.UUID
	res        *DemoResult

	units, staffIDs, groupIDs, customerIDs []uuid.UUID
	principals                             []permission.Principal
}

var demoUnitKinds = map[gendata.OrgUnitKind]permission.OrgUnitKind{
	gendata.OrgHeadOffice: permission.UnitCompany, gendata.OrgBranch: permission.UnitBranch,
	gendata.OrgDepartment: permission.UnitDepartment,
}

var demoRoles = map[gendata.Role]permission.Role{
	gendata.RoleAdmin: permission.RoleAdmin, gendata.RoleManager: permission.RoleManager,
	gendata.RoleStaff: permission.RoleStaff, gendata.RolePartner: permission.RolePartner,
}

// orgUnits maps gendata's root to the tenant's company unit and creates the
// branches and departments under it.
func (d *demoLoader) orgUnits(ctx context.Context) error {
	existing, err := d.a.Dir.OrgUnits(ctx, d.tenant)
	if err != nil {
		return err
	}
	root := slices.IndexFunc(existing, func(u permission.OrgUnit) bool { return u.Parent == nil })
	for _, ou := range d.gen.OrgUnits(d.t) {
		if ou.Parent < 0 && root >= 0 {
			d.units = append(d.units, existing[root].ID)
			continue
		}
		u := permission.OrgUnit{Tenant: d.tenant, Kind: demoUnitKinds[ou.Kind], Name: ou.Name, Position: ou.Index}
		if ou.Parent >= 0 {
			u.Parent = &d.units[ou.Parent]
		}
		created, err := d.a.Dir.CreateOrgUnit(ctx, u)
		if err != nil {
			return fmt.Errorf("org unit %s: %w", ou.Path, err)
		}
		d.units = append(d.units, created.ID)
	}
	return nil
}

// staff saves every staff member with a login (reusing a login left by an
// interrupted load) and the demo password.
func (d *demoLoader) staff(ctx context.Context) error {
	for s := range d.gen.AllStaff(d.t) {
		u := permission.User{Tenant: d.tenant, Name: s.Name, Kana: s.NameKana, Email: s.Email,
			Roles: []permission.Role{demoRoles[s.Role]}, Active: true}
		if tenant, id, err := d.a.Auth.UserByLogin(ctx, s.Email); err == nil && tenant == d.tenant {
			u.ID = id
		}
		saved, err := d.a.Dir.SaveUser(ctx, u)
		if err != nil {
			return fmt.Errorf("staff %s: %w", s.Email, err)
		}
		if err := d.a.Dir.SetUserOrgUnits(ctx, d.tenant, saved.ID, []uuid.UUID{d.units[s.OrgUnit]}); err != nil {
			return err
		}
		if err := d.a.Auth.SetLogin(ctx, d.tenant, saved.ID, s.Email); err != nil {
			return fmt.Errorf("login %s: %w", s.Email, err)
		}
		if err := d.a.Auth.SetPassword(ctx, saved.ID, d.res.Password); err != nil {
			return err
		}
		d.staffIDs = append(d.staffIDs, saved.ID)
		switch {
		case s.Role == gendata.RoleAdmin && d.res.Admin == "":
			d.res.Admin = s.Email
		case s.Role == gendata.RoleManager && d.res.Manager == "":
			d.res.Manager = s.Email
		case s.Role == gendata.RoleStaff && d.res.Staff == "":
			d.res.Staff = s.Email
		}
	}
	d.res.Users = len(d.staffIDs)
	return nil
}

// groups creates the groups with their managers and members, then builds
// every staff member's principal (which includes their groups).
func (d *demoLoader) groups(ctx context.Context) error {
	for _, gr := range d.gen.Groups(d.t) {
		g, err := d.a.Dir.CreateGroup(ctx, d.tenant, gr.Name)
		if err != nil {
			return fmt.Errorf("group %s: %w", gr.Name, err)
		}
		var ms []permission.Member
		for _, s := range gr.Managers {
			ms = append(ms, permission.Member{User: d.staffIDs[s], Manager: true})
		}
		for _, s := range gr.Members {
			ms = append(ms, permission.Member{User: d.staffIDs[s]})
		}
		if err := d.a.Dir.SetGroupMembers(ctx, d.tenant, g.ID, ms); err != nil {
			return err
		}
		d.groupIDs = append(d.groupIDs, g.ID)
	}
	for _, id := range d.staffIDs {
		p, err := d.a.Dir.Principal(ctx, d.tenant, id)
		if err != nil {
			return err
		}
		d.principals = append(d.principals, p)
	}
	return nil
}

// customers creates every customer as the demo administrator, with the
// assignees gendata gives it.
func (d *demoLoader) customers(ctx context.Context) error {
	admin := d.principals[0]
	total := d.gen.Tenant(d.t).Size.Customers
	d.customerIDs = make([]uuid.UUID, total)
	err := d.chunked(ctx, total, func(ctx context.Context, tx bun.Tx, from, to int) error {
		svc := d.a.Customers.WithDB(tx)
		for c := range d.gen.CustomerRange(d.t, from, to) {
			p := demoProfile(c)
			for _, s := range c.Assignees {
				p.Assignees = append(p.Assignees, d.staffIDs[s])
			}
			created, err := svc.Create(permission.WithPrincipal(ctx, admin), p)
			if err != nil {
				return fmt.Errorf("customer %d: %w", c.Index, err)
			}
			d.customerIDs[c.Index] = created.ID
		}
		return nil
	})
	if err == nil {
		d.res.Customers = total
	}
	return err
}

// chunked runs fn on [from, to) chunks of [0, total) of demoChunk each,
// every chunk in its own transaction, four at a time on PostgreSQL (SQLite
// has one writer). It stops at the first error. A chunk that fails with a
// conflict is run again (up to demoAttempts times in all): transactions
// that each write many records can deadlock on the record summary's rows
// (contactlog's package doc), and PostgreSQL then aborts one of them.
func (d *demoLoader) chunked(ctx context.Context, total int, fn func(ctx context.Context, tx bun.Tx, from, to int) error) error {
	workers := 1
	if d.a.DB.Dialect().Name() == dialect.PG {
		workers = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg  sync.WaitGroup
		sem = make(chan struct{}, workers)
	)
	for from := 0; from < total && ctx.Err() == nil; from += demoChunk {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var err error
			for range demoAttempts {
				err = d.a.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					return fn(ctx, tx, from, min(from+demoChunk, total))
				})
				if !errors.Is(err, contactlog.ErrConflict) {
					break
				}
			}
			if err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// demoProfile maps a gendata customer to the profile staff would enter.
func demoProfile(c gendata.Customer) customer.Profile {
	p := customer.Profile{Kind: customer.Kind(c.Kind), Status: customer.Status(c.Status),
		FamilyName: c.FamilyName, GivenName: c.GivenName, FamilyKana: c.FamilyKana, GivenKana: c.GivenKana,
		Department: c.Department, Email: c.Email, Mobile: c.Mobile, Phone: c.HomePhone,
		PostalCode: c.PostalCode, Address: c.Address(), ContactMethod: customer.ContactMethod(c.PreferredContact),
		DecisionMaker: c.DecisionMaker, Rank: string(c.Rank), Memo: c.Memo}
	if c.Gender == gendata.GenderMale || c.Gender == gendata.GenderFemale {
		p.Gender = customer.Gender(c.Gender)
	}
	if c.BirthYear != 0 {
		p.Birthday = &date.Date{Year: c.BirthYear, Month: time.Month(c.BirthMonth), Day: c.BirthDay}
	}
	if c.Kind == gendata.KindCompany {
		p.CompanyName, p.CompanyKana = c.Name, c.NameKana
	}
	return p
}

// records writes the records as their authors. A record whose author may
// not see or write about the customer (gendata's author is usually, not
// always, an assignee) is written by the demo administrator instead.
func (d *demoLoader) records(ctx context.Context) error {
	week := 7 * 24 * time.Hour
	shift := d.a.Clock().Sub(gendata.DefaultBase()) / week * week
	total := d.gen.Tenant(d.t).Size.Records
	if d.maxRecords >= 0 {
		total = min(total, d.maxRecords)
	}
	var n atomic.Int64
	err := d.chunked(ctx, total, func(ctx context.Context, tx bun.Tx, from, to int) error {
		svc := d.a.Records.WithDB(tx)
		for r := range d.gen.RecordRange(d.t, from, to) {
			e := d.entry(r, shift)
			_, err := svc.Create(permission.WithPrincipal(ctx, d.principals[r.AuthorIndex]), e)
			if hiddenCustomer(err) {
				e.Responders = nil
				_, err = svc.Create(permission.WithPrincipal(ctx, d.principals[0]), e)
			}
			if err != nil {
				return fmt.Errorf("record %d: %w", r.Index, err)
			}
		}
		n.Add(int64(to - from))
		return nil
	})
	d.res.Records = int(n.Load())
	return err
}

// demoChunk is the number of demo records written per transaction.
const demoChunk = 100

// demoAttempts is how many times a chunk is run before its conflict is
// reported.
const demoAttempts = 5

// entry maps a gendata record to the entry its author would write, its
// times moved forward by shift.
func (d *demoLoader) entry(g gendata.Record, shift time.Duration) contactlog.Entry {
	at := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.Add(shift)
	}
	e := contactlog.Entry{Template: "builtin:" + string(g.Template),
		PlannedAt: at(g.PlannedAt), ActualAt: at(g.ActualAt), Channel: string(g.Channel),
		Progress: string(g.Progress), SummaryText: g.Result, PublicMemo: g.PublicMemo, PrivateMemo: g.PrivateMemo,
		Important: g.Important, Shared: g.SharedWithCustomer && !g.Draft}
	if !g.Draft {
		e.Customer = d.customerIDs[g.CustomerIndex]
	}
	switch g.Template {
	case gendata.TemplateDaily:
		e.Values = map[string]any{"work_minutes": float64(g.WorkMinutes), "work_done": g.PublicMemo}
	case gendata.TemplateInquiry:
		channel := map[gendata.Channel]string{gendata.ChannelPhone: "電話", gendata.ChannelEmail: "メール",
			gendata.ChannelStore: "来店"}[g.Channel]
		if channel == "" {
			channel = "その他"
		}
		e.Values = map[string]any{"channel": channel, "content": g.PublicMemo, "answer": g.Result}
	case gendata.TemplateClaim:
		kind := "提案"
		if g.Important {
			kind = "クレーム"
		}
		e.Values = map[string]any{"kind": kind, "title": demoTitle(g), "content": g.PublicMemo}
	case gendata.TemplateSales:
		if g.Amount > 0 {
			e.Values = map[string]any{"expected_amount": float64(g.Amount)}
		}
	}
	v := g.Visibility
	switch v.Scope {
	case gendata.VisibleCompany:
		if !g.Draft {
			e.Scope.Kind = permission.ScopeCompany
		}
	case gendata.VisibleOrgUnit:
		e.Scope = permission.Scope{Kind: permission.ScopeOrgUnits, Targets: []uuid.UUID{d.units[v.OrgUnit]}}
	case gendata.VisibleGroup:
		e.Scope = permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{d.groupIDs[v.Group]}}
	case gendata.VisibleUsers:
		e.Scope.Kind = permission.ScopeUsers
		for _, u := range v.Users {
			if id := d.staffIDs[u]; !slices.Contains(e.Scope.Targets, id) {
				e.Scope.Targets = append(e.Scope.Targets, id)
			}
		}
	}
	return e
}

// demoTitle is a claim's subject: its result, or the start of its memo.
func demoTitle(g gendata.Record) string {
	if g.Result != "" {
		return g.Result
	}
	r := []rune(g.PublicMemo)
	return string(r[:min(len(r), 20)])
}

// hiddenCustomer tells whether Create refused a record because its author
// may not see the customer (unknown to them) or write about it.
func hiddenCustomer(err error) bool {
	var verr *contactlog.ValidationError
	return errors.Is(err, contactlog.ErrPermissionDenied) ||
		errors.As(err, &verr) && verr.Has("customer", "unknown")
}
