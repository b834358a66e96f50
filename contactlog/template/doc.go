// Package template defines record templates: the typed fields of a kind of
// contact record (面談記録, 商談, 問合せ, クレーム・提案, 日報, 利用・会計, or
// whatever a tenant or a plugin defines), how their values are validated
// and normalized, and the aggregations reports compute over them.
//
// The package has a pure, in-memory core (Template, Field, Validate, Check,
// CompiledAggregation) and a small store for tenant-defined templates. The
// record engine (contactlog) finds a record's template with
// Registry.Template(ctx, tenant, key, version), validates the record's
// values with Template.Validate, and renders them with the fields' labels,
// help and order.
//
// # Templates and versions
//
// A Template is identified by Key, "namespace:name" in lower-case ASCII.
// The namespace says where it comes from:
//
//	builtin:…   the built-in templates of this package (Builtins)
//	tenant:…    templates a tenant's admins defined (Store)
//	<plugin>:…  templates a plugin contributes, e.g. careservice:visit
//
// Definitions are versioned from 1 and never change in place: saving a
// changed definition creates the next version, old versions stay readable
// forever, and a record keeps the (key, version) it was written with, so
// it renders and re-validates with the fields it had. An archived template
// is hidden when new records are created; its records still render. A
// Confidential template's records are withheld from partner principals
// (the record engine enforces this).
//
// Template.Check validates a definition: well-formed unique keys, known
// types, options for select fields, bounds that suit the type with
// Min ≤ Max, defaults that are valid values, catalogs that lines fields
// name, and aggregation expressions that compile. Every problem is
// reported at once as a *ValidationError.
//
// # Fields and values
//
// Each Field has a Key (lower snake ASCII, optionally namespaced by a
// plugin as "careservice:care_level"), a Japanese Label, a Type, and
// optionally Required, Min/Max, Options, Default, Help, Unit and Catalog.
// Template.Validate accepts the values of a record as Go values or as
// encoding/json decoded them, and returns them normalized to one canonical
// Go type per field type:
//
//	type         canonical value   accepted input (besides the canonical value)
//	text         string            one line; line breaks become spaces; ≤ 1000 characters
//	longtext     string            several lines (CRLF → LF); ≤ 10 000 characters
//	number       float64           numbers; "12.5", "１２．５", "1,200.5", "65kg" (with Unit "kg")
//	integer      int64             whole numbers; "１２３", "1,200"
//	money        int64 (yen)       whole yen; "1,200", "¥1,200", "1200円", "１，２００円"
//	date         date.Date     "2024-03-15", "2024/3/15", "令和6年3月15日", "R6.3.15", time.Time
//	datetime     time.Time (UTC)   RFC 3339; "2024-03-15 14:30", "2024-03-15T14:30", "令和6年3月15日 14時30分" in the tenant's zone
//	duration     int64 (minutes)   90, "90", "90分", "1:30", "1時間30分", "1時間半", "1.5時間", "1h30m", time.Duration
//	select       string            one of Options (full-width forms folded)
//	multiselect  []string          a []string or []any subset of Options; kept in Options order, repeats dropped
//	boolean      bool              "true"/"false", "1"/"0", "on"/"off", "はい"/"いいえ", 1/0
//	staff        uuid.UUID         a UUID string (a staff user; the record engine checks it exists)
//	contact      uuid.UUID         a UUID string (a customer contact)
//	lines        Lines             []Line, []any of maps, the JSON form of Lines
//
// Full-width digits and punctuation are folded everywhere. Missing values
// ("" or nil or an empty list) take the field's Default when it has one;
// a Required field without a value is reported. Keys the template does
// not define are refused. Min and Max bound numbers, durations (minutes),
// text length (characters), multiselect choices and lines. Problems are
// reported all at once under "fields.<key>" (and "fields.<key>[i].quantity"
// for a line) with stable codes: required, unknown, wrong_type, format,
// out_of_range, too_long, too_many, invalid_date, outside_era, invalid_id.
// A normalized value, once stored as JSON and read back, validates again to
// the same value.
//
// # Lines, catalogs and tax
//
// A lines field (MASPO's 会計項目) holds lines of items: item key, name,
// quantity (positive, up to three decimals), unit price in yen tax
// excluded, and tax rate in percent (0–100; 10 standard and 8 reduced
// under 軽減税率). Each line's subtotal is round(quantity × unit price);
// the consumption tax is computed once per rate over the record (per
// receipt), rounded by the template's TaxRounding (floor by default,
// round or ceil), and the value carries Subtotal, Taxes per rate, Tax and
// Total. A field that names one of the template's Catalogs requires each
// line to name a catalog item, whose name, price and tax rate fill what
// the line leaves out; a line may override the rate (an item eaten in at
// 10% or taken out at 8%). Catalogs group items by category and
// classification (ラーメン: 醤油・味噌・塩 × 普通・大盛) and travel with the
// template definition, so each version keeps its prices. A lines field
// with TenantCatalog draws from the tenant's catalog instead
// (contactlog/catalog): a line's item is a catalog item's ID, which the
// record engine resolves (ValidateOptions.Items) to fill the line's name,
// category, variant, price and rate. In any other lines field an item is
// a free product code, kept as typed and never looked up.
//
// # Aggregations
//
// An Aggregation is an expr (github.com/expr-lang/expr) expression over
// the template's numeric fields across many records, e.g.
// sum(.work_minutes), avg(.expected_amount), count(),
// sum(.visits) / count(). See CompiledAggregation for the language.
// Expressions are compiled and type-checked by Check (a compile error is
// reported as "aggregations[i].expr", code format, with the message and
// its line:column as Param), so a bad expression can never be stored.
// CompiledAggregation.Eval evaluates over columns of values
// (Template.Columns builds them from records); Simple recognises the plain
// sum/avg/min/max/count forms that a report engine may push down to SQL.
//
// # Sources and the registry
//
// A Source provides the templates of one namespace. BuiltinSource serves
// the built-ins, a *Store a tenant's own, Static fixed templates (a
// plugin's manifest); a plugin host may implement Source over its
// protocol. A Registry routes by namespace and answers for a namespace
// nobody serves with ErrNotFound naming the plugin
// ("template: plugin careservice is not installed").
//
// # Store
//
// The Store keeps tenant templates in the tables template_definitions (one
// row per (tenant_id, key, version), the definition as JSON) and
// template_heads (the latest version and the archive flag per key), on
// PostgreSQL and SQLite; Migrate creates them. Save is for admins, takes
// "tenant:" keys only, runs Check, and is optimistic: it takes the version
// the edit was based on and fails with ErrConflict when someone saved in
// between. Get (version 0 is the latest) and List serve any principal of
// the tenant, which comes from the principal in ctx
// (permission.WithPrincipal); Archive and Unarchive are for admins. A
// Store on a *bun.DB serves each tenant's latest templates from memory
// while the tenant's version (permission.TenantVersion) has not moved;
// its writes advance the version in their transaction
// (permission.BumpVersion), so several processes on one database stay
// current.
package template
