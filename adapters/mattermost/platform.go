package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// Post sends m to a channel and returns the new post's id.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	post, _, err := a.client.CreatePost(ctx, newPost(channelID, m, a.publicURL(PathAction)))
	if err != nil {
		return "", fmt.Errorf("create post in channel %s: %w", channelID, err)
	}
	return post.Id, nil
}

// UpdatePost replaces text and attachments of a post the bot wrote. It
// patches the post, so that its pin and reactions stay.
func (a *Adapter) UpdatePost(ctx context.Context, channelID, postID string, m bot.Message) error {
	post := newPost(channelID, m, a.publicURL(PathAction))
	props := post.GetProps()
	if props == nil {
		props = model.StringInterface{}
	}

	// The patch replaces all props; from_bot keeps the post marked as
	// the bot's.
	props[model.PostPropsFromBot] = "true"
	patch := &model.PostPatch{Message: &post.Message, Props: &props}
	if _, _, err := a.client.PatchPost(ctx, postID, patch); err != nil {
		return fmt.Errorf("patch post %s: %w", postID, err)
	}
	return nil
}

// Ephemeral shows m to one user in a channel. Mattermost lets only system
// admins create ephemeral posts through the API; without that permission
// the message goes to the user as a direct message instead.
func (a *Adapter) Ephemeral(ctx context.Context, channelID, userID string, m bot.Message) error {
	if a.ephemeralDenied.Load() {
		return a.DM(ctx, userID, m)
	}

	eph := &model.PostEphemeral{UserID: userID, Post: newPost(channelID, m, a.publicURL(PathAction))}
	_, _, err := a.client.CreatePostEphemeral(ctx, eph)
	if statusOf(err) == http.StatusForbidden {
		if !a.ephemeralDenied.Swap(true) {
			a.log.Warn("the bot may not create ephemeral posts, sending direct messages instead", "error", err,
				logFix, "give the bot the System Admin role (System Console > Integrations > Bot Accounts > Edit > Role) and restart Leitstelle")
		}
		return a.DM(ctx, userID, m)
	}
	if err != nil {
		return fmt.Errorf("create ephemeral post for user %s in channel %s: %w", userID, channelID, err)
	}
	return nil
}

// DM sends m as a direct message from the bot to a user.
func (a *Adapter) DM(ctx context.Context, userID string, m bot.Message) error {
	channelID, err := a.directChannel(ctx, userID)
	if err != nil {
		return err
	}
	_, err = a.Post(ctx, channelID, m)
	return err
}

// directChannel returns the direct channel between bot and user.
func (a *Adapter) directChannel(ctx context.Context, userID string) (string, error) {
	if id, ok := a.dms.Load(userID); ok {
		return id.(string), nil
	}
	ch, _, err := a.client.CreateDirectChannel(ctx, a.setupResult().BotUserID, userID)
	if err != nil {
		return "", fmt.Errorf("open direct channel with user %s: %w", userID, err)
	}
	a.dms.Store(userID, ch.Id)
	return ch.Id, nil
}

// errNoTrigger reports a form request without a user interaction.
var errNoTrigger = errors.New("no trigger id: Mattermost opens dialogs only in response to a command or button")

// OpenForm opens f as an interactive dialog for the user behind trigger.
func (a *Adapter) OpenForm(ctx context.Context, trigger bot.Trigger, f bot.Form) error {
	if trigger.ID == "" {
		return errNoTrigger
	}
	dialog := renderDialog(f)
	if err := dialog.IsValid(); err != nil {
		return fmt.Errorf("render form %s: %w", f.ID, err)
	}

	req := model.OpenDialogRequest{TriggerId: trigger.ID, URL: a.publicURL(PathDialog), Dialog: dialog}
	if _, err := a.client.OpenInteractiveDialog(ctx, req); err != nil {
		return fmt.Errorf("open dialog %s for user %s: %w", f.ID, trigger.UserID, err)
	}
	return nil
}

// Pin pins a post in its channel.
func (a *Adapter) Pin(ctx context.Context, channelID, postID string) error {
	if _, err := a.client.PinPost(ctx, postID); err != nil {
		return fmt.Errorf("pin post %s in channel %s: %w", postID, channelID, err)
	}
	return nil
}
