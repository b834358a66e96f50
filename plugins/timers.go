package plugins

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// recentRecords is how many of a customer's latest records a timer event
// carries (Event.RecentRecords).
const recentRecords = 20

// timerHandler delivers the contactlog.TopicTimer messages of the timers
// plugins set: the event has kind timer, the timer's key, its customer
// and the customer's latest records of the plugin's templates.
func (h *Host) timerHandler(records *contactlog.System) outbox.Handler {
	return outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
		return h.deliver(ctx, records, m, func(ctx context.Context) (sdk.Event, error) {
			var p contactlog.TimerPayload
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				return sdk.Event{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
			}
			d, err := records.TimerEvent(ctx, m.Tenant, p.Customer, h.templateKeys(m.Recipient), recentRecords)
			if err != nil {
				return sdk.Event{}, err
			}
			e := sdk.Event{ID: m.Key, Kind: sdk.EventTimer, Tenant: m.Tenant.String(), At: p.At,
				TimerKey: m.Key, Customer: customerToAPI(d.Customer)}
			for i := range d.RecentRecords {
				e.RecentRecords = append(e.RecentRecords, recordToAPI(&d.RecentRecords[i], d.Customer.Fields))
			}
			return e, nil
		})
	})
}

// templateKeys returns the keys of the templates of the plugin called
// name, as its last manifest lists them.
func (h *Host) templateKeys(name string) []string {
	p, err := h.proc(name)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.manifest == nil {
		return nil
	}
	keys := make([]string, len(p.manifest.templates))
	for i, t := range p.manifest.templates {
		keys[i] = t.Key
	}
	return keys
}

// timersFromAPI converts the timers a plugin answered; a timer's customer
// must be a customer ID.
func timersFromAPI(ts []sdk.Timer) ([]contactlog.Timer, error) {
	out := make([]contactlog.Timer, len(ts))
	for i, t := range ts {
		c, err := uuid.Parse(t.Customer)
		if err != nil {
			return nil, fmt.Errorf("timer %d: customer %q is not a customer ID: %w", i, t.Customer, ErrUnavailable)
		}
		out[i] = contactlog.Timer{Key: t.Key, At: t.At, Customer: c}
	}
	return out, nil
}
