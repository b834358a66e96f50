package storage

import (
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Copy returns the statement of a COPY FROM STDIN into b's table and
// columns, and its data: rows of values (one row after the other, as
// Bulk.Exec takes them) in COPY's text format, which the server parses
// with each column's type, so that the driver that sends it needs to know
// nothing of the types. Values are encoded as Bulk binds them:
// driver.Valuer's value, NULL for nil, t/f for booleans, times in RFC 3339
// with microseconds; Casts and Suffix do not apply.
//
// The data is encoded as it is read, so that a driver sending it in
// chunks has the server parse one chunk while the next is encoded. A value
// that cannot be encoded stops the data with an error (CopyData.Err); the
// rows before it may already have been sent, so the caller's COPY must
// fail with it.
func (b BulkInsert) Copy(values []any) (string, *CopyData, error) {
	cols := len(b.Columns)
	if cols == 0 || len(values)%cols != 0 {
		return "", nil, fmt.Errorf("storage: copy into %s: %d values for %d columns", b.Table, len(values), cols)
	}
	query := "COPY " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") FROM STDIN"
	return query, &CopyData{spec: b, values: values}, nil
}

// CopyData is the data of a COPY, from BulkInsert.Copy: an io.Reader that
// encodes a row when its reader has taken the rows before it.
type CopyData struct {
	spec    BulkInsert
	values  []any
	next    int    // the first value of the next row to encode
	line    []byte // the last row encoded
	pending []byte // the part of line not yet read
	scratch []byte // a value before it is escaped
	err     error
}

// Read reads the next rows, encoding them; it returns io.EOF after the
// last row and Err's error once a value could not be encoded.
func (d *CopyData) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(d.pending) == 0 {
			switch {
			case d.err != nil && n == 0:
				return 0, d.err
			case d.err != nil:
				return n, nil
			case d.next == len(d.values) && n == 0:
				return 0, io.EOF
			case d.next == len(d.values):
				return n, nil
			}
			d.encodeRow()
			continue
		}
		c := copy(p[n:], d.pending)
		d.pending = d.pending[c:]
		n += c
	}
	return n, nil
}

// Err is the error that stopped the data, nil if every value was encoded
// (or none was read yet).
func (d *CopyData) Err() error { return d.err }

// encodeRow encodes the next row into d.pending, or sets d.err.
func (d *CopyData) encodeRow() {
	cols := len(d.spec.Columns)
	line := d.line[:0]
	for j, v := range d.values[d.next : d.next+cols] {
		if j > 0 {
			line = append(line, '\t')
		}
		var err error
		if line, err = d.appendValue(line, v); err != nil {
			d.err = fmt.Errorf("storage: copy into %s.%s: %w", d.spec.Table, d.spec.Columns[j], err)
			return
		}
	}
	d.line = append(line, '\n')
	d.pending = d.line
	d.next += cols
}

// appendValue appends v in COPY's text format.
func (d *CopyData) appendValue(b []byte, v any) ([]byte, error) {
	// The types an import writes most, without a string in between.
	switch x := v.(type) {
	case uuid.UUID:
		return appendUUID(b, x), nil
	case Grams:
		d.scratch = x.appendLiteral(d.scratch[:0])
		return copyEscape(b, d.scratch), nil
	}
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
		d.scratch = hex.AppendEncode(append(d.scratch[:0], `\x`...), x)
		return copyEscape(b, d.scratch), nil
	}
	return nil, fmt.Errorf("type %T cannot be copied", v)
}

// appendUUID appends u in its canonical form, as uuid.UUID.String.
func appendUUID(b []byte, u uuid.UUID) []byte {
	b = hex.AppendEncode(b, u[0:4])
	for _, part := range [][]byte{u[4:6], u[6:8], u[8:10], u[10:16]} {
		b = hex.AppendEncode(append(b, '-'), part)
	}
	return b
}

// copyEscape appends s escaped for COPY's text format.
func copyEscape[S string | []byte](b []byte, s S) []byte {
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
