package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestReadValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []row
	}{
		{"CRLF", "a,b,c\r\n1,2,3\r\n", []row{rec(1, "a", "b", "c"), rec(2, "1", "2", "3")}},
		{"LF", "a,b\n1,2\n", []row{rec(1, "a", "b"), rec(2, "1", "2")}},
		{"lone CR", "a,b\r1,2\r", []row{rec(1, "a", "b"), rec(2, "1", "2")}},
		{"mixed line endings", "a\r\nb\nc\rd", []row{rec(1, "a"), rec(2, "b"), rec(3, "c"), rec(4, "d")}},
		{"no trailing newline", "a,b\n1,2", []row{rec(1, "a", "b"), rec(2, "1", "2")}},
		{"blank lines skipped", "\n\na,b\r\n\r\n\r\nc\n\n", []row{rec(3, "a", "b"), rec(6, "c")}},
		{"empty input", "", nil},
		{"only line breaks", "\r\n\n\r\r\n", nil},
		{"quoted comma and quotes", `"a,b","say ""hi""",c`, []row{rec(1, "a,b", `say "hi"`, "c")}},
		{"quoted CRLF becomes LF", "\"x\r\ny\",z\r\nnext\r\n", []row{rec(1, "x\ny", "z"), rec(3, "next")}},
		{"quoted CR and LF become LF", "\"x\ry\nz\"\rq", []row{rec(1, "x\ny\nz"), rec(4, "q")}},
		{"quoted blank lines are kept", "\"a\n\n\nb\"\nc", []row{rec(1, "a\n\n\nb"), rec(5, "c")}},
		{"differing field counts", "a\nb,c,d\n,\n", []row{rec(1, "a"), rec(2, "b", "c", "d"), rec(3, "", "")}},
		{"trailing comma", "a,\n", []row{rec(1, "a", "")}},
		{"trailing comma at EOF", "a,", []row{rec(1, "a", "")}},
		{"empty quoted fields", `"",""`, []row{rec(1, "", "")}},
		{"single empty quoted field", "\"\"\r\n", []row{rec(1, "")}},
		{"spaces are kept", " a , b \n", []row{rec(1, " a ", " b ")}},
		{"line of spaces is a record", "  \nx", []row{rec(1, "  "), rec(2, "x")}},
		{"quoted field at EOF", `"abc"`, []row{rec(1, "abc")}},
		{"quoted field then CRLF", "\"abc\"\r\n\"d\"\r\n", []row{rec(1, "abc"), rec(2, "d")}},
		{"japanese", "氏名,住所\n山田 太郎,東京都千代田区１－２\n", []row{rec(1, "氏名", "住所"), rec(2, "山田 太郎", "東京都千代田区１－２")}},
		{"bom is stripped", "\xEF\xBB\xBFa,b\r\nc\r\n", []row{rec(1, "a", "b"), rec(2, "c")}},
		{"quote inside unquoted japanese is fine when doubled in quotes", `"5""型",x`, []row{rec(1, `5"型`, "x")}},
		{"tab separated is one field", "a\tb\n", []row{rec(1, "a\tb")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, err := readRows(t, []byte(tt.in), nil)
			require.NoError(t, err)
			require.Equal(t, tt.want, rows)
		})
	}
}

func TestReadMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []row
	}{
		{
			name: "bare quote",
			in:   "a,b\"c,d\nx,y\n",
			want: []row{perr(1, 4, ErrBareQuote), rec(2, "x", "y")},
		},
		{
			name: "quote after leading space",
			in:   "a, \"b\"\nx\n",
			want: []row{perr(1, 4, ErrBareQuote), rec(2, "x")},
		},
		{
			name: "text after closing quote",
			in:   "\"ab\"c,d\nx\n",
			want: []row{perr(1, 4, ErrUnescapedQuote), rec(2, "x")},
		},
		{
			name: "unterminated quote resumes after its line",
			in:   "a,\"bc\nx,y\nz\n",
			want: []row{perr(1, 3, ErrUnterminatedQuote), rec(2, "x", "y"), rec(3, "z")},
		},
		{
			name: "unterminated quote on last line",
			in:   "a\nb,\"c",
			want: []row{rec(1, "a"), perr(2, 3, ErrUnterminatedQuote)},
		},
		{
			name: "unterminated quote in a multi-line record",
			in:   "\"a\nb\",\"c\nx\n",
			want: []row{{StartLine: 1, Line: 2, Column: 4, Err: ErrUnterminatedQuote}, rec(3, "x")},
		},
		{
			name: "text after quote of a multi-line field",
			in:   "\"a\r\nb\"x,c\r\nnext\r\n",
			want: []row{{StartLine: 1, Line: 2, Column: 2, Err: ErrUnescapedQuote}, rec(3, "next")},
		},
		{
			name: "column counts characters not bytes",
			in:   "山田,太\"郎\n次\n",
			want: []row{perr(1, 5, ErrBareQuote), rec(2, "次")},
		},
		{
			name: "several bad rows among good ones",
			in:   "ok1\nbad\"\nok2\n\"bad\"x\nok3",
			want: []row{rec(1, "ok1"), perr(2, 4, ErrBareQuote), rec(3, "ok2"), perr(4, 5, ErrUnescapedQuote), rec(5, "ok3")},
		},
		{
			name: "line numbers count blank lines and CRLF once",
			in:   "a\r\n\r\nb\"\r\nc",
			want: []row{rec(1, "a"), perr(3, 2, ErrBareQuote), rec(4, "c")},
		},
		{
			name: "lone CR line endings",
			in:   "a\rb\"\rc",
			want: []row{rec(1, "a"), perr(2, 2, ErrBareQuote), rec(3, "c")},
		},
		{
			name: "stray quote swallows lines up to the next quote",
			in:   "a,\"b\nc\nd,\"e\"\nf\n",
			want: []row{{StartLine: 1, Line: 3, Column: 3, Err: ErrUnescapedQuote}, rec(4, "f")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, err := readRows(t, []byte(tt.in), nil)
			require.NoError(t, err)
			require.Equal(t, tt.want, rows)
		})
	}
}

