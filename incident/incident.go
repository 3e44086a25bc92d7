package incident

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is a lifecycle state. The values are the German terms the school
// sees, and they are stored and exported as they are.
type Status string

// Lifecycle states.
const (
	StatusReported  Status = "gemeldet"
	StatusClaimed   Status = "übernommen"
	StatusEscalated Status = "eskaliert"
	StatusResolved  Status = "gelöst"
	StatusClosed    Status = "geschlossen"
	StatusDuplicate Status = "duplikat"
	StatusWithdrawn Status = "zurückgezogen"
)

// Open reports whether an incident in status s still needs work.
func (s Status) Open() bool {
	switch s {
	case StatusReported, StatusClaimed, StatusEscalated, StatusResolved:
		return true
	}
	return false
}

// Category classifies what is broken.
type Category string

// Categories offered in the report form.
const (
	CategoryNetwork  Category = "netzwerk"      // WLAN/Netzwerk
	CategoryPlatform Category = "lernplattform" // learning platform
	CategoryDisplay  Category = "beamer"        // projector, smartboard
	CategoryPrinter  Category = "drucker"
	CategoryAccount  Category = "konto" // account, password
	CategoryServer   Category = "server"
	CategoryOther    Category = "sonstiges"
)

// Categories lists the categories in form order.
var Categories = []Category{
	CategoryNetwork, CategoryPlatform, CategoryDisplay, CategoryPrinter,
	CategoryAccount, CategoryServer, CategoryOther,
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Limits on report text, in characters (runes).
const (
	MaxDescription = 2000
	MaxLocation    = 100
	MaxNote        = 2000
	MaxTitle       = 80
)

// Incident is one disruption, numbered per school. The Number is assigned by
// the store, grows by one for each report and is never reused.
type Incident struct {
	ID          int64
	School      string
	Number      int64
	Title       string
	Description string
	Location    string
	Category    Category
	Impact      Impact
	Urgency     Urgency
	Exam        bool
	Priority    Priority
	Status      Status

	Platform      string // chat platform the report came from, such as "mattermost"
	ReporterID    string
	ReporterName  string
	ReportChannel string // channel where /störung was typed
	ClaimerID     string
	ClaimerName   string
	ResolverID    string
	FirstClaimer  string // user id of the first claim, for first-contact resolution
	EscalatedTo   string

	TriagePostID          string
	CoordinationChannelID string
	// CoordinationLink is the channel in the platform's markup, such as
	// "~stoerung-0007-wlan"; CoordinationPostID is its pinned summary.
	CoordinationLink   string
	CoordinationPostID string

	ReopenCount  int
	Reassigned   bool
	WasEscalated bool
	DuplicateOf  int64

	ResolutionNote string
	CloseNote      string

	ReportedAt  time.Time
	ClaimedAt   *time.Time
	EscalatedAt *time.Time
	ResolvedAt  *time.Time
	VerifiedAt  *time.Time
	ClosedAt    *time.Time

	// SubmissionKey makes a report idempotent: a second submission with the
	// same key returns the first incident instead of creating another.
	SubmissionKey string
}

// Ref returns "#7" for incident number 7.
func (inc *Incident) Ref() string {
	return "#" + strconv.FormatInt(inc.Number, 10)
}

// Report is what a person submits through the form.
type Report struct {
	Description string
	Location    string
	Category    Category
	Impact      Impact
	Urgency     Urgency
	Exam        bool
}

// Validate checks every field and returns an *Error whose Reason names the
// first bad field ("description_empty", "location_too_long", ...).
func (r *Report) Validate() error {
	if err := CheckText("description", r.Description, MaxDescription, true); err != nil {
		return err
	}
	if err := CheckText("location", r.Location, MaxLocation, true); err != nil {
		return err
	}
	if !r.Category.Valid() {
		return Errorf(EINVALID, "category_invalid", "invalid category %q", r.Category)
	}
	if !r.Impact.Valid() {
		return Errorf(EINVALID, "impact_invalid", "invalid impact %d", r.Impact)
	}
	if !r.Urgency.Valid() {
		return Errorf(EINVALID, "urgency_invalid", "invalid urgency %d", r.Urgency)
	}
	return nil
}

// CheckText validates user text: valid UTF-8, no control characters other
// than newline and tab, at most max runes, and not blank when required. The
// error reason is field + "_empty", "_too_long" or "_invalid".
func CheckText(field, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, field+"_invalid", "%s is not valid UTF-8", field)
	}
	if required && strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, field+"_empty", "%s is empty", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, field+"_too_long", "%s has %d characters, max %d", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return Errorf(EINVALID, field+"_invalid", "%s contains control character %U", field, r)
		}
	}
	return nil
}

// TitleOf derives a one-line title from a description: its first line, cut at
// MaxTitle characters with an ellipsis.
func TitleOf(description string) string {
	line := strings.TrimSpace(description)
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	runes := []rune(line)
	if len(runes) > MaxTitle {
		return strings.TrimSpace(string(runes[:MaxTitle-1])) + "…"
	}
	return line
}

// PendingPost starts a TriagePostID that reserves the post while a process
// posts it; see Store.ReserveTriagePost.
const PendingPost = "pending:"

// Posted reports whether inc's ticket is in the triage channel.
func (inc *Incident) Posted() bool {
	return inc.TriagePostID != "" && !strings.HasPrefix(inc.TriagePostID, PendingPost)
}
