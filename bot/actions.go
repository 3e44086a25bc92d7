package bot

import (
	"context"
	"slices"
	"strings"

	"github.com/leitstelle/leitstelle/incident"
)

// needsNote lists the actions whose note is required; without one the bot
// opens a note form.
var needsNote = map[verb]bool{verbEscalate: true, verbResolve: true, verbClose: true}

// change returns the lifecycle change of verb v.
func (b *Bot) change(v verb, a incident.Actor, note string) incident.Change {
	switch v {
	case verbClaim:
		return incident.Claim(a)
	case verbUnclaim:
		return incident.Unclaim(a)
	case verbEscalate:
		return incident.Escalate(a, note)
	case verbResolve:
		return incident.Resolve(a, note)
	case verbVerify:
		return incident.Verify(a)
	case verbReopen:
		return incident.Reopen(a, note)
	case verbClose:
		return incident.Close(a, note)
	case verbWithdraw:
		return incident.Withdraw(a)
	}
	return nil
}

// act runs verb v on incident number. A required note that is missing opens
// a note form, but only after a dry run shows that the user may act at all,
// so a refusal comes at once and not after typing.
func (b *Bot) act(ctx context.Context, u User, trigger Trigger, v verb, number int64, note string) Reply {
	a := b.actor(u)
	ch := b.change(v, a, note)
	if ch == nil {
		return Reply{Text: b.t("error.unknown_action", nil)}
	}
	if !needsNote[v] || strings.TrimSpace(note) != "" {
		return b.apply(ctx, u, number, ch)
	}

	inc, err := b.store.Get(ctx, b.cfg.School, number)
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, map[string]any{"Ref": "#" + itoa(number)})}
	}
	probe := *inc
	if _, err := b.change(v, a, "-")(&probe, b.now()); err != nil {
		return Reply{Text: b.errorText(ctx, err, b.errorData(inc))}
	}
	return b.openNoteForm(ctx, trigger, v, inc)
}

// apply runs change on incident number and, when something changed, updates
// the ticket and notifies the people involved. The reply tells the user
// what happened or why nothing did.
func (b *Bot) apply(ctx context.Context, u User, number int64, change incident.Change) Reply {
	inc, events, err := b.applyChange(ctx, u, number, change)
	if err != nil {
		return Reply{Text: b.changeErrorText(ctx, number, err)}
	}
	if len(events) == 0 {
		return Reply{Text: b.t("action.no_change", map[string]any{"Ref": inc.Ref(), "Status": b.statusText(inc.Status)})}
	}
	return Reply{Text: b.t("action.done."+string(events[0].Kind), map[string]any{
		"Ref": inc.Ref(), "Title": neutralize(inc.Title), "Priority": inc.Priority.String(),
		"Command": b.cfg.CommandName, "Reporter": inc.ReporterName,
	})}
}

// applyChange stores change and, when it produced events, updates the
// ticket and sends notifications.
func (b *Bot) applyChange(ctx context.Context, u User, number int64, change incident.Change) (*incident.Incident, []incident.Event, error) {
	inc, events, err := b.store.Update(ctx, b.cfg.School, number, change)
	if err != nil || len(events) == 0 {
		return inc, events, err
	}
	b.log.InfoContext(ctx, "incident changed", logIncident, inc.Number, "event", string(events[0].Kind), logUser, u.ID)
	b.afterChange(ctx, inc, events, b.actor(u))
	return inc, events, nil
}

// changeErrorText explains a failed change of incident number.
func (b *Bot) changeErrorText(ctx context.Context, number int64, err error) string {
	data := map[string]any{"Ref": "#" + itoa(number), "Command": b.cfg.CommandName}
	if incident.ErrorCode(err) != incident.ENOTFOUND {
		if current, getErr := b.store.Get(ctx, b.cfg.School, number); getErr == nil {
			data = b.errorData(current)
		}
	}
	return b.errorText(ctx, err, data)
}

// errorData is the template data of error messages about inc.
func (b *Bot) errorData(inc *incident.Incident) map[string]any {
	return map[string]any{
		"Ref": inc.Ref(), "Claimer": inc.ClaimerName, "Status": b.statusText(inc.Status),
		"Command": b.cfg.CommandName,
	}
}

