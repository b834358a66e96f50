package gendata

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
)

var (
	reMobile   = regexp.MustCompile(`^0[789]0-[1-9]\d{3}-\d{4}$`)
	reLandline = regexp.MustCompile(`^0\d{1,3}-[2-9]\d{0,3}-\d{4}$`)
	rePostal   = regexp.MustCompile(`^\d{3}-\d{4}$`)
	reEmail    = regexp.MustCompile(`^[a-z]+(\.[a-z]+\.|[a-z]*)\d+@example\.(jp|ne\.jp|co\.jp|com|org)$`)
	reLogin    = regexp.MustCompile(`^[a-z]+\d{3,}$`)
)

// isKatakanaReading reports whether s is a non-empty reading made of
// katakana, the long-vowel mark and ideographic spaces only.
func isKatakanaReading(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.In(r, unicode.Katakana) && r != 'ー' && r != '\u3000' {
			return false
		}
	}
	return true
}

// expect fails the test when ok is false. Loops over many generated values
// use it instead of calling require for every value, which would dominate
// the run time.
func expect(t *testing.T, ok bool, format string, args ...any) {
	if !ok {
		t.Helper()
		require.Failf(t, "unexpected generated value", format, args...)
	}
}

// sampleIndexes returns a spread of indexes in [0, n) including the ends.
func sampleIndexes(n int) []int {
	var idx []int
	for i := 0; i < n; i += max(1, n/97) {
		idx = append(idx, i)
	}
	return append(idx, n-1)
}

// TestConfigValidate checks that invalid configurations are rejected.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, Standard().Validate())
	require.NoError(t, Small().Validate())

	tests := map[string]func(*Config){
		"zero base":         func(c *Config) { c.Base = time.Time{} },
		"no tenants":        func(c *Config) { c.Tenants = nil },
		"no staff":          func(c *Config) { c.Tenants[0].Staff = 0 },
		"negative":          func(c *Config) { c.Tenants[0].Records = -1 },
		"records, no custs": func(c *Config) { c.Tenants[0].Customers = 0 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := Small()
			mutate(&c)
			require.Error(t, c.Validate())
			_, err := New(c)
			require.Error(t, err)
			require.Panics(t, func() { MustNew(c) })
		})
	}
}

// TestStandardSizes checks the sizes of Standard and Small and the tenant descriptions.
func TestStandardSizes(t *testing.T) {
	t.Parallel()
	c := Standard()
	require.Len(t, c.Tenants, 10)
	require.Equal(t, TenantSize{Customers: 100_000, Records: 1_000_000, Staff: 200, Groups: 20}, c.Tenants[0])
	for _, s := range c.Tenants[1:] {
		require.Equal(t, TenantSize{Customers: 1_000, Records: 10_000, Staff: 10, Groups: 2}, s)
	}
	s := Small()
	require.Equal(t, []TenantSize{{Customers: 200, Records: 1_000, Staff: 8, Groups: 2}}, s.Tenants)

	g := MustNew(c)
	require.Equal(t, 10, g.NumTenants())
	slugs := map[string]bool{}
	names := map[string]bool{}
	for ti := range g.NumTenants() {
		tn := g.Tenant(ti)
		require.Equal(t, ti, tn.Index)
		require.Equal(t, c.Tenants[ti], tn.Size)
		require.True(t, isKatakanaReading(tn.NameKana), tn.NameKana)
		slugs[tn.Slug] = true
		names[tn.Name] = true
	}
	require.Len(t, slugs, 10)
	require.Len(t, names, 10)

	// The generator keeps its own copy of the configuration.
	c.Tenants[0].Customers = 1
	require.Equal(t, 100_000, g.Config().Tenants[0].Customers)
}

