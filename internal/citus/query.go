package citus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// Checker finds joins and subqueries between distributed tables that do not
// carry the tenant equality, in SQL as bun sends it (arguments already
// interpolated), on either dialect.
//
// It reads a statement at the level of tokens: parenthesised groups that
// start with SELECT or WITH are subqueries (scopes), UNION/INTERSECT/EXCEPT
// and semicolons (the statements of a function or trigger body) split a
// scope, FROM/JOIN/UPDATE/USING and commas in a FROM list name
// tables (with their aliases), and "x.col = y.col" or "x.col = 'literal'"
// anywhere in a scope are equalities. A scope's distributed tables must
// then be
//
//   - joined to each other: every one is linked, through equalities of
//     their distribution columns in this scope, to every other;
//   - linked to the enclosing query when the scope is a subquery that
//     refers to a distributed table of an enclosing scope (a correlated
//     subquery): the equality of distribution columns must name it;
//   - pinned to a tenant when the scope is an uncorrelated subquery inside a
//     query over distributed tables: its distribution column equals a
//     literal (or an enclosing table's).
//
// The target of INSERT INTO is not part of the query that feeds it. A
// derived table or CTE is not a distributed table, so a join with one is not
// checked (its own body is). Tables the Checker does not know (reference
// and local tables, SQLite-only tables) are ignored.
type Checker struct {
	dist map[string]string

	// shapes remembers, for CheckShape, the Links of statements without
	// problems by their shape (see shape); shapeCount bounds it.
	shapes     sync.Map // string → int
	shapeCount atomic.Int64
}

// maxShapes bounds the statements' shapes a Checker remembers.
const maxShapes = 1 << 16

// NewChecker returns a Checker for the distributed tables of plan (table →
// distribution column).
func NewChecker(plan Plan) *Checker {
	return &Checker{dist: plan.Distributed()}
}

// Report is the outcome of checking statements.
type Report struct {
	// Links counts the joins and subqueries between distributed tables
	// that were checked (satisfied or not).
	Links int
	// Problems describes each unsatisfied one, with its statement.
	Problems []string
}

// Check checks one statement.
func (c *Checker) Check(query string) Report {
	toks := tokenize(query)
	var r Report
	root := group{items: nest(toks, new(int))}
	for _, s := range scopes(root) {
		c.checkScope(s, nil, query, &r)
	}
	return r
}

// CheckShape returns what Check returns, but remembers the outcome of a
// statement without problems by its shape (its text with every literal
// blanked out, see shape): the checker reads a literal only as "a literal",
// never its value, so a statement of a known shape is not read again. A
// test suite runs the same statements with other values many times over;
// this makes the check of a repeated one a copy and a map look-up instead
// of a parse. A statement with problems is checked in full every time (its
// problems quote it).
func (c *Checker) CheckShape(query string) Report {
	key := shape(query)
	if links, ok := c.shapes.Load(key); ok {
		return Report{Links: links.(int)}
	}
	r := c.Check(query)
	if len(r.Problems) == 0 && c.shapeCount.Load() < maxShapes {
		if _, loaded := c.shapes.LoadOrStore(key, r.Links); !loaded {
			c.shapeCount.Add(1)
		}
	}
	return r
}

// shape returns query with the text of every literal, as tokenize reads
// them (a quoted string, a number), replaced by one NUL byte, and the rest
// unchanged. Two statements of one shape tokenize to the same tokens but
// for the literals' texts, which the checker never looks at.
func shape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == '-' && i+1 < len(s) && s[i+1] == '-':
			j := i
			for j < len(s) && s[j] != '\n' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(s[i : i+end+4])
			i += end + 4
		case ch == '\'':
			j := quoteEnd(s, i)
			b.WriteByte(0)
			i = j + 1
		case ch == '"' || ch == '`':
			j := strings.IndexByte(s[i+1:], ch)
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(s[i : i+j+2])
			i += j + 2
		case isWord(ch):
			j := i
			for j < len(s) && (isWord(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '$') {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		case ch >= '0' && ch <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			b.WriteByte(0)
			i = j
		case ch == 0: // a NUL outside a literal stays apart from a literal's
			b.WriteString("\x00\x01")
			i++
		default:
			b.WriteByte(ch)
			i++
		}
	}
	return b.String()
}

