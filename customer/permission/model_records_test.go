package permission_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// Contact records of the model-based test: written, changed, deleted and
// restored through contactlog.Service by principals the directory builds.
// Every write is compared with the oracle's expected outcome before the
// model takes it over, and what the service stored with what the model
// holds.

var scopeKinds = []permission.ScopeKind{permission.ScopeCompany, permission.ScopeOrgUnits, permission.ScopeGroups, permission.ScopeUsers}

// staff returns the actor of a staff user, with the principal the
// directory builds for them now.
func (h *harness) staff(m *mTenant, u *mUser) actor {
	p, err := h.dir.Principal(h.ctx, m.id, u.id)
	require.NoError(h.t, err)
	return actor{label: u.label, p: p, tenant: m, user: u}
}

// portal returns a portal account of customer c, signed in to tenant m.
func (h *harness) portal(m *mTenant, c *mCustomer) actor {
	p := permission.Principal{Tenant: m.id, User: h.newID(), Kind: permission.Customer, Customer: c.id}
	return actor{label: "portal of " + c.label, p: p, tenant: m, customer: c.id}
}

// outsider returns the admin of the tenant that has nothing else.
func (h *harness) outsider() actor {
	m := h.w.tenants[len(h.w.tenants)-1]
	return h.staff(m, m.users[0])
}

func (h *harness) generateRecords(m *mTenant) {
	for j := range h.between(40, 70) {
		safe := j < 3
		u := m.users[h.rng.IntN(len(m.users))]
		for safe && isPartner(actor{user: u}) {
			u = m.users[h.rng.IntN(len(m.users))]
		}
		a := h.staff(m, u)
		r, zeroScope := h.drawRecord(a, m, safe)
		if safe {
			// Empty target lists of every kind, deterministically.
			r.kind, r.targets, zeroScope = scopeKinds[j+1], nil, false
		}
		r.label = fmt.Sprintf("%s/r%d", m.label, j)
		h.create(a, m, r, zeroScope)
	}
	h.refusedCreates(m)
}

// drawRecord draws what a writes in m: a template (some 30% the
// confidential 商談), a customer (mostly one a sees, sometimes any of the
// tenant's, sometimes none: a draft), people, a scope (with up to three
// targets, or left to its default), the shared flag, and now and then a
// scope target of another tenant or a departed colleague. With safe, the
// record is one a may write.
func (h *harness) drawRecord(a actor, m *mTenant, safe bool) (r *mRecord, zeroScope bool) {
	r = &mRecord{tenant: m.id, template: template.KeyInterview}
	if a.user != nil {
		r.author = a.user.id
	}
	if h.chance(0.3) && !(safe && isPartner(a)) {
		r.template, r.confidential = template.KeySales, true
	}
	switch x := h.rng.Float64(); {
	case x < 0.15:
	case x < 0.85 || safe:
		r.customer = h.drawCustomer(a, m, 0)
	default:
		r.customer = h.drawCustomer(a, m, 1)
	}
	r.responders, r.participants, r.reportTo = h.drawPeople(m)
	if h.chance(0.1) {
		zeroScope = true
	} else {
		r.kind, r.targets = h.drawScope(m)
	}
	r.shared = h.chance(0.4)
	if r.customer == uuid.Nil {
		r.shared = !safe && h.chance(0.05)
	}
	if !safe && h.chance(0.03) {
		r.kind, r.targets, zeroScope = permission.ScopeGroups, []uuid.UUID{h.otherTenant(m).groups[0].id}, false
	}
	if !safe && h.chance(0.03) {
		r.participants = append(r.participants, m.inactive)
	}
	return r, zeroScope
}

// otherTenant returns the generated tenant after m (the first after the
// last; never the outsider, which has no groups).
func (h *harness) otherTenant(m *mTenant) *mTenant {
	return h.w.tenants[(slices.Index(h.w.tenants, m)+1)%(len(h.w.tenants)-1)]
}

// drawCustomer returns, with probability anyOf, any customer of m, and
// otherwise one a sees (any when a sees none).
func (h *harness) drawCustomer(a actor, m *mTenant, anyOf float64) uuid.UUID {
	cs := m.customers
	if !h.chance(anyOf) {
		if seen := slices.DeleteFunc(slices.Clone(cs), func(c *mCustomer) bool { return !h.w.seesCustomer(a, c) }); len(seen) > 0 {
			cs = seen
		}
	}
	return cs[h.rng.IntN(len(cs))].id
}

