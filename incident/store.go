package incident

import (
	"context"
	"time"
)

// Filter selects incidents for List. Zero fields do not filter.
type Filter struct {
	School     string
	ReporterID string
	OpenOnly   bool
	Limit      int // 0 means no limit
}

// Store persists incidents and their timelines. Implementations return
// *Error values with code ENOTFOUND, EINVALID or ECONFLICT for the caller's
// mistakes and wrap everything else.
type Store interface {
	// Create assigns the next number of inc.School, stores inc and its first
	// event and returns the stored incident with created true. When
	// inc.SubmissionKey was already used it stores nothing and returns the
	// incident of the first submission with created false.
	Create(ctx context.Context, inc *Incident, first Event) (stored *Incident, created bool, err error)

	// Get returns incident number of school, or ENOTFOUND.
	Get(ctx context.Context, school string, number int64) (*Incident, error)

	// GetByTriagePost returns the incident whose triage post is postID, or
	// ENOTFOUND.
	GetByTriagePost(ctx context.Context, postID string) (*Incident, error)

	// Update loads incident number of school in a transaction, applies change
	// and stores the result together with the events change returned. When
	// change returns an error or no events, nothing is written. It returns
	// the incident as stored afterwards and the appended events.
	Update(ctx context.Context, school string, number int64, change Change) (*Incident, []Event, error)

	// SetTriagePost records the post that shows the incident in the triage
	// channel. It writes no timeline event.
	SetTriagePost(ctx context.Context, school string, number int64, postID string) error
	// ReserveTriagePost marks the incident's triage post as being posted
	// by the caller, so that of several processes only one posts it. It
	// succeeds when no post is recorded, or when an earlier reservation
	// was made before staleBefore (its process may have died). The token
	// goes to FillTriagePost.
	ReserveTriagePost(ctx context.Context, school string, number int64, staleBefore time.Time) (token string, ok bool, err error)
	// FillTriagePost replaces the caller's reservation with the post id. It
	// reports false when the reservation was taken over meanwhile.
	FillTriagePost(ctx context.Context, school string, number int64, token, postID string) (bool, error)
	// SetCoordinationPost records the pinned summary in the incident's
	// coordination channel.
	SetCoordinationPost(ctx context.Context, school string, number int64, postID string) error

	// List returns incidents matching f, newest first.
	List(ctx context.Context, f Filter) ([]*Incident, error)

	// Timeline returns the events of incident number of school, oldest first.
	Timeline(ctx context.Context, school string, number int64) ([]Event, error)

	// FirstDelivery records key (such as a Slack event id) and reports
	// whether this is its first delivery. Callers skip repeated deliveries.
	FirstDelivery(ctx context.Context, key string) (bool, error)
}