// ref is a table named in a scope ("" for a derived table).
type ref struct {
	alias, table string
}

type scope struct {
	tokens   []token // the scope's own tokens, subqueries left out
	children []scope
	refs     []ref
}

func (c *Checker) checkScope(s scope, outer []ref, query string, r *Report) {
	local := map[string]string{} // alias → distribution column
	var tenant []ref
	for _, rf := range s.refs {
		if col := c.dist[rf.table]; col != "" {
			local[rf.alias] = col
			tenant = append(tenant, rf)
		}
	}
	outerDist := map[string]string{}
	for _, rf := range outer {
		if col := c.dist[rf.table]; col != "" && !definedIn(s.refs, rf.alias) {
			outerDist[rf.alias] = col
		}
	}
	if len(tenant) > 0 {
		c.checkLinks(s, tenant, local, outerDist, query, r)
	}
	next := append(append([]ref(nil), outer...), s.refs...)
	for _, ch := range s.children {
		c.checkScope(ch, next, query, r)
	}
}

// checkLinks checks one scope's distributed tables: the components of the
// graph whose edges are equalities of distribution columns ("^" stands for
// the enclosing scopes' tables), and the tables pinned to a literal.
func (c *Checker) checkLinks(s scope, tenant []ref, local, outerDist map[string]string, query string, r *Report) {
	parent := map[string]string{"^": "^"}
	for a := range local {
		parent[a] = a
	}
	var find func(string) string
	find = func(a string) string {
		if parent[a] != a {
			parent[a] = find(parent[a])
		}
		return parent[a]
	}
	// node names an operand that is a distribution column: "" for a
	// literal, "^" for an enclosing table's, else the local alias.
	node := func(o operand) (string, bool) {
		switch {
		case o.literal:
			return "", true
		case local[o.alias] != "":
			return o.alias, local[o.alias] == o.column
		case outerDist[o.alias] != "":
			return "^", outerDist[o.alias] == o.column
		}
		return "", false
	}
	var pinned []string
	for _, e := range equalities(s.tokens, s.refs) {
		a, okA := node(e[0])
		b, okB := node(e[1])
		switch {
		case !okA || !okB || a == "" && b == "":
		case a == "":
			pinned = append(pinned, b)
		case b == "":
			pinned = append(pinned, a)
		default:
			parent[find(a)] = find(b)
		}
	}
	correlated := false
	for _, a := range qualified(s.tokens) {
		if outerDist[a] != "" {
			correlated = true
		}
	}
	first := tenant[0]
	for _, rf := range tenant[1:] {
		r.Links++
		if find(rf.alias) != find(first.alias) {
			r.Problems = append(r.Problems, fmt.Sprintf("%s (%s) is joined to %s (%s) without an equality of their tenant columns: %s",
				rf.alias, rf.table, first.alias, first.table, query))
		}
	}
	if len(outerDist) == 0 {
		return
	}
	r.Links++
	root := find(first.alias)
	if root == find("^") {
		return
	}
	if correlated {
		r.Problems = append(r.Problems, fmt.Sprintf("correlated subquery over %s (%s) lacks %s.%s = <enclosing table>'s tenant column: %s",
			first.alias, first.table, first.alias, local[first.alias], query))
		return
	}
	for _, p := range pinned {
		if find(p) == root {
			return
		}
	}
	r.Problems = append(r.Problems, fmt.Sprintf("subquery over %s (%s) is neither pinned to a tenant nor linked to the enclosing query: %s",
		first.alias, first.table, query))
}

func definedIn(refs []ref, alias string) bool {
	for _, rf := range refs {
		if rf.alias == alias {
			return true
		}
	}
	return false
}

// Hook is a bun.QueryHook that checks every statement a database runs.
type Hook struct {
	c  *Checker
	mu sync.Mutex
	r  Report
}

var _ bun.QueryHook = (*Hook)(nil)

