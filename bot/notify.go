package bot

import (
	"context"
	"regexp"
	"strings"

	"github.com/leitstelle/leitstelle/incident"
)

// afterChange refreshes the ticket and notifies the people involved of
// what happened. Failures are logged: the change itself is already stored.
func (b *Bot) afterChange(ctx context.Context, inc *incident.Incident, events []incident.Event, actor incident.Actor) {
	if inc.Posted() {
		b.refreshTicket(ctx, inc)
	} else {
		b.publish(ctx, inc)
	}

	for _, ev := range events {
		b.notify(ctx, inc, ev, actor)
		if inc.CoordinationChannelID != "" {
			b.postCoordinationUpdate(ctx, inc, ev)
		}
	}
	if inc.Priority == incident.P1 && inc.CoordinationChannelID == "" && inc.Status.Open() {
		b.publish(ctx, inc)
	}
}

// refreshTicket redraws the triage post and the pinned coordination card of
// inc from the stored state. It holds the incident's lock and reads the
// incident again, so that of two changes in quick succession the later
// one is drawn last, whichever finished its own update first.
func (b *Bot) refreshTicket(ctx context.Context, inc *incident.Incident) {
	unlock := b.lockIncident(inc.Number)
	defer unlock()

	current, err := b.store.Get(ctx, inc.School, inc.Number)
	if err != nil {
		b.log.ErrorContext(ctx, "reload incident to redraw its ticket", "error", err, logIncident, inc.Number)
		return
	}
	if err := b.platform.UpdatePost(ctx, b.cfg.TriageChannelID, current.TriagePostID, b.ticketMessage(current)); err != nil {
		b.log.ErrorContext(ctx, "update triage post", "error", err, logIncident, inc.Number, logPost, current.TriagePostID)
	}
	if current.CoordinationPostID != "" {
		if err := b.platform.UpdatePost(ctx, current.CoordinationChannelID, current.CoordinationPostID, b.coordinationSummary(current)); err != nil {
			b.log.WarnContext(ctx, "update coordination summary", "error", err, logIncident, inc.Number, logPost, current.CoordinationPostID)
		}
	}
}

// notify sends the direct messages an event calls for. Nobody gets a
// message about their own action.
func (b *Bot) notify(ctx context.Context, inc *incident.Incident, ev incident.Event, actor incident.Actor) {
	data := map[string]any{
		"Ref": inc.Ref(), "Title": neutralize(inc.Title), "Actor": actor.Name,
		"Note": neutralize(ev.Note), "Command": b.cfg.CommandName,
	}
	switch ev.Kind {
	case incident.EventClaimed:
		b.dm(ctx, inc, inc.ReporterID, actor, Message{Text: b.t("notify.claimed", data)})
	case incident.EventEscalated:
		b.dm(ctx, inc, inc.ReporterID, actor, Message{Text: b.t("notify.escalated", data)})
	case incident.EventResolved:
		b.dm(ctx, inc, inc.ReporterID, actor, Message{
			Text:    b.t("notify.resolved", data),
			Buttons: []Button{b.button(verbVerify, inc), b.button(verbReopen, inc)},
		})
	case incident.EventVerified:
		b.dm(ctx, inc, inc.ClaimerID, actor, Message{Text: b.t("notify.verified", data)})
	case incident.EventReopened:
		b.dm(ctx, inc, inc.ClaimerID, actor, Message{Text: b.t("notify.reopened", data)})
	case incident.EventClosed:
		b.dm(ctx, inc, inc.ReporterID, actor, Message{Text: b.t("notify.closed", data)})
	case incident.EventUnclaimed:
		b.dm(ctx, inc, inc.ReporterID, actor, Message{Text: b.t("notify.unclaimed", data)})
	case incident.EventWithdrawn:
		b.dm(ctx, inc, inc.ClaimerID, actor, Message{Text: b.t("notify.withdrawn", data)})
	case incident.EventDuplicate:
		data["Original"] = ev.NewValue
		b.dm(ctx, inc, inc.ReporterID, actor, Message{Text: b.t("notify.duplicate", data)})
	}
}

func (b *Bot) dm(ctx context.Context, inc *incident.Incident, userID string, actor incident.Actor, m Message) {
	if userID == "" || userID == actor.ID {
		return
	}
	if err := b.platform.DM(ctx, userID, m); err != nil {
		b.log.WarnContext(ctx, "send direct message", "error", err, logIncident, inc.Number, logUser, userID)
	}
}

