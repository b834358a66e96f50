package storage

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// CopyIn encodes rows, a slice of bun models of one table, for PostgreSQL's
// COPY FROM STDIN: it returns the statement (every column of the model, as
// an INSERT of the model writes them) and the data in COPY's text format,
// which the server parses with each column's type, so that the driver that
// sends it needs to know nothing of the types. Values are encoded as bun
// binds them: driver.Valuer's value, NULL for nil pointers and maps, JSON
// for maps and for fields typed jsonb, t/f for booleans, times in RFC 3339
// with microseconds.
func CopyIn[T any](db bun.IDB, rows []T) (string, *bytes.Buffer, error) {
	table := db.Dialect().Tables().Get(reflect.TypeFor[T]())
	var q strings.Builder
	q.WriteString("COPY " + string(table.SQLName) + " (")
	for i, f := range table.Fields {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(string(f.SQLName))
	}
	q.WriteString(") FROM STDIN")
	// Whether each field's type (or the type it points to) is a
	// driver.Valuer, found once.
	valuer := make([]bool, len(table.Fields))
	for j, f := range table.Fields {
		t := f.StructField.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		valuer[j] = t.Implements(valuerType)
	}
	var data bytes.Buffer
	var b []byte
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		b = b[:0]
		for j, f := range table.Fields {
			if j > 0 {
				b = append(b, '\t')
			}
			var err error
			if b, err = copyValue(b, f, f.Value(v), valuer[j]); err != nil {
				return "", nil, fmt.Errorf("storage: copy %s.%s: %w", table.Name, f.Name, err)
			}
		}
		b = append(b, '\n')
		data.Write(b)
	}
	return q.String(), &data, nil
}

var valuerType = reflect.TypeFor[driver.Valuer]()

// copyValue appends v, the value of field f, in COPY's text format; valuer
// tells whether v (or what it points to) is a driver.Valuer.
func copyValue(b []byte, f *schema.Field, v reflect.Value, valuer bool) ([]byte, error) {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map || v.Kind() == reflect.Interface) && v.IsNil() {
		return append(b, `\N`...), nil
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if f.UserSQLType == "jsonb" || f.UserSQLType == "json" || v.Kind() == reflect.Map {
		j, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, err
		}
		return copyEscape(b, string(j)), nil
	}
	x := v.Interface()
	if valuer {
		var err error
		if x, err = x.(driver.Valuer).Value(); err != nil {
			return nil, err
		}
		if x == nil {
			return append(b, `\N`...), nil
		}
		v = reflect.ValueOf(x)
	}
	if t, ok := x.(time.Time); ok {
		return t.AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00"), nil
	}
	switch v.Kind() {
	case reflect.String:
		return copyEscape(b, v.String()), nil
	case reflect.Bool:
		if v.Bool() {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64), nil
	case reflect.Slice:
		if s, ok := x.([]byte); ok {
			return copyEscape(b, `\x`+fmt.Sprintf("%x", s)), nil
		}
	}
	return nil, fmt.Errorf("type %s cannot be copied", v.Type())
}

// copyEscape appends s escaped for COPY's text format.
func copyEscape(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
