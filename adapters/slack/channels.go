package slack

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/bot"
)

// Channel limits of Slack's conversations.create.
const (
	maxChannelName = 80
	maxPurpose     = 250
	// maxNameAttempts is how many suffixes CreateChannel tries for a taken
	// name before it gives up.
	maxNameAttempts = 20
)

var (
	invalidNameChars = regexp.MustCompile(`[^a-z0-9_-]+`)
	channelIDPattern = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)
)

// channelName turns name into a valid Slack channel name: lowercase
// letters, digits, "-" and "_", at most 80 characters.
func channelName(name string) string {
	out := invalidNameChars.ReplaceAllString(strings.ToLower(name), "-")
	out = strings.Trim(out, "-_")
	if len(out) > maxChannelName {
		out = strings.TrimRight(out[:maxChannelName], "-_")
	}
	if out == "" {
		out = "stoerung"
	}
	return out
}

// withSuffix returns base with "-n" appended, shortened to fit 80 characters.
func withSuffix(base string, n int) string {
	suffix := "-" + strconv.Itoa(n)
	if len(base)+len(suffix) > maxChannelName {
		base = strings.TrimRight(base[:maxChannelName-len(suffix)], "-_")
	}
	return base + suffix
}

// CreateChannel creates the channel of spec with conversations.create, sets
// its purpose and invites the members. A taken name gets the suffix "-2",
// "-3" and so on. Member names are resolved through users.list; unknown
// names are logged and skipped. It fails only when the channel cannot be
// created, because a channel with missing members is still useful. A failed
// purpose or invitation is logged.
//
// NOTE: Slack channels have no display name, so spec.DisplayName is unused.
func (a *Adapter) CreateChannel(ctx context.Context, spec bot.ChannelSpec) (bot.Channel, error) {
	ch, err := a.createUniqueChannel(ctx, channelName(spec.Name), spec.Private)
	if err != nil {
		return bot.Channel{}, err
	}
	a.links.add(ch.ID)
	log := a.log.With(logChannel, ch.ID)

	if spec.Purpose != "" {
		if _, err := a.api.SetPurposeOfConversationContext(ctx, ch.ID, truncateRunes(spec.Purpose, maxPurpose)); err != nil {
			log.WarnContext(ctx, "set channel purpose", "error", err)
		}
	}
	a.inviteMembers(ctx, ch.ID, spec)

	return bot.Channel{ID: ch.ID, Name: ch.Name, Link: "<#" + ch.ID + ">"}, nil
}

func (a *Adapter) createUniqueChannel(ctx context.Context, base string, private bool) (*slackapi.Channel, error) {
	for attempt := 1; attempt <= maxNameAttempts; attempt++ {
		name := base
		if attempt > 1 {
			name = withSuffix(base, attempt)
		}
		ch, err := a.api.CreateConversationContext(ctx, slackapi.CreateConversationParams{ChannelName: name, IsPrivate: private})
		if slackErrorCode(err) == "name_taken" {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("conversations.create %q: %w", name, err)
		}
		return ch, nil
	}
	return nil, fmt.Errorf("conversations.create %q: name and %d suffixes are taken", base, maxNameAttempts-1)
}

// inviteMembers invites the members of spec in one call. When that fails,
// for example because one user is deactivated, it invites them one by one
// so that the others still join.
func (a *Adapter) inviteMembers(ctx context.Context, channelID string, spec bot.ChannelSpec) {
	ids := a.memberIDs(ctx, spec)
	if len(ids) == 0 {
		return
	}
	_, err := a.api.InviteUsersToConversationContext(ctx, channelID, ids...)
	if err == nil {
		return
	}
	a.log.WarnContext(ctx, "invite members together failed, inviting one by one", "error", err, logChannel, channelID)

	for _, id := range ids {
		_, err := a.api.InviteUsersToConversationContext(ctx, channelID, id)
		if err != nil && slackErrorCode(err) != "already_in_channel" {
			a.log.WarnContext(ctx, "invite member", "error", err, logChannel, channelID, logUser, id)
		}
	}
}

// memberIDs returns the IDs of spec's members and resolved member names,
// without duplicates and without the bot, which created the channel.
func (a *Adapter) memberIDs(ctx context.Context, spec bot.ChannelSpec) []string {
	ids := slices.Clone(spec.MemberIDs)
	if len(spec.MemberNames) > 0 {
		resolved, unknown, err := a.users.Resolve(ctx, spec.MemberNames)
		if err != nil {
			a.log.WarnContext(ctx, "resolve member names, inviting members by id only", "error", err)
		}
		for _, name := range unknown {
			a.log.WarnContext(ctx, "no active Slack user for configured member, not invited", "member", name)
		}
		ids = append(ids, resolved...)
	}

	botID := a.currentBotUserID()
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && id != botID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// resolveChannel returns the ID of a channel given by ID or name and makes
// sure the bot is a member: it joins a public channel, and it fails for a
// private channel the bot cannot see.
func (a *Adapter) resolveChannel(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "#")
	ch, err := a.findChannel(ctx, ref)
	if err != nil {
		return "", err
	}
	if ch.IsMember {
		return ch.ID, nil
	}
	if ch.IsPrivate {
		return "", fmt.Errorf("the bot is not in private channel %q; invite the app there with /invite", ref)
	}
	if _, _, _, err := a.api.JoinConversationContext(ctx, ch.ID); err != nil {
		return "", fmt.Errorf("join channel %q: %w", ref, err)
	}
	a.log.InfoContext(ctx, "joined channel", logChannel, ch.ID, "name", ch.Name)
	return ch.ID, nil
}

func (a *Adapter) findChannel(ctx context.Context, ref string) (*slackapi.Channel, error) {
	if channelIDPattern.MatchString(ref) {
		ch, err := a.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: ref})
		if err != nil {
			return nil, fmt.Errorf("conversations.info %s: %w; check the channel ID or invite the app", ref, err)
		}
		return ch, nil
	}

	params := &slackapi.GetConversationsParameters{
		Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: 200,
	}
	for {
		channels, next, err := a.api.GetConversationsContext(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("conversations.list: %w", err)
		}
		for i := range channels {
			if channels[i].Name == strings.ToLower(ref) {
				return &channels[i], nil
			}
		}
		if next == "" {
			return nil, fmt.Errorf("no channel named %q; create it, or invite the app if it is private", ref)
		}
		params.Cursor = next
	}
}
