package customer

import (
	"encoding/json"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Length limits, in characters.
const (
	maxName    = 50
	maxKana    = 100
	maxCompany = 100
	maxEmail   = 254
	maxPhone   = 30
	maxAddress = 300
	maxShort   = 100
	maxMemo    = 10000
	maxText    = 1000
	maxCustom  = 100 // custom field values per customer
)

// phoneLike reports whether s is a phone number as typed: an optional
// leading +, then at least one ASCII digit, parenthesis, hyphen or space.
func phoneLike(s string) bool {
	s = strings.TrimPrefix(s, "+")
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '(' && c != ')' && c != '-' && c != ' ' {
			return false
		}
	}
	return s != ""
}

// postalCode returns the postal code s (1234567 or 123-4567) as 123-4567,
// or false when s is neither.
func postalCode(s string) (string, bool) {
	digits := s
	if len(s) == 8 && s[3] == '-' {
		digits = s[:3] + s[4:]
	}
	if len(digits) != 7 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", false
	}
	return digits[:3] + "-" + digits[3:], true
}

// clean trims s, collapses white space (including the ideographic space)
// and folds the Halfwidth and Fullwidth Forms block with NFKC: full-width
// ASCII becomes ASCII and half-width katakana becomes full-width, dakuten
// merged. Everything else is kept as typed, so 髙, 﨑, ① and ㈱ survive.
func clean(s string) string {
	if cleaned(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isWidthForm(r) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !isWidthForm(r) {
				break
			}
			j += n
		}
		b.WriteString(norm.NFKC.String(s[i:j]))
		i = j
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func isWidthForm(r rune) bool { return r >= 0xFF00 && r <= 0xFFEF }

// cleaned reports whether clean(s) is s: no width forms, and no white space
// but single ASCII spaces between words.
func cleaned(s string) bool {
	space := true // at the start or after a space
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		i += n
		switch {
		case r == ' ':
			if space {
				return false
			}
			space = true
			continue
		case unicode.IsSpace(r), isWidthForm(r):
			return false
		}
		space = false
	}
	return !space || s == ""
}

