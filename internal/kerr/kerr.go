// Package kerr defines the error vocabulary shared by every Kiroku engine.
//
// The sentinels are defined here once; each public package re-exports them
// (customer.ErrNotFound == kerr.ErrNotFound), so callers match with errors.Is
// against whichever package they import. Errors carry stable codes, never UI
// prose: the example server turns codes into Japanese messages.
package kerr

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Engines wrap them with context ("customer: get %s: %w").
var (
	// ErrNotFound: the object does not exist, is in another tenant, or is
	// invisible to the principal. The three cases are deliberately
	// indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stale version (optimistic locking) or a uniqueness clash.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed. A *ValidationError matches it.
	ErrInvalid = errors.New("invalid")
	// ErrPermissionDenied: the principal may see the object but not do this.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrUnauthenticated: no principal travels in the context.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUnavailable: a component the operation needs (a plugin) is not
	// running or did not answer sensibly; retrying later may succeed.
	ErrUnavailable = errors.New("unavailable")
)

// Stable field-problem codes used in FieldError.Code.
const (
	CodeRequired    = "required"     // a value is needed
	CodeTooLong     = "too_long"     // longer than Param characters
	CodeFormat      = "format"       // not in a recognised format
	CodeNotKana     = "not_kana"     // a reading must be katakana or hiragana
	CodeBadDate     = "invalid_date" // no such calendar day
	CodeOutsideEra  = "outside_era"  // a valid day, but not within the named era
	CodeOutOfRange  = "out_of_range" // outside Param (e.g. "1900..2026")
	CodeUnknown     = "unknown"      // not one of the allowed values or keys
	CodeDuplicate   = "duplicate"    // clashes with another value
	CodeNotAllowed  = "not_allowed"  // not allowed for this kind of object
	CodeWrongType   = "wrong_type"   // a custom field value of the wrong type
	CodeInvalidUUID = "invalid_id"   // not a valid identifier
	CodeNotCSV      = "not_csv"      // an uploaded file is not CSV (xlsx, image, …)
	CodeEncoding    = "encoding"     // text in an encoding Kiroku does not read
	CodeTooLarge    = "too_large"    // a file over Param bytes
	CodeTooMany     = "too_many"     // more than Param rows or items
	CodeRejected    = "rejected"     // the database refused a row that passed validation
)

// FieldError is one problem with one input field.
type FieldError struct {
	// Field is the input field's stable name, e.g. "family_kana" or
	// "custom.care_level".
	Field string `json:"field"`
	// Code is one of the Code* constants.
	Code string `json:"code"`
	// Param qualifies the code: the limit for too_long, the range for
	// out_of_range, the offending value for unknown. May be empty.
	Param string `json:"param,omitempty"`
}

// ValidationError lists every field problem of one input at once.
// It matches ErrInvalid with errors.Is.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

// Add records a problem.
func (e *ValidationError) Add(field, code, param string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code, Param: param})
}

// Has reports whether a problem with the field (and code, when code is not
// empty) was recorded.
func (e *ValidationError) Has(field, code string) bool {
	for _, f := range e.Fields {
		if f.Field == field && (code == "" || f.Code == code) {
			return true
		}
	}
	return false
}

// Err returns e when it holds problems, nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Error lists the problems as "field: code" pairs.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		if f.Param != "" {
			parts[i] = fmt.Sprintf("%s: %s (%s)", f.Field, f.Code, f.Param)
		} else {
			parts[i] = f.Field + ": " + f.Code
		}
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Is makes a *ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }
