// Package catalog keeps a tenant's catalog of products and services
// (MASPO's 商品・サービスカテゴリー), independent of any record template:
// categories (name, consumption tax rate 10% / 8% / 0%, whether the
// category uses variants (分類), display priority) and the items of each
// category (name, variant, unit price excluding tax, display priority,
// archived).
//
// Records do not point at catalog rows for their amounts: a purchase
// (利用歴, a lines field of a record that uses the tenant catalog,
// template.Field.TenantCatalog) copies the item's
// name, price and rate into the line when it is written, and keeps the
// item's ID in Line.Item, so changing a price never alters past records and
// reports can still tell the item and its category. The record engine
// (contactlog) checks such lines when a record is written: the item must
// be one of the writer's tenant's, not archived (a record keeps the lines
// it already has), and it fills the name, category, variant, price and
// rate a line leaves empty. Merge adds another catalog's items (a
// plugin's menu) once.
//
// Reading is for every staff principal of the tenant; changing the catalog
// is for admins. ImportCSV registers many items at once from a CSV file in
// Shift_JIS or UTF-8 (detected by content); ExportCSV writes the same
// columns back.
//
// The tables catalog_categories and catalog_items are keyed by tenant
// first; Migrate creates them.
package catalog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Error sentinels, the same values every Kiroku engine exports.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrConflict         = kerr.ErrConflict
)

// Limits.
const (
	MaxNameLen    = 100  // characters of a category's or item's name
	MaxVariantLen = 50   // characters of a variant (分類)
	MaxItems      = 5000 // items per tenant
	MaxPosition   = 9999 // display priority is within ±MaxPosition
)

// TaxRates are the consumption tax rates a category may have, in percent:
// standard, reduced (軽減税率) and none.
var TaxRates = []int{10, 8, 0}

//go:embed migrations
var migrations embed.FS

var migrationSet = migration.Register(migration.Set{Name: "catalog", FS: migrations})

// Migrate creates or upgrades the catalog tables, and gives the rows
// written before sort keys existed theirs. It is idempotent and safe when
// several processes run it at once.
func Migrate(ctx context.Context, db *bun.DB) error {
	if err := migration.Run(ctx, db, migrationSet); err != nil {
		return err
	}
	return fillSortKeys(ctx, db)
}

// sortKey is the key lists order a category's name or an item's variant
// and name by, after their position and before their ID: each part's
// textnorm.Key (katakana as hiragana, full-width ASCII as ASCII, lower
// case), tab-separated (a key holds no tab, so the parts compare one after
// the other). The column compares it by code point on both databases.
func sortKey(parts ...string) string {
	keys := make([]string, len(parts))
	for i, p := range parts {
		keys[i] = textnorm.Key(p)
	}
	return strings.Join(keys, "\t")
}

// fillSortKeys writes the sort key of the rows that have none (written
// before the column existed).
func fillSortKeys(ctx context.Context, db bun.IDB) error {
	var rows []struct {
		Table   string    `bun:"t"`
		Tenant  uuid.UUID `bun:"tenant_id"`
		ID      uuid.UUID `bun:"id"`
		Variant string    `bun:"variant"`
		Name    string    `bun:"name"`
	}
	err := db.NewRaw(`SELECT 'catalog_categories' AS t, tenant_id, id, NULL AS variant, name FROM catalog_categories WHERE sort_key IS NULL
		UNION ALL SELECT 'catalog_items', tenant_id, id, variant, name FROM catalog_items WHERE sort_key IS NULL`).Scan(ctx, &rows)
	if err != nil {
		return storage.Err(err)
	}
	for _, r := range rows {
		key := sortKey(r.Name)
		if r.Table == "catalog_items" {
			key = sortKey(r.Variant, r.Name)
		}
		_, err := db.NewUpdate().Table(r.Table).Set("sort_key = ?", key).Where("tenant_id = ? AND id = ?", r.Tenant, r.ID).Exec(ctx)
		if err != nil {
			return storage.Err(err)
		}
	}
	return nil
}

