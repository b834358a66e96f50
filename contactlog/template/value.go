package template

import (
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/jpdate"
)

// Validate checks a record's values against the template and returns them
// normalized: one canonical Go value per field (see the FieldType
// constants), the Default of every missing field that has one, and nothing
// for other missing fields. Values may be Go values or what encoding/json
// produced (float64, string, []any, map[string]any), so stored values
// validate again to themselves.
//
// Every problem is reported at once, under the field name "fields.<key>"
// ("fields.<key>[i]" for a multiselect choice, "fields.<key>[i].quantity"
// and so on for a line) with a stable code:
//
//   - required: a required field has no value ("", nil, an empty list);
//   - unknown: a key the template does not define, a choice not among the
//     Options, an item not in the catalog;
//   - wrong_type: a value of the wrong kind (a bool for a number);
//   - format: text that does not parse as the type ("12x", "25:99",
//     fractions of yen);
//   - out_of_range: outside Min..Max (Param "min..max"), a negative
//     duration, a quantity that is not positive;
//   - too_long: text longer than Max or the type's limit (Param the limit);
//   - invalid_date, outside_era: see date.Parse;
//   - invalid_id: not a UUID, or the nil UUID (staff and contact).
//
// loc is the tenant's time zone, used for datetime input without a zone
// and for time.Time values given to date fields; nil means Asia/Tokyo.
// On failure the normalized map is nil and the error is a *ValidationError
// (matching ErrInvalid) listing every problem; the error is nil when there
// are none.
func (t Template) Validate(values map[string]any, loc *time.Location) (map[string]any, error) {
	return t.ValidateWith(values, ValidateOptions{Location: loc})
}

// ValidateOptions are the options of ValidateWith.
type ValidateOptions struct {
	// Location is the tenant's time zone, as Validate's loc. Default:
	// Asia/Tokyo.
	Location *time.Location
	// Items resolves the items that lines name in lines fields that use
	// the tenant's catalog (Field.TenantCatalog), such as a tenant's
	// catalog (contactlog/catalog). Default: none, and such lines are
	// kept as given. Lines of other fields without a catalog of their own
	// are free: their item is any product code, kept as typed and never
	// resolved.
	Items ItemFunc
}

// ItemFunc resolves the item a line of the lines field called field (a
// field with TenantCatalog) names. It returns the item when item names
// one, a validation code (reported at "fields.<field>[i].item", e.g.
// validation.CodeUnknown or validation.CodeNotAllowed) when item cannot be
// used, or neither for a line without an item (a free line, such as a
// discount) or an item it accepts as it is. An error stops the validation.
//
// A resolved item fills what the line leaves empty: its name (Name), unit
// price, tax rate, category and variant (Classification), so the line
// keeps them as they were when it was written.
type ItemFunc func(field, item string) (it *CatalogItem, problem string, err error)

// lookup returns the item lookup of the lines field f: opts.Items for a
// field that uses the tenant's catalog, else nil.
func (opts ValidateOptions) lookup(f *Field) func(string) (*CatalogItem, string, error) {
	if opts.Items == nil || !f.TenantCatalog {
		return nil
	}
	return func(item string) (*CatalogItem, string, error) { return opts.Items(f.Key, item) }
}

