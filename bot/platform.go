package bot

import "context"

// Platform is the narrow chat interface the bot talks through. The console,
// Mattermost and Slack adapters implement it. Every method returns an error
// that wraps the platform's own failure; the bot logs it and tells the user
// when the user's request could not be completed.
type Platform interface {
	// Name is the platform's short name, such as "mattermost".
	Name() string

	// Post sends m to a channel and returns the new post's id.
	Post(ctx context.Context, channelID string, m Message) (postID string, err error)

	// UpdatePost replaces the content of a post the bot wrote earlier.
	UpdatePost(ctx context.Context, channelID, postID string, m Message) error

	// Ephemeral shows m to one user in a channel, visible to nobody else.
	// An adapter that cannot do that, such as for lack of a permission,
	// sends m as a direct message instead.
	Ephemeral(ctx context.Context, channelID, userID string, m Message) error

	// DM sends m as a direct message from the bot to a user.
	DM(ctx context.Context, userID string, m Message) error

	// OpenForm shows a form to the user behind trigger. The answers come
	// back through Bot.HandleSubmission with the form's State unchanged.
	OpenForm(ctx context.Context, trigger Trigger, f Form) error

	// CreateChannel creates a channel with the given members (ids, or names
	// the adapter resolves) and returns it. A name that is taken gets a
	// suffix, so the call succeeds with a unique name.
	CreateChannel(ctx context.Context, spec ChannelSpec) (Channel, error)

	// Pin pins a post in its channel.
	Pin(ctx context.Context, channelID, postID string) error
}

// User is a chat user as the platform identifies them. Roles come from the
// bot's directory, never from the platform request.
type User struct {
	ID   string
	Name string
}

// Trigger identifies the user interaction that allows opening a form
// (Mattermost and Slack require a fresh trigger id).
type Trigger struct {
	ID        string
	UserID    string
	ChannelID string
}

// Message is a platform-neutral chat message: a text, optionally with a
// card of fields in a priority colour and buttons.
type Message struct {
	// Text is the main text in Markdown. User text inside is neutralised.
	Text string
	// Title is the card's headline; empty means no card.
	Title string
	// Color is a hex colour such as "#d0021b" for the card's side bar.
	Color   string
	Fields  []Field
	Buttons []Button
	// Footer is a small line under the card.
	Footer string
}

// Field is one labelled value of a card.
type Field struct {
	Label string
	Value string
	Short bool
}

// Button is an interactive button. Adapters send Token back unchanged in
// Action.Token; it is signed by the bot and names action and incident.
type Button struct {
	Label string
	// Action is the bot's name for what the button does, such as "claim".
	Action string
	// Style is "primary", "danger" or "" for default.
	Style string
	// Token is the signed action reference the adapter must send back.
	Token string
	// Command is the typed equivalent, such as "/störung übernehmen #7".
	Command string
}

// FieldType is the kind of a form field.
type FieldType string

// Form field types.
const (
	FieldText     FieldType = "text"
	FieldTextarea FieldType = "textarea"
	FieldSelect   FieldType = "select"
	FieldBool     FieldType = "bool"
)

// Form is a platform-neutral dialog. Adapters render it as a Mattermost
// interactive dialog, a Slack modal or console questions.
type Form struct {
	// ID names the form, such as "report" or "note".
	ID          string
	Title       string
	SubmitLabel string
	// CancelLabel names the button that closes the form unsent.
	CancelLabel string
	// State is the bot's signed state; adapters send it back unchanged.
	State  string
	Fields []FormField
}

// FormField is one question of a form.
type FormField struct {
	Name      string
	Label     string
	Type      FieldType
	Help      string
	Default   string
	Optional  bool
	MaxLength int
	Options   []Option
	// Placeholder is a short example shown inside an empty field.
	Placeholder string
	// CheckLabel is the text beside the checkbox of a bool field, such as
	// "Ja, gerade läuft eine Prüfung".
	CheckLabel string
}

// Option is one choice of a select field.
type Option struct {
	Value string
	Label string
}

// ChannelSpec describes a channel to create.
type ChannelSpec struct {
	// Name is the URL name; adapters add a suffix when it is taken.
	Name string
	// DisplayName is the channel's title where the platform has one
	// (Mattermost); Slack channels have none.
	DisplayName string
	Purpose     string
	Private     bool
	MemberIDs   []string
	// MemberNames are user names the adapter resolves to ids; unknown names
	// are logged and skipped.
	MemberNames []string
}

// Channel is a created channel.
type Channel struct {
	ID   string
	Name string
	// Link is a reference to the channel in the platform's markup, such as
	// "~stoerung-0007-wlan" in Mattermost.
	Link string
}

// Command is a slash command typed by a user.
type Command struct {
	User      User
	ChannelID string
	// Command is the trigger as typed, such as "/störung" or "/stoerung".
	Command   string
	Text      string
	TriggerID string
}

// Reply is the bot's ephemeral answer to a command or button press.
type Reply struct {
	Text string
	// Rejected is true when the request itself was invalid, such as a
	// button token that does not verify; adapters answer it with 403.
	Rejected bool
}

// Submission is a submitted form.
type Submission struct {
	User      User
	ChannelID string
	FormID    string
	State     string
	Values    map[string]string
	TriggerID string
}

// SubmissionResult tells the adapter how to answer a submission. When
// FieldErrors is not empty the form stays open with the messages beside the
// fields; Error is a message for the user when the whole submission failed.
type SubmissionResult struct {
	FieldErrors map[string]string
	Error       string
	// Rejected is true when the submission itself was invalid: a state
	// that does not verify, belongs to another user or names an unknown
	// form. Adapters answer it with 403.
	Rejected bool
}

// Reaction is an emoji reaction added to or removed from a post.
type Reaction struct {
	User      User
	ChannelID string
	PostID    string
	Emoji     string
	Added     bool
}

// Action is a pressed button.
type Action struct {
	User      User
	ChannelID string
	PostID    string
	Token     string
	TriggerID string
}