// Category is a group of items with one tax rate (カテゴリー).
type Category struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
	// TaxRate in percent: one of TaxRates.
	TaxRate int `json:"tax_rate"`
	// UsesVariants says the category's items are chosen by variant first
	// (分類を使用する: ラーメン → 醤油 / 味噌); every item then has one.
	UsesVariants bool `json:"uses_variants"`
	// Position orders categories: smaller first, then by name (its
	// textnorm.Key: katakana as hiragana, full-width letters and digits as
	// ASCII, lower case; compared by code point, the same on every
	// database), then by ID.
	Position int `json:"position"`
	// Items counts the category's items (archived included); read-only.
	Items int `json:"items"`
}

// Item is one product or service of a category.
type Item struct {
	ID       uuid.UUID `json:"id"`
	Category uuid.UUID `json:"category"`
	Name     string    `json:"name"`
	// Variant (分類) is required in a category that uses variants and
	// refused in one that does not.
	Variant string `json:"variant,omitempty"`
	// UnitPrice in yen, tax excluded; negative for a discount.
	UnitPrice int64 `json:"unit_price"`
	// Position orders items within their category: smaller first, then
	// by variant and name (compared as Category.Position's names are), then
	// by ID.
	Position int `json:"position"`
	// Archived items are not offered for new purchases; records that
	// carry them keep their lines.
	Archived bool `json:"archived"`
}

type categoryRow struct {
	bun.BaseModel `bun:"table:catalog_categories"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	ID            uuid.UUID `bun:"id,pk"`
	Name          string    `bun:"name"`
	TaxRate       int       `bun:"tax_rate"`
	UsesVariants  bool      `bun:"uses_variants"`
	Position      int       `bun:"position"`
	SortKey       string    `bun:"sort_key"`
	CreatedAt     time.Time `bun:"created_at"`
}

type itemRow struct {
	bun.BaseModel `bun:"table:catalog_items"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	ID            uuid.UUID `bun:"id,pk"`
	Category      uuid.UUID `bun:"category_id"`
	Name          string    `bun:"name"`
	Variant       string    `bun:"variant"`
	UnitPrice     int64     `bun:"unit_price"`
	Position      int       `bun:"position"`
	Archived      bool      `bun:"archived"`
	SortKey       string    `bun:"sort_key"`
	CreatedAt     time.Time `bun:"created_at"`
}

func (r itemRow) item() Item {
	return Item{ID: r.ID, Category: r.Category, Name: r.Name, Variant: r.Variant, UnitPrice: r.UnitPrice, Position: r.Position, Archived: r.Archived}
}

// Config configures a Service; nil or the zero value gives the defaults.
type Config struct {
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time
}

// Service reads and changes tenants' catalogs. It is safe for concurrent
// use.
type Service struct {
	db    bun.IDB
	clock func() time.Time
}

// NewService returns a Service over db (migrated with Migrate).
func NewService(db bun.IDB, cfg *Config) (*Service, error) {
	if db == nil {
		return nil, errors.New("catalog: NewService: db is required")
	}
	if _, err := storage.Of(db); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	s := &Service{db: db, clock: time.Now}
	if cfg != nil && cfg.Clock != nil {
		s.clock = cfg.Clock
	}
	return s, nil
}

func staff(ctx context.Context) (permission.Principal, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return pr, err
	}
	if !pr.IsStaff() {
		return pr, fmt.Errorf("catalog: %w", ErrPermissionDenied)
	}
	return pr, nil
}

// Categories returns the tenant's categories by position, then name, then
// ID (see Category.Position).
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	pr, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	return s.categories(ctx, s.db, pr.Tenant)
}

func (s *Service) categories(ctx context.Context, db bun.IDB, tenant uuid.UUID) ([]Category, error) {
	var rows []struct {
		categoryRow `bun:",extend"`
		Items       int `bun:"items"`
	}
	err := db.NewSelect().TableExpr("catalog_categories AS c").
		ColumnExpr("c.tenant_id, c.id, c.name, c.tax_rate, c.uses_variants, c.position, c.sort_key, c.created_at").
		ColumnExpr("(SELECT COUNT(*) FROM catalog_items AS i WHERE i.tenant_id = c.tenant_id AND i.category_id = c.id) AS items").
		Where("c.tenant_id = ?", tenant).
		OrderExpr("c.position, c.sort_key, c.id").Scan(ctx, &rows)
	if err != nil {
		return nil, storage.Err(err)
	}
	out := make([]Category, len(rows))
	for i, r := range rows {
		out[i] = Category{ID: r.ID, Name: r.Name, TaxRate: r.TaxRate, UsesVariants: r.UsesVariants, Position: r.Position, Items: r.Items}
	}
	return out, nil
}

