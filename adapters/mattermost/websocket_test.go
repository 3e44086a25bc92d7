package mattermost

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

func TestReconnectDelay(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{0, time.Second},
		{1, 2 * time.Second},
		{2, 4 * time.Second},
		{5, 32 * time.Second},
		{6, time.Minute},
		{100, time.Minute},
	}
	for _, c := range cases {
		if got := reconnectDelay(c.attempt, time.Second, time.Minute); got != c.want {
			t.Errorf("reconnectDelay(%d) = %s, want %s", c.attempt, got, c.want)
		}
	}
}

func readEvent(t *testing.T, name string) *model.WebSocketEvent {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	event, err := model.WebSocketEventFromJSON(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return event
}

func TestParseReactionEvent_Fixtures(t *testing.T) {
	cases := []struct {
		file  string
		added bool
	}{
		{"ws-reaction-added-event.json", true},
		{"ws-reaction-removed-event.json", false},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r, err := parseReactionEvent(readEvent(t, c.file))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if r.added != c.added {
				t.Errorf("added = %v, want %v", r.added, c.added)
			}
			if r.reaction.UserId != fixtureIT1ID || r.reaction.PostId != "xcdjc8m8d3fh8naknmgbgz8uph" || r.reaction.EmojiName != "eyes" {
				t.Errorf("reaction = user %q post %q emoji %q, want it1 on xcdjc8m8d3fh8naknmgbgz8uph with eyes",
					r.reaction.UserId, r.reaction.PostId, r.reaction.EmojiName)
			}
			// The removed reaction has no channel of its own.
			if r.channelID != "rwiy4cpiw38o9rtgcz1ezegaxw" {
				t.Errorf("channel = %q, want the broadcast channel rwiy4cpiw38o9rtgcz1ezegaxw", r.channelID)
			}
		})
	}
}

func TestParseDirectMessage(t *testing.T) {
	event := readEvent(t, "ws-posted-event.json")
	if _, ok := parseDirectMessage(event); ok {
		t.Error("post in a private channel counted as direct message")
	}

	data, err := os.ReadFile("testdata/ws-posted-event.json")
	if err != nil {
		t.Fatal(err)
	}
	direct, err := model.WebSocketEventFromJSON(strings.NewReader(strings.Replace(string(data), `"channel_type": "P"`, `"channel_type": "D"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	post, ok := parseDirectMessage(direct)
	if !ok {
		t.Fatal("post in a direct channel not recognised")
	}
	if post.Id != "xcdjc8m8d3fh8naknmgbgz8uph" || post.GetProp(model.PostPropsFromBot) != "true" {
		t.Errorf("post = id %q from_bot %v, want xcdjc8m8d3fh8naknmgbgz8uph from a bot", post.Id, post.GetProp(model.PostPropsFromBot))
	}
}