// normalize cleans p in place and reports every problem at once.
// today is the tenant's current day (birthdays may not be later).
func normalize(p *Profile, st *settings, today date.Date) *validation.Error {
	v := &validation.Error{}
	if p.Kind == "" {
		p.Kind = Individual
	}
	if p.Status == "" {
		p.Status = Prospect
	}
	switch p.Kind {
	case Individual, Company:
	default:
		v.Add("kind", validation.CodeUnknown, string(p.Kind))
	}
	switch p.Status {
	case Prospect, Existing:
	default:
		v.Add("status", validation.CodeUnknown, string(p.Status))
	}

	text := func(field string, s *string, limit int) {
		*s = clean(*s)
		if v.CheckText(field, *s, false) && utf8.RuneCountInString(*s) > limit {
			v.Add(field, validation.CodeTooLong, strconv.Itoa(limit))
		}
	}
	text("family_name", &p.FamilyName, maxName)
	text("given_name", &p.GivenName, maxName)
	text("company_name", &p.CompanyName, maxCompany)
	text("department", &p.Department, maxCompany)
	text("address", &p.Address, maxAddress)
	text("decision_maker", &p.DecisionMaker, maxShort)
	p.Memo = strings.TrimSpace(strings.ReplaceAll(p.Memo, "\r\n", "\n"))
	if v.CheckText("memo", p.Memo, true) && utf8.RuneCountInString(p.Memo) > maxMemo {
		v.Add("memo", validation.CodeTooLong, strconv.Itoa(maxMemo))
	}
	if p.FamilyName == "" {
		v.Add("family_name", validation.CodeRequired, "")
	}
	if p.Kind == Company && p.CompanyName == "" {
		v.Add("company_name", validation.CodeRequired, "")
	}
	if p.Kind == Individual && (p.CompanyName != "" || p.CompanyKana != "" || p.Department != "") {
		if p.CompanyName != "" {
			v.Add("company_name", validation.CodeNotAllowed, "")
		}
		if p.CompanyKana != "" {
			v.Add("company_kana", validation.CodeNotAllowed, "")
		}
		if p.Department != "" {
			v.Add("department", validation.CodeNotAllowed, "")
		}
	}

	kana := func(field string, s *string, required bool) {
		k, ok := textnorm.Katakana(*s)
		switch {
		case !ok:
			v.Add(field, validation.CodeNotKana, "")
		case k == "" && required:
			v.Add(field, validation.CodeRequired, "")
		case utf8.RuneCountInString(k) > maxKana:
			v.Add(field, validation.CodeTooLong, strconv.Itoa(maxKana))
		}
		*s = k
	}
	kanaRequired := p.Kind == Individual && !st.tenant.KanaOptional
	kana("family_kana", &p.FamilyKana, kanaRequired)
	kana("given_kana", &p.GivenKana, kanaRequired && p.GivenName != "")
	kana("company_kana", &p.CompanyKana, false)

	p.Email = clean(p.Email)
	if p.Email != "" {
		if len(p.Email) > maxEmail {
			v.Add("email", validation.CodeTooLong, strconv.Itoa(maxEmail))
		} else if a, err := mail.ParseAddress(p.Email); err != nil || a.Name != "" || a.Address != p.Email ||
			!strings.Contains(p.Email[strings.LastIndexByte(p.Email, '@')+1:], ".") {
			v.Add("email", validation.CodeFormat, "")
		} else {
			at := strings.LastIndexByte(p.Email, '@')
			p.Email = p.Email[:at] + strings.ToLower(p.Email[at:])
		}
	}
	phone := func(field string, s *string) {
		*s = clean(*s)
		if *s == "" {
			return
		}
		d := textnorm.Digits(*s)
		switch {
		case utf8.RuneCountInString(*s) > maxPhone:
			v.Add(field, validation.CodeTooLong, strconv.Itoa(maxPhone))
		case !phoneLike(*s) || len(d) < 6 || len(d) > 15:
			v.Add(field, validation.CodeFormat, "")
		}
	}
	phone("mobile", &p.Mobile)
	phone("phone", &p.Phone)

	p.PostalCode = strings.TrimSpace(strings.TrimPrefix(clean(p.PostalCode), "〒"))
	if p.PostalCode != "" {
		if code, ok := postalCode(p.PostalCode); ok {
			p.PostalCode = code
		} else {
			v.Add("postal_code", validation.CodeFormat, "")
		}
	}

	if b := p.Birthday; b != nil {
		if _, err := date.Parse(b.String()); err != nil {
			v.Add("birthday", date.ErrorCode(err), "")
		} else if b.Time(time.UTC).After(today.Time(time.UTC)) {
			v.Add("birthday", validation.CodeOutOfRange, "1800-01-01.."+today.String())
		}
	}
	switch p.Gender {
	case GenderUnspecified, Male, Female, GenderOther:
	default:
		v.Add("gender", validation.CodeUnknown, string(p.Gender))
	}
	switch p.ContactMethod {
	case ContactAny, ContactMobile, ContactEmail, ContactHomePhone, ContactLetter:
	default:
		v.Add("contact_method", validation.CodeUnknown, string(p.ContactMethod))
	}
	p.Rank = clean(p.Rank)
	if p.Rank != "" && !slices.ContainsFunc(st.ranks, func(r Rank) bool { return r.Code == p.Rank }) {
		v.Add("rank", validation.CodeUnknown, p.Rank)
	}
	normalizeCustom(p, st.fields, v)

	seen := map[uuid.UUID]bool{}
	users := p.Assignees[:0:0]
	for _, u := range p.Assignees {
		if u == uuid.Nil {
			v.Add("assignees", validation.CodeInvalidUUID, "")
			continue
		}
		if !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	p.Assignees = users
	return v
}

func normalizeCustom(p *Profile, defs []FieldDef, v *validation.Error) {
	out := make(map[string]any, len(p.Custom))
	if len(p.Custom) > maxCustom {
		v.Add("custom", validation.CodeTooLong, strconv.Itoa(maxCustom))
	}
	for k := range p.Custom {
		if !slices.ContainsFunc(defs, func(d FieldDef) bool { return d.Key == k }) {
			v.Add("custom."+k, validation.CodeUnknown, k)
		}
	}
	for _, d := range defs {
		field := "custom." + d.Key
		raw, ok := p.Custom[d.Key]
		if s, isStr := raw.(string); !ok || raw == nil || (isStr && strings.TrimSpace(s) == "") {
			if d.Required {
				v.Add(field, validation.CodeRequired, "")
			}
			continue
		}
		val, code := customValue(d, raw)
		if code != "" {
			v.Add(field, code, "")
			continue
		}
		out[d.Key] = val
	}
	p.Custom = out
}

// customValue converts raw (a Go value or what encoding/json produced) to
// the canonical value of d's type, or returns a problem code.
func customValue(d FieldDef, raw any) (any, string) {
	switch d.Type {
	case FieldText:
		s, ok := raw.(string)
		if !ok {
			return nil, validation.CodeWrongType
		}
		s = strings.TrimSpace(s)
		switch {
		case !validation.ValidText(s, true):
			return nil, validation.CodeFormat
		case utf8.RuneCountInString(s) > maxText:
			return nil, validation.CodeTooLong
		}
		return s, ""
	case FieldSelect:
		s, ok := raw.(string)
		if !ok {
			return nil, validation.CodeWrongType
		}
		s = clean(s)
		if !slices.Contains(d.Options, s) {
			return nil, validation.CodeUnknown
		}
		return s, ""
	case FieldBoolean:
		switch b := raw.(type) {
		case bool:
			return b, ""
		case string:
			if x, err := strconv.ParseBool(b); err == nil {
				return x, ""
			}
		}
		return nil, validation.CodeWrongType
	case FieldDate:
		s, ok := raw.(string)
		if !ok {
			return nil, validation.CodeWrongType
		}
		dt, err := date.Parse(s)
		if err != nil {
			return nil, date.ErrorCode(err)
		}
		return dt.String(), ""
	case FieldNumber, FieldInteger:
		f, ok := number(raw)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, validation.CodeWrongType
		}
		if d.Type == FieldInteger {
			if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return nil, validation.CodeWrongType
			}
			return int64(f), ""
		}
		return f, ""
	}
	return nil, validation.CodeUnknown
}

