package permission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// CustomerVisibility is a tenant's rule for which customers staff see.
type CustomerVisibility string

// Customer visibility settings.
const (
	// VisibilityAll: every staff member sees every customer of the tenant
	// (partners still see only their own).
	VisibilityAll CustomerVisibility = "all"
	// VisibilityAssigned: staff see the customers they are assigned to;
	// managers also those of their groups' members; admins all.
	VisibilityAssigned CustomerVisibility = "assigned"
)

// Action is what a principal wants to do with an object.
type Action string

// Actions.
const (
	ActionView     Action = "view"
	ActionCreate   Action = "create"
	ActionEdit     Action = "edit"
	ActionDelete   Action = "delete"
	ActionComment  Action = "comment"
	ActionShare    Action = "share"
	ActionExport   Action = "export"
	ActionReassign Action = "reassign"
	ActionUnlock   Action = "unlock"
	// ActionReadPrivateMemo is reading a record's private memo (非公開メモ):
	// staff other than partners may, on the records they see; partners
	// (outside staff) and customer principals never. A record list shows
	// the memo only on the rows that pass Predicate with this action.
	ActionReadPrivateMemo Action = "read_private_memo"
)

// Object is what Check decides about: a *Customer or a *Record.
type Object interface{ object() }

// CustomerObject is what the rules need to know of a customer.
type CustomerObject struct {
	Tenant uuid.UUID
	ID     uuid.UUID // zero when it is being created
	// Assignees are the staff in charge.
	Assignees []uuid.UUID
	// NewAssignees, for ActionReassign, are the staff it would go to.
	NewAssignees []uuid.UUID
}

// ScopeKind says who, besides the people always allowed, sees a record.
type ScopeKind string

// Scope kinds.
const (
	ScopeCompany  ScopeKind = "company"   // everyone in the tenant (the default)
	ScopeOrgUnits ScopeKind = "org_units" // members of these org units and their subtrees
	ScopeGroups   ScopeKind = "groups"    // members of these groups
	ScopeUsers    ScopeKind = "users"     // these staff members
)

// Scope is a record's visibility (公開範囲).
type Scope struct {
	Kind    ScopeKind   `json:"kind"`
	Targets []uuid.UUID `json:"targets,omitempty"` // org units, groups or users
}

// RecordObject is what the rules need to know of a contact record (or any
// object with an author and a visibility scope).
type RecordObject struct {
	Tenant   uuid.UUID
	ID       uuid.UUID
	Customer uuid.UUID // zero for a draft
	Author   uuid.UUID
	// People always see the record: responders, participants and report-to
	// recipients.
	People []uuid.UUID
	Scope  Scope
	// Confidential records (e.g. 商談) are never shown to partners, not
	// even those they wrote before they became partners.
	Confidential bool
	// Shared records are shown to the customer's own portal account.
	Shared bool
	// CustomerAssignees are the staff in charge of the record's customer:
	// partners see records of their customers only, and where the tenant's
	// CustomerVisibility is VisibilityAssigned a record of a customer
	// hidden from p shows only to its author, its people and the managers
	// of its author's groups.
	CustomerAssignees []uuid.UUID
}

func (*CustomerObject) object() {}
func (*RecordObject) object()   {}

// Resource describes a table Predicate restricts: *CustomerTable or
// *RecordTable.
type Resource interface{ resource() }

// CustomerTable is the customers table (customers, with customer_assignees)
// under an alias.
type CustomerTable struct {
	Alias string
	// Action narrows the predicate to the customers p may do more than
	// see: with ActionUnlock it keeps those for which Check(ActionUnlock)
	// returns nil (admins: all; other staff: the customers they are
	// assigned to and, for managers, those assigned to a member of a group
	// they manage — never customer principals). Any other value, the zero
	// value included, means ActionView.
	Action Action
}