// openCoordination creates the P1 coordination channel with reporter,
// claimer, IT team and leadership, pins a summary there and links it from
// the triage post.
//
// NOTE: unlike the triage post, creating the channel is not reserved in
// the database, so two processes sharing one database could each open a
// channel for the same P1 when both retry at the same moment.
func (b *Bot) openCoordination(ctx context.Context, inc *incident.Incident) {
	members := []string{inc.ReporterID}
	if inc.ClaimerID != "" {
		members = append(members, inc.ClaimerID)
	}
	spec := ChannelSpec{
		Name:        CoordinationChannelName(inc.Number, inc.Title),
		DisplayName: b.t("coordination.display_name", map[string]any{"Ref": inc.Ref(), "Priority": inc.Priority.String(), "Title": inc.Title}),
		Purpose:     b.t("coordination.purpose", map[string]any{"Ref": inc.Ref()}),
		Private:     true,
		MemberIDs:   members,
		MemberNames: append(b.dir.ITNames(), b.dir.LeadershipNames()...),
	}
	ch, err := b.platform.CreateChannel(ctx, spec)
	if err != nil {
		b.log.ErrorContext(ctx, "create coordination channel, will retry", "error", err, logIncident, inc.Number)
		return
	}

	updated, _, err := b.store.Update(ctx, inc.School, inc.Number, incident.SetCoordinationChannel(incident.System, ch.ID, ch.Name, ch.Link))
	if err != nil {
		b.log.ErrorContext(ctx, "record coordination channel", "error", err, logIncident, inc.Number, logChannel, ch.ID)
		return
	}
	*inc = *updated
	b.log.InfoContext(ctx, "coordination channel created", logIncident, inc.Number, logChannel, ch.ID)

	if postID, err := b.platform.Post(ctx, ch.ID, b.coordinationSummary(inc)); err != nil {
		b.log.ErrorContext(ctx, "post coordination summary", "error", err, logIncident, inc.Number, logChannel, ch.ID)
	} else {
		if err := b.platform.Pin(ctx, ch.ID, postID); err != nil {
			b.log.WarnContext(ctx, "pin coordination summary", "error", err, logIncident, inc.Number, logPost, postID)
		}
		if err := b.store.SetCoordinationPost(ctx, inc.School, inc.Number, postID); err != nil {
			b.log.WarnContext(ctx, "record coordination summary", "error", err, logIncident, inc.Number, logPost, postID)
		}
		inc.CoordinationPostID = postID
	}

	b.linkCoordination(ctx, inc, ch)
}

// coordinationSummary is the pinned card of a coordination channel: the
// ticket without buttons, which belong in the triage channel.
func (b *Bot) coordinationSummary(inc *incident.Incident) Message {
	summary := b.ticketMessage(inc)
	summary.Buttons = nil
	summary.Text = b.t("coordination.summary", map[string]any{"Ref": inc.Ref()})
	return summary
}

// linkCoordination announces the channel on the triage post and in the
// leadership channel.
func (b *Bot) linkCoordination(ctx context.Context, inc *incident.Incident, ch Channel) {
	if inc.Posted() {
		if err := b.platform.UpdatePost(ctx, b.cfg.TriageChannelID, inc.TriagePostID, b.ticketMessage(inc)); err != nil {
			b.log.WarnContext(ctx, "link coordination channel on ticket", "error", err, logIncident, inc.Number)
		}
	}
	if b.cfg.LeadershipChannelID == "" {
		return
	}
	note := Message{Text: b.t("coordination.leadership", map[string]any{
		"Ref": inc.Ref(), "Title": neutralize(inc.Title), "Link": ch.Link, "Location": neutralize(oneLine(inc.Location)),
	})}
	if _, err := b.platform.Post(ctx, b.cfg.LeadershipChannelID, note); err != nil {
		b.log.WarnContext(ctx, "notify leadership channel", "error", err, logIncident, inc.Number)
	}
}

func (b *Bot) postCoordinationUpdate(ctx context.Context, inc *incident.Incident, ev incident.Event) {
	if ev.Kind == incident.EventCoordinationChannel {
		return
	}
	text := b.t("coordination.update", map[string]any{
		"Ref": inc.Ref(), "Actor": ev.ActorName,
		"What": b.t("event."+string(ev.Kind), map[string]any{"Old": ev.OldValue, "New": ev.NewValue}),
	})
	if ev.Note != "" {
		text += "\n> " + neutralize(oneLine(ev.Note))
	}
	if _, err := b.platform.Post(ctx, inc.CoordinationChannelID, Message{Text: text}); err != nil {
		b.log.WarnContext(ctx, "post coordination update", "error", err, logIncident, inc.Number, logChannel, inc.CoordinationChannelID)
	}
}

var (
	slugInvalid = regexp.MustCompile(`[^a-z0-9]+`)
	umlauts     = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "ae", "Ö", "oe", "Ü", "ue", "ẞ", "ss")
)

// maxChannelName is the length of a coordination channel's name: the limit
// of Mattermost (64; Slack allows 80) less room for a suffix such as "-2"
// that an adapter adds when the name is taken.
const maxChannelName = 60

// CoordinationChannelName returns "stoerung-<number>-<slug>": lowercase
// ASCII, umlauts transliterated (ä→ae, ß→ss), other characters turned into
// single hyphens, at most 60 characters, cut at a word where possible. It
// is valid on Mattermost and Slack.
func CoordinationChannelName(number int64, title string) string {
	prefix := "stoerung-" + leftPad(itoa(number), 4)
	slug := slugInvalid.ReplaceAllString(strings.ToLower(umlauts.Replace(title)), "-")
	slug = strings.Trim(slug, "-")
	if room := maxChannelName - len(prefix) - 1; len(slug) > room {
		cut := slug[:room]
		// Cut at the last word boundary unless that loses most of the slug.
		if i := strings.LastIndex(cut, "-"); i > room/2 {
			cut = cut[:i]
		}
		slug = strings.Trim(cut, "-")
	}
	if slug == "" {
		return prefix
	}
	return prefix + "-" + slug
}

func leftPad(s string, width int) string {
	if len(s) >= width {
		return s
	}
	return strings.Repeat("0", width-len(s)) + s
}
