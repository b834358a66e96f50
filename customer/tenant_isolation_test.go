package customer_test

import (
	"bytes"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestServiceStaysInTenant walks every exported method of the
// principal-scoped Service and calls it with an admin principal of tenant
// A on the objects of tenant B: each must answer ErrNotFound or a result
// without B's data, and B's objects must be unchanged afterwards. A method
// the table does not know fails the test, so that a new method cannot slip
// past it.
func TestServiceStaysInTenant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		svc := f.svc
		// Tenant B (the fixture's tenant): a customer with an assignee, a
		// list holding it, a rank, a custom field and tenant settings of
		// its own.
		p := taro()
		p.FamilyName, p.FamilyKana = "轟", "トドロキ" // in no template or sample
		p.Assignees = []uuid.UUID{f.a}
		c, err := svc.Create(f.admin, p)
		require.NoError(t, err)
		list, err := svc.CreateList(f.staff, "B社の重点顧客")
		require.NoError(t, err)
		require.NoError(t, svc.AddToList(f.staff, list.ID, c.ID))
		ranks := append(slices.Clone(customer.DefaultRanks), customer.Rank{Code: "S", Label: "B社特級"})
		require.NoError(t, svc.SetRanks(f.admin, ranks))
		field := customer.FieldDef{Key: "b_secret", Label: "B社専用項目", Type: customer.FieldText}
		require.NoError(t, svc.DefineField(f.admin, field))
		require.NoError(t, svc.SetTenantSettings(f.admin, customer.TenantSettings{KanaOptional: true}))

		x := f.other // an admin of tenant A
		hidden := func(t *testing.T, err error) {
			t.Helper()
			require.ErrorIs(t, err, customer.ErrNotFound)
		}
		noB := func(t *testing.T, out string) {
			t.Helper()
			for _, s := range []string{p.FamilyName, p.FamilyKana, field.Label, "B社特級", list.Name} {
				require.NotContains(t, out, s)
			}
		}
		calls := map[string]func(t *testing.T){
			"Create": func(t *testing.T) {
				mine, err := svc.Create(x, customer.Profile{FamilyName: "他社", FamilyKana: "タシャ"})
				require.NoError(t, err)
				require.NotEqual(t, f.tenant, mine.Tenant)
				_, err = svc.Create(x, customer.Profile{FamilyName: "他社", FamilyKana: "タシャ", Assignees: []uuid.UUID{f.a}})
				require.ErrorIs(t, err, customer.ErrInvalid, "B's staff are no assignees in A")
			},
			"Get": func(t *testing.T) {
				_, err := svc.Get(x, c.ID)
				hidden(t, err)
			},
			// Every method of the files handle crosses tenants in
			// TestFilesFollowCustomerPermissions (it needs a blob store).
			"Files": func(t *testing.T) {
				_, err := svc.Files().List(x, c.ID)
				hidden(t, err)
			},
			"Names": func(t *testing.T) {
				names, err := svc.Names(x, []uuid.UUID{c.ID})
				require.NoError(t, err)
				require.Empty(t, names)
			},
			"Update": func(t *testing.T) {
				_, err := svc.Update(x, c.ID, c.Version, customer.Profile{FamilyName: "乗っ取り", FamilyKana: "ノットリ"})
				hidden(t, err)
			},
			"Delete":  func(t *testing.T) { hidden(t, svc.Delete(x, c.ID)) },
			"Restore": func(t *testing.T) { hidden(t, svc.Restore(x, c.ID)) },
			"Purge":   func(t *testing.T) { hidden(t, svc.Purge(x, c.ID)) },
			"Search": func(t *testing.T) {
				page, err := svc.Search(x, customer.Query{Text: p.FamilyName})
				require.NoError(t, err)
				require.Empty(t, page.Customers)
				page, err = svc.Search(x, customer.Query{})
				require.NoError(t, err)
				for _, got := range page.Customers {
					require.NotEqual(t, f.tenant, got.Tenant)
				}
			},
			"SetAssignees": func(t *testing.T) { hidden(t, svc.SetAssignees(x, c.ID, nil)) },
			"Reassign": func(t *testing.T) {
				n, err := svc.Reassign(x, f.a, f.b)
				require.Zero(t, n)
				require.ErrorIs(t, err, customer.ErrInvalid, "B's staff are no users of A")
			},
			"AssignmentHistory": func(t *testing.T) {
				_, err := svc.AssignmentHistory(x, c.ID)
				hidden(t, err)
			},
			"WriteTemplate": func(t *testing.T) {
				var b bytes.Buffer
				require.NoError(t, svc.WriteTemplate(x, &b, customer.UTF8BOM))
				noB(t, b.String())
			},
			"Import": func(t *testing.T) {
				var tpl bytes.Buffer
				require.NoError(t, svc.WriteTemplate(x, &tpl, customer.UTF8BOM))
				header, _, _ := strings.Cut(tpl.String(), "\n")
				cols := strings.Count(header, ",") + 1
				row := "鈴木,花子,スズキ,ハナコ" + strings.Repeat(",", cols-4)
				rep, err := svc.Import(x, strings.NewReader(header+"\n"+row+"\n"), customer.ImportOptions{})
				require.NoError(t, err)
				require.Equal(t, 1, rep.Created, "into A")
			},
			"Export": func(t *testing.T) {
				var b bytes.Buffer
				_, err := svc.Export(x, &b, customer.Query{}, customer.ExportOptions{})
				require.NoError(t, err)
				noB(t, b.String())
				require.NotContains(t, b.String(), c.ID.String())
			},
			"SuggestKana": func(t *testing.T) {
				_, ok, err := svc.SuggestKana(x, p.FamilyName, p.GivenName)
				require.NoError(t, err)
				require.False(t, ok, "it reads no stored data: the fixture has no suggester")
			},
			"CreateList": func(t *testing.T) {
				_, err := svc.CreateList(x, "A社のリスト")
				require.NoError(t, err)
			},
			"Lists": func(t *testing.T) {
				ls, err := svc.Lists(x)
				require.NoError(t, err)
				for _, l := range ls {
					require.NotEqual(t, list.ID, l.ID)
				}
			},
			"RenameList":     func(t *testing.T) { hidden(t, svc.RenameList(x, list.ID, "改名")) },
			"DeleteList":     func(t *testing.T) { hidden(t, svc.DeleteList(x, list.ID)) },
			"AddToList":      func(t *testing.T) { hidden(t, svc.AddToList(x, list.ID, c.ID)) },
			"RemoveFromList": func(t *testing.T) { hidden(t, svc.RemoveFromList(x, list.ID, c.ID)) },
			"Ranks": func(t *testing.T) {
				rs, err := svc.Ranks(x)
				require.NoError(t, err)
				require.Equal(t, customer.DefaultRanks, rs)
			},
			"SetRanks": func(t *testing.T) {
				require.NoError(t, svc.SetRanks(x, []customer.Rank{{Code: "Z", Label: "A社"}}))
			},
			"Fields": func(t *testing.T) {
				fs, err := svc.Fields(x)
				require.NoError(t, err)
				for _, fd := range fs {
					require.NotEqual(t, field.Label, fd.Label)
				}
			},
			"DefineField": func(t *testing.T) {
				require.NoError(t, svc.DefineField(x, customer.FieldDef{Key: field.Key, Label: "A社の項目", Type: customer.FieldText}))
			},
			"RemoveField": func(t *testing.T) {
				err := svc.RemoveField(x, field.Key) // A's own field of that key
				require.NoError(t, err)
				hidden(t, svc.RemoveField(x, field.Key))
			},
			"TenantSettings": func(t *testing.T) {
				ts, err := svc.TenantSettings(x)
				require.NoError(t, err)
				require.False(t, ts.KanaOptional)
			},
			"SetTenantSettings": func(t *testing.T) {
				require.NoError(t, svc.SetTenantSettings(x, customer.TenantSettings{}))
			},
			"WithDB": func(t *testing.T) {
				_, err := svc.WithDB(db).Get(x, c.ID)
				hidden(t, err)
			},
		}

		var methods []string
		for m := range reflect.TypeOf(svc).Methods() {
			methods = append(methods, m.Name)
		}
		require.ElementsMatch(t, methods, slices.Collect(maps.Keys(calls)),
			"every exported method of the principal-scoped handle needs a cross-tenant call in this table")
		for _, name := range slices.Sorted(maps.Keys(calls)) {
			t.Run(name, calls[name])
		}

		// Tenant B is as it was.
		got, err := svc.Get(f.admin, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Version, got.Version)
		require.Equal(t, []uuid.UUID{f.a}, got.Assignees)
		ls, err := svc.Lists(f.staff)
		require.NoError(t, err)
		require.Equal(t, []string{list.Name}, []string{ls[0].Name})
		rs, err := svc.Ranks(f.admin)
		require.NoError(t, err)
		require.Equal(t, ranks, rs)
		fs, err := svc.Fields(f.admin)
		require.NoError(t, err)
		require.Len(t, fs, 1)
		require.Equal(t, field.Label, fs[0].Label)
		ts, err := svc.TenantSettings(f.admin)
		require.NoError(t, err)
		require.True(t, ts.KanaOptional)
	})
}
