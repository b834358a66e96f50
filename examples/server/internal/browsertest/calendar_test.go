package browsertest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// A week on the phone, an appointment created from a day's slot, then the
// month on a desktop.
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
	b.open("/calendar?d=2026-09-22&view=month")
	b.fitsWidth("/calendar month")
	b.require(b.count(".calendar-month .day") == 35, "five whole weeks")
	b.shot("calendar month on a desktop")
}
