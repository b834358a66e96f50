package contactlog_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// requireHidden requires err to say that the object does not exist: to a
// principal of another tenant, tenant B's objects are not there at all.
func requireHidden(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, contactlog.ErrNotFound)
}

// TestPrincipalScopedHandlesStayInTenant walks every exported method of the
// principal-scoped handles (Service and the handles its methods return)
// and calls it with an admin principal of tenant A on the objects of
// tenant B: each must answer ErrNotFound or a result without B's data, and
// B's objects must be unchanged afterwards. A method the table does not
// know fails the test, so that a new method cannot slip past it.
func TestPrincipalScopedHandlesStayInTenant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		store := localStore(t)
		svc := blobService(t, f, contactlog.Config{Blobs: store})
		later := blobService(t, f, contactlog.Config{Blobs: store, Clock: clocktest.New(f.clock.Now().Add(25*time.Hour), time.Millisecond).Now})

		// Tenant B (the fixture's tenant): a record with an attachment and
		// a comment, a master item and a template of its own, and an
		// orphaned file (an upload whose transaction rolled back).
		rec, err := svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		atts, err := svc.Attachments().Add(f.staff, rec.ID, upload("memo.pdf", pdfFile))
		require.NoError(t, err)
		att := atts[0]
		com, err := svc.Comments().Add(f.staff, rec.ID, "確認しました。")
		require.NoError(t, err)
		secret := contactlog.MasterItem{Code: "b_only", Label: "B社専用"}
		channels, err := svc.Masters().List(f.admin, contactlog.MasterChannel)
		require.NoError(t, err)
		channels = append(channels, secret)
		require.NoError(t, svc.Masters().Set(f.admin, contactlog.MasterChannel, channels))
		st, err := template.NewStore(db, nil)
		require.NoError(t, err)
		_, err = st.Save(f.admin, template.Template{Key: "tenant:visit", Name: "訪問記録", Fields: []template.Field{{Key: "note", Label: "備考", Type: template.FieldText}}})
		require.NoError(t, err)
		boom := errors.New("boom")
		require.ErrorIs(t, storage.InTx(f.staff, db, func(ctx context.Context, tx bun.IDB) error {
			_, err := svc.WithDB(tx).Attachments().Add(ctx, rec.ID, upload("gone.pdf", pdfFile))
			require.NoError(t, err)
			return boom
		}), boom)
		keys := storedKeys(t, store)
		pat, err := svc.ReportPatterns().Create(f.admin, contactlog.ReportPatternInput{Name: "B社の上長", Recipients: []uuid.UUID{f.managerID}})
		require.NoError(t, err)

		x := f.other // an admin of tenant A
		noneOfB := func(t *testing.T, rs []contactlog.Record) {
			t.Helper()
			for _, r := range rs {
				require.NotEqual(t, f.tenant, r.Tenant)
			}
		}
		calls := map[string]func(t *testing.T){
			"Get": func(t *testing.T) {
				_, err := svc.Get(x, rec.ID)
				requireHidden(t, err)
			},
			"History": func(t *testing.T) {
				_, err := svc.History(x, rec.ID, 10)
				requireHidden(t, err)
			},
			"Search": func(t *testing.T) {
				for _, q := range []contactlog.Query{{}, {Customer: f.yamada.ID}, {Text: "新商品"}, {Deleted: true}} {
					p, err := svc.Search(x, q)
					require.NoError(t, err)
					noneOfB(t, p.Records)
				}
			},
			"Matching": func(t *testing.T) {
				for _, q := range []contactlog.Query{{}, {Customer: f.yamada.ID}, {Text: "新商品"}, {Deleted: true}} {
					sel, err := svc.Matching(x, q)
					require.NoError(t, err)
					var tenants []uuid.UUID
					require.NoError(t, sel.Column("r.tenant_id").Scan(t.Context(), &tenants))
					for _, tn := range tenants {
						require.NotEqual(t, f.tenant, tn)
					}
				}
			},
			"Export": func(t *testing.T) {
				for _, q := range []contactlog.Query{{}, {Customer: f.yamada.ID}, {Text: "新商品"}} {
					_, err := svc.Export(x, q, func(rs []contactlog.Record) error {
						noneOfB(t, rs)
						return nil
					})
					require.NoError(t, err)
				}
			},
			"Timeline": func(t *testing.T) {
				_, err := svc.Timeline(x, contactlog.TimelineQuery{Customer: f.yamada.ID})
				requireHidden(t, err)
			},
			"CustomerStatuses": func(t *testing.T) {
				got, err := svc.CustomerStatuses(x, []uuid.UUID{f.yamada.ID, f.partnerCo.ID})
				require.NoError(t, err)
				require.Empty(t, got)
			},
			"Create": func(t *testing.T) {
				_, err := svc.Create(x, entry(f.yamada.ID))
				requireField(t, err, "customer", validation.CodeUnknown)
			},
			"CreateNext": func(t *testing.T) {
				_, err := svc.CreateNext(x, rec.ID, f.clock.Now().Add(24*time.Hour))
				requireHidden(t, err)
			},
			"Update": func(t *testing.T) {
				_, err := svc.Update(x, rec.ID, rec.Version, entry(uuid.Nil))
				requireHidden(t, err)
			},
			"Delete": func(t *testing.T) { requireHidden(t, svc.Delete(x, rec.ID, rec.Version)) },
			"Restore": func(t *testing.T) {
				requireHidden(t, svc.Restore(x, rec.ID, rec.Version))
			},
			"Purge": func(t *testing.T) { requireHidden(t, svc.Purge(x, rec.ID)) },
			"MailRecord": func(t *testing.T) {
				requireHidden(t, svc.MailRecord(x, rec.ID, []uuid.UUID{f.staffID}, "ご確認ください"))
			},
			"Template": func(t *testing.T) {
				_, err := svc.Template(x, "tenant:visit", 0)
				requireHidden(t, err)
			},
			"Templates": func(t *testing.T) {
				ts, err := svc.Templates(x)
				require.NoError(t, err)
				for _, tpl := range ts {
					require.NotEqual(t, "tenant:visit", tpl.Key)
				}
			},
			"Masters.List": func(t *testing.T) {
				items, err := svc.Masters().List(x, contactlog.MasterChannel)
				require.NoError(t, err)
				require.NotContains(t, items, secret)
			},
			"Masters.All": func(t *testing.T) {
				all, err := svc.Masters().All(x)
				require.NoError(t, err)
				require.NotContains(t, all[contactlog.MasterChannel], secret)
			},
			"Masters.Set": func(t *testing.T) {
				items, err := svc.Masters().List(x, contactlog.MasterChannel)
				require.NoError(t, err)
				require.NoError(t, svc.Masters().Set(x, contactlog.MasterChannel, append(items, contactlog.MasterItem{Code: "a_only", Label: "A社専用"})))
			},
			"Attachments.List": func(t *testing.T) {
				_, err := svc.Attachments().List(x, rec.ID)
				requireHidden(t, err)
			},
			"Attachments.Add": func(t *testing.T) {
				_, err := svc.Attachments().Add(x, rec.ID, upload("x.pdf", pdfFile))
				requireHidden(t, err)
			},
			"Attachments.Get": func(t *testing.T) {
				_, err := svc.Attachments().Get(x, att.ID)
				requireHidden(t, err)
			},
			"Attachments.Open": func(t *testing.T) {
				for _, thumb := range []bool{false, true} {
					_, _, err := svc.Attachments().Open(x, att.ID, thumb)
					requireHidden(t, err)
				}
			},
			"Attachments.Update": func(t *testing.T) {
				_, err := svc.Attachments().Update(x, att.ID, att.Version, contactlog.AttachmentMeta{Name: "renamed.pdf"})
				requireHidden(t, err)
			},
			"Attachments.Delete": func(t *testing.T) {
				requireHidden(t, svc.Attachments().Delete(x, att.ID, att.Version))
			},
			"Attachments.CollectOrphans": func(t *testing.T) {
				n, err := later.Attachments().CollectOrphans(x, 24*time.Hour)
				require.NoError(t, err)
				require.Zero(t, n)
			},
			"Comments.List": func(t *testing.T) {
				_, err := svc.Comments().List(x, rec.ID)
				requireHidden(t, err)
			},
			"Comments.Add": func(t *testing.T) {
				_, err := svc.Comments().Add(x, rec.ID, "横から失礼します")
				requireHidden(t, err)
			},
			"Comments.Edit": func(t *testing.T) {
				_, err := svc.Comments().Edit(x, com.ID, com.Version, "書き換え")
				requireHidden(t, err)
			},
			"Comments.Delete": func(t *testing.T) {
				requireHidden(t, svc.Comments().Delete(x, com.ID, com.Version))
			},
			"ReportPatterns.List": func(t *testing.T) {
				ps, err := svc.ReportPatterns().List(x)
				require.NoError(t, err)
				for _, p := range ps {
					require.NotEqual(t, pat.ID, p.ID)
				}
			},
			"ReportPatterns.Create": func(t *testing.T) {
				_, err := svc.ReportPatterns().Create(x, contactlog.ReportPatternInput{Name: "B社の人", Recipients: []uuid.UUID{f.managerID}})
				requireField(t, err, "recipients", validation.CodeUnknown)
			},
			"ReportPatterns.Update": func(t *testing.T) {
				_, err := svc.ReportPatterns().Update(x, pat.ID, contactlog.ReportPatternInput{Name: "乗っ取り", Recipients: []uuid.UUID{f.managerID}})
				requireHidden(t, err)
			},
			"ReportPatterns.Delete": func(t *testing.T) { requireHidden(t, svc.ReportPatterns().Delete(x, pat.ID)) },
			"WithDB": func(t *testing.T) {
				_, err := svc.WithDB(db).Get(x, rec.ID)
				requireHidden(t, err)
			},
		}

		// The Service's methods, and those of the handles it returns (named
		// "Attachments.List", …) in place of the accessors themselves.
		handles := map[string]any{"": svc, "Attachments.": svc.Attachments(), "Comments.": svc.Comments(), "Masters.": svc.Masters(),
			"ReportPatterns.": svc.ReportPatterns()}
		var methods []string
		for prefix, h := range handles {
			for m := range reflect.TypeOf(h).Methods() {
				if _, accessor := handles[m.Name+"."]; prefix == "" && accessor {
					continue
				}
				methods = append(methods, prefix+m.Name)
			}
		}
		require.ElementsMatch(t, methods, slices.Collect(maps.Keys(calls)),
			"every exported method of a principal-scoped handle needs a cross-tenant call in this table")
		for _, name := range slices.Sorted(maps.Keys(calls)) {
			t.Run(name, calls[name])
		}

		// Tenant B is as it was.
		got, err := svc.Get(f.staff, rec.ID)
		require.NoError(t, err)
		require.Equal(t, rec.Version, got.Version)
		list, err := svc.Attachments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{att.ID}, []uuid.UUID{list[0].ID})
		require.Equal(t, att.Version, list[0].Version)
		cs, err := svc.Comments().List(f.staff, rec.ID)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, com.Body, cs[0].Body)
		items, err := svc.Masters().List(f.staff, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Equal(t, channels, items)
		require.Equal(t, keys, storedKeys(t, store))
		pats, err := svc.ReportPatterns().List(f.admin)
		require.NoError(t, err)
		require.Equal(t, []string{pat.Name}, []string{pats[0].Name})
		require.Equal(t, pat.Recipients, pats[0].Recipients)
		_, err = svc.Template(f.staff, "tenant:visit", 0)
		require.NoError(t, err)
	})
}
