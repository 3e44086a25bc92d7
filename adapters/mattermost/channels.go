package mattermost

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// channelExistsError is the error id of Mattermost for a channel name that
// is taken in the team, by a live or an archived channel.
const channelExistsError = "store.sql_channel.save_channel.exists.app_error"

// maxNameAttempts bounds the suffixes tried for a taken channel name.
const maxNameAttempts = 20

// CreateChannel creates a channel in the team with the given members and
// returns it. A taken name gets a suffix "-2", "-3" and so on. Member
// names that the server does not know, and members that cannot be added,
// are logged and skipped, so the channel exists even then.
func (a *Adapter) CreateChannel(ctx context.Context, spec bot.ChannelSpec) (bot.Channel, error) {
	ch, err := a.createUniqueChannel(ctx, spec)
	if err != nil {
		return bot.Channel{}, err
	}
	a.log.Info("channel created", logChannel, ch.Id, "channel_name", ch.Name)

	// The bot is a member already, as the channel's creator.
	botID := a.setupResult().BotUserID
	for _, userID := range a.memberIDs(ctx, spec) {
		if userID == botID {
			continue
		}
		if _, _, err := a.client.AddChannelMember(ctx, ch.Id, userID); err != nil {
			a.log.Warn("add member to new channel, skipped", "error", err, logChannel, ch.Id, logUser, userID)
		}
	}
	return bot.Channel{ID: ch.Id, Name: ch.Name, Link: "~" + ch.Name}, nil
}

// createUniqueChannel creates the channel of spec under its name, or
// under the first free name with a suffix.
func (a *Adapter) createUniqueChannel(ctx context.Context, spec bot.ChannelSpec) (*model.Channel, error) {
	channelType := model.ChannelTypeOpen
	if spec.Private {
		channelType = model.ChannelTypePrivate
	}
	displayName := spec.DisplayName
	if strings.TrimSpace(displayName) == "" {
		displayName = spec.Name
	}

	for attempt := 1; attempt <= maxNameAttempts; attempt++ {
		name := channelName(spec.Name, attempt)
		ch, _, err := a.client.CreateChannel(ctx, &model.Channel{
			TeamId:      a.setupResult().TeamID,
			Name:        name,
			DisplayName: truncateRunes(displayName, model.ChannelDisplayNameMaxRunes),
			Purpose:     truncateRunes(spec.Purpose, model.ChannelPurposeMaxRunes),
			Type:        channelType,
		})
		if err == nil {
			return ch, nil
		}
		if errorID(err) != channelExistsError {
			return nil, fmt.Errorf("create channel %s: %w", name, err)
		}
	}
	return nil, fmt.Errorf("create channel %s: the name and %d suffixed names are taken", spec.Name, maxNameAttempts-1)
}

// channelName returns base for the first attempt and base with the suffix
// "-<attempt>" after that, cut to the maximum length of a name.
func channelName(base string, attempt int) string {
	if attempt <= 1 {
		return cutBytes(base, model.ChannelNameMaxLength)
	}
	suffix := "-" + strconv.Itoa(attempt)
	stem := strings.TrimRight(cutBytes(base, model.ChannelNameMaxLength-len(suffix)), "-_")
	return stem + suffix
}

// memberIDs returns the user ids of spec's members: its ids, and its
// names resolved by the server. An entry of MemberNames that is no user
// name but a valid user id counts as an id, because roles may be
// configured by id.
func (a *Adapter) memberIDs(ctx context.Context, spec bot.ChannelSpec) []string {
	ids := append([]string(nil), spec.MemberIDs...)

	names := make([]string, 0, len(spec.MemberNames))
	for _, n := range spec.MemberNames {
		names = append(names, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(n), "@")))
	}
	found := map[string]string{}
	if len(names) > 0 {
		users, _, err := a.client.GetUsersByUsernames(ctx, names)
		if err != nil {
			a.log.Warn("resolve member names of new channel", "error", err, "names", names)
		}
		for _, u := range users {
			found[u.Username] = u.Id
		}
	}

	for _, n := range names {
		switch id, ok := found[n]; {
		case ok:
			ids = append(ids, id)
		case model.IsValidId(n):
			ids = append(ids, n)
		default:
			a.log.Warn("member name of new channel not found, skipped", "user_name", n)
		}
	}
	return dedupe(ids)
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// truncateRunes cuts s to at most max runes and ends a cut text with an
// ellipsis.
func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + ellipsis
}
