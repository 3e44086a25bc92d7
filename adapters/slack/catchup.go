package slack

import (
	"context"
	"errors"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/bot"
)

// catchUp repairs what the adapter missed while it was not connected. It
// posts stored tickets that never reached the triage channel. For each
// open ticket it reads the claim reactions with reactions.get. The bot then
// applies the claim of the first IT member among them, or releases a claim
// whose reaction is gone.
func (a *Adapter) catchUp(ctx context.Context) {
	b := a.attached(ctx)
	if b == nil {
		return
	}
	if err := b.RepostMissing(ctx); err != nil {
		a.log.ErrorContext(ctx, "repost missing tickets", "error", err)
	}

	posts, err := b.OpenTicketPosts(ctx)
	if err != nil {
		a.log.ErrorContext(ctx, "list open tickets to reconcile claims", "error", err)
		return
	}
	reconciled := 0
	for _, p := range posts {
		reactors, err := a.claimReactors(ctx, p.ChannelID, p.PostID)
		var limited *slackapi.RateLimitedError
		if errors.As(err, &limited) {
			a.log.WarnContext(ctx, "rate limited while reconciling claims, the rest waits for the next connection",
				"retry_after", limited.RetryAfter, "incident", p.Number)
			return
		}
		if err != nil {
			a.log.WarnContext(ctx, "read reactions of ticket", "error", err, "incident", p.Number, logChannel, p.ChannelID)
			continue
		}
		if err := b.ReconcileClaims(ctx, p.PostID, reactors); err != nil {
			a.log.ErrorContext(ctx, "reconcile claim", "error", err, "incident", p.Number)
		}
		if len(reactors) > 0 {
			reconciled++
		}
	}
	a.log.InfoContext(ctx, "caught up after connecting", "open_tickets", len(posts), "tickets_with_claim_reactions", reconciled)
}

// claimReactors returns the users who reacted with the claim emoji on a
// message, in the order Slack lists them, without the bot.
func (a *Adapter) claimReactors(ctx context.Context, channelID, ts string) ([]bot.User, error) {
	item, err := a.api.GetReactionsContext(ctx, slackapi.NewRefToMessage(channelID, ts), slackapi.GetReactionsParameters{Full: true})
	if err != nil {
		return nil, err
	}

	var users []bot.User
	for _, r := range item.Reactions {
		if r.Name != bot.ClaimEmoji {
			continue
		}
		for _, id := range r.Users {
			if id == a.currentBotUserID() {
				continue
			}
			name, err := a.users.Name(ctx, id)
			if err != nil {
				a.log.WarnContext(ctx, "look up user name, using the user ID only", "error", err, logUser, id)
			}
			users = append(users, bot.User{ID: id, Name: name})
		}
	}
	return users, nil
}
