package date_test

import (
	"errors"
	"fmt"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// Dates as a Japanese user types them, in the Gregorian or the era
// calendar, and the field code of each refused one.
func Example() {
	for _, in := range []string{"2024/3/15", "S47.3.15", "平成元年1月8日", "２０２４年３月１５日"} {
		d, err := date.Parse(in)
		if err != nil {
			panic(err)
		}
		fmt.Println(in, "→", d, d.Era())
	}
	for _, in := range []string{"平成1年1月7日", "2023-02-29", "きのう"} {
		_, err := date.Parse(in)
		fmt.Println(in, "→", date.ErrorCode(err), errors.Is(err, validation.ErrInvalid))
	}
	// Output:
	// 2024/3/15 → 2024-03-15 令和6年3月15日
	// S47.3.15 → 1972-03-15 昭和47年3月15日
	// 平成元年1月8日 → 1989-01-08 平成元年1月8日
	// ２０２４年３月１５日 → 2024-03-15 令和6年3月15日
	// 平成1年1月7日 → outside_era true
	// 2023-02-29 → invalid_date true
	// きのう → format true
}
