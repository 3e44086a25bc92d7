package incident_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

var (
	teacher    = incident.Actor{ID: "u-teacher", Name: "lehrkraft"}
	otherUser  = incident.Actor{ID: "u-other", Name: "kollege"}
	it1        = incident.Actor{ID: "u-it1", Name: "it1", IT: true}
	it2        = incident.Actor{ID: "u-it2", Name: "it2", IT: true}
	leadership = incident.Actor{ID: "u-lead", Name: "schulleitung", Leadership: true}
	now        = time.Date(2026, 12, 7, 8, 15, 0, 0, time.UTC)
)

func newReported(t *testing.T) *incident.Incident {
	t.Helper()
	inc, ev, err := incident.NewIncident(incident.DefaultMatrix(), incident.Report{
		Description: "Beamer in Raum 204 zeigt kein Bild", Location: "Raum 204",
		Category: incident.CategoryDisplay, Impact: incident.ImpactClass, Urgency: incident.UrgencyHindered,
	}, teacher, now)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != incident.EventReported {
		t.Fatalf("first event kind: got %q, want %q", ev.Kind, incident.EventReported)
	}
	inc.Number = 1
	return inc
}

// inStatus builds an incident in status s by applying allowed steps.
func inStatus(t *testing.T, s incident.Status) *incident.Incident {
	t.Helper()
	inc := newReported(t)
	steps := map[incident.Status][]incident.Change{
		incident.StatusReported:  nil,
		incident.StatusClaimed:   {incident.Claim(it1)},
		incident.StatusEscalated: {incident.Claim(it1), incident.Escalate(it1, "Schulträger-IT")},
		incident.StatusResolved:  {incident.Claim(it1), incident.Resolve(it1, "Kabel getauscht")},
		incident.StatusClosed:    {incident.Claim(it1), incident.Resolve(it1, "Kabel getauscht"), incident.Close(it1, "HDMI-Kabel defekt")},
		incident.StatusWithdrawn: {incident.Withdraw(teacher)},
		incident.StatusDuplicate: {incident.MarkDuplicate(it1, 9)},
	}
	for _, step := range steps[s] {
		if _, err := step(inc, now); err != nil {
			t.Fatalf("prepare %s: %v", s, err)
		}
	}
	if inc.Status != s {
		t.Fatalf("prepare: got status %s, want %s", inc.Status, s)
	}
	return inc
}

