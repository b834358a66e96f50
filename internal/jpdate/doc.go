// Package jpdate parses calendar dates as Japanese users type them, including
// dates in the Japanese era calendar (和暦), and formats dates in that calendar.
//
// The package is pure: it has no state, performs no I/O, and every function is
// safe for concurrent use. Dates are exchanged as (year, month, day) triples
// in the proleptic Gregorian calendar; no time zone is involved.
//
// # Accepted input
//
// [Parse] first applies Unicode NFKC normalization, so full-width digits,
// letters and separators (２０２４／３／１５) and era ligatures such as ㍼ (昭和)
// or ㋿ (令和) are accepted, and then trims surrounding white space. White space
// is also allowed between any two parts of a date (between the era and the
// year, around separators, around 年/月/日), but not inside a number or an era
// name. The remaining text must have one of these shapes, and anything else
// is rejected with [ErrFormat]:
//
//	Gregorian
//	  YYYY-M-D, YYYY/M/D, YYYY.M.D    2024-03-15, 2024/3/15, 2024.3.15
//	  YYYYMMDD                        20240315
//	  YYYY年M月D日                     2024年3月15日
//	Era
//	  <era>N年M月D日                   昭和47年3月15日, 平成元年1月8日
//	  <era>N-M-D, <era>N/M/D, <era>N.M.D
//	                                  昭和47/3/15, S47.3.15, s47-3-15, H1/1/8
//
// The Gregorian year has exactly four digits; month and day have one or two
// digits (leading zeros allowed); an era year has one to four digits or is
// written 元 ("first year", i.e. year 1). The two separators of a dated form
// must be the same character. The compact YYYYMMDD form exists only for
// Gregorian dates.
//
// <era> is the full era name, its one-kanji abbreviation, or its Latin
// initial in either case:
//
//	明治  明  M   first day 1868-01-25
//	大正  大  T   first day 1912-07-30
//	昭和  昭  S   first day 1926-12-25
//	平成  平  H   first day 1989-01-08
//	令和  令  R   first day 2019-05-01
//
// Era year N is Gregorian year (first-day year + N − 1), and month and day are
// read as Gregorian month and day.
//
// The Meiji era was proclaimed on 1868-10-23 but made retroactive to the first
// day of 慶応4年 in the old lunisolar calendar, which is 1868-01-25 in the
// Gregorian calendar; family registers (戸籍) use that day, and so does this
// package. Japan switched to the Gregorian calendar only on 明治6年1月1日
// (1873-01-01); dates in 明治1年 to 明治5年 are nevertheless interpreted as
// Gregorian month and day, without lunisolar conversion.
//
// # Validation
//
// A recognised input is then checked, in this order:
//
//  1. The Gregorian year must be within 1800..9999 and the month and day must
//     name a real day of the Gregorian calendar (2024-02-29 exists, 2023-02-29
//     and 2024-04-31 do not). Otherwise the error is [ErrInvalidDate].
//  2. An era date must fall between the era's first day and the day before
//     the next era's first day, inclusive. Otherwise the error is
//     [ErrOutsideEra]. Examples: 昭和64年1月7日 is 1989-01-07, but 昭和64年1月8日,
//     平成1年1月7日, 平成31年5月1日 and 令和元年4月30日 are outside their eras.
//     Era year 0 always falls before its era and is reported the same way.
//
// Every error returned by Parse wraps exactly one of the sentinel errors,
// which callers test with errors.Is, and its message starts with
// `jpdate: "<input>": `.
//
// # Formatting
//
// [FormatEra] writes a date in the era calendar as 昭和47年3月15日, with year 1
// written 元年 (平成元年1月8日). Dates before 1868-01-25 have no era and are
// written in Gregorian form (1800年1月1日). Whenever Parse accepts an input,
// FormatEra of the result and the ISO form YYYY-MM-DD of the result both parse
// back to the same date.
package jpdate
