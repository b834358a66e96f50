package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Error sentinels, the same values every Kiroku engine exports.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrUnauthenticated  = kerr.ErrUnauthenticated
)

// Config configures a Service. The service builds none of its
// dependencies: Records and Authorizer are required. Every other zero field
// means its default.
type Config struct {
	// Records is the contact-record engine the reports read through: its
	// templates, and its visibility rules and filters via
	// contactlog.Service.Matching. Required.
	Records *contactlog.Service
	// Authorizer decides who may export (permission.ActionExport on record
	// lists, as contactlog's Export); use the one given to contactlog.
	// Required.
	Authorizer permission.Authorizer
	// Clock returns the current time, for the audit log. Default: time.Now.
	Clock func() time.Time
	// MaxGroups is the most groups a result may have (periods of the
	// period, customers, …); a query that would give more is invalid.
	// Default: 1000.
	MaxGroups int
	// Catalog is the tenants' catalog, for the category and the current
	// name of the items sold (Sales); without it, sold items are labelled
	// by their lines' names and form no categories.
	Catalog *catalog.Service
	// Sales names the records that are sales (default: the built-in
	// 利用・会計 template's lines field "items").
	Sales SalesSource
	// MaxGroupRows is the most records of one group that an expression
	// evaluated with expr (not pushed down to SQL) may read; a larger group
	// fails the query with ErrInvalid. Default: 1 000 000 (8 MB per field).
	MaxGroupRows int
}

func (c *Config) withDefaults() Config {
	out := Config{}
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.MaxGroups == 0 {
		out.MaxGroups = 1000
	}
	out.Sales = out.Sales.withDefaults()
	if out.MaxGroupRows == 0 {
		out.MaxGroupRows = 1_000_000
	}
	return out
}

// Service computes reports over the records of a contactlog.Service.
// It is safe for concurrent use.
type Service struct {
	db      bun.IDB
	dialect storage.Dialect
	records *contactlog.Service
	cfg     Config

	// compiled caches the compiled aggregations per tenant, template key
	// and version.
	compiled sync.Map // compiledKey → []*template.CompiledAggregation
	// defs caches every version of a template per its latest version.
	defs sync.Map // compiledKey → versions
}

type compiledKey struct {
	tenant  uuid.UUID
	key     string
	version int
}

// NewService returns a report service reading through cfg.Records; db is
// the database for the audit log.
func NewService(db bun.IDB, cfg *Config) (*Service, error) {
	d, err := storage.Of(db)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	c := cfg.withDefaults()
	switch {
	case c.Records == nil:
		return nil, fmt.Errorf("report: config: Records is required (contactlog.NewService on the same database): %w", ErrInvalid)
	case c.Authorizer == nil:
		return nil, fmt.Errorf("report: config: Authorizer is required (the one given to contactlog): %w", ErrInvalid)
	case c.MaxGroups < 0 || c.MaxGroupRows < 0:
		return nil, fmt.Errorf("report: config: MaxGroups and MaxGroupRows must not be negative: %w", ErrInvalid)
	}
	return &Service{db: db, dialect: d, records: c.Records, cfg: c}, nil
}

// GroupBy is how a Query groups records.
type GroupBy string

// The groupings. See the package documentation.
const (
	ByNone      GroupBy = ""
	ByDay       GroupBy = "day"
	ByWeek      GroupBy = "week"
	ByMonth     GroupBy = "month"
	ByYear      GroupBy = "year"
	ByCustomer  GroupBy = "customer"
	ByResponder GroupBy = "responder"
	ByAuthor    GroupBy = "author"
	ByField     GroupBy = "field"
)

func (g GroupBy) periodic() bool {
	return g == ByDay || g == ByWeek || g == ByMonth || g == ByYear
}

