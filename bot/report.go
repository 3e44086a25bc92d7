package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

// Form ids.
const (
	FormReport = "report"
	FormNote   = "note"
)

// Field names of the report form.
const (
	fieldDescription = "description"
	fieldLocation    = "location"
	fieldCategory    = "category"
	fieldImpact      = "impact"
	fieldUrgency     = "urgency"
	fieldExam        = "exam"
	fieldNote        = "note"
)

// startReport opens the report form, prefilled with text.
func (b *Bot) startReport(ctx context.Context, c Command, text string) Reply {
	text = strings.TrimSpace(text)
	if err := incident.CheckText("description", text, incident.MaxDescription, false); err != nil {
		return Reply{Text: b.errorText(ctx, err, map[string]any{"Max": incident.MaxDescription})}
	}

	state, err := b.sig.sign(formState{
		Form: FormReport, UserID: c.User.ID, ChannelID: c.ChannelID,
		Nonce: b.nonce(), Issued: b.now().Unix(),
	})
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, nil)}
	}

	trigger := Trigger{ID: c.TriggerID, UserID: c.User.ID, ChannelID: c.ChannelID}
	if err := b.platform.OpenForm(ctx, trigger, b.reportForm(text, state)); err != nil {
		b.log.ErrorContext(ctx, "open report form", "error", err, logUser, c.User.ID)
		return Reply{Text: b.t("error.form_open_failed", nil)}
	}
	return Reply{}
}

// reportForm is the report dialog: what, where, category, impact, urgency,
// and whether an exam is running.
func (b *Bot) reportForm(description, state string) Form {
	categories := make([]Option, len(incident.Categories))
	for i, c := range incident.Categories {
		categories[i] = Option{Value: string(c), Label: b.t("category."+string(c), nil)}
	}
	levels := func(prefix string) []Option {
		opts := make([]Option, 4)
		for i := range opts {
			v := strconv.Itoa(i + 1)
			opts[i] = Option{Value: v, Label: b.t(prefix+v, nil)}
		}
		return opts
	}

	return Form{
		ID:          FormReport,
		Title:       b.t("form.report.title", nil),
		SubmitLabel: b.t("form.report.submit", nil),
		CancelLabel: b.t("form.cancel", nil),
		State:       state,
		Fields: []FormField{
			{Name: fieldDescription, Label: b.t("form.description", nil), Type: FieldTextarea, Default: description,
				MaxLength: incident.MaxDescription, Help: b.t("form.description.help", nil)},
			{Name: fieldLocation, Label: b.t("form.location", nil), Type: FieldText, MaxLength: incident.MaxLocation,
				Placeholder: b.t("form.location.placeholder", nil)},
			{Name: fieldCategory, Label: b.t("form.category", nil), Type: FieldSelect, Options: categories},
			{Name: fieldImpact, Label: b.t("form.impact", nil), Type: FieldSelect, Options: levels("impact."),
				Help: b.t("form.impact.help", nil)},
			{Name: fieldUrgency, Label: b.t("form.urgency", nil), Type: FieldSelect, Options: levels("urgency."),
				Help: b.t("form.urgency.help", nil)},
			{Name: fieldExam, Label: b.t("form.exam", nil), Type: FieldBool, Optional: true,
				Help: b.t("form.exam.help", nil), CheckLabel: b.t("form.exam.yes", nil)},
		},
	}
}

// HandleSubmission processes a submitted form. A state that does not verify,
// belongs to another user or is older than FormMaxAge is rejected and
// changes nothing.
func (b *Bot) HandleSubmission(ctx context.Context, s Submission) SubmissionResult {
	var st formState
	if err := b.sig.verify(s.State, &st); err != nil || st.UserID != s.User.ID || st.Form != s.FormID {
		b.log.WarnContext(ctx, "rejected form submission with invalid state", logUser, s.User.ID, "form", s.FormID)
		return SubmissionResult{Error: b.t("error.form_invalid", nil), Rejected: true}
	}
	if age := b.now().Sub(st.issued()); age > b.cfg.FormMaxAge || age < -b.cfg.FormMaxAge {
		return SubmissionResult{Error: b.t("error.form_expired", map[string]any{"Command": b.cfg.CommandName})}
	}

	switch st.Form {
	case FormReport:
		return b.submitReport(ctx, s, st)
	case FormNote:
		return b.submitNote(ctx, s, st)
	}
	return SubmissionResult{Error: b.t("error.form_invalid", nil), Rejected: true}
}

