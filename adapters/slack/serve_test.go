package slack

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/incident"
)

func TestServe_RepostsMissingTicketAndStops(t *testing.T) {
	s := newSchool(t, ModeHTTP)

	// A ticket stored during a chat outage has no triage post yet.
	inc, first, err := incident.NewIncident(incident.DefaultMatrix(), incident.Report{
		Description: "WLAN im Nordflügel ausgefallen", Location: "Nordflügel",
		Category: incident.CategoryNetwork, Impact: incident.ImpactWing, Urgency: incident.UrgencySevere,
	}, incident.Actor{ID: s.teacher, Name: "lehrer.schmidt"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	inc.School, inc.Platform = testSchool, "slack"
	if _, _, err := s.store.Create(context.Background(), inc, first); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.adapter.Serve(ctx, ln) }()

	s.waitForIncident(func(i *incident.Incident) bool { return i.TriagePostID != "" }, "reposted ticket")
	if n := len(s.fake.Messages(s.triage)); n != 1 {
		t.Errorf("triage posts = %d, want 1", n)
	}

	req := slackfake.NewSignedRequest(testSecret, "http://"+ln.Addr().String()+PathCommands,
		s.command(s.teacher, s.staffRoom, "hilfe").Body(), slackfake.ContentTypeForm, time.Now())
	resp, body := s.do(req)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Leitstelle") {
		t.Errorf("served command: status %d body %.80s, want 200 with the help", resp.StatusCode, body)
	}

	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after cancel, want nil", err)
	}
}
