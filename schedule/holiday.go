package schedule

import (
	"slices"
	"sync"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/jp"
)

// Holiday is a Japanese public holiday (祝日・休日).
type Holiday struct {
	Date Date   `json:"date"`
	Name string `json:"name"` // e.g. 元日, 振替休日, 国民の休日
}

// Holiday names.
const (
	HolidaySubstitute = "振替休日"  // a holiday on a Sunday moves to the next free day
	HolidayCitizens   = "国民の休日" // a day between two holidays
)

// holidayNames are the Japanese names of github.com/rickar/cal/v2/jp's
// holidays (which names them in English).
var holidayNames = map[*cal.Holiday]string{
	jp.NewYear:                 "元日",
	jp.ComingOfAgeDay:          "成人の日",
	jp.NationalFoundationDay:   "建国記念の日",
	jp.TheEmperorsBirthday:     "天皇誕生日",
	jp.VernalEquinoxDay:        "春分の日",
	jp.ShowaDay:                "昭和の日",
	jp.ConstitutionMemorialDay: "憲法記念日",
	jp.GreeneryDay:             "みどりの日",
	jp.ChildrensDay:            "こどもの日",
	jp.MarineDay:               "海の日",
	jp.MountainDay:             "山の日",
	jp.RespectForTheAgedDay:    "敬老の日",
	jp.AutumnalEquinoxDay:      "秋分の日",
	jp.SportsDay:               "スポーツの日",
	jp.CultureDay:              "文化の日",
	jp.LaborThanksgivingDay:    "勤労感謝の日",
	jp.NationalHolidayBetweenRespectForTheAgedDayAndAutumnalEquinoxDay:              HolidayCitizens,
	jp.NationalHolidayBetweenShowaDayAndNewEmperorEnthronementDay:                   HolidayCitizens,
	jp.TheNewEmperorEnthronementDay:                                                 "天皇の即位の日",
	jp.NationalHolidayBetweenTheNewEmperorEnthronementDayAndConstitutionMemorialDay: HolidayCitizens,
	jp.TheNewEmperorEnthronementCeremony:                                            "即位礼正殿の儀の行われる日",
}

// Years for which Holidays knows the holidays.
const (
	HolidayFirstYear = 2000
	HolidayLastYear  = 2099
)

// holidays computes the holidays of HolidayFirstYear–HolidayLastYear once
// (the library's calculations are not safe for concurrent use), by date.
var holidays = sync.OnceValue(func() []Holiday {
	var out []Holiday
	for y := HolidayFirstYear; y <= HolidayLastYear; y++ {
		for _, h := range jp.Holidays {
			actual, observed := h.Calc(y)
			if actual.IsZero() {
				continue
			}
			name := holidayNames[h]
			if h == jp.SportsDay && y < 2020 {
				name = "体育の日"
			}
			out = append(out, Holiday{Date: DateOf(actual), Name: name})
			if !observed.Equal(actual) {
				out = append(out, Holiday{Date: DateOf(observed), Name: HolidaySubstitute})
			}
		}
	}
	slices.SortFunc(out, func(a, b Holiday) int { return compareDates(a.Date, b.Date) })
	return out
})

// Holidays returns the Japanese public holidays from from to to (both
// included), by date, with their Japanese names; substitute holidays are
// named HolidaySubstitute and days between two holidays HolidayCitizens.
// Years outside HolidayFirstYear–HolidayLastYear have none.
func Holidays(from, to Date) []Holiday {
	all := holidays()
	i, _ := slices.BinarySearchFunc(all, from, func(h Holiday, d Date) int { return compareDates(h.Date, d) })
	var out []Holiday
	for ; i < len(all) && !to.Before(all[i].Date); i++ {
		out = append(out, all[i])
	}
	return out
}
