package jpdate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrFormat is returned (wrapped) by [Parse] when the input does not have one
// of the recognised date shapes.
var ErrFormat = errors.New("unrecognised date format")

// ErrInvalidDate is returned (wrapped) by [Parse] when the input has a
// recognised shape but names no day of the supported calendar: a month or day
// out of range (2024-13-01, 2023-02-29) or a Gregorian year outside
// 1800..9999.
var ErrInvalidDate = errors.New("no such calendar date")

// ErrOutsideEra is returned (wrapped) by [Parse] when an era date names a real
// calendar day that does not belong to the named era (平成1年1月7日).
var ErrOutsideEra = errors.New("date outside the named era")

const (
	minYear = 1800
	maxYear = 9999
)

// civil is a Gregorian calendar date.
type civil struct {
	year  int
	month time.Month
	day   int
}

// ord returns a number that orders dates chronologically.
func (c civil) ord() int { return c.year*10000 + int(c.month)*100 + c.day }

// String returns the ISO 8601 form of c.
func (c civil) String() string { return fmt.Sprintf("%04d-%02d-%02d", c.year, c.month, c.day) }

// era describes one Japanese era.
type era struct {
	name    string // 昭和
	abbr    string // 昭
	initial byte   // 'S'
	start   civil  // first day
}

// eras lists the supported eras in chronological order.
var eras = []era{
	{name: "明治", abbr: "明", initial: 'M', start: civil{1868, time.January, 25}},
	{name: "大正", abbr: "大", initial: 'T', start: civil{1912, time.July, 30}},
	{name: "昭和", abbr: "昭", initial: 'S', start: civil{1926, time.December, 25}},
	{name: "平成", abbr: "平", initial: 'H', start: civil{1989, time.January, 8}},
	{name: "令和", abbr: "令", initial: 'R', start: civil{2019, time.May, 1}},
}

// Parse parses a date typed by a user, in Gregorian or Japanese era form, and
// returns it as a Gregorian year, month and day. The accepted forms and the
// checks applied are described in the package documentation. On failure the
// error wraps [ErrFormat], [ErrInvalidDate] or [ErrOutsideEra] and the
// returned date is zero.
func Parse(s string) (year int, month time.Month, day int, err error) {
	c, err := parse(s)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("jpdate: %q: %w", s, err)
	}
	return c.year, c.month, c.day, nil
}

// FormatEra formats a Gregorian date in the Japanese era calendar, e.g.
// "昭和47年3月15日", writing era year 1 as 元年 ("平成元年1月8日"). Dates before
// the first day of 明治 (1868-01-25) are written in Gregorian form, e.g.
// "1800年1月1日". FormatEra does not validate its arguments; for a date that
// [Parse] accepted, Parse accepts the result and returns the same date.
func FormatEra(year int, month time.Month, day int) string {
	c := civil{year, month, day}
	for i := len(eras) - 1; i >= 0; i-- {
		e := eras[i]
		if c.ord() < e.start.ord() {
			continue
		}
		n := year - e.start.year + 1
		y := strconv.Itoa(n)
		if n == 1 {
			y = "元"
		}
		return fmt.Sprintf("%s%s年%d月%d日", e.name, y, int(month), day)
	}
	return fmt.Sprintf("%d年%d月%d日", year, int(month), day)
}

// tokenKind classifies the parts of a date after the era prefix.
type tokenKind int

const (
	tokNumber tokenKind = iota // run of ASCII digits
	tokGan                     // 元
	tokSep                     // '-', '/' or '.'
	tokNen                     // 年
	tokTsuki                   // 月
	tokNichi                   // 日
)

// token is one part of a date.
type token struct {
	kind tokenKind
	text string
}