// drawPeople draws up to two responders and participants each and a
// report-to recipient from m's staff.
func (h *harness) drawPeople(m *mTenant) (responders, participants, reportTo []uuid.UUID) {
	users := h.userIDs(m)
	return pick(h.rng, users, h.rng.IntN(3)), pick(h.rng, users, h.rng.IntN(3)), pick(h.rng, users, h.rng.IntN(2))
}

// drawScope draws a scope kind of m with up to three targets.
func (h *harness) drawScope(m *mTenant) (permission.ScopeKind, []uuid.UUID) {
	kind := scopeKinds[h.rng.IntN(len(scopeKinds))]
	n := h.rng.IntN(4)
	switch kind {
	case permission.ScopeOrgUnits:
		return kind, pick(h.rng, m.units, n)
	case permission.ScopeGroups:
		ids := make([]uuid.UUID, len(m.groups))
		for i, g := range m.groups {
			ids[i] = g.id
		}
		return kind, pick(h.rng, ids, n)
	case permission.ScopeUsers:
		return kind, pick(h.rng, h.userIDs(m), n)
	}
	return kind, nil
}

// defaultScope gives r the scope an entry without one gets: the whole
// company for a record with a customer, nobody else for a draft.
func defaultScope(r *mRecord) {
	r.kind, r.targets = permission.ScopeCompany, nil
	if r.customer == uuid.Nil {
		r.kind = permission.ScopeUsers
	}
}

// refusedCreates has m's people try writes the specification refuses, so
// that every kind of refusal occurs whatever the seed: a partner's 商談, a
// partner's record for a customer not theirs, a shared draft, a portal
// account writing, the outsider writing for m's customer with m's staff,
// a scope target of another tenant, a departed colleague among the
// participants.
func (h *harness) refusedCreates(m *mTenant) {
	partner := h.staff(m, m.users[2])
	var mine, others []uuid.UUID
	for _, c := range m.customers {
		if slices.Contains(c.assignees, partner.user.id) {
			mine = append(mine, c.id)
		} else {
			others = append(others, c.id)
		}
	}
	colleague, other := m.users[1], h.otherTenant(m)
	attempts := []struct {
		a actor
		f func(r *mRecord)
	}{
		{partner, func(r *mRecord) {
			r.template, r.confidential, r.customer = template.KeySales, true, uuid.Nil
			if len(mine) > 0 {
				r.customer = mine[0]
			}
		}},
		{partner, func(r *mRecord) {
			if len(others) > 0 {
				r.customer = others[0]
			}
		}},
		{h.staff(m, colleague), func(r *mRecord) { r.customer, r.shared = uuid.Nil, true }},
		{h.portal(m, m.customers[0]), func(r *mRecord) { r.customer = m.customers[0].id }},
		{h.outsider(), func(r *mRecord) { r.responders = []uuid.UUID{colleague.id} }},
		{h.staff(m, colleague), func(r *mRecord) {
			r.kind, r.targets = permission.ScopeGroups, []uuid.UUID{m.groups[0].id, other.groups[0].id}
		}},
		{h.staff(m, colleague), func(r *mRecord) { r.participants = []uuid.UUID{m.inactive} }},
	}
	for i, at := range attempts {
		r := &mRecord{tenant: at.a.tenant.id, template: template.KeyInterview, kind: permission.ScopeCompany, label: fmt.Sprintf("%s/refused%d", m.label, i)}
		r.customer = m.customers[h.rng.IntN(len(m.customers))].id
		if at.a.user != nil {
			r.author = at.a.user.id
		}
		at.f(r)
		h.create(at.a, m, r, false)
	}
}

// entry returns the entry of r as a writer fills it in, the scope left to
// its default with zeroScope.
func entry(base contactlog.Entry, r *mRecord, zeroScope bool) contactlog.Entry {
	e := base
	e.Template, e.Customer, e.Shared = r.template, r.customer, r.shared
	e.Responders, e.Participants, e.ReportTo = slices.Clone(r.responders), slices.Clone(r.participants), slices.Clone(r.reportTo)
	e.Scope = permission.Scope{Kind: r.kind, Targets: slices.Clone(r.targets)}
	if zeroScope {
		e.Scope = permission.Scope{}
	}
	return e
}

