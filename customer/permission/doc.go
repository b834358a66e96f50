// Package permission says who is acting and what they may see and do.
//
// # Principals
//
// A Principal travels in the context of every call into a Kiroku engine
// (WithPrincipal). It names the tenant, the user, the kind (staff or
// customer portal account), the roles, the org units and groups the user
// belongs to, the groups they manage, and the tenant's customer visibility
// setting. Directory.Principal builds one from the directory; an
// application that keeps its own directory fills the struct itself (it
// still syncs other users' group memberships and the org tree into the
// directory if it wants the manager and org-unit rules to work).
//
// Engines call Require first: a context without a principal, or with one
// whose tenant or user is the zero UUID, fails with ErrUnauthenticated.
//
// # The directory
//
// Directory stores tenants (name, time zone, customer visibility), staff
// users (roles, active flag, the embedding application's external ID for
// synchronisation with SaveUser), the org tree (one company → branches →
// departments, kept with a closure table so "this unit's subtree" is one
// indexed lookup), flat groups with managers, and memberships. It is a
// trusted handle and checks no principal.
//
// # Rules
//
// Roles: admin (everything in the tenant), manager, staff, partner
// (関連業者: an outside contractor with a narrower view).
//
// Customers. With the tenant's visibility "all" every staff member sees
// every customer; with "assigned" staff see customers they are assigned
// to and managers also those assigned to members of groups they manage.
// Admins see all; partners only customers assigned to them (in both
// modes); a customer principal only its own customer. Creating, editing,
// deleting and exporting is for staff other than partners (on customers
// they see). Reassigning (担当変更): admins, and managers when every assignee
// removed or added is a member of a group they manage (assignees who stay
// are not affected). Unlocking a portal
// account: its assignees, their managers, admins.
//
// Records (and anything else with an author and a Scope). The author and
// the record's people (responders, participants, report-to recipients)
// always see it; so do admins, and managers for records authored by
// members of groups they manage. Everyone else sees it when the scope lets
// them: company (everyone), org units (members of those units or units in
// their subtrees), groups (members), users (those named). An empty target
// list admits nobody. The scope shows a record only to those who see its
// customer: with visibility "assigned", a record about a customer hidden
// from a staff member is hidden from them too unless they are named on it
// or manage its author (the memolog rule: outside the customer's group
// one can neither view nor edit). Partners never see confidential records
// (e.g. 商談), not even those they wrote before they became partners, and
// see others only for customers assigned to them (non-confidential records
// they wrote excepted). A customer principal sees only records of its own
// customer that are shared with it. Editing, deleting and sharing: the
// author, the people, managers of the author's groups, admins. Commenting:
// staff who see the record. Reading the private memo (非公開メモ,
// ActionReadPrivateMemo) and exporting records: staff other than partners,
// on the records they see; customer principals never.
//
// Invisible means absent: Check answers ErrNotFound (not
// ErrPermissionDenied) for an object the principal may not see, and lists,
// counts and searches never include it.
//
// # One rule set, two outputs
//
// Engine implements Authorizer: Check decides about one object, Predicate
// returns the SQL condition that restricts a table (CustomerTable,
// RecordTable) to what the principal may view, on both dialects. Engines
// filter every read with Predicate — never fetch-then-filter — and Check
// every write. Both methods encode the same rules; the model-based test
// compares them with an independent oracle on random organisations.
// Engine.Related (Relater) is a third output of the same rules for records:
// the rows related to a principal — authored, naming them, scoped to them,
// their groups or units, their customers — as a union of index lookups, a
// superset of every row they see but the company-scope rows they would see
// unrelated; a query that has those from elsewhere (the report engine's
// record summary) reads the rest starting from it. A table that keeps each
// row under each assignee of its customer (RecordTable.AssigneesTable,
// contactlog's contact_record_assignees) gives the customers' rows as one
// index range per assignee. Engine.Reach (Reacher)
// is that union where it misses nothing the principal sees — for
// partners, customer principals and staff in the "assigned" mode (with
// the company-scope drafts added) —, so that a search can start from it
// (contactlog does when the planner's estimates favour it; ReachRows is
// the estimate of its size, with the company-scope drafts counted). The
// model-based test checks both.
// Engines refuse to start without an Authorizer; Unrestricted is the
// explicit opt-out for tests and single-user tools.
//
// # Audit
//
// Audit appends who did what to which object and when to the audit log,
// in the caller's transaction so the entry commits with the change. Reads
// of personal data (viewing a customer, exporting) are logged too. The log
// is append-only: the database refuses updates and deletes. AuditLog
// queries it by object, actor and period (admins only).
package permission