// Category returns one category.
func (s *Service) Category(ctx context.Context, id uuid.UUID) (Category, error) {
	cs, err := s.Categories(ctx)
	if err != nil {
		return Category{}, err
	}
	if i := slices.IndexFunc(cs, func(c Category) bool { return c.ID == id }); i >= 0 {
		return cs[i], nil
	}
	return Category{}, fmt.Errorf("catalog: category %s: %w", id, ErrNotFound)
}

// Items returns the items of the tenant's catalog, of one category (or of
// every category for uuid.Nil), ordered by category (as Categories), then
// as Item.Position says; archived ones only when withArchived.
func (s *Service) Items(ctx context.Context, category uuid.UUID, withArchived bool) ([]Item, error) {
	pr, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	return s.items(ctx, s.db, pr.Tenant, category, withArchived)
}

func (s *Service) items(ctx context.Context, db bun.IDB, tenant, category uuid.UUID, withArchived bool) ([]Item, error) {
	var rows []itemRow
	q := db.NewSelect().Model(&rows).ModelTableExpr("catalog_items AS i").ColumnExpr("i.*").
		Join("JOIN catalog_categories AS c ON c.tenant_id = i.tenant_id AND c.id = i.category_id").
		Where("i.tenant_id = ?", tenant).
		OrderExpr("c.position, c.sort_key, c.id, i.position, i.sort_key, i.id")
	if category != uuid.Nil {
		q.Where("i.category_id = ?", category)
	}
	if !withArchived {
		q.Where("NOT i.archived")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	out := make([]Item, len(rows))
	for i, r := range rows {
		out[i] = r.item()
	}
	return out, nil
}

// Item returns one item (archived ones too).
func (s *Service) Item(ctx context.Context, id uuid.UUID) (Item, error) {
	pr, err := staff(ctx)
	if err != nil {
		return Item{}, err
	}
	var r itemRow
	err = s.db.NewSelect().Model(&r).Where("tenant_id = ? AND id = ?", pr.Tenant, id).Scan(ctx)
	if err != nil {
		return Item{}, fmt.Errorf("catalog: item %s: %w", id, storage.Err(err))
	}
	return r.item(), nil
}

// name cleans a name as templates clean text: full-width ASCII folded,
// runs of spaces as one.
func name(s string) string { return strings.Join(strings.Fields(textnorm.FoldVariants(s)), " ") }

// numbers parses a money value and an integer with the template engine's
// number rules ("¥1,200", "1200円", full-width digits).
var numbers = template.Template{Key: "catalog:numbers", Version: 1, Name: "catalog", Fields: []template.Field{
	{Key: "unit_price", Label: "価格", Type: template.FieldMoney, Min: template.Limit(-template.MaxUnitPrice), Max: template.Limit(template.MaxUnitPrice)},
	{Key: "position", Label: "表示優先度", Type: template.FieldInteger, Min: template.Limit(-MaxPosition), Max: template.Limit(MaxPosition)},
	{Key: "tax_rate", Label: "税率", Type: template.FieldInteger, Unit: "%"},
}}

// parseNumber reads one of numbers' fields from text ("" is zero) and adds
// a problem for field to v when it is not a valid value.
func parseNumber(v *validation.Error, field, key, raw string) int64 {
	if strings.TrimSpace(raw) == "" {
		return 0
	}
	out, err := numbers.Validate(map[string]any{key: raw}, time.UTC)
	var fe *validation.Error
	if errors.As(err, &fe) {
		for _, f := range fe.Fields {
			v.Add(field, f.Code, f.Param)
		}
		return 0
	}
	n, _ := out[key].(int64)
	return n
}

func checkName(v *validation.Error, field, s string, limit int, required bool) {
	switch {
	case s == "" && required:
		v.Add(field, validation.CodeRequired, "")
	case !v.CheckText(field, s, false):
	case utf8.RuneCountInString(s) > limit:
		v.Add(field, validation.CodeTooLong, strconv.Itoa(limit))
	}
}

func checkCategory(v *validation.Error, prefix string, c *Category) {
	c.Name = name(c.Name)
	checkName(v, prefix+"name", c.Name, MaxNameLen, true)
	if !slices.Contains(TaxRates, c.TaxRate) {
		v.Add(prefix+"tax_rate", validation.CodeUnknown, strconv.Itoa(c.TaxRate))
	}
	if c.Position < -MaxPosition || c.Position > MaxPosition {
		v.Add(prefix+"position", validation.CodeOutOfRange, fmt.Sprintf("%d..%d", -MaxPosition, MaxPosition))
	}
}

func checkItem(v *validation.Error, prefix string, it *Item, cat *Category) {
	it.Name = name(it.Name)
	it.Variant = name(it.Variant)
	checkName(v, prefix+"name", it.Name, MaxNameLen, true)
	switch {
	case cat == nil:
	case cat.UsesVariants:
		checkName(v, prefix+"variant", it.Variant, MaxVariantLen, true)
	case it.Variant != "":
		v.Add(prefix+"variant", validation.CodeNotAllowed, cat.Name)
	}
	if it.UnitPrice < -template.MaxUnitPrice || it.UnitPrice > template.MaxUnitPrice {
		v.Add(prefix+"unit_price", validation.CodeOutOfRange, fmt.Sprintf("%d..%d", -template.MaxUnitPrice, template.MaxUnitPrice))
	}
	if it.Position < -MaxPosition || it.Position > MaxPosition {
		v.Add(prefix+"position", validation.CodeOutOfRange, fmt.Sprintf("%d..%d", -MaxPosition, MaxPosition))
	}
}

// SaveCategory creates a category (ID uuid.Nil) or changes one, and
// returns it as stored. Admins only. Problems are a *validation.Error
// naming the field (name: required, too_long, duplicate; tax_rate:
// unknown; position: out_of_range; uses_variants: not_allowed when turning
// variants off while items have one, or on while items lack one).
func (s *Service) SaveCategory(ctx context.Context, c Category) (Category, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return Category{}, err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		return s.saveCategory(ctx, tx, pr.Tenant, &c)
	})
	if err != nil {
		return Category{}, fmt.Errorf("catalog: save category: %w", err)
	}
	return c, nil
}

