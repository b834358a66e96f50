package jpdate

import (
	"sync"
	"time"
)

// Tokyo returns the Asia/Tokyo time zone, Kiroku's default tenant zone. When
// the system has no zone database it falls back to a fixed UTC+9 zone
// named JST (Japan has no daylight saving time, so the two agree).
var Tokyo = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*60*60)
	}
	return loc
})
