package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/bot"
	"github.com/leitstelle/leitstelle/incident"
)

func TestFlow_ReportAndClaimOverHTTP(t *testing.T) {
	s := newSchool(t, ModeHTTP)

	// The form: views.open with the report questions for the teacher.
	inc := s.reportOverHTTP(s.teacher, beamerReport)
	views := s.fake.Views()
	if len(views) != 1 || views[0].UserID != s.teacher || views[0].CallbackID != "leitstelle:report" {
		t.Fatalf("views = %+v, want one report modal for the teacher", views)
	}

	// The ticket: one card in the triage channel, which Setup joined.
	if inc.Number != 1 || inc.Status != incident.StatusReported || inc.Priority != incident.P3 {
		t.Errorf("incident = #%d %s %s, want #1 reported P3", inc.Number, inc.Status, inc.Priority)
	}
	posts := s.fake.Messages(s.triage)
	if len(posts) != 1 || posts[0].TS != inc.TriagePostID {
		t.Fatalf("triage posts = %+v, want one with ts %s", posts, inc.TriagePostID)
	}
	if !strings.Contains(string(posts[0].Blocks), `"type":"header"`) || !strings.Contains(string(posts[0].Blocks), "#1 · P3") {
		t.Errorf("ticket blocks = %s, want a header with #1 · P3", posts[0].Blocks)
	}
	if !strings.Contains(string(posts[0].Attachments), `"action_id":"leitstelle:claim"`) {
		t.Errorf("ticket attachments = %s, want a claim button", posts[0].Attachments)
	}

	// The bot is not in the staff room, so the confirmation arrives as DM.
	waitFor(t, "confirmation to the teacher", func() bool { return containsAny(s.dmTexts(s.teacher), "Danke!") })

	// IT claims with :eyes: and the teacher hears about it.
	s.sendReaction(s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes"), "")
	claimed := s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim by IT")
	if claimed.ClaimerID != s.it || claimed.ClaimerName != "it.mueller" {
		t.Errorf("claimer = %s (%s), want %s (it.mueller)", claimed.ClaimerID, claimed.ClaimerName, s.it)
	}
	waitFor(t, "claim notice to the teacher", func() bool { return containsAny(s.dmTexts(s.teacher), "wird jetzt von it.mueller bearbeitet") })
	waitFor(t, "ticket card updated", func() bool { return s.fake.Messages(s.triage)[0].Updates > 0 })

	// A teacher's :eyes: claims nothing and explains why.
	s.sendReaction(s.fake.AddReaction(s.triage, inc.TriagePostID, s.colleague, "eyes"), "")
	waitFor(t, "explanation to the colleague", func() bool {
		return containsAny(s.ephemeralTexts(s.triage, s.colleague), "Nur das IT-Team")
	})
	s.adapter.Wait()
	after, err := s.store.Get(context.Background(), testSchool, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != incident.StatusClaimed || after.ClaimerID != s.it {
		t.Errorf("after the colleague's reaction: %s by %s, want claimed by %s", after.Status, after.ClaimerID, s.it)
	}
}

func TestFlow_TeacherReactionClaimsNothing(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	inc := s.reportOverHTTP(s.teacher, beamerReport)

	s.sendReaction(s.fake.AddReaction(s.triage, inc.TriagePostID, s.colleague, "eyes"), "")
	waitFor(t, "explanation to the colleague", func() bool {
		return containsAny(s.ephemeralTexts(s.triage, s.colleague), "Nur das IT-Team")
	})
	s.adapter.Wait()

	got, err := s.store.Get(context.Background(), testSchool, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != incident.StatusReported || got.ClaimerID != "" {
		t.Errorf("status = %s claimer %q, want reported and unclaimed", got.Status, got.ClaimerID)
	}
}

func TestFlow_UnclaimByRemovingReaction(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	inc := s.reportOverHTTP(s.teacher, beamerReport)

	s.sendReaction(s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes"), "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim")

	s.sendReaction(s.fake.RemoveReaction(s.triage, inc.TriagePostID, s.it, "eyes"), "")
	got := s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusReported }, "unclaim")
	if got.ClaimerID != "" {
		t.Errorf("claimer after unclaim = %q, want none", got.ClaimerID)
	}
}

func TestEvents_RetryHasOneEffect(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	inc := s.reportOverHTTP(s.teacher, beamerReport)

	added := s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	s.sendReaction(added, "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim")
	s.sendReaction(s.fake.RemoveReaction(s.triage, inc.TriagePostID, s.it, "eyes"), "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusReported }, "unclaim")

	// Slack retries the first event with the same event_id and a new
	// signature; a second claim would show that it was applied again.
	s.sendReaction(added, "1")
	s.adapter.Wait()

	if got := s.status(inc.Number); got != incident.StatusReported {
		t.Errorf("status after the retried claim event = %s, want reported", got)
	}
	if n := s.countEvents(inc.Number, incident.EventClaimed); n != 1 {
		t.Errorf("claimed events = %d, want 1", n)
	}
}

func TestEvents_RetryWithoutDeliveryLogHasOneEffect(t *testing.T) {
	s := newSchool(t, ModeHTTP, func(_ *Config, d *Deps) { d.Deliveries = nil })
	inc := s.reportOverHTTP(s.teacher, beamerReport)

	added := s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	s.sendReaction(added, "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim")
	s.sendReaction(s.fake.RemoveReaction(s.triage, inc.TriagePostID, s.it, "eyes"), "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusReported }, "unclaim")

	s.sendReaction(added, "2")
	s.adapter.Wait()
	if got := s.status(inc.Number); got != incident.StatusReported {
		t.Errorf("status after the retried claim event = %s, want reported", got)
	}
}

func TestEvents_RedeliveryAfterRestartHasNoEffect(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	inc := s.reportOverHTTP(s.teacher, beamerReport)
	added := s.fake.AddReaction(s.triage, inc.TriagePostID, s.it, "eyes")
	s.sendReaction(added, "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim")
	s.sendReaction(s.fake.RemoveReaction(s.triage, inc.TriagePostID, s.it, "eyes"), "")
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusReported }, "unclaim")

	// A new adapter has an empty memory; the store's delivery log remembers.
	restarted, err := New(s.adapter.cfg, Deps{Logger: testLogger(t), Deliveries: s.store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restarted.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	restarted.Attach(s.bot)
	app := httptest.NewServer(restarted.Handler())
	defer app.Close()

	resp, _ := s.do(slackfake.NewSignedRequest(testSecret, app.URL+PathEvents, added.Body(), slackfake.ContentTypeJSON, nowUTC()))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("redelivery status = %d, want 200", resp.StatusCode)
	}
	restarted.Wait()
	if got := s.status(inc.Number); got != incident.StatusReported {
		t.Errorf("status after redelivery to the restarted adapter = %s, want reported", got)
	}
}

func TestSubmission_TwiceCreatesOneIncident(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	resp, _ := s.send(PathCommands, s.command(s.teacher, s.staffRoom, "").Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/stoerung status = %d", resp.StatusCode)
	}
	submission := s.submission(s.fake.Views()[0], s.teacher, beamerReport)

	for i := range 2 {
		resp, body := s.send(PathInteractivity, submission.Body(), slackfake.ContentTypeForm)
		if resp.StatusCode != http.StatusOK || len(body) != 0 {
			t.Fatalf("submission %d: status %d body %s, want 200 and empty", i+1, resp.StatusCode, body)
		}
	}
	s.adapter.Wait()

	if n := len(s.incidents()); n != 1 {
		t.Errorf("incidents = %d, want 1", n)
	}
	if n := len(s.fake.Messages(s.triage)); n != 1 {
		t.Errorf("triage posts = %d, want 1", n)
	}
}

func TestSubmission_FieldErrorsBesideFields(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	s.send(PathCommands, s.command(s.teacher, s.staffRoom, "").Body(), slackfake.ContentTypeForm)
	bad := beamerReport
	bad.location = ""
	bad.category = "kaffeemaschine"

	resp, body := s.send(PathInteractivity, s.submission(s.fake.Views()[0], s.teacher, bad).Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	if answer.ResponseAction != "errors" || answer.Errors["location"] == "" || answer.Errors["category"] == "" {
		t.Errorf("answer = %+v, want errors for location and category", answer)
	}
	if n := len(s.incidents()); n != 0 {
		t.Errorf("incidents = %d, want 0", n)
	}
}

func TestSubmission_ForgedStateShowsError(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	s.send(PathCommands, s.command(s.teacher, s.staffRoom, "").Body(), slackfake.ContentTypeForm)
	forged := s.submission(s.fake.Views()[0], s.teacher, beamerReport)
	forged.PrivateMetadata = `{"f":"report","s":"v1.e30.forged","c":"` + s.staffRoom + `"}`

	_, body := s.send(PathInteractivity, forged.Body(), slackfake.ContentTypeForm)
	var answer struct {
		ResponseAction string `json:"response_action"`
		View           struct {
			Blocks []struct {
				Text struct{ Text string } `json:"text"`
			} `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	if answer.ResponseAction != "push" || len(answer.View.Blocks) == 0 || !strings.Contains(answer.View.Blocks[0].Text.Text, "ungültig") {
		t.Errorf("answer = %s, want a pushed view saying the form is invalid", body)
	}
	if n := len(s.incidents()); n != 0 {
		t.Errorf("incidents = %d, want 0", n)
	}
}

func TestFlow_P1OpensCoordinationChannel(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	// The channel name the bot picks is taken, so the adapter adds "-2".
	name := bot.CoordinationChannelName(1, "Lernplattform für alle ausgefallen")
	s.fake.AddChannel(name, false)

	inc := s.reportOverHTTP(s.teacher, platformReport)
	if inc.Priority != incident.P1 {
		t.Fatalf("priority = %s, want P1", inc.Priority)
	}
	withChannel := s.waitForIncident(func(i *incident.Incident) bool { return i.CoordinationChannelID != "" }, "coordination channel")

	creates := s.fake.Calls("conversations.create")
	if len(creates) != 2 || creates[0].Error != "name_taken" || creates[1].Error != "" {
		t.Fatalf("conversations.create calls = %+v, want name_taken then success", creates)
	}
	if got := creates[1].Params.Get("name"); got != name+"-2" {
		t.Errorf("created name = %q, want %q", got, name+"-2")
	}
	if creates[1].Params.Get("is_private") != "true" {
		t.Errorf("is_private = %q, want true", creates[1].Params.Get("is_private"))
	}

	members := s.fake.Members(withChannel.CoordinationChannelID)
	want := []string{s.fake.Config().BotUserID, s.teacher, s.it, s.head}
	slices.Sort(members)
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("members = %v, want bot, reporter, IT (by name) and head (by id) %v", members, want)
	}
	invites := s.fake.Calls("conversations.invite")
	if len(invites) != 1 || invites[0].Error != "" {
		t.Errorf("conversations.invite calls = %+v, want one successful", invites)
	}

	waitFor(t, "pinned summary", func() bool { return len(s.fake.Pins(withChannel.CoordinationChannelID)) == 1 })
	link := "<#" + withChannel.CoordinationChannelID + ">"
	waitFor(t, "leadership note with a channel link", func() bool {
		for _, m := range s.fake.Messages(s.leadership) {
			if strings.Contains(m.Text, link) {
				return true
			}
		}
		return false
	})
}

// sendReaction delivers a reaction event over HTTP, as a retry when
// retryNum is set.
func (s *school) sendReaction(ev slackfake.ReactionEvent, retryNum string) {
	s.t.Helper()
	at := nowUTC()
	if retryNum != "" {
		// A retry is signed anew; a later second makes its signature differ
		// from the first delivery's, as Slack's does.
		at = at.Add(2 * time.Second)
	}
	req := slackfake.NewSignedRequest(testSecret, s.app.URL+PathEvents, ev.Body(), slackfake.ContentTypeJSON, at)
	if retryNum != "" {
		req.Header.Set("X-Slack-Retry-Num", retryNum)
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	resp, body := s.do(req)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("event %s: status %d body %s, want 200", ev.EventID, resp.StatusCode, body)
	}
}

func (s *school) status(number int64) incident.Status {
	s.t.Helper()
	inc, err := s.store.Get(context.Background(), testSchool, number)
	if err != nil {
		s.t.Fatal(err)
	}
	return inc.Status
}

func (s *school) countEvents(number int64, kind incident.EventKind) int {
	s.t.Helper()
	events, err := s.store.Timeline(context.Background(), testSchool, number)
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func TestFlow_ButtonsClaimAndAskForNote(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	inc := s.reportOverHTTP(s.teacher, beamerReport)

	responseURL := s.fake.NewResponseURL()
	s.pressButton(inc, "leitstelle:claim", responseURL)
	s.waitForIncident(func(i *incident.Incident) bool { return i.Status == incident.StatusClaimed }, "claim by button")
	waitFor(t, "reply through the response URL", func() bool {
		for _, c := range s.fake.Calls(slackfake.MethodResponseURL) {
			if strings.Contains(string(c.JSON), "Sie haben #1 übernommen") {
				return true
			}
		}
		return false
	})

	// "Gelöst" needs a note, so the bot opens the note form with the
	// button's trigger.
	waitFor(t, "resolve button on the updated card", func() bool {
		return strings.Contains(string(s.fake.Messages(s.triage)[0].Attachments), "leitstelle:resolve")
	})
	s.pressButton(inc, "leitstelle:resolve", s.fake.NewResponseURL())
	waitFor(t, "note form", func() bool {
		views := s.fake.Views()
		return len(views) == 2 && views[1].CallbackID == "leitstelle:note" && views[1].UserID == s.it
	})
}

func TestBlockActions_ForeignButtonIgnored(t *testing.T) {
	s := newSchool(t, ModeHTTP)
	inc := s.reportOverHTTP(s.teacher, beamerReport)

	actions := slackfake.BlockActions{
		Interaction: slackfake.Interaction{UserID: s.it, UserName: "it.mueller", TriggerID: s.fake.NewTrigger(s.it)},
		ChannelID:   s.triage, MessageTS: inc.TriagePostID, ResponseURL: s.fake.NewResponseURL(),
		Actions: []slackfake.Action{{ActionID: "other-app:claim", BlockID: "b", Type: "button", Value: s.buttonToken(inc, "leitstelle:claim")}},
	}
	resp, _ := s.send(PathInteractivity, actions.Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	s.adapter.Wait()
	if got := s.status(inc.Number); got != incident.StatusReported {
		t.Errorf("status = %s, want reported", got)
	}
}

// pressButton sends the block action of the button actionID on the ticket
// of inc, pressed by the IT member.
func (s *school) pressButton(inc *incident.Incident, actionID, responseURL string) {
	s.t.Helper()
	actions := slackfake.BlockActions{
		Interaction: slackfake.Interaction{TeamID: s.fake.Config().TeamID, UserID: s.it, UserName: "it.mueller", TriggerID: s.fake.NewTrigger(s.it)},
		ChannelID:   s.triage,
		MessageTS:   inc.TriagePostID,
		ResponseURL: responseURL,
		Actions:     []slackfake.Action{{ActionID: actionID, BlockID: "leitstelle-actions", Type: "button", Value: s.buttonToken(inc, actionID)}},
	}
	resp, body := s.send(PathInteractivity, actions.Body(), slackfake.ContentTypeForm)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		s.t.Fatalf("block action: status %d body %q, want 200 and empty", resp.StatusCode, body)
	}
}

// buttonToken returns the value of button actionID on the ticket of inc.
func (s *school) buttonToken(inc *incident.Incident, actionID string) string {
	s.t.Helper()
	for _, m := range s.fake.Messages(s.triage) {
		if m.TS != inc.TriagePostID {
			continue
		}
		var attachments []struct {
			Blocks []struct {
				Elements []struct {
					ActionID string `json:"action_id"`
					Value    string `json:"value"`
				} `json:"elements"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal(m.Attachments, &attachments); err != nil {
			s.t.Fatal(err)
		}
		for _, a := range attachments {
			for _, b := range a.Blocks {
				for _, e := range b.Elements {
					if e.ActionID == actionID {
						return e.Value
					}
				}
			}
		}
	}
	s.t.Fatalf("no button %s on the ticket of #%d", actionID, inc.Number)
	return ""
}
