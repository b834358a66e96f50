// Package kerr defines the error sentinels shared by every Kiroku engine;
// field problems are reported with customer/validation.
//
// The sentinels are defined here once; each public package re-exports them
// (customer.ErrNotFound == kerr.ErrNotFound), so callers match with errors.Is
// against whichever package they import. Errors carry stable codes, never UI
// prose: the example server turns codes into Japanese messages.
package kerr

import "errors"

// Sentinel errors. Engines wrap them with context ("customer: get %s: %w").
var (
	// ErrNotFound: the object does not exist, is in another tenant, or is
	// invisible to the principal. The three cases are deliberately
	// indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stale version (optimistic locking) or a uniqueness clash.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed. A *validation.Error
	// (customer/validation) matches it.
	ErrInvalid = errors.New("invalid")
	// ErrPermissionDenied: the principal may see the object but not do this.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrUnauthenticated: no principal travels in the context.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUnavailable: a component the operation needs (a plugin) is not
	// running or did not answer sensibly; retrying later may succeed.
	ErrUnavailable = errors.New("unavailable")
)
