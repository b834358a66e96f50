package csvio

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/japanese"
)

// row is one result of Reader.Read in test expectations: either a record or
// a parse error.
type row struct {
	Line   int
	Fields []string
	// For parse errors:
	Err       error // sentinel the ParseError wraps; nil for a record
	StartLine int
	Column    int
}

// rec builds an expected record.
func rec(line int, fields ...string) row { return row{Line: line, Fields: fields} }

// perr builds an expected parse error whose record starts on the error line.
func perr(line, col int, err error) row {
	return row{Line: line, Column: col, StartLine: line, Err: err}
}

// readRows reads input to the end and returns every record and parse error;
// any other error ends the reading and is returned.
func readRows(t *testing.T, input []byte, opts *ReaderOptions) ([]row, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(input), opts)
	require.NoError(t, err)
	var rows []row
	for {
		rc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			require.Equal(t, Record{}, rc)
			sentinel := pe.Err
			for _, s := range []error{ErrBareQuote, ErrUnescapedQuote, ErrUnterminatedQuote, ErrFieldTooLong, ErrTooManyFields} {
				if errors.Is(pe, s) {
					sentinel = s
				}
			}
			rows = append(rows, row{Line: pe.Line, Column: pe.Column, StartLine: pe.StartLine, Err: sentinel})
			continue
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row{Line: rc.Line, Fields: rc.Fields})
	}
}

// sjis encodes s as Shift_JIS, failing the test if it cannot.
func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}
