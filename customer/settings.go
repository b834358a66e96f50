package customer

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Rank is one of a tenant's customer ranks (ランク), e.g. A/B/C by
// importance.
type Rank struct {
	Code  string `json:"code"`  // stored on the customer, e.g. "A"
	Label string `json:"label"` // shown to users, e.g. "A (重要)"
}

// DefaultRanks are a tenant's ranks until it sets its own: A, B, C.
var DefaultRanks = []Rank{{Code: "A", Label: "A"}, {Code: "B", Label: "B"}, {Code: "C", Label: "C"}}

// FieldType is the type of a custom field.
type FieldType string

// Custom field types and the Go values they hold in Profile.Custom.
const (
	FieldText    FieldType = "text"    // string, at most 1000 characters
	FieldNumber  FieldType = "number"  // float64
	FieldInteger FieldType = "integer" // int64
	FieldDate    FieldType = "date"    // string YYYY-MM-DD (era input accepted)
	FieldBoolean FieldType = "boolean" // bool
	FieldSelect  FieldType = "select"  // string, one of Options
)

// FieldDef defines one custom field of a tenant's customers.
type FieldDef struct {
	// Key names the field in Profile.Custom: lower-case ASCII letters,
	// digits and underscores, optionally namespaced by a plugin
	// ("careservice:care_level").
	Key      string    `bun:"key,pk" json:"key"`
	Label    string    `bun:"label" json:"label"`
	Type     FieldType `bun:"type" json:"type"`
	Options  []string  `bun:"options,type:jsonb" json:"options,omitempty"` // for FieldSelect
	Required bool      `bun:"required" json:"required"`
	Position int       `bun:"position" json:"position"`
}

type fieldRow struct {
	bun.BaseModel `bun:"table:customer_fields"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	FieldDef
}

type rankRow struct {
	bun.BaseModel `bun:"table:customer_ranks"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	Code          string    `bun:"code,pk"`
	Label         string    `bun:"label"`
	Position      int       `bun:"position"`
}

var fieldKeyRE = regexp.MustCompile(`^([a-z][a-z0-9_]{0,39}:)?[a-z][a-z0-9_]{0,39}$`)

// settings is what validation needs of the tenant.
type settings struct {
	ranks  []Rank
	fields []FieldDef
	tenant TenantSettings
}

// settingsQuery reads what validation needs of a tenant in one statement
// (a create or an import costs one round trip for it, not three): its
// ranks, its custom fields and its settings row, told apart by "what".
const settingsQuery = `SELECT 'rank' AS what, code AS key, label, '' AS type, '[]' AS options, FALSE AS required, position, FALSE AS kana_optional
 FROM customer_ranks WHERE tenant_id = ?0
UNION ALL SELECT 'field', key, label, type, options, required, position, FALSE FROM customer_fields WHERE tenant_id = ?0
UNION ALL SELECT 'tenant', '', '', '', '[]', FALSE, 0, kana_optional FROM customer_settings WHERE tenant_id = ?0
ORDER BY 1, 7, 2`

// settingsRow is one row of settingsQuery.
type settingsRow struct {
	What string `bun:"what"`
	FieldDef
	KanaOptional bool `bun:"kana_optional"`
}

// settings returns the tenant's ranks (DefaultRanks when it has none),
// custom fields and settings: from memory while the tenant version
// (permission.TenantVersion, once per request within a version memo) has
// not moved, else read. The result is shared: callers never change it.
func (s *Service) settings(ctx context.Context, tenant uuid.UUID) (*settings, error) {
	if s.settingsCache == nil {
		return s.readSettings(ctx, tenant)
	}
	v, err := permission.TenantVersion(ctx, s.db, tenant)
	if errors.Is(err, ErrNotFound) { // a tenant outside the directory has no version to cache by
		return s.readSettings(ctx, tenant)
	}
	if err != nil {
		return nil, err
	}
	return s.settingsCache.Get(tenant, v, func() (*settings, error) { return s.readSettings(ctx, tenant) })
}

// readSettings reads what settings returns with one statement.
func (s *Service) readSettings(ctx context.Context, tenant uuid.UUID) (*settings, error) {
	var rows []settingsRow
	if err := s.db.NewRaw(settingsQuery, tenant).Scan(ctx, &rows); err != nil {
		return nil, storage.Err(err)
	}
	st := &settings{fields: []FieldDef{}}
	for _, r := range rows {
		switch r.What {
		case "rank":
			st.ranks = append(st.ranks, Rank{Code: r.Key, Label: r.Label})
		case "field":
			st.fields = append(st.fields, r.FieldDef)
		case "tenant":
			st.tenant.KanaOptional = r.KanaOptional
		}
	}
	if len(st.ranks) == 0 {
		st.ranks = slices.Clone(DefaultRanks)
	}
	return st, nil
}

