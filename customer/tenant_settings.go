package customer

import (
	"context"
	"database/sql"
	"errors"

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

// tenantSettings loads the tenant's settings, the zero value when none
// were saved.
func (s *Service) tenantSettings(ctx context.Context, tenant uuid.UUID) (TenantSettings, error) {
	var r tenantSettingsRow
	err := s.db.NewSelect().Model(&r).Where("tenant_id = ?", tenant).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return TenantSettings{}, nil
	}
	if err != nil {
		return TenantSettings{}, storage.Err(err)
	}
	return r.TenantSettings, nil
}

// TenantSettings returns the principal's tenant's settings.
func (s *Service) TenantSettings(ctx context.Context) (TenantSettings, error) {
	p, err := permission.RequireStaff(ctx)
	if err != nil {
		return TenantSettings{}, err
	}
	return s.tenantSettings(ctx, p.Tenant)
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
	_, err = s.db.NewInsert().Model(&r).
		On("CONFLICT (tenant_id) DO UPDATE").Set("kana_optional = EXCLUDED.kana_optional").
		Exec(ctx)
	return storage.Err(err)
}
