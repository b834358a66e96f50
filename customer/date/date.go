package date

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/jpdate"
)

// Date is a calendar day without time or zone, such as a birthday. It is
// stored as DATE on PostgreSQL and as YYYY-MM-DD text on SQLite.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Parse reads a date as Japanese users type it: 2024-03-15, 2024/3/15,
// 2024年3月15日, or an era date such as 昭和47年3月15日, S47.3.15, H1/1/8 or
// 平成元年1月8日 (full-width digits too). A day outside its era
// (平成1年1月7日) is refused. The error wraps validation.ErrInvalid; its
// field code (see ErrorCode) is format, invalid_date or outside_era.
func Parse(s string) (Date, error) {
	y, m, d, err := jpdate.Parse(s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: %w: %w", s, validation.ErrInvalid, err)
	}
	return Date{Year: y, Month: m, Day: d}, nil
}

// ErrorCode returns the validation code for an error of Parse.
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, jpdate.ErrOutsideEra):
		return validation.CodeOutsideEra
	case errors.Is(err, jpdate.ErrInvalidDate):
		return validation.CodeBadDate
	}
	return validation.CodeFormat
}

// Of returns the Date of t's calendar day in t's location.
func Of(t time.Time) Date { return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()} }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Era formats d in the Japanese era calendar, e.g. 昭和47年3月15日.
func (d Date) Era() string { return jpdate.FormatEra(d.Year, d.Month, d.Day) }

// Time returns midnight of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Value stores d as YYYY-MM-DD.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads a DATE (time.Time from pgx) or YYYY-MM-DD text.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = Of(v)
		return nil
	case string:
		return d.parseISO(v)
	case []byte:
		return d.parseISO(string(v))
	}
	return fmt.Errorf("date: cannot scan %T into Date", src)
}

func (d *Date) parseISO(s string) error {
	if len(s) > 10 {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("date: scan: %w", err)
	}
	*d = Of(t)
	return nil
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts anything Parse accepts.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
