package schedule

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	ical "github.com/arran4/golang-ical"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/secret"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// The window of a feed around today, in days.
const (
	FeedDaysBefore = 31
	FeedDaysAfter  = 92
)

// FeedInfo describes a user's iCalendar feed (never its token, which is
// only shown once, by CreateFeed).
type FeedInfo struct {
	CreatedAt time.Time `json:"created_at"`
}

type feedRow struct {
	bun.BaseModel `bun:"table:schedule_feeds,alias:fd"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
	TokenHash     string    `bun:"token_hash"`
	CreatedAt     time.Time `bun:"created_at"`
}

// hashFeedToken is the stored form of a feed token: the hex of
// secret.HashToken over the whole token (tenant and random part).
func hashFeedToken(token string) string { return hex.EncodeToString(secret.HashToken(token)) }

// CreateFeed gives the staff principal a new secret iCalendar feed of their
// own calendar and returns its token (the tenant's ID, a dot and 256
// random bits, URL-safe), which is stored only hashed: show it once, e.g.
// as webcal://host/feeds/<token>.ics. A feed the principal had stops
// working.
func (s *Service) CreateFeed(ctx context.Context) (string, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return "", err
	}
	random, _, err := secret.NewToken()
	if err != nil {
		return "", err
	}
	token := pr.Tenant.String() + "." + random
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewDelete().Model((*feedRow)(nil)).Where("tenant_id = ?", pr.Tenant).Where("user_id = ?", pr.User).Exec(ctx); err != nil {
			return err
		}
		r := feedRow{Tenant: pr.Tenant, User: pr.User, TokenHash: hashFeedToken(token), CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "create", "calendar_feed", pr.User, "")
	})
	if err != nil {
		return "", fmt.Errorf("schedule: create feed: %w", err)
	}
	return token, nil
}

// RevokeFeed ends the staff principal's feed (ErrNotFound without one).
func (s *Service) RevokeFeed(ctx context.Context) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewDelete().Model((*feedRow)(nil)).Where("tenant_id = ?", pr.Tenant).Where("user_id = ?", pr.User).Exec(ctx)
		if err := storage.Affected(res, err, ErrNotFound); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "revoke", "calendar_feed", pr.User, "")
	})
	if err != nil {
		return fmt.Errorf("schedule: revoke feed: %w", err)
	}
	return nil
}

// Feed describes the staff principal's feed; ErrNotFound without one.
func (s *Service) Feed(ctx context.Context) (*FeedInfo, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var r feedRow
	if err := s.db.NewSelect().Model(&r).Where("fd.tenant_id = ?", pr.Tenant).Where("fd.user_id = ?", pr.User).Scan(ctx); err != nil {
		return nil, fmt.Errorf("schedule: feed: %w", storage.Err(err))
	}
	return &FeedInfo{CreatedAt: r.CreatedAt.UTC()}, nil
}

// WriteFeed writes the iCalendar (RFC 5545) feed of token to w: the
// calendar of the feed's owner from FeedDaysBefore days before today to
// FeedDaysAfter days after, as the owner would see it on the web (their
// visibility rules; customers they do not see stay unnamed; no memos). It
// needs no principal in ctx — the token is the credential — and fails
// with ErrUnauthenticated for an unknown or revoked token or an owner who
// is no longer active staff.
func (s *Service) WriteFeed(ctx context.Context, token string, w io.Writer) error {
	pr, err := s.feedPrincipal(ctx, token)
	if err != nil {
		return fmt.Errorf("schedule: feed: %w", err)
	}
	today := s.today(pr)
	c, err := s.calendar(ctx, pr, CalendarQuery{Staff: []uuid.UUID{pr.User}, From: today.AddDays(-FeedDaysBefore), To: today.AddDays(FeedDaysAfter)},
		FeedDaysBefore+FeedDaysAfter+1)
	if err != nil {
		return fmt.Errorf("schedule: feed: %w", err)
	}
	cal := ical.NewCalendar()
	cal.SetProductId("-//Kiroku//schedule//JA")
	cal.SetMethod(ical.MethodPublish)
	cal.SetXWRCalName("Kiroku")
	loc := s.location(pr)
	cal.SetXWRTimezone(loc.String())
	stamp := s.now()
	for _, e := range c.Entries {
		ev := cal.AddEvent(e.ID.String() + "@kiroku")
		ev.SetDtStampTime(stamp)
		if e.AllDay {
			ev.SetAllDayStartAt(e.Start.In(loc))
			ev.SetAllDayEndAt(e.End.In(loc))
		} else {
			ev.SetStartAt(e.Start)
			ev.SetEndAt(e.End)
		}
		summary := e.Title
		if e.Kind == EntryRecord {
			summary = "記録"
		}
		if e.CustomerName != "" {
			summary += " " + e.CustomerName
		}
		ev.SetSummary(summary)
		if e.Place != "" {
			ev.SetLocation(e.Place)
		}
		if mark := directLabels[e.Direct]; mark != "" {
			ev.SetDescription(mark)
		}
	}
	// RFC 5545 lines end in CRLF.
	return cal.SerializeTo(w, ical.WithNewLineWindows)
}

// directLabels are the 直行・直帰 marks in feeds.
var directLabels = map[Direct]string{DirectGo: "直行", DirectReturn: "直帰", DirectBoth: "直行直帰"}

// feedPrincipal resolves a feed token to its owner's principal.
func (s *Service) feedPrincipal(ctx context.Context, token string) (permission.Principal, error) {
	t, _, ok := strings.Cut(token, ".")
	tenant, err := uuid.Parse(t)
	if !ok || err != nil {
		return permission.Principal{}, ErrUnauthenticated
	}
	var r feedRow
	err = s.db.NewSelect().Model(&r).Where("fd.tenant_id = ?", tenant).Where("fd.token_hash = ?", hashFeedToken(token)).Scan(ctx)
	if err != nil {
		if err = storage.Err(err); isNotFound(err) {
			err = ErrUnauthenticated
		}
		return permission.Principal{}, err
	}
	return s.cfg.Directory.Principal(ctx, r.Tenant, r.User)
}