// RecordTable describes a table of scoped objects. Column names are
// unqualified; the table is referred to by Alias.
type RecordTable struct {
	Alias string
	// Columns of the table: id, tenant_id, author, customer (NULL for
	// drafts), scope kind (text), confidential and shared (booleans).
	ID, Tenant, Author, Customer, ScopeKind, Confidential, Shared string
	// Table is the table's name and Deleted, optionally, a column set on
	// the rows in the trash. Only Engine.Related needs them: it looks up
	// rows by author and customer in Table, skipping those with Deleted
	// set (as partial indexes over the rows not deleted do).
	Table, Deleted string
	// PeopleTable has (record_id, user_id): who always sees the record.
	// Its primary key should start with (record_id, user_id): the
	// predicate probes it per row.
	PeopleTable string
	// ScopeTable has (record_id, target_id): the scope's targets, probed
	// the same way.
	ScopeTable string
	// AssigneesTable, optionally, has (tenant_id, record_id, user_id):
	// each row of Table not deleted under each user assigned to its
	// customer, with an index led by (tenant_id, user_id). With Deleted
	// set, Engine.Related reads the rows of the customers p sees by
	// assignment from it, one index range per assignee, instead of
	// looking each customer's rows up in Table (which reads every such
	// row to check its tenant and deletion).
	AssigneesTable string
	// Action narrows the predicate to the rows p may do more than see:
	// with ActionEdit, ActionDelete or ActionShare it keeps the rows for
	// which Check(action) returns nil (the author, the people, managers of
	// the author's groups, admins — never customer principals); with
	// ActionReadPrivateMemo the rows whose private memo p may read. Any
	// other value, the zero value included, means ActionView.
	Action Action
}

func (*CustomerTable) resource() {}
func (*RecordTable) resource()   {}

// Predicate is a SQL condition with its arguments, for a WHERE clause.
type Predicate struct {
	SQL  string
	Args []any
}

// Apply adds the predicate to q.
func (p Predicate) Apply(q *bun.SelectQuery) *bun.SelectQuery { return q.Where(p.SQL, p.Args...) }

// Authorizer decides what principals may do. Engine is Kiroku's rule set;
// an embedder may supply its own. Both methods must agree: an object passes
// Check(ActionView) exactly when its row passes Predicate.
type Authorizer interface {
	// Check returns nil when p may do action on obj, ErrPermissionDenied
	// when p may see obj but not do this, and ErrNotFound when p may not
	// even see it.
	Check(ctx context.Context, p Principal, action Action, obj Object) error
	// Predicate returns the condition restricting res to the rows p may
	// view (for a *RecordTable with an Action, the rows p may act on). It
	// includes the tenant condition.
	Predicate(ctx context.Context, p Principal, res Resource) (Predicate, error)
}

// Engine is Kiroku's rule set. It reads the directory's org tree and group
// memberships (of other users) from the database; the principal's own
// memberships come from the Principal.
type Engine struct {
	db bun.IDB
}

// NewEngine returns the rule set over the directory tables in db (see
// Migrate).
func NewEngine(db bun.IDB) (*Engine, error) {
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	return &Engine{db: db}, nil
}

var _ Authorizer = (*Engine)(nil)

// WithDB returns a copy of e reading through db, typically the transaction
// of the change being checked, so that its rules see that transaction's
// uncommitted rows.
func (e *Engine) WithDB(db bun.IDB) *Engine { c := *e; c.db = db; return &c }

// BindAuthorizer returns a bound to db: an *Engine through Engine.WithDB,
// any other Authorizer (which reads through handles of its own, if any)
// unchanged. The engines' WithDB methods call it, so that a handle bound
// to a transaction checks permissions inside that transaction too.
func BindAuthorizer(a Authorizer, db bun.IDB) Authorizer {
	if e, ok := a.(*Engine); ok {
		return e.WithDB(db)
	}
	return a
}

// insider reports whether p is staff other than a partner: who may read the
// private memos of the records they see, and export records.
func (p Principal) insider() bool { return p.IsStaff() && !p.partner() }

func (p Principal) admin() bool { return p.IsStaff() && p.Has(RoleAdmin) }

func (p Principal) partner() bool {
	return p.IsStaff() && p.Has(RolePartner) && !p.Has(RoleAdmin) && !p.Has(RoleManager) && !p.Has(RoleStaff)
}

func (p Principal) manager() bool { return p.IsStaff() && p.Has(RoleManager) }

// Check implements Authorizer.
func (e *Engine) Check(ctx context.Context, p Principal, action Action, obj Object) error {
	switch o := obj.(type) {
	case *CustomerObject:
		return e.checkCustomer(ctx, p, action, o)
	case *RecordObject:
		return e.checkRecord(ctx, p, action, o)
	}
	return fmt.Errorf("permission: unknown object %T: %w", obj, ErrPermissionDenied)
}

func (e *Engine) seesCustomer(ctx context.Context, p Principal, o *CustomerObject) (bool, error) {
	switch {
	case o.Tenant != p.Tenant:
		return false, nil
	case !p.IsStaff():
		return p.Customer == o.ID && o.ID != uuid.Nil, nil
	case p.admin():
		return true, nil
	case p.partner():
		return slices.Contains(o.Assignees, p.User), nil
	case p.CustomerVisibility == VisibilityAll:
		return true, nil
	case slices.Contains(o.Assignees, p.User):
		return true, nil
	case p.manager():
		return e.anyInGroups(ctx, p, o.Assignees, p.ManagedGroups)
	}
	return false, nil
}