// TestDeterminism checks that output depends only on the configuration, not on call order, concurrency or other tenants.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	g1 := MustNew(Standard())
	g2 := MustNew(Standard())

	type item struct {
		t, i int
	}
	var custs, recs []item
	for ti := range g1.NumTenants() {
		size := g1.Tenant(ti).Size
		for _, i := range sampleIndexes(size.Customers) {
			custs = append(custs, item{ti, i})
		}
		for _, i := range sampleIndexes(size.Records) {
			recs = append(recs, item{ti, i})
		}
	}

	// g1 forwards; g2 backwards, after having generated unrelated values.
	wantC := make([]Customer, len(custs))
	wantR := make([]Record, len(recs))
	for k, it := range custs {
		wantC[k] = g1.Customer(it.t, it.i)
	}
	for k, it := range recs {
		wantR[k] = g1.Record(it.t, it.i)
	}
	for ti := g2.NumTenants() - 1; ti >= 0; ti-- {
		_ = g2.Record(ti, 3)
		_ = g2.Customer(ti, 7)
	}
	for k := len(recs) - 1; k >= 0; k-- {
		require.Equal(t, wantR[k], g2.Record(recs[k].t, recs[k].i))
	}
	for k := len(custs) - 1; k >= 0; k-- {
		require.Equal(t, wantC[k], g2.Customer(custs[k].t, custs[k].i))
	}
	for ti := range g1.NumTenants() {
		require.Equal(t, g1.OrgUnits(ti), g2.OrgUnits(ti))
		require.Equal(t, g1.Groups(ti), g2.Groups(ti))
		require.Equal(t, slices.Collect(g1.AllStaff(ti)), slices.Collect(g2.AllStaff(ti)))
		require.Equal(t, g1.Tenant(ti), g2.Tenant(ti))
	}

	// Concurrent generation gives the same values.
	var wg sync.WaitGroup
	gotC := make([]Customer, len(custs))
	for w := range 4 {
		wg.Go(func() {
			for k := w; k < len(custs); k += 4 {
				gotC[k] = g2.Customer(custs[k].t, custs[k].i)
			}
		})
	}
	wg.Wait()
	require.Equal(t, wantC, gotC)

	// A tenant's data does not depend on the other tenants' sizes.
	small := Standard()
	small.Tenants = small.Tenants[:3]
	small.Tenants[0].Records = 10
	g3 := MustNew(small)
	for k, it := range custs {
		if it.t == 1 || it.t == 2 {
			require.Equal(t, wantC[k], g3.Customer(it.t, it.i))
		}
	}
	require.Equal(t, g1.Customer(0, 1234), g3.Customer(0, 1234))

	// Another seed gives other data.
	other := Standard()
	other.Seed++
	g4 := MustNew(other)
	differ := 0
	for _, i := range sampleIndexes(1000) {
		if g4.Customer(1, i).Name != g1.Customer(1, i).Name {
			differ++
		}
	}
	require.Greater(t, differ, 50)
}

// TestIterators checks that the iterators agree with indexed access and clamp their ranges.
func TestIterators(t *testing.T) {
	t.Parallel()
	g := MustNew(Small())
	n := 0
	for c := range g.Customers(0) {
		require.Equal(t, g.Customer(0, n), c)
		n++
	}
	require.Equal(t, 200, n)
	n = 0
	for r := range g.Records(0) {
		require.Equal(t, g.Record(0, n), r)
		n++
	}
	require.Equal(t, 1000, n)

	var idx []int
	for c := range g.CustomerRange(0, 195, 300) {
		idx = append(idx, c.Index)
	}
	require.Equal(t, []int{195, 196, 197, 198, 199}, idx)
	idx = idx[:0]
	for r := range g.RecordRange(0, -5, 3) {
		idx = append(idx, r.Index)
	}
	require.Equal(t, []int{0, 1, 2}, idx)
	for r := range g.Records(0) {
		if r.Index == 10 {
			break
		}
	}

	require.Panics(t, func() { g.Customer(0, 200) })
	require.Panics(t, func() { g.Record(0, -1) })
	require.Panics(t, func() { g.Staff(0, 8) })
	require.Panics(t, func() { g.Tenant(1) })
	require.Panics(t, func() { g.Customers(-1) })
}

