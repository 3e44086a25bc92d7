package slack

import (
	"context"
	"encoding/json"
	"fmt"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// socketAckWait bounds the wait for a free slot in slack-go's queue of
// outgoing acknowledgements. Slack redelivers what it did not get.
const socketAckWait = maxAckTimeout

// runSocketMode connects with the app token and handles envelopes until ctx
// ends. slack-go reconnects by itself; after every connection the adapter
// catches up on what it missed. It returns an error when Slack rejects the
// app token.
func (a *Adapter) runSocketMode(ctx context.Context) error {
	client := socketmode.New(a.api, socketmode.OptionLog(libraryLogger{log: a.log}))
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	a.log.InfoContext(ctx, "slack socket mode starting")

	for {
		select {
		case err := <-runErr:
			a.Wait()
			if ctx.Err() != nil {
				a.log.InfoContext(ctx, "slack socket mode stopped")
				return nil
			}
			return fmt.Errorf("slack socket mode: %w; check the app token and that socket mode is enabled", err)
		case evt := <-client.Events:
			a.onSocketEvent(ctx, client, evt)
		}
	}
}

// onSocketEvent acknowledges and handles one Socket Mode event. Events API
// envelopes are acknowledged first. Slash commands and interactions are
// handled in a goroutine each and acknowledged with the bot's reply when it
// is ready in time.
func (a *Adapter) onSocketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.log.InfoContext(ctx, "slack socket mode connected")
		a.background(ctx, "catch up", a.catchUp)
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		if ctx.Err() == nil {
			a.log.WarnContext(ctx, "slack socket mode connection problem, slack-go retries", "type", string(evt.Type), "detail", fmt.Sprint(evt.Data))
		}
	case socketmode.EventTypeInvalidAuth:
		a.log.ErrorContext(ctx, "slack rejected the app token")
	case socketmode.EventTypeEventsAPI:
		a.ack(ctx, client, evt.Request, nil)
		a.onSocketEventsAPI(ctx, evt)
	case socketmode.EventTypeSlashCommand:
		cmd, _ := evt.Data.(slackapi.SlashCommand)
		a.background(ctx, "slash command", func(ctx context.Context) {
			a.ack(ctx, client, evt.Request, a.onSlashCommand(ctx, cmd))
		})
	case socketmode.EventTypeInteractive:
		cb, _ := evt.Data.(slackapi.InteractionCallback)
		a.background(ctx, "interaction", func(ctx context.Context) {
			a.ack(ctx, client, evt.Request, a.onInteraction(ctx, cb))
		})
	case socketmode.EventTypeErrorBadMessage:
		a.ackBadMessage(ctx, client, evt)
	default:
		// Every other envelope, such as a type this adapter does not know,
		// is acknowledged so that Slack does not resend it.
		a.ack(ctx, client, evt.Request, nil)
	}
}

func (a *Adapter) onSocketEventsAPI(ctx context.Context, evt socketmode.Event) {
	apiEvent, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok {
		return
	}
	eventID := ""
	if cb, ok := apiEvent.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	if evt.Request != nil && evt.Request.RetryAttempt > 0 {
		a.log.InfoContext(ctx, "Events API redelivery received", logEvent, eventID,
			"retry_attempt", evt.Request.RetryAttempt, "retry_reason", evt.Request.RetryReason)
	}
	a.onEvent(ctx, eventID, apiEvent.InnerEvent)
}

// ack acknowledges the envelope of req with payload. A payload that slack-go
// refuses, such as one over Slack's 20 KB limit, is replaced by an empty
// acknowledgement, so that the envelope is still confirmed.
func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, socketAckWait)
	defer cancel()

	err := client.AckCtx(ctx, req.EnvelopeID, payload)
	if err != nil && payload != nil {
		a.log.WarnContext(ctx, "acknowledgement with payload failed, acknowledging without", "error", err, logEnvelope, req.EnvelopeID)
		err = client.AckCtx(ctx, req.EnvelopeID, nil)
	}
	if err != nil {
		a.log.ErrorContext(ctx, "acknowledge envelope, Slack will resend it", "error", err, logEnvelope, req.EnvelopeID)
	}
}

// ackBadMessage acknowledges an envelope that slack-go could not parse,
// such as an event of a type it does not know, when its envelope_id is
// readable.
func (a *Adapter) ackBadMessage(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var envelope struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(bad.Message, &envelope) // An unreadable message has no ID to acknowledge.
	a.log.WarnContext(ctx, "unreadable socket mode message", "error", bad.Cause, logEnvelope, envelope.EnvelopeID)
	a.ack(ctx, client, &socketmode.Request{EnvelopeID: envelope.EnvelopeID}, nil)
}
