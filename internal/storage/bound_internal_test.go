package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLiftLiterals(t *testing.T) {
	const id = "01a24dc8-ccbb-7947-94f9-6a21f2920abd"
	const at = "2025-03-31 15:00:00+00:00"
	for _, c := range []struct {
		name, in, out string
		args          []any
	}{
		{"uuid and time", "SELECT 1 FROM t WHERE t.id = '" + id + "' AND t.at >= '" + at + "'",
			"SELECT 1 FROM t WHERE t.id = $1 AND t.at >= $2", []any{id, at}},
		{"a value twice is one parameter", "WHERE a IN ('" + id + "') OR b = '" + id + "'",
			"WHERE a IN ($1) OR b = $1", []any{id}},
		{"fractions and offsets", "WHERE at < '2025-03-31 15:00:00.123456-09:30'",
			"WHERE at < $1", []any{"2025-03-31 15:00:00.123456-09:30"}},
		{"other literals stay", "WHERE kind = 'responder' AND name = 'it''s " + id + "' AND s = ''",
			"WHERE kind = 'responder' AND name = 'it''s " + id + "' AND s = ''", nil},
		{"an escaped quote before a value", "WHERE name = 'a''' AND id = '" + id + "'",
			"WHERE name = 'a''' AND id = $1", []any{id}},
		{"upper-case UUID stays", "WHERE id = '01A24DC8-CCBB-7947-94F9-6A21F2920ABD'",
			"WHERE id = '01A24DC8-CCBB-7947-94F9-6A21F2920ABD'", nil},
		{"typed and prefixed literals stay", "WHERE at = timestamptz '" + at + "' AND x = E'" + id + "' AND y = U&'" + id + "'",
			"WHERE at = timestamptz '" + at + "' AND x = E'" + id + "' AND y = U&'" + id + "'", nil},
		{"quoted identifiers and comments stay", `SELECT "'` + id + `'" FROM t -- '` + id + "'\n/* '" + at + "' */ WHERE id = '" + id + "'",
			`SELECT "'` + id + `'" FROM t -- '` + id + "'\n/* '" + at + "' */ WHERE id = $1", []any{id}},
		{"a date without a zone stays", "WHERE d = '2025-03-31' AND at = '2025-03-31 15:00:00'",
			"WHERE d = '2025-03-31' AND at = '2025-03-31 15:00:00'", nil},
		{"a byte string", `WHERE h = '\x7c53aa' AND n = '\x7' AND u = '\x7C' AND e = '\x'`,
			`WHERE h = $1 AND n = '\x7' AND u = '\x7C' AND e = '\x'`, []any{`\x7c53aa`}},
		{"an unclosed literal stays", "WHERE a = '" + id, "WHERE a = '" + id, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, args := liftLiterals(c.in, false)
			require.Equal(t, c.out, out)
			require.Equal(t, c.args, args)
		})
	}
	// Many values: each is one parameter, repeated or not, before and
	// after the lookup changes from a scan to a map.
	var in, want strings.Builder
	var ids []any
	for i := range 40 {
		id := fmt.Sprintf("01a24dc8-ccbb-7947-94f9-6a21f29%05x", i)
		ids = append(ids, id)
		fmt.Fprintf(&in, "'%s', '%s', ", id, ids[i/2])
		fmt.Fprintf(&want, "$%d, $%d, ", i+1, i/2+1)
	}
	out, args := liftLiterals(in.String(), false)
	require.Equal(t, want.String(), out)
	require.Equal(t, ids, args)
}

func TestLiftBlobs(t *testing.T) {
	const id = "01a24dc8-ccbb-7947-94f9-6a21f2920abd"
	in := "WHERE h = X'7C53aa' AND k = x'7c53AA' AND id = '" + id + "' AND e = X'' AND o = X'7' AND p = X'7c5' AND z = X'7czz' AND n = HEX'7c' AND s = 'X''7c'''"
	out, args := liftLiterals(in, true)
	require.Equal(t, "WHERE h = $1 AND k = $1 AND id = $2 AND e = X'' AND o = X'7' AND p = X'7c5' AND z = X'7czz' AND n = HEX'7c' AND s = 'X''7c'''", out,
		"one value in either case is one parameter; empty, odd, malformed and prefixed blobs and strings stay")
	require.Equal(t, []any{[]byte{0x7c, 0x53, 0xaa}, id}, args)
	out, args = liftLiterals(in, false)
	require.Equal(t, strings.Replace(in, "'"+id+"'", "$1", 1), out, "blobs stay unless asked for (PostgreSQL)")
	require.Equal(t, []any{id}, args)
}

func FuzzLiftLiterals(f *testing.F) {
	f.Add("SELECT 1 WHERE a = '01a24dc8-ccbb-7947-94f9-6a21f2920abd' AND b = 'x''y' -- c\n", false)
	f.Add(`"a" '2025-03-31 15:00:00+00:00' /* x */ 'b`, false)
	f.Add(`WHERE h = X'7c53' AND g = '\x7c53' AND k = X'7c`, true)
	f.Fuzz(func(t *testing.T, q string, blobs bool) {
		out, args := liftLiterals(q, blobs)
		if len(args) == 0 && out != q {
			t.Fatalf("no value lifted, yet %q became %q", q, out)
		}
		for _, a := range args {
			switch a := a.(type) {
			case string:
				if !liftable(a) {
					t.Fatalf("%q: lifted %q", q, a)
				}
			case []byte:
				if !blobs || len(a) == 0 {
					t.Fatalf("%q: lifted the blob %x", q, a)
				}
			}
		}
		if len(out) > len(q) {
			t.Fatalf("%q grew into %q", q, out)
		}
		if again, more := liftLiterals(out, blobs); again != out || len(more) > 0 {
			t.Fatalf("%q: lifting %q again gave %q %v", q, out, again, more)
		}
	})
}