// TestCustomers checks formats and distributions over the 100 000 customers of the big tenant.
func TestCustomers(t *testing.T) {
	t.Parallel()
	g := MustNew(Standard())
	base := g.Config().Base
	start := base.AddDate(-3, 0, 0).Add(-24 * time.Hour)
	staffN := g.Tenant(0).Size.Staff

	const n = 100_000
	emails := make(map[string]struct{}, n)
	var companies, prospects, male, female, unspecified, withDecider int
	ranks := map[Rank]int{}
	contacts := map[ContactMethod]int{}
	variant := map[string]int{}
	var prevDay time.Time
	count := 0
	for c := range g.Customers(0) {
		count++
		_, dup := emails[c.Email]
		expect(t, !dup, "duplicate e-mail %s", c.Email)
		emails[c.Email] = struct{}{}
		expect(t, reEmail.MatchString(c.Email), "e-mail %q", c.Email)
		expect(t, reMobile.MatchString(c.Mobile), "mobile %q", c.Mobile)
		expect(t, reLandline.MatchString(c.HomePhone), "landline %q", c.HomePhone)
		expect(t, len(strings.ReplaceAll(c.HomePhone, "-", "")) == 10, "landline %q not ten digits", c.HomePhone)
		expect(t, rePostal.MatchString(c.PostalCode), "postal code %q", c.PostalCode)
		expect(t, c.Prefecture != "" && c.City != "" && c.AddressLine != "", "address %+v", c)
		expect(t, c.Address() == c.Prefecture+c.City+c.AddressLine, "Address() %q", c.Address())

		for _, kana := range []string{c.NameKana, c.FamilyKana, c.GivenKana} {
			expect(t, isKatakanaReading(kana), "reading %q is not katakana", kana)
		}
		expect(t, c.FamilyName != "" && c.GivenName != "", "empty name part %+v", c)
		for _, v := range []string{"髙", "﨑", "𠮷", "邉", "齋"} {
			if strings.Contains(c.FamilyName, v) {
				variant[v]++
			}
		}

		switch c.Kind {
		case KindCompany:
			companies++
			expect(t, c.ContactName == c.FamilyName+"\u3000"+c.GivenName, "contact %q", c.ContactName)
			expect(t, isKatakanaReading(c.ContactKana), "contact reading %q", c.ContactKana)
			expect(t, c.ContactName != c.Name, "company named like its contact %q", c.Name)
			expect(t, c.BirthYear == 0 && c.BirthMonth == 0 && c.BirthDay == 0, "company birthday %+v", c)
		case KindIndividual:
			expect(t, c.Name == c.FamilyName+"\u3000"+c.GivenName, "name %q", c.Name)
			expect(t, c.NameKana == c.FamilyKana+"\u3000"+c.GivenKana, "reading %q", c.NameKana)
			expect(t, c.ContactName == "" && c.Department == "", "individual with company fields %+v", c)
			expect(t, c.BirthYear >= 1935 && c.BirthYear <= 2005, "birth year %d", c.BirthYear)
			d := time.Date(c.BirthYear, time.Month(c.BirthMonth), c.BirthDay, 0, 0, 0, 0, time.UTC)
			expect(t, d.Year() == c.BirthYear && int(d.Month()) == c.BirthMonth && d.Day() == c.BirthDay,
				"invalid birthday %d-%d-%d", c.BirthYear, c.BirthMonth, c.BirthDay)
		default:
			require.Failf(t, "bad kind", "%q", c.Kind)
		}
		if c.Status == StatusProspect {
			prospects++
		} else {
			expect(t, c.Status == StatusExisting, "status %q", c.Status)
		}
		switch c.Gender {
		case GenderMale:
			male++
		case GenderFemale:
			female++
		case GenderUnspecified:
			unspecified++
		default:
			require.Failf(t, "bad gender", "%q", c.Gender)
		}
		if c.DecisionMaker != "" {
			withDecider++
			expect(t, strings.Contains(c.DecisionMaker, "\u3000"), "decision maker %q", c.DecisionMaker)
		}
		ranks[c.Rank]++
		contacts[c.PreferredContact]++

		expect(t, len(c.Assignees) == 1 || len(c.Assignees) == 2, "assignees %v", c.Assignees)
		for _, a := range c.Assignees {
			expect(t, a > 0 && a < staffN, "assignee %d", a)
		}
		expect(t, len(c.Assignees) < 2 || c.Assignees[0] != c.Assignees[1], "assignees %v", c.Assignees)
		expect(t, c.Memo == "" || strings.HasSuffix(c.Memo, "。") && !strings.Contains(c.Memo, "{"), "memo %q", c.Memo)

		expect(t, c.CreatedAt.After(start) && c.CreatedAt.Before(base), "created %v", c.CreatedAt)
		day := midnight(c.CreatedAt)
		expect(t, !day.Before(prevDay), "creation days go back at %d", c.Index)
		prevDay = day
	}
	require.Equal(t, n, count)
	require.Len(t, emails, n)

	ratio := func(k int) float64 { return float64(k) / n }
	require.InDelta(t, 0.20, ratio(companies), 0.01)
	require.InDelta(t, 0.30, ratio(prospects), 0.01)
	require.InDelta(t, 0.20, ratio(ranks[RankA]), 0.01)
	require.InDelta(t, 0.50, ratio(ranks[RankB]), 0.01)
	require.InDelta(t, 0.30, ratio(ranks[RankC]), 0.01)
	require.Len(t, ranks, 3)
	require.Len(t, contacts, 4)
	require.InDelta(t, 0.06, ratio(unspecified), 0.01)
	require.InDelta(t, ratio(male), ratio(female)+0.02, 0.03) // companies skew male
	require.InDelta(t, 0.38, ratio(withDecider), 0.03)
	for _, v := range []string{"髙", "﨑", "𠮷", "邉", "齋"} {
		require.Positive(t, variant[v], "variant kanji %s never generated", v)
	}
}