func TestLifecycle_Transitions(t *testing.T) {
	tests := []struct {
		name     string
		from     incident.Status
		change   incident.Change
		wantCode string // "" means allowed
		want     incident.Status
	}{
		{"IT claims reported", incident.StatusReported, incident.Claim(it1), "", incident.StatusClaimed},
		{"teacher cannot claim", incident.StatusReported, incident.Claim(teacher), incident.EFORBIDDEN, incident.StatusReported},
		{"leadership cannot claim", incident.StatusReported, incident.Claim(leadership), incident.EFORBIDDEN, incident.StatusReported},
		{"second IT cannot take a claimed ticket", incident.StatusClaimed, incident.Claim(it2), incident.ECONFLICT, incident.StatusClaimed},
		{"claim of a resolved ticket", incident.StatusResolved, incident.Claim(it2), incident.ECONFLICT, incident.StatusResolved},
		{"claimer unclaims", incident.StatusClaimed, incident.Unclaim(it1), "", incident.StatusReported},
		{"other IT cannot unclaim", incident.StatusClaimed, incident.Unclaim(it2), incident.EFORBIDDEN, incident.StatusClaimed},
		{"leadership unclaims", incident.StatusClaimed, incident.Unclaim(leadership), "", incident.StatusReported},
		{"IT escalates", incident.StatusClaimed, incident.Escalate(it1, "Dienstleister"), "", incident.StatusEscalated},
		{"escalate without target", incident.StatusClaimed, incident.Escalate(it1, "  "), incident.EINVALID, incident.StatusClaimed},
		{"teacher cannot escalate", incident.StatusClaimed, incident.Escalate(teacher, "x"), incident.EFORBIDDEN, incident.StatusClaimed},
		{"escalate unclaimed", incident.StatusReported, incident.Escalate(it1, "x"), incident.ECONFLICT, incident.StatusReported},
		{"IT resolves claimed", incident.StatusClaimed, incident.Resolve(it1, "neu gestartet"), "", incident.StatusResolved},
		{"IT resolves escalated", incident.StatusEscalated, incident.Resolve(it1, "Dienstleister hat repariert"), "", incident.StatusResolved},
		{"teacher cannot resolve", incident.StatusClaimed, incident.Resolve(teacher, "geht wieder"), incident.EFORBIDDEN, incident.StatusClaimed},
		{"leadership cannot resolve", incident.StatusClaimed, incident.Resolve(leadership, "geht wieder"), incident.EFORBIDDEN, incident.StatusClaimed},
		{"resolve without note", incident.StatusClaimed, incident.Resolve(it1, ""), incident.EINVALID, incident.StatusClaimed},
		{"resolve unclaimed", incident.StatusReported, incident.Resolve(it1, "x"), incident.ECONFLICT, incident.StatusReported},
		{"reporter verifies", incident.StatusResolved, incident.Verify(teacher), "", incident.StatusResolved},
		{"stranger cannot verify", incident.StatusResolved, incident.Verify(otherUser), incident.EFORBIDDEN, incident.StatusResolved},
		{"verify unresolved", incident.StatusClaimed, incident.Verify(teacher), incident.ECONFLICT, incident.StatusClaimed},
		{"reporter reopens", incident.StatusResolved, incident.Reopen(teacher, "immer noch schwarz"), "", incident.StatusClaimed},
		{"stranger cannot reopen", incident.StatusResolved, incident.Reopen(otherUser, ""), incident.EFORBIDDEN, incident.StatusResolved},
		{"IT closes resolved", incident.StatusResolved, incident.Close(it1, "Kabel defekt, getauscht"), "", incident.StatusClosed},
		{"teacher cannot close", incident.StatusResolved, incident.Close(teacher, "x"), incident.EFORBIDDEN, incident.StatusResolved},
		{"close without note", incident.StatusResolved, incident.Close(it1, ""), incident.EINVALID, incident.StatusResolved},
		{"close claimed", incident.StatusClaimed, incident.Close(it1, "x"), incident.ECONFLICT, incident.StatusClaimed},
		{"closed stays closed", incident.StatusClosed, incident.Reopen(teacher, ""), incident.ECONFLICT, incident.StatusClosed},
		{"reporter withdraws", incident.StatusReported, incident.Withdraw(teacher), "", incident.StatusWithdrawn},
		{"IT cannot withdraw", incident.StatusReported, incident.Withdraw(it1), incident.EFORBIDDEN, incident.StatusReported},
		{"withdraw resolved", incident.StatusResolved, incident.Withdraw(teacher), incident.ECONFLICT, incident.StatusResolved},
		{"IT marks duplicate", incident.StatusReported, incident.MarkDuplicate(it1, 5), "", incident.StatusDuplicate},
		{"duplicate of itself", incident.StatusReported, incident.MarkDuplicate(it1, 1), incident.EINVALID, incident.StatusReported},
		{"teacher cannot mark duplicate", incident.StatusReported, incident.MarkDuplicate(teacher, 5), incident.EFORBIDDEN, incident.StatusReported},
		{"duplicate of withdrawn", incident.StatusWithdrawn, incident.MarkDuplicate(it1, 5), incident.ECONFLICT, incident.StatusWithdrawn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := inStatus(t, tt.from)
			before := *inc

			events, err := tt.change(inc, now.Add(time.Hour))

			if code := incident.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error code: got %q (%v), want %q", code, err, tt.wantCode)
			}
			if inc.Status != tt.want {
				t.Errorf("status: got %s, want %s", inc.Status, tt.want)
			}
			if tt.wantCode != "" {
				if len(events) != 0 {
					t.Errorf("rejected change returned %d events", len(events))
				}
				if *inc != before {
					t.Errorf("rejected change modified the incident:\n got %+v\nwant %+v", *inc, before)
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("events: got %d, want 1", len(events))
			}
		})
	}
}

func TestClaim_SameClaimerIsNoChange(t *testing.T) {
	inc := inStatus(t, incident.StatusClaimed)
	events, err := incident.Claim(it1)(inc, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Errorf("events: got %d, want 0", len(events))
	}
}

