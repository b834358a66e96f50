package gendata

import (
	"strconv"
	"strings"
	"time"
)

// Customer is one customer card. For a company, the person fields (name
// parts, gender, mobile, e-mail) describe the contact person.
type Customer struct {
	// Tenant is the tenant index.
	Tenant int
	// Index is the customer index within the tenant.
	Index int
	// Kind tells individuals (about 80%) from companies (about 20%).
	Kind CustomerKind
	// Status tells prospects (about 30%) from existing customers.
	Status CustomerStatus
	// Name is the display name: the person's full name (family name first,
	// U+3000 between) or the company name.
	Name string
	// NameKana is the katakana reading of Name. For companies it omits the
	// legal form (株式会社 etc.), following the usual フリガナ convention.
	NameKana string
	// FamilyName and GivenName are the person's name parts.
	FamilyName, GivenName string
	// FamilyKana and GivenKana are the katakana readings of the name parts.
	FamilyKana, GivenKana string
	// Department is the contact person's department (companies only; may be
	// empty).
	Department string
	// ContactName is the contact person's full name (companies only).
	ContactName string
	// ContactKana is the reading of ContactName (companies only).
	ContactKana string
	// Gender is the person's gender.
	Gender Gender
	// BirthYear, BirthMonth and BirthDay give the birthday of an individual
	// (1935-01-01 to 2005-12-31, always a valid date); all zero for companies.
	BirthYear, BirthMonth, BirthDay int
	// Email is an ASCII address built from the romanised name and the
	// customer index, unique within the tenant.
	Email string
	// Mobile is a mobile number, 070/080/090-XXXX-XXXX.
	Mobile string
	// HomePhone is the landline (the office line for companies) with the
	// area code of the address, e.g. 03-XXXX-XXXX or 045-XXX-XXXX.
	HomePhone string
	// PostalCode is NNN-NNNN, plausible for the city.
	PostalCode string
	// Prefecture is the prefecture of the address, e.g. 東京都.
	Prefecture string
	// City is the city (and ward) of the address, e.g. 世田谷区.
	City string
	// AddressLine is 町名 and block number, optionally followed by a
	// building. Notation varies as in real data: 本町2丁目3-15, 本町2-3-15,
	// 本町2丁目3番15号 and occasionally full-width digits (本町２丁目３－１５).
	AddressLine string
	// PreferredContact is how the customer prefers to be contacted.
	PreferredContact ContactMethod
	// DecisionMaker is the full name of the person who decides purchases,
	// or empty when unknown or the customer decides alone.
	DecisionMaker string
	// Rank is A, B or C (weights 20/50/30).
	Rank Rank
	// Memo is a free memo of zero to two short sentences.
	Memo string
	// Assignees lists one or two staff indexes in charge of the customer.
	Assignees []int
	// CreatedAt is when the card was created: spread over the three years
	// before the base time, non-decreasing in Index at day granularity.
	CreatedAt time.Time
}

// Address returns the full address: prefecture, city and address line.
func (c Customer) Address() string { return c.Prefecture + c.City + c.AddressLine }

