package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
	"github.com/expr-lang/expr/vm"
)

// ExprError is a compile error of an aggregation expression with its
// position: Line and Column count from 1, Column in characters.
type ExprError struct {
	Line    int
	Column  int
	Message string
}

// Error returns "message (line:column)".
func (e *ExprError) Error() string { return fmt.Sprintf("%s (%d:%d)", e.Message, e.Line, e.Column) }

// CompiledAggregation is an Aggregation compiled against its template,
// ready to evaluate over many records.
//
// # Expressions
//
// An expression is written in expr (github.com/expr-lang/expr) over the
// template's numeric fields as seen across the records being aggregated.
// A field is written with a leading dot: .work_minutes, or
// .careservice:minutes for a plugin's field. It stands for the column of
// that field's values, one per record (number, integer, money and
// duration values as numbers, booleans as 1 or 0, a lines field as its
// total with tax). Other field types cannot be aggregated. These functions
// turn columns into numbers, skipping records without a value:
//
//	sum(.f)    the sum of the values (0 when there are none)
//	avg(.f)    their mean (NaN when there are none)
//	min(.f)    the smallest value (NaN when there are none)
//	max(.f)    the largest value (NaN when there are none)
//	count()    the number of records
//	count(.f)  the number of records with a value for f
//
// The rest of expr's language works on the results: arithmetic,
// comparisons and the conditional operator, and builtins such as round,
// floor, ceil and abs. Examples:
//
//	sum(.work_minutes)
//	sum(.work_minutes) / 60
//	sum(.visits) / count()
//	count(.expected_amount) > 0 ? avg(.expected_amount) : 0
//
// The result is a float64. An expression is compiled and type-checked
// once, when the template is checked (an expression that does not compile
// can never be stored), and a CompiledAggregation is safe for concurrent
// use.
type CompiledAggregation struct {
	Aggregation
	program *vm.Program
	// names maps an environment name to its field key.
	names  map[string]string
	fields []string
	simple struct {
		fn, field string
		ok        bool
	}
}

// marker replaces the dot before a field key (and the colon of a
// namespaced key) so that ".work_minutes" becomes the identifier
// "ǀwork_minutes" without moving any character: error positions stay
// those of the source. It is a letter (U+01C0) that field keys, which are
// ASCII, never contain.
const marker = 'ǀ'

func envName(key string) string {
	return string(marker) + strings.ReplaceAll(key, ":", string(marker))
}

// aggregate functions, as typed for the compiler. count is bound per
// evaluation (it knows the number of records).
var helpers = map[string]any{
	"sum":   aggSum,
	"avg":   aggAvg,
	"min":   aggMin,
	"max":   aggMax,
	"count": func(cols ...[]float64) (float64, error) { return 0, nil },
}

func aggSum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s += x
		}
	}
	return s
}

