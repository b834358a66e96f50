package customer

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// TenantSettings are a tenant's choices about its customer ledger. The
// zero value is what a tenant has until an admin changes it.
type TenantSettings struct {
	// KanaOptional lets individuals be saved without their readings
	// (FamilyKana, GivenKana). When false, the default, an individual needs
	// FamilyKana, and GivenKana when it has a given name, as on memolog's
	// form (顧客名カナ 必須). Companies never need readings. With readings
	// optional, Config.KanaSuggester can still propose them: see SuggestKana
	// and ImportOptions.FillSuggestedKana.
	KanaOptional bool `json:"kana_optional"`
}

type tenantSettingsRow struct {
	bun.BaseModel `bun:"table:customer_settings"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	TenantSettings
}

// TenantSettings returns the principal's tenant's settings.
func (s *Service) TenantSettings(ctx context.Context) (TenantSettings, error) {
	p, err := permission.RequireStaff(ctx)
	if err != nil {
		return TenantSettings{}, err
	}
	st, err := s.settings(ctx, p.Tenant)
	if err != nil {
		return TenantSettings{}, err
	}
	return st.tenant, nil
}

// SetTenantSettings replaces the tenant's settings (admins only). Stored
// customers are not revalidated: one saved without readings keeps none
// when readings become required again, until it is next edited, when they
// must be entered.
func (s *Service) SetTenantSettings(ctx context.Context, ts TenantSettings) error {
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	r := tenantSettingsRow{Tenant: p.Tenant, TenantSettings: ts}
	return storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(&r).
			On("CONFLICT (tenant_id) DO UPDATE").Set("kana_optional = EXCLUDED.kana_optional").
			Exec(ctx); err != nil {
			return storage.Err(err)
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
}
