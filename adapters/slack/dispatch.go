package slack

import (
	"context"
	"slices"
	"sort"
	"strings"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/leitstelle/leitstelle/bot"
)

// The handlers in this file are shared by HTTP and Socket Mode. Each returns
// the payload of the acknowledgement, nil for an empty one, within
// AckTimeout; slower work continues in the background.

// commandResponse is the ephemeral response to a slash command.
type commandResponse struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// attached returns the bot, or nil with an error log before Attach.
func (a *Adapter) attached(ctx context.Context) *bot.Bot {
	b := a.bot.Load()
	if b == nil {
		a.log.ErrorContext(ctx, "request from Slack before a bot was attached, dropped")
	}
	return b
}

// onSlashCommand passes a slash command to the bot, which opens its form
// with the trigger ID right away. A reply ready within AckTimeout goes into
// the acknowledgement. A later reply goes to the response URL.
func (a *Adapter) onSlashCommand(ctx context.Context, cmd slackapi.SlashCommand) any {
	if !slices.Contains(a.cfg.Commands, cmd.Command) {
		a.log.WarnContext(ctx, "unknown slash command ignored", "command", cmd.Command, logUser, cmd.UserID)
		return nil
	}
	b := a.attached(ctx)
	if b == nil {
		return nil
	}
	a.users.Remember(cmd.UserID, cmd.UserName)

	c := bot.Command{
		User:      bot.User{ID: cmd.UserID, Name: cmd.UserName},
		ChannelID: cmd.ChannelID,
		Command:   cmd.Command,
		Text:      cmd.Text,
		TriggerID: cmd.TriggerID,
	}
	reply, inTime := answerWithin(ctx, a, "slash command",
		func(ctx context.Context) bot.Reply { return b.HandleCommand(ctx, c) },
		func(ctx context.Context, r bot.Reply) {
			a.respond(ctx, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, r.Text)
		})
	if !inTime || reply.Text == "" {
		return nil
	}
	return commandResponse{ResponseType: slackapi.ResponseTypeEphemeral, Text: a.mrkdwn(reply.Text)}
}

// respond shows text to one user: through the response URL of the request
// when there is one, otherwise as an ephemeral message or direct message.
func (a *Adapter) respond(ctx context.Context, responseURL, channelID, userID, text string) {
	if strings.TrimSpace(text) == "" {
		return
	}
	if responseURL != "" {
		_, _, err := a.api.PostMessageContext(ctx, channelID,
			slackapi.MsgOptionText(a.mrkdwn(text), false),
			slackapi.MsgOptionResponseURL(responseURL, slackapi.ResponseTypeEphemeral))
		if err == nil {
			return
		}
		a.log.WarnContext(ctx, "posting to the response URL failed, trying an ephemeral message", "error", err, logUser, userID)
	}
	if err := a.Ephemeral(ctx, channelID, userID, bot.Message{Text: text}); err != nil {
		a.log.ErrorContext(ctx, "reply to user failed", "error", err, logUser, userID, logChannel, channelID)
	}
}

// onInteraction handles button presses and modal submissions.
func (a *Adapter) onInteraction(ctx context.Context, cb slackapi.InteractionCallback) any {
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		a.onBlockActions(ctx, cb)
	case slackapi.InteractionTypeViewSubmission:
		return a.onViewSubmission(ctx, cb)
	}
	return nil
}

// onBlockActions runs the bot's buttons in the background. Slack ignores
// the acknowledgement's body for block actions, so the bot's reply goes to
// the response URL.
func (a *Adapter) onBlockActions(ctx context.Context, cb slackapi.InteractionCallback) {
	b := a.attached(ctx)
	if b == nil {
		return
	}
	a.users.Remember(cb.User.ID, cb.User.Name)
	channelID := cb.Container.ChannelID
	if channelID == "" {
		channelID = cb.Channel.ID
	}

	for _, act := range cb.ActionCallback.BlockActions {
		if !strings.HasPrefix(act.ActionID, actionPrefix) {
			continue
		}
		action := bot.Action{
			User:      bot.User{ID: cb.User.ID, Name: cb.User.Name},
			ChannelID: channelID,
			PostID:    cb.Container.MessageTs,
			Token:     act.Value,
			TriggerID: cb.TriggerID,
		}
		a.background(ctx, "button", func(ctx context.Context) {
			reply := b.HandleAction(ctx, action)
			a.respond(ctx, cb.ResponseURL, channelID, cb.User.ID, reply.Text)
		})
	}
}

