package gendata

import (
	"fmt"
	"slices"
)

// Staff is a staff account of a tenant.
type Staff struct {
	// Tenant is the tenant index.
	Tenant int
	// Index is the staff index within the tenant; staff 0 is the admin.
	Index int
	// Name is the full name, family name first, separated by U+3000.
	Name string
	// NameKana is the katakana reading of Name, separated by U+3000.
	NameKana string
	// FamilyName and GivenName are the parts of Name.
	FamilyName, GivenName string
	// FamilyKana and GivenKana are the parts of NameKana.
	FamilyKana, GivenKana string
	// Gender is the staff member's gender (male or female).
	Gender Gender
	// LoginName is an ASCII login unique within the tenant, e.g. "tsato007".
	LoginName string
	// Email is unique across all tenants: LoginName at the tenant's domain
	// (partners use a partner domain).
	Email string
	// Role is the staff member's role.
	Role Role
	// OrgUnit is the index of the staff member's org unit.
	OrgUnit int
	// Groups lists the indexes of the groups the staff member manages or
	// belongs to, in increasing order.
	Groups []int
}

// OrgUnit is one node of a tenant's organisation tree: 本社 at the root,
// three 支店 under it and two or three 部署 under each branch.
type OrgUnit struct {
	// Index is the unit's position in OrgUnits; parents come before children.
	Index int
	// Parent is the index of the parent unit, -1 for the root.
	Parent int
	// Kind is the level of the unit.
	Kind OrgUnitKind
	// Name is the unit's own name, e.g. 営業一課.
	Name string
	// Path is the names from the root joined by "/", e.g. 本社/大阪支店/営業一課.
	Path string
}

// Group is a staff group (チーム) used for visibility and management.
type Group struct {
	// Index is the group's position in Groups.
	Index int
	// Name is the group's name, unique within the tenant.
	Name string
	// Managers lists the one or two staff members managing the group.
	Managers []int
	// Members lists the other staff members in the group.
	Members []int
}

// Staff returns staff member i of tenant t.
func (g *Generator) Staff(t, i int) Staff {
	ts := g.tenant(t)
	checkIndex("staff", i, len(ts.staff))
	s := ts.staff[i]
	s.Groups = slices.Clone(s.Groups)
	return s
}

// OrgUnits returns the organisation tree of tenant t, parents first.
func (g *Generator) OrgUnits(t int) []OrgUnit { return slices.Clone(g.tenant(t).orgUnits) }

// Groups returns the staff groups of tenant t.
func (g *Generator) Groups(t int) []Group {
	src := g.tenant(t).groups
	out := make([]Group, len(src))
	for i, gr := range src {
		gr.Managers = slices.Clone(gr.Managers)
		gr.Members = slices.Clone(gr.Members)
		out[i] = gr
	}
	return out
}

// departmentNames are the departments a branch can have; every branch has
// 営業一課 plus one or two others.
var departmentNames = []string{"営業二課", "業務課", "工事課", "総務課", "サービス課", "営業三課"}

// groupNames are the names staff groups are drawn from.
var groupNames = []string{
	"新規開拓チーム", "既存顧客フォローチーム", "法人営業チーム", "リフォーム提案グループ",
	"保険相談チーム", "カスタマーサクセス", "地域密着プロジェクト", "展示会準備チーム",
	"キャンペーン推進班", "シニア顧客担当", "若手育成グループ", "品質改善委員会",
	"紹介促進チーム", "大口顧客担当", "Web集客チーム", "アフターサービス班",
	"見積サポート班", "安全衛生委員会", "イベント企画チーム", "DX推進プロジェクト",
	"北エリア担当", "南エリア担当", "東エリア担当", "西エリア担当",
}

// buildOrgTree builds the organisation tree from its stream key.
func buildOrgTree(key uint64) []OrgUnit {
	var r rng
	r.seed(key, 0)
	units := []OrgUnit{{Index: 0, Parent: -1, Kind: OrgHeadOffice, Name: "本社", Path: "本社"}}
	cities := slices.Clone(branchCities)
	shuffle(&r, cities)
	branches := make([]int, 3)
	for b := range branches {
		name := cities[b] + "支店"
		branches[b] = len(units)
		units = append(units, OrgUnit{Index: len(units), Parent: 0, Kind: OrgBranch, Name: name, Path: "本社/" + name})
	}
	for _, b := range branches {
		depts := slices.Clone(departmentNames)
		shuffle(&r, depts)
		names := append([]string{"営業一課"}, depts[:r.between(1, 2)]...)
		for _, name := range names {
			units = append(units, OrgUnit{
				Index: len(units), Parent: b, Kind: OrgDepartment, Name: name,
				Path: units[b].Path + "/" + name,
			})
		}
	}
	return units
}

// shuffle permutes s in place (Fisher–Yates).
func shuffle[T any](r *rng, s []T) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}