func (e *Engine) checkCustomer(ctx context.Context, p Principal, action Action, o *CustomerObject) error {
	// Creating customers, and exporting a list of them (an object without
	// ID), are for staff other than partners.
	if action == ActionCreate || (action == ActionExport && o.ID == uuid.Nil) {
		if o.Tenant == p.Tenant && p.IsStaff() && !p.partner() {
			return nil
		}
		return ErrPermissionDenied
	}
	ok, err := e.seesCustomer(ctx, p, o)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	switch action {
	case ActionView:
		return nil
	case ActionEdit, ActionComment:
		if p.IsStaff() && !p.partner() {
			return nil
		}
	case ActionDelete, ActionExport:
		if p.IsStaff() && !p.partner() {
			return nil
		}
	case ActionUnlock:
		if p.admin() || slices.Contains(o.Assignees, p.User) {
			return nil
		}
		if p.manager() {
			if ok, err := e.anyInGroups(ctx, p, o.Assignees, p.ManagedGroups); err != nil || ok {
				return err
			}
		}
	case ActionReassign:
		if p.admin() {
			return nil
		}
		if !p.manager() {
			break
		}
		// A manager moves customers between members of the groups they
		// manage: every assignee removed or added must be such a member.
		// Assignees who stay are not affected.
		ok, err := e.allInGroups(ctx, p, changed(o.Assignees, o.NewAssignees), p.ManagedGroups)
		if err != nil || ok {
			return err
		}
	}
	return ErrPermissionDenied
}

func (e *Engine) seesRecord(ctx context.Context, p Principal, o *RecordObject) (bool, error) {
	switch {
	case o.Tenant != p.Tenant:
		return false, nil
	case !p.IsStaff():
		return o.Shared && o.Customer != uuid.Nil && o.Customer == p.Customer, nil
	case p.admin():
		return true, nil
	case p.partner() && o.Confidential:
		return false, nil
	case o.Author == p.User:
		return true, nil
	case p.partner() && !slices.Contains(o.CustomerAssignees, p.User):
		return false, nil
	case slices.Contains(o.People, p.User):
		return true, nil
	}
	if p.manager() {
		if ok, err := e.anyInGroups(ctx, p, []uuid.UUID{o.Author}, p.ManagedGroups); err != nil || ok {
			return ok, err
		}
	}
	// The scope shows a record only to those who see its customer.
	if o.Customer != uuid.Nil {
		ok, err := e.seesCustomer(ctx, p, &CustomerObject{Tenant: o.Tenant, ID: o.Customer, Assignees: o.CustomerAssignees})
		if err != nil || !ok {
			return false, err
		}
	}
	switch o.Scope.Kind {
	case ScopeCompany, "":
		return true, nil
	case ScopeUsers:
		if slices.Contains(o.Scope.Targets, p.User) {
			return true, nil
		}
	case ScopeGroups:
		for _, g := range o.Scope.Targets {
			if slices.Contains(p.Groups, g) {
				return true, nil
			}
		}
	case ScopeOrgUnits:
		return e.inSubtrees(ctx, p, o.Scope.Targets)
	}
	return false, nil
}

func (e *Engine) checkRecord(ctx context.Context, p Principal, action Action, o *RecordObject) error {
	// Creating records, and exporting a list of them (an object without
	// ID), are checked without a stored record.
	switch {
	case action == ActionCreate:
		if o.Tenant == p.Tenant && p.IsStaff() && !(p.partner() && o.Confidential) {
			return nil
		}
		return ErrPermissionDenied
	case action == ActionExport && o.ID == uuid.Nil:
		if o.Tenant == p.Tenant && p.insider() {
			return nil
		}
		return ErrPermissionDenied
	}
	ok, err := e.seesRecord(ctx, p, o)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	switch action {
	case ActionView:
		return nil
	case ActionComment:
		if p.IsStaff() {
			return nil
		}
	case ActionEdit, ActionDelete, ActionShare:
		// The author, responders (people), managers of the author's groups,
		// admins.
		if p.admin() || o.Author == p.User || slices.Contains(o.People, p.User) {
			return nil
		}
		if p.manager() {
			if ok, err := e.anyInGroups(ctx, p, []uuid.UUID{o.Author}, p.ManagedGroups); err != nil || ok {
				return err
			}
		}
	case ActionExport, ActionReadPrivateMemo:
		if p.insider() {
			return nil
		}
	}
	return ErrPermissionDenied
}

