// Package msg is the example server's one Japanese message catalog: every
// string the UI and the API show to people lives here, keyed by a stable
// name. Library errors carry codes (validation.Code*); Field turns a field problem
// into a sentence.
package msg

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kirokuhq/kiroku/customer/validation"
)

// T returns the message key names, formatted with args (fmt verbs) when
// given. An unknown key returns "[key]", which the catalog test catches.
func T(key string, args ...any) string {
	s, ok := ja[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has tells whether key is in the catalog.
func Has(key string) bool {
	_, ok := ja[key]
	return ok
}

// Keys lists the catalog's keys, sorted (tests).
func Keys() []string {
	out := make([]string, 0, len(ja))
	for k := range ja {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Field returns the sentence for one field problem: "code.<code>" with the
// problem's parameter, if any.
func Field(fe validation.FieldError) string {
	key := "code." + fe.Code
	if !Has(key) {
		key = "code.invalid"
	}
	s := ja[key]
	if strings.Contains(s, "%s") {
		return fmt.Sprintf(s, fe.Param)
	}
	return s
}