// Query selects what Aggregate computes.
type Query struct {
	// Template is the template key whose records and aggregations are
	// used. Required.
	Template string `json:"template"`
	// Aggregations are the keys of the template's aggregations to compute,
	// in the order wanted; empty means all of them.
	Aggregations []string `json:"aggregations,omitempty"`
	// GroupBy groups the records (default: one group).
	GroupBy GroupBy `json:"group_by,omitempty"`
	// Field is the key of the select field to group by (GroupBy ByField).
	Field string `json:"field,omitempty"`
	// From and To bound the record's time (Record.Time), from inclusive,
	// to exclusive. Both are required for the periodic groupings; for the
	// others a zero bound does not restrict.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Lines, if set, is the key of a lines field (catalog lines) whose
	// totals each group gets as Group.Lines: before tax, tax, with tax, and
	// base and tax per rate as stored on the records.
	Lines string `json:"lines,omitempty"`
	// Item, if set, keeps only the records with a line of this item
	// (Line.Item, a catalog item's ID) in the Lines field, which it needs:
	// its customers are the item's buyers.
	Item string `json:"item,omitempty"`
	// Filter restricts the records as contactlog.Service.Search does (text,
	// customer, responder, progress, …). Its Templates is replaced by
	// Template; Sort, Limit, After and the like are ignored.
	Filter contactlog.Query `json:"filter"`

	// noAggregations computes the counts (and Lines) only: the sales
	// analyses need none of the template's aggregations.
	noAggregations bool
	// lineItems: the summary's rows per item of Lines are read too, for
	// lineSales.
	lineItems bool
}

// Result is the outcome of Aggregate.
type Result struct {
	// Template and TemplateVersion identify the definition whose
	// aggregations were evaluated (the latest version; records of older
	// versions count with their own fields, see the package doc).
	Template        string `json:"template"`
	TemplateVersion int    `json:"template_version"`
	// GroupBy and Field repeat the query's grouping.
	GroupBy GroupBy `json:"group_by"`
	Field   string  `json:"field,omitempty"`
	// FieldLabel is the label of Field.
	FieldLabel string `json:"field_label,omitempty"`
	// Columns describe the aggregations, in the order of Group.Values.
	Columns []Column `json:"columns"`
	// Groups in order: chronological for periods, else by key (the group
	// "" last).
	Groups []Group `json:"groups"`

	// Summarized says the record summary (see the package documentation)
	// answered part of the query: the sums of the records of scope company
	// the principal sees, beside the other records read one by one.
	Summarized bool `json:"summarized"`

	// sum is the part the record summary answered (nil: none), whose item
	// rows the sales analysis adds to the lines it reads live.
	sum *summary
	// items are the lines of Query.Lines read live per item and rate
	// (Query.lineItems), which the sales analysis adds to the summary's.
	items []itemLines
}

// Column describes one aggregation of a Result.
type Column struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit,omitempty"`
	Expr  string `json:"expr"`
	// PushedDown says the database computed it (a plain form); else expr
	// evaluated it over the streamed records.
	PushedDown bool `json:"pushed_down"`
}

// Group is one group of records and its aggregations.
type Group struct {
	// Key identifies the group: the first day of the period as 2006-01-02
	// (periods), a customer's or staff member's ID, a select value; "" for
	// one group, drafts, records without a responder or without a value.
	Key string `json:"key"`
	// Start and End bound a period (periodic groupings only), in the
	// tenant's time zone.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Count is the number of records in the group.
	Count int64 `json:"count"`
	// Values holds one value per Result.Columns entry.
	Values []Value `json:"values"`
	// Lines holds the totals of Query.Lines (nil without it).
	Lines *LineTotals `json:"lines,omitempty"`
}

// LineTotals are the sums of a lines field over a group's records, in yen,
// exact: each record's amounts as it stored them (tax rounded per receipt
// and rate when it was written).
type LineTotals struct {
	// Net is the total before tax (税抜), Tax the consumption tax, Gross
	// the total with tax (税込).
	Net   int64 `json:"net"`
	Tax   int64 `json:"tax"`
	Gross int64 `json:"gross"`
	// Rates are the totals per tax rate, by rate ascending.
	Rates []RateTotal `json:"rates"`
}

