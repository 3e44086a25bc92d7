package incident

import "testing"

func TestDirectory_MatchesIDOrNameExactly(t *testing.T) {
	d := NewDirectory([]string{"it", "@herr.schmidt", "U0IT42"}, []string{"schulleitung"})
	tests := []struct {
		id, name   string
		it, leader bool
	}{
		{"x1", "it", true, false},
		{"x2", "herr.schmidt", true, false},
		{"U0IT42", "anna", true, false},
		{"x3", "schulleitung", false, true},
		{"x4", "IT", false, false},
		{"x5", "İt", false, false},
		{"x6", "SCHULLEITUNG", false, false},
		{"u0it42", "bob", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		a := d.Actor(tt.id, tt.name)
		if a.IT != tt.it || a.Leadership != tt.leader {
			t.Errorf("Actor(%q, %q) = IT %v, leadership %v; want %v, %v", tt.id, tt.name, a.IT, a.Leadership, tt.it, tt.leader)
		}
	}
}