// create has a write r in m (the scope left to its default with
// zeroScope), compares the outcome with the oracle's and, when the record
// is written, what was stored with the model, and adds r to the model.
func (h *harness) create(a actor, m *mTenant, r *mRecord, zeroScope bool) {
	r.memo = "面談の記録 " + r.label + " " + kanaNames[h.rng.IntN(len(kanaNames))]
	if !isPartner(a) {
		r.private = "非公開 " + r.label
	}
	e := entry(contactlog.Entry{PublicMemo: r.memo, PrivateMemo: r.private}, r, zeroScope)
	if zeroScope {
		defaultScope(r)
	}
	if len(r.responders) == 0 && a.user != nil {
		r.responders = []uuid.UUID{a.user.id} // the author responds by default
	}
	want := h.w.createRecord(a, r)
	got, err := h.records.Create(permission.WithPrincipal(h.ctx, a.p), e)
	h.countOutcome("Create", want)
	require.Truef(h.t, want.matches(err), "Create as %s of %s: want %s, got %v", h.describeActor(a), h.describeRecord(r), want, err)
	if err != nil {
		return
	}
	r.id, r.version, r.entry = got.ID, 1, got.Entry
	h.w.labels[r.id] = r.label
	require.Empty(h.t, h.storedDiff(r, got, a), "Create as %s of %s", h.describeActor(a), h.describeRecord(r))
	m.records = append(m.records, r)
	h.w.records = append(h.w.records, r)
	h.w.recByID[r.id] = r
	if r.customer == uuid.Nil {
		h.count("drafts written", 1)
	}
	if r.confidential {
		h.count("confidential records written", 1)
	}
}

// countOutcome counts an expected outcome of op by kind (each expected
// field problem on its own).
func (h *harness) countOutcome(op string, o outcome) {
	switch {
	case o.err == nil:
		h.count(op+" ok", 1)
	case len(o.problems) > 0:
		for _, p := range o.problems {
			h.count(op+" invalid: "+p, 1)
		}
	default:
		h.count(op+" refused: "+errName(o.err), 1)
	}
}

// storedDiff says how a stored record differs from the model ("" when it
// does not), as a reads it. A portal account's copy lacks the private memo,
// the report-to recipients and the scope; a partner's the private memo.
func (h *harness) storedDiff(r *mRecord, got *contactlog.Record, a actor) string {
	portal := a.user == nil
	var d []string
	field := func(name string, want, have any) {
		if want != have {
			d = append(d, fmt.Sprintf("%s %v, want %v", name, have, want))
		}
	}
	ids := func(name string, want, have []uuid.UUID) {
		if !slices.Equal(want, have) {
			d = append(d, fmt.Sprintf("%s %s, want %s", name, h.w.labelList(have), h.w.labelList(want)))
		}
	}
	field("id", h.w.label(r.id), h.w.label(got.ID))
	field("tenant", h.w.label(r.tenant), h.w.label(got.Tenant))
	field("author", h.w.label(r.author), h.w.label(got.Author))
	field("customer", h.w.label(r.customer), h.w.label(got.Customer))
	field("template", r.template, got.Template)
	field("confidential", r.confidential, got.Confidential)
	field("shared", r.shared, got.Shared)
	field("version", r.version, got.Version)
	ids("responders", r.responders, got.Responders)
	ids("participants", r.participants, got.Participants)
	private, kind, targets, reportTo := r.private, r.kind, sortedIDs(r.targets), r.reportTo
	if portal {
		private, kind, targets, reportTo = "", "", nil, nil
	}
	withheld := h.w.readPrivateMemo(a, r) != nil
	if withheld {
		private = ""
	}
	field("private memo", private, got.PrivateMemo)
	field("private memo withheld", withheld, got.PrivateMemoWithheld)
	ids("report_to", reportTo, got.ReportTo)
	field("scope kind", kind, got.Scope.Kind)
	ids("scope targets", targets, sortedIDs(got.Scope.Targets))
	return strings.Join(d, "; ")
}