// ValidateWith is Validate with options: it also resolves lines' items
// with opts.Items. It returns the error of opts.Items, if any, as is.
func (t Template) ValidateWith(values map[string]any, opts ValidateOptions) (map[string]any, error) {
	loc := opts.Location
	if loc == nil {
		loc = jpdate.Tokyo()
	}
	v := &validation.Error{}
	unknown := make([]string, 0)
	for k := range values {
		if _, ok := t.Field(k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		v.Add("fields."+k, validation.CodeUnknown, k)
	}
	out := make(map[string]any, len(t.Fields))
	for i := range t.Fields {
		f := &t.Fields[i]
		path := "fields." + f.Key
		raw := values[f.Key]
		if isEmpty(raw) && f.Default != nil {
			raw = f.Default
		}
		n := len(v.Fields)
		var val any
		var present bool
		if f.Type == FieldLines && !isEmpty(raw) {
			var err error
			if val, present, err = t.normalizeLines(v, path, f, raw, opts.lookup(f)); err != nil {
				return nil, err
			}
		} else {
			val, present = t.normalizeField(v, path, f, raw, loc)
		}
		if len(v.Fields) > n {
			continue
		}
		if !present {
			if f.Required {
				v.Add(path, validation.CodeRequired, "")
			}
			continue
		}
		out[f.Key] = val
	}
	if len(v.Fields) > 0 {
		return nil, v.Err()
	}
	return out, nil
}

// isEmpty reports whether raw counts as "no value".
func isEmpty(raw any) bool {
	switch x := raw.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	case []Line:
		return len(x) == 0
	case *date.Date:
		return x == nil
	case *time.Time:
		return x == nil
	case *uuid.UUID:
		return x == nil
	case *Lines:
		return x == nil || len(x.Items) == 0
	case Lines:
		return len(x.Items) == 0
	}
	return false
}

// normalizeField converts raw to the canonical value of f, reporting
// problems under path. present is false when raw counts as no value.
func (t Template) normalizeField(v *validation.Error, path string, f *Field, raw any, loc *time.Location) (val any, present bool) {
	if isEmpty(raw) {
		return nil, false
	}
	fail := func(code, param string) (any, bool) {
		v.Add(path, code, param)
		return nil, true
	}
	switch f.Type {
	case FieldText, FieldLongText:
		s, ok := raw.(string)
		if !ok {
			return fail(validation.CodeWrongType, "")
		}
		if !validation.ValidText(s, true) {
			return fail(validation.CodeFormat, "")
		}
		limit := MaxTextLen
		if f.Type == FieldLongText {
			s = strings.TrimSpace(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s))
			limit = MaxLongTextLen
		} else {
			s = strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s))
		}
		if f.Max != nil && int(*f.Max) < limit {
			limit = int(*f.Max)
		}
		n := utf8.RuneCountInString(s)
		if n > limit {
			return fail(validation.CodeTooLong, strconv.Itoa(limit))
		}
		if f.Min != nil && float64(n) < *f.Min {
			return fail(validation.CodeOutOfRange, boundsParam(f.Min, f.Max))
		}
		return s, true

	case FieldNumber, FieldInteger, FieldMoney:
		x, code := parseNumber(raw, f.Unit, f.Type == FieldMoney)
		if code != "" {
			return fail(code, "")
		}
		if f.Type != FieldNumber {
			if x != math.Trunc(x) {
				return fail(validation.CodeFormat, "")
			}
			if math.Abs(x) > maxIntegral {
				return fail(validation.CodeOutOfRange, rangeParam(-maxIntegral, maxIntegral))
			}
		}
		if (f.Min != nil && x < *f.Min) || (f.Max != nil && x > *f.Max) {
			return fail(validation.CodeOutOfRange, boundsParam(f.Min, f.Max))
		}
		if f.Type == FieldNumber {
			return x, true
		}
		return int64(x), true

	case FieldDuration:
		m, code := parseDuration(raw)
		if code != "" {
			return fail(code, "")
		}
		if m < 0 {
			return fail(validation.CodeOutOfRange, boundsParam(Limit(0), f.Max))
		}
		if (f.Min != nil && float64(m) < *f.Min) || (f.Max != nil && float64(m) > *f.Max) {
			return fail(validation.CodeOutOfRange, boundsParam(f.Min, f.Max))
		}
		return m, true

	case FieldDate:
		d, code := parseDate(raw, loc)
		if code != "" {
			return fail(code, "")
		}
		return d, true

	case FieldDateTime:
		tm, code := parseDateTime(raw, loc)
		if code != "" {
			return fail(code, "")
		}
		return tm, true

	case FieldSelect:
		s, ok := raw.(string)
		if !ok {
			return fail(validation.CodeWrongType, "")
		}
		s = clean(s)
		if !slices.Contains(f.Options, s) {
			return fail(validation.CodeUnknown, s)
		}
		return s, true

	case FieldMultiSelect:
		return normalizeChoices(v, path, f, raw)

	case FieldBoolean:
		b, ok := parseBool(raw)
		if !ok {
			return fail(validation.CodeWrongType, "")
		}
		return b, true

	case FieldStaff, FieldContact:
		id, code := parseUUID(raw)
		if code != "" {
			return fail(code, "")
		}
		return id, true

	case FieldLines:
		val, present, _ := t.normalizeLines(v, path, f, raw, nil)
		return val, present
	}
	return fail(validation.CodeUnknown, string(f.Type))
}

