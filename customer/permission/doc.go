// Package permission says who is acting and what they may do.
//
// A Principal travels in the context of every call into a Kiroku engine:
//
//	ctx = permission.WithPrincipal(ctx, permission.Principal{
//		Tenant: tenantID, User: userID, Kind: permission.Staff,
//		Roles: []permission.Role{permission.RoleStaff},
//	})
//
// Engines call Require first: a context without a principal, or with one
// whose tenant or user is the zero UUID, fails with ErrUnauthenticated.
// Every query an engine runs is scoped by the principal's tenant; no call can
// reach another tenant's rows.
//
// Roles: admin (everything in the tenant), manager (reassigns customers,
// manages groups), staff (the everyday user), partner (関連業者, an outside
// contractor with a narrower view). Kind tells staff from customer
// principals (portal accounts); customer principals may not use the staff
// engines at all.
package permission
