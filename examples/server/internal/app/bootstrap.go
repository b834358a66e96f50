package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
)

// SetupLinkTTL is how long the first start's password link stays valid.
const SetupLinkTTL = 24 * time.Hour

// Bootstrap is what the first start did.
type Bootstrap struct {
	// Tenant and Admin are the first tenant and administrator.
	Tenant, Admin uuid.UUID
	// Created is true when this start created them.
	Created bool
	// SetupURL, when not empty, is a single-use link where the
	// administrator chooses a password (no password configured yet).
	SetupURL string
}

// Bootstrap creates, when the installation has no login yet, the first
// tenant (with its company org unit) and an administrator whose login is
// Config.AdminEmail. While that administrator has no password it sets
// Config.AdminPassword, or returns a fresh single-use setup link.
func (a *App) Bootstrap(ctx context.Context) (*Bootstrap, error) {
	b := &Bootstrap{}
	has, err := a.Auth.HasLogin(ctx)
	if err != nil {
		return nil, err
	}
	if !has {
		t, err := a.Dir.CreateTenant(ctx, permission.Tenant{Name: "Kiroku"})
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		if _, err := a.Dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: t.ID, Name: "本社", Kind: permission.UnitCompany}); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		u, err := a.Dir.SaveUser(ctx, permission.User{Tenant: t.ID, Name: "管理者", Kana: "カンリシャ",
			Email: a.Config.AdminEmail, Roles: []permission.Role{permission.RoleAdmin}, Active: true})
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		if err := a.Auth.SetLogin(ctx, t.ID, u.ID, a.Config.AdminEmail); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		b.Created = true
	}
	tenant, admin, err := a.Auth.UserByLogin(ctx, a.Config.AdminEmail)
	if err != nil {
		// The configured admin login is not in this installation (changed
		// after the first start): nothing to set up.
		return b, nil
	}
	b.Tenant, b.Admin = tenant, admin
	hasPW, err := a.Auth.HasPassword(ctx, admin)
	if err != nil || hasPW {
		return b, err
	}
	if a.Config.AdminPassword != "" {
		if err := a.Auth.SetPassword(ctx, admin, a.Config.AdminPassword); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvAdminPassword, err)
		}
		return b, nil
	}
	token, err := a.Auth.IssueToken(ctx, tenant, admin, auth.PurposeSetPassword, SetupLinkTTL)
	if err != nil {
		return nil, err
	}
	b.SetupURL = a.Config.BaseURL + "/password/" + token
	return b, nil
}