func (s *Service) saveCategory(ctx context.Context, tx bun.IDB, tenant uuid.UUID, c *Category) error {
	var v validation.Error
	checkCategory(&v, "", c)
	if err := v.Err(); err != nil {
		return err
	}
	dup, err := tx.NewSelect().Table("catalog_categories").
		Where("tenant_id = ? AND name = ? AND id <> ?", tenant, c.Name, c.ID).Exists(ctx)
	if err != nil {
		return storage.Err(err)
	}
	if dup {
		v.Add("name", validation.CodeDuplicate, c.Name)
		return v.Err()
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.New()
		row := categoryRow{Tenant: tenant, ID: c.ID, Name: c.Name, TaxRate: c.TaxRate, UsesVariants: c.UsesVariants,
			Position: c.Position, SortKey: sortKey(c.Name), CreatedAt: s.clock().UTC()}
		_, err := tx.NewInsert().Model(&row).Exec(ctx)
		return storage.Err(err)
	}
	// Items must keep fitting the category: all with a variant, or none.
	clash, err := tx.NewSelect().Table("catalog_items").
		Where("tenant_id = ? AND category_id = ?", tenant, c.ID).
		Where("(variant = '') = ?", c.UsesVariants).Exists(ctx)
	if err != nil {
		return storage.Err(err)
	}
	if clash {
		v.Add("uses_variants", validation.CodeNotAllowed, "")
		return v.Err()
	}
	res, err := tx.NewUpdate().Table("catalog_categories").
		Set("name = ?", c.Name).Set("sort_key = ?", sortKey(c.Name)).Set("tax_rate = ?", c.TaxRate).Set("uses_variants = ?", c.UsesVariants).Set("position = ?", c.Position).
		Where("tenant_id = ? AND id = ?", tenant, c.ID).Exec(ctx)
	if err := storage.Affected(res, err, fmt.Errorf("category %s: %w", c.ID, ErrNotFound)); err != nil {
		return err
	}
	return tx.NewSelect().Table("catalog_items").ColumnExpr("COUNT(*)").
		Where("tenant_id = ? AND category_id = ?", tenant, c.ID).Scan(ctx, &c.Items)
}

