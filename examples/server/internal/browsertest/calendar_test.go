package browsertest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// A week on the phone, an appointment created from a day's slot, then the
// month on a desktop, whose 「他N件」 opens the day.
func TestCalendarWeekOnAPhone(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, "/calendar?d=2026-09-22")
	b.fitsWidth("/calendar")
	b.shot("calendar week")
	b.follow("slot of 09-22", `#day-2026-09-22 a.slot`)
	b.fill("title", "定期訪問", "place", "山田様宅", "start", "10:00", "end", "11:00", "direct", "both")
	b.shot("new appointment")
	b.submit("save", "#save", 200)
	b.require(b.location() == "/calendar?d=2026-09-22", "back on the week: %s", b.location())
	b.require(b.count("#day-2026-09-22 .entry") == 1, "the appointment is on its day")
	b.require(b.count("#day-2026-09-22 .direct-both") == 1, "with its 直行直帰 mark")
	b.fitsWidth("/calendar after create")
	b.shot("calendar week with appointment")

	b.step("desktop", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	// Three more that day: the month shows three and 「他1件」, which
	// opens the day with all four.
	for _, slot := range [][2]string{{"13:00", "13:30"}, {"15:00", "15:30"}, {"17:00", "17:30"}} {
		b.open("/calendar/new?date=2026-09-22")
		b.fill("title", "打ち合わせ "+slot[0], "start", slot[0], "end", slot[1])
		b.submit("save "+slot[0], "#save", 200)
	}
	b.open("/calendar?d=2026-09-22&view=month")
	b.fitsWidth("/calendar month")
	b.require(b.count(".calendar-month .day") == 35, "five whole weeks")
	b.require(b.count("#day-2026-09-22 .entry") == 3, "three entries of the day")
	b.require(b.text("#day-2026-09-22 .more a") == "他1件", "「他1件」: %q", b.text("#day-2026-09-22 .more a"))
	b.shot("calendar month on a desktop")
	b.follow("他1件", "#day-2026-09-22 .more a")
	b.require(b.count(".calendar .day") == 1 && b.count("#day-2026-09-22 .entry") == 4, "the day with its four entries")
	b.shot("calendar day from the month")
}