func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// ---- record mutations -----------------------------------------------------------

// mutateRecords changes records of every tenant through the service: a
// draft linked to a customer, twelve updates (half of them by someone the
// specification lets edit the record, the others by anyone, portal
// accounts and the outsider included), a stale update, restores, deletes,
// and a delete of a deleted record.
func (h *harness) mutateRecords(round int) {
	for _, m := range h.w.tenants {
		if len(m.records) == 0 {
			continue
		}
		live := func() []*mRecord {
			return slices.DeleteFunc(slices.Clone(m.records), func(r *mRecord) bool { return r.deleted })
		}
		if i := slices.IndexFunc(live(), func(r *mRecord) bool { return r.customer == uuid.Nil }); i >= 0 {
			r := live()[i]
			a := h.editor(m, r, true)
			next := *r
			next.customer = h.drawCustomer(a, m, 0)
			h.update(round, a, r, &next, false, r.version)
		}
		for i, r := range pick(h.rng, m.records, 12) {
			a := h.editor(m, r, i%2 == 0)
			next, zeroScope := h.reshape(a, m, r)
			h.update(round, a, r, next, zeroScope, r.version)
		}
		if l := live(); len(l) > 0 {
			r := l[h.rng.IntN(len(l))]
			h.update(round, h.editor(m, r, true), r, r, false, r.version-1)
		}
		trash := func() []*mRecord {
			return slices.DeleteFunc(slices.Clone(m.records), func(r *mRecord) bool { return !r.deleted })
		}
		for i, r := range pick(h.rng, trash(), 2) {
			h.setDeleted(round, h.editor(m, r, i == 0), r, true)
		}
		for i, r := range pick(h.rng, live(), 4) {
			h.setDeleted(round, h.editor(m, r, i < 2), r, false)
		}
		// Deleting what is already in the trash.
		if t := trash(); len(t) > 0 {
			h.setDeleted(round, h.editor(m, t[0], true), t[0], false)
		}
	}
}

// editor draws who tries to change r: with allowed, someone of m the
// oracle lets edit it; otherwise mostly anyone of m's staff, sometimes a
// portal account of one of m's customers or the outsider.
func (h *harness) editor(m *mTenant, r *mRecord, allowed bool) actor {
	if allowed {
		var cands []*mUser
		for _, u := range m.users {
			if h.w.editRecord(actor{tenant: m, user: u}, r) == nil {
				cands = append(cands, u)
			}
		}
		return h.staff(m, cands[h.rng.IntN(len(cands))])
	}
	switch x := h.rng.IntN(10); {
	case x < 8:
		return h.staff(m, m.users[h.rng.IntN(len(m.users))])
	case x < 9:
		return h.portal(m, m.customers[h.rng.IntN(len(m.customers))])
	}
	return h.outsider()
}

// reshape draws a change of r by a: a customer for a draft (or another
// customer, or none), a new scope (or the default), new people, the other
// shared flag — at least one of them.
func (h *harness) reshape(a actor, m *mTenant, r *mRecord) (next *mRecord, zeroScope bool) {
	n := *r
	for changed := false; !changed; {
		if h.chance(0.5) {
			changed = true
			switch {
			case r.customer == uuid.Nil:
				n.customer = h.drawCustomer(a, m, 0.2)
			case h.chance(0.15):
				n.customer = uuid.Nil
			default:
				n.customer = h.drawCustomer(a, m, 0.2)
			}
		}
		if h.chance(0.5) {
			changed = true
			zeroScope = h.chance(0.15)
			n.kind, n.targets = h.drawScope(m)
		}
		if h.chance(0.5) {
			changed = true
			n.responders, n.participants, n.reportTo = h.drawPeople(m)
		}
		if h.chance(0.4) && (n.customer != uuid.Nil || h.chance(0.2)) {
			changed = true
			n.shared = !n.shared
		}
	}
	if zeroScope {
		defaultScope(&n)
	}
	return &n, zeroScope
}