func number(raw any) (float64, bool) {
	switch n := raw.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.ReplaceAll(clean(n), ",", ""), 64)
		return f, err == nil
	}
	return 0, false
}

// derive fills the stored search columns of r from its profile, for
// dialect d (see deriveSearch).
func derive(r *row, d storage.Dialect) {
	deriveKeys(r)
	deriveSearch(r, d)
}

// deriveKeys fills the name, reading, phone and e-mail keys of r (what
// duplicates are matched by) from its profile.
func deriveKeys(r *row) {
	p := &r.Profile
	r.NameKey = textnorm.Key(p.FamilyName + p.GivenName)
	person := textnorm.Key(p.FamilyKana + " " + p.GivenKana)
	if person == "" {
		person = r.NameKey
	}
	if p.Kind == Company {
		company := textnorm.Key(p.CompanyKana)
		if company == "" {
			company = textnorm.Key(p.CompanyName)
		}
		r.SortKana = company + " " + person
	} else {
		r.SortKana = person
	}
	r.PhoneDigits = textnorm.Digits(p.Phone)
	r.MobileDigits = textnorm.Digits(p.Mobile)
	r.EmailKey = strings.ToLower(p.Email)
}

// deriveSearch fills the search text and grams of r, after deriveKeys: the
// bigrams of the search text and, on PostgreSQL, the name grams
// (nameGrams, which Ref.WhereName looks up there; SQLite's WhereName looks
// customers up by the search text's bigrams, and its index keeps no more).
func deriveSearch(r *row, d storage.Dialect) {
	p := &r.Profile
	parts := []string{
		p.FamilyName, p.GivenName, p.FamilyName + p.GivenName,
		p.FamilyKana, p.GivenKana, p.FamilyKana + p.GivenKana,
		p.CompanyName, p.CompanyKana, p.Department, p.Email, p.PostalCode,
		strings.ReplaceAll(p.PostalCode, "-", ""), r.PhoneDigits, r.MobileDigits,
		p.Address, p.DecisionMaker, p.Memo,
	}
	for _, k := range sortedKeys(p.Custom) {
		if s, ok := p.Custom[k].(string); ok {
			parts = append(parts, s)
		}
	}
	keys := make([]string, 0, len(parts))
	for i, s := range parts {
		k := r.NameKey // parts[2]: its key is the name key, already made
		if i != 2 {
			k = textnorm.Key(s)
		}
		if k != "" {
			keys = append(keys, k)
		}
	}
	r.SearchText = strings.Join(keys, " ")
	r.Grams = storage.Grams(textnorm.Bigrams(r.SearchText))
	if d == storage.Postgres {
		r.Grams = append(r.Grams, nameGrams(r.NameKey, r.SortKana, r.CompanyName)...)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// phoneTerm reports whether a search term looks like a phone number or
// postal code (digits with separators), and returns its digits.
func phoneTerm(term string) (string, bool) {
	if !phoneLike(term) {
		return "", false
	}
	d := textnorm.Digits(term)
	return d, d != "" && d != term
}
