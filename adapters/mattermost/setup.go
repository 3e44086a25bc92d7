package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// Resolved is the result of Setup: the ids of bot, team and channels and
// the registered commands. The caller puts the channel ids and the command
// name into bot.Config.
type Resolved struct {
	BotUserID   string
	BotUserName string
	TeamID      string

	TriageChannelID string
	// LeadershipChannelID is empty when none is configured or the bot
	// cannot reach it.
	LeadershipChannelID string

	// CommandName is "/störung" when the server accepted that trigger,
	// and "/stoerung" otherwise.
	CommandName string
	// Commands lists the triggers registered by the bot, without slash.
	Commands []string
}

// Setup checks the bot token, finds team and channels, makes sure the bot
// is a member of them, reads the server's signing key and registers the
// slash commands. It fails when the token, the team, the triage channel or
// the signing key is unusable. A missing leadership channel or a missing
// permission to register commands is logged with the steps that fix it,
// and Setup goes on without.
func (a *Adapter) Setup(ctx context.Context) (Resolved, error) {
	me, err := a.checkToken(ctx)
	if err != nil {
		return Resolved{}, err
	}
	res := Resolved{BotUserID: me.Id, BotUserName: me.Username}

	// Team and channels, with the bot as a member of each.
	res.TeamID, err = a.joinTeam(ctx, me)
	if err != nil {
		return Resolved{}, err
	}
	triage, err := a.joinChannel(ctx, res.TeamID, me, a.cfg.TriageChannel)
	if err != nil {
		return Resolved{}, err
	}
	res.TriageChannelID = triage.Id
	if a.cfg.LeadershipChannel != "" {
		leadership, err := a.joinChannel(ctx, res.TeamID, me, a.cfg.LeadershipChannel)
		if err != nil {
			a.log.Warn("leadership channel unusable, P1 notes to the leadership are off", "error", err)
		} else {
			res.LeadershipChannelID = leadership.Id
		}
	}

	// The key that proves who pressed a button.
	key, err := a.fetchSigningKey(ctx)
	if err != nil {
		return Resolved{}, err
	}

	// Slash commands, as far as the bot may register them.
	registered := a.registerCommands(ctx, res.TeamID, me.Id)
	res.CommandName = "/" + triggerASCII
	tokens := append([]string(nil), a.cfg.CommandTokens...)
	for _, cmd := range registered {
		res.Commands = append(res.Commands, cmd.Trigger)
		tokens = append(tokens, cmd.Token)
		if cmd.Trigger == triggerUmlaut {
			res.CommandName = "/" + triggerUmlaut
		}
	}
	if len(tokens) == 0 {
		a.log.Error("no slash command can reach Leitstelle: none registered and none configured; buttons and reactions still work")
	}

	a.mu.Lock()
	a.resolved, a.tokens, a.signingKey = res, tokens, key
	a.mu.Unlock()
	a.log.Info("setup done", logUser, me.Id, logTeam, res.TeamID, "triage_channel_id", res.TriageChannelID,
		"leadership_channel_id", res.LeadershipChannelID, "commands", res.Commands)
	return res, nil
}

// checkToken returns the bot's own user.
func (a *Adapter) checkToken(ctx context.Context) (*model.User, error) {
	me, _, err := a.client.GetMe(ctx, "")
	if statusOf(err) == http.StatusUnauthorized {
		return nil, fmt.Errorf("mattermost: the server at %s rejected the bot token; create a new access token for the bot (System Console > Integrations > Bot Accounts) and configure it", a.cfg.ServerURL)
	}
	if err != nil {
		return nil, fmt.Errorf("mattermost: get bot user from %s: %w", a.cfg.ServerURL, err)
	}
	if !me.IsBot {
		a.log.Warn("the token belongs to a person, not a bot account; Leitstelle works, but posts appear under that person's name",
			logUser, me.Id, logFix, "create a bot account under System Console > Integrations > Bot Accounts and use its token")
	}
	return me, nil
}