// TestRecords checks formats and distributions over 200 000 records of the big tenant.
func TestRecords(t *testing.T) {
	t.Parallel()
	g := MustNew(Standard())
	base := g.Config().Base
	tn := g.Tenant(0)
	staffN := tn.Size.Staff

	const n = 200_000
	perCustomer := make([]int, tn.Size.Customers)
	var drafts, future, planned, important, shared, sharedBase, private, withAmount int
	templates := map[TemplateKey]int{}
	channels := map[Channel]int{}
	progress := map[Progress]int{}
	scopes := map[VisibilityScope]int{}
	nGroups := len(g.Groups(0))
	nUnits := len(g.OrgUnits(0))
	for r := range g.RecordRange(0, 0, n) {
		templates[r.Template]++
		channels[r.Channel]++
		progress[r.Progress]++
		scopes[r.Visibility.Scope]++
		expect(t, r.AuthorIndex >= 0 && r.AuthorIndex < staffN, "author %d", r.AuthorIndex)

		if r.Draft {
			drafts++
			expect(t, r.CustomerIndex == -1, "draft with customer %d", r.CustomerIndex)
			expect(t, !r.SharedWithCustomer, "shared draft %d", r.Index)
			expect(t, r.Visibility.Scope == VisibleUsers && slices.Equal(r.Visibility.Users, []int{r.AuthorIndex}),
				"draft visibility %+v", r.Visibility)
		} else {
			expect(t, r.CustomerIndex >= 0 && r.CustomerIndex < tn.Size.Customers, "customer %d", r.CustomerIndex)
			perCustomer[r.CustomerIndex]++
			sharedBase++
			if r.SharedWithCustomer {
				shared++
			}
		}

		expect(t, !r.CreatedAt.IsZero() && !r.CreatedAt.After(base), "created %v", r.CreatedAt)
		if r.ActualAt.IsZero() {
			future++
			expect(t, !r.Draft, "planned-only draft %d", r.Index)
			expect(t, r.PlannedAt.After(base) && r.PlannedAt.Before(base.Add(61*24*time.Hour)), "planned %v", r.PlannedAt)
			expect(t, r.Result == "", "result of a future contact %q", r.Result)
		} else {
			expect(t, r.ActualAt.Before(base) && r.ActualAt.After(base.AddDate(-3, 0, -1)), "actual %v", r.ActualAt)
			expect(t, !r.CreatedAt.Before(r.ActualAt), "entered %v before contact %v", r.CreatedAt, r.ActualAt)
			if !r.PlannedAt.IsZero() {
				planned++
				expect(t, !r.PlannedAt.After(r.ActualAt.Add(20*time.Minute)) && r.PlannedAt.After(r.ActualAt.Add(-30*time.Minute)),
					"planned %v, actual %v", r.PlannedAt, r.ActualAt)
			}
			expect(t, r.Draft || r.Result != "", "no result for record %d", r.Index)
		}

		expect(t, r.WorkMinutes >= 15 && r.WorkMinutes <= 180 && r.WorkMinutes%5 == 0, "work minutes %d", r.WorkMinutes)
		expect(t, r.Amount == 0 || r.Amount >= 10_000 && r.Amount <= 5_100_000 && r.Amount%1000 == 0, "amount %d", r.Amount)
		if r.Amount > 0 {
			withAmount++
		}
		if r.Important {
			important++
		}

		sentences := strings.Count(r.PublicMemo, "。")
		expect(t, strings.HasSuffix(r.PublicMemo, "。") && !strings.Contains(r.PublicMemo, "{") && sentences <= 8,
			"public memo %q", r.PublicMemo)
		if r.PrivateMemo != "" {
			private++
			expect(t, !strings.Contains(r.PrivateMemo, "{"), "private memo %q", r.PrivateMemo)
		}

		v := r.Visibility
		switch v.Scope {
		case VisibleCompany:
			expect(t, v.OrgUnit == -1 && v.Group == -1 && v.Users == nil, "visibility %+v", v)
		case VisibleOrgUnit:
			expect(t, v.OrgUnit >= 0 && v.OrgUnit < nUnits, "visibility %+v", v)
		case VisibleGroup:
			expect(t, v.Group >= 0 && v.Group < nGroups, "visibility %+v", v)
		case VisibleUsers:
			expect(t, len(v.Users) >= 1 && len(v.Users) <= 3 && v.Users[0] == r.AuthorIndex, "visibility %+v", v)
		default:
			require.Failf(t, "bad scope", "%q", v.Scope)
		}
	}

	ratio := func(k, of int) float64 { return float64(k) / float64(of) }
	require.InDelta(t, 0.03, ratio(drafts, n), 0.005)
	require.InDelta(t, 0.08*0.97, ratio(future, n), 0.01)
	require.InDelta(t, 0.05, ratio(important, n), 0.01)
	require.InDelta(t, 0.20, ratio(shared, sharedBase), 0.01)
	require.InDelta(t, 0.60, ratio(private, n), 0.01)
	require.Greater(t, ratio(planned, n), 0.3)
	require.Greater(t, ratio(withAmount, n), 0.3)
	require.InDelta(t, 0.30, ratio(templates[TemplateInterview], n), 0.01)
	require.InDelta(t, 0.25, ratio(templates[TemplateSales], n), 0.01)
	require.InDelta(t, 0.15, ratio(templates[TemplateInquiry], n), 0.01)
	require.InDelta(t, 0.05, ratio(templates[TemplateClaim], n), 0.01)
	require.InDelta(t, 0.25, ratio(templates[TemplateDaily], n), 0.01)
	require.Len(t, channels, len(Channels()))
	require.Len(t, progress, len(Progresses()))
	require.Greater(t, ratio(scopes[VisibleCompany], n), 0.75)
	for _, s := range []VisibilityScope{VisibleOrgUnit, VisibleGroup, VisibleUsers} {
		require.Greater(t, ratio(scopes[s], n), 0.02, s)
	}

	// Zipf-ish: the busiest customers have far more records than the mean.
	slices.Sort(perCustomer)
	slices.Reverse(perCustomer)
	mean := float64(n) / float64(len(perCustomer))
	t.Logf("records per customer: top %v, mean %.1f", perCustomer[:5], mean)
	require.Greater(t, float64(perCustomer[0]), 20*mean)
	require.Greater(t, float64(perCustomer[100]), 3*mean)
	zero := len(perCustomer) - slices.Index(perCustomer, 0)
	require.Less(t, ratio(zero, len(perCustomer)), 0.5)
}

