package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Message is a message stored in a channel.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	// User is the author: the bot user for messages the app posted.
	User string
	Text string
	// Blocks, Attachments and Metadata are the JSON the app sent, nil if absent.
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    json.RawMessage
	// Files contains the IDs of files shared with the message.
	Files     []string
	Reactions []Reaction
	// Updates counts the chat.update calls applied to the message.
	Updates int
	// EphemeralTo is the only user who sees an ephemeral message.
	EphemeralTo string
}

// Reaction is one emoji on a message and the users who added it.
type Reaction struct {
	Name  string
	Users []string
}

// Messages returns the messages of a channel in post order, without
// ephemeral messages.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()

	return cloneMessages(s.messages[channel])
}

// Ephemerals returns the ephemeral messages posted to a channel.
func (s *Server) Ephemerals(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()

	return cloneMessages(s.ephemerals[channel])
}

// AddMessage stores a message that user wrote in channel, as if posted in
// the Slack client, and returns its timestamp. It panics if the channel or
// user is unknown, because that is a mistake in the test.
func (s *Server) AddMessage(channel, user, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if _, ok := s.channels[channel]; !ok {
		panic(fmt.Sprintf("slackfake: AddMessage: channel %q not found", channel))
	}
	if _, ok := s.users[user]; !ok {
		panic(fmt.Sprintf("slackfake: AddMessage: user %q not found; add it with AddUser", user))
	}

	m := &Message{Channel: channel, TS: s.newTS(s.cfg.Now()), User: user, Text: text}
	s.messages[channel] = append(s.messages[channel], m)
	return m.TS
}

func cloneMessages(in []*Message) []Message {
	out := make([]Message, 0, len(in))
	for _, m := range in {
		out = append(out, m.clone())
	}
	return out
}

func (m *Message) clone() Message {
	out := *m
	out.Blocks = slices.Clone(m.Blocks)
	out.Attachments = slices.Clone(m.Attachments)
	out.Metadata = slices.Clone(m.Metadata)
	out.Files = slices.Clone(m.Files)
	out.Reactions = make([]Reaction, 0, len(m.Reactions))
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, Reaction{Name: r.Name, Users: slices.Clone(r.Users)})
	}
	return out
}

// findMessage returns the message with timestamp ts in a channel the bot can see.
func (s *Server) findMessage(channel, ts string) (*Message, error) {
	if _, err := s.visibleChannel(channel); err != nil {
		return nil, err
	}
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m, nil
		}
	}
	return nil, fail("message_not_found")
}

// wireMessage converts a message to the message object slack-go reads.
func (s *Server) wireMessage(m *Message) obj {
	out := obj{"type": "message", "user": m.User, "text": m.Text, "ts": m.TS}
	if m.User == s.cfg.BotUserID {
		out["bot_id"] = s.cfg.BotID
		out["app_id"] = s.cfg.AppID
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	setRaw(out, "blocks", m.Blocks)
	setRaw(out, "attachments", m.Attachments)
	setRaw(out, "metadata", m.Metadata)

	if len(m.Files) > 0 {
		files := make([]obj, 0, len(m.Files))
		for _, id := range m.Files {
			files = append(files, obj{"id": id})
		}
		out["files"] = files
	}
	if len(m.Reactions) > 0 {
		out["reactions"] = wireReactions(m.Reactions)
	}
	return out
}

func wireReactions(reactions []Reaction) []obj {
	out := make([]obj, 0, len(reactions))
	for _, r := range reactions {
		out = append(out, obj{"name": r.Name, "count": len(r.Users), "users": r.Users})
	}
	return out
}

func setRaw(o obj, key string, raw json.RawMessage) {
	if raw != nil {
		o[key] = raw
	}
}
