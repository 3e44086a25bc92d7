package incident

import "time"

// EventKind names what happened in a timeline event.
type EventKind string

// Timeline event kinds.
const (
	EventReported            EventKind = "reported"
	EventClaimed             EventKind = "claimed"
	EventUnclaimed           EventKind = "unclaimed"
	EventEscalated           EventKind = "escalated"
	EventResolved            EventKind = "resolved"
	EventVerified            EventKind = "verified"
	EventReopened            EventKind = "reopened"
	EventClosed              EventKind = "closed"
	EventWithdrawn           EventKind = "withdrawn"
	EventDuplicate           EventKind = "duplicate"
	EventPriorityChanged     EventKind = "priority_changed"
	EventCoordinationChannel EventKind = "coordination_channel"
)

// Event is one append-only row of an incident's timeline: when, who, what,
// old and new value. The timeline is the legal record of the incident, so
// the store only ever inserts events.
type Event struct {
	ID         int64
	IncidentID int64
	At         time.Time
	ActorID    string
	ActorName  string
	Kind       EventKind
	OldValue   string
	NewValue   string
	Note       string
}

func newEvent(a Actor, now time.Time, kind EventKind, oldValue, newValue, note string) Event {
	return Event{At: now, ActorID: a.ID, ActorName: a.Name, Kind: kind, OldValue: oldValue, NewValue: newValue, Note: note}
}
