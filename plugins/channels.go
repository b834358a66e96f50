package plugins

import (
	"context"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Channels returns one notify.Channel per plugin whose
// last manifest has the notify capability (a Notifier), named after the
// plugin, for contactlog.Config.Channels; call it after Start. Deliver
// calls the plugin's Notify with one recipient (the notification's
// Recipients hold the user ID, its Key the outbox key) and that
// recipient's directory e-mail address by user ID — or, for a text message
// to a customer's phone (notify.Message.Phone: the portal's SMS
// invitations), the customer's ID and mobile number — within CallTimeout
// like every call; a message of a tenant that has not installed the
// plugin is dropped (delivered to nobody, without an error; the channel's
// Serves tells beforehand, as notify.Scoped), and a plugin
// that is not running or fails the call answers an error matching
// ErrUnavailable that names it, so the dispatcher retries the message.
func (h *Host) Channels() []notify.Channel {
	var out []notify.Channel
	for _, p := range h.procs {
		p.mu.Lock()
		notifies := p.manifest != nil && p.manifest.caps.Notify
		p.mu.Unlock()
		if notifies {
			out = append(out, channel{p})
		}
	}
	return out
}

// channel is a plugin as a notification channel.
type channel struct{ p *proc }

var (
	_ notify.Channel = channel{}
	_ notify.Scoped  = channel{}
)

// Serves reports whether tenant installed the plugin.
func (c channel) Serves(ctx context.Context, tenant uuid.UUID) (bool, error) {
	return c.p.h.installed(ctx, tenant, c.p.spec.Name)
}

func (c channel) Name() string { return c.p.spec.Name }

func (c channel) Deliver(ctx context.Context, tenant uuid.UUID, m notify.Message) error {
	if ok, err := c.p.h.installed(ctx, tenant, c.p.spec.Name); err != nil || !ok {
		return err
	}
	user := m.Recipient.String()
	n := sdk.Notification{Recipients: []string{user}, Subject: m.Subject, Body: m.Body, Key: m.Key}
	addresses := map[string]string{}
	switch {
	case m.Phone != "":
		addresses[user] = m.Phone
	case m.Email != "":
		addresses[user] = m.Email
	}
	return c.p.call(ctx, "notify", func(ctx context.Context, rpc *wire.Client, _ *manifest) error {
		return rpc.Notify(ctx, tenant.String(), n, addresses)
	})
}
