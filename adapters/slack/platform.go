package slack

import (
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/bot"
)

// Post sends m to a channel and returns the message timestamp, which is the
// post ID the bot stores and the item.ts of later reaction events.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	opts := append(a.messageOptions(m), slackapi.MsgOptionDisableLinkUnfurl())
	_, ts, err := a.api.PostMessageContext(ctx, channelID, opts...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channelID, err)
	}
	return ts, nil
}

// UpdatePost replaces the message postID in channelID with m.
func (a *Adapter) UpdatePost(ctx context.Context, channelID, postID string, m bot.Message) error {
	opts := a.messageOptions(m)
	if m.Title == "" && len(m.Buttons) == 0 {
		// Clear the blocks of a card that becomes plain text.
		opts = append(opts, slackapi.MsgOptionBlocks())
	}
	if _, _, _, err := a.api.UpdateMessageContext(ctx, channelID, postID, opts...); err != nil {
		return fmt.Errorf("chat.update %s in %s: %w", postID, channelID, err)
	}
	return nil
}

// Ephemeral shows m to userID in channelID. Slack rejects this when the bot
// or the user is not in the channel, for example after a slash command in
// a channel without the bot. Then m goes to the user as a direct message.
func (a *Adapter) Ephemeral(ctx context.Context, channelID, userID string, m bot.Message) error {
	_, err := a.api.PostEphemeralContext(ctx, channelID, userID, a.messageOptions(m)...)
	if err == nil {
		return nil
	}
	switch slackErrorCode(err) {
	case "channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived":
		a.log.InfoContext(ctx, "ephemeral message not possible, sending a direct message", "reason", slackErrorCode(err), logChannel, channelID, logUser, userID)
		return a.DM(ctx, userID, m)
	}
	return fmt.Errorf("chat.postEphemeral to %s in %s: %w", userID, channelID, err)
}

// DM sends m as a direct message from the bot to userID. The channel comes
// from conversations.open and is remembered per user.
func (a *Adapter) DM(ctx context.Context, userID string, m bot.Message) error {
	channelID, err := a.dmChannel(ctx, userID)
	if err != nil {
		return err
	}
	opts := append(a.messageOptions(m), slackapi.MsgOptionDisableLinkUnfurl())
	if _, _, err := a.api.PostMessageContext(ctx, channelID, opts...); err != nil {
		return fmt.Errorf("direct message to %s: %w", userID, err)
	}
	return nil
}

func (a *Adapter) dmChannel(ctx context.Context, userID string) (string, error) {
	if id, ok := a.dms.Load(userID); ok {
		return id.(string), nil
	}
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return "", fmt.Errorf("conversations.open with %s: %w", userID, err)
	}
	a.dms.Store(userID, ch.ID)
	return ch.ID, nil
}

// OpenForm opens f as a modal with the trigger ID of the user's slash
// command or button press, which Slack accepts for 3 seconds.
func (a *Adapter) OpenForm(ctx context.Context, trigger bot.Trigger, f bot.Form) error {
	view, err := modalView(f, trigger.ChannelID)
	if err != nil {
		return err
	}
	if _, err := a.api.OpenViewContext(ctx, trigger.ID, view); err != nil {
		return fmt.Errorf("views.open for %s: %w", trigger.UserID, err)
	}
	return nil
}

// Pin pins the message postID in channelID.
func (a *Adapter) Pin(ctx context.Context, channelID, postID string) error {
	if err := a.api.AddPinContext(ctx, channelID, slackapi.NewRefToMessage(channelID, postID)); err != nil {
		return fmt.Errorf("pins.add %s in %s: %w", postID, channelID, err)
	}
	return nil
}

// slackErrorCode returns the error code of a Web API error, such as
// "name_taken", or "" for other errors.
func slackErrorCode(err error) string {
	var apiErr slackapi.SlackErrorResponse
	if errors.As(err, &apiErr) {
		return apiErr.Err
	}
	return ""
}
