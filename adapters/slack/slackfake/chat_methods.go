package slackfake

import (
	"encoding/json"
)

func (s *Server) chatPostMessage(r *request) (obj, error) {
	ch, err := s.postTarget(r.params.Get("channel"))
	if err != nil {
		return nil, err
	}

	m := &Message{Channel: ch.ID, ThreadTS: r.params.Get("thread_ts"), User: s.cfg.BotUserID}
	if err := applyContent(m, r); err != nil {
		return nil, err
	}
	if m.Text == "" && m.Blocks == nil && m.Attachments == nil {
		return nil, fail("no_text")
	}

	m.TS = s.newTS(s.cfg.Now())
	s.messages[ch.ID] = append(s.messages[ch.ID], m)
	return obj{"channel": ch.ID, "ts": m.TS, "message": s.wireMessage(m)}, nil
}

func (s *Server) chatUpdate(r *request) (obj, error) {
	m, err := s.findMessage(r.params.Get("channel"), r.params.Get("ts"))
	if err != nil {
		return nil, err
	}
	if m.User != s.cfg.BotUserID {
		return nil, fail("cant_update_message")
	}

	// Work on a copy so that invalid JSON leaves the message unchanged.
	updated := *m
	if err := applyContent(&updated, r); err != nil {
		return nil, err
	}
	updated.Updates++
	*m = updated

	return obj{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.wireMessage(m)}, nil
}

func (s *Server) chatPostEphemeral(r *request) (obj, error) {
	ch, err := s.postTarget(r.params.Get("channel"))
	if err != nil {
		return nil, err
	}
	user := r.params.Get("user")
	if s.users[user] == nil {
		return nil, fail("user_not_found")
	}
	if !hasMember(ch, user) {
		return nil, fail("user_not_in_channel")
	}

	m := &Message{Channel: ch.ID, ThreadTS: r.params.Get("thread_ts"), User: s.cfg.BotUserID, EphemeralTo: user}
	if err := applyContent(m, r); err != nil {
		return nil, err
	}
	if m.Text == "" && m.Blocks == nil && m.Attachments == nil {
		return nil, fail("no_text")
	}

	m.TS = s.newTS(s.cfg.Now())
	s.ephemerals[ch.ID] = append(s.ephemerals[ch.ID], m)
	return obj{"message_ts": m.TS}, nil
}

// postTarget resolves the channel parameter of a chat method. A user ID
// posts to the direct message with that user, as Slack does. The bot must
// be a member of the channel, as for an app without chat:write.public.
func (s *Server) postTarget(id string) (*Channel, error) {
	if u, ok := s.users[id]; ok && u.ID != s.cfg.BotUserID {
		ch, _ := s.openDM(id, s.cfg.Now())
		return ch, nil
	}

	ch, err := s.visibleChannel(id)
	if err != nil {
		return nil, err
	}
	if ch.IsArchived {
		return nil, fail("is_archived")
	}
	if !hasMember(ch, s.cfg.BotUserID) {
		return nil, fail("not_in_channel")
	}
	return ch, nil
}

// applyContent copies the text, blocks, attachments and metadata fields that
// the call contains into m. Fields the call leaves out stay as they are,
// which is how chat.update keeps the parts it does not replace.
func applyContent(m *Message, r *request) error {
	if r.params.Has("text") {
		m.Text = r.params.Get("text")
	}

	fields := []struct {
		name string
		dst  *json.RawMessage
		code string
	}{
		{"blocks", &m.Blocks, "invalid_blocks"},
		{"attachments", &m.Attachments, "invalid_attachments"},
		{"metadata", &m.Metadata, "invalid_metadata_format"},
	}
	for _, f := range fields {
		if !r.params.Has(f.name) {
			continue
		}
		raw := r.params.Get(f.name)
		if !json.Valid([]byte(raw)) {
			return fail(f.code, f.name+" is not valid JSON")
		}
		*f.dst = json.RawMessage(raw)
	}

	var problems []string
	if r.params.Has("blocks") {
		problems = checkBlocks("/blocks", m.Blocks, maxMessageBlocks)
	}
	if r.params.Has("attachments") {
		problems = append(problems, checkAttachments(m.Attachments)...)
	}
	if len(problems) > 0 {
		return fail("invalid_blocks", problems...)
	}
	return nil
}