// Customer returns customer i of tenant t. The result depends only on the
// configuration, t and i.
func (g *Generator) Customer(t, i int) Customer {
	ts := g.tenant(t)
	checkIndex("customer", i, ts.info.Size.Customers)
	var r rng
	r.seed(ts.keys[kindCustomer], i)
	c := Customer{Tenant: t, Index: i, Kind: KindIndividual, Status: StatusExisting}
	company := r.chance(0.20)
	if company {
		c.Kind = KindCompany
	}
	if r.chance(0.30) {
		c.Status = StatusProspect
	}

	// Person: birthday (individuals), gender and name.
	var e era
	if company {
		e = eraMid + era(r.intn(2))
	} else {
		// Triangular distribution peaking around 1970.
		c.BirthYear = 1935 + (r.intn(71)+r.intn(71)+1)/2
		c.BirthMonth = 1 + r.intn(12)
		c.BirthDay = 1 + r.intn(daysIn(c.BirthYear, c.BirthMonth))
		e = eraOf(c.BirthYear)
	}
	switch x := r.intn(100); {
	case company && x < 60, !company && x < 47:
		c.Gender = GenderMale
	case company && x < 95, !company && x < 94:
		c.Gender = GenderFemale
	default:
		c.Gender = GenderUnspecified
	}
	female := c.Gender == GenderFemale || (c.Gender == GenderUnspecified && r.chance(0.5))
	p := randomPerson(&r, female, e)
	c.FamilyName, c.GivenName, c.FamilyKana, c.GivenKana = p.family, p.given, p.familyKana, p.givenKana
	if company {
		c.Name, c.NameKana = randomCompany(&r)
		c.Department = pick(&r, companyDepartments)
		c.ContactName, c.ContactKana = p.fullName(), p.fullKana()
	} else {
		c.Name, c.NameKana = p.fullName(), p.fullKana()
	}

	c.Email = customerEmail(&r, p, i, company)
	c.Mobile = mobileNumber(&r)

	pl := places[placeWeights.choose(&r)]
	c.Prefecture, c.City = pl.prefecture, pl.city
	c.HomePhone = landline(&r, pl.areaCode)
	c.PostalCode = postalCode(&r, pl)
	c.AddressLine = addressLine(&r, company)

	c.PreferredContact = customerContact(&r, company)
	c.DecisionMaker = decisionMaker(&r, p, company)
	c.Rank = [...]Rank{RankA, RankB, RankC}[rankWeights.choose(&r)]

	if n := memoCountWeights.choose(&r); n > 0 {
		var b strings.Builder
		ctx := memoCtx{product: pick(&r, products)}
		for k := 0; k < n; k++ {
			fillPhrase(&r, &b, pick(&r, customerMemos), &ctx)
		}
		c.Memo = b.String()
	}

	a, na := g.customerAssignees(ts, i)
	c.Assignees = append([]int(nil), a[:na]...)
	c.CreatedAt = g.customerCreatedAt(ts, i)
	return c
}

var (
	rankWeights       = newWeights(20, 50, 30)
	memoCountWeights  = newWeights(40, 40, 20) // 0, 1 or 2 sentences
	individualContact = newWeights(45, 25, 20, 10)
	companyContact    = newWeights(30, 50, 15, 5)
	contactMethods    = [...]ContactMethod{ContactMobile, ContactEmail, ContactHomePhone, ContactLetter}
)

// customerContact draws the preferred contact method.
func customerContact(r *rng, company bool) ContactMethod {
	if company {
		return contactMethods[companyContact.choose(r)]
	}
	return contactMethods[individualContact.choose(r)]
}

// decisionMaker draws the decision maker: for companies (70%) another
// person, for individuals (30%) a family member sharing the family name.
func decisionMaker(r *rng, p person, company bool) string {
	if company {
		if !r.chance(0.70) {
			return ""
		}
		return randomPerson(r, r.chance(0.2), eraOld+era(r.intn(2))).fullName()
	}
	if !r.chance(0.30) {
		return ""
	}
	g := randomGiven(r, r.chance(0.5), era(r.intn(int(numEras))))
	return p.family + "\u3000" + g.kanji
}

// daysIn returns the number of days in the month.
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// individualDomains are the e-mail domains of individual customers, with
// weights in individualDomainWeights.
var (
	individualDomains       = []string{"example.jp", "example.ne.jp", "example.com", "example.org"}
	individualDomainWeights = newWeights(35, 30, 25, 10)
)

// customerEmail builds a unique address from the romanised name and the
// customer index: given.family.N, family.given.N or gfamilyN.
func customerEmail(r *rng, p person, i int, company bool) string {
	given, _ := Romanize(p.givenKana)
	family, _ := Romanize(p.familyKana)
	domain := "example.co.jp"
	if !company {
		domain = individualDomains[individualDomainWeights.choose(r)]
	}
	var b strings.Builder
	b.Grow(len(given) + len(family) + len(domain) + 10)
	switch x := r.intn(100); {
	case x < 60:
		b.WriteString(given)
		b.WriteByte('.')
		b.WriteString(family)
		b.WriteByte('.')
	case x < 85:
		b.WriteString(family)
		b.WriteByte('.')
		b.WriteString(given)
		b.WriteByte('.')
	default:
		b.WriteByte(given[0])
		b.WriteString(family)
	}
	b.WriteString(strconv.Itoa(i))
	b.WriteByte('@')
	b.WriteString(domain)
	return b.String()
}

