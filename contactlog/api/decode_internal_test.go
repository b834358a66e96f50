package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
)

type decodeLine struct {
	Item   string `json:"item"`
	Amount int64  `json:"amount"`
}

type decodeTrip struct {
	Lines []decodeLine `json:"lines"`
}

type decodeBody struct {
	Name     string                `json:"name"`
	Birthday date.Date             `json:"birthday"`
	Staff    []uuid.UUID           `json:"staff"`
	Lines    []decodeLine          `json:"lines"`
	Trips    []decodeTrip          `json:"trips"`
	Grid     [][]int               `json:"grid"`
	Limits   map[string]int        `json:"limits"`
	ByKey    map[string]decodeLine `json:"by_key"`
	Main     *decodeLine           `json:"main"`
	Extra    map[string]any        `json:"extra"`
}

// TestDecodeNamesNestedPaths: a value that does not fit, at any depth, is
// a 422 naming its full path; several at once are all named.
func TestDecodeNamesNestedPaths(t *testing.T) {
	t.Parallel()
	fe := func(field, code, param string) validation.FieldError {
		return validation.FieldError{Field: field, Code: code, Param: param}
	}
	for _, tc := range []struct {
		name, body string
		want       []validation.FieldError
	}{
		{"top-level wrong type", `{"name":1}`, []validation.FieldError{fe("name", "wrong_type", "number")}},
		{"array element field", `{"lines":[{"item":"a","amount":1},{"item":"b","amount":"千円"}]}`,
			[]validation.FieldError{fe("lines[1].amount", "wrong_type", "string")}},
		{"unknown property in an element", `{"lines":[{"item":"a","fare":3}]}`,
			[]validation.FieldError{fe("lines[0].fare", "unknown", "")}},
		{"array where an object goes", `{"lines":[["a"]]}`, []validation.FieldError{fe("lines[0]", "wrong_type", "array")}},
		{"object where an array goes", `{"lines":{"item":"a"}}`, []validation.FieldError{fe("lines", "wrong_type", "object")}},
		{"array in an array in an array", `{"trips":[{"lines":[]},{"lines":[{"amount":1},{"amount":true}]}]}`,
			[]validation.FieldError{fe("trips[1].lines[1].amount", "wrong_type", "bool")}},
		{"array of arrays", `{"grid":[[1,2],[3,"4"]]}`, []validation.FieldError{fe("grid[1][1]", "wrong_type", "string")}},
		{"map value", `{"limits":{"a":1,"b":"x"}}`, []validation.FieldError{fe("limits.b", "wrong_type", "string")}},
		{"struct in a map", `{"by_key":{"k":{"amount":-1.5}}}`, []validation.FieldError{fe("by_key.k.amount", "wrong_type", "number")}},
		{"pointer to a struct", `{"main":{"item":2}}`, []validation.FieldError{fe("main.item", "wrong_type", "number")}},
		{"text value of an element", `{"staff":["` + uuid.NewString() + `","山田"]}`,
			[]validation.FieldError{fe("staff[1]", "format", "")}},
		{"era date", `{"birthday":"平成1年1月7日"}`, []validation.FieldError{fe("birthday", "outside_era", "")}},
		{"several at once, in property order", `{"name":[],"lines":[{"amount":"1"}],"grid":[["x"]],"nick":"a"}`,
			[]validation.FieldError{fe("grid[0][0]", "wrong_type", "string"), fe("lines[0].amount", "wrong_type", "string"),
				fe("name", "wrong_type", "array"), fe("nick", "unknown", "")}},
		{"case-insensitive property", `{"LINES":[{"Amount":"1"}]}`, []validation.FieldError{fe("LINES[0].Amount", "wrong_type", "string")}},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
		var v decodeBody
		err := DecodeJSON(httptest.NewRecorder(), r, &v)
		var ve *validation.Error
		require.True(t, errors.As(err, &ve), "%s: %v", tc.name, err)
		require.Equal(t, tc.want, ve.Fields, tc.name)
	}
	for _, body := range []string{`[]`, `"x"`, `{"lines":[`, `{"extra":{"any":[1,"x",{}]}} {}`} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		var v decodeBody
		err := DecodeJSON(httptest.NewRecorder(), r, &v)
		var ae *Error
		require.True(t, errors.As(err, &ae), "%s: %v", body, err)
		require.Equal(t, http.StatusBadRequest, ae.Status, body)
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"extra":{"any":[1,"x",{}]},"lines":[{"amount":2}]}`))
	var v decodeBody
	require.NoError(t, DecodeJSON(httptest.NewRecorder(), r, &v))
	require.Equal(t, int64(2), v.Lines[0].Amount)
}