// Ranks returns the tenant's ranks, DefaultRanks until SetRanks was called.
func (s *Service) Ranks(ctx context.Context) ([]Rank, error) {
	p, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.settings(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	return slices.Clone(st.ranks), nil
}

// SetRanks replaces the tenant's ranks (admins only). Codes are 1–20
// characters and unique; labels default to the code. Customers keep rank
// codes that are no longer defined until they are next edited, when the
// rank must be chosen again.
func (s *Service) SetRanks(ctx context.Context, ranks []Rank) error {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	var v validation.Error
	if len(ranks) == 0 {
		v.Add("ranks", validation.CodeRequired, "")
	}
	seen := map[string]bool{}
	rows := make([]rankRow, len(ranks))
	for i, r := range ranks {
		f := fmt.Sprintf("ranks[%d]", i)
		r.Code, r.Label = clean(r.Code), clean(r.Label)
		switch {
		case r.Code == "":
			v.Add(f+".code", validation.CodeRequired, "")
		case utf8.RuneCountInString(r.Code) > 20:
			v.Add(f+".code", validation.CodeTooLong, "20")
		case seen[r.Code]:
			v.Add(f+".code", validation.CodeDuplicate, r.Code)
		}
		seen[r.Code] = true
		if r.Label == "" {
			r.Label = r.Code
		}
		if utf8.RuneCountInString(r.Label) > 50 {
			v.Add(f+".label", validation.CodeTooLong, "50")
		}
		rows[i] = rankRow{Tenant: p.Tenant, Code: r.Code, Label: r.Label, Position: i}
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("customer: set ranks: %w", err)
	}
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().Model((*rankRow)(nil)).Where("tenant_id = ?", p.Tenant).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
}

// Fields returns the tenant's custom field definitions in display order.
func (s *Service) Fields(ctx context.Context) ([]FieldDef, error) {
	p, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.settings(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(st.fields)
	for i := range out {
		out[i].Options = slices.Clone(out[i].Options)
	}
	return out, nil
}

// DefineField creates or replaces a custom field definition (admins only).
// Existing values are kept; a value that no longer fits the definition is
// reported when that customer is next saved.
func (s *Service) DefineField(ctx context.Context, def FieldDef) error {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	def.Label = clean(def.Label)
	var v validation.Error
	if !fieldKeyRE.MatchString(def.Key) {
		v.Add("key", validation.CodeFormat, def.Key)
	}
	if def.Label == "" {
		v.Add("label", validation.CodeRequired, "")
	} else if utf8.RuneCountInString(def.Label) > 50 {
		v.Add("label", validation.CodeTooLong, "50")
	}
	switch def.Type {
	case FieldText, FieldNumber, FieldInteger, FieldDate, FieldBoolean:
		def.Options = nil
	case FieldSelect:
		if len(def.Options) == 0 {
			v.Add("options", validation.CodeRequired, "")
		}
		seen := map[string]bool{}
		for i, o := range def.Options {
			o = clean(o)
			def.Options[i] = o
			if o == "" || seen[o] {
				v.Add(fmt.Sprintf("options[%d]", i), validation.CodeDuplicate, o)
			}
			seen[o] = true
		}
	default:
		v.Add("type", validation.CodeUnknown, string(def.Type))
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("customer: define field: %w", err)
	}
	if def.Options == nil {
		def.Options = []string{}
	}
	r := fieldRow{Tenant: p.Tenant, FieldDef: def}
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(&r).
			On("CONFLICT (tenant_id, key) DO UPDATE").
			Set("label = EXCLUDED.label, type = EXCLUDED.type, options = EXCLUDED.options").
			Set("required = EXCLUDED.required, position = EXCLUDED.position").
			Exec(ctx); err != nil {
			return storage.Err(err)
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
}

// RemoveField deletes a custom field definition and erases its values from
// every customer of the tenant, in one transaction (admins only).
func (s *Service) RemoveField(ctx context.Context, key string) error {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewDelete().Model((*fieldRow)(nil)).
			Where("tenant_id = ?", p.Tenant).Where("key = ?", key).Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return fmt.Errorf("customer: remove field %q: %w", key, err)
		}
		expr, args := storage.JSONWithoutKey(s.dialect, "custom_fields", key)
		if _, err = tx.NewUpdate().Model((*row)(nil)).Set("custom_fields = "+expr, args...).
			Where("tenant_id = ?", p.Tenant).Exec(ctx); err != nil {
			return err
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
}