// staffCounts returns the number of managers and partners among n staff:
// managers are about 10% (at least one when there is more than one staff
// member), partners exist only from 100 staff on (one per 50 staff).
func staffCounts(n int) (managers, partners int) {
	if n >= 100 {
		partners = n / 50
	}
	if n > 1 {
		managers = min(n-1-partners, max(1, (n+5)/10))
	}
	return managers, partners
}

// buildStaff builds the staff of a tenant: staff 0 is the admin, staff
// 1..m the managers, the last p the partners and everybody else ordinary
// staff. Group membership is filled in later by buildGroups.
func buildStaff(key uint64, tenant, n int, units []OrgUnit, domain string) []Staff {
	managers, partners := staffCounts(n)
	var branches, depts []int
	for _, u := range units {
		switch u.Kind {
		case OrgBranch:
			branches = append(branches, u.Index)
		case OrgDepartment:
			depts = append(depts, u.Index)
		}
	}
	staff := make([]Staff, n)
	for i := range staff {
		var r rng
		r.seed(key, i)
		s := Staff{Tenant: tenant, Index: i, Role: RoleStaff}
		switch {
		case i == 0:
			s.Role = RoleAdmin
		case i <= managers:
			s.Role = RoleManager
		case i >= n-partners:
			s.Role = RolePartner
		}
		female := r.chance(0.4)
		s.Gender = GenderMale
		if female {
			s.Gender = GenderFemale
		}
		// Staff are of working age: mid or young naming era.
		p := randomPerson(&r, female, eraMid+era(r.intn(2)))
		s.FamilyName, s.GivenName, s.FamilyKana, s.GivenKana = p.family, p.given, p.familyKana, p.givenKana
		s.Name, s.NameKana = p.fullName(), p.fullKana()

		switch {
		case s.Role == RoleAdmin:
			s.OrgUnit = 0
		case s.Role == RoleManager && i-1 < len(branches):
			s.OrgUnit = branches[i-1]
		case s.Role == RoleManager:
			s.OrgUnit = depts[(i-1-len(branches))%len(depts)]
		case s.Role == RoleStaff && r.chance(0.08):
			s.OrgUnit = 0
		default:
			s.OrgUnit = pick(&r, depts)
		}

		given, _ := Romanize(p.givenKana)
		family, _ := Romanize(p.familyKana)
		s.LoginName = fmt.Sprintf("%c%s%03d", given[0], family, i)
		if s.Role == RolePartner {
			s.Email = fmt.Sprintf("%s@partner.%s", s.LoginName, domain)
		} else {
			s.Email = s.LoginName + "@" + domain
		}
		staff[i] = s
	}
	return staff
}

// buildGroups builds the staff groups and records each staff member's
// memberships. Every group has one or two managers (the admin when the
// tenant has no managers); ordinary staff and partners are spread evenly
// over the groups and about 15% of staff also join a second group. Where
// the numbers allow, nobody is in more than two groups.
func buildGroups(key uint64, n int, staff []Staff) []Group {
	if n == 0 {
		return nil
	}
	var r rng
	r.seed(key, 0)
	names := slices.Clone(groupNames)
	shuffle(&r, names)

	var managers, members []int
	for _, s := range staff {
		switch s.Role {
		case RoleManager:
			managers = append(managers, s.Index)
		case RoleStaff, RolePartner:
			members = append(members, s.Index)
		}
	}
	if len(managers) == 0 {
		managers = []int{0}
	}
	count := make([]int, len(staff))
	inGroup := func(gr *Group, s int) bool {
		return slices.Contains(gr.Managers, s) || slices.Contains(gr.Members, s)
	}

	groups := make([]Group, n)
	for i := range groups {
		gr := &groups[i]
		gr.Index = i
		gr.Name = names[i%len(names)]
		if i >= len(names) {
			gr.Name = fmt.Sprintf("%s%d", gr.Name, i/len(names)+1)
		}
		primary := managers[i%len(managers)]
		gr.Managers = []int{primary}
		count[primary]++
	}
	for i := range groups {
		gr := &groups[i]
		if len(managers) > 1 && r.chance(0.35) {
			second := managers[(i+1+r.intn(len(managers)-1))%len(managers)]
			if count[second] < 2 {
				gr.Managers = append(gr.Managers, second)
				count[second]++
			}
		}
	}

	shuffle(&r, members)
	for k, s := range members {
		gr := &groups[k%n]
		gr.Members = append(gr.Members, s)
		count[s]++
	}
	if n > 1 {
		for _, s := range members {
			if !r.chance(0.15) {
				continue
			}
			gr := &groups[r.intn(n)]
			if inGroup(gr, s) {
				continue
			}
			gr.Members = append(gr.Members, s)
			count[s]++
		}
	}

	for i := range groups {
		gr := &groups[i]
		slices.Sort(gr.Members)
		for _, s := range gr.Managers {
			staff[s].Groups = append(staff[s].Groups, i)
		}
		for _, s := range gr.Members {
			staff[s].Groups = append(staff[s].Groups, i)
		}
	}
	for i := range staff {
		slices.Sort(staff[i].Groups)
	}
	return groups
}