// DeleteCategory deletes a category without items. A category with items
// (archived ones included: past purchases name them) is refused with a
// *validation.Error on "category", code not_allowed; archive its items
// instead. Admins only.
func (s *Service) DeleteCategory(ctx context.Context, id uuid.UUID) error {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		used, err := tx.NewSelect().Table("catalog_items").Where("tenant_id = ? AND category_id = ?", pr.Tenant, id).Exists(ctx)
		if err != nil {
			return err
		}
		if used {
			var v validation.Error
			v.Add("category", validation.CodeNotAllowed, "items")
			return v.Err()
		}
		res, err := tx.NewDelete().Table("catalog_categories").Where("tenant_id = ? AND id = ?", pr.Tenant, id).Exec(ctx)
		return storage.Affected(res, err, fmt.Errorf("category %s: %w", id, ErrNotFound))
	})
	if err != nil {
		return fmt.Errorf("catalog: delete category: %w", err)
	}
	return nil
}

// SaveItem creates an item (ID uuid.Nil) or changes one, and returns it as
// stored. Admins only. Problems are a *validation.Error naming the field
// (category: unknown; name: required, too_long, duplicate (same name and
// variant in the category); variant: required, not_allowed; unit_price,
// position: out_of_range).
func (s *Service) SaveItem(ctx context.Context, it Item) (Item, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return Item{}, err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cats, err := s.categories(ctx, tx, pr.Tenant)
		if err != nil {
			return err
		}
		return s.saveItem(ctx, tx, pr.Tenant, cats, &it, "")
	})
	if err != nil {
		return Item{}, fmt.Errorf("catalog: save item: %w", err)
	}
	return it, nil
}

func (s *Service) saveItem(ctx context.Context, tx bun.IDB, tenant uuid.UUID, cats []Category, it *Item, prefix string) error {
	var v validation.Error
	var cat *Category
	if i := slices.IndexFunc(cats, func(c Category) bool { return c.ID == it.Category }); i >= 0 {
		cat = &cats[i]
	} else {
		v.Add(prefix+"category", validation.CodeUnknown, it.Category.String())
	}
	checkItem(&v, prefix, it, cat)
	if err := v.Err(); err != nil {
		return err
	}
	dup, err := tx.NewSelect().Table("catalog_items").
		Where("tenant_id = ? AND category_id = ? AND variant = ? AND name = ? AND id <> ?", tenant, it.Category, it.Variant, it.Name, it.ID).
		Exists(ctx)
	if err != nil {
		return storage.Err(err)
	}
	if dup {
		v.Add(prefix+"name", validation.CodeDuplicate, it.Name)
		return v.Err()
	}
	if it.ID != uuid.Nil {
		res, err := tx.NewUpdate().Table("catalog_items").
			Set("category_id = ?", it.Category).Set("name = ?", it.Name).Set("variant = ?", it.Variant).
			Set("sort_key = ?", sortKey(it.Variant, it.Name)).
			Set("unit_price = ?", it.UnitPrice).Set("position = ?", it.Position).Set("archived = ?", it.Archived).
			Where("tenant_id = ? AND id = ?", tenant, it.ID).Exec(ctx)
		return storage.Affected(res, err, fmt.Errorf("item %s: %w", it.ID, ErrNotFound))
	}
	var n int
	if err := tx.NewSelect().Table("catalog_items").ColumnExpr("COUNT(*)").Where("tenant_id = ?", tenant).Scan(ctx, &n); err != nil {
		return storage.Err(err)
	}
	if n >= MaxItems {
		v.Add(prefix+"name", validation.CodeTooMany, strconv.Itoa(MaxItems))
		return v.Err()
	}
	it.ID = uuid.New()
	row := itemRow{Tenant: tenant, ID: it.ID, Category: it.Category, Name: it.Name, Variant: it.Variant,
		UnitPrice: it.UnitPrice, Position: it.Position, Archived: it.Archived, SortKey: sortKey(it.Variant, it.Name),
		CreatedAt: s.clock().UTC()}
	_, err = tx.NewInsert().Model(&row).Exec(ctx)
	return storage.Err(err)
}

