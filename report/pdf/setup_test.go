package pdf_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/report/pdf"
	"github.com/kirokuhq/kiroku/report/pdf/font/bizud"
)

// kinsokuMemo has paragraphs of 44 to 50 full-width characters followed by
// 。 or 「: a memo line holds 47, so in one paragraph a line would start
// with 。 and in another end with 「 without 禁則.
var kinsokuMemo = func() string {
	var paras []string
	for n := 44; n <= 50; n++ {
		paras = append(paras, strings.Repeat("漢", n)+"。続き", strings.Repeat("字", n)+"「括弧」")
	}
	return strings.Join(paras, "\n")
}()

const (
	publicMemo  = "新しいカタログをお渡ししました。来月もう一度伺います。"
	privateMemo = "決裁者は奥様。値引きは五パーセントまで。"
	usageMemo   = "シャンプーをお買い上げ。"
)

// fixture is a migrated database with a tenant 記録商事, a staff member and
// a partner both in charge of the customer 山田 太郎, whose two records
// are: shared (a 面談記録 with masters, the customer's side, three photos,
// two of them shared, and a PDF file) and unshared (a 利用・会計 slip with
// an amount). The tenant calls the channel "visit" ご訪問 (not the
// default 訪問).
type fixture struct {
	db                *bun.DB
	records           *contactlog.Service
	customers         *customer.Service
	exp               *pdf.Exporter
	staff, partner    context.Context
	admin             context.Context // reads the audit log
	customerPrincipal context.Context
	yamada            uuid.UUID
	shared, unshared  uuid.UUID
	clock             *clocktest.Clock
	newExporter       func(cfg *pdf.Config) *pdf.Exporter
	engine            *permission.Engine // for hand-written SQL in benchmarks
	store             blob.Store
}

func setup(t testing.TB, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, contactlog.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	store, err := blob.NewLocal(t.TempDir())
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Clock: clock.Now, Authorizer: engine, Blobs: store})
	require.NoError(t, err)
	customers, err := customer.NewService(db, &customer.Config{Clock: clock.Now, Authorizer: engine})
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事", CustomerVisibility: permission.VisibilityAll})
	require.NoError(t, err)
	user := func(name string, role permission.Role) context.Context {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: name, Roles: []permission.Role{role}, Active: true})
		require.NoError(t, err)
		p, err := dir.Principal(ctx, tenant.ID, u.ID)
		require.NoError(t, err)
		return permission.WithPrincipal(ctx, p)
	}
	f := &fixture{db: db, records: records, customers: customers, clock: clock, engine: engine, store: store}
	f.staff, f.partner = user("担当 一郎", permission.RoleStaff), user("代理店 二郎", permission.RolePartner)
	f.admin = user("管理 三郎", permission.RoleAdmin)
	channels := contactlog.DefaultMasters()[contactlog.MasterChannel]
	channels[0].Label = "ご訪問"
	require.NoError(t, records.Masters().Set(f.admin, contactlog.MasterChannel, channels))
	sp, _ := permission.FromContext(f.staff)
	pp, _ := permission.FromContext(f.partner)
	c, err := customers.Create(f.staff, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ",
		GivenKana: "タロウ", Assignees: []uuid.UUID{sp.User, pp.User}})
	require.NoError(t, err)
	f.yamada = c.ID
	f.customerPrincipal = permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant.ID, User: uuid.New(),
		Kind: permission.Customer, Customer: c.ID, Location: sp.Location})

	r, err := records.Create(f.staff, contactlog.Entry{
		Template: "builtin:interview", Customer: c.ID, ActualAt: time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC),
		PublicMemo: publicMemo + "\n" + kinsokuMemo, PrivateMemo: privateMemo, Shared: true,
		Values:  map[string]any{"place": "お客様宅", "next_contact_on": "2026-12-10"},
		Channel: "visit", Progress: "proposing", Category1: "product", Category2: "new_purchase",
		SummaryText: "新商品のご案内", Department: "総務部", ContactPersons: []string{"山田 花子"},
	})
	require.NoError(t, err)
	f.shared = r.ID
	_, err = records.Attachments().Add(f.staff, r.ID,
		contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "メモ1.jpg", Shared: true}, Body: bytes.NewReader(jpegFile(t, 120, 80))},
		contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "メモ2.jpg", Shared: true}, Body: bytes.NewReader(jpegFile(t, 80, 120))},
		contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "社内用.jpg"}, Body: bytes.NewReader(jpegFile(t, 100, 100))},
		contactlog.Upload{AttachmentMeta: contactlog.AttachmentMeta{Name: "見積書.pdf", Shared: true}, Body: strings.NewReader("%PDF-1.4\n%%EOF\n")},
	)
	require.NoError(t, err)
	r, err = records.Create(f.staff, contactlog.Entry{
		Template: "builtin:usage", Customer: c.ID, ActualAt: time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC),
		PublicMemo: usageMemo,
		Values:     map[string]any{"items": []any{map[string]any{"name": "シャンプー", "quantity": 2, "unit_price": 1234, "tax_rate": 10}}},
	})
	require.NoError(t, err)
	f.unshared = r.ID

	f.newExporter = func(cfg *pdf.Config) *pdf.Exporter {
		if cfg == nil {
			cfg = &pdf.Config{}
		}
		cfg.Font, cfg.Clock = bizud.Regular(), clock.Now
		cfg.Records, cfg.Customers, cfg.Directory = records, customers, dir
		exp, err := pdf.NewExporter(db, cfg)
		require.NoError(t, err)
		return exp
	}
	f.exp = f.newExporter(nil)
	return f
}

// jpegFile is a w×h JPEG of a gradient.
func jpegFile(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: 128, A: 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}))
	return b.Bytes()
}