// parseReport turns form values into a report, with a German message per
// bad field.
func (b *Bot) parseReport(values map[string]string) (incident.Report, map[string]string) {
	errs := map[string]string{}
	r := incident.Report{
		Description: values[fieldDescription],
		Location:    values[fieldLocation],
		Category:    incident.Category(values[fieldCategory]),
	}

	checks := []struct {
		field string
		max   int
	}{{fieldDescription, incident.MaxDescription}, {fieldLocation, incident.MaxLocation}}
	for _, c := range checks {
		if err := incident.CheckText(c.field, values[c.field], c.max, true); err != nil {
			errs[c.field] = b.t("error."+incident.ErrorReason(err), map[string]any{"Max": c.max})
		}
	}
	if !r.Category.Valid() {
		errs[fieldCategory] = b.t("error.category_invalid", nil)
	}

	impact, err := strconv.Atoi(values[fieldImpact])
	r.Impact = incident.Impact(impact)
	if err != nil || !r.Impact.Valid() {
		errs[fieldImpact] = b.t("error.impact_invalid", nil)
	}
	urgency, err := strconv.Atoi(values[fieldUrgency])
	r.Urgency = incident.Urgency(urgency)
	if err != nil || !r.Urgency.Valid() {
		errs[fieldUrgency] = b.t("error.urgency_invalid", nil)
	}

	exam, ok := parseBool(values[fieldExam])
	if !ok {
		errs[fieldExam] = b.t("error.exam_invalid", nil)
	}
	r.Exam = exam
	return r, errs
}

// parseBool accepts what the platforms send for a checkbox and what a
// person types in the console.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "nein", "n", "no":
		return false, true
	case "true", "1", "ja", "j", "yes", "y", "on":
		return true, true
	}
	return false, false
}

func (b *Bot) submitReport(ctx context.Context, s Submission, st formState) SubmissionResult {
	report, fieldErrs := b.parseReport(s.Values)
	if len(fieldErrs) > 0 {
		return SubmissionResult{FieldErrors: fieldErrs}
	}

	reporter := b.actor(s.User)
	inc, first, err := incident.NewIncident(b.cfg.Matrix, report, reporter, b.now())
	if err != nil {
		return SubmissionResult{Error: b.errorText(ctx, err, nil)}
	}
	inc.School = b.cfg.School
	inc.Platform = b.platform.Name()
	inc.ReportChannel = st.ChannelID
	inc.SubmissionKey = "form:" + st.Nonce

	// Store first: from here on the report is acknowledged and must not be
	// lost, even when posting to chat fails.
	stored, created, err := b.store.Create(ctx, inc, first)
	if err != nil {
		return SubmissionResult{Error: b.errorText(ctx, err, nil)}
	}
	log := b.log.With(logIncident, stored.Number, logUser, s.User.ID)
	if created {
		log.InfoContext(ctx, "incident reported", "priority", stored.Priority.String())
	} else {
		log.InfoContext(ctx, "repeated form submission, incident already stored")
	}

	b.publish(ctx, stored)
	if created {
		b.confirmReport(ctx, stored)
	}
	return SubmissionResult{}
}

// publish posts the ticket to the triage channel unless that happened
// already, and opens the coordination channel of a P1.
func (b *Bot) publish(ctx context.Context, inc *incident.Incident) {
	unlock := b.lockIncident(inc.Number)
	defer unlock()

	current, err := b.store.Get(ctx, inc.School, inc.Number)
	if err != nil {
		b.log.ErrorContext(ctx, "reload incident before posting", "error", err, logIncident, inc.Number)
		return
	}
	if !current.Posted() {
		if current, err = b.postTicket(ctx, current); err != nil || current == nil {
			return
		}
	}
	if current.Priority == incident.P1 && current.CoordinationChannelID == "" && current.Status.Open() {
		b.openCoordination(ctx, current)
	}
}

// reservationTTL is how long a reservation to post a ticket holds before
// another process may take over, as when the first one died meanwhile.
const reservationTTL = 2 * time.Minute

