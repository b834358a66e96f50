package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
)

// sqliteTable loads the small business's data set into the SQLite file of
// -data (once) and prints the table of issue 21: each case through the
// engines beside hand-written SQL doing the same work on the same file,
// p50 / p95 over -d per case, then single creates per second and the file
// size per record.
func sqliteTable(ctx context.Context, o options) error {
	if o.dataset != "smallbusiness" {
		return errors.New("-table measures -dataset smallbusiness")
	}
	if err := loadDataset(ctx, o); err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Config{DataDir: o.data, AdminEmail: admin, AdminPassword: password},
		app.Options{NoDispatcher: true})
	if err != nil {
		return err
	}
	defer a.Close()
	boot, err := a.Bootstrap(ctx)
	if err != nil {
		return err
	}
	tenant := boot.Tenant
	users, err := a.Dir.Users(ctx, tenant)
	if err != nil {
		return err
	}
	staff := slices.IndexFunc(users, func(u permission.User) bool {
		return slices.Equal(u.Roles, []permission.Role{permission.RoleStaff})
	})
	if staff < 0 {
		return errors.New("no staff member in the tenant")
	}
	asStaff, err := principal(ctx, a, tenant, users[staff].ID)
	if err != nil {
		return err
	}
	var records, customers int
	if err := a.DB.QueryRowContext(ctx, "SELECT count(*) FROM contact_records WHERE tenant_id = ?", tenant).Scan(&records); err != nil {
		return err
	}
	if err := a.DB.QueryRowContext(ctx, "SELECT count(*) FROM customers WHERE tenant_id = ?", tenant).Scan(&customers); err != nil {
		return err
	}
	// The busiest customer and the median one (by number of records).
	var counts []struct {
		ID uuid.UUID
		N  int
	}
	rows, err := a.DB.QueryContext(ctx, `SELECT customer_id, count(*) FROM contact_records
		WHERE tenant_id = ? AND customer_id IS NOT NULL AND deleted_at IS NULL GROUP BY customer_id ORDER BY 2 DESC, 1`, tenant)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c struct {
			ID uuid.UUID
			N  int
		}
		if err := rows.Scan(&c.ID, &c.N); err != nil {
			return err
		}
		counts = append(counts, c)
	}
	if err := firstOf(rows.Err(), rows.Close()); err != nil {
		return err
	}
	if len(counts) == 0 {
		return errors.New("no records loaded")
	}
	busiest, median := counts[0], counts[len(counts)/2]
	fmt.Printf("SQLite %s: %d customers, %d records (tenant %s); p50 / p95 over %s per case\n",
		filepath.Join(o.data, "kiroku.db"), customers, records, tenant, o.duration)
	fmt.Printf("| case | Kiroku | hand-written SQL, same file |\n|---|---|---|\n")
	capture := &queryCapture{}
	//lint:ignore SA1019 the engines already built over a.DB must report to capture (WithQueryHook returns a copy)
	a.DB.AddQueryHook(capture)
	row := func(name string, engine func() error, hand string, args ...any) error {
		if o.plans {
			if err := plans(ctx, a, capture, name, engine); err != nil {
				return err
			}
		}
		e, err := latency(o.duration, engine)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		h, err := latency(o.duration, func() error {
			rows, err := a.DB.QueryContext(ctx, hand, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			return firstOf(rows.Err(), rows.Close())
		})
		if err != nil {
			return fmt.Errorf("%s (hand-written): %w", name, err)
		}
		fmt.Printf("| %s | %s | %s |\n", name, e, h)
		return nil
	}
	const newest = `SELECT * FROM contact_records WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 21`
	// The record's search keys: a key column is empty where the key is the
	// text it is made of (contactlog stores a key only where it differs).
	const keyword = `SELECT * FROM contact_records WHERE tenant_id = ? AND deleted_at IS NULL
		AND (CASE search_text WHEN '' THEN CASE WHEN public_memo = '' THEN summary_text WHEN summary_text = '' THEN public_memo
			ELSE public_memo || ' ' || summary_text END ELSE search_text END LIKE ?
		OR CASE private_search_text WHEN '' THEN private_memo ELSE private_search_text END LIKE ?)
		ORDER BY created_at DESC, id DESC LIMIT 21`
	const custSearch = `SELECT * FROM customers WHERE tenant_id = ? AND deleted_at IS NULL AND search_text LIKE ?
		ORDER BY sort_kana, id LIMIT 21`
	const timeline = `SELECT * FROM contact_records WHERE tenant_id = ? AND customer_id = ? AND deleted_at IS NULL
		ORDER BY occurred_at DESC, id DESC LIMIT 20`
	for _, c := range []struct {
		name   string
		engine func() error
		hand   string
		args   []any
	}{
		{"top page, staff (hand: newest of the tenant)", func() error {
			_, err := a.Records.Search(asStaff, contactlog.Query{Limit: 20, WithDetails: true})
			return err
		}, newest, []any{tenant}},
		{"customer search 田中", func() error {
			_, err := a.Customers.Search(asStaff, customer.Query{Text: "田中"})
			return err
		}, custSearch, []any{tenant, "%田中%"}},
		{"customer search たな", func() error {
			_, err := a.Customers.Search(asStaff, customer.Query{Text: "たな"})
			return err
		}, custSearch, []any{tenant, "%タナ%"}},
	} {
		if err := row(c.name, c.engine, c.hand, c.args...); err != nil {
			return err
		}
	}
	for _, w := range []string{"見積", "挨拶", "不在票"} {
		if err := row("keyword "+w, func() error {
			_, err := a.Records.Search(asStaff, contactlog.Query{Text: w})
			return err
		}, keyword, tenant, "%"+w+"%", "%"+w+"%"); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name string
		id   uuid.UUID
		n    int
	}{{"busiest", busiest.ID, busiest.N}, {"median", median.ID, median.N}} {
		if err := row(fmt.Sprintf("timeline, %s customer (%d records)", c.name, c.n), func() error {
			_, err := a.Records.Timeline(asStaff, contactlog.TimelineQuery{Customer: c.id})
			return err
		}, timeline, tenant, c.id); err != nil {
			return err
		}
	}
	if err := creates(ctx); err != nil {
		return err
	}
	// The pages in use: a migration that drops a table leaves free pages
	// in the file until a VACUUM.
	var pages, free, pageSize int64
	for q, v := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &pageSize} {
		if err := a.DB.QueryRowContext(ctx, q).Scan(v); err != nil {
			return err
		}
	}
	fi, err := os.Stat(filepath.Join(o.data, "kiroku.db"))
	if err != nil {
		return err
	}
	used := float64((pages - free) * pageSize)
	fmt.Printf("file: %.1f MiB (%.1f MiB in use), %.2f KiB in use per record (customers included)\n",
		float64(fi.Size())/(1<<20), used/(1<<20), used/1024/float64(max(records, 1)))
	return nil
}