// anyInGroups reports whether one of users is a member of one of groups.
func (e *Engine) anyInGroups(ctx context.Context, p Principal, users, groups []uuid.UUID) (bool, error) {
	if len(users) == 0 || len(groups) == 0 {
		return false, nil
	}
	return e.db.NewSelect().TableExpr("group_members").Where("tenant_id = ?", p.Tenant).
		Where("user_id IN (?)", bun.List(users)).Where("group_id IN (?)", bun.List(groups)).Exists(ctx)
}

// allInGroups reports whether every one of users is a member of one of
// groups.
func (e *Engine) allInGroups(ctx context.Context, p Principal, users, groups []uuid.UUID) (bool, error) {
	users = idset.Sorted(users)
	if len(users) == 0 {
		return true, nil
	}
	if len(groups) == 0 {
		return false, nil
	}
	var n int
	err := e.db.NewSelect().TableExpr("group_members").ColumnExpr("COUNT(DISTINCT user_id)").
		Where("tenant_id = ?", p.Tenant).Where("user_id IN (?)", bun.List(users)).
		Where("group_id IN (?)", bun.List(groups)).Scan(ctx, &n)
	return n == len(users), storage.Err(err)
}

// inSubtrees reports whether one of p's org units lies in the subtree of one
// of units.
func (e *Engine) inSubtrees(ctx context.Context, p Principal, units []uuid.UUID) (bool, error) {
	if len(units) == 0 || len(p.OrgUnits) == 0 {
		return false, nil
	}
	return e.db.NewSelect().TableExpr("org_unit_paths").Where("tenant_id = ?", p.Tenant).
		Where("ancestor_id IN (?)", bun.List(units)).Where("descendant_id IN (?)", bun.List(p.OrgUnits)).Exists(ctx)
}

// changed returns the users in exactly one of old and new.
func changed(old, new []uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for _, u := range old {
		if !slices.Contains(new, u) {
			out = append(out, u)
		}
	}
	for _, u := range new {
		if !slices.Contains(old, u) {
			out = append(out, u)
		}
	}
	return out
}

// Predicate implements Authorizer.
func (e *Engine) Predicate(_ context.Context, p Principal, res Resource) (Predicate, error) {
	switch r := res.(type) {
	case *CustomerTable:
		if r.Action == ActionUnlock {
			return unlockPredicate(p, r.Alias), nil
		}
		return customerPredicate(p, r.Alias), nil
	case *RecordTable:
		return recordPredicate(p, r), nil
	}
	return Predicate{}, fmt.Errorf("permission: unknown resource %T: %w", res, ErrPermissionDenied)
}

// unlockPredicate keeps the customers whose portal account p may unlock:
// the rule of ActionUnlock in checkCustomer.
func unlockPredicate(p Principal, a string) Predicate {
	switch {
	case !p.IsStaff():
		return Predicate{SQL: "1 = 0"}
	case p.admin():
		return Predicate{SQL: a + ".tenant_id = ?", Args: []any{p.Tenant}}
	}
	seen, args := customerSeen(p, a+".id", a+".tenant_id")
	return Predicate{SQL: a + ".tenant_id = ? AND " + seen, Args: append([]any{p.Tenant}, args...)}
}