// TestRecordTimesFollowCustomer checks that records never predate their customer and are mostly written by its assignees.
func TestRecordTimesFollowCustomer(t *testing.T) {
	t.Parallel()
	g := MustNew(Standard())
	for ti := range g.NumTenants() {
		size := g.Tenant(ti).Size
		for _, i := range sampleIndexes(size.Records) {
			r := g.Record(ti, i)
			if r.Draft {
				continue
			}
			c := g.Customer(ti, r.CustomerIndex)
			require.False(t, r.CreatedAt.Before(c.CreatedAt), "record %d/%d created before its customer", ti, i)
			if !r.ActualAt.IsZero() {
				require.False(t, r.ActualAt.Before(c.CreatedAt))
			}
			if !r.PlannedAt.IsZero() {
				require.False(t, r.PlannedAt.Before(c.CreatedAt))
			}
		}
	}
	// Authors are usually the customer's assignees.
	own := 0
	const n = 20_000
	for r := range g.RecordRange(0, 0, n) {
		if !r.Draft && slices.Contains(g.Customer(0, r.CustomerIndex).Assignees, r.AuthorIndex) {
			own++
		}
	}
	require.Greater(t, float64(own)/n, 0.7)
}

// TestStaffOrgAndGroups checks roles, the org tree and group membership in every tenant.
func TestStaffOrgAndGroups(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{Standard(), Small()} {
		g := MustNew(cfg)
		emails := map[string]bool{}
		for ti := range g.NumTenants() {
			size := g.Tenant(ti).Size

			units := g.OrgUnits(ti)
			kinds := map[OrgUnitKind]int{}
			children := map[int]int{}
			for k, u := range units {
				require.Equal(t, k, u.Index)
				kinds[u.Kind]++
				if k == 0 {
					require.Equal(t, -1, u.Parent)
					require.Equal(t, OrgHeadOffice, u.Kind)
					require.Equal(t, "本社", u.Name)
					continue
				}
				require.Less(t, u.Parent, k)
				children[u.Parent]++
				require.Equal(t, units[u.Parent].Path+"/"+u.Name, u.Path)
				if u.Kind == OrgBranch {
					require.Equal(t, 0, u.Parent)
					require.True(t, strings.HasSuffix(u.Name, "支店"))
				} else {
					require.Equal(t, OrgDepartment, u.Kind)
					require.Equal(t, OrgBranch, units[u.Parent].Kind)
				}
			}
			require.Equal(t, 1, kinds[OrgHeadOffice])
			require.Equal(t, 3, kinds[OrgBranch])
			for k, u := range units {
				if u.Kind == OrgBranch {
					require.True(t, children[k] >= 2 && children[k] <= 3)
				}
			}

			staff := slices.Collect(g.AllStaff(ti))
			require.Len(t, staff, size.Staff)
			roles := map[Role]int{}
			logins := map[string]bool{}
			memberships := make([][]int, len(staff))
			for k, s := range staff {
				require.Equal(t, k, s.Index)
				require.Equal(t, ti, s.Tenant)
				roles[s.Role]++
				require.NotEmpty(t, s.Role.Label())
				require.True(t, isKatakanaReading(s.NameKana), s.NameKana)
				require.Equal(t, s.FamilyName+"\u3000"+s.GivenName, s.Name)
				require.Regexp(t, reLogin, s.LoginName)
				require.False(t, logins[s.LoginName])
				logins[s.LoginName] = true
				require.False(t, emails[s.Email], s.Email)
				emails[s.Email] = true
				require.True(t, strings.HasPrefix(s.Email, s.LoginName+"@"))
				require.True(t, s.OrgUnit >= 0 && s.OrgUnit < len(units))
				require.True(t, slices.IsSorted(s.Groups))
				require.LessOrEqual(t, len(s.Groups), 2)
			}
			require.Equal(t, 1, roles[RoleAdmin])
			require.Equal(t, RoleAdmin, staff[0].Role)
			require.Equal(t, 0, staff[0].OrgUnit)
			require.Equal(t, max(1, (size.Staff+5)/10), roles[RoleManager])
			if size.Staff >= 100 {
				require.Equal(t, size.Staff/50, roles[RolePartner])
			} else {
				require.Zero(t, roles[RolePartner])
			}

			groups := g.Groups(ti)
			require.Len(t, groups, size.Groups)
			names := map[string]bool{}
			for k, gr := range groups {
				require.Equal(t, k, gr.Index)
				require.False(t, names[gr.Name])
				names[gr.Name] = true
				require.True(t, len(gr.Managers) >= 1 && len(gr.Managers) <= 2)
				require.NotEmpty(t, gr.Members)
				for _, m := range gr.Managers {
					require.Equal(t, RoleManager, staff[m].Role)
					memberships[m] = append(memberships[m], k)
				}
				for _, m := range gr.Members {
					require.NotEqual(t, RoleAdmin, staff[m].Role)
					require.False(t, slices.Contains(gr.Managers, m))
					memberships[m] = append(memberships[m], k)
				}
			}
			multi := 0
			for k, s := range staff {
				slices.Sort(memberships[k])
				require.Equal(t, memberships[k], s.Groups, "staff %d", k)
				if len(s.Groups) == 2 {
					multi++
				}
				if s.Role == RoleStaff || s.Role == RolePartner {
					require.NotEmpty(t, s.Groups)
				}
			}
			if size.Staff >= 100 {
				require.Greater(t, multi, 5)
			}

			// Returned slices are copies.
			groups[0].Members[0] = -1
			require.NotEqual(t, -1, g.Groups(ti)[0].Members[0])
			s := g.Staff(ti, 1)
			s.Groups[0] = -1
			require.NotEqual(t, -1, g.Staff(ti, 1).Groups[0])
		}
	}
}

