// Package date is the calendar day every Kiroku engine shares: a customer's
// birthday, a record template's date field, a date printed in a PDF.
//
// A [Date] is a year, a month and a day, with no time and no zone. It is
// stored as DATE on PostgreSQL and as YYYY-MM-DD text on SQLite (it
// implements [database/sql/driver.Valuer] and [database/sql.Scanner]), and
// it is "YYYY-MM-DD" in JSON.
//
// [Parse] reads a date as a Japanese user types it: Gregorian (2024-03-15,
// 2024/3/15, 20240315, 2024年3月15日) or in the era calendar (昭和47年3月15日,
// S47.3.15, H1/1/8, 平成元年1月8日), full-width digits included. Its errors
// match [validation.ErrInvalid] with errors.Is, and [ErrorCode] maps them to
// the stable field codes a form reports: [validation.CodeFormat] (not a
// date), [validation.CodeBadDate] (no such day, 2023-02-29) and
// [validation.CodeOutsideEra] (a real day outside the era named,
// 平成1年1月7日). [Date.Era] formats a day back in the era calendar.
package date