func (b *Bot) openNoteForm(ctx context.Context, trigger Trigger, v verb, inc *incident.Incident) Reply {
	state, err := b.sig.sign(formState{
		Form: FormNote, UserID: trigger.UserID, ChannelID: trigger.ChannelID,
		Nonce: b.nonce(), Issued: b.now().Unix(), Action: string(v), Number: inc.Number,
	})
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, nil)}
	}
	form := Form{
		ID:          FormNote,
		Title:       b.t("form.note.title."+string(v), map[string]any{"Ref": inc.Ref()}),
		SubmitLabel: b.t("form.note.submit."+string(v), nil),
		CancelLabel: b.t("form.cancel", nil),
		State:       state,
		Fields: []FormField{{
			Name: fieldNote, Label: b.t("form.note."+string(v), nil), Type: FieldTextarea,
			MaxLength: incident.MaxNote, Help: b.t("form.note.help."+string(v), nil),
		}},
	}
	if err := b.platform.OpenForm(ctx, trigger, form); err != nil {
		b.log.ErrorContext(ctx, "open note form", "error", err, logIncident, inc.Number, logUser, trigger.UserID)
		return Reply{Text: b.t("error.note_form_failed", map[string]any{
			"Command": b.cfg.CommandName, "Verb": verbWord[v], "Ref": inc.Ref(),
		})}
	}
	return Reply{}
}

func (b *Bot) submitNote(ctx context.Context, s Submission, st formState) SubmissionResult {
	note := s.Values[fieldNote]
	if err := incident.CheckText(fieldNote, note, incident.MaxNote, true); err != nil {
		return SubmissionResult{FieldErrors: map[string]string{
			fieldNote: b.t("error."+incident.ErrorReason(err), map[string]any{"Max": incident.MaxNote}),
		}}
	}
	v := verb(st.Action)
	if !needsNote[v] {
		return SubmissionResult{Error: b.t("error.form_invalid", nil)}
	}

	reply := b.apply(ctx, s.User, st.Number, b.change(v, b.actor(s.User), note))
	if reply.Text != "" {
		if err := b.platform.Ephemeral(ctx, st.ChannelID, s.User.ID, Message{Text: reply.Text}); err != nil {
			b.log.WarnContext(ctx, "send note result", "error", err, logIncident, st.Number, logUser, s.User.ID)
		}
	}
	return SubmissionResult{}
}

// HandleAction runs a pressed button. A token that does not verify or
// belongs to another school is rejected and changes nothing.
func (b *Bot) HandleAction(ctx context.Context, a Action) Reply {
	var tok actionToken
	if err := b.sig.verify(a.Token, &tok); err != nil || tok.School != b.cfg.School {
		b.log.WarnContext(ctx, "rejected button with invalid token", logUser, a.User.ID, logPost, a.PostID)
		return Reply{Text: b.t("error.action_invalid", nil), Rejected: true}
	}
	v := verb(tok.Action)
	if b.change(v, incident.Actor{}, "") == nil {
		return Reply{Text: b.t("error.unknown_action", nil)}
	}
	trigger := Trigger{ID: a.TriggerID, UserID: a.User.ID, ChannelID: a.ChannelID}
	return b.act(ctx, a.User, trigger, v, tok.Number, "")
}

// HandleReaction claims a ticket when IT reacts with ClaimEmoji on its
// triage post, and releases it when the claimer removes the reaction. Other
// emoji, other posts and reactions of people without the IT role change
// nothing; the latter get a short explanation.
func (b *Bot) HandleReaction(ctx context.Context, r Reaction) error {
	if r.Emoji != ClaimEmoji || (r.ChannelID != "" && r.ChannelID != b.cfg.TriageChannelID) {
		return nil
	}
	inc, err := b.store.GetByTriagePost(ctx, r.PostID)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}

	if !r.Added {
		if inc.ClaimerID != r.User.ID || inc.Status != incident.StatusClaimed {
			return nil
		}
		// Only a claim made by 👀 ends with its 👀; one made by button or
		// command is released with "freigeben".
		byReaction, err := b.claimedByReaction(ctx, inc)
		if err != nil || !byReaction {
			return err
		}
		_, _, err = b.applyChange(ctx, r.User, inc.Number, incident.Unclaim(b.actor(r.User)))
		return err
	}

	_, _, err = b.applyChange(ctx, r.User, inc.Number, incident.ClaimByReaction(b.actor(r.User)))
	if err == nil {
		return nil
	}
	if incident.ErrorCode(err) == incident.EINTERNAL {
		return err
	}
	text := b.changeErrorText(ctx, inc.Number, err)
	if err := b.platform.Ephemeral(ctx, b.cfg.TriageChannelID, r.User.ID, Message{Text: text}); err != nil {
		b.log.WarnContext(ctx, "explain rejected reaction", "error", err, logIncident, inc.Number, logUser, r.User.ID)
	}
	return nil
}

// TicketPost is an open ticket's post in the triage channel.
type TicketPost struct {
	Number    int64
	ChannelID string
	PostID    string
	ClaimerID string
}

