// Package enginecheck lets the first-party plugins' tests treat a
// contributed template the way the record engine does: as a
// template.Template that must pass template.Check, whose Validate
// normalizes the values a plugin then receives in their JSON form. It is
// for tests only; the plugins themselves import the SDK alone.
package enginecheck

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Template converts a contributed template into the engine's definition
// (version 1) and fails the test unless it passes template.Check.
func Template(t testing.TB, st sdk.Template) template.Template {
	t.Helper()
	tpl := contrib.Template(st)
	require.NoError(t, tpl.Check(), "template %s", st.Key)
	return tpl
}

// Values validates values with tpl in the zone loc, fails the test on a
// problem, and returns the normalized values in their JSON form, as the
// host hands them to a plugin.
func Values(t testing.TB, tpl template.Template, values map[string]any, loc *time.Location) map[string]any {
	t.Helper()
	normalized, problems := tpl.Validate(values, loc)
	require.Nil(t, problems)
	b, err := json.Marshal(normalized)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