// queryCapture is a bun query hook that, while on, remembers the SQL of
// every query.
type queryCapture struct {
	mu      sync.Mutex
	on      bool
	queries []string
}

func (h *queryCapture) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *queryCapture) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.on {
		h.queries = append(h.queries, e.Query)
	}
}

// plans runs op once and prints SQLite's EXPLAIN QUERY PLAN of every query
// it issued.
func plans(ctx context.Context, a *app.App, h *queryCapture, name string, op func() error) error {
	h.mu.Lock()
	h.on, h.queries = true, nil
	h.mu.Unlock()
	err := op()
	h.mu.Lock()
	h.on = false
	queries := h.queries
	h.mu.Unlock()
	if err != nil {
		return err
	}
	fmt.Printf("plans of %s:\n", name)
	for _, q := range queries {
		rows, err := a.DB.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			return err
		}
		fmt.Printf("  %s\n", q)
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			fmt.Printf("    %d<%d %s\n", id, parent, detail)
		}
		if err := firstOf(rows.Err(), rows.Close()); err != nil {
			return err
		}
	}
	return nil
}

// createCount is how many customers, then records, creates times.
const createCount = 200

// creates times single creates, one call (one transaction) each, of
// customers and then of records about them, as the administrator of a
// fresh SQLite data directory, and prints the rate of each.
func creates(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "kiroku-creates-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a, err := app.Open(ctx, app.Config{DataDir: dir, AdminEmail: admin, AdminPassword: password},
		app.Options{NoDispatcher: true})
	if err != nil {
		return err
	}
	defer a.Close()
	boot, err := a.Bootstrap(ctx)
	if err != nil {
		return err
	}
	pctx, err := principal(ctx, a, boot.Tenant, boot.Admin)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, createCount)
	began := time.Now()
	for i := range ids {
		c, err := a.Customers.Create(pctx, customer.Profile{FamilyName: "山田", GivenName: fmt.Sprintf("太郎%d", i),
			FamilyKana: "ヤマダ", GivenKana: "タロウ", Memo: "見積書をお送りする予定。"})
		if err != nil {
			return err
		}
		ids[i] = c.ID
	}
	perCustomer := time.Since(began) / createCount
	began = time.Now()
	for _, id := range ids {
		if _, err := a.Records.Create(pctx, contactlog.Entry{Template: "builtin:interview", Customer: id,
			PublicMemo: "新商品のご案内と見積書の説明をしました。", PrivateMemo: "決裁は来月。"}); err != nil {
			return err
		}
	}
	perRecord := time.Since(began) / createCount
	fmt.Printf("single creates (one transaction each, fresh file): customers %.0f/s (%.2f ms), records %.0f/s (%.2f ms)\n",
		float64(time.Second)/float64(perCustomer), float64(perCustomer)/1e6,
		float64(time.Second)/float64(perRecord), float64(perRecord)/1e6)
	return nil
}

// principal returns a context carrying the principal of user.
func principal(ctx context.Context, a *app.App, tenant, user uuid.UUID) (context.Context, error) {
	p, err := a.Principal(ctx, tenant, user)
	if err != nil {
		return nil, err
	}
	return permission.WithPrincipal(ctx, p), nil
}

// stat is p50 / p95 of n timed calls.
type stat struct {
	n        int
	p50, p95 time.Duration
}

// percentiles sorts lat and returns its stat.
func percentiles(lat []time.Duration) stat {
	slices.Sort(lat)
	return stat{n: len(lat), p50: lat[len(lat)/2], p95: lat[int(0.95*float64(len(lat)-1))]}
}

func (s stat) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	return ms(s.p50) + " / " + ms(s.p95) + " ms"
}

// latency warms op up (twice), then calls it one at a time for d (at least
// five times) and returns its p50 and p95.
func latency(d time.Duration, op func() error) (stat, error) {
	for range 2 {
		if err := op(); err != nil {
			return stat{}, err
		}
	}
	var lat []time.Duration
	for end := time.Now().Add(d); len(lat) < 5 || time.Now().Before(end); {
		t0 := time.Now()
		if err := op(); err != nil {
			return stat{}, err
		}
		lat = append(lat, time.Since(t0))
	}
	return percentiles(lat), nil
}
