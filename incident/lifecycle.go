package incident

import (
	"strconv"
	"strings"
	"time"
)

// A Change applies one lifecycle action to an incident. It returns the
// timeline events to append, or an *Error and leaves inc untouched. No events
// and no error mean the action was already in effect (such as a second claim
// by the same person), so nothing is written.
type Change func(inc *Incident, now time.Time) ([]Event, error)

// Claim makes a an incident's claimer. Only IT may claim; a ticket claimed by
// someone else must be released first.
func Claim(a Actor) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if !a.IT {
			return nil, Errorf(EFORBIDDEN, "claim_not_it", "%s is not IT and cannot claim %s", a.Name, inc.Ref())
		}
		switch {
		case (inc.Status == StatusClaimed || inc.Status == StatusEscalated) && inc.ClaimerID == a.ID:
			return nil, nil
		case inc.Status == StatusClaimed || inc.Status == StatusEscalated:
			return nil, Errorf(ECONFLICT, "claim_taken", "%s is already claimed by %s", inc.Ref(), inc.ClaimerName)
		case inc.Status != StatusReported:
			return nil, statusConflict("claim", inc)
		}

		old := inc.Status
		inc.Status = StatusClaimed
		inc.ClaimerID, inc.ClaimerName = a.ID, a.Name
		if inc.ClaimedAt == nil {
			inc.ClaimedAt = &now
		}
		if inc.FirstClaimer == "" {
			inc.FirstClaimer = a.ID
		} else if inc.FirstClaimer != a.ID {
			inc.Reassigned = true
		}
		return []Event{newEvent(a, now, EventClaimed, string(old), string(inc.Status), "")}, nil
	}
}

// ReactionNote marks in the timeline a claim made by reacting with 👀, so
// that removing the reaction later may release it.
const ReactionNote = "👀"

// ClaimByReaction is Claim made by reacting to the ticket's post.
func ClaimByReaction(a Actor) Change {
	claim := Claim(a)
	return func(inc *Incident, now time.Time) ([]Event, error) {
		events, err := claim(inc, now)
		for i := range events {
			events[i].Note = ReactionNote
		}
		return events, err
	}
}

// Unclaim releases a claim. The claimer and the leadership may release it.
func Unclaim(a Actor) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Status == StatusReported {
			return nil, nil
		}
		if inc.Status != StatusClaimed {
			return nil, statusConflict("unclaim", inc)
		}
		if inc.ClaimerID != a.ID && !a.Leadership {
			return nil, Errorf(EFORBIDDEN, "unclaim_not_claimer", "%s did not claim %s", a.Name, inc.Ref())
		}

		old := inc.ClaimerName
		inc.Status = StatusReported
		inc.ClaimerID, inc.ClaimerName = "", ""
		return []Event{newEvent(a, now, EventUnclaimed, old, "", "")}, nil
	}
}

// Escalate hands a claimed incident to second level; to names the
// Schulträger's IT or the provider.
func Escalate(a Actor, to string) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if !a.IT {
			return nil, Errorf(EFORBIDDEN, "escalate_not_it", "%s is not IT and cannot escalate %s", a.Name, inc.Ref())
		}
		if err := CheckText("note", to, MaxNote, true); err != nil {
			return nil, err
		}
		if inc.Status != StatusClaimed {
			return nil, statusConflict("escalate", inc)
		}

		inc.Status = StatusEscalated
		inc.EscalatedTo = strings.TrimSpace(to)
		inc.WasEscalated = true
		if inc.EscalatedAt == nil {
			inc.EscalatedAt = &now
		}
		return []Event{newEvent(a, now, EventEscalated, string(StatusClaimed), string(StatusEscalated), inc.EscalatedTo)}, nil
	}
}

// Resolve marks the service as restored; the reporter is then asked to
// confirm. Only IT may resolve, and a note saying what was done is required.
func Resolve(a Actor, note string) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if !a.IT {
			return nil, Errorf(EFORBIDDEN, "resolve_not_it", "%s is not IT and cannot resolve %s", a.Name, inc.Ref())
		}
		if err := CheckText("note", note, MaxNote, true); err != nil {
			return nil, err
		}
		if inc.Status != StatusClaimed && inc.Status != StatusEscalated {
			return nil, statusConflict("resolve", inc)
		}

		old := inc.Status
		inc.Status = StatusResolved
		inc.ResolvedAt = &now
		inc.VerifiedAt = nil
		inc.ResolutionNote = strings.TrimSpace(note)
		inc.ResolverID = a.ID
		if inc.ClaimerID != a.ID {
			inc.Reassigned = true
		}
		return []Event{newEvent(a, now, EventResolved, string(old), string(inc.Status), inc.ResolutionNote)}, nil
	}
}

// Verify records the functional test: the reporter (or IT) confirms that it
// works again.
func Verify(a Actor) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if a.ID != inc.ReporterID && !a.IT {
			return nil, Errorf(EFORBIDDEN, "verify_not_reporter", "%s did not report %s", a.Name, inc.Ref())
		}
		if inc.Status != StatusResolved {
			return nil, statusConflict("verify", inc)
		}
		if inc.VerifiedAt != nil {
			return nil, nil
		}

		inc.VerifiedAt = &now
		return []Event{newEvent(a, now, EventVerified, "", "ok", "")}, nil
	}
}