// NewHook returns a Hook checking with c.
func NewHook(c *Checker) *Hook { return &Hook{c: c} }

// BeforeQuery implements bun.QueryHook.
func (h *Hook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery implements bun.QueryHook: it checks the statement (with
// CheckShape).
func (h *Hook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r := h.c.CheckShape(e.Query)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.r.Links += r.Links
	h.r.Problems = append(h.r.Problems, r.Problems...)
}

// Report returns what the hook found so far.
func (h *Hook) Report() Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Report{Links: h.r.Links, Problems: append([]string(nil), h.r.Problems...)}
}

type tokenKind int

const (
	tWord    tokenKind = iota // keyword or unquoted identifier, lower-cased
	tQuoted                   // quoted identifier
	tLiteral                  // string or number
	tPunct
)

type token struct {
	kind tokenKind
	text string
}

func (t token) is(words ...string) bool {
	if t.kind != tWord {
		return false
	}
	for _, w := range words {
		if t.text == w {
			return true
		}
	}
	return false
}

func (t token) ident() bool { return t.kind == tQuoted || (t.kind == tWord && !keywords[t.text]) }

// keywords that may follow a table name where an alias could stand.
var keywords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`select from where join inner left right full outer cross natural on using
		group order by having limit offset union intersect except all distinct as and or not in exists
		set values returning for update delete insert into with lateral window fetch when then else end
		case is null like ilike between conflict do nothing default skip locked nowait share of only`) {
		keywords[w] = true
	}
}

func tokenize(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case ch == '\'':
			j := quoteEnd(s, i)
			out = append(out, token{tLiteral, s[i:min(j+1, len(s))]})
			i = j + 1
		case ch == '"' || ch == '`':
			j := strings.IndexByte(s[i+1:], ch)
			if j < 0 {
				return out
			}
			out = append(out, token{tQuoted, strings.ToLower(s[i+1 : i+1+j])})
			i += j + 2
		case isWord(ch):
			j := i
			for j < len(s) && (isWord(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '$') {
				j++
			}
			out = append(out, token{tWord, strings.ToLower(s[i:j])})
			i = j
		case ch >= '0' && ch <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			out = append(out, token{tLiteral, s[i:j]})
			i = j
		default:
			out = append(out, token{tPunct, string(ch)})
			i++
		}
	}
	return out
}

func isWord(ch byte) bool {
	return ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= 0x80
}

// item is a token or a parenthesised group.
type item struct {
	tok   token
	group *group
}

type group struct{ items []item }

// query reports whether the group is a subquery.
func (g group) query() bool {
	return len(g.items) > 0 && g.items[0].group == nil && g.items[0].tok.is("select", "with", "values")
}

func nest(toks []token, pos *int) []item {
	var out []item
	for *pos < len(toks) {
		t := toks[*pos]
		*pos++
		switch {
		case t.kind == tPunct && t.text == "(":
			out = append(out, item{group: &group{items: nest(toks, pos)}})
		case t.kind == tPunct && t.text == ")":
			return out
		default:
			out = append(out, item{tok: t})
		}
	}
	return out
}

// scopes splits the items of one query level at set operators and builds
// each part's scope.
func scopes(g group) []scope {
	var out []scope
	var part []item
	for _, it := range g.items {
		if it.group == nil && (it.tok.is("union", "intersect", "except") || it.tok.text == ";") {
			out = append(out, build(part))
			part = nil
			continue
		}
		part = append(part, it)
	}
	return append(out, build(part))
}

