package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

// priorityColors are the card colours of P1 to P4, and of finished tickets.
var priorityColors = map[incident.Priority]string{
	incident.P1: "#d0021b", incident.P2: "#f5a623", incident.P3: "#f8e71c", incident.P4: "#7ed321",
}

const finishedColor = "#9b9b9b"

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (b *Bot) statusText(s incident.Status) string {
	return b.t("status."+statusKey(s), nil)
}

// statusKey is the ASCII catalog key of a status.
func statusKey(s incident.Status) string {
	switch s {
	case incident.StatusClaimed:
		return "claimed"
	case incident.StatusEscalated:
		return "escalated"
	case incident.StatusResolved:
		return "resolved"
	case incident.StatusClosed:
		return "closed"
	case incident.StatusDuplicate:
		return "duplicate"
	case incident.StatusWithdrawn:
		return "withdrawn"
	}
	return "reported"
}

func (b *Bot) formatTime(t time.Time) string {
	return t.In(b.cfg.Location).Format("02.01.2006 15:04")
}

// ticketMessage is the triage post of inc: a card with the priority colour,
// the fields and the buttons its status allows.
func (b *Bot) ticketMessage(inc *incident.Incident) Message {
	color := priorityColors[inc.Priority]
	if !inc.Status.Open() {
		color = finishedColor
	}
	urgency := b.t("urgency."+itoa(int64(inc.Urgency)), nil)
	if inc.Exam {
		urgency += " · " + b.t("ticket.exam", nil)
	}

	fields := []Field{
		{Label: b.t("ticket.status", nil), Value: b.statusText(inc.Status), Short: true},
		{Label: b.t("ticket.location", nil), Value: neutralize(oneLine(inc.Location)), Short: true},
		{Label: b.t("ticket.category", nil), Value: b.t("category."+string(inc.Category), nil), Short: true},
		{Label: b.t("ticket.reporter", nil), Value: inc.ReporterName, Short: true},
		{Label: b.t("ticket.impact", nil), Value: b.t("impact."+itoa(int64(inc.Impact)), nil), Short: true},
		{Label: b.t("ticket.urgency", nil), Value: urgency, Short: true},
	}
	if inc.ClaimerName != "" {
		fields = append(fields, Field{Label: b.t("ticket.claimer", nil), Value: inc.ClaimerName, Short: true})
	}
	if inc.EscalatedTo != "" {
		fields = append(fields, Field{Label: b.t("ticket.escalated_to", nil), Value: neutralize(oneLine(inc.EscalatedTo)), Short: true})
	}
	fields = append(fields, Field{Label: b.t("ticket.description", nil), Value: neutralize(inc.Description)})
	if inc.ResolutionNote != "" {
		fields = append(fields, Field{Label: b.t("ticket.resolution", nil), Value: neutralize(inc.ResolutionNote)})
	}
	if inc.VerifiedAt != nil {
		fields = append(fields, Field{Label: b.t("ticket.verified", nil), Value: b.t("ticket.verified_by", map[string]any{
			"Time": b.formatTime(*inc.VerifiedAt),
		}), Short: true})
	}
	if inc.CloseNote != "" {
		fields = append(fields, Field{Label: b.t("ticket.close_note", nil), Value: neutralize(inc.CloseNote)})
	}

	m := Message{
		Title:   b.t("ticket.title", map[string]any{"Ref": inc.Ref(), "Priority": inc.Priority.String(), "Title": neutralize(inc.Title)}),
		Color:   color,
		Fields:  fields,
		Buttons: b.ticketButtons(inc),
		Footer:  b.t("ticket.footer", map[string]any{"Time": b.formatTime(inc.ReportedAt)}),
	}
	if inc.Status == incident.StatusReported {
		m.Footer += " · " + b.t("ticket.claim_hint", nil)
	}
	if inc.CoordinationLink != "" {
		m.Text = b.t("coordination.link", map[string]any{"Link": inc.CoordinationLink})
	}
	return m
}

func (b *Bot) ticketButtons(inc *incident.Incident) []Button {
	var vs []verb
	switch inc.Status {
	case incident.StatusReported:
		vs = []verb{verbClaim}
	case incident.StatusClaimed:
		vs = []verb{verbResolve, verbEscalate, verbUnclaim}
	case incident.StatusEscalated:
		vs = []verb{verbResolve}
	case incident.StatusResolved:
		vs = []verb{verbClose}
	}
	buttons := make([]Button, len(vs))
	for i, v := range vs {
		buttons[i] = b.button(v, inc)
	}
	return buttons
}

