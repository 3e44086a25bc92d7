package slackfake

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// Page sizes of conversations.list and conversations.members, as documented
// by Slack.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

func (s *Server) conversationsCreate(r *request) (obj, error) {
	name := r.params.Get("name")
	if err := validateChannelName(name); err != nil {
		return nil, err
	}
	if _, taken := s.channelNames[name]; taken {
		return nil, fail("name_taken")
	}

	ch := s.addChannel(name, parseBool(r.params.Get("is_private")), s.cfg.BotUserID, s.cfg.Now())
	return obj{"channel": s.wireChannel(ch)}, nil
}

func (s *Server) conversationsInvite(r *request) (obj, error) {
	ch, err := s.visibleChannel(r.params.Get("channel"))
	if err != nil {
		return nil, err
	}
	if ch.IsIM {
		return nil, fail("method_not_supported_for_channel_type")
	}
	if !hasMember(ch, s.cfg.BotUserID) {
		return nil, fail("not_in_channel")
	}

	users, err := s.inviteesOf(ch, splitList(r.params.Get("users")))
	if err != nil {
		return nil, err
	}
	for _, id := range users {
		addMember(ch, id)
	}
	return obj{"channel": s.wireChannel(ch)}, nil
}

// inviteesOf checks the users of a conversations.invite call and returns
// those not yet in ch.
func (s *Server) inviteesOf(ch *Channel, users []string) ([]string, error) {
	if len(users) == 0 {
		return nil, fail("no_user")
	}

	var out []string
	for _, id := range users {
		switch {
		case id == s.cfg.BotUserID:
			return nil, fail("cant_invite_self")
		case s.users[id] == nil:
			return nil, fail("user_not_found")
		case !hasMember(ch, id):
			out = append(out, id)
		}
	}

	if len(out) == 0 {
		return nil, fail("already_in_channel")
	}
	return out, nil
}

func (s *Server) conversationsSetPurpose(r *request) (obj, error) {
	ch, err := s.visibleChannel(r.params.Get("channel"))
	if err != nil {
		return nil, err
	}
	if !hasMember(ch, s.cfg.BotUserID) {
		return nil, fail("not_in_channel")
	}

	ch.Purpose = r.params.Get("purpose")
	return obj{"channel": s.wireChannel(ch)}, nil
}

func (s *Server) conversationsInfo(r *request) (obj, error) {
	ch, err := s.visibleChannel(r.params.Get("channel"))
	if err != nil {
		return nil, err
	}

	out := s.wireChannel(ch)
	if !parseBool(r.params.Get("include_num_members")) {
		out.NumMembers = 0
	}
	return obj{"channel": out}, nil
}

func (s *Server) conversationsMembers(r *request) (obj, error) {
	ch, err := s.visibleChannel(r.params.Get("channel"))
	if err != nil {
		return nil, err
	}

	members, next, err := page(ch.Members, r.params.Get("cursor"), r.params.Get("limit"))
	if err != nil {
		return nil, err
	}
	return obj{"members": members, "response_metadata": obj{"next_cursor": next}}, nil
}

func (s *Server) conversationsJoin(r *request) (obj, error) {
	ch, ok := s.channels[r.params.Get("channel")]
	if !ok {
		return nil, fail("channel_not_found")
	}
	if ch.IsPrivate || ch.IsIM {
		return nil, fail("method_not_supported_for_channel_type")
	}
	if ch.IsArchived {
		return nil, fail("is_archived")
	}

	out := obj{}
	if hasMember(ch, s.cfg.BotUserID) {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = obj{"warnings": []string{"already_in_channel"}}
	}
	addMember(ch, s.cfg.BotUserID)
	out["channel"] = s.wireChannel(ch)
	return out, nil
}

func (s *Server) conversationsList(r *request) (obj, error) {
	types := splitList(r.params.Get("types"))
	if len(types) == 0 {
		types = []string{"public_channel"}
	}
	excludeArchived := parseBool(r.params.Get("exclude_archived"))

	var listed []slack.Channel
	for _, id := range s.channelOrder {
		ch := s.channels[id]
		if slices.Contains(types, s.channelType(ch)) && !(excludeArchived && ch.IsArchived) {
			listed = append(listed, s.wireChannel(ch))
		}
	}

	channels, next, err := page(listed, r.params.Get("cursor"), r.params.Get("limit"))
	if err != nil {
		return nil, err
	}
	return obj{"channels": channels, "response_metadata": obj{"next_cursor": next}}, nil
}

// channelType returns the conversations.list type of ch as the bot sees it,
// or "" if the bot cannot see it.
func (s *Server) channelType(ch *Channel) string {
	switch {
	case ch.IsIM:
		return "im"
	case !ch.IsPrivate:
		return "public_channel"
	case hasMember(ch, s.cfg.BotUserID):
		return "private_channel"
	}
	return ""
}

func (s *Server) conversationsOpen(r *request) (obj, error) {
	ch, existed, err := s.dmFor(r)
	if err != nil {
		return nil, err
	}

	out := obj{"channel": obj{"id": ch.ID}}
	if parseBool(r.params.Get("return_im")) {
		out["channel"] = s.wireChannel(ch)
	}
	if existed {
		out["no_op"] = true
		out["already_open"] = true
	}
	return out, nil
}

// dmFor resolves the channel or users parameter of conversations.open.
func (s *Server) dmFor(r *request) (*Channel, bool, error) {
	if id := r.params.Get("channel"); id != "" {
		ch, ok := s.channels[id]
		if !ok || !ch.IsIM {
			return nil, false, fail("channel_not_found")
		}
		return ch, true, nil
	}

	users := splitList(r.params.Get("users"))
	switch {
	case len(users) == 0:
		return nil, false, fail("users_list_not_supplied")
	case len(users) > 1:
		// NOTE: multi-person direct messages (mpim) are not faked.
		return nil, false, fail("not_implemented", "slackfake opens direct messages with one user only")
	case s.users[users[0]] == nil:
		return nil, false, fail("user_not_found")
	}

	ch, existed := s.openDM(users[0], s.cfg.Now())
	return ch, existed, nil
}

// page returns one page of items for a cursor and limit parameter, and the
// cursor of the next page ("" on the last page). Cursors are opaque to
// clients, as Slack's are.
func page[T any](items []T, cursor, limitParam string) ([]T, string, error) {
	start, err := decodeCursor(cursor)
	if err != nil || start < 0 || start > len(items) {
		return nil, "", fail("invalid_cursor")
	}

	limit := defaultPageSize
	if limitParam != "" {
		limit, err = strconv.Atoi(limitParam)
		if err != nil || limit < 1 {
			return nil, "", fail("invalid_limit")
		}
	}
	limit = min(limit, maxPageSize)

	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = encodeCursor(end)
	}
	out := make([]T, 0, end-start)
	return append(out, items[start:end]...), next, nil
}

func encodeCursor(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeCursor(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
}
