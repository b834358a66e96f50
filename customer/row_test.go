package customer

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// rowColumns, the columns of the engine's own INSERTs, are every column of
// row's bun model (which reads them back).
func TestRowColumnsAreTheModel(t *testing.T) {
	t.Parallel()
	table := sqlitedialect.New().Tables().Get(reflect.TypeFor[row]())
	var model []string
	for _, f := range table.Fields {
		model = append(model, f.Name)
	}
	require.ElementsMatch(t, model, rowColumns)
}

// A row written by rowWriter (each value in its column) reads back through
// bun as it was, every column holding a value of its own, and its grams are
// indexed.
func TestRowWriterRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		d, err := storage.Of(db)
		require.NoError(t, err)
		at := func(h int) *time.Time { t := time.Date(2026, 12, 9, h, 0, 0, 123000, time.UTC); return &t }
		id := func() *uuid.UUID { u := uuid.New(); return &u }
		bd := date.Date{Year: 1980, Month: 4, Day: 1}
		r := row{Customer: Customer{ID: *id(), Tenant: *id(), Profile: Profile{
			Kind: Company, Status: Existing, FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ",
			CompanyName: "山田商事", CompanyKana: "ヤマダショウジ", Department: "営業部", Email: "taro@example.jp",
			Mobile: "090-1234-5678", Phone: "03-1234-5678", Birthday: &bd, Gender: Male, PostalCode: "160-0023",
			Address: "東京都新宿区", ContactMethod: ContactLetter, DecisionMaker: "山田花子", Rank: "A", Memo: "メモ\n二行目",
			Custom: map[string]any{"care_level": "要介護2", "visits": float64(3)},
		}, ConsentAt: at(1), ConsentBy: id(), CreatedAt: *at(2), CreatedBy: *id(), UpdatedAt: *at(3), UpdatedBy: *id(),
			DeletedAt: at(4), DeletedBy: id(), Version: 7},
			NameKey: "name", SortKana: "sort", SearchText: "search", PhoneDigits: "0312345678", MobileDigits: "09012345678",
			EmailKey: "email", Grams: storage.Grams{"山田", "田太"}}
		svc := &Service{dialect: d}
		require.NoError(t, storage.InTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
			return svc.insertRows(ctx, tx, []row{r})
		}))
		// The grams are found through the index (a column on PostgreSQL,
		// the FTS5 table on SQLite).
		for _, g := range r.Grams {
			expr, args := gramIndex.Filter(d, "c", r.Tenant, []string{g})
			var ids []uuid.UUID
			require.NoError(t, db.NewSelect().Model((*row)(nil)).Column("c.id").Where(expr, args...).Scan(ctx, &ids))
			require.Equal(t, []uuid.UUID{r.ID}, ids, g)
		}
		r.Grams = nil // never read back
		var got row
		require.NoError(t, db.NewSelect().Model(&got).ExcludeColumn("grams").Where("c.id = ?", r.ID).Scan(ctx))
		for _, p := range []**time.Time{&got.ConsentAt, &got.DeletedAt} {
			u := (**p).UTC()
			*p = &u
		}
		got.CreatedAt, got.UpdatedAt = got.CreatedAt.UTC(), got.UpdatedAt.UTC()
		require.Equal(t, r, got)
	})
}
