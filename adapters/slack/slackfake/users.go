package slackfake

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// User is a member of the fake workspace.
type User struct {
	// ID is the user ID. AddUser assigns one (U…) when it is empty.
	ID       string
	Name     string
	RealName string
	Email    string
	// TZ is the IANA time zone, such as "Europe/Berlin".
	TZ      string
	IsBot   bool
	IsAdmin bool
}

// AddUser adds a user to the workspace and returns its ID. It panics if a
// user with the same ID or email exists, because that is a mistake in the test.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if u.ID == "" {
		u.ID = s.newID("U")
	}
	if _, ok := s.users[u.ID]; ok {
		panic(fmt.Sprintf("slackfake: AddUser: user ID %q exists", u.ID))
	}
	if _, ok := s.userByEmail(u.Email); ok {
		panic(fmt.Sprintf("slackfake: AddUser: email %q exists", u.Email))
	}

	s.users[u.ID] = &u
	s.userOrder = append(s.userOrder, u.ID)
	return u.ID
}

func (s *Server) addBotUser() {
	bot := &User{ID: s.cfg.BotUserID, Name: s.cfg.BotName, RealName: s.cfg.BotName, IsBot: true}
	s.users[bot.ID] = bot
	s.userOrder = append(s.userOrder, bot.ID)
}

func (s *Server) userByEmail(email string) (*User, bool) {
	if email == "" {
		return nil, false
	}
	for _, id := range s.userOrder {
		if u := s.users[id]; strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return nil, false
}

func (s *Server) authTest(*request) (obj, error) {
	return obj{
		"url":     s.APIURL(),
		"team":    s.cfg.TeamName,
		"user":    s.cfg.BotName,
		"team_id": s.cfg.TeamID,
		"user_id": s.cfg.BotUserID,
		"bot_id":  s.cfg.BotID,
	}, nil
}

// usersList pages through all users, the bot included, in the order they
// were added.
func (s *Server) usersList(r *request) (obj, error) {
	all := make([]slack.User, 0, len(s.userOrder))
	for _, id := range s.userOrder {
		all = append(all, s.wireUser(s.users[id]))
	}

	members, next, err := page(all, r.params.Get("cursor"), r.params.Get("limit"))
	if err != nil {
		return nil, err
	}
	return obj{"members": members, "response_metadata": obj{"next_cursor": next}}, nil
}

func (s *Server) usersInfo(r *request) (obj, error) {
	u, ok := s.users[r.params.Get("user")]
	if !ok {
		return nil, fail("user_not_found")
	}
	return obj{"user": s.wireUser(u)}, nil
}

// wireUser converts a user to the shape slack-go reads from users.info.
func (s *Server) wireUser(u *User) slack.User {
	out := slack.User{
		ID:       u.ID,
		TeamID:   s.cfg.TeamID,
		Name:     u.Name,
		RealName: u.RealName,
		TZ:       u.TZ,
		IsBot:    u.IsBot,
		IsAdmin:  u.IsAdmin,
		Profile: slack.UserProfile{
			RealName:    u.RealName,
			DisplayName: u.Name,
			Email:       u.Email,
		},
	}
	if u.ID == s.cfg.BotUserID {
		out.Profile.BotID = s.cfg.BotID
		out.Profile.ApiAppID = s.cfg.AppID
	}
	return out
}
