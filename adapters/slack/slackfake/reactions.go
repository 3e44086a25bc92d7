package slackfake

import (
	"fmt"
	"slices"
)

// AddReaction stores that user reacted with the emoji name (without colons)
// to the message at ts. It returns the matching reaction_added event, ready to
// send to the app with ReactionEvent.Body. AddReaction panics if the message
// or user is unknown or the reaction exists, because that is a mistake in the
// test.
func (s *Server) AddReaction(channel, ts, user, name string) ReactionEvent {
	s.mu.Lock()
	defer s.mu.Unlock()

	m := s.mustReactable(channel, ts, user)
	if err := addReaction(m, user, name); err != nil {
		panic(fmt.Sprintf("slackfake: AddReaction: %s", err))
	}
	return s.reactionEvent(m, user, name, false)
}

// RemoveReaction removes the reaction that user added with AddReaction and
// returns the matching reaction_removed event. It panics if
// the message, user or reaction is unknown.
func (s *Server) RemoveReaction(channel, ts, user, name string) ReactionEvent {
	s.mu.Lock()
	defer s.mu.Unlock()

	m := s.mustReactable(channel, ts, user)
	if err := removeReaction(m, user, name); err != nil {
		panic(fmt.Sprintf("slackfake: RemoveReaction: %s", err))
	}
	return s.reactionEvent(m, user, name, true)
}

func (s *Server) mustReactable(channel, ts, user string) *Message {
	if _, ok := s.users[user]; !ok {
		panic(fmt.Sprintf("slackfake: reaction by unknown user %q; add it with AddUser", user))
	}
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	panic(fmt.Sprintf("slackfake: no message %q in channel %q", ts, channel))
}

func (s *Server) reactionEvent(m *Message, user, name string, removed bool) ReactionEvent {
	now := s.cfg.Now()
	return ReactionEvent{
		Removed:   removed,
		EventID:   s.newID("Ev"),
		TeamID:    s.cfg.TeamID,
		APIAppID:  s.cfg.AppID,
		User:      user,
		Reaction:  name,
		ItemUser:  m.User,
		Channel:   m.Channel,
		MessageTS: m.TS,
		EventTime: now,
	}
}

func addReaction(m *Message, user, name string) error {
	if name == "" {
		return fail("invalid_name")
	}
	for i := range m.Reactions {
		r := &m.Reactions[i]
		if r.Name != name {
			continue
		}
		if slices.Contains(r.Users, user) {
			return fail("already_reacted")
		}
		r.Users = append(r.Users, user)
		return nil
	}
	m.Reactions = append(m.Reactions, Reaction{Name: name, Users: []string{user}})
	return nil
}

func removeReaction(m *Message, user, name string) error {
	for i := range m.Reactions {
		r := &m.Reactions[i]
		at := slices.Index(r.Users, user)
		if r.Name != name || at < 0 {
			continue
		}
		r.Users = slices.Delete(r.Users, at, at+1)
		if len(r.Users) == 0 {
			m.Reactions = slices.Delete(m.Reactions, i, i+1)
		}
		return nil
	}
	return fail("no_reaction")
}

func (s *Server) reactionsGet(r *request) (obj, error) {
	if r.params.Get("channel") == "" || r.params.Get("timestamp") == "" {
		// NOTE: reactions on files and file comments are not faked.
		return nil, fail("no_item_specified")
	}

	m, err := s.findMessage(r.params.Get("channel"), r.params.Get("timestamp"))
	if err != nil {
		return nil, err
	}
	return obj{"type": "message", "channel": m.Channel, "message": s.wireMessage(m)}, nil
}

func (s *Server) pinsAdd(r *request) (obj, error) {
	ts := r.params.Get("timestamp")
	if ts == "" {
		return nil, fail("no_item_specified")
	}

	m, err := s.findMessage(r.params.Get("channel"), ts)
	if err != nil {
		return nil, err
	}
	ch := s.channels[m.Channel]
	if slices.Contains(ch.Pins, ts) {
		return nil, fail("already_pinned")
	}
	ch.Pins = append(ch.Pins, ts)
	return obj{}, nil
}
