// Package validation is the vocabulary every Kiroku engine uses to report
// bad input: one Error listing every problem of one input at once, each
// problem a FieldError naming the field and a stable code.
//
// Every engine (customer, contactlog, contactlog/template, the plugin host)
// returns the same *Error type, so one errors.As works whichever package
// failed:
//
//	var ve *validation.Error
//	if errors.As(err, &ve) {
//		for _, f := range ve.Fields {
//			// f.Field: "family_kana", "custom.care_level", "rows[3].email" …
//			// f.Code:  one of the Code constants
//			// f.Param: the limit, range or offending value, or ""
//		}
//	}
//
// An *Error matches ErrInvalid with errors.Is (the sentinel every engine
// re-exports), so code that only needs "was the input bad?" checks that.
//
// Codes are stable strings, part of the API: they are what a user interface
// maps to its own words (the example server's Japanese message catalog
// does) and what a JSON client receives. Compare them with the Code
// constants rather than string literals. Engines never put UI prose in an
// Error.
package validation

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// ErrInvalid is the sentinel an *Error matches with errors.Is; it is the
// ErrInvalid every engine re-exports (customer.ErrInvalid, …).
var ErrInvalid = kerr.ErrInvalid

// The stable codes of FieldError.Code. Param, where noted, qualifies them.
const (
	CodeRequired    = "required"     // a value is needed
	CodeTooLong     = "too_long"     // longer than Param characters
	CodeFormat      = "format"       // not in a recognised format; also text that is not valid UTF-8 or holds a NUL or control character (see ValidText)
	CodeNotKana     = "not_kana"     // a reading must be katakana or hiragana
	CodeBadDate     = "invalid_date" // no such calendar day
	CodeOutsideEra  = "outside_era"  // a valid day, but not within the named era
	CodeOutOfRange  = "out_of_range" // outside Param (e.g. "1900..2026")
	CodeUnknown     = "unknown"      // not one of the allowed values or keys; Param: the value
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
	// Field is the input field's stable name, e.g. "family_kana",
	// "custom.care_level" or "messages[2].topic".
	Field string `json:"field"`
	// Code is one of the Code constants (a plugin may add codes of its
	// own).
	Code string `json:"code"`
	// Param qualifies the code: the limit for too_long, the range for
	// out_of_range, the offending value for unknown. May be empty.
	Param string `json:"param,omitempty"`
}

// Error lists every field problem of one input at once. It matches
// ErrInvalid with errors.Is. The zero value is an empty list, ready for Add;
// Err turns it into an error only when it holds problems.
type Error struct {
	Fields []FieldError `json:"fields"`
}

// ValidText reports whether s is text an engine accepts: valid UTF-8
// without a NUL byte or any other control character (C0, DEL, C1) — except
// tab and line breaks (\t, \n, \r) when multiline is set, for memos and
// other multi-line fields.
func ValidText(s string, multiline bool) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\t' || r == '\n' || r == '\r'))
	})
}

// CheckText adds a CodeFormat problem for field unless ValidText(s,
// multiline), and reports whether s passed.
func (e *Error) CheckText(field, s string, multiline bool) bool {
	if ValidText(s, multiline) {
		return true
	}
	e.Add(field, CodeFormat, "")
	return false
}

// Add records a problem.
func (e *Error) Add(field, code, param string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code, Param: param})
}

// Has reports whether a problem with the field (and code, when code is not
// empty) was recorded.
func (e *Error) Has(field, code string) bool {
	for _, f := range e.Fields {
		if f.Field == field && (code == "" || f.Code == code) {
			return true
		}
	}
	return false
}

// Err returns e when it holds problems, and nil (an untyped nil error, not
// a nil *Error) otherwise.
func (e *Error) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Error lists the problems as "field: code" pairs, each followed by its
// Param in parentheses when it has one:
// "invalid: family_name: required; memo: too_long (10000)".
func (e *Error) Error() string {
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

// Is makes an *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
