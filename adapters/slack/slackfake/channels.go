package slackfake

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// maxChannelNameLength is Slack's limit for channel names, in characters.
const maxChannelNameLength = 80

// Channel is a conversation in the fake workspace: a public or private
// channel, or a direct message (IM) between the bot and one user.
type Channel struct {
	ID string
	// Name is empty for direct messages.
	Name      string
	IsPrivate bool
	IsIM      bool
	// User is the other member of a direct message.
	User       string
	Creator    string
	Created    time.Time
	IsArchived bool
	// Members contains user IDs in the order they joined.
	Members []string
	// Pins contains the timestamps of pinned messages in pin order.
	Pins []string
	// Purpose is the text set with conversations.setPurpose.
	Purpose string
}

// AddChannel creates a channel as a workspace member would and returns its
// ID. The bot is a member only if botUserID is among members. AddChannel
// panics if the name is invalid or taken or a member is unknown, because that
// is a mistake in the test.
func (s *Server) AddChannel(name string, private bool, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if err := validateChannelName(name); err != nil {
		panic(fmt.Sprintf("slackfake: AddChannel: name %q: %v", name, err))
	}
	if _, taken := s.channelNames[name]; taken {
		panic(fmt.Sprintf("slackfake: AddChannel: name %q is taken", name))
	}
	for _, id := range members {
		if _, ok := s.users[id]; !ok {
			panic(fmt.Sprintf("slackfake: AddChannel: member %q is not a user; add it with AddUser", id))
		}
	}

	ch := s.addChannel(name, private, "", s.cfg.Now())
	for _, id := range members {
		addMember(ch, id)
	}
	return ch.ID
}

// Channels returns all conversations, including direct messages, in the
// order they were created.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]Channel, 0, len(s.channelOrder))
	for _, id := range s.channelOrder {
		out = append(out, s.channels[id].clone())
	}
	return out
}

// ChannelByName returns the channel with the given name.
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	id, ok := s.channelNames[name]
	if !ok {
		return Channel{}, false
	}
	return s.channels[id].clone(), true
}

// Members returns the user IDs of a channel's members, or nil for an
// unknown channel.
func (s *Server) Members(channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()

	ch, ok := s.channels[channel]
	if !ok {
		return nil
	}
	return slices.Clone(ch.Members)
}

// Pins returns the timestamps of the messages pinned in a channel.
func (s *Server) Pins(channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()

	ch, ok := s.channels[channel]
	if !ok {
		return nil
	}
	return slices.Clone(ch.Pins)
}

func (c *Channel) clone() Channel {
	out := *c
	out.Members = slices.Clone(c.Members)
	out.Pins = slices.Clone(c.Pins)
	return out
}

// addChannel stores a new channel. A non-empty creator becomes its first member.
func (s *Server) addChannel(name string, private bool, creator string, now time.Time) *Channel {
	ch := &Channel{ID: s.newID("C"), Name: name, IsPrivate: private, Creator: creator, Created: now}
	if creator != "" {
		addMember(ch, creator)
	}

	s.channels[ch.ID] = ch
	s.channelOrder = append(s.channelOrder, ch.ID)
	s.channelNames[name] = ch.ID
	return ch
}

// openDM returns the direct message channel between the bot and user,
// creating it if needed. existed reports whether it was open before.
func (s *Server) openDM(user string, now time.Time) (ch *Channel, existed bool) {
	if id, ok := s.directByUser[user]; ok {
		return s.channels[id], true
	}

	ch = &Channel{ID: s.newID("D"), IsIM: true, IsPrivate: true, User: user, Created: now}
	addMember(ch, s.cfg.BotUserID)
	addMember(ch, user)

	s.channels[ch.ID] = ch
	s.channelOrder = append(s.channelOrder, ch.ID)
	s.directByUser[user] = ch.ID
	return ch, false
}

// visibleChannel returns a channel the bot can see. Slack hides private
// channels from non-members, so those are "channel_not_found" too.
func (s *Server) visibleChannel(id string) (*Channel, error) {
	ch, ok := s.channels[id]
	if !ok || (ch.IsPrivate && !hasMember(ch, s.cfg.BotUserID)) {
		return nil, fail("channel_not_found")
	}
	return ch, nil
}

func hasMember(ch *Channel, user string) bool {
	return slices.Contains(ch.Members, user)
}

func addMember(ch *Channel, user string) {
	if !hasMember(ch, user) {
		ch.Members = append(ch.Members, user)
	}
}

// validateChannelName applies Slack's rules for conversations.create: at most
// 80 characters of lowercase letters, digits, "-" and "_", not only
// punctuation.
func validateChannelName(name string) error {
	switch {
	case name == "":
		return fail("invalid_name_required")
	case strings.IndexFunc(name, isInvalidNameRune) >= 0:
		return fail("invalid_name_specials")
	case utf8.RuneCountInString(name) > maxChannelNameLength:
		return fail("invalid_name_maxlength")
	case strings.Trim(name, "-_") == "":
		return fail("invalid_name_punctuation")
	}
	return nil
}

func isInvalidNameRune(r rune) bool {
	valid := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_'
	return !valid
}

// wireChannel converts a channel to the conversation object slack-go reads.
func (s *Server) wireChannel(ch *Channel) slack.Channel {
	var out slack.Channel
	out.ID = ch.ID
	out.Created = slack.JSONTime(ch.Created.Unix())
	out.IsOpen = ch.IsIM
	out.IsIM = ch.IsIM
	out.IsPrivate = ch.IsPrivate
	out.User = ch.User
	out.Name = ch.Name
	out.NameNormalized = ch.Name
	out.Creator = ch.Creator
	out.IsArchived = ch.IsArchived
	out.NumMembers = len(ch.Members)
	out.IsChannel = !ch.IsIM
	out.IsMember = hasMember(ch, s.cfg.BotUserID)
	out.Purpose.Value = ch.Purpose
	return out
}