// appendDigits appends n random decimal digits, the first in [first, 9].
func appendDigits(r *rng, b []byte, n int, first int) []byte {
	for k := 0; k < n; k++ {
		lo := 0
		if k == 0 {
			lo = first
		}
		b = append(b, byte('0'+r.between(lo, 9)))
	}
	return b
}

// mobileNumber draws a mobile number 0X0-XXXX-XXXX.
func mobileNumber(r *rng) string {
	b := make([]byte, 0, 13)
	b = append(b, "070-080-090-"[4*r.intn(3):][:4]...)
	b = appendDigits(r, b, 4, 1)
	b = append(b, '-')
	b = appendDigits(r, b, 4, 0)
	return string(b)
}

// landline draws a ten-digit fixed-line number with the given area code
// (leading 0 included): area-exchange-XXXX.
func landline(r *rng, area string) string {
	b := make([]byte, 0, 12)
	b = append(b, area...)
	b = append(b, '-')
	b = appendDigits(r, b, 6-len(area), 2)
	b = append(b, '-')
	b = appendDigits(r, b, 4, 0)
	return string(b)
}

// postalCode draws a postal code within the city's range.
func postalCode(r *rng, pl place) string {
	b := make([]byte, 0, 8)
	head := r.between(pl.postLo, pl.postHi)
	b = append(b, byte('0'+head/100), byte('0'+head/10%10), byte('0'+head%10), '-')
	b = appendDigits(r, b, 4, 0)
	return string(b)
}

// fullWidthDigits maps ASCII digits and '-' to their full-width forms.
var fullWidthDigits = strings.NewReplacer(
	"0", "０", "1", "１", "2", "２", "3", "３", "4", "４",
	"5", "５", "6", "６", "7", "７", "8", "８", "9", "９", "-", "－",
)

// addressLine draws 町名 + 丁目-番-号 and sometimes a building.
func addressLine(r *rng, company bool) string {
	town := pick(r, towns)
	chome := strconv.Itoa(r.between(1, 5))
	ban := strconv.Itoa(r.between(1, 30))
	go_ := strconv.Itoa(r.between(1, 25))
	var line string
	switch x := r.intn(100); {
	case x < 60:
		line = town + chome + "丁目" + ban + "-" + go_
	case x < 85:
		line = town + chome + "-" + ban + "-" + go_
	case x < 95:
		line = town + chome + "丁目" + ban + "番" + go_ + "号"
	default:
		line = town + fullWidthDigits.Replace(chome+"丁目"+ban+"-"+go_)
	}
	switch {
	case company && r.chance(0.5):
		line += "\u3000" + pick(r, buildings) + strconv.Itoa(r.between(1, 8)) + "F"
	case !company && r.chance(0.25):
		line += "\u3000" + pick(r, buildings) + strconv.Itoa(r.between(1, 9)) + "0" + strconv.Itoa(r.between(1, 9))
	}
	return line
}

// customerAssignees returns the one or two staff in charge of customer i.
// It uses its own stream so that records can look it up cheaply.
func (g *Generator) customerAssignees(ts *tenantState, i int) ([2]int, int) {
	var r rng
	r.seed(ts.keys[kindCustomerAssign], i)
	var a [2]int
	a[0] = pick(&r, ts.assignable)
	if len(ts.assignable) > 1 && r.chance(0.25) {
		for {
			a[1] = pick(&r, ts.assignable)
			if a[1] != a[0] {
				return a, 2
			}
		}
	}
	return a, 1
}

// customerCreatedAt returns the creation time of customer i: the day
// advances with i across the three years before the base time, the time
// of day is within business hours (09:00–19:00).
func (g *Generator) customerCreatedAt(ts *tenantState, i int) time.Time {
	var r rng
	r.seed(ts.keys[kindCustomerTime], i)
	frac := (float64(i) + r.float()) / float64(ts.info.Size.Customers)
	day := min(int(frac*float64(g.days)), g.days-1)
	minute := 9*60 + r.intn(10*60)
	t := g.startDay.Add(time.Duration(day)*24*time.Hour + time.Duration(minute)*time.Minute)
	if last := g.cfg.Base.Add(-time.Minute); t.After(last) {
		t = last
	}
	return t
}