// fold applies NFKC to the Halfwidth and Fullwidth Forms block only, so
// full-width digits and ASCII become ASCII ("１，２００" → "1,200") and
// half-width katakana become full-width, while everything else stays as
// typed. The minus sign U+2212 becomes '-'.
func fold(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '−':
			b.WriteByte('-')
			i += n
		case r >= 0xFF00 && r <= 0xFFEF:
			j := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if r < 0xFF00 || r > 0xFFEF {
					break
				}
				j += n
			}
			b.WriteString(norm.NFKC.String(s[i:j]))
			i = j
		default:
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// clean folds s and collapses its white space (including the ideographic
// space) to single spaces, trimmed.
func clean(s string) string { return strings.Join(strings.Fields(fold(s)), " ") }

var (
	plainNumberRE   = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$`)
	groupedNumberRE = regexp.MustCompile(`^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$`)
)

// parseNumber reads a number from a Go number, a json.Number or text:
// full-width digits, thousands separators ("1,200"), a trailing unit
// ("65kg") and, for money, a yen sign or 円 ("¥1,200", "1200円") are
// accepted. It returns a problem code, or "".
func parseNumber(raw any, unit string, money bool) (float64, string) {
	switch n := raw.(type) {
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return 0, validation.CodeFormat
		}
		return n, ""
	case float32:
		return parseNumber(float64(n), unit, money)
	case int, int8, int16, int32, int64:
		return float64(reflect.ValueOf(n).Int()), ""
	case uint, uint8, uint16, uint32, uint64:
		return float64(reflect.ValueOf(n).Uint()), ""
	case json.Number:
		return parseNumber(string(n), "", false)
	case string:
		s := strings.TrimSpace(fold(n))
		if money {
			s = strings.TrimSpace(strings.TrimSuffix(s, "円"))
			s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "\\")
		}
		if u := strings.TrimSpace(fold(unit)); u != "" {
			s = strings.TrimSpace(strings.TrimSuffix(s, u))
		}
		if strings.Contains(s, ",") {
			if !groupedNumberRE.MatchString(s) {
				return 0, validation.CodeFormat
			}
			s = strings.ReplaceAll(s, ",", "")
		}
		if !plainNumberRE.MatchString(s) {
			return 0, validation.CodeFormat
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, validation.CodeFormat
		}
		return f, ""
	}
	return 0, validation.CodeWrongType
}

var (
	clockRE    = regexp.MustCompile(`^([0-9]+):([0-5][0-9])$`)
	minutesRE  = regexp.MustCompile(`^([0-9]+)(?:分|m|min)$`)
	hoursJPRE  = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)時間(?:(半)|([0-9]+)分)?$`)
	hoursMinRE = regexp.MustCompile(`^([0-9]+)h(?:([0-9]+)m(?:in)?)?$`)
)

