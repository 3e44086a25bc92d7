package sqlstore

import (
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

// incidentRow is the table "incidents". Times are stored in UTC.
type incidentRow struct {
	ID            int64  `gorm:"primaryKey;autoIncrement"`
	School        string `gorm:"size:100;not null;uniqueIndex:idx_incidents_school_number,priority:1"`
	Number        int64  `gorm:"not null;uniqueIndex:idx_incidents_school_number,priority:2"`
	Title         string `gorm:"size:400;not null"`
	Description   string `gorm:"type:text;not null"`
	Location      string `gorm:"size:400;not null"`
	Category      string `gorm:"size:40;not null"`
	Impact        int    `gorm:"not null"`
	Urgency       int    `gorm:"not null"`
	Exam          bool   `gorm:"not null"`
	Priority      int    `gorm:"not null"`
	Status        string `gorm:"size:40;not null;index"`
	Platform      string `gorm:"size:40;not null"`
	ReporterID    string `gorm:"size:100;not null;index"`
	ReporterName  string `gorm:"size:200;not null"`
	ReportChannel string `gorm:"size:100;not null"`
	ClaimerID     string `gorm:"size:100;not null"`
	ClaimerName   string `gorm:"size:200;not null"`
	ResolverID    string `gorm:"size:100;not null"`
	FirstClaimer  string `gorm:"size:100;not null"`
	EscalatedTo   string `gorm:"type:text;not null"`

	TriagePostID          string `gorm:"size:100;not null;index"`
	CoordinationChannelID string `gorm:"size:100;not null"`
	CoordinationLink      string `gorm:"size:200;not null;default:''"`
	CoordinationPostID    string `gorm:"size:100;not null;default:''"`

	ReopenCount  int   `gorm:"not null"`
	Reassigned   bool  `gorm:"not null"`
	WasEscalated bool  `gorm:"not null"`
	DuplicateOf  int64 `gorm:"not null"`

	ResolutionNote string `gorm:"type:text;not null"`
	CloseNote      string `gorm:"type:text;not null"`

	ReportedAt  time.Time `gorm:"not null"`
	ClaimedAt   *time.Time
	EscalatedAt *time.Time
	ResolvedAt  *time.Time
	VerifiedAt  *time.Time
	ClosedAt    *time.Time

	SubmissionKey *string `gorm:"size:200;uniqueIndex"`
}

func (incidentRow) TableName() string { return "incidents" }

// eventRow is the append-only table "incident_events".
type eventRow struct {
	ID         int64        `gorm:"primaryKey;autoIncrement"`
	IncidentID int64        `gorm:"not null;index"`
	Incident   *incidentRow `gorm:"foreignKey:IncidentID;constraint:OnDelete:RESTRICT"`
	At         time.Time    `gorm:"not null"`
	ActorID    string       `gorm:"size:100;not null"`
	ActorName  string       `gorm:"size:200;not null"`
	Kind       string       `gorm:"size:40;not null"`
	OldValue   string       `gorm:"type:text;not null"`
	NewValue   string       `gorm:"type:text;not null"`
	Note       string       `gorm:"type:text;not null"`
}

func (eventRow) TableName() string { return "incident_events" }

// counterRow is the table "incident_counters": the last number given out per
// school. It only grows, so numbers are never reused.
type counterRow struct {
	School string `gorm:"primaryKey;size:100"`
	Last   int64  `gorm:"not null"`
}

func (counterRow) TableName() string { return "incident_counters" }

// deliveryRow is the table "deliveries": keys of inbound events already
// handled, for exactly-once processing of redelivered events.
type deliveryRow struct {
	Key        string    `gorm:"primaryKey;size:200"`
	ReceivedAt time.Time `gorm:"not null"`
}

func (deliveryRow) TableName() string { return "deliveries" }

func toRow(inc *incident.Incident) *incidentRow {
	r := &incidentRow{
		ID: inc.ID, School: inc.School, Number: inc.Number, Title: inc.Title,
		Description: inc.Description, Location: inc.Location, Category: string(inc.Category),
		Impact: int(inc.Impact), Urgency: int(inc.Urgency), Exam: inc.Exam,
		Priority: int(inc.Priority), Status: string(inc.Status), Platform: inc.Platform,
		ReporterID: inc.ReporterID, ReporterName: inc.ReporterName, ReportChannel: inc.ReportChannel,
		ClaimerID: inc.ClaimerID, ClaimerName: inc.ClaimerName, ResolverID: inc.ResolverID,
		FirstClaimer: inc.FirstClaimer, EscalatedTo: inc.EscalatedTo,
		TriagePostID: inc.TriagePostID, CoordinationChannelID: inc.CoordinationChannelID,
		CoordinationLink: inc.CoordinationLink, CoordinationPostID: inc.CoordinationPostID,
		ReopenCount: inc.ReopenCount, Reassigned: inc.Reassigned, WasEscalated: inc.WasEscalated,
		DuplicateOf: inc.DuplicateOf, ResolutionNote: inc.ResolutionNote, CloseNote: inc.CloseNote,
		ReportedAt: inc.ReportedAt.UTC(), ClaimedAt: utc(inc.ClaimedAt), EscalatedAt: utc(inc.EscalatedAt),
		ResolvedAt: utc(inc.ResolvedAt), VerifiedAt: utc(inc.VerifiedAt), ClosedAt: utc(inc.ClosedAt),
	}
	if inc.SubmissionKey != "" {
		key := inc.SubmissionKey
		r.SubmissionKey = &key
	}
	return r
}

func fromRow(r *incidentRow) *incident.Incident {
	inc := &incident.Incident{
		ID: r.ID, School: r.School, Number: r.Number, Title: r.Title,
		Description: r.Description, Location: r.Location, Category: incident.Category(r.Category),
		Impact: incident.Impact(r.Impact), Urgency: incident.Urgency(r.Urgency), Exam: r.Exam,
		Priority: incident.Priority(r.Priority), Status: incident.Status(r.Status), Platform: r.Platform,
		ReporterID: r.ReporterID, ReporterName: r.ReporterName, ReportChannel: r.ReportChannel,
		ClaimerID: r.ClaimerID, ClaimerName: r.ClaimerName, ResolverID: r.ResolverID,
		FirstClaimer: r.FirstClaimer, EscalatedTo: r.EscalatedTo,
		TriagePostID: r.TriagePostID, CoordinationChannelID: r.CoordinationChannelID,
		CoordinationLink: r.CoordinationLink, CoordinationPostID: r.CoordinationPostID,
		ReopenCount: r.ReopenCount, Reassigned: r.Reassigned, WasEscalated: r.WasEscalated,
		DuplicateOf: r.DuplicateOf, ResolutionNote: r.ResolutionNote, CloseNote: r.CloseNote,
		ReportedAt: r.ReportedAt.UTC(), ClaimedAt: utc(r.ClaimedAt), EscalatedAt: utc(r.EscalatedAt),
		ResolvedAt: utc(r.ResolvedAt), VerifiedAt: utc(r.VerifiedAt), ClosedAt: utc(r.ClosedAt),
	}
	if r.SubmissionKey != nil {
		inc.SubmissionKey = *r.SubmissionKey
	}
	return inc
}

func toEventRow(incidentID int64, e incident.Event) *eventRow {
	return &eventRow{
		IncidentID: incidentID, At: e.At.UTC(), ActorID: e.ActorID, ActorName: e.ActorName,
		Kind: string(e.Kind), OldValue: e.OldValue, NewValue: e.NewValue, Note: e.Note,
	}
}

func fromEventRow(r *eventRow) incident.Event {
	return incident.Event{
		ID: r.ID, IncidentID: r.IncidentID, At: r.At.UTC(), ActorID: r.ActorID, ActorName: r.ActorName,
		Kind: incident.EventKind(r.Kind), OldValue: r.OldValue, NewValue: r.NewValue, Note: r.Note,
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