// Line returns the line a purchase of quantity of the item writes: the
// item's ID, its name (with the variant, "醤油ラーメン（大盛）"), its price and
// its category's tax rate, as they are now. The record keeps them, so a
// later price change leaves it alone. Archived items are refused with a
// *validation.Error on "item", code not_allowed.
func (s *Service) Line(ctx context.Context, item uuid.UUID, quantity float64) (template.Line, error) {
	it, err := s.Item(ctx, item)
	if err != nil {
		return template.Line{}, err
	}
	if it.Archived {
		var v validation.Error
		v.Add("item", validation.CodeNotAllowed, it.Name)
		return template.Line{}, fmt.Errorf("catalog: line: %w", v.Err())
	}
	cat, err := s.Category(ctx, it.Category)
	if err != nil {
		return template.Line{}, err
	}
	return template.Line{Item: it.ID.String(), Name: it.DisplayName(), Quantity: quantity, UnitPrice: it.UnitPrice, TaxRate: cat.TaxRate}, nil
}

// DisplayName is the item's name with its variant, as lines and lists show
// it: "醤油ラーメン（大盛）", or the name alone.
func (it Item) DisplayName() string {
	if it.Variant == "" {
		return it.Name
	}
	return it.Name + "（" + it.Variant + "）"
}

// Merge adds items of another catalog — a plugin's menu, the catalog of a
// template (template.CatalogItem) — to the tenant's catalog, once: each
// item goes into the category named by its Category (created with the
// item's tax rate, using variants when any of its items has a
// Classification, after the tenant's categories), as an item with its
// name, its Classification as the variant and its unit price. What the
// tenant already has is left as the tenant keeps it: a category of the
// same name keeps its rate and options, an item of the same category,
// variant and name keeps its price, position and archived flag. Merging
// the same items again therefore changes nothing. It returns how many
// items it added. Admins only.
//
// Problems are a *validation.Error naming the item by its index
// ("items[i].…"): an item without a Category (category: required), a
// tax rate not in TaxRates, items of one new category at different rates
// (tax_rate: not_allowed), a variant in an existing category without
// variants or none in one with them, and the rules of SaveItem. Nothing is
// added then.
func (s *Service) Merge(ctx context.Context, items []template.CatalogItem) (int, error) {
	pr, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return 0, err
	}
	added := 0
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		added = 0
		cats, err := s.categories(ctx, tx, pr.Tenant)
		if err != nil {
			return err
		}
		have, err := s.items(ctx, tx, pr.Tenant, uuid.Nil, true)
		if err != nil {
			return err
		}
		byName := map[string]*Category{}
		position := 0
		for i := range cats {
			byName[cats[i].Name] = &cats[i]
			position = max(position, cats[i].Position+1)
		}
		var v validation.Error
		// New categories first: their rate and whether they use variants
		// come from all their items.
		created := map[string]bool{}
		for i, it := range items {
			p := fmt.Sprintf("items[%d].", i)
			cn := name(it.Category)
			switch c, ok := byName[cn]; {
			case cn == "":
				v.Add(p+"category", validation.CodeRequired, "")
			case !ok:
				c = &Category{Name: cn, TaxRate: it.TaxRate, Position: min(position, MaxPosition)}
				byName[cn], created[cn] = c, true
				fallthrough
			case created[cn]:
				if c.TaxRate != it.TaxRate {
					v.Add(p+"tax_rate", validation.CodeNotAllowed, strconv.Itoa(c.TaxRate))
				}
				c.UsesVariants = c.UsesVariants || name(it.Classification) != ""
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		for i, it := range items {
			c := byName[name(it.Category)]
			if created[c.Name] && c.ID == uuid.Nil {
				if err := s.saveCategory(ctx, tx, pr.Tenant, c); err != nil {
					return prefixed(err, fmt.Sprintf("items[%d].", i))
				}
				cats = append(cats, *c)
			}
			want := Item{Category: c.ID, Name: it.Name, Variant: it.Classification, UnitPrice: it.UnitPrice}
			// Cleaned as stored, to compare; saveItem reports problems.
			checkItem(&validation.Error{}, "", &want, c)
			if slices.ContainsFunc(have, func(h Item) bool {
				return h.Category == want.Category && h.Variant == want.Variant && h.Name == want.Name
			}) {
				continue
			}
			if err := s.saveItem(ctx, tx, pr.Tenant, cats, &want, fmt.Sprintf("items[%d].", i)); err != nil {
				return err
			}
			have = append(have, want)
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("catalog: merge: %w", err)
	}
	return added, nil
}

// prefixed returns err with prefix before the field names of its
// *validation.Error, if it is one.
func prefixed(err error, prefix string) error {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return err
	}
	for i := range ve.Fields {
		ve.Fields[i].Field = prefix + ve.Fields[i].Field
	}
	return err
}
