package mmtest

import (
	"context"
	"fmt"

	"github.com/mattermost/mattermost/server/public/model"
)

// memberNames are the users that Start creates after the admin, in order.
var memberNames = []string{TeacherName, IT1Name, IT2Name, LeadershipName}

// createSchool creates the admin, team, users, bot and channels. The
// admin joins the team as its creator.
func (s *Server) createSchool(ctx context.Context) error {
	s.users = make(map[string]account)

	// On an open server the first user becomes system admin.
	admin, err := s.createUser(ctx, model.NewAPIv4Client(s.URL), AdminName)
	if err != nil {
		return err
	}
	s.Admin = admin.client

	if err := s.createTeam(ctx); err != nil {
		return err
	}
	for _, name := range memberNames {
		if _, err := s.createUser(ctx, s.Admin, name); err != nil {
			return err
		}
	}

	if err := s.createBot(ctx); err != nil {
		return err
	}
	for _, name := range append([]string{BotName}, memberNames...) {
		if _, _, err := s.Admin.AddTeamMember(ctx, s.TeamID, s.UserID(name)); err != nil {
			return fmt.Errorf("add %s to team %s: %w", name, TeamName, err)
		}
	}

	return s.createChannels(ctx)
}

// createUser creates the named user through creator, logs in as that
// user and records the account.
func (s *Server) createUser(ctx context.Context, creator *model.Client4, name string) (account, error) {
	user := &model.User{
		Username: name,
		Email:    name + "@schule.test",
		Password: Password,
	}
	created, _, err := creator.CreateUser(ctx, user)
	if err != nil {
		return account{}, fmt.Errorf("create user %s: %w", name, err)
	}

	client := model.NewAPIv4Client(s.URL)
	if _, _, err := client.Login(ctx, name, Password); err != nil {
		return account{}, fmt.Errorf("log in as %s: %w", name, err)
	}

	a := account{id: created.Id, client: client}
	s.users[name] = a
	return a, nil
}

// createTeam creates the open team "schule".
func (s *Server) createTeam(ctx context.Context) error {
	team := &model.Team{Name: TeamName, DisplayName: "Schule", Type: model.TeamOpen}
	created, _, err := s.Admin.CreateTeam(ctx, team)
	if err != nil {
		return fmt.Errorf("create team %s: %w", TeamName, err)
	}
	s.TeamID = created.Id
	return nil
}

// createBot creates the bot "leitstelle" and an access token for it.
func (s *Server) createBot(ctx context.Context) error {
	bot := &model.Bot{Username: BotName, DisplayName: "Leitstelle", Description: "IT-Störungen der Schule"}
	created, _, err := s.Admin.CreateBot(ctx, bot)
	if err != nil {
		return fmt.Errorf("create bot %s: %w", BotName, err)
	}

	token, _, err := s.Admin.CreateUserAccessToken(ctx, created.UserId, "end-to-end tests")
	if err != nil {
		return fmt.Errorf("create token of bot %s: %w", BotName, err)
	}

	s.BotUserID = created.UserId
	s.BotToken = token.Token
	s.Bot = model.NewAPIv4Client(s.URL)
	s.Bot.SetToken(token.Token)
	s.users[BotName] = account{id: created.UserId, client: s.Bot}
	return nil
}

// createChannels looks up town square and creates the private channels
// of triage and leadership. The admin, as creator, is a member of both.
func (s *Server) createChannels(ctx context.Context) error {
	townSquare, _, err := s.Admin.GetChannelByName(ctx, model.DefaultChannelName, s.TeamID, "")
	if err != nil {
		return fmt.Errorf("get channel %s: %w", model.DefaultChannelName, err)
	}
	s.TownSquareID = townSquare.Id

	s.TriageChannelID, err = s.createChannel(ctx, TriageChannel, "IT-Störungen", BotName, IT1Name, IT2Name)
	if err != nil {
		return err
	}
	s.LeadershipChannelID, err = s.createChannel(ctx, LeadershipChannel, "Schulleitung", BotName, LeadershipName)
	return err
}

// createChannel creates a private channel with the named members and
// returns its id.
func (s *Server) createChannel(ctx context.Context, name, displayName string, members ...string) (string, error) {
	channel := &model.Channel{
		TeamId:      s.TeamID,
		Name:        name,
		DisplayName: displayName,
		Type:        model.ChannelTypePrivate,
	}
	created, _, err := s.Admin.CreateChannel(ctx, channel)
	if err != nil {
		return "", fmt.Errorf("create channel %s: %w", name, err)
	}

	for _, member := range members {
		if _, _, err := s.Admin.AddChannelMember(ctx, created.Id, s.UserID(member)); err != nil {
			return "", fmt.Errorf("add %s to channel %s: %w", member, name, err)
		}
	}
	return created.Id, nil
}