// parse does the work of Parse; its errors do not yet mention the input.
func parse(s string) (civil, error) {
	t := strings.TrimSpace(norm.NFKC.String(s))
	e, rest := cutEra(t)
	toks, ok := tokenize(rest)
	if !ok {
		return civil{}, ErrFormat
	}

	var yearTok, monthTok, dayTok token
	switch {
	case e == nil && len(toks) == 1 && toks[0].kind == tokNumber && len(toks[0].text) == 8:
		n := toks[0].text
		yearTok = token{tokNumber, n[:4]}
		monthTok = token{tokNumber, n[4:6]}
		dayTok = token{tokNumber, n[6:]}
	case len(toks) == 5 && toks[1].kind == tokSep && toks[3].kind == tokSep && toks[1].text == toks[3].text:
		yearTok, monthTok, dayTok = toks[0], toks[2], toks[4]
	case len(toks) == 6 && toks[1].kind == tokNen && toks[3].kind == tokTsuki && toks[5].kind == tokNichi:
		yearTok, monthTok, dayTok = toks[0], toks[2], toks[4]
	default:
		return civil{}, ErrFormat
	}

	month, ok := number(monthTok, 1, 2)
	if !ok {
		return civil{}, ErrFormat
	}
	day, ok := number(dayTok, 1, 2)
	if !ok {
		return civil{}, ErrFormat
	}

	if e == nil {
		year, ok := number(yearTok, 4, 4)
		if !ok {
			return civil{}, ErrFormat
		}
		return validDate(civil{year, time.Month(month), day})
	}

	n := 1
	if yearTok.kind != tokGan {
		if n, ok = number(yearTok, 1, 4); !ok {
			return civil{}, ErrFormat
		}
	}
	c, err := validDate(civil{e.start.year + n - 1, time.Month(month), day})
	if err != nil {
		return civil{}, err
	}
	if c.ord() < e.start.ord() {
		return civil{}, fmt.Errorf("%w: %s began on %s", ErrOutsideEra, e.name, e.start)
	}
	if next := nextEra(e); next != nil && c.ord() >= next.start.ord() {
		return civil{}, fmt.Errorf("%w: %s ended on %s", ErrOutsideEra, e.name, dayBefore(next.start))
	}
	return c, nil
}

// cutEra removes a leading era name, abbreviation or initial from s and
// returns the era (nil if there is none) and the rest of s.
func cutEra(s string) (*era, string) {
	for i := range eras {
		e := &eras[i]
		if rest, ok := strings.CutPrefix(s, e.name); ok {
			return e, rest
		}
	}
	for i := range eras {
		e := &eras[i]
		if rest, ok := strings.CutPrefix(s, e.abbr); ok {
			return e, rest
		}
	}
	if s != "" {
		c := s[0]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		for i := range eras {
			if eras[i].initial == c {
				return &eras[i], s[1:]
			}
		}
	}
	return nil, s
}

// tokenize splits s into tokens, skipping white space between them. ok is
// false if s contains anything that is not part of a date.
func tokenize(s string) (toks []token, ok bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
			continue
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			toks = append(toks, token{tokNumber, s[i:j]})
			i = j
			continue
		case r == '元':
			toks = append(toks, token{tokGan, "元"})
		case r == '-' || r == '/' || r == '.':
			toks = append(toks, token{tokSep, string(r)})
		case r == '年':
			toks = append(toks, token{tokNen, "年"})
		case r == '月':
			toks = append(toks, token{tokTsuki, "月"})
		case r == '日':
			toks = append(toks, token{tokNichi, "日"})
		default:
			return nil, false
		}
		i += size
	}
	return toks, true
}

// number returns the value of a number token of minDigits to maxDigits
// digits.
func number(t token, minDigits, maxDigits int) (int, bool) {
	if t.kind != tokNumber || len(t.text) < minDigits || len(t.text) > maxDigits {
		return 0, false
	}
	n, err := strconv.Atoi(t.text)
	return n, err == nil
}

// validDate checks that c is a day of the Gregorian calendar within the
// supported years.
func validDate(c civil) (civil, error) {
	if c.year < minYear || c.year > maxYear {
		return civil{}, fmt.Errorf("%w: year %d is outside %d..%d", ErrInvalidDate, c.year, minYear, maxYear)
	}
	if c.month < time.January || c.month > time.December {
		return civil{}, fmt.Errorf("%w: month %d", ErrInvalidDate, int(c.month))
	}
	if c.day < 1 || c.day > daysIn(c.year, c.month) {
		return civil{}, fmt.Errorf("%w: %d-%02d has no day %d", ErrInvalidDate, c.year, int(c.month), c.day)
	}
	return c, nil
}

// daysIn returns the number of days in the given month.
func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nextEra returns the era following e, or nil for the current era.
func nextEra(e *era) *era {
	for i := range eras {
		if &eras[i] == e && i+1 < len(eras) {
			return &eras[i+1]
		}
	}
	return nil
}

// dayBefore returns the day before c.
func dayBefore(c civil) civil {
	t := time.Date(c.year, c.month, c.day-1, 0, 0, 0, 0, time.UTC)
	return civil{t.Year(), t.Month(), t.Day()}
}
