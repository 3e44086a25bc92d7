package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/incident"
)

// runSocket starts Run in socket mode and waits for the connection. The
// test's cleanup stops Run and checks that it returned without error.
func (s *school) runSocket() {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.adapter.Run(ctx) }()
	s.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			s.t.Errorf("Run returned %v after cancel, want nil", err)
		}
	})
	waitFor(s.t, "socket mode connection", func() bool { return s.fake.SocketConnections() == 1 })
}

// sendEnvelope sends an envelope and waits for its acknowledgement, which
// it returns.
func (s *school) sendEnvelope(env slackfake.Envelope) json.RawMessage {
	s.t.Helper()
	id, err := s.fake.Send(env)
	if err != nil {
		s.t.Fatal(err)
	}
	waitFor(s.t, "acknowledgement of "+env.Type+" "+id, func() bool { return len(s.fake.Acks(id)) > 0 })
	return s.fake.Acks(id)[0]
}

// ackPayload returns the payload of an acknowledgement, "" for none.
func ackPayload(t *testing.T, ack json.RawMessage) string {
	t.Helper()
	var a struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(ack, &a); err != nil {
		t.Fatalf("acknowledgement %s is not JSON: %v", ack, err)
	}
	return string(a.Payload)
}

func TestSocketMode_ReportClaimAndAcks(t *testing.T) {
	s := newSchool(t, ModeSocket)
	s.runSocket()

	ack := s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeSlashCommands, Payload: s.command(s.teacher, s.staffRoom, "").Payload()})
	if p := ackPayload(t, ack); p != "" {
		t.Errorf("acknowledgement payload of the form command = %s, want none", p)
	}
	views := s.fake.Views()
	if len(views) != 1 {
		t.Fatalf("views = %d, want 1", len(views))
	}

	submission := s.submission(views[0], s.teacher, beamerReport)
	ack = s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeInteractive, Payload: submission.Payload()})
	if p := ackPayload(t, ack); p != "" {
		t.Errorf("acknowledgement payload of the submission = %s, want none, which closes the modal", p)
	}
	inc := s.waitForIncident(func(i *incident.Incident) bool { return i.TriagePostID != "" }, "ticket posted")

	claim := s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeEventsAPI, Payload: claim.Body()})
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim")
	unclaim := s.fake.RemoveReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeEventsAPI, Payload: unclaim.Body()})
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusReported }, "unclaim")

	// A redelivery carries the same event_id in a new envelope.
	s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeEventsAPI, Payload: claim.Body(), RetryAttempt: 1, RetryReason: "timeout"})
	s.adapter.Wait()
	if got := s.status(inc.Number); got != incident.StatusReported {
		t.Errorf("status after the redelivered claim = %s, want reported", got)
	}
}

func TestSocketMode_CommandReplyInAck(t *testing.T) {
	s := newSchool(t, ModeSocket)
	s.runSocket()

	ack := s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeSlashCommands, Payload: s.command(s.teacher, s.staffRoom, "hilfe").Payload()})

	var payload commandResponse
	if err := json.Unmarshal([]byte(ackPayload(t, ack)), &payload); err != nil {
		t.Fatalf("acknowledgement %s has no command response: %v", ack, err)
	}
	if payload.ResponseType != "ephemeral" || !strings.Contains(payload.Text, "Leitstelle") {
		t.Errorf("payload = %+v, want the ephemeral help", payload)
	}
}

func TestSocketMode_EveryEnvelopeAcknowledged(t *testing.T) {
	s := newSchool(t, ModeSocket)
	s.runSocket()

	envelopes := []slackfake.Envelope{
		{Type: "some_future_type", Payload: json.RawMessage(`{}`)},
		{Type: slackfake.EnvelopeEventsAPI, Payload: json.RawMessage(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":"U1"}}`)},
		{Type: slackfake.EnvelopeInteractive, Payload: json.RawMessage(`{"type":"view_closed","view":{"callback_id":"leitstelle:report"}}`)},
		{Type: slackfake.EnvelopeSlashCommands, Payload: json.RawMessage(`{"command":"/kaffee","user_id":"U1"}`)},
	}
	for _, env := range envelopes {
		t.Run(env.Type, func(t *testing.T) {
			s.sendEnvelope(env)
		})
	}
}

func TestSocketMode_CatchUpAfterReconnect(t *testing.T) {
	s := newSchool(t, ModeSocket)
	s.runSocket()
	s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeSlashCommands, Payload: s.command(s.teacher, s.staffRoom, "").Payload()})
	s.sendEnvelope(slackfake.Envelope{Type: slackfake.EnvelopeInteractive, Payload: s.submission(s.fake.Views()[0], s.teacher, beamerReport).Payload()})
	inc := s.waitForIncident(func(i *incident.Incident) bool { return i.TriagePostID != "" }, "ticket posted")

	// The reaction event never arrives; the adapter finds the reaction with
	// reactions.get after the next connection.
	s.fake.AddReaction(s.triage, inc.TriagePostID, s.colleague, "eyes")
	s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	if err := s.fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reconnection", func() bool { return s.fake.SocketConnections() == 2 })

	claimed := s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "reconciled claim")
	if claimed.ClaimerID != s.it {
		t.Errorf("claimer = %s, want the IT member %s, not the colleague who reacted first", claimed.ClaimerID, s.it)
	}

	// The removal is missed too; the next connection releases the claim.
	s.fake.RemoveReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	if err := s.fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second reconnection", func() bool { return s.fake.SocketConnections() == 3 })
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusReported }, "released claim")
}

func TestSocketMode_InvalidAppTokenStopsRun(t *testing.T) {
	s := newSchool(t, ModeSocket, func(c *Config, _ *Deps) { c.AppToken = "xapp-1-not-the-right-token" })

	err := s.adapter.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("Run = %v, want an invalid_auth error", err)
	}
}