// joinTeam returns the id of the configured team and adds the bot to it
// when it is not a member yet.
func (a *Adapter) joinTeam(ctx context.Context, me *model.User) (string, error) {
	fix := fmt.Sprintf("add @%s to the team: System Console > User Management > Teams > %s > Add Members", me.Username, a.cfg.Team)
	team, _, err := a.client.GetTeamByName(ctx, a.cfg.Team, "")
	if err != nil {
		return "", fmt.Errorf("mattermost: team %q not found or not visible to the bot (%w); check the team's URL name, or %s", a.cfg.Team, err, fix)
	}
	if _, _, err := a.client.GetTeamMember(ctx, team.Id, me.Id, ""); err == nil {
		return team.Id, nil
	}

	if _, _, err := a.client.AddTeamMember(ctx, team.Id, me.Id); err != nil {
		return "", fmt.Errorf("mattermost: the bot is not a member of team %q and cannot join it (%w); %s", a.cfg.Team, err, fix)
	}
	a.log.Info("bot joined team", logTeam, team.Id)
	return team.Id, nil
}

// joinChannel returns the named channel of team and adds the bot to it
// when it is public. A private channel must be joined by hand.
func (a *Adapter) joinChannel(ctx context.Context, teamID string, me *model.User, name string) (*model.Channel, error) {
	name = strings.TrimPrefix(name, "~")
	fix := fmt.Sprintf("open the channel ~%s as one of its members and type /invite @%s", name, me.Username)
	ch, _, err := a.client.GetChannelByName(ctx, name, teamID, "")
	if err != nil {
		return nil, fmt.Errorf("mattermost: channel %q not found or not visible to the bot (%w); check the channel's URL name, or %s", name, err, fix)
	}
	if _, _, err := a.client.GetChannelMember(ctx, ch.Id, me.Id, ""); err == nil {
		return ch, nil
	}
	// A team admin could add itself to a private channel, but a typo in
	// the name must not send tickets to a channel nobody invited it to.
	if ch.Type == model.ChannelTypePrivate {
		return nil, fmt.Errorf("mattermost: the bot is not a member of the private channel %q; %s", name, fix)
	}

	if _, _, err := a.client.AddChannelMember(ctx, ch.Id, me.Id); err != nil {
		return nil, fmt.Errorf("mattermost: the bot is not a member of channel %q and cannot join it (%w); %s", name, err, fix)
	}
	a.log.Info("bot joined channel", logChannel, ch.Id)
	return ch, nil
}

// fetchSigningKey reads the server's public key for trigger ids from the
// client configuration, which every logged-in user may read.
func (a *Adapter) fetchSigningKey(ctx context.Context) (*signingKey, error) {
	resp, err := a.client.DoAPIGet(ctx, "/config/client?format=old", "")
	if err != nil {
		return nil, fmt.Errorf("mattermost: read client config: %w", err)
	}
	defer resp.Body.Close()

	var config map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&config); err != nil {
		return nil, fmt.Errorf("mattermost: decode client config: %w", err)
	}
	encoded := config["AsymmetricSigningPublicKey"]
	if encoded == "" {
		return nil, fmt.Errorf("mattermost: the client config of %s has no AsymmetricSigningPublicKey, so button presses cannot be verified; check that ServerURL points at a Mattermost server", a.cfg.ServerURL)
	}
	return parseSigningKey(encoded)
}

// refreshSigningKey reads the signing key again, such as after the server
// restarted. A failure keeps the old key.
func (a *Adapter) refreshSigningKey(ctx context.Context) {
	key, err := a.fetchSigningKey(ctx)
	if err != nil {
		a.log.Warn("refresh signing key, keeping the old one", "error", err)
		return
	}
	a.mu.Lock()
	a.signingKey = key
	a.mu.Unlock()
}

// statusOf returns the HTTP status of a Mattermost client error, or 0.
func statusOf(err error) int {
	var appErr *model.AppError
	if errors.As(err, &appErr) {
		return appErr.StatusCode
	}
	return 0
}

// errorID returns the Mattermost error id, such as
// "store.sql_channel.save_channel.exists.app_error", or "".
func errorID(err error) string {
	var appErr *model.AppError
	if errors.As(err, &appErr) {
		return appErr.Id
	}
	return ""
}
