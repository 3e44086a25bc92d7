package slackfake

import (
	"time"
)

// ReactionEvent is an Events API event_callback carrying a reaction_added
// or reaction_removed event on a message.
type ReactionEvent struct {
	// Removed selects reaction_removed instead of reaction_added.
	Removed bool
	// EventID is the ID Slack repeats on retries, so apps de-duplicate on it.
	EventID  string
	TeamID   string
	APIAppID string
	// User reacted with Reaction, an emoji name without colons.
	User     string
	Reaction string
	// ItemUser is the author of the message.
	ItemUser  string
	Channel   string
	MessageTS string
	EventTime time.Time
	// Token is the deprecated verification token.
	Token string
}

// Type returns "reaction_added" or "reaction_removed".
func (e ReactionEvent) Type() string {
	if e.Removed {
		return "reaction_removed"
	}
	return "reaction_added"
}

// Body returns the JSON request body, to send with ContentTypeJSON.
func (e ReactionEvent) Body() []byte {
	eventTS := formatTS(e.EventTime.UnixMicro())
	inner := obj{
		"type":      e.Type(),
		"user":      e.User,
		"reaction":  e.Reaction,
		"item_user": e.ItemUser,
		"item":      obj{"type": "message", "channel": e.Channel, "ts": e.MessageTS},
		"event_ts":  eventTS,
	}

	return mustJSON(obj{
		"token":        e.Token,
		"team_id":      e.TeamID,
		"api_app_id":   e.APIAppID,
		"event":        inner,
		"type":         "event_callback",
		"event_id":     e.EventID,
		"event_time":   e.EventTime.Unix(),
		"authed_users": []string{},
	})
}

// URLVerificationBody returns the url_verification request Slack sends when
// an Events API request URL is configured. The app must return challenge.
func URLVerificationBody(challenge string) []byte {
	return mustJSON(obj{"token": "", "challenge": challenge, "type": "url_verification"})
}