// RateTotal is the total of one tax rate.
type RateTotal struct {
	Rate int   `json:"rate"` // percent
	Base int64 `json:"base"` // the amount before tax at this rate
	Tax  int64 `json:"tax"`
}

// Value is one aggregation's result for one group.
type Value struct {
	// Valid is false when there is no value: avg, min or max over no
	// values, or an expression giving NaN.
	Valid bool `json:"valid"`
	// Float is the value (when Valid).
	Float float64 `json:"float"`
	// Exact says Int holds the value exactly: counts, and sums, minima and
	// maxima of integer, money, duration, boolean and lines fields,
	// computed by the database.
	Exact bool  `json:"exact"`
	Int   int64 `json:"int"`
}

// Labels returns the group labels of a periodic result as Japanese users
// read them ("2026年4月", "4月1日", "3月30日〜", "2026年"); for other groupings
// the keys.
func (r *Result) Labels() []string {
	out := make([]string, len(r.Groups))
	for i, g := range r.Groups {
		switch r.GroupBy {
		case ByDay:
			out[i] = fmt.Sprintf("%d月%d日", g.Start.Month(), g.Start.Day())
		case ByWeek:
			out[i] = fmt.Sprintf("%d月%d日〜", g.Start.Month(), g.Start.Day())
		case ByMonth:
			out[i] = fmt.Sprintf("%d年%d月", g.Start.Year(), g.Start.Month())
		case ByYear:
			out[i] = fmt.Sprintf("%d年", g.Start.Year())
		default:
			out[i] = g.Key
		}
	}
	return out
}

// zone is the principal's tenant time zone (UTC for a principal built
// without one).
func zone(pr permission.Principal) *time.Location {
	if pr.Location != nil {
		return pr.Location
	}
	return time.UTC
}

// aggregation is one column to compute.
type aggregation struct {
	c        *template.CompiledAggregation
	fn       string // simple form: sum, avg, min, max, count
	field    string // the field it reads ("" for count())
	value    string // the SQL of the field it reads ("" for count())
	args     []any
	pushed   bool
	exactInt bool
}

// compile returns the compiled aggregations of t, once per tenant,
// template and version.
func (s *Service) compile(tenant uuid.UUID, t *template.Template) ([]*template.CompiledAggregation, error) {
	k := compiledKey{tenant, t.Key, t.Version}
	if v, ok := s.compiled.Load(k); ok {
		return v.([]*template.CompiledAggregation), nil
	}
	cs, err := t.CompileAggregations()
	if err != nil {
		return nil, err
	}
	v, _ := s.compiled.LoadOrStore(k, cs)
	return v.([]*template.CompiledAggregation), nil
}

// Aggregate computes q's aggregations over the records the principal may
// see. Staff only; customers (the portal) get ErrPermissionDenied. Bad
// input is a *validation.Error naming the field ("template",
// "aggregations[0]", "group_by", "field", "from", "to", "filter.…").
func (s *Service) Aggregate(ctx context.Context, q Query) (*Result, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: aggregate: %w", ErrPermissionDenied)
	}
	res, err := s.aggregate(ctx, pr, q)
	if err != nil {
		return nil, fmt.Errorf("report: aggregate: %w", err)
	}
	return res, nil
}

