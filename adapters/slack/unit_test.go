package slack

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRecentSet_ForgetsAfterMemory(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	set := newRecentSet(time.Hour, 100, clock.Now)

	if !set.Add("Ev1") {
		t.Fatal("first Add(Ev1) = false, want true")
	}
	clock.Advance(59 * time.Minute)
	if set.Add("Ev1") {
		t.Error("Add(Ev1) after 59 minutes = true, want false")
	}
	clock.Advance(2 * time.Minute)
	if !set.Add("Ev1") {
		t.Error("Add(Ev1) after 61 minutes = false, want true")
	}
}

func TestRecentSet_BoundedSize(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	set := newRecentSet(time.Hour, 3, clock.Now)
	for _, key := range []string{"a", "b", "c", "d"} {
		set.Add(key)
	}

	if n := len(set.keys); n != 3 {
		t.Errorf("keys = %d, want 3", n)
	}
	if !set.Add("a") {
		t.Error("Add(a) after eviction = false, want true: the oldest key was dropped")
	}
	if set.Add("d") {
		t.Error("Add(d) = true, want false: the newest key is kept")
	}
}

func TestChannelName_Normalised(t *testing.T) {
	cases := []struct{ in, want string }{
		{"stoerung-0007-wlan", "stoerung-0007-wlan"},
		{"Störung 7: WLAN!", "st-rung-7-wlan"},
		{"--__--", "stoerung"},
		{strings.Repeat("a", 90), strings.Repeat("a", 80)},
	}
	for _, tc := range cases {
		if got := channelName(tc.in); got != tc.want {
			t.Errorf("channelName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	long := withSuffix(strings.Repeat("b", 80), 12)
	if len(long) != 80 || !strings.HasSuffix(long, "-12") {
		t.Errorf("withSuffix = %q (%d), want 80 characters ending in -12", long, len(long))
	}
}

func TestConfig_ValidateNamesField(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.BotToken, c.AppToken, c.SigningSecret, c.TriageChannel = "xoxb-1", "xapp-1", "secret", "it-triage"
		return c
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}

	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"mode", func(c *Config) { c.Mode = "webhook" }, `mode "webhook"`},
		{"bot token", func(c *Config) { c.BotToken = "xoxp-user-token" }, "bot token"},
		{"app token", func(c *Config) { c.AppToken = "" }, "app token"},
		{"signing secret", func(c *Config) { c.Mode, c.SigningSecret = ModeHTTP, "" }, "signing secret"},
		{"listen address", func(c *Config) { c.Mode, c.ListenAddr = ModeHTTP, "" }, "listen address"},
		{"triage channel", func(c *Config) { c.TriageChannel = " " }, "triage channel"},
		{"command", func(c *Config) { c.Commands = []string{"stoerung"} }, `command "stoerung"`},
		{"api url", func(c *Config) { c.APIURL = "https://slack.com/api" }, "must end in"},
		{"ack timeout", func(c *Config) { c.AckTimeout = 3 * time.Second }, "ack timeout 3s"},
		{"body limit", func(c *Config) { c.MaxBodyBytes = 1024 }, "max body 1024"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}

	secret := valid()
	secret.BotToken = "xoxp-secret-value"
	if err := secret.Validate(); err == nil || strings.Contains(err.Error(), "secret-value") {
		t.Errorf("Validate() = %v, want an error without the token value", err)
	}
}

func TestAnswerWithin_LateResultGoesToLate(t *testing.T) {
	a := newTestAdapter(t)
	a.cfg.AckTimeout = time.Millisecond
	release := make(chan struct{})
	late := make(chan string, 1)

	got, inTime := answerWithin(context.Background(), a, "test",
		func(context.Context) string { <-release; return "answer" },
		func(_ context.Context, v string) { late <- v })
	if inTime || got != "" {
		t.Fatalf("answerWithin = %q, %v; want no answer before the release", got, inTime)
	}

	close(release)
	a.Wait()
	select {
	case v := <-late:
		if v != "answer" {
			t.Errorf("late got %q, want answer", v)
		}
	default:
		t.Error("late was not called")
	}
}

func TestAnswerWithin_FastResultReturned(t *testing.T) {
	a := newTestAdapter(t)
	a.cfg.AckTimeout = maxAckTimeout
	lateCalled := make(chan struct{}, 1)

	got, inTime := answerWithin(context.Background(), a, "test",
		func(context.Context) string { return "answer" },
		func(context.Context, string) { lateCalled <- struct{}{} })
	a.Wait()

	if !inTime || got != "answer" {
		t.Errorf("answerWithin = %q, %v; want answer, true", got, inTime)
	}
	if len(lateCalled) != 0 {
		t.Error("late was called for a result that arrived in time")
	}
}