func (b *Bot) button(v verb, inc *incident.Incident) Button {
	style := ""
	switch v {
	case verbClaim, verbResolve, verbVerify, verbClose:
		style = "primary"
	case verbReopen:
		style = "danger"
	}
	command := b.cfg.CommandName + " " + verbWord[v] + " " + inc.Ref()
	if needsNote[v] {
		command += " " + b.t("button.note_placeholder", nil)
	}
	return Button{
		Label:   b.t("button."+string(v), nil),
		Action:  string(v),
		Style:   style,
		Token:   b.SignAction(string(v), inc.Number),
		Command: command,
	}
}

func (b *Bot) help(u User) string {
	a := b.actor(u)
	data := map[string]any{"Command": b.cfg.CommandName}
	parts := []string{b.t("help.everyone", data)}
	if a.IT {
		parts = append(parts, b.t("help.it", data))
	}
	if a.IT || a.Leadership {
		parts = append(parts, b.t("help.priority", data))
	}
	return strings.Join(parts, "\n\n")
}

// listLine is one line of a ticket list.
func (b *Bot) listLine(inc *incident.Incident) string {
	line := b.t("list.line", map[string]any{
		"Ref": inc.Ref(), "Priority": inc.Priority.String(), "Title": neutralize(inc.Title),
		"Status": b.statusText(inc.Status), "Time": b.formatTime(inc.ReportedAt),
	})
	if inc.ClaimerName != "" {
		line += " · " + b.t("list.claimer", map[string]any{"Claimer": inc.ClaimerName})
	}
	return line
}

func (b *Bot) listOwn(ctx context.Context, u User) Reply {
	incs, err := b.store.List(ctx, incident.Filter{School: b.cfg.School, ReporterID: u.ID, Limit: 20})
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, nil)}
	}
	if len(incs) == 0 {
		return Reply{Text: b.t("list.own_empty", map[string]any{"Command": b.cfg.CommandName})}
	}
	lines := []string{b.t("list.own_header", map[string]any{"Count": len(incs)})}
	for _, inc := range incs {
		lines = append(lines, b.listLine(inc))
	}
	return Reply{Text: strings.Join(lines, "\n")}
}

func (b *Bot) listOpen(ctx context.Context, u User) Reply {
	a := b.actor(u)
	if !a.IT && !a.Leadership {
		return Reply{Text: b.t("error.open_not_allowed", map[string]any{"Command": b.cfg.CommandName})}
	}
	incs, err := b.store.List(ctx, incident.Filter{School: b.cfg.School, OpenOnly: true, Limit: 50})
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, nil)}
	}
	if len(incs) == 0 {
		return Reply{Text: b.t("list.open_empty", nil)}
	}
	lines := []string{b.t("list.open_header", map[string]any{"Count": len(incs)})}
	for _, inc := range incs {
		lines = append(lines, b.listLine(inc))
	}
	return Reply{Text: strings.Join(lines, "\n")}
}

// show returns one incident with its timeline. The reporter, IT and the
// leadership may see it.
func (b *Bot) show(ctx context.Context, u User, number int64) Reply {
	inc, err := b.store.Get(ctx, b.cfg.School, number)
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, map[string]any{"Ref": "#" + itoa(number)})}
	}
	a := b.actor(u)
	if !a.IT && !a.Leadership && inc.ReporterID != u.ID {
		return Reply{Text: b.t("error.show_not_allowed", map[string]any{"Ref": inc.Ref()})}
	}
	events, err := b.store.Timeline(ctx, inc.School, inc.Number)
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, nil)}
	}

	lines := []string{b.listLine(inc), b.t("show.timeline", nil)}
	for _, ev := range events {
		line := b.t("show.event", map[string]any{
			"Time": b.formatTime(ev.At), "Actor": ev.ActorName, "What": b.t("event."+string(ev.Kind), map[string]any{"Old": ev.OldValue, "New": ev.NewValue}),
		})
		if ev.Note != "" {
			line += ": " + neutralize(oneLine(ev.Note))
		}
		lines = append(lines, line)
	}
	return Reply{Text: strings.Join(lines, "\n")}
}