// onViewSubmission passes a submitted modal to the bot and turns its result
// into the acknowledgement: field errors beside the fields, a general error
// in a view pushed on top of the form, or nothing, which closes the modal.
func (a *Adapter) onViewSubmission(ctx context.Context, cb slackapi.InteractionCallback) any {
	if !strings.HasPrefix(cb.View.CallbackID, callbackPrefix) {
		return nil
	}
	b := a.attached(ctx)
	if b == nil {
		return nil
	}
	a.users.Remember(cb.User.ID, cb.User.Name)

	meta := parseMetadata(cb.View.PrivateMetadata)
	sub := bot.Submission{
		User:      bot.User{ID: cb.User.ID, Name: cb.User.Name},
		ChannelID: meta.Channel,
		FormID:    meta.Form,
		State:     meta.State,
		Values:    submissionValues(cb.View.State),
		TriggerID: cb.TriggerID,
	}
	result, inTime := answerWithin(ctx, a, "form submission",
		func(ctx context.Context) bot.SubmissionResult { return b.HandleSubmission(ctx, sub) },
		func(ctx context.Context, r bot.SubmissionResult) { a.reportLateSubmission(ctx, sub, r) })
	if !inTime {
		return nil
	}
	return a.submissionResponse(cb.View, result)
}

func (a *Adapter) submissionResponse(view slackapi.View, r bot.SubmissionResult) any {
	fieldErrors := map[string]string{}
	var other []string
	for field, msg := range r.FieldErrors {
		if viewHasBlock(view, field) {
			fieldErrors[field] = msg
		} else {
			other = append(other, msg)
		}
	}
	if len(fieldErrors) > 0 {
		return slackapi.NewErrorsViewSubmissionResponse(fieldErrors)
	}

	text := r.Error
	if len(other) > 0 {
		sort.Strings(other)
		text = strings.TrimSpace(text + "\n" + strings.Join(other, "\n"))
	}
	if text == "" {
		return nil
	}
	title := ""
	if view.Title != nil {
		title = view.Title.Text
	}
	return slackapi.NewPushViewSubmissionResponse(a.messageView(title, text))
}

func viewHasBlock(view slackapi.View, blockID string) bool {
	for _, block := range view.Blocks.BlockSet {
		if block.ID() == blockID {
			return true
		}
	}
	if view.State != nil {
		_, ok := view.State.Values[blockID]
		return ok
	}
	return false
}

// reportLateSubmission sends the user a direct message with the reasons a
// submission failed after its modal had closed.
func (a *Adapter) reportLateSubmission(ctx context.Context, sub bot.Submission, r bot.SubmissionResult) {
	fieldErrors := make([]string, 0, len(r.FieldErrors))
	for _, msg := range r.FieldErrors {
		fieldErrors = append(fieldErrors, msg)
	}
	sort.Strings(fieldErrors)
	messages := fieldErrors
	if r.Error != "" {
		messages = append([]string{r.Error}, fieldErrors...)
	}
	if len(messages) == 0 {
		return
	}

	a.log.WarnContext(ctx, "form submission failed after the modal closed, telling the user", logUser, sub.User.ID, "form", sub.FormID)
	if err := a.DM(ctx, sub.User.ID, bot.Message{Text: strings.Join(messages, "\n")}); err != nil {
		a.log.ErrorContext(ctx, "tell user about failed submission", "error", err, logUser, sub.User.ID)
	}
}

// reaction is a reaction_added or reaction_removed event on a message.
type reaction struct {
	eventID   string
	userID    string
	emoji     string
	channelID string
	ts        string
	added     bool
}

// onEvent queues a claim reaction for the bot. It skips other events, the
// bot's own reactions and event IDs it has seen before, so that a retried
// or redelivered event has one effect.
func (a *Adapter) onEvent(ctx context.Context, eventID string, inner slackevents.EventsAPIInnerEvent) {
	var r reaction
	var item slackevents.Item
	switch ev := inner.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		r = reaction{userID: ev.User, emoji: ev.Reaction, added: true}
		item = ev.Item
	case *slackevents.ReactionRemovedEvent:
		r = reaction{userID: ev.User, emoji: ev.Reaction}
		item = ev.Item
	default:
		a.log.DebugContext(ctx, "event ignored", "type", inner.Type, logEvent, eventID)
		return
	}
	if item.Type != "message" || r.emoji != bot.ClaimEmoji || r.userID == a.currentBotUserID() {
		return
	}
	r.eventID, r.channelID, r.ts = eventID, item.Channel, item.Timestamp

	if eventID != "" && !a.events.Add(eventID) {
		a.log.InfoContext(ctx, "repeated event skipped", logEvent, eventID)
		return
	}
	a.queue.Enqueue(ctx, "reaction", func(ctx context.Context) { a.handleReaction(ctx, r) })
}

// handleReaction passes a claim reaction to the bot, with the user name
// from users.info so that roles configured by name apply.
func (a *Adapter) handleReaction(ctx context.Context, r reaction) {
	b := a.attached(ctx)
	if b == nil || !a.firstPersistedDelivery(ctx, r.eventID) {
		return
	}

	name, err := a.users.Name(ctx, r.userID)
	if err != nil {
		a.log.WarnContext(ctx, "look up user name, using the user ID only", "error", err, logUser, r.userID)
	}
	err = b.HandleReaction(ctx, bot.Reaction{
		User:      bot.User{ID: r.userID, Name: name},
		ChannelID: r.channelID,
		PostID:    r.ts,
		Emoji:     r.emoji,
		Added:     r.added,
	})
	if err != nil {
		a.log.ErrorContext(ctx, "handle reaction", "error", err, logEvent, r.eventID, logUser, r.userID, logChannel, r.channelID)
	}
}