// TestNameTables checks the static name and place tables.
func TestNameTables(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(familyNames), 150)
	require.GreaterOrEqual(t, len(maleNames)+len(femaleNames), 150)
	seen := map[string]bool{}
	check := func(text, kana string) {
		require.NotEmpty(t, text)
		require.True(t, isKatakanaReading(kana), "%s: %q", text, kana)
		romaji, ok := Romanize(kana)
		require.True(t, ok, kana)
		require.Regexp(t, `^[a-z]+$`, romaji, kana)
	}
	for _, f := range familyNames {
		check(f.kanji, f.kana)
		require.Positive(t, f.weight)
		require.False(t, seen[f.kanji], "duplicate family name %s", f.kanji)
		seen[f.kanji] = true
	}
	for _, list := range [][]givenName{maleNames, femaleNames} {
		for _, n := range list {
			check(n.kanji, n.kana)
			require.Less(t, n.era, numEras)
		}
	}
	for _, w := range slices.Concat(companyStems, companyTypes) {
		check(w.text, w.kana)
	}
	for g := range 2 {
		for e := range numEras {
			require.NotEmpty(t, names.byEra[g][e])
		}
	}
	for _, p := range places {
		require.True(t, p.postLo <= p.postHi && p.postHi < 1000)
		require.True(t, len(p.areaCode) >= 2 && len(p.areaCode) <= 4 && p.areaCode[0] == '0')
	}
	require.GreaterOrEqual(t, len(places), 40)
	// The frequency order holds at the top of the table.
	require.Equal(t, "佐藤", familyNames[0].kanji)
	require.Greater(t, familyNames[0].weight, familyNames[20].weight)
}

