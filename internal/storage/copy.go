package storage

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Copy encodes rows of values (one row after the other, as Bulk.Exec
// takes them) for PostgreSQL's COPY FROM STDIN into b's table and columns:
// it returns the statement and the data in COPY's text format, which the
// server parses with each column's type, so that the driver that sends it
// needs to know nothing of the types. Values are encoded as Bulk binds
// them: driver.Valuer's value, NULL for nil, t/f for booleans, times in
// RFC 3339 with microseconds; Casts and Suffix do not apply.
func (b BulkInsert) Copy(values []any) (string, *bytes.Buffer, error) {
	cols := len(b.Columns)
	if cols == 0 || len(values)%cols != 0 {
		return "", nil, fmt.Errorf("storage: copy into %s: %d values for %d columns", b.Table, len(values), cols)
	}
	query := "COPY " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") FROM STDIN"
	var data bytes.Buffer
	line := make([]byte, 0, 1024)
	for from := 0; from < len(values); from += cols {
		line = line[:0]
		for j, v := range values[from : from+cols] {
			if j > 0 {
				line = append(line, '\t')
			}
			var err error
			if line, err = copyValue(line, v); err != nil {
				return "", nil, fmt.Errorf("storage: copy into %s.%s: %w", b.Table, b.Columns[j], err)
			}
		}
		line = append(line, '\n')
		data.Write(line)
	}
	return query, &data, nil
}

// copyValue appends v in COPY's text format.
func copyValue(b []byte, v any) ([]byte, error) {
	if vr, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = vr.Value(); err != nil {
			return nil, err
		}
	}
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		return copyEscape(b, x), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case time.Time:
		return x.AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00"), nil
	case []byte:
		return copyEscape(b, `\x`+fmt.Sprintf("%x", x)), nil
	}
	return nil, fmt.Errorf("type %T cannot be copied", v)
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