// parseDuration reads minutes: a whole number of minutes (90, "90",
// "90分"), hours and minutes ("1:30", "1時間30分", "1時間半", "1.5時間",
// "1h30m") or a time.Duration of whole minutes.
func parseDuration(raw any) (int64, string) {
	switch x := raw.(type) {
	case time.Duration:
		if x%time.Minute != 0 {
			return 0, validation.CodeFormat
		}
		return int64(x / time.Minute), ""
	case string:
		s := strings.ReplaceAll(strings.ToLower(fold(x)), " ", "")
		s = strings.ReplaceAll(s, "　", "")
		if m := clockRE.FindStringSubmatch(s); m != nil {
			h, _ := strconv.ParseFloat(m[1], 64)
			mi, _ := strconv.ParseFloat(m[2], 64)
			return whole(h*60 + mi)
		}
		if m := minutesRE.FindStringSubmatch(s); m != nil {
			mi, _ := strconv.ParseFloat(m[1], 64)
			return whole(mi)
		}
		if m := hoursJPRE.FindStringSubmatch(s); m != nil {
			h, _ := strconv.ParseFloat(m[1], 64)
			mi := 0.0
			switch {
			case m[2] != "":
				mi = 30
			case m[3] != "":
				mi, _ = strconv.ParseFloat(m[3], 64)
			}
			if mi >= 60 || (mi > 0 && h != math.Trunc(h)) {
				return 0, validation.CodeFormat
			}
			return whole(math.Round(h*60*1e6)/1e6 + mi)
		}
		if m := hoursMinRE.FindStringSubmatch(s); m != nil {
			h, _ := strconv.ParseFloat(m[1], 64)
			mi := 0.0
			if m[2] != "" {
				mi, _ = strconv.ParseFloat(m[2], 64)
				if mi >= 60 {
					return 0, validation.CodeFormat
				}
			}
			return whole(h*60 + mi)
		}
		f, code := parseNumber(s, "", false)
		if code != "" {
			return 0, code
		}
		return whole(f)
	}
	f, code := parseNumber(raw, "", false)
	if code != "" {
		return 0, code
	}
	return whole(f)
}

// whole converts a number of minutes to an int64, refusing fractions and
// magnitudes beyond maxIntegral.
func whole(f float64) (int64, string) {
	if f != math.Trunc(f) || math.Abs(f) > maxIntegral {
		return 0, validation.CodeFormat
	}
	return int64(f), ""
}

// parseDate reads a date.Date, a time.Time (its day in loc) or text
// that date.Parse accepts (2024-03-15, 令和6年3月15日, R6.3.15, …).
func parseDate(raw any, loc *time.Location) (date.Date, string) {
	switch x := raw.(type) {
	case date.Date:
		return checkDate(x)
	case *date.Date:
		return checkDate(*x)
	case time.Time:
		return date.Of(x.In(loc)), ""
	case *time.Time:
		return date.Of(x.In(loc)), ""
	case string:
		d, err := date.Parse(strings.TrimSpace(x))
		if err != nil {
			return date.Date{}, date.ErrorCode(err)
		}
		return d, ""
	}
	return date.Date{}, validation.CodeWrongType
}

func checkDate(d date.Date) (date.Date, string) {
	if d.IsZero() {
		return d, validation.CodeBadDate
	}
	if date.Of(d.Time(time.UTC)) != d {
		return d, validation.CodeBadDate
	}
	return d, ""
}

