package contactlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/outbox"
)

// NotificationChannel delivers notifications to staff by a way of its own
// besides mail (chat, SMS…); Config.Channels lists them and the plugin
// host's Channels offers those of its plugins. Name identifies the
// channel in the outbox (unique, non-empty, without ':') and must stay the
// same across restarts. Deliver gets one message for
// one recipient and may be called again with the same Key after a
// failure; an error is retried by the dispatcher.
type NotificationChannel interface {
	Name() string
	Deliver(ctx context.Context, tenant uuid.UUID, m ChannelMessage) error
}

// ChannelMessage is one notification to one staff member, as the mail of
// the same notification says it.
type ChannelMessage struct {
	// Recipient is the staff member's user ID; Name and Email are theirs
	// in the directory (Email may be "").
	Recipient uuid.UUID
	Name      string
	Email     string
	// Subject is one line; Body is plain text, without the mail's footer.
	Subject string
	Body    string
	// Key is the key of the mail's outbox message: the record's ID for a
	// report-to notification, "<source>:<key>" for a subscriber's.
	Key string
}

// TopicChannel is the outbox topic of notifications through a
// NotificationChannel: wherever a report-to notification (TopicReportTo)
// or a subscriber's notification (TopicNotification) is enqueued, one
// TopicChannel message per configured channel is enqueued with it
// (Recipient: "<channel name>:<user ID>", Key: the mail message's key).
// MailRecord stays mail-only. Payload: ChannelPayload.
const TopicChannel = "contactlog.channel"

// ChannelPayload is the payload of a TopicChannel message: the topic and
// payload of the mail message it accompanies.
type ChannelPayload struct {
	Topic   string          `json:"topic"`
	Payload json.RawMessage `json:"payload"`
}

// withChannels returns msgs followed by one TopicChannel message per
// configured channel and message of msgs.
func (s *Service) withChannels(msgs []outbox.Message) ([]outbox.Message, error) {
	out := msgs
	for _, m := range msgs {
		payload, err := json.Marshal(ChannelPayload{Topic: m.Topic, Payload: m.Payload})
		if err != nil {
			return nil, err
		}
		for _, ch := range s.cfg.Channels {
			out = append(out, outbox.Message{
				Tenant: m.Tenant, Topic: TopicChannel, Recipient: ch.Name() + ":" + m.Recipient, Key: m.Key, Payload: payload,
			})
		}
	}
	return out, nil
}

// deliverChannel delivers a TopicChannel message through its channel: the
// recipient gets what the accompanied mail says now, or nothing when the
// mail would be dropped (see Handlers). A channel that is no longer
// configured fails the message permanently; the channel's error is
// retried.
func (s *Service) deliverChannel(ctx context.Context, m outbox.Message) error {
	if err := s.sendChannel(ctx, m); err != nil {
		return fmt.Errorf("contactlog: deliver %s %s: %w", m.Topic, m.ID, err)
	}
	return nil
}

func (s *Service) sendChannel(ctx context.Context, m outbox.Message) error {
	name, user, _ := strings.Cut(m.Recipient, ":")
	var ch NotificationChannel
	for _, c := range s.cfg.Channels {
		if c.Name() == name {
			ch = c
		}
	}
	if ch == nil {
		return outbox.Permanent(fmt.Errorf("channel %q is not configured (Config.Channels)", name))
	}
	var p ChannelPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("payload: %w", err))
	}
	mail := m
	mail.Topic, mail.Recipient, mail.Payload = p.Topic, user, p.Payload
	u, msg, err := s.compose(ctx, mail)
	if u == nil || err != nil {
		return err
	}
	return ch.Deliver(ctx, m.Tenant, ChannelMessage{
		Recipient: u.ID, Name: u.Name, Email: u.Email, Subject: msg.Subject, Body: msg.Text, Key: m.Key,
	})
}
