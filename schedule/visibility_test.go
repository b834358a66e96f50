package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// TestCalendarVisibilityModel draws appointments and records with random
// authors, staff or responders, customers, scopes and confidentiality,
// then checks for every principal kind (admin, manager, staff, partner)
// that the calendar (the SQL predicate) shows exactly what
// permission.Engine.Check lets them view, and that Appointment and
// contactlog's Get agree.
func TestCalendarVisibilityModel(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		dir, err := permission.NewDirectory(db, f.clock.Now)
		require.NoError(t, err)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		mk := func(name, email string, role permission.Role) uuid.UUID {
			u, err := dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: name, Email: email, Roles: []permission.Role{role}, Active: true})
			require.NoError(t, err)
			return u.ID
		}
		mgrID := mk("課長 M", "m@example.jp", permission.RoleManager)
		partnerID := mk("代理店 P", "p@partner.example", permission.RolePartner)
		require.NoError(t, dir.SetGroupMembers(ctx, f.tenant, f.group, []permission.Member{{User: f.aID}, {User: f.bID}, {User: mgrID, Manager: true}}))
		as := func(user uuid.UUID) context.Context {
			p, err := dir.Principal(ctx, f.tenant, user)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		users := []uuid.UUID{f.adminID, f.aID, f.bID, f.cID, mgrID, partnerID}
		ctxs := map[uuid.UUID]context.Context{}
		for _, u := range users {
			ctxs[u] = as(u)
		}
		kato, err := f.cfg.Customers.Create(ctxs[f.adminID], customer.Profile{FamilyName: "加藤", FamilyKana: "カトウ", Assignees: []uuid.UUID{partnerID}})
		require.NoError(t, err)
		assignees := map[uuid.UUID][]uuid.UUID{f.yamada.ID: {f.aID, f.bID}, f.sato.ID: {f.cID}, kato.ID: {partnerID}}
		customers := []uuid.UUID{uuid.Nil, f.yamada.ID, f.sato.ID, kato.ID}

		rng := rand.New(rand.NewPCG(17, 5))
		pick := func(n int) []uuid.UUID {
			var out []uuid.UUID
			for _, u := range users {
				if rng.IntN(len(users)) < n {
					out = append(out, u)
				}
			}
			return out
		}
		scope := func() permission.Scope {
			switch rng.IntN(3) {
			case 0:
				return permission.Scope{Kind: permission.ScopeGroups, Targets: []uuid.UUID{f.group}}
			case 1:
				if ts := pick(2); len(ts) > 0 {
					return permission.Scope{Kind: permission.ScopeUsers, Targets: ts}
				}
			}
			return permission.Scope{Kind: permission.ScopeCompany}
		}
		type drawn struct {
			obj permission.RecordObject
		}
		var aps, recs []drawn
		start := at(t, "2026-12-01 09:00")
		for i := 0; len(aps) < 30 && i < 200; i++ {
			author := users[rng.IntN(len(users))]
			in := schedule.AppointmentInput{Title: fmt.Sprintf("予定%d", i), Start: start.Add(time.Duration(i) * time.Hour),
				Staff: pick(2), Customer: customers[rng.IntN(len(customers))], Scope: scope(), Confidential: rng.IntN(4) == 0}
			a, err := f.svc.CreateAppointment(ctxs[author], in)
			if err != nil {
				continue // a customer the author does not see, a partner's confidential one …
			}
			aps = append(aps, drawn{permission.RecordObject{Tenant: f.tenant, ID: a.ID, Customer: a.Customer, Author: a.Author,
				People: a.Staff, Scope: a.Scope, Confidential: a.Confidential, CustomerAssignees: assignees[a.Customer]}})
		}
		for i := 0; len(recs) < 30 && i < 200; i++ {
			author := users[rng.IntN(len(users))]
			cust := customers[1+rng.IntN(len(customers)-1)]
			e := contactlog.Entry{Template: "builtin:interview", Customer: cust, Responders: pick(2), Scope: scope(),
				ActualAt: start.Add(time.Duration(i) * time.Hour)}
			r, err := f.records.Create(ctxs[author], e)
			if err != nil {
				continue
			}
			recs = append(recs, drawn{permission.RecordObject{Tenant: f.tenant, ID: r.ID, Customer: r.Customer, Author: r.Author,
				People: r.Responders, Scope: r.Scope, Confidential: r.Confidential, CustomerAssignees: assignees[r.Customer]}})
		}
		require.GreaterOrEqual(t, len(aps), 20)
		require.GreaterOrEqual(t, len(recs), 20)

		var outcomes [2][2]int // kind × visible: both must occur
		for _, viewer := range users {
			vctx := ctxs[viewer]
			pr, _ := permission.FromContext(vctx)
			cal, err := f.svc.Calendar(vctx, schedule.CalendarQuery{Staff: users, From: d("2026-12-01"), To: d("2026-12-07")})
			require.NoError(t, err)
			shown := map[uuid.UUID]bool{}
			for _, e := range cal.Entries {
				shown[e.ID] = true
			}
			for k, set := range [][]drawn{aps, recs} {
				for _, x := range set {
					want := engine.Check(ctx, pr, permission.ActionView, &x.obj) == nil
					if want {
						outcomes[k][1]++
					} else {
						outcomes[k][0]++
					}
					where := fmt.Sprintf("viewer %v kind %d object %+v", pr.Roles, k, x.obj)
					onCalendar := shown[x.obj.ID]
					if k == 1 && len(x.obj.People) == 0 && len(x.obj.CustomerAssignees) == 0 {
						onCalendar = want // on nobody's calendar
					}
					require.Equal(t, want, onCalendar, "calendar: "+where)
					if k == 0 {
						_, err = f.svc.Appointment(vctx, x.obj.ID)
					} else {
						_, err = f.records.Get(vctx, x.obj.ID)
					}
					require.Equal(t, want, err == nil, "get: %s: %v", where, err)
					if err != nil {
						require.True(t, errors.Is(err, schedule.ErrNotFound), "%v", err)
					}
				}
			}
		}
		for k := range outcomes {
			require.Positive(t, outcomes[k][0], "kind %d: some hidden", k)
			require.Positive(t, outcomes[k][1], "kind %d: some shown", k)
		}
		t.Logf("hidden/shown: appointments %v, records %v", outcomes[0], outcomes[1])
	})
}