// update has a replace r by next (the scope left to its default with
// zeroScope), based on version, compares the outcome with the oracle's
// and, when the record is written, what was stored with the model, and
// has the model follow.
func (h *harness) update(round int, a actor, r, next *mRecord, zeroScope bool, version int64) {
	want := h.w.updateRecord(a, r, next, version != r.version)
	e := entry(r.entry, next, zeroScope)
	if isPartner(a) {
		e.PrivateMemo = "" // not theirs to read or write: the stored one stays
	}
	got, err := h.records.Update(permission.WithPrincipal(h.ctx, a.p), r.id, version, e)
	h.countOutcome("Update", want)
	require.Truef(h.t, want.matches(err), "round %d: Update (version %d) as %s of %s\n    to %s: want %s, got %v",
		round, version, h.describeActor(a), h.describeRecord(r), h.describeRecord(next), want, err)
	if err != nil {
		return
	}
	n := *next
	n.version, n.entry = r.version+1, got.Entry
	n.entry.PrivateMemo = r.private
	require.Empty(h.t, h.storedDiff(&n, got, a), "round %d: Update as %s of %s", round, h.describeActor(a), h.describeRecord(r))
	if r.customer == uuid.Nil && n.customer != uuid.Nil {
		h.count("drafts linked to a customer", 1)
	}
	*r = n
}

// setDeleted has a delete r (or restore it), compares the outcome with the
// oracle's and has the model follow.
func (h *harness) setDeleted(round int, a actor, r *mRecord, restore bool) {
	ctx := permission.WithPrincipal(h.ctx, a.p)
	op, call := "Delete", h.records.Delete
	if restore {
		op, call = "Restore", h.records.Restore
	}
	want := h.w.deleteRecord(a, r, restore)
	err := call(ctx, r.id, r.version)
	h.countOutcome(op, want)
	require.Truef(h.t, want.matches(err), "round %d: %s as %s of %s: want %s, got %v", round, op, h.describeActor(a), h.describeRecord(r), want, err)
	if err == nil {
		r.deleted, r.version = !restore, r.version+1
	}
}

// ---- record comparison ----------------------------------------------------------

