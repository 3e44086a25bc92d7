package incident

import (
	"sort"
	"strings"
)

// Role is what a person may do in Leitstelle. Roles come from the school's
// configuration, never from what a user claims about themselves.
type Role int

// Roles. Everyone is a reporter; IT and leadership add rights.
const (
	RoleTeacher Role = iota
	RoleIT
	RoleLeadership
)

// Actor is the person behind an action.
type Actor struct {
	ID         string
	Name       string
	IT         bool
	Leadership bool
}

// System is the actor of automatic events, such as a reconciled reaction.
var System = Actor{ID: "system", Name: "leitstelle"}

// Directory resolves users to roles. Entries are platform user ids or user
// names, compared exactly: a look-alike name in other case or script gets
// no rights.
type Directory struct {
	it         map[string]bool
	leadership map[string]bool
}

// NewDirectory builds a directory from configured user names.
func NewDirectory(it, leadership []string) *Directory {
	d := &Directory{it: map[string]bool{}, leadership: map[string]bool{}}
	for _, n := range it {
		d.it[strings.TrimPrefix(n, "@")] = true
	}
	for _, n := range leadership {
		d.leadership[strings.TrimPrefix(n, "@")] = true
	}
	return d
}

// Actor returns the actor for a platform user with its configured roles.
func (d *Directory) Actor(id, name string) Actor {
	has := func(m map[string]bool) bool { return (id != "" && m[id]) || (name != "" && m[name]) }
	return Actor{ID: id, Name: name, IT: has(d.it), Leadership: has(d.leadership)}
}

// ITNames returns the configured IT user names.
func (d *Directory) ITNames() []string { return keys(d.it) }

// LeadershipNames returns the configured leadership user names.
func (d *Directory) LeadershipNames() []string { return keys(d.leadership) }

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
