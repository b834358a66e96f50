package contactlog

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Tenant catalog lines. In a lines field that uses the tenant's catalog
// (template.Field.TenantCatalog), a line's item names an item of the
// tenant's catalog (contactlog/catalog) by its ID: the item must exist in
// the writer's tenant and not be archived, and it fills what the line
// leaves empty — name (with the variant), unit price, tax rate, category
// and variant — as the catalog is at write time. The record then keeps
// them: a later price change or renaming leaves it alone. On update, a
// line naming an item the record already had in that field is the
// record's own: it is accepted even if the item was archived since (or
// was a product code of a record written before the field used the
// catalog), and what it leaves empty comes from the stored line, not from
// today's catalog. A line without an item is a free line (a discount, a
// service outside the catalog). Items of other lines fields are never
// looked up.

// catalogLine is a tenant catalog item as a line takes it.
type catalogLine struct {
	ID        uuid.UUID `bun:"id"`
	Name      string    `bun:"name"`
	Variant   string    `bun:"variant"`
	UnitPrice int64     `bun:"unit_price"`
	Archived  bool      `bun:"archived"`
	Category  string    `bun:"category"`
	TaxRate   int       `bun:"tax_rate"`
}

// lineItems returns the template.ItemFunc of a write by pr in db; prev is
// the stored record on update. Items are read once per write.
func (s *Service) lineItems(ctx context.Context, db bun.IDB, pr permission.Principal, prev *Record) template.ItemFunc {
	found := map[uuid.UUID]*catalogLine{}
	var own map[string]map[string]template.Line // field → item → the stored line
	return func(field, item string) (*template.CatalogItem, string, error) {
		if item == "" {
			return nil, "", nil
		}
		if prev != nil {
			if own == nil {
				own = storedLines(prev)
			}
			if l, ok := own[field][item]; ok {
				return &template.CatalogItem{Key: l.Item, Name: l.Name, Category: l.Category, Classification: l.Variant,
					UnitPrice: l.UnitPrice, TaxRate: l.TaxRate}, "", nil
			}
		}
		id, err := uuid.Parse(item)
		if err != nil {
			return nil, validation.CodeUnknown, nil
		}
		c, ok := found[id]
		if !ok {
			var row catalogLine
			err := db.NewSelect().TableExpr("catalog_items AS i").
				Join("JOIN catalog_categories AS c ON c.tenant_id = i.tenant_id AND c.id = i.category_id").
				ColumnExpr("i.id, i.name, i.variant, i.unit_price, i.archived, c.name AS category, c.tax_rate").
				Where("i.tenant_id = ? AND i.id = ?", pr.Tenant, id).Scan(ctx, &row)
			switch err = storage.Err(err); {
			case err == nil:
				c = &row
			case !errors.Is(err, ErrNotFound):
				return nil, "", err
			}
			found[id] = c
		}
		switch {
		case c == nil:
			return nil, validation.CodeUnknown, nil
		case c.Archived:
			return nil, validation.CodeNotAllowed, nil
		}
		name := catalog.Item{Name: c.Name, Variant: c.Variant}.DisplayName()
		return &template.CatalogItem{Key: id.String(), Name: name, Category: c.Category, Classification: c.Variant,
			UnitPrice: c.UnitPrice, TaxRate: c.TaxRate}, "", nil
	}
}

// storedLines indexes the lines of prev's lines values by field and item
// (the first line of each item).
func storedLines(prev *Record) map[string]map[string]template.Line {
	out := map[string]map[string]template.Line{}
	for k, v := range prev.Values {
		ls, ok := template.LinesOf(v)
		if !ok {
			continue
		}
		for _, l := range ls.Items {
			if l.Item == "" {
				continue
			}
			if out[k] == nil {
				out[k] = map[string]template.Line{}
			}
			if _, dup := out[k][l.Item]; !dup {
				out[k][l.Item] = l
			}
		}
	}
	return out
}