func (s *Service) aggregate(ctx context.Context, pr permission.Principal, q Query) (*Result, error) {
	var ve validation.Error
	if q.Template == "" {
		ve.Add("template", validation.CodeRequired, "")
		return nil, ve.Err()
	}
	t, err := s.records.Template(ctx, q.Template, 0)
	if errors.Is(err, kerr.ErrNotFound) {
		ve.Add("template", validation.CodeUnknown, q.Template)
		return nil, ve.Err()
	}
	if err != nil {
		return nil, err
	}
	compiled, err := s.compile(pr.Tenant, t)
	if err != nil {
		return nil, err
	}
	vs, err := s.versions(ctx, pr.Tenant, t)
	if err != nil {
		return nil, err
	}
	var aggs []aggregation
	if !q.noAggregations {
		aggs, err = s.pick(t, vs, compiled, q.Aggregations, &ve)
	}
	if err != nil {
		return nil, err
	}
	loc := zone(pr)
	groups, group := s.grouping(t, &q, loc, &ve)
	if q.Lines != "" {
		switch f, ok := t.Field(q.Lines); {
		case !ok:
			ve.Add("lines", validation.CodeUnknown, q.Lines)
		case f.Type != template.FieldLines:
			ve.Add("lines", validation.CodeWrongType, string(f.Type))
		}
	}
	if q.Item != "" && q.Lines == "" {
		ve.Add("lines", validation.CodeRequired, "")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}

	sum, err := s.summarize(ctx, pr, vs, &q, aggs, group, groups)
	if err != nil {
		return nil, err
	}
	filter := q.Filter
	filter.Templates = []string{q.Template}
	// records is the query over the records matching q; live keeps those
	// the summary does not answer.
	records := func(live bool) (*bun.SelectQuery, error) {
		sel, err := s.records.Matching(ctx, filter)
		if err != nil {
			var fe *validation.Error
			if errors.As(err, &fe) {
				for i := range fe.Fields {
					fe.Fields[i].Field = "filter." + fe.Fields[i].Field
				}
			}
			return nil, err
		}
		if !q.From.IsZero() {
			sel.Where("r.occurred_at >= ?", q.From)
		}
		if !q.To.IsZero() {
			sel.Where("r.occurred_at < ?", q.To)
		}
		if q.Item != "" {
			cond, args := storage.JSONArrayHas(s.dialect, "r.fields", "item", q.Item, q.Lines, "items")
			sel.Where(cond, args...)
		}
		if live && sum != nil {
			sel.Where(sum.live, sum.liveArgs...)
		}
		return sel, nil
	}

	res := &Result{Template: t.Key, TemplateVersion: t.Version, GroupBy: q.GroupBy, Field: q.Field, Summarized: sum != nil, sum: sum}
	if f, ok := t.Field(q.Field); ok {
		res.FieldLabel = f.Label
	}
	for _, a := range aggs {
		res.Columns = append(res.Columns, Column{Key: a.c.Key, Label: a.c.Label, Unit: a.c.Unit, Expr: a.c.Expr, PushedDown: a.pushed})
	}
	index := map[string]int{}
	for i, g := range groups {
		index[g.Key] = i
	}
	// at returns the group of key, adding it for the non-periodic groupings.
	at := func(key string) (*Group, error) {
		if i, ok := index[key]; ok {
			return &groups[i], nil
		}
		if q.GroupBy.periodic() {
			return nil, fmt.Errorf("report: record outside the periods (bucket %q)", key)
		}
		if len(groups) >= s.cfg.MaxGroups {
			ve.Add("group_by", validation.CodeTooMany, strconv.Itoa(s.cfg.MaxGroups))
			return nil, ve.Err()
		}
		index[key] = len(groups)
		groups = append(groups, Group{Key: key, Values: make([]Value, len(aggs))})
		if q.Lines != "" {
			groups[len(groups)-1].Lines = &LineTotals{Rates: []RateTotal{}}
		}
		return &groups[len(groups)-1], nil
	}
	for i := range groups {
		groups[i].Values = make([]Value, len(aggs))
		if q.Lines != "" {
			groups[i].Lines = &LineTotals{Rates: []RateTotal{}}
		}
	}

	// One part for the count and every pushed-down aggregation. With the
	// summary, an average is read as its sum and count, to add the
	// summary's to.
	main := s.newLivePart()
	if group.join != "" {
		main.sel.Join(group.join, group.joinArgs...)
	}
	main.col(group.expr, group.args...).col("COUNT(*)")
	var pushed []int
	avgs := map[string][]avgPart{}
	for i, a := range aggs {
		if !a.pushed {
			continue
		}
		pushed = append(pushed, i)
		if sum != nil && a.fn == "avg" {
			main.col("SUM("+a.value+")", a.args...).col("COUNT("+a.value+")", a.args...)
			continue
		}
		expr, args := s.sqlAggregate(a)
		main.col(expr, args...)
	}
	if q.Lines != "" {
		for _, part := range []string{"subtotal", "tax", "total"} {
			expr, args := storage.JSONValue(s.dialect, "r.fields", storage.JSONInteger, q.Lines, part)
			main.col("SUM("+expr+")", args...)
		}
	}
	if !group.whole {
		main.sel.GroupExpr(group.expr, group.args...)
	}
	main.read = func(cols []sql.NullString) error {
		g, err := at(cols[0].String)
		if err != nil {
			return err
		}
		n, err := parseInt(cols[1])
		if err != nil {
			return fmt.Errorf("report: count: %w", err)
		}
		g.Count += n
		cols = cols[2:]
		for _, k := range pushed {
			if sum != nil && aggs[k].fn == "avg" {
				total, err := parseInt(cols[0])
				if err != nil {
					return fmt.Errorf("report: aggregation %q: %w", aggs[k].c.Key, err)
				}
				n, err := parseInt(cols[1])
				if err != nil {
					return fmt.Errorf("report: aggregation %q: %w", aggs[k].c.Key, err)
				}
				if avgs[g.Key] == nil {
					avgs[g.Key] = make([]avgPart, len(aggs))
				}
				avgs[g.Key][k] = avgPart{sum: total, n: n}
				cols = cols[2:]
				continue
			}
			if g.Values[k], err = parseValue(aggs[k], cols[0]); err != nil {
				return err
			}
			cols = cols[1:]
		}
		if q.Lines != "" {
			for i, dst := range []*int64{&g.Lines.Net, &g.Lines.Tax, &g.Lines.Gross} {
				n, err := parseInt(cols[i])
				if err != nil {
					return fmt.Errorf("report: lines %q: %w", q.Lines, err)
				}
				*dst += n
			}
		}
		return nil
	}
	parts := []*livePart{main}
	var rates []groupRate
	if q.Lines != "" {
		parts = append(parts, s.ratesPart(q.Lines, group, &rates))
	}
	if q.lineItems {
		parts = append(parts, s.itemsPart(q.Lines, &res.items))
	}
	live, err := records(true)
	if err != nil {
		return nil, err
	}
	// The live records are read once for every part when the summary
	// restricts them to the principal's relations (see readLive).
	if err := s.readLive(ctx, live, sum != nil && len(parts) > 1, parts); err != nil {
		return nil, err
	}
	for _, rt := range rates {
		i, ok := index[rt.group]
		if !ok {
			return nil, fmt.Errorf("report: rate totals of group %q not counted", rt.group)
		}
		groups[i].Lines.Rates = addRate(groups[i].Lines.Rates, rt.RateTotal)
	}
	if sum != nil {
		if err := sum.add(at, aggs, q.Lines, avgs); err != nil {
			return nil, err
		}
	}
	for i := range groups {
		for k, a := range aggs {
			switch {
			case !a.pushed:
			case sum != nil && a.fn == "avg":
				p := avgs[groups[i].Key][k:]
				if len(p) > 0 && p[0].n > 0 {
					groups[i].Values[k] = floatValue(float64(p[0].sum) / float64(p[0].n))
				} else {
					groups[i].Values[k] = Value{}
				}
			case sum != nil:
				// Counts and exact sums, live and summarized.
				n := groups[i].Values[k].Int
				groups[i].Values[k] = Value{Valid: true, Exact: true, Int: n, Float: float64(n)}
			case groups[i].Count == 0:
				// Groups without records: sums and counts are 0.
				groups[i].Values[k], _ = parseValue(a, sql.NullString{})
			}
		}
	}
	streamed := func() (*bun.SelectQuery, error) {
		sel, err := records(false)
		if err == nil && group.join != "" {
			sel.Join(group.join, group.joinArgs...)
		}
		return sel, err
	}
	if err := s.evalStreamed(ctx, t, vs, aggs, groups, index, streamed, group); err != nil {
		return nil, err
	}
	if !q.GroupBy.periodic() {
		sort.SliceStable(groups, func(i, j int) bool {
			if (groups[i].Key == "") != (groups[j].Key == "") {
				return groups[j].Key == ""
			}
			return groups[i].Key < groups[j].Key
		})
	}
	res.Groups = groups
	return res, nil
}

