package contactlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
)

// TopicChannel is the outbox topic of notifications through a
// notify.Channel: wherever a report-to notification (TopicReportTo)
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
	var ch notify.Channel
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
	return ch.Deliver(ctx, m.Tenant, notify.Message{
		Recipient: u.ID, Name: u.Name, Email: u.Email, Subject: msg.Subject, Body: msg.Text, Key: m.Key,
	})
}
