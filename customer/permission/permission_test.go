package permission_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/permission"
)

func TestRequire(t *testing.T) {
	t.Parallel()
	tenant, user := uuid.New(), uuid.New()
	staff := permission.Principal{Tenant: tenant, User: user, Roles: []permission.Role{permission.RoleStaff}}
	cases := []struct {
		name    string
		ctx     context.Context
		roles   []permission.Role
		wantErr error
	}{
		{"no principal", context.Background(), nil, permission.ErrUnauthenticated},
		{"zero tenant", permission.WithPrincipal(context.Background(), permission.Principal{User: user}), nil, permission.ErrUnauthenticated},
		{"zero user", permission.WithPrincipal(context.Background(), permission.Principal{Tenant: tenant}), nil, permission.ErrUnauthenticated},
		{"unknown kind", permission.WithPrincipal(context.Background(), permission.Principal{Tenant: tenant, User: user, Kind: "robot"}), nil, permission.ErrUnauthenticated},
		{"staff", permission.WithPrincipal(context.Background(), staff), nil, nil},
		{"customer is not staff", permission.WithPrincipal(context.Background(), permission.Principal{Tenant: tenant, User: user, Kind: permission.Customer}), nil, permission.ErrPermissionDenied},
		{"staff lacks admin", permission.WithPrincipal(context.Background(), staff), []permission.Role{permission.RoleAdmin}, permission.ErrPermissionDenied},
		{"manager may", permission.WithPrincipal(context.Background(), permission.Principal{Tenant: tenant, User: user, Roles: []permission.Role{permission.RoleManager}}), []permission.Role{permission.RoleAdmin, permission.RoleManager}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.roles != nil {
				_, err = permission.RequireRole(tc.ctx, tc.roles...)
			} else {
				_, err = permission.RequireStaff(tc.ctx)
			}
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
}

func Example() {
	ctx := permission.WithPrincipal(context.Background(), permission.Principal{
		Tenant: uuid.MustParse("0193a6c2-0000-7000-8000-000000000001"),
		User:   uuid.MustParse("0193a6c2-0000-7000-8000-000000000002"),
		Roles:  []permission.Role{permission.RoleManager},
	})
	p, err := permission.RequireRole(ctx, permission.RoleAdmin, permission.RoleManager)
	fmt.Println(err, p.Has(permission.RoleManager))
	_, err = permission.Require(context.Background())
	fmt.Println(err)
	// Output:
	// <nil> true
	// unauthenticated
}