// pick resolves the wanted aggregation keys; the fields they read are read
// as each record's version defines them (vs).
func (s *Service) pick(t *template.Template, vs versions, compiled []*template.CompiledAggregation, keys []string, ve *validation.Error) ([]aggregation, error) {
	if len(keys) == 0 {
		for _, c := range compiled {
			keys = append(keys, c.Key)
		}
	}
	var out []aggregation
	for i, k := range keys {
		idx := slices.IndexFunc(compiled, func(c *template.CompiledAggregation) bool { return c.Key == k })
		if idx < 0 {
			ve.Add(fmt.Sprintf("aggregations[%d]", i), validation.CodeUnknown, k)
			continue
		}
		a := aggregation{c: compiled[idx]}
		fn, field, ok := a.c.Simple()
		if ok {
			a.fn, a.field, a.pushed = fn, field, true
			if field != "" {
				if _, found := t.Field(field); !found {
					return nil, fmt.Errorf("report: aggregation %q reads unknown field %q", k, field)
				}
				var float bool
				a.value, a.args, float = s.fieldValue(vs, field)
				a.exactInt = fn == "count" || (!float && fn != "avg")
			} else {
				a.exactInt = true
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// versions are the definitions of every version of one template, oldest
// first. A record is read with the fields of the version it was written
// with: a field its version lacks, or has with a type that is not numeric,
// is no value; a field whose type changed between versions is read as each
// version's type says.
type versions []*template.Template

// versions returns every version of t (the latest) whose definition can be
// read, once per tenant, template and version: definitions never change.
func (s *Service) versions(ctx context.Context, tenant uuid.UUID, t *template.Template) (versions, error) {
	k := compiledKey{tenant, t.Key, t.Version}
	if v, ok := s.defs.Load(k); ok {
		return v.(versions), nil
	}
	vs := make(versions, 0, t.Version)
	for v := 1; v < t.Version; v++ {
		old, err := s.records.Template(ctx, t.Key, v)
		if errors.Is(err, kerr.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		vs = append(vs, old)
	}
	vs = append(vs, t)
	v, _ := s.defs.LoadOrStore(k, vs)
	return v.(versions), nil
}

// jsonKind is how the database reads a numeric field's value.
func jsonKind(f *template.Field) (storage.JSONKind, []string) {
	switch f.Type {
	case template.FieldNumber:
		return storage.JSONFloat, []string{f.Key}
	case template.FieldBoolean:
		return storage.JSONBoolean, []string{f.Key}
	case template.FieldLines:
		return storage.JSONInteger, []string{f.Key, "total"}
	}
	return storage.JSONInteger, []string{f.Key}
}

// fieldValue is the SQL of a numeric field's value, read per the record's
// version (see versions), and whether any version holds it as a float.
func (s *Service) fieldValue(vs versions, key string) (expr string, args []any, float bool) {
	type reading struct {
		kind     storage.JSONKind
		path     string
		versions []string
		expr     string
		args     []any
	}
	var readings []*reading
	missing := false
	for _, t := range vs {
		f, ok := t.Field(key)
		if !ok || !f.Type.Numeric() {
			missing = true
			continue
		}
		float = float || f.Type == template.FieldNumber
		kind, path := jsonKind(&f)
		p := strings.Join(path, "\x00")
		i := slices.IndexFunc(readings, func(r *reading) bool { return r.kind == kind && r.path == p })
		if i < 0 {
			e, a := storage.JSONValue(s.dialect, "r.fields", kind, path...)
			readings = append(readings, &reading{kind: kind, path: p, expr: e, args: a})
			i = len(readings) - 1
		}
		readings[i].versions = append(readings[i].versions, strconv.Itoa(t.Version))
	}
	if len(readings) == 1 && !missing {
		return readings[0].expr, readings[0].args, float
	}
	var b strings.Builder
	b.WriteString("CASE")
	for _, r := range readings {
		// Versions are integers from the definitions, not input.
		b.WriteString(" WHEN r.template_version IN (" + strings.Join(r.versions, ", ") + ") THEN " + r.expr)
		args = append(args, r.args...)
	}
	b.WriteString(" END")
	return b.String(), args, float
}

// sqlAggregate is the SQL of a pushed-down aggregation.
func (s *Service) sqlAggregate(a aggregation) (string, []any) {
	if a.value == "" {
		return "COUNT(*)", nil
	}
	expr, args := a.value, a.args
	fn := strings.ToUpper(a.fn)
	if a.fn == "avg" && s.dialect == storage.Postgres {
		// AVG of bigint is numeric; the mean is a float either way.
		return "AVG(" + expr + ")::float8", args
	}
	return fn + "(" + expr + ")", args
}

// parseValue reads a pushed-down aggregate as the database returned it.
func parseValue(a aggregation, raw sql.NullString) (Value, error) {
	if !raw.Valid {
		switch a.fn {
		case "sum", "count":
			// The sum of no values is 0, as in expr.
			return Value{Valid: true, Exact: a.exactInt}, nil
		}
		return Value{}, nil
	}
	if a.exactInt {
		n, err := parseInt(raw)
		if err != nil {
			return Value{}, fmt.Errorf("report: aggregation %q: %w", a.c.Key, err)
		}
		return Value{Valid: true, Float: float64(n), Exact: true, Int: n}, nil
	}
	f, err := strconv.ParseFloat(raw.String, 64)
	if err != nil {
		return Value{}, fmt.Errorf("report: aggregation %q: %q is not a number: %w", a.c.Key, raw.String, err)
	}
	return floatValue(f), nil
}

// parseInt reads an integer sum as the database returned it (NULL: 0).
func parseInt(raw sql.NullString) (int64, error) {
	if !raw.Valid {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(raw.String, ".0"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer: %w", raw.String, err)
	}
	return n, nil
}

// groupRate is one tax rate's total in one group (its key).
type groupRate struct {
	group string
	RateTotal
}

// ratesPart sums the taxes array each record of a lines field stored per
// group and rate into rates, for Group.Lines.Rates.
func (s *Service) ratesPart(field string, group grouping, rates *[]groupRate) *livePart {
	p := s.newLivePart()
	if group.join != "" {
		p.sel.Join(group.join, group.joinArgs...)
	}
	join, jargs, elem := storage.JSONArrayJoin(s.dialect, "r.fields", "tx", field, "taxes")
	rate, rargs := storage.JSONValue(s.dialect, elem, storage.JSONInteger, "rate")
	baseAmt, bargs := storage.JSONValue(s.dialect, elem, storage.JSONInteger, "base")
	tax, targs := storage.JSONValue(s.dialect, elem, storage.JSONInteger, "tax")
	p.sel.Join(join, jargs...).GroupExpr(rate, rargs...)
	p.col(group.expr, group.args...).col(rate, rargs...).col("SUM("+baseAmt+")", bargs...).col("SUM("+tax+")", targs...)
	if !group.whole {
		p.sel.GroupExpr(group.expr, group.args...)
	}
	p.read = func(cols []sql.NullString) error {
		r, err := parseInt(cols[1])
		if err != nil {
			return fmt.Errorf("report: tax rate: %w", err)
		}
		rt := groupRate{group: cols[0].String, RateTotal: RateTotal{Rate: int(r)}}
		if rt.Base, err = parseInt(cols[2]); err != nil {
			return err
		}
		if rt.Tax, err = parseInt(cols[3]); err != nil {
			return err
		}
		*rates = append(*rates, rt)
		return nil
	}
	return p
}

func floatValue(f float64) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}
	}
	return Value{Valid: true, Float: f}
}