func TestClaim_RecordsTimesAndFirstClaimer(t *testing.T) {
	inc := newReported(t)
	at := now.Add(10 * time.Minute)
	if _, err := incident.Claim(it1)(inc, at); err != nil {
		t.Fatal(err)
	}
	if inc.ClaimedAt == nil || !inc.ClaimedAt.Equal(at) {
		t.Errorf("claimed_at: got %v, want %v", inc.ClaimedAt, at)
	}
	if inc.ClaimerName != "it1" || inc.FirstClaimer != it1.ID {
		t.Errorf("claimer: got %q first %q, want it1 / %s", inc.ClaimerName, inc.FirstClaimer, it1.ID)
	}

	// Releasing and claiming by another person counts as reassignment.
	if _, err := incident.Unclaim(it1)(inc, at); err != nil {
		t.Fatal(err)
	}
	if _, err := incident.Claim(it2)(inc, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !inc.Reassigned {
		t.Error("reassigned: got false after a second claimer, want true")
	}
	if !inc.ClaimedAt.Equal(at) {
		t.Errorf("claimed_at changed on reclaim: got %v, want %v", inc.ClaimedAt, at)
	}
}

func TestReopen_ClearsResolutionAndCounts(t *testing.T) {
	inc := inStatus(t, incident.StatusResolved)
	if _, err := incident.Reopen(teacher, "")(inc, now); err != nil {
		t.Fatal(err)
	}
	if inc.ResolvedAt != nil {
		t.Errorf("resolved_at: got %v, want nil", inc.ResolvedAt)
	}
	if inc.ReopenCount != 1 {
		t.Errorf("reopen count: got %d, want 1", inc.ReopenCount)
	}
	if inc.ClaimerName != "it1" {
		t.Errorf("claimer after reopen: got %q, want it1", inc.ClaimerName)
	}
}

func TestOverridePriority(t *testing.T) {
	inc := newReported(t)
	events, err := incident.OverridePriority(leadership, incident.P1, "Abiturprüfung im Raum")(inc, now)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Priority != incident.P1 {
		t.Errorf("priority: got %s, want P1", inc.Priority)
	}
	if len(events) != 1 || events[0].OldValue != "P3" || events[0].NewValue != "P1" || events[0].Note == "" {
		t.Errorf("event: got %+v, want P3 -> P1 with reason", events)
	}

	if _, err := incident.OverridePriority(teacher, incident.P1, "bitte schnell")(inc, now); incident.ErrorCode(err) != incident.EFORBIDDEN {
		t.Errorf("teacher override: got %v, want forbidden", err)
	}
	if _, err := incident.OverridePriority(it1, incident.P2, "")(inc, now); incident.ErrorCode(err) != incident.EINVALID {
		t.Errorf("override without reason: got %v, want invalid", err)
	}
}

func TestReport_Validate(t *testing.T) {
	valid := incident.Report{Description: "WLAN weg", Location: "A-Flügel", Category: incident.CategoryNetwork, Impact: 2, Urgency: 2}
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid report: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(r *incident.Report)
		reason string
	}{
		{"empty description", func(r *incident.Report) { r.Description = " \n " }, "description_empty"},
		{"huge description", func(r *incident.Report) { r.Description = strings.Repeat("x", 10000) }, "description_too_long"},
		{"invalid utf-8", func(r *incident.Report) { r.Description = "Drucker \xff\xfe kaputt" }, "description_invalid"},
		{"control character", func(r *incident.Report) { r.Description = "Drucker\x00kaputt" }, "description_invalid"},
		{"empty location", func(r *incident.Report) { r.Location = "" }, "location_empty"},
		{"unknown category", func(r *incident.Report) { r.Category = "kaffeemaschine" }, "category_invalid"},
		{"impact zero", func(r *incident.Report) { r.Impact = 0 }, "impact_invalid"},
		{"urgency five", func(r *incident.Report) { r.Urgency = 5 }, "urgency_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid
			tt.mutate(&r)
			err := r.Validate()
			if got := incident.ErrorReason(err); got != tt.reason {
				t.Errorf("reason: got %q (%v), want %q", got, err, tt.reason)
			}
		})
	}
}

func TestTitleOf(t *testing.T) {
	if got := incident.TitleOf("  WLAN weg\nseit 8 Uhr"); got != "WLAN weg" {
		t.Errorf("first line: got %q", got)
	}
	long := strings.Repeat("ä", 200)
	got := incident.TitleOf(long)
	if n := len([]rune(got)); n != incident.MaxTitle {
		t.Errorf("cut title: got %d runes, want %d", n, incident.MaxTitle)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("cut title %q has no ellipsis", got)
	}
}

func TestWithdrawAllowedUntilResolved(t *testing.T) {
	reporter := incident.Actor{ID: "u1", Name: "lehrkraft"}
	for _, st := range []incident.Status{incident.StatusReported, incident.StatusClaimed, incident.StatusEscalated} {
		inc := &incident.Incident{Number: 1, Status: st, ReporterID: reporter.ID}
		if _, err := incident.Withdraw(reporter)(inc, time.Now()); err != nil || inc.Status != incident.StatusWithdrawn {
			t.Errorf("withdraw from %s: %v, status %s", st, err, inc.Status)
		}
	}
	inc := &incident.Incident{Number: 1, Status: incident.StatusResolved, ReporterID: reporter.ID}
	if _, err := incident.Withdraw(reporter)(inc, time.Now()); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Errorf("withdraw from resolved: %v", err)
	}
}