func aggAvg(xs []float64) float64 {
	s, n := 0.0, 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func aggMin(xs []float64) float64 {
	m := math.NaN()
	for _, x := range xs {
		if !math.IsNaN(x) && (math.IsNaN(m) || x < m) {
			m = x
		}
	}
	return m
}

func aggMax(xs []float64) float64 {
	m := math.NaN()
	for _, x := range xs {
		if !math.IsNaN(x) && (math.IsNaN(m) || x > m) {
			m = x
		}
	}
	return m
}

func counter(n int) func(cols ...[]float64) (float64, error) {
	return func(cols ...[]float64) (float64, error) {
		switch len(cols) {
		case 0:
			return float64(n), nil
		case 1:
			c := 0
			for _, x := range cols[0] {
				if !math.IsNaN(x) {
					c++
				}
			}
			return float64(c), nil
		}
		return 0, errors.New("count takes at most one field")
	}
}

// CompileAggregations compiles every aggregation of t, in order.
func (t Template) CompileAggregations() ([]*CompiledAggregation, error) {
	out := make([]*CompiledAggregation, 0, len(t.Aggregations))
	for _, a := range t.Aggregations {
		c, err := t.CompileAggregation(a)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// CompileAggregation compiles a against t's fields (a need not be one of
// t.Aggregations: reports may compile ad-hoc expressions). A compile error
// is an *ExprError carrying the position, wrapped with the aggregation's
// key.
func (t Template) CompileAggregation(a Aggregation) (*CompiledAggregation, error) {
	p, names, err := t.compile(a.Expr)
	if err != nil {
		return nil, fmt.Errorf("template: aggregation %q: %w", a.Key, err)
	}
	c := &CompiledAggregation{Aggregation: a, program: p, names: names}
	node := p.Node()
	ast.Walk(&node, identVisitor(func(name string) {
		if k, ok := names[name]; ok && !slices.Contains(c.fields, k) {
			c.fields = append(c.fields, k)
		}
	}))
	order := map[string]int{}
	for i, f := range t.Fields {
		order[f.Key] = i
	}
	sort.Slice(c.fields, func(i, j int) bool { return order[c.fields[i]] < order[c.fields[j]] })
	c.simple.fn, c.simple.field, c.simple.ok = simpleForm(node, names)
	return c, nil
}

type identVisitor func(name string)

func (v identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v(id.Value)
	}
}

func simpleForm(node ast.Node, names map[string]string) (fn, field string, ok bool) {
	call, isCall := node.(*ast.CallNode)
	if !isCall {
		return "", "", false
	}
	callee, isIdent := call.Callee.(*ast.IdentifierNode)
	if !isIdent {
		return "", "", false
	}
	switch callee.Value {
	case "sum", "avg", "min", "max", "count":
	default:
		return "", "", false
	}
	if len(call.Arguments) == 0 && callee.Value == "count" {
		return "count", "", true
	}
	if len(call.Arguments) != 1 {
		return "", "", false
	}
	arg, isIdent := call.Arguments[0].(*ast.IdentifierNode)
	if !isIdent {
		return "", "", false
	}
	key, isField := names[arg.Value]
	if !isField {
		return "", "", false
	}
	return callee.Value, key, true
}

// compile rewrites the field references of src and compiles it.
func (t Template) compile(src string) (*vm.Program, map[string]string, error) {
	numeric := map[string]bool{}
	names := map[string]string{}
	env := make(map[string]any, len(helpers)+len(t.Fields))
	for k, f := range helpers {
		env[k] = f
	}
	for _, f := range t.Fields {
		if f.Type.Numeric() {
			numeric[f.Key] = true
			names[envName(f.Key)] = f.Key
			env[envName(f.Key)] = []float64(nil)
		}
	}
	source := file.NewSource(src)
	tokens, err := lexer.Lex(source)
	if err != nil {
		return nil, nil, exprError(err, src, names)
	}
	runes := []rune(src)
	for i, tok := range tokens {
		if !tok.Is(lexer.Operator, ".") || i+1 >= len(tokens) {
			continue
		}
		if i > 0 {
			switch prev := tokens[i-1]; prev.Kind {
			case lexer.Identifier, lexer.Number, lexer.String, lexer.Bytes:
				continue // member access: a.b
			case lexer.Bracket:
				if prev.Is(lexer.Bracket, ")", "]", "}") {
					continue
				}
			}
		}
		id := tokens[i+1]
		if !id.Is(lexer.Identifier) || id.From != tok.To {
			continue
		}
		key, colon := id.Value, -1
		if i+3 < len(tokens) {
			c, name := tokens[i+2], tokens[i+3]
			if c.Is(lexer.Operator, ":") && c.From == id.To && name.Is(lexer.Identifier) && name.From == c.To &&
				numeric[id.Value+":"+name.Value] {
				key, colon = id.Value+":"+name.Value, c.From
			}
		}
		if !numeric[key] {
			msg := "unknown field ." + key
			if f, ok := t.Field(key); ok {
				msg = fmt.Sprintf("field .%s (%s) is not numeric", key, f.Type)
			}
			return nil, nil, position(src, tok.From, msg)
		}
		runes[tok.From] = marker
		if colon >= 0 {
			runes[colon] = marker
		}
	}
	p, err := expr.Compile(string(runes), expr.Env(env), expr.AsFloat64())
	if err != nil {
		return nil, nil, exprError(err, src, names)
	}
	// count is variadic to the compiler; it takes no field or one.
	var bad *ExprError
	node := p.Node()
	ast.Walk(&node, callVisitor(func(call *ast.CallNode) {
		if id, ok := call.Callee.(*ast.IdentifierNode); ok && id.Value == "count" && len(call.Arguments) > 1 && bad == nil {
			bad = position(src, call.Arguments[1].Location().From, "count takes at most one field")
		}
	}))
	if bad != nil {
		return nil, nil, bad
	}
	return p, names, nil
}

type callVisitor func(call *ast.CallNode)

func (v callVisitor) Visit(n *ast.Node) {
	if c, ok := (*n).(*ast.CallNode); ok {
		v(c)
	}
}

// position returns an ExprError at the rune offset at of src.
func position(src string, at int, msg string) *ExprError {
	e := &ExprError{Line: 1, Column: 1, Message: msg}
	for i, r := range []rune(src) {
		if i == at {
			break
		}
		if r == '\n' {
			e.Line++
			e.Column = 1
		} else {
			e.Column++
		}
	}
	return e
}

// exprError converts an error of expr to an ExprError on the original
// source, with environment names written as fields again.
func exprError(err error, src string, names map[string]string) *ExprError {
	msg := err.Error()
	from := 0
	var fe *file.Error
	if errors.As(err, &fe) {
		msg, from = fe.Message, fe.From
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, n := range sorted {
		msg = strings.ReplaceAll(msg, n, "."+names[n])
	}
	if strings.ContainsRune(msg, marker) {
		// An unknown name written with the marker: show it as a field.
		msg = strings.Replace(msg, string(marker), ".", 1)
		msg = strings.ReplaceAll(msg, string(marker), ":")
	}
	return position(src, from, msg)
}

// Fields returns the keys of the fields the expression reads, in the
// template's field order: the columns Eval needs.
func (c *CompiledAggregation) Fields() []string { return slices.Clone(c.fields) }

// Simple recognises the plain single-call forms sum(.f), avg(.f), min(.f),
// max(.f), count(.f) and count(), which a report engine may push down to
// SQL (SUM, AVG, MIN, MAX, COUNT(f), COUNT(*)) instead of calling Eval.
// fn is "sum", "avg", "min", "max" or "count"; field is the field key,
// empty for count().
func (c *CompiledAggregation) Simple() (fn, field string, ok bool) {
	return c.simple.fn, c.simple.field, c.simple.ok
}

// Eval evaluates the expression over records given as columns: for each
// field key, one value per record, NaN where the record has no value. All
// columns have the same length, the number of records (count()); a
// column the expression needs but columns lacks has no values. With no
// columns at all, there are no records: use EvalN to give the number.
func (c *CompiledAggregation) Eval(columns map[string][]float64) (float64, error) {
	n := -1
	for k, col := range columns {
		if n >= 0 && len(col) != n {
			return 0, fmt.Errorf("template: aggregation %q: column %q has %d values, others %d", c.Key, k, len(col), n)
		}
		n = len(col)
	}
	return c.EvalN(max(n, 0), columns)
}

// EvalN is Eval with the number of records n given: count() is n, and
// columns may omit fields or records without values (they are skipped
// either way).
func (c *CompiledAggregation) EvalN(n int, columns map[string][]float64) (float64, error) {
	env := make(map[string]any, len(helpers)+len(c.names))
	for k, f := range helpers {
		env[k] = f
	}
	env["count"] = counter(n)
	for name, key := range c.names {
		env[name] = columns[key]
	}
	out, err := vm.Run(c.program, env)
	if err != nil {
		return 0, fmt.Errorf("template: aggregation %q: %w", c.Key, err)
	}
	switch x := out.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	}
	return 0, fmt.Errorf("template: aggregation %q: result %T is not a number", c.Key, out)
}

// Columns turns records' values (normalized by Validate, or read back from
// JSON) into the columns Eval takes: one column per numeric field, one
// entry per record, NaN where a record has no value.
func (t Template) Columns(records []map[string]any) map[string][]float64 {
	out := map[string][]float64{}
	for _, f := range t.Fields {
		if !f.Type.Numeric() {
			continue
		}
		col := make([]float64, len(records))
		for i, r := range records {
			if x, ok := NumericValue(r[f.Key]); ok {
				col[i] = x
			} else {
				col[i] = math.NaN()
			}
		}
		out[f.Key] = col
	}
	return out
}

// NumericValue returns the number an aggregation sees for a field value:
// numbers as they are, booleans as 1 or 0, lines as their total (also in
// their JSON form). ok is false for anything else, including no value.
func NumericValue(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case Lines:
		return float64(x.Total), true
	case *Lines:
		if x == nil {
			return 0, false
		}
		return float64(x.Total), true
	case map[string]any:
		return NumericValue(x["total"])
	case string, nil:
		return 0, false
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	f, code := parseNumber(v, "", false)
	if code != "" || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
