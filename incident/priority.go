// Package incident is Leitstelle's domain: incidents, the priority matrix,
// the lifecycle rules with who may do what, and the append-only timeline.
// It imports no chat library and no storage driver.
package incident

import (
	"fmt"
	"strconv"
	"strings"
)

// Impact is how many people or systems are affected, from I1 (whole school)
// to I4 (one person).
type Impact int

// Impact levels.
const (
	ImpactSchool Impact = 1 // whole school, hundreds of users
	ImpactWing   Impact = 2 // a building wing or a year group, about 100
	ImpactClass  Impact = 3 // one class or one department, 20 to 30
	ImpactPerson Impact = 4 // one person
)

// Urgency is how badly teaching is disrupted, from U1 (teaching or an exam
// is impossible) to U4 (minor impairment).
type Urgency int

// Urgency levels.
const (
	UrgencyImpossible Urgency = 1 // teaching or an exam is impossible
	UrgencySevere     Urgency = 2 // teaching is severely restricted
	UrgencyHindered   Urgency = 3 // alternatives exist, the lesson must be adapted
	UrgencyMinor      Urgency = 4 // minor impairment
)

// Priority is the processing order P1 (critical) to P4 (low).
type Priority int

// Priorities.
const (
	P1 Priority = 1
	P2 Priority = 2
	P3 Priority = 3
	P4 Priority = 4
)

// Valid reports whether i is one of I1 to I4.
func (i Impact) Valid() bool { return i >= 1 && i <= 4 }

// Valid reports whether u is one of U1 to U4.
func (u Urgency) Valid() bool { return u >= 1 && u <= 4 }

// Valid reports whether p is one of P1 to P4.
func (p Priority) Valid() bool { return p >= 1 && p <= 4 }

// String returns "P1" to "P4", or "P?" for an invalid value.
func (p Priority) String() string {
	if !p.Valid() {
		return "P?"
	}
	return "P" + strconv.Itoa(int(p))
}

// ParsePriority accepts "P1" to "P4" (any case) or a bare digit 1 to 4.
func ParsePriority(s string) (Priority, error) {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "P")
	n, err := strconv.Atoi(t)
	if err != nil || !Priority(n).Valid() {
		return 0, Errorf(EINVALID, "invalid_priority", "invalid priority %q, want P1 to P4", s)
	}
	return Priority(n), nil
}

// Matrix maps impact (row) and urgency (column) to a priority. Index 0 of
// each dimension is I1 or U1.
type Matrix [4][4]Priority

// DefaultMatrix returns the matrix P = ceil((I+U)/2), so a whole-school
// outage that stops teaching is P1 and one person's minor issue is P4.
func DefaultMatrix() Matrix {
	var m Matrix
	for i := 1; i <= 4; i++ {
		for u := 1; u <= 4; u++ {
			m[i-1][u-1] = Priority((i + u + 1) / 2)
		}
	}
	return m
}

// Priority looks up the priority of impact i and urgency u. The exam flag
// raises the urgency to U1 because a running exam cannot wait.
func (m Matrix) Priority(i Impact, u Urgency, exam bool) (Priority, error) {
	if !i.Valid() {
		return 0, Errorf(EINVALID, "invalid_impact", "invalid impact %d, want 1 to 4", i)
	}
	if !u.Valid() {
		return 0, Errorf(EINVALID, "invalid_urgency", "invalid urgency %d, want 1 to 4", u)
	}
	if exam {
		u = UrgencyImpossible
	}
	return m[i-1][u-1], nil
}

// ParseMatrix reads four rows (I1 to I4) of four priorities (U1 to U4) such as
// "P1 P2 P2 P3". It is how a school overrides the default matrix in config.
func ParseMatrix(rows []string) (Matrix, error) {
	var m Matrix
	if len(rows) != 4 {
		return m, fmt.Errorf("priority matrix: got %d rows, want 4 (I1 to I4)", len(rows))
	}
	for i, row := range rows {
		cells := strings.Fields(row)
		if len(cells) != 4 {
			return m, fmt.Errorf("priority matrix row I%d %q: got %d cells, want 4 (U1 to U4)", i+1, row, len(cells))
		}
		for u, cell := range cells {
			p, err := ParsePriority(cell)
			if err != nil {
				return m, fmt.Errorf("priority matrix row I%d cell U%d: %w", i+1, u+1, err)
			}
			m[i][u] = p
		}
	}
	return m, nil
}