func TestParseErrorShiftJISColumn(t *testing.T) {
	t.Parallel()
	in := sjis(t, "名前,住所\r\n山田,太\"郎\r\n髙橋,東京\r\n")
	rows, err := readRows(t, in, nil)
	require.NoError(t, err)
	require.Equal(t, []row{rec(1, "名前", "住所"), perr(2, 5, ErrBareQuote), rec(3, "髙橋", "東京")}, rows)
}

func TestParseErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *ParseError
		want string
	}{
		{"single line", &ParseError{StartLine: 3, Line: 3, Column: 7, Err: ErrBareQuote}, `csvio: line 3, column 7: bare " in unquoted field`},
		{"wrapped limit", &ParseError{StartLine: 1, Line: 1, Column: 6, Err: fmt.Errorf("%w (limit 4 bytes)", ErrFieldTooLong)}, "csvio: line 1, column 6: field too long (limit 4 bytes)"},
		{"multi line", &ParseError{StartLine: 3, Line: 5, Column: 2, Err: ErrUnescapedQuote}, `csvio: record on line 3: line 5, column 2: " inside quoted field must be doubled ("")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.err.Error())
			var err error = tt.err
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, tt.err.Err)
		})
	}
}

func TestReaderLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		opts    ReaderOptions
		want    []row
		wantErr error
	}{
		{
			name: "field at the limit",
			in:   "abcd,\"ab\"\"c\",山田\n",
			opts: ReaderOptions{MaxFieldBytes: 6},
			want: []row{rec(1, "abcd", `ab"c`, "山田")},
		},
		{
			name: "unquoted field too long",
			in:   "abcd,abcde\nx\n",
			opts: ReaderOptions{MaxFieldBytes: 4},
			want: []row{perr(1, 6, ErrFieldTooLong), rec(2, "x")},
		},
		{
			name: "multibyte field too long",
			in:   "山田太\nx\n",
			opts: ReaderOptions{MaxFieldBytes: 6},
			want: []row{perr(1, 1, ErrFieldTooLong), rec(2, "x")},
		},
		{
			name: "quoted field too long at closing quote",
			in:   "a,\"abcde\"\nx\n",
			opts: ReaderOptions{MaxFieldBytes: 4},
			want: []row{perr(1, 3, ErrFieldTooLong), rec(2, "x")},
		},
		{
			name: "quoted field too long because of escaped quote",
			in:   "\"ab\"\"cd\"\nx\n",
			opts: ReaderOptions{MaxFieldBytes: 4},
			want: []row{perr(1, 1, ErrFieldTooLong), rec(2, "x")},
		},
		{
			name: "quoted multi-line field too long is skipped whole",
			in:   "\"abcde\nf,g\nh\",i\nx\n",
			opts: ReaderOptions{MaxFieldBytes: 4},
			want: []row{perr(1, 1, ErrFieldTooLong), rec(4, "x")},
		},
		{
			name: "escaped quotes after the limit are skipped correctly",
			in:   "\"abcdef\"\"\"\"x\",1\nnext\n",
			opts: ReaderOptions{MaxFieldBytes: 4},
			want: []row{perr(1, 1, ErrFieldTooLong), rec(2, "next")},
		},
		{
			name: "long quoted field without closing quote",
			in:   "\"abcdefgh\nx\ny",
			opts: ReaderOptions{MaxFieldBytes: 4},
			want: []row{perr(1, 1, ErrUnterminatedQuote), rec(2, "x"), rec(3, "y")},
		},
		{
			name: "too many fields",
			in:   "a,b,c\na,b,c,d\nx",
			opts: ReaderOptions{MaxFields: 3},
			want: []row{rec(1, "a", "b", "c"), perr(2, 7, ErrTooManyFields), rec(3, "x")},
		},
		{
			name: "records at the limit then blank lines",
			in:   "a\nb\n\n\r\n",
			opts: ReaderOptions{MaxRecords: 2},
			want: []row{rec(1, "a"), rec(2, "b")},
		},
		{
			name:    "too many records",
			in:      "a\nb\n\nc\n",
			opts:    ReaderOptions{MaxRecords: 2},
			want:    []row{rec(1, "a"), rec(2, "b")},
			wantErr: ErrTooManyRecords,
		},
		{
			name:    "malformed rows count as records",
			in:      "a\"\nb\n",
			opts:    ReaderOptions{MaxRecords: 1},
			want:    []row{perr(1, 2, ErrBareQuote)},
			wantErr: ErrTooManyRecords,
		},
		{
			name: "negative limits mean defaults",
			in:   "a,b\n",
			opts: ReaderOptions{MaxBytes: -1, MaxRecords: -1, MaxFieldBytes: -1, MaxFields: -1},
			want: []row{rec(1, "a", "b")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, err := readRows(t, []byte(tt.in), &tt.opts)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.want, rows)
		})
	}
}

func TestReaderMaxBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		size    int
		max     int64
		wantErr bool
		msg     string
	}{
		{name: "below", size: 9, max: 10},
		{name: "exactly", size: 10, max: 10},
		{name: "above", size: 11, max: 10, wantErr: true, msg: "10 bytes"},
		{name: "above in MiB", size: 1<<20 + 1, max: 1 << 20, wantErr: true, msg: "1 MiB"},
		{name: "default", size: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := strings.Repeat("a", tt.size)
			r, err := NewReader(strings.NewReader(in), &ReaderOptions{MaxBytes: tt.max, MaxFieldBytes: 2 << 20})
			if tt.wantErr {
				require.ErrorIs(t, err, ErrTooLarge)
				require.Contains(t, err.Error(), tt.msg)
				require.Nil(t, r)
				return
			}
			require.NoError(t, err)
			rc, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, Record{Line: 1, Fields: []string{in}}, rc)
		})
	}
}

func TestNewReaderErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		r       io.Reader
		wantErr error
	}{
		{"reader error", iotest.ErrReader(boom), boom},
		{"reader error after data", io.MultiReader(strings.NewReader("a,b\n"), iotest.ErrReader(boom)), boom},
		{"not csv", bytes.NewReader([]byte("PK\x03\x04rest")), ErrNotCSV},
		{"bad encoding", bytes.NewReader([]byte("\xFF\xFEa\x00")), ErrEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(tt.r, nil)
			require.ErrorIs(t, err, tt.wantErr)
			require.Nil(t, r)
		})
	}
}

func TestReaderEncodingAndStickyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []byte
		enc     Encoding
		opts    *ReaderOptions
		first   []string
		final   error
		nrecord int
	}{
		{name: "utf8", in: []byte("a\n"), enc: UTF8, first: []string{"a"}, final: io.EOF},
		{name: "utf8 bom", in: []byte("\xEF\xBB\xBFa\n"), enc: UTF8BOM, first: []string{"a"}, final: io.EOF},
		{name: "shift_jis", in: sjis(t, "山田,髙橋\r\n"), enc: ShiftJIS, first: []string{"山田", "髙橋"}, final: io.EOF},
		{name: "too many records is sticky", in: []byte("a\nb\n"), enc: UTF8, opts: &ReaderOptions{MaxRecords: 1}, first: []string{"a"}, final: ErrTooManyRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(bytes.NewReader(tt.in), tt.opts)
			require.NoError(t, err)
			require.Equal(t, tt.enc, r.Encoding())
			rc, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, tt.first, rc.Fields)
			for range 3 {
				_, err = r.Read()
				require.ErrorIs(t, err, tt.final)
			}
		})
	}
}

// TestRecordFieldsIndependent checks that records do not share memory with
// each other (the Reader reuses its internal buffers).
func TestRecordFieldsIndependent(t *testing.T) {
	t.Parallel()
	r, err := NewReader(strings.NewReader("\"a\"\"b\",c\n\"d\"\"e\",f\n"), nil)
	require.NoError(t, err)
	first, err := r.Read()
	require.NoError(t, err)
	second, err := r.Read()
	require.NoError(t, err)
	require.Equal(t, []string{`a"b`, "c"}, first.Fields)
	require.Equal(t, []string{`d"e`, "f"}, second.Fields)
}

// TestReaderLinearTime guards against quadratic rescanning on hostile
// input; each case would take minutes if the resynchronisation rescanned
// the rest of the input for every row.
func TestReaderLinearTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"many unterminated-looking quotes", "\"" + strings.Repeat("x\n", 200_000)},
		{"many bare quotes", strings.Repeat("a\"\n", 200_000)},
		{"many long quoted fields", strings.Repeat("\""+strings.Repeat("y", 100)+"\"\n", 100_000)},
		{"quote runs", strings.Repeat("\"\"\"\n", 200_000)},
		{"many commas", strings.Repeat(",", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(strings.NewReader(tt.in), &ReaderOptions{MaxRecords: 1 << 20, MaxFieldBytes: 50})
			require.NoError(t, err)
			n := 0
			for {
				_, err := r.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				var pe *ParseError
				if err != nil && !errors.As(err, &pe) {
					require.NoError(t, err)
				}
				n++
				require.LessOrEqual(t, n, len(tt.in))
			}
		})
	}
}
