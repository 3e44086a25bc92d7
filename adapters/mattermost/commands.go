package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// Slash command triggers. Mattermost 11.4 accepts the umlaut. Servers built
// with server/public v0.2.1 or newer reject it when a command is created
// through the API, so the ASCII spelling is always registered too.
const (
	triggerUmlaut = "störung"
	triggerASCII  = "stoerung"
)

// Limits of model.Command.IsValid, in bytes.
const (
	commandDisplayNameMax = 64
	commandDescriptionMax = 128
)

// commandText renders message id of the slash command's texts in the
// configured language.
func commandText(tr *bot.Translator, id string) string {
	return tr.T(id, nil)
}

// registerCommands creates or updates the bot's slash commands in team
// and returns those the server holds afterwards. Failures are logged with
// the steps that fix them.
func (a *Adapter) registerCommands(ctx context.Context, teamID, botID string) []*model.Command {
	manual := fmt.Sprintf("make the bot a team admin (System Console > User Management > Teams > %s > the bot's role: Team Admin), "+
		"or create the slash command /%s by hand (Integrations > Slash Commands, request URL %s, method POST) and configure its token",
		a.cfg.Team, triggerASCII, a.publicURL(PathCommand))

	existing, _, err := a.client.ListCommands(ctx, teamID, true)
	if err != nil {
		a.log.Warn("the bot may not manage slash commands, none registered", "error", err, logTeam, teamID, logFix, manual)
		return nil
	}

	tr, err := bot.NewTranslator(a.cfg.Language)
	if err != nil {
		a.log.Warn("load message catalog for command texts, using German", "error", err)
		if tr, err = bot.NewTranslator("de"); err != nil {
			a.log.Error("load German message catalog, no commands registered", "error", err)
			return nil
		}
	}

	var registered []*model.Command
	for _, trigger := range []string{triggerUmlaut, triggerASCII} {
		want := a.commandSpec(tr, teamID, trigger)
		cmd, err := a.saveCommand(ctx, want, ownCommand(existing, botID, trigger))
		switch {
		case err == nil:
			registered = append(registered, cmd)
		case trigger == triggerUmlaut && statusOf(err) == http.StatusBadRequest && errorID(err) == "model.command.is_valid.trigger.app_error":
			a.log.Info("the server rejects the trigger /"+triggerUmlaut+", registered only /"+triggerASCII, logTeam, teamID)
		case foreignCommand(existing, botID, trigger) != nil:
			other := foreignCommand(existing, botID, trigger)
			a.log.Warn("another slash command uses this trigger, so the bot did not register its own", logTrigger, trigger,
				"command_id", other.Id, logTeam, teamID,
				logFix, "keep that command and put its token into command_tokens, or delete it under Integrations > Slash Commands and restart")
		default:
			a.log.Warn("register slash command", "error", err, logTrigger, trigger, logTeam, teamID, logFix, manual)
		}
	}
	return registered
}

// saveCommand updates old to match want, or creates want when old is nil.
// An update keeps the command's token.
func (a *Adapter) saveCommand(ctx context.Context, want, old *model.Command) (*model.Command, error) {
	if old == nil {
		cmd, _, err := a.client.CreateCommand(ctx, want)
		if err != nil {
			return nil, err
		}
		a.log.Info("slash command created", logTrigger, cmd.Trigger, "command_id", cmd.Id)
		return cmd, nil
	}

	updated := *old
	updated.URL, updated.Method = want.URL, want.Method
	updated.AutoComplete, updated.AutoCompleteDesc, updated.AutoCompleteHint = want.AutoComplete, want.AutoCompleteDesc, want.AutoCompleteHint
	updated.DisplayName, updated.Description = want.DisplayName, want.Description
	cmd, _, err := a.client.UpdateCommand(ctx, &updated)
	if err != nil {
		return nil, err
	}
	a.log.Info("slash command updated", logTrigger, cmd.Trigger, "command_id", cmd.Id)
	return cmd, nil
}

// commandSpec is the slash command with trigger, pointing at the adapter.
func (a *Adapter) commandSpec(tr *bot.Translator, teamID, trigger string) *model.Command {
	return &model.Command{
		TeamId:           teamID,
		Trigger:          trigger,
		Method:           model.CommandMethodPost,
		URL:              a.publicURL(PathCommand),
		AutoComplete:     true,
		AutoCompleteDesc: commandText(tr, "command.autocomplete_description"),
		AutoCompleteHint: commandText(tr, "command.autocomplete_hint"),
		DisplayName:      truncateBytes(commandText(tr, "command.display_name"), commandDisplayNameMax),
		Description:      truncateBytes(commandText(tr, "command.description"), commandDescriptionMax),
	}
}

// ownCommand returns the live command of trigger that the bot created, or
// nil.
func ownCommand(commands []*model.Command, botID, trigger string) *model.Command {
	for _, cmd := range commands {
		if cmd.CreatorId == botID && cmd.DeleteAt == 0 && strings.EqualFold(cmd.Trigger, trigger) {
			return cmd
		}
	}
	return nil
}

// foreignCommand returns a live command of trigger that someone other than
// the bot created, such as one made by hand, or nil.
func foreignCommand(commands []*model.Command, botID, trigger string) *model.Command {
	for _, cmd := range commands {
		if cmd.CreatorId != botID && cmd.DeleteAt == 0 && strings.EqualFold(cmd.Trigger, trigger) {
			return cmd
		}
	}
	return nil
}
