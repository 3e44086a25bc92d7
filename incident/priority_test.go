package incident_test

import (
	"testing"

	"github.com/leitstelle/leitstelle/incident"
)

func TestPriority_DefaultMatrix(t *testing.T) {
	want := [4][4]incident.Priority{
		{incident.P1, incident.P2, incident.P2, incident.P3},
		{incident.P2, incident.P2, incident.P3, incident.P3},
		{incident.P2, incident.P3, incident.P3, incident.P4},
		{incident.P3, incident.P3, incident.P4, incident.P4},
	}
	m := incident.DefaultMatrix()
	for i := 1; i <= 4; i++ {
		for u := 1; u <= 4; u++ {
			got, err := m.Priority(incident.Impact(i), incident.Urgency(u), false)
			if err != nil {
				t.Fatalf("I%d U%d: %v", i, u, err)
			}
			if got != want[i-1][u-1] {
				t.Errorf("I%d U%d: got %s, want %s", i, u, got, want[i-1][u-1])
			}
		}
	}
}

func TestPriority_SeedExamples(t *testing.T) {
	tests := []struct {
		name    string
		impact  incident.Impact
		urgency incident.Urgency
		exam    bool
		want    incident.Priority
	}{
		{"learning platform down, whole school, exams", incident.ImpactSchool, incident.UrgencyImpossible, true, incident.P1},
		{"wifi down in one wing, year group restricted", incident.ImpactWing, incident.UrgencySevere, false, incident.P2},
		{"staff-room printer, alternatives exist", incident.ImpactClass, incident.UrgencyHindered, false, incident.P3},
		{"one smartboard, lesson adapted", incident.ImpactClass, incident.UrgencyHindered, false, incident.P3},
		{"one pupil forgot password", incident.ImpactPerson, incident.UrgencyMinor, false, incident.P4},
	}
	m := incident.DefaultMatrix()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Priority(tt.impact, tt.urgency, tt.exam)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPriority_ExamRaisesUrgency(t *testing.T) {
	m := incident.DefaultMatrix()
	without, _ := m.Priority(incident.ImpactClass, incident.UrgencyMinor, false)
	with, _ := m.Priority(incident.ImpactClass, incident.UrgencyMinor, true)
	if without != incident.P4 {
		t.Errorf("without exam: got %s, want P4", without)
	}
	if with != incident.P2 {
		t.Errorf("with exam: got %s, want P2", with)
	}
}

func TestPriority_InvalidInput(t *testing.T) {
	m := incident.DefaultMatrix()
	for _, c := range []struct{ i, u int }{{0, 1}, {5, 1}, {1, 0}, {1, 5}, {-1, -1}} {
		_, err := m.Priority(incident.Impact(c.i), incident.Urgency(c.u), false)
		if code := incident.ErrorCode(err); code != incident.EINVALID {
			t.Errorf("I%d U%d: got code %q, want %q", c.i, c.u, code, incident.EINVALID)
		}
	}
}

func TestParseMatrix(t *testing.T) {
	m, err := incident.ParseMatrix([]string{"P1 P1 P2 P3", "P2 P2 P3 P3", "P2 P3 P3 P4", "P3 P3 P4 P4"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Priority(incident.ImpactSchool, incident.UrgencySevere, false); got != incident.P1 {
		t.Errorf("custom I1 U2: got %s, want P1", got)
	}

	bad := [][]string{
		{"P1 P2 P2 P3"},
		{"P1 P2 P2", "P2 P2 P3 P3", "P2 P3 P3 P4", "P3 P3 P4 P4"},
		{"P1 P2 P2 P9", "P2 P2 P3 P3", "P2 P3 P3 P4", "P3 P3 P4 P4"},
	}
	for _, rows := range bad {
		if _, err := incident.ParseMatrix(rows); err == nil {
			t.Errorf("ParseMatrix(%q): got nil error, want an error", rows)
		}
	}
}

func TestParsePriority(t *testing.T) {
	for in, want := range map[string]incident.Priority{"P1": incident.P1, "p2": incident.P2, " 3 ": incident.P3, "P4": incident.P4} {
		got, err := incident.ParsePriority(in)
		if err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "P0", "P5", "hoch", "PP1"} {
		if _, err := incident.ParsePriority(in); err == nil {
			t.Errorf("ParsePriority(%q): got nil error", in)
		}
	}
}