// OpenTicketPosts lists the triage posts of all open tickets. Adapters use
// it after a reconnect to read the reactions they may have missed.
func (b *Bot) OpenTicketPosts(ctx context.Context) ([]TicketPost, error) {
	open, err := b.store.List(ctx, incident.Filter{School: b.cfg.School, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	posts := make([]TicketPost, 0, len(open))
	for _, inc := range open {
		if !inc.Posted() {
			continue
		}
		posts = append(posts, TicketPost{Number: inc.Number, ChannelID: b.cfg.TriageChannelID, PostID: inc.TriagePostID, ClaimerID: inc.ClaimerID})
	}
	return posts, nil
}

// ReconcileClaims applies what missed reaction events would have done.
// reactors are the users who reacted with ClaimEmoji on postID, in the
// order they reacted. When the ticket is unclaimed, the first of them with
// the IT role claims it, unless it was released before: a release is
// deliberate, and a 👀 left on the post must not undo it. When it is
// claimed by reaction and the claimer's reaction is gone, the claim is
// released; a claim made by button or command stays.
func (b *Bot) ReconcileClaims(ctx context.Context, postID string, reactors []User) error {
	inc, err := b.store.GetByTriagePost(ctx, postID)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if inc.Status == incident.StatusClaimed {
		return b.releaseLostReaction(ctx, inc, reactors)
	}
	if inc.Status != incident.StatusReported || len(reactors) == 0 {
		return nil
	}
	released, err := b.wasReleased(ctx, inc)
	if err != nil || released {
		return err
	}
	for _, u := range reactors {
		if !b.actor(u).IT {
			continue
		}
		return b.applyReconciled(ctx, u, inc.Number, incident.ClaimByReaction(b.actor(u)), "claim reconciled from reaction")
	}
	return nil
}

// applyReconciled applies a change that reconciling missed reactions calls
// for, and logs the outcome. A rejected change (such as a claim someone
// else made first) is logged and dropped; only a storage failure returns.
func (b *Bot) applyReconciled(ctx context.Context, u User, number int64, change incident.Change, done string) error {
	_, _, err := b.applyChange(ctx, u, number, change)
	if err != nil {
		b.log.WarnContext(ctx, "reconcile missed reaction failed", "error", err, logIncident, number, logUser, u.ID)
		if incident.ErrorCode(err) == incident.EINTERNAL {
			return err
		}
		return nil
	}
	b.log.InfoContext(ctx, done, logIncident, number, logUser, u.ID)
	return nil
}

// TicketPostOf returns the triage post of ticket number, open or not. It
// fails with ENOTFOUND when the ticket does not exist or was never posted.
func (b *Bot) TicketPostOf(ctx context.Context, number int64) (TicketPost, error) {
	inc, err := b.store.Get(ctx, b.cfg.School, number)
	if err != nil {
		return TicketPost{}, err
	}
	if !inc.Posted() {
		return TicketPost{}, incident.Errorf(incident.ENOTFOUND, "not_posted", "%s has no triage post yet", inc.Ref())
	}
	return TicketPost{Number: inc.Number, ChannelID: b.cfg.TriageChannelID, PostID: inc.TriagePostID, ClaimerID: inc.ClaimerID}, nil
}

// releaseLostReaction releases inc when its claim came from a 👀 that the
// claimer has since taken back.
func (b *Bot) releaseLostReaction(ctx context.Context, inc *incident.Incident, reactors []User) error {
	for _, u := range reactors {
		if u.ID == inc.ClaimerID {
			return nil
		}
	}
	byReaction, err := b.claimedByReaction(ctx, inc)
	if err != nil || !byReaction {
		return err
	}
	claimer := User{ID: inc.ClaimerID, Name: inc.ClaimerName}
	return b.applyReconciled(ctx, claimer, inc.Number, incident.Unclaim(b.actor(claimer)), "claim released, its reaction is gone")
}

// claimedByReaction reports whether the last claim of inc was made by 👀.
func (b *Bot) claimedByReaction(ctx context.Context, inc *incident.Incident) (bool, error) {
	last, err := b.lastEvent(ctx, inc, incident.EventClaimed)
	return last != nil && last.Note == incident.ReactionNote, err
}

// wasReleased reports whether the last claim of inc was released.
func (b *Bot) wasReleased(ctx context.Context, inc *incident.Incident) (bool, error) {
	last, err := b.lastEvent(ctx, inc, incident.EventClaimed, incident.EventUnclaimed)
	return last != nil && last.Kind == incident.EventUnclaimed, err
}

// lastEvent returns the latest event of inc of one of kinds, or nil.
func (b *Bot) lastEvent(ctx context.Context, inc *incident.Incident, kinds ...incident.EventKind) (*incident.Event, error) {
	events, err := b.store.Timeline(ctx, inc.School, inc.Number)
	if err != nil {
		return nil, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if slices.Contains(kinds, events[i].Kind) {
			return &events[i], nil
		}
	}
	return nil, nil
}