// compareRecords compares, for one actor, the oracle with Engine.Predicate
// over contact_records (rows and count for viewing, rows for the changing
// actions; deleted records included: the rules know no trash),
// Engine.Check of every record action, and
// contactlog's Get (every record in the first phase, half of them later;
// deleted records are not found).
func (h *harness) compareRecords(ctx context.Context, first bool, k int, a actor, fail func(string, ...any)) {
	var want, got []uuid.UUID
	for _, r := range h.w.records {
		if h.w.seesRecord(a, r) {
			want = append(want, r.id)
		}
	}
	pred, err := h.engine.Predicate(h.ctx, a.p, recordTable)
	if err != nil {
		fail("Predicate: %v", err)
		return
	}
	if err := pred.Apply(h.db.NewSelect().TableExpr("contact_records AS r").ColumnExpr("r.id")).Scan(h.ctx, &got); err != nil {
		fail("Predicate %q: %v", pred.SQL, err)
		return
	}
	n, err := pred.Apply(h.db.NewSelect().TableExpr("contact_records AS r")).Count(h.ctx)
	if err != nil {
		fail("Predicate count: %v", err)
		return
	}
	if int(n) != len(want) {
		fail("Predicate COUNT: want %d, got %d", len(want), n)
	}
	extra, missing := diff(want, got)
	for _, id := range extra {
		fail("Predicate shows %s, the specification hides it", h.describeRecord(h.record(id)))
	}
	for _, id := range missing {
		fail("Predicate hides %s, the specification shows it", h.describeRecord(h.record(id)))
	}
	h.count("records visible (pairs)", len(want))
	// Related keeps every record a sees (in the trash or not, as asked)
	// but for those of scope company a would see unrelated.
	related := *recordTable
	related.Table = "contact_records"
	if k%2 == 1 {
		related.Deleted = "deleted_at"
	}
	if k%4 == 3 {
		// contactlog's table of each live record under each assignee of
		// its customer, kept by its triggers.
		related.AssigneesTable = "contact_record_assignees"
	}
	rel, err := h.engine.Related(h.ctx, a.p, &related)
	if err != nil {
		fail("Related: %v", err)
		return
	}
	got = got[:0]
	if err := rel.Apply(h.db.NewSelect().TableExpr("contact_records AS r").ColumnExpr("r.id")).Scan(h.ctx, &got); err != nil {
		fail("Related %q: %v", rel.SQL, err)
		return
	}
	for _, r := range h.w.records {
		if !h.w.seesRecord(a, r) || (r.kind == permission.ScopeCompany && h.w.seesUnrelated(a, r)) || (r.deleted && related.Deleted != "") {
			continue
		}
		h.count("records visible through a relation (pairs)", 1)
		if !slices.Contains(got, r.id) {
			fail("Related drops %s, visible through a relation", h.describeRecord(r))
		}
	}
	// Reach, where it answers, keeps every record a sees (but those in
	// the trash, when asked); it declines only for admins and for staff
	// in "all" mode.
	reach, ok, err := h.engine.Reach(h.ctx, a.p, &related)
	if err != nil {
		fail("Reach: %v", err)
		return
	}
	partner := a.p.Has(permission.RolePartner) && !a.p.Has(permission.RoleAdmin) && !a.p.Has(permission.RoleManager) && !a.p.Has(permission.RoleStaff)
	all := a.p.IsStaff() && (a.p.Has(permission.RoleAdmin) || !partner && a.p.CustomerVisibility == permission.VisibilityAll)
	if ok == all {
		fail("Reach answers %v for %s", ok, a.p.Roles)
	}
	if ok {
		got = got[:0]
		if err := h.db.NewSelect().TableExpr("contact_records AS r").ColumnExpr("r.id").Where("r.id IN ("+reach.SQL+")", reach.Args...).Scan(h.ctx, &got); err != nil {
			fail("Reach %q: %v", reach.SQL, err)
			return
		}
		for _, r := range h.w.records {
			if !h.w.seesRecord(a, r) || (r.deleted && related.Deleted != "") {
				continue
			}
			h.count("records visible and reached (pairs)", 1)
			if !slices.Contains(got, r.id) {
				fail("Reach drops %s, which %s sees", h.describeRecord(r), a.p.Roles)
			}
		}
	}
	// The predicate of the changing actions keeps exactly the records
	// Check(edit) allows; delete and share follow the same rule. That of
	// ActionReadPrivateMemo keeps the records whose private memo a reads.
	for _, c := range []struct {
		action permission.Action
		allows func(actor, *mRecord) error
	}{
		{permission.ActionEdit, h.w.editRecord}, {permission.ActionDelete, h.w.editRecord},
		{permission.ActionShare, h.w.editRecord}, {permission.ActionReadPrivateMemo, h.w.readPrivateMemo},
	} {
		action := c.action
		want = want[:0]
		for _, r := range h.w.records {
			if c.allows(a, r) == nil {
				want = append(want, r.id)
			}
		}
		table := *recordTable
		table.Action = action
		pred, err := h.engine.Predicate(h.ctx, a.p, &table)
		if err != nil {
			fail("Predicate(%s): %v", action, err)
			return
		}
		got = got[:0]
		if err := pred.Apply(h.db.NewSelect().TableExpr("contact_records AS r").ColumnExpr("r.id")).Scan(h.ctx, &got); err != nil {
			fail("Predicate(%s) %q: %v", action, pred.SQL, err)
			return
		}
		extra, missing := diff(want, got)
		for _, id := range extra {
			fail("Predicate(%s) keeps %s, the specification refuses it", action, h.describeRecord(h.record(id)))
		}
		for _, id := range missing {
			fail("Predicate(%s) drops %s, the specification allows it", action, h.describeRecord(h.record(id)))
		}
		switch action {
		case permission.ActionEdit:
			h.count("records editable (pairs)", len(want))
		case permission.ActionReadPrivateMemo:
			h.count("private memos read (pairs)", len(want))
		}
	}

	for i, r := range h.w.records {
		sees := h.w.seesRecord(a, r)
		view := error(permission.ErrNotFound)
		if sees {
			view = nil
		}
		edit := h.w.editRecord(a, r)
		obj := h.recordObject(r)
		for _, c := range []struct {
			action permission.Action
			want   error
		}{
			{permission.ActionView, view}, {permission.ActionEdit, edit}, {permission.ActionDelete, edit},
			{permission.ActionShare, edit}, {permission.ActionComment, h.w.commentRecord(a, r)},
			{permission.ActionReadPrivateMemo, h.w.readPrivateMemo(a, r)},
		} {
			if err := h.engine.Check(h.ctx, a.p, c.action, obj); !sameErr(c.want, err) {
				fail("Check(%s) %s: want %s, got %s", c.action, h.describeRecord(r), errName(c.want), errName(err))
			}
		}
		if errors.Is(edit, permission.ErrPermissionDenied) {
			h.count("record edit denied though visible (pairs)", 1)
		}
		if sees && a.user == nil {
			h.count("records a portal account sees (pairs)", 1)
		}
		if isPartner(a) && sees && r.author != a.user.id {
			h.count("records a partner sees by assignment (pairs)", 1)
		}
		if isPartner(a) && r.confidential && slices.Contains(r.people(), a.user.id) && r.author != a.user.id {
			h.count("confidential records hidden from a partner among their people (pairs)", 1)
		}
		if isPartner(a) && r.confidential && r.author == a.user.id {
			h.count("confidential records hidden from their partner author (pairs)", 1)
		}
		if isPartner(a) && sees {
			h.count("private memos withheld from a partner (pairs)", 1)
		}
		if a.user != nil && !isAdmin(a) && !isPartner(a) && r.customer != uuid.Nil && r.tenant == a.tenant.id &&
			!h.w.seesCustomer(a, h.w.byID[r.customer]) {
			switch {
			case !sees && h.w.inScope(a, r):
				h.count("records hidden with their customer though in scope (pairs)", 1)
			case sees && slices.Contains(r.people(), a.user.id):
				h.count("records of hidden customers shown to their people (pairs)", 1)
			}
		}

		if !first && (i+k)%2 != 0 {
			continue
		}
		gets := h.w.getsRecord(a, r)
		rec, err := h.records.Get(ctx, r.id)
		switch {
		case gets && err != nil:
			fail("Get %s: want the record, got %v", h.describeRecord(r), err)
		case gets:
			if d := h.storedDiff(r, rec, a); d != "" {
				fail("Get %s: %s", h.describeRecord(r), d)
			}
		case !errors.Is(err, contactlog.ErrNotFound):
			fail("Get %s: want ErrNotFound, got %v", h.describeRecord(r), err)
		}
		if sees && r.deleted {
			h.count("deleted records hidden from Get (pairs)", 1)
		}
	}
}