// Reopen returns a resolved incident to its claimer because it still fails.
func Reopen(a Actor, note string) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if a.ID != inc.ReporterID && !a.IT {
			return nil, Errorf(EFORBIDDEN, "reopen_not_reporter", "%s did not report %s", a.Name, inc.Ref())
		}
		if err := CheckText("note", note, MaxNote, false); err != nil {
			return nil, err
		}
		if inc.Status != StatusResolved {
			return nil, statusConflict("reopen", inc)
		}

		inc.Status = StatusClaimed
		// The failed fix stays in the timeline; the ticket shows no solution.
		inc.ResolvedAt, inc.VerifiedAt, inc.ResolutionNote = nil, nil, ""
		inc.ReopenCount++
		return []Event{newEvent(a, now, EventReopened, string(StatusResolved), string(StatusClaimed), strings.TrimSpace(note))}, nil
	}
}

// Close documents the end of a resolved incident. Only IT may close, with a
// note on cause and steps.
func Close(a Actor, note string) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if !a.IT {
			return nil, Errorf(EFORBIDDEN, "close_not_it", "%s is not IT and cannot close %s", a.Name, inc.Ref())
		}
		if err := CheckText("note", note, MaxNote, true); err != nil {
			return nil, err
		}
		if inc.Status != StatusResolved {
			return nil, statusConflict("close", inc)
		}

		inc.Status = StatusClosed
		inc.ClosedAt = &now
		inc.CloseNote = strings.TrimSpace(note)
		// Whether the reporter confirmed the fix shows in the timeline as its
		// own event and in VerifiedAt.
		return []Event{newEvent(a, now, EventClosed, string(StatusResolved), string(StatusClosed), inc.CloseNote)}, nil
	}
}

// Withdraw ends an incident its reporter no longer needs. Only the reporter
// may withdraw, and only before it is resolved.
func Withdraw(a Actor) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if a.ID != inc.ReporterID {
			return nil, Errorf(EFORBIDDEN, "withdraw_not_reporter", "%s did not report %s", a.Name, inc.Ref())
		}
		if inc.Status != StatusReported && inc.Status != StatusClaimed && inc.Status != StatusEscalated {
			return nil, statusConflict("withdraw", inc)
		}

		old := inc.Status
		inc.Status = StatusWithdrawn
		inc.ClosedAt = &now
		return []Event{newEvent(a, now, EventWithdrawn, string(old), string(inc.Status), "")}, nil
	}
}

// MarkDuplicate folds an incident into incident number target.
func MarkDuplicate(a Actor, target int64) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if !a.IT {
			return nil, Errorf(EFORBIDDEN, "duplicate_not_it", "%s is not IT", a.Name)
		}
		if target <= 0 || target == inc.Number {
			return nil, Errorf(EINVALID, "duplicate_target_invalid", "invalid duplicate target %d for %s", target, inc.Ref())
		}
		if !inc.Status.Open() {
			return nil, statusConflict("duplicate", inc)
		}

		old := inc.Status
		inc.Status = StatusDuplicate
		inc.DuplicateOf = target
		inc.ClosedAt = &now
		return []Event{newEvent(a, now, EventDuplicate, string(old), "#"+strconv.FormatInt(target, 10), "")}, nil
	}
}

// OverridePriority sets the priority by hand. IT and the leadership may do it,
// with a reason that goes into the timeline.
func OverridePriority(a Actor, p Priority, reason string) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if !a.IT && !a.Leadership {
			return nil, Errorf(EFORBIDDEN, "priority_not_allowed", "%s may not change the priority", a.Name)
		}
		if !p.Valid() {
			return nil, Errorf(EINVALID, "invalid_priority", "invalid priority %d", p)
		}
		if err := CheckText("note", reason, MaxNote, true); err != nil {
			return nil, err
		}
		if !inc.Status.Open() {
			return nil, statusConflict("priority", inc)
		}
		if inc.Priority == p {
			return nil, nil
		}

		old := inc.Priority
		inc.Priority = p
		return []Event{newEvent(a, now, EventPriorityChanged, old.String(), p.String(), strings.TrimSpace(reason))}, nil
	}
}

// SetCoordinationChannel records the P1 coordination channel.
func SetCoordinationChannel(a Actor, channelID, name, link string) Change {
	return func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.CoordinationChannelID == channelID {
			return nil, nil
		}
		inc.CoordinationChannelID, inc.CoordinationLink = channelID, link
		return []Event{newEvent(a, now, EventCoordinationChannel, "", name, "")}, nil
	}
}

// statusConflict is the error for an action the current status does not
// allow; its reason is action + "_wrong_status".
func statusConflict(action string, inc *Incident) error {
	return Errorf(ECONFLICT, action+"_wrong_status", "cannot %s %s in status %s", action, inc.Ref(), inc.Status)
}

// NewIncident builds a reported incident from a validated report. The store
// assigns the number.
func NewIncident(m Matrix, r Report, reporter Actor, now time.Time) (*Incident, Event, error) {
	if err := r.Validate(); err != nil {
		return nil, Event{}, err
	}
	p, err := m.Priority(r.Impact, r.Urgency, r.Exam)
	if err != nil {
		return nil, Event{}, err
	}

	// A running exam raises the urgency itself, not only the priority, so
	// reports and the export show the urgency that was acted on.
	urgency := r.Urgency
	if r.Exam {
		urgency = UrgencyImpossible
	}
	inc := &Incident{
		Title:        TitleOf(r.Description),
		Description:  strings.TrimSpace(r.Description),
		Location:     strings.TrimSpace(r.Location),
		Category:     r.Category,
		Impact:       r.Impact,
		Urgency:      urgency,
		Exam:         r.Exam,
		Priority:     p,
		Status:       StatusReported,
		ReporterID:   reporter.ID,
		ReporterName: reporter.Name,
		ReportedAt:   now,
	}
	return inc, newEvent(reporter, now, EventReported, "", string(StatusReported), p.String()), nil
}