// postTicket posts inc to the triage channel once across all processes
// sharing the database, and returns the incident as stored afterwards, or
// nil when another process is posting it. The caller holds the lock.
func (b *Bot) postTicket(ctx context.Context, inc *incident.Incident) (*incident.Incident, error) {
	log := b.log.With(logIncident, inc.Number)
	token, ok, err := b.store.ReserveTriagePost(ctx, inc.School, inc.Number, b.now().Add(-reservationTTL))
	if err != nil || !ok {
		if err != nil {
			log.ErrorContext(ctx, "reserve posting the ticket, will retry", "error", err)
		}
		return nil, err
	}

	postID, err := b.platform.Post(ctx, b.cfg.TriageChannelID, b.ticketMessage(inc))
	if err != nil {
		log.ErrorContext(ctx, "post ticket to triage channel, will retry", "error", err, logChannel, b.cfg.TriageChannelID)
		if _, releaseErr := b.store.FillTriagePost(ctx, inc.School, inc.Number, token, ""); releaseErr != nil {
			log.WarnContext(ctx, "release the reservation to post, it expires by itself", "error", releaseErr)
		}
		return nil, err
	}
	filled, err := b.store.FillTriagePost(ctx, inc.School, inc.Number, token, postID)
	if err != nil || !filled {
		log.ErrorContext(ctx, "record triage post; the reservation was taken over, so the ticket may show twice", "error", err, logPost, postID)
		return nil, err
	}

	// A change made while the post was on its way is not drawn on it yet.
	current, err := b.store.Get(ctx, inc.School, inc.Number)
	if err != nil {
		log.ErrorContext(ctx, "reload incident after posting", "error", err)
		return nil, err
	}
	if !sameTicket(inc, current) {
		if err := b.platform.UpdatePost(ctx, b.cfg.TriageChannelID, postID, b.ticketMessage(current)); err != nil {
			log.ErrorContext(ctx, "update triage post", "error", err, logPost, postID)
		}
	}
	return current, nil
}

// sameTicket reports whether a and b draw the same triage post.
func sameTicket(a, b *incident.Incident) bool {
	return a.Status == b.Status && a.ClaimerID == b.ClaimerID && a.Priority == b.Priority &&
		a.EscalatedTo == b.EscalatedTo && a.ResolutionNote == b.ResolutionNote && a.CloseNote == b.CloseNote &&
		(a.VerifiedAt == nil) == (b.VerifiedAt == nil) && a.CoordinationLink == b.CoordinationLink
}

func (b *Bot) confirmReport(ctx context.Context, inc *incident.Incident) {
	text := b.t("report.confirmed", map[string]any{
		"Ref": inc.Ref(), "Priority": inc.Priority.String(), "Title": neutralize(inc.Title),
		"PriorityText": b.t("priority."+inc.Priority.String(), nil), "Command": b.cfg.CommandName,
	})
	if err := b.platform.Ephemeral(ctx, inc.ReportChannel, inc.ReporterID, Message{Text: text}); err != nil {
		b.log.WarnContext(ctx, "confirm report to reporter", "error", err, logIncident, inc.Number, logUser, inc.ReporterID)
	}
}

// RepostMissing posts every open ticket that was stored but never reached
// the triage channel, such as after a chat outage. Adapters call it at start
// and after a reconnect.
func (b *Bot) RepostMissing(ctx context.Context) error {
	open, err := b.store.List(ctx, incident.Filter{School: b.cfg.School, OpenOnly: true})
	if err != nil {
		return err
	}
	for _, inc := range open {
		if !inc.Posted() || (inc.Priority == incident.P1 && inc.CoordinationChannelID == "") {
			b.publish(ctx, inc)
		}
	}
	return nil
}

// KeepPosted calls RepostMissing every interval until ctx is done, so a
// ticket whose triage post failed reaches IT once chat is back, without a
// restart. Failures are logged and retried at the next tick.
func (b *Bot) KeepPosted(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if err := b.RepostMissing(ctx); err != nil && ctx.Err() == nil {
				b.log.WarnContext(ctx, "repost missing tickets, will retry", "error", err)
			}
		}
	}
}