// compareSearch compares, for one actor, the oracle with every page of
// contactlog's Search: everything listed (in an order and page size that
// vary by actor), the trash, a keyword search for a reading and the
// records of customers of one rank — often the reading or rank of a
// customer hidden from the actor whose record they are shown. Portal
// accounts may not search the trash or by keyword.
func (h *harness) compareSearch(ctx context.Context, k int, a actor, rng *rand.Rand, fail func(string, ...any)) {
	term, rank := kanaNames[rng.IntN(len(kanaNames))], ranks[1+rng.IntN(len(ranks)-1)]
	var hidden []*mCustomer
	for _, r := range h.w.records {
		if h.w.getsRecord(a, r) && r.customer != uuid.Nil && !h.w.seesCustomer(a, h.w.byID[r.customer]) {
			hidden = append(hidden, h.w.byID[r.customer])
		}
	}
	if len(hidden) > 0 && rng.IntN(2) == 0 {
		term = hidden[rng.IntN(len(hidden))].kana
	}
	if c := hidden; len(c) > 0 && rng.IntN(2) == 0 {
		if r := c[rng.IntN(len(c))].rank; r != "" {
			rank = r
		}
	}
	sorts := []contactlog.Sort{contactlog.SortCreated, contactlog.SortActual, contactlog.SortCustomerKana}
	all := contactlog.Query{Sort: sorts[k%3], Asc: k%2 == 0, Limit: 7 + k%5}
	for _, c := range []struct {
		about   string
		q       contactlog.Query
		want    func(r *mRecord) bool
		problem string // for a customer principal
	}{
		{fmt.Sprintf("Search (sort %s, ascending %v, %d a page)", all.Sort, all.Asc, all.Limit), all,
			func(r *mRecord) bool { return h.w.getsRecord(a, r) }, ""},
		{"Search (trash)", contactlog.Query{Deleted: true, Limit: 5},
			func(r *mRecord) bool { return r.deleted && h.w.editRecord(a, r) == nil }, "deleted not_allowed"},
		{"Search (text " + term + ")", contactlog.Query{Text: term, Limit: 9},
			func(r *mRecord) bool { return h.w.findsRecord(a, r, term) }, "text not_allowed"},
		{"Search (customer rank " + rank + ")", contactlog.Query{CustomerRanks: []string{rank}, Limit: 8},
			func(r *mRecord) bool { return h.w.ranksRecord(a, r, rank) }, ""},
		// Words of the private memos only: one of two characters (the
		// bigram index alone answers it) and one longer.
		{"Search (text 公開)", contactlog.Query{Text: "公開", Limit: 9},
			func(r *mRecord) bool { return h.w.findsRecord(a, r, "公開") }, "text not_allowed"},
		{"Search (text 非公開)", contactlog.Query{Text: "非公開", Limit: 9},
			func(r *mRecord) bool { return h.w.findsRecord(a, r, "非公開") }, "text not_allowed"},
	} {
		about := c.about
		recs, total, err := h.searchAll(ctx, c.q)
		if a.user == nil && c.problem != "" {
			if want := (outcome{err: contactlog.ErrInvalid, problems: []string{c.problem}}); !want.matches(err) {
				fail("%s: want %s, got %v", about, want, err)
			}
			continue
		}
		if err != nil {
			fail("%s: %v", about, err)
			continue
		}
		var want, got []uuid.UUID
		for _, r := range h.w.records {
			if c.want(r) {
				want = append(want, r.id)
			}
		}
		for i := range recs {
			got = append(got, recs[i].ID)
			if r := h.record(recs[i].ID); c.want(r) {
				if d := h.storedDiff(r, &recs[i], a); d != "" {
					fail("%s lists %s as %s", about, h.describeRecord(r), d)
				}
			}
		}
		extra, missing := diff(want, got)
		for _, id := range extra {
			fail("%s lists %s, the specification hides it", about, h.describeRecord(h.record(id)))
		}
		for _, id := range missing {
			fail("%s misses %s, the specification lists it", about, h.describeRecord(h.record(id)))
		}
		if len(got) != len(want) || total != len(want) {
			fail("%s: want %d records, got %d in the pages (Total %d)", about, len(want), len(got), total)
		}
		if c.q.Deleted {
			h.count("records in the trash (pairs)", len(want))
		}
	}
	for _, r := range h.w.records {
		if !h.w.getsRecord(a, r) || r.customer == uuid.Nil || strings.Contains(r.memo, term) || !strings.Contains(h.w.byID[r.customer].kana, term) {
			continue
		}
		if h.w.seesCustomer(a, h.w.byID[r.customer]) {
			h.count("records found by their customer's reading (pairs)", 1)
		} else {
			h.count("records not found by a hidden customer's reading (pairs)", 1)
		}
	}
	for _, r := range h.w.records {
		switch {
		case !h.w.getsRecord(a, r):
		case h.w.findsRecord(a, r, "非公開"):
			h.count("records found by a private memo word (pairs)", 1)
		default:
			h.count("records not found by a private memo word (pairs)", 1)
		}
	}
	for _, r := range h.w.records {
		if h.w.getsRecord(a, r) && r.customer != uuid.Nil && h.w.byID[r.customer].rank == rank && !h.w.seesCustomer(a, h.w.byID[r.customer]) {
			h.count("records not found by a hidden customer's rank (pairs)", 1)
		}
	}
}

// searchAll runs q page by page and returns the records listed, in order,
// and the total the first page counted.
func (h *harness) searchAll(ctx context.Context, q contactlog.Query) (recs []contactlog.Record, total int, err error) {
	q.WithTotal = true
	for pages := 0; ; pages++ {
		page, err := h.records.Search(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		if q.WithTotal {
			total, q.WithTotal = page.Total, false
		}
		recs = append(recs, page.Records...)
		if page.Next == "" || pages > 200 {
			return recs, total, nil
		}
		q.After = page.Next
	}
}