// TestPhraseTables checks that every phrase template fills to a complete sentence.
func TestPhraseTables(t *testing.T) {
	t.Parallel()
	var r rng
	r.seed(1, 1)
	ctx := memoCtx{product: "複合機", amount: 1_250_000}
	for tp, list := range phrases {
		require.NotEmpty(t, list, "topic %d", tp)
		for _, tmpl := range list {
			var b strings.Builder
			fillPhrase(&r, &b, tmpl, &ctx)
			s := b.String()
			require.NotContains(t, s, "{", tmpl)
			require.True(t, strings.HasSuffix(s, "。"), tmpl)
		}
	}
	for _, tmpl := range customerMemos {
		var b strings.Builder
		fillPhrase(&r, &b, tmpl, &ctx)
		require.NotContains(t, b.String(), "{")
	}
	var b strings.Builder
	fillPhrase(&r, &b, "見積書（{amount}円）を提出した。", &ctx)
	require.Equal(t, "見積書（1,250,000円）を提出した。", b.String())
	require.Panics(t, func() { fillPhrase(&r, &b, "{nope}", &ctx) })

	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567"} {
		require.Equal(t, want, formatYen(in))
	}
}

// TestRomanize checks the katakana romanisation.
func TestRomanize(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"サトウ":          "sato",
		"タロウ":          "taro",
		"ハナコ":          "hanako",
		"イノウエ":         "inoue",
		"オオノ":          "ono",
		"ユウイチ":         "yuichi",
		"ハットリ":         "hattori",
		"ショウタ":         "shota",
		"キョウコ":         "kyoko",
		"ジュンイチ":        "junichi",
		"モチヅキ":         "mochizuki",
		"ツジ":           "tsuji",
		"チヒロ":          "chihiro",
		"リョウ":          "ryo",
		"ケイコ":          "keiko",
		"マッチ":          "matchi",
		"ティー":          "ti",
		"ファイル":         "fairu",
		"サトウ\u3000タロウ": "satotaro",
		"カナタ":          "kanata",
	}
	for in, want := range tests {
		got, ok := Romanize(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	got, ok := Romanize("サトウA")
	require.False(t, ok)
	require.Equal(t, "sato", got)
}

// TestLabels checks the Japanese labels of the enumerations.
func TestLabels(t *testing.T) {
	t.Parallel()
	require.Equal(t, "面談記録", TemplateInterview.Label())
	require.Equal(t, "商談", TemplateSales.Label())
	require.Equal(t, "問合せ", TemplateInquiry.Label())
	require.Equal(t, "クレーム・提案", TemplateClaim.Label())
	require.Equal(t, "日報", TemplateDaily.Label())
	require.Len(t, Templates(), 5)
	labels := map[string]bool{}
	for _, c := range Channels() {
		labels[c.Label()] = true
	}
	require.Equal(t, map[string]bool{"訪問": true, "来店": true, "電話": true, "メール": true, "オンライン": true}, labels)
	labels = map[string]bool{}
	for _, p := range Progresses() {
		labels[p.Label()] = true
	}
	require.Equal(t, map[string]bool{"初回接触": true, "提案中": true, "見積提示": true, "成約": true, "失注": true, "フォロー中": true}, labels)
	require.Equal(t, "法人", KindCompany.Label())
	require.Equal(t, "個人", KindIndividual.Label())
	require.Equal(t, "見込み", StatusProspect.Label())
	require.Equal(t, "既存", StatusExisting.Label())
	require.Equal(t, "未回答", GenderUnspecified.Label())
	require.Equal(t, "メール", ContactEmail.Label())
}

// BenchmarkCustomers100k measures generating the 100 000 customers of the big tenant.
func BenchmarkCustomers100k(b *testing.B) {
	g := MustNew(Standard())
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for c := range g.CustomerRange(0, 0, 100_000) {
			n += len(c.Name)
		}
		if n == 0 {
			b.Fatal("no customers")
		}
	}
}

// BenchmarkRecord measures generating one contact record.
func BenchmarkRecord(b *testing.B) {
	g := MustNew(Standard())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = g.Record(0, i%1_000_000)
		i++
	}
}