// or joins conditions with OR; none means false.
func or(parts []string) string {
	if len(parts) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

func customerPredicate(p Principal, a string) Predicate {
	tenant := a + ".tenant_id = ?"
	args := []any{p.Tenant}
	// Each subquery names the tenant so PostgreSQL can use
	// customer_assignees_user (tenant_id, user_id, customer_id).
	assigned := "EXISTS (SELECT 1 FROM customer_assignees pa WHERE pa.tenant_id = " + a + ".tenant_id AND pa.customer_id = " + a + ".id AND pa.tenant_id = ? AND pa.user_id = ?)"
	switch {
	case !p.IsStaff():
		if p.Customer == uuid.Nil {
			return Predicate{SQL: "1 = 0"}
		}
		return Predicate{SQL: tenant + " AND " + a + ".id = ?", Args: append(args, p.Customer)}
	case p.admin():
		return Predicate{SQL: tenant, Args: args}
	case p.partner():
		return Predicate{SQL: tenant + " AND " + assigned, Args: append(args, p.Tenant, p.User)}
	case p.CustomerVisibility == VisibilityAll:
		return Predicate{SQL: tenant, Args: args}
	case p.manager() && len(p.ManagedGroups) > 0:
		// One EXISTS (not two ORed) so the planner can walk the page order
		// and probe the assignees' primary key per row.
		return Predicate{
			SQL: tenant + " AND EXISTS (SELECT 1 FROM customer_assignees pa WHERE pa.tenant_id = " + a + ".tenant_id AND pa.customer_id = " + a + ".id AND pa.tenant_id = ?" +
				" AND (pa.user_id = ? OR pa.user_id IN (SELECT pg.user_id FROM group_members pg WHERE pg.tenant_id = ? AND pg.group_id IN (?))))",
			Args: append(args, p.Tenant, p.User, p.Tenant, bun.List(p.ManagedGroups)),
		}
	}
	return Predicate{SQL: tenant + " AND " + assigned, Args: append(args, p.Tenant, p.User)}
}

func recordPredicate(p Principal, t *RecordTable) Predicate {
	col := func(c string) string { return t.Alias + "." + c }
	tcol := col(t.Tenant)
	tenant := tcol + " = ?"
	args := []any{p.Tenant}
	// Editing, deleting and sharing belong to the people on the record,
	// not to everyone its scope shows it to.
	change := t.Action == ActionEdit || t.Action == ActionDelete || t.Action == ActionShare
	switch {
	case t.Action == ActionReadPrivateMemo && !p.insider():
		return Predicate{SQL: "1 = 0"}
	case !p.IsStaff():
		if p.Customer == uuid.Nil || change {
			return Predicate{SQL: "1 = 0"}
		}
		return Predicate{SQL: tenant + " AND " + col(t.Shared) + " AND " + col(t.Customer) + " = ?", Args: append(args, p.Customer)}
	case p.admin():
		return Predicate{SQL: tenant, Args: args}
	}
	var parts, scope []string
	var pargs, sargs []any
	add := func(sql string, a ...any) { parts = append(parts, sql); pargs = append(pargs, a...) }
	addScope := func(sql string, a ...any) { scope = append(scope, sql); sargs = append(sargs, a...) }
	// The probes of the record's people and scope rows end in "LIMIT 1
	// OFFSET 0" so that PostgreSQL runs them per row, through the primary
	// keys (tenant_id, record_id, …), and only for the rows the cheap conditions
	// before them leave open. Without it, it may hash the principal's whole
	// share of those tables first — costs that grow with the tenant, paid
	// even by a page of 20 records.
	const perRow = " LIMIT 1 OFFSET 0)"
	if !change {
		addScope(col(t.ScopeKind) + " IN ('company', '')") // the zero Scope means company
		addScope(col(t.ScopeKind)+" = 'users' AND EXISTS (SELECT 1 FROM "+t.ScopeTable+" ps WHERE ps.tenant_id = "+tcol+" AND ps.record_id = "+col(t.ID)+" AND ps.target_id = ?"+perRow, p.User)
		if len(p.Groups) > 0 {
			addScope(col(t.ScopeKind)+" = 'groups' AND EXISTS (SELECT 1 FROM "+t.ScopeTable+" ps WHERE ps.tenant_id = "+tcol+" AND ps.record_id = "+col(t.ID)+" AND ps.target_id IN (?)"+perRow, bun.List(p.Groups))
		}
		if len(p.OrgUnits) > 0 {
			addScope(col(t.ScopeKind)+" = 'org_units' AND EXISTS (SELECT 1 FROM "+t.ScopeTable+" ps JOIN org_unit_paths po ON po.tenant_id = ps.tenant_id AND po.ancestor_id = ps.target_id"+
				" WHERE ps.tenant_id = "+tcol+" AND ps.record_id = "+col(t.ID)+" AND po.descendant_id IN (?)"+perRow, bun.List(p.OrgUnits))
		}
	}
	if len(scope) > 0 {
		// In assigned mode the scope shows a record only to those who see
		// its customer (drafts have none); partners are held to their
		// customers below.
		if p.CustomerVisibility != VisibilityAll && !p.partner() {
			seen, seenArgs := customerSeen(p, col(t.Customer), col(t.Tenant))
			add("("+col(t.Customer)+" IS NULL OR "+seen+") AND "+or(scope), append(seenArgs, sargs...)...)
		} else {
			add(or(scope), sargs...)
		}
	}
	add("EXISTS (SELECT 1 FROM "+t.PeopleTable+" pp WHERE pp.tenant_id = "+tcol+" AND pp.record_id = "+col(t.ID)+" AND pp.user_id = ?"+perRow, p.User)
	if p.manager() && len(p.ManagedGroups) > 0 {
		add("EXISTS (SELECT 1 FROM group_members pg WHERE pg.tenant_id = "+tcol+" AND pg.user_id = "+col(t.Author)+" AND pg.tenant_id = ? AND pg.group_id IN (?))",
			p.Tenant, bun.List(p.ManagedGroups))
	}
	// The author always sees it — partners only the non-confidential ones;
	// a partner sees the rest only for non-confidential records of their own
	// customers.
	others := col(t.Author) + " = ? OR " + or(parts)
	oargs := append([]any{p.User}, pargs...)
	if p.partner() {
		seen, seenArgs := customerSeen(p, col(t.Customer), col(t.Tenant))
		others = "NOT " + col(t.Confidential) + " AND (" + col(t.Author) + " = ? OR (" + seen + " AND " + or(parts) + "))"
		oargs = append(append([]any{p.User}, seenArgs...), pargs...)
	}
	return Predicate{SQL: tenant + " AND (" + others + ")", Args: append(args, oargs...)}
}

// Relater is an Authorizer that also gives the relation form of its record
// predicate (Engine.Related).
type Relater interface {
	Related(ctx context.Context, p Principal, t *RecordTable) (Predicate, error)
}

var _ Relater = (*Engine)(nil)

// Related returns the relation form of p's predicate on t (which must name
// its Table): a condition that every row p may view satisfies (but for
// those t.Deleted marks deleted), unless it is of scope company and p
// would view it with nothing related to p — no author, no people, no scope
// targets, a customer (if any) assigned to nobody. It keeps the rows related to p through their indexes: "id IN" a
// union of lookups of the rows p authored, those naming p among their
// people, those whose scope targets p, p's groups or the org units above
// p's, those of authors in the groups p manages and, where the scope shows
// a record only to those who see its customer, those of the customers p
// sees by assignment; for a partner the rows they authored and those of
// their customers, for a customer principal the rows of its customer, for
// an admin every row of the tenant. It is a superset, not a rule:
// Predicate still decides; a query that reads the rows Predicate keeps
// among those a summary of the unrelated company rows leaves can add it so
// the database starts from p's relations instead of testing every row.
// Any t.Action gives the rows of ActionView.
func (e *Engine) Related(_ context.Context, p Principal, t *RecordTable) (Predicate, error) {
	if t.Table == "" {
		return Predicate{}, errors.New("permission: Related needs the RecordTable's Table")
	}
	tenant := t.Alias + "." + t.Tenant + " = ?"
	if p.admin() {
		return Predicate{SQL: tenant, Args: []any{p.Tenant}}, nil
	}
	parts, args := relatedRows(p, t)
	if len(parts) == 0 {
		return Predicate{SQL: "1 = 0"}, nil
	}
	return Predicate{SQL: tenant + " AND " + t.Alias + "." + t.ID + " IN (" + strings.Join(parts, " UNION ALL ") + ")",
		Args: append([]any{p.Tenant}, args...)}, nil
}

// relatedIn is the lookup of the IDs of t's rows (of p's tenant, the
// first argument) that satisfy where, a condition on alias x, leaving out
// those in the trash when t.Deleted is set.
func relatedIn(t *RecordTable, where string) string {
	if t.Deleted != "" {
		where += " AND x." + t.Deleted + " IS NULL"
	}
	return "SELECT x." + t.ID + " FROM " + t.Table + " x WHERE x." + t.Tenant + " = ? AND " + where
}

// relatedRows are the lookups of Related's union for p, who is no admin,
// with their arguments: none for a customer principal without a customer.
func relatedRows(p Principal, t *RecordTable) ([]string, []any) {
	var parts []string
	var args []any
	add := func(sql string, a ...any) { parts = append(parts, sql); args = append(args, a...) }
	// customers is the lookup of the rows of the customers assigned to
	// users.
	customers := func(users string, a ...any) {
		if t.AssigneesTable != "" && t.Deleted != "" {
			add("SELECT ra.record_id FROM "+t.AssigneesTable+" ra WHERE ra.tenant_id = ? AND ra.user_id IN ("+users+")",
				append([]any{p.Tenant}, a...)...)
			return
		}
		add(relatedIn(t, "x."+t.Customer+" IN (SELECT pa.customer_id FROM customer_assignees pa WHERE pa.tenant_id = ? AND pa.user_id IN ("+users+"))"),
			append([]any{p.Tenant, p.Tenant}, a...)...)
	}
	switch {
	case !p.IsStaff():
		if p.Customer != uuid.Nil {
			add(relatedIn(t, "x."+t.Customer+" = ?"), p.Tenant, p.Customer)
		}
	case p.partner():
		add(relatedIn(t, "x."+t.Author+" = ?"), p.Tenant, p.User)
		customers("?", p.User)
	default:
		// me is p, and for a manager the members of the groups p manages:
		// the authors whose rows p sees and, in assigned mode, the
		// assignees whose customers' rows the scope may show p.
		me, meArgs := "?", []any{p.User}
		if p.manager() && len(p.ManagedGroups) > 0 {
			me = "SELECT ? UNION ALL SELECT pg.user_id FROM group_members pg WHERE pg.tenant_id = ? AND pg.group_id IN (?)"
			meArgs = []any{p.User, p.Tenant, bun.List(p.ManagedGroups)}
		}
		add(relatedIn(t, "x."+t.Author+" IN ("+me+")"), append([]any{p.Tenant}, meArgs...)...)
		add("SELECT pp.record_id FROM "+t.PeopleTable+" pp WHERE pp.tenant_id = ? AND pp.user_id = ?", p.Tenant, p.User)
		add("SELECT ps.record_id FROM "+t.ScopeTable+" ps WHERE ps.tenant_id = ? AND ps.target_id IN (?)",
			p.Tenant, bun.List(append([]uuid.UUID{p.User}, p.Groups...)))
		if len(p.OrgUnits) > 0 {
			add("SELECT ps.record_id FROM "+t.ScopeTable+" ps WHERE ps.tenant_id = ? AND ps.target_id IN"+
				" (SELECT po.ancestor_id FROM org_unit_paths po WHERE po.tenant_id = ? AND po.descendant_id IN (?))",
				p.Tenant, p.Tenant, bun.List(p.OrgUnits))
		}
		if p.CustomerVisibility != VisibilityAll {
			customers(me, meArgs...)
		}
	}
	return parts, args
}

// Reacher is an Authorizer that also says where the rows a principal may
// view can all be found from the principal's relations (Engine.Reach).
// Reach's Predicate holds a SELECT of row IDs, not a condition: the caller
// writes "id IN (…)" around it (Predicate.Apply would not do).
type Reacher interface {
	Reach(ctx context.Context, p Principal, t *RecordTable) (Predicate, bool, error)
	ReachRows(ctx context.Context, p Principal, t *RecordTable) (float64, error)
}

var _ Reacher = (*Engine)(nil)

// Reach returns a SELECT of the IDs of rows of t (which must name its
// Table) among which are all those p may view, found from p's relations
// through their indexes, and true; or false when no such SELECT narrows
// p's rows. It is Related's union where that misses nothing p sees: for
// partners and customer principals, and for staff in the "assigned"
// customer visibility mode with the company-scope drafts (rows without a
// customer), which the scope shows every staff member, added to it. For
// admins and for staff in the "all" mode, who see every company-scope row
// however unrelated, it returns false. Like Related it is a superset, not
// a rule: Predicate still decides, and a query that has both ("id IN"
// the SELECT) may start from p's relations instead of testing the
// tenant's rows one by one. With t.Deleted set, rows in the trash are
// left out; the SELECT may name an ID more than once.
func (e *Engine) Reach(_ context.Context, p Principal, t *RecordTable) (Predicate, bool, error) {
	if t.Table == "" {
		return Predicate{}, false, errors.New("permission: Reach needs the RecordTable's Table")
	}
	if !reached(p) {
		return Predicate{}, false, nil
	}
	parts, args := relatedRows(p, t)
	if p.IsStaff() && !p.partner() {
		parts = append(parts, relatedIn(t, companyDrafts(t)))
		args = append(args, p.Tenant)
	}
	if len(parts) == 0 {
		return Predicate{SQL: "SELECT NULL WHERE 1 = 0"}, true, nil
	}
	return Predicate{SQL: strings.Join(parts, " UNION ALL "), Args: args}, true, nil
}

// reached says whether Reach answers for p: not for admins, nor for staff
// in the "all" mode, who see every company-scope row however unrelated.
func reached(p Principal) bool {
	return !p.admin() && !(p.IsStaff() && !p.partner() && p.CustomerVisibility == VisibilityAll)
}

// companyDrafts is the condition on alias x of t that a row has no
// customer and the company scope: the rows Reach adds for staff.
func companyDrafts(t *RecordTable) string {
	return "x." + t.Customer + " IS NULL AND x." + t.ScopeKind + " IN ('company', '')"
}

// reachDraftsCap is how many company-scope drafts ReachRows counts before
// it takes the planner's estimate of them instead.
const reachDraftsCap = 1000

// ReachRows returns PostgreSQL's estimate of how many IDs the SELECT of
// Reach (for the same p and t, where Reach answers true) returns, for a
// caller weighing whether to start from them: the planner's estimate of
// the lookups of p's relations, plus, for staff, the company-scope drafts
// counted up to reachDraftsCap (the planner's estimate beyond it). The
// planner would multiply the share of the rows without a customer by that
// of the company scope, though drafts are rarely of that scope: on
// 1 000 000 records with none, it put them at 23 000, more than the
// 16 000 rows a staff member in the "assigned" mode reached. On SQLite,
// which gives no estimates, and where Reach answers false, it returns an
// error.
func (e *Engine) ReachRows(ctx context.Context, p Principal, t *RecordTable) (float64, error) {
	if d, err := storage.Of(e.db); err != nil {
		return 0, err
	} else if d != storage.Postgres {
		return 0, errors.New("permission: ReachRows needs PostgreSQL")
	}
	if t.Table == "" {
		return 0, errors.New("permission: ReachRows needs the RecordTable's Table")
	}
	if !reached(p) {
		return 0, errors.New("permission: ReachRows: Reach does not answer for this principal")
	}
	var rows float64
	if parts, args := relatedRows(p, t); len(parts) > 0 {
		n, err := storage.PlanRows(ctx, e.db, e.db.NewSelect().TableExpr("("+strings.Join(parts, " UNION ALL ")+") AS x", args...))
		if err != nil {
			return 0, err
		}
		rows = n
	}
	if p.IsStaff() && !p.partner() {
		drafts := e.db.NewSelect().TableExpr("("+relatedIn(t, companyDrafts(t))+") AS x", p.Tenant)
		n, err := storage.CountUpTo(ctx, e.db, drafts, reachDraftsCap, false)
		if err != nil {
			return 0, err
		}
		rows += float64(n.N)
	}
	return rows, nil
}

// customerSeen is the condition that p, a staff principal who is no admin,
// sees the customer in column customer (of a row whose tenant is in
// column tenant): p is assigned to it, or, as a manager, one of its
// assignees is in a group p manages. The customer visibility setting is
// the caller's to weigh.
func customerSeen(p Principal, customer, tenant string) (string, []any) {
	if p.manager() && len(p.ManagedGroups) > 0 {
		// The assignees are the manager and their groups' members, a list
		// that names the tenant and depends on no row: PostgreSQL reads it
		// once and finds their customers through customer_assignees_user,
		// where a condition on pa.tenant_id had it probe the groups once
		// per assignee row of every tenant.
		return "EXISTS (SELECT 1 FROM customer_assignees pa WHERE pa.tenant_id = " + tenant + " AND pa.customer_id = " + customer +
				" AND pa.tenant_id = ? AND pa.user_id IN (SELECT ? UNION ALL SELECT pg.user_id FROM group_members pg WHERE pg.tenant_id = ? AND pg.group_id IN (?)))",
			[]any{p.Tenant, p.User, p.Tenant, bun.List(p.ManagedGroups)}
	}
	// The tenant named as a value too: when PostgreSQL hashes the
	// subquery (an OR beside it, as in a record's visibility), only that
	// lets it read the principal's rows from customer_assignees_user
	// instead of every tenant's assignees.
	return "EXISTS (SELECT 1 FROM customer_assignees pa WHERE pa.tenant_id = " + tenant + " AND pa.customer_id = " + customer + " AND pa.tenant_id = ? AND pa.user_id = ?)",
		[]any{p.Tenant, p.User}
}

// Unrestricted returns an Authorizer that lets every staff principal do
// everything within their own tenant and customer principals nothing. It
// exists so tests and single-user tools can opt out of the rules
// explicitly; never use it where more than one person works.
func Unrestricted() Authorizer { return unrestricted{} }

type unrestricted struct{}

func (unrestricted) Check(_ context.Context, p Principal, _ Action, obj Object) error {
	var tenant uuid.UUID
	switch o := obj.(type) {
	case *CustomerObject:
		tenant = o.Tenant
	case *RecordObject:
		tenant = o.Tenant
	}
	if !p.IsStaff() || tenant != p.Tenant {
		return ErrNotFound
	}
	return nil
}

func (unrestricted) Predicate(_ context.Context, p Principal, res Resource) (Predicate, error) {
	if !p.IsStaff() {
		return Predicate{SQL: "1 = 0"}, nil
	}
	switch r := res.(type) {
	case *CustomerTable:
		return Predicate{SQL: r.Alias + ".tenant_id = ?", Args: []any{p.Tenant}}, nil
	case *RecordTable:
		return Predicate{SQL: r.Alias + "." + r.Tenant + " = ?", Args: []any{p.Tenant}}, nil
	}
	return Predicate{}, fmt.Errorf("permission: unknown resource %T: %w", res, ErrPermissionDenied)
}
