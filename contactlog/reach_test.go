package contactlog_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/benchdb"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// A search that reads the records the principal reaches from their
// relations (permission.Reacher: a partner, staff in the "assigned" mode)
// returns the page, cursor and total the walk returns, for every
// condition that may choose it; on PostgreSQL, with the choice forced, the
// statements name the relations, and admins never read them.
func TestSearchFromRelations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		as := f.assigned(t)
		staff, a, partner, admin := as(f.staffID), as(f.aID), as(f.partnerID), as(f.adminID)
		others, err := f.customer.Create(a, customer.Profile{FamilyName: "川上", FamilyKana: "カワカミ"})
		require.NoError(t, err)

		base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		for i := range 24 {
			who, e := staff, entry(f.yamada.ID)
			switch i % 4 {
			case 1: // a's customer, company scope: hidden from staff unless named
				who, e = a, entry(others.ID)
				if i%8 == 1 {
					e.Responders = []uuid.UUID{f.staffID}
				}
			case 2: // a company-scope draft of a's, which every staff member sees
				who, e = a, entry(uuid.Nil)
			case 3:
				who, e = partner, partnerEntry(f.partnerCo.ID)
			}
			e.PlannedAt = base.Add(time.Duration(i) * 24 * time.Hour)
			if i%3 == 0 {
				e.ActualAt = e.PlannedAt.Add(time.Hour)
			}
			if i%5 == 0 {
				e.PublicMemo = fmt.Sprintf("見積書 %d を提出しました。", i)
			}
			_, err := f.svc.Create(who, e)
			require.NoError(t, err)
		}

		from, to := base.Add(3*24*time.Hour), base.Add(20*24*time.Hour)
		queries := map[string]contactlog.Query{
			"planned":      {PlannedFrom: from, PlannedTo: to},
			"actual":       {ActualFrom: from, ActualTo: to, Sort: contactlog.SortActual},
			"keyword":      {Text: "見積書"},
			"two terms":    {Text: "見積 提出"},
			"one letter":   {Text: "見", WithTotal: true, Limit: 2},
			"mine":         {Mine: true, Limit: 2},
			"responder":    {Responder: f.staffID},
			"created":      {CreatedFrom: time.Time{}.Add(time.Hour), Sort: contactlog.SortActual, Limit: 3},
			"total":        {WithTotal: true, Limit: 3},
			"exact total":  {ExactTotal: true, PlannedFrom: from, Limit: 2},
			"drafts, text": {DraftsOnly: true, Text: "商品"},
		}
		var capture benchdb.Capture
		always := contactlog.WithReachCost(f.svc.WithDB(storage.WithQueryHook(db, &capture)), 0)
		never := contactlog.WithReachCost(f.svc, math.Inf(1))
		for name, q := range queries {
			for who, pctx := range map[string]context.Context{"staff": staff, "partner": partner, "admin": admin} {
				walked, err := never.Search(pctx, q)
				require.NoError(t, err)
				before := len(capture.Queries())
				got, err := always.Search(pctx, q)
				require.NoError(t, err, "%s, %s", name, who)
				require.Equal(t, walked, got, "%s, %s", name, who)
				for walked.Next != "" {
					next := q
					next.After = walked.Next
					if walked, err = never.Search(pctx, next); err != nil {
						break
					}
					got, err = always.Search(pctx, next)
					require.NoError(t, err)
					require.Equal(t, walked, got, "%s, %s, page after", name, who)
				}
				require.NoError(t, err)
				if db.Dialect().Name() != dialect.PG {
					continue
				}
				reached, within := false, false
				for _, s := range capture.Queries()[before:] {
					reached = reached || strings.Contains(s, "r.id IN (SELECT x.id FROM contact_records x")
					within = within || strings.Contains(s, "r.id IN (SELECT o.id FROM contact_records AS o") && strings.Contains(s, "(o.id IN (SELECT x.id FROM contact_records x")
				}
				// The time filters read the records reached within their
				// range (a few records here), the other conditions all of
				// them.
				ranged := !q.ActualFrom.IsZero() || !q.PlannedFrom.IsZero()
				require.Equal(t, who != "admin" && !ranged, reached, "%s, %s: the records reached are read", name, who)
				require.Equal(t, who != "admin" && ranged, within, "%s, %s: the records reached are read within the range", name, who)
			}
		}
	})
}

// A keyword of one character has no bigram to look its records up by:
// they are found by checking each record walked. For a staff member in
// the "assigned" mode, who reaches few of the tenant's records, a rare
// one is read from the records reached (the statistics ANALYZE keeps put
// the character among the rarest grams), not by walking every record of
// the tenant; one in every record, a tenth of which they reach, is walked.
func TestSearchFromRelationsOneCharacter(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	f := setup(t, db)
	as := f.assigned(t)
	staff, a := as(f.staffID), as(f.aID)
	others, err := f.customer.Create(a, customer.Profile{FamilyName: "川上", FamilyKana: "カワカミ"})
	require.NoError(t, err)
	rare, err := f.svc.Create(staff, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID, Channel: "visit",
		Progress: "proposing", PublicMemo: "釣り具のご相談。"})
	require.NoError(t, err)
	for i := range 330 {
		who, cust := a, others.ID
		if i%10 == 0 {
			who, cust = staff, f.yamada.ID
		}
		_, err := f.svc.Create(who, entry(cust))
		require.NoError(t, err)
	}
	_, err = db.ExecContext(context.Background(), "ANALYZE contact_records")
	require.NoError(t, err)

	var capture benchdb.Capture
	svc := f.svc.WithDB(storage.WithQueryHook(db, &capture))
	for _, c := range []struct {
		text    string
		reached bool
	}{{"釣", true}, {"商", false}} {
		before := len(capture.Queries())
		page, err := svc.Search(staff, contactlog.Query{Text: c.text, Limit: 5})
		require.NoError(t, err)
		if c.reached {
			require.Len(t, page.Records, 1)
			require.Equal(t, rare.ID, page.Records[0].ID)
		}
		reached := false
		for _, s := range capture.Queries()[before:] {
			reached = reached || strings.Contains(s, "r.id IN (SELECT x.id FROM contact_records x")
		}
		require.Equal(t, c.reached, reached, "%s: the records reached are read", c.text)
	}
}
