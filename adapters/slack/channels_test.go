package slack

import (
	"context"
	"slices"
	"testing"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/bot"
)

func TestCreateChannel_SkipsUnknownAndFailingMembers(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	spec := bot.ChannelSpec{
		Name:        "stoerung-0042-drucker",
		Purpose:     "Koordination",
		Private:     true,
		MemberIDs:   []string{s.teacher, "U0GONE001", s.fake.Config().BotUserID, s.teacher},
		MemberNames: []string{"IT.Mueller", "@sl.meier", "niemand"},
	}

	ch, err := s.adapter.CreateChannel(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "stoerung-0042-drucker" || ch.Link != "<#"+ch.ID+">" {
		t.Errorf("channel = %+v, want the given name and a <#id> link", ch)
	}

	members := s.fake.Members(ch.ID)
	want := []string{s.fake.Config().BotUserID, s.teacher, s.it, s.head}
	slices.Sort(members)
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("members = %v, want %v: the unknown user and name skipped", members, want)
	}
	if got, _ := s.fake.ChannelByName("stoerung-0042-drucker"); got.Purpose != "Koordination" || !got.IsPrivate {
		t.Errorf("channel = %+v, want private with the purpose", got)
	}
	// One call for all four, which fails on U0GONE001, then one per member.
	if n := len(s.fake.Calls("conversations.invite")); n != 1+4 {
		t.Errorf("conversations.invite calls = %d, want 5", n)
	}
}

func TestDM_OpensConversationOnce(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	ctx := context.Background()

	for range 2 {
		if err := s.adapter.DM(ctx, s.teacher, bot.Message{Text: "Hallo"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.fake.Calls("conversations.open")); n != 1 {
		t.Errorf("conversations.open calls = %d, want 1", n)
	}
	if got := s.dmTexts(s.teacher); len(got) != 2 {
		t.Errorf("direct messages = %v, want 2", got)
	}
}

func TestSetup_ErrorsSayWhatToFix(t *testing.T) {
	fake := slackfake.MustStart(t, slackfake.DefaultConfig())
	fake.AddChannel("geheim", true)
	cases := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"wrong token", func(c *Config) { c.BotToken = "xoxb-wrong" }, "check the bot token"},
		{"missing channel", func(c *Config) { c.TriageChannel = "#gibt-es-nicht" }, `no channel named "gibt-es-nicht"`},
		{"private without bot", func(c *Config) { c.TriageChannel = "geheim" }, "invite the app"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.BotToken, cfg.AppToken, cfg.APIURL = fake.Config().BotToken, fake.Config().AppToken, fake.APIURL()
			cfg.TriageChannel = "it-triage"
			tc.change(&cfg)
			a, err := New(cfg, Deps{Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}

			_, err = a.Setup(context.Background())
			if err == nil || !containsAny([]string{err.Error()}, tc.wantErr) {
				t.Errorf("Setup() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