// build flattens the items of one scope (plain parentheses are transparent;
// subqueries become children) and finds its tables.
func build(items []item) scope {
	var s scope
	var flat []token
	// subAt marks, by flat position, where a subquery stood.
	subAt := map[int]bool{}
	var walk func([]item)
	walk = func(items []item) {
		for _, it := range items {
			switch {
			case it.group == nil:
				flat = append(flat, it.tok)
			case it.group.query():
				subAt[len(flat)] = true
				flat = append(flat, token{tPunct, "(subquery)"})
				s.children = append(s.children, scopes(*it.group)...)
			default:
				flat = append(flat, token{tPunct, "("})
				walk(it.group.items)
				flat = append(flat, token{tPunct, ")"})
			}
		}
	}
	walk(items)
	s.tokens = flat
	inFrom := false
	for i := 0; i < len(flat); i++ {
		t := flat[i]
		switch {
		case t.is("from", "join", "update") || t.is("using") && !(i+1 < len(flat) && flat[i+1].text == "("):
			inFrom = t.is("from", "using")
		case t.kind == tPunct && t.text == "," && inFrom:
		case t.is("where", "on", "group", "order", "having", "limit", "set", "returning", "window", "select", "values"):
			inFrom = false
			continue
		default:
			continue
		}
		if i+1 >= len(flat) {
			break
		}
		j := i + 1
		if flat[j].is("only", "lateral") {
			j++
		}
		if j >= len(flat) {
			break
		}
		var name string
		switch {
		case subAt[j]:
			name = ""
		case flat[j].ident():
			name = flat[j].text
			if j+2 < len(flat) && flat[j+1].text == "." && flat[j+2].ident() {
				j += 2
				name = flat[j].text
			}
		default:
			continue
		}
		alias := name
		k := j + 1
		if k < len(flat) && flat[k].is("as") {
			k++
		}
		if k < len(flat) && flat[k].ident() {
			alias = flat[k].text
		}
		s.refs = append(s.refs, ref{alias: alias, table: name})
	}
	return s
}

// operand is one side of an equality: alias.column, a bare column (alias
// resolved when the scope has one table) or a literal. In a trigger's body
// NEW.column and OLD.column (where no table of the scope is so aliased)
// are the written row's values: literals to the statement.
type operand struct {
	alias, column string
	literal       bool
}

// equalities lists the "a = b" of the tokens whose sides are columns or
// literals.
func equalities(toks []token, refs []ref) [][2]operand {
	side := func(i int, left bool) (operand, bool) {
		if i < 0 || i >= len(toks) {
			return operand{}, false
		}
		t := toks[i]
		if t.kind == tLiteral {
			return operand{literal: true}, true
		}
		if !t.ident() {
			return operand{}, false
		}
		qualified := func(alias, column string) (operand, bool) {
			if strings.EqualFold(alias, "new") || strings.EqualFold(alias, "old") {
				if !slices.ContainsFunc(refs, func(r ref) bool { return strings.EqualFold(r.alias, alias) }) {
					return operand{literal: true}, true
				}
			}
			return operand{alias: alias, column: column}, true
		}
		if left {
			if i >= 2 && toks[i-1].text == "." && toks[i-2].ident() {
				return qualified(toks[i-2].text, t.text)
			}
		} else if i+2 < len(toks) && toks[i+1].text == "." && toks[i+2].ident() {
			return qualified(t.text, toks[i+2].text)
		}
		if len(refs) == 1 && (left && (i == 0 || toks[i-1].text != ".") || !left) {
			return operand{alias: refs[0].alias, column: t.text}, true
		}
		return operand{}, false
	}
	var out [][2]operand
	for i, t := range toks {
		if t.kind != tPunct || t.text != "=" {
			continue
		}
		// Not part of <=, >=, !=.
		if i > 0 && toks[i-1].kind == tPunct && strings.Contains("<>!", toks[i-1].text) {
			continue
		}
		a, okA := side(i-1, true)
		b, okB := side(i+1, false)
		if okA && okB {
			out = append(out, [2]operand{a, b})
		}
	}
	return out
}

// qualified lists the aliases used as "alias.column" in the tokens.
func qualified(toks []token) []string {
	var out []string
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].ident() && toks[i+1].text == "." && toks[i+2].ident() && (i == 0 || toks[i-1].text != ".") {
			out = append(out, toks[i].text)
		}
	}
	return out
}

// quoteEnd returns the index of the quote closing the SQL string literal
// that opens at s[i] (” inside it is a quote), or len(s) when it is not
// closed.
func quoteEnd(s string, i int) int {
	j := i + 1
	for j < len(s) {
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				j += 2
				continue
			}
			break
		}
		j++
	}
	return j
}