// zonedLayouts are datetime forms that carry their own zone: RFC 3339 and
// the same with a space for the T (as PostgreSQL prints timestamptz).
var zonedLayouts = []string{time.RFC3339, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z07", "2006-01-02 15:04Z07:00"}

// timeOfDayRE matches the time at the end of a datetime: 14:30, 14:30:15,
// 14時, 14時30分.
var timeOfDayRE = regexp.MustCompile(`([0-9]{1,2})(?::([0-9]{2})(?::([0-9]{2}))?|時(?:([0-9]{1,2})分)?)$`)

// parseDateTime reads a time.Time, RFC 3339 text ("2024-03-15T14:30:00+09:00")
// or a date and a time of day in loc: "2024-03-15 14:30", "2024/3/15 9:05",
// "2024-03-15T14:30" (an HTML datetime-local), "令和6年3月15日 14時30分".
// The result is in UTC, truncated to the second.
func parseDateTime(raw any, loc *time.Location) (time.Time, string) {
	switch x := raw.(type) {
	case time.Time:
		return x.UTC().Truncate(time.Second), ""
	case *time.Time:
		return x.UTC().Truncate(time.Second), ""
	case string:
		s := strings.TrimSpace(fold(x))
		for _, layout := range zonedLayouts {
			if tm, err := time.Parse(layout, s); err == nil {
				return tm.UTC().Truncate(time.Second), ""
			}
		}
		m := timeOfDayRE.FindStringSubmatchIndex(s)
		if m == nil {
			return time.Time{}, validation.CodeFormat
		}
		datePart := strings.TrimRight(s[:m[0]], " T")
		if datePart == "" {
			return time.Time{}, validation.CodeFormat
		}
		d, err := date.Parse(datePart)
		if err != nil {
			return time.Time{}, date.ErrorCode(err)
		}
		num := func(i int) int {
			if m[2*i] < 0 {
				return 0
			}
			n, _ := strconv.Atoi(s[m[2*i]:m[2*i+1]])
			return n
		}
		h, mi, sec := num(1), num(2)+num(4), num(3)
		if h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, validation.CodeFormat
		}
		tm := time.Date(d.Year, d.Month, d.Day, h, mi, sec, 0, loc)
		return tm.UTC(), ""
	}
	return time.Time{}, validation.CodeWrongType
}

// parseBool reads a bool, 0 or 1, or text: true/false, 1/0, on/off,
// yes/no, はい/いいえ.
func parseBool(raw any) (bool, bool) {
	switch x := raw.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(clean(x)) {
		case "true", "1", "on", "yes", "はい":
			return true, true
		case "false", "0", "off", "no", "いいえ":
			return false, true
		}
		return false, false
	}
	if f, code := parseNumber(raw, "", false); code == "" && (f == 0 || f == 1) {
		return f == 1, true
	}
	return false, false
}

// parseUUID reads a uuid.UUID or its text form; the nil UUID is refused.
func parseUUID(raw any) (uuid.UUID, string) {
	var id uuid.UUID
	switch x := raw.(type) {
	case uuid.UUID:
		id = x
	case *uuid.UUID:
		id = *x
	case string:
		p, err := uuid.Parse(strings.TrimSpace(x))
		if err != nil {
			return uuid.Nil, validation.CodeInvalidUUID
		}
		id = p
	default:
		return uuid.Nil, validation.CodeWrongType
	}
	if id == uuid.Nil {
		return uuid.Nil, validation.CodeInvalidUUID
	}
	return id, ""
}

// normalizeChoices validates a multiselect value: a []string or []any of
// strings, each one of the options; the result keeps the options' order
// and drops repeats.
func normalizeChoices(v *validation.Error, path string, f *Field, raw any) (any, bool) {
	var items []any
	switch x := raw.(type) {
	case []string:
		items = make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
	case []any:
		items = x
	default:
		v.Add(path, validation.CodeWrongType, "")
		return nil, true
	}
	chosen := map[string]bool{}
	bad := false
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			v.Add(path+"["+strconv.Itoa(i)+"]", validation.CodeWrongType, "")
			bad = true
			continue
		}
		s = clean(s)
		if s == "" {
			continue
		}
		if !slices.Contains(f.Options, s) {
			v.Add(path+"["+strconv.Itoa(i)+"]", validation.CodeUnknown, s)
			bad = true
			continue
		}
		chosen[s] = true
	}
	if bad {
		return nil, true
	}
	if len(chosen) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(chosen))
	for _, o := range f.Options {
		if chosen[o] {
			out = append(out, o)
		}
	}
	n := float64(len(out))
	if (f.Min != nil && n < *f.Min) || (f.Max != nil && n > *f.Max) {
		v.Add(path, validation.CodeOutOfRange, boundsParam(f.Min, f.Max))
		return nil, true
	}
	return out, true
}
