// Package contract is the behaviour every chat adapter must show: one
// scenario, from a report to its closing and a P1 with its coordination
// channel, run against each adapter through a Desk that drives it as its
// users would. A behaviour an adapter lacks fails the suite; nothing in it
// is optional.
package contract

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/incident"
)

// Roles of the people in the scenario. Each desk maps them to users of its
// platform, configured with these roles.
const (
	Teacher    = "teacher"
	IT         = "it"
	IT2        = "it2"
	Leadership = "leadership"
)

// Answers are the values of the report form. Category is the option's
// value, such as "beamer".
type Answers struct {
	Location string
	Category string
	Impact   int
	Urgency  int
	Exam     bool
}

// Button is a button as its user sees it.
type Button struct {
	Label string
	// Ref is the desk's own handle to press it, such as a token or a typed
	// command.
	Ref string
}

// Post is a message as its reader sees it: all visible text, and buttons.
type Post struct {
	Text    string
	Buttons []Button
}

// Button returns the button with label, or false.
func (p Post) Button(label string) (Button, bool) {
	for _, b := range p.Buttons {
		if b.Label == label {
			return b, true
		}
	}
	return Button{}, false
}

// Desk drives one adapter. Methods act as the given role and may return
// before the effect is visible; the suite waits for effects itself.
type Desk interface {
	// Report types the report command with text as role and submits the
	// form with a; text prefills the description.
	Report(t *testing.T, role, text string, a Answers)
	// Command types the report command with text (a subcommand) as role and
	// returns the ephemeral reply to role, or "" when there is none yet.
	Command(t *testing.T, role, text string) string
	// React adds or removes emoji on ticket n's triage post as role. The
	// desk lets every role see the triage channel, so that the bot's role
	// check is what refuses a teacher's claim, not the channel's privacy.
	React(t *testing.T, role string, n int64, emoji string, added bool)
	// Ticket returns ticket n's triage post as it looks now, as the
	// platform's client shows it: channel links by name.
	Ticket(t *testing.T, n int64) (Post, bool)
	// DMs returns the direct messages the bot sent role, oldest first.
	DMs(t *testing.T, role string) []Post
	// Press presses button b of a post as role.
	Press(t *testing.T, role string, b Button)
	// Coordination returns the name of ticket n's coordination channel and
	// the roles of its human members, or false when there is none.
	Coordination(t *testing.T, n int64) (name string, members []string, ok bool)
	// Incident reads ticket n from the desk's store.
	Incident(t *testing.T, n int64) *incident.Incident
}

// Wait is how long the suite waits for an effect.
const Wait = 20 * time.Second

// eventually polls cond until it is true or Wait is over.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for: %s", Wait, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func status(d Desk, t *testing.T, n int64, s incident.Status) func() bool {
	return func() bool { return d.Incident(t, n).Status == s }
}

// lastDM waits for a direct message to role that contains want.
func lastDM(t *testing.T, d Desk, role, want string) Post {
	t.Helper()
	var found Post
	eventually(t, role+" gets a direct message with "+want, func() bool {
		dms := d.DMs(t, role)
		for i := len(dms) - 1; i >= 0; i-- {
			if strings.Contains(dms[i].Text, want) {
				found = dms[i]
				return true
			}
		}
		return false
	})
	return found
}

// Run runs the scenario on a fresh desk. Ticket numbers start at 1.
func Run(t *testing.T, d Desk) {
	t.Run("report, claim, resolve, confirm, close", func(t *testing.T) { lifecycle(t, d) })
	t.Run("P1 gets a coordination channel", func(t *testing.T) { critical(t, d) })
}

func lifecycle(t *testing.T, d Desk) {
	d.Report(t, Teacher, "Beamer in Raum 12 zeigt kein Bild @all", Answers{Location: "Raum 12", Category: "beamer", Impact: 3, Urgency: 2})

	var ticket Post
	eventually(t, "ticket #1 in the triage channel", func() bool {
		var ok bool
		ticket, ok = d.Ticket(t, 1)
		return ok
	})
	inc := d.Incident(t, 1)
	if inc.Priority != incident.P3 || inc.Status != incident.StatusReported {
		t.Fatalf("stored %s %s, want P3 gemeldet", inc.Priority, inc.Status)
	}
	for _, want := range []string{"#1", "P3", "Raum 12", "Beamer/Smartboard"} {
		if !strings.Contains(ticket.Text, want) {
			t.Errorf("ticket lacks %q:\n%s", want, ticket.Text)
		}
	}
	if strings.Contains(ticket.Text, "@all") {
		t.Errorf("ticket carries a live @all:\n%s", ticket.Text)
	}
	if _, ok := ticket.Button("Übernehmen"); !ok {
		t.Errorf("ticket has no button Übernehmen: %+v", ticket.Buttons)
	}

	// A teacher's 👀 claims nothing.
	d.React(t, Teacher, 1, "eyes", true)
	time.Sleep(300 * time.Millisecond)
	if got := d.Incident(t, 1); got.Status != incident.StatusReported {
		t.Fatalf("teacher's 👀 changed the status to %s", got.Status)
	}

	d.React(t, IT, 1, "eyes", true)
	eventually(t, "IT's 👀 claims #1", status(d, t, 1, incident.StatusClaimed))
	// The teacher's reaction came first; had it claimed, IT's could not.
	if got := d.Incident(t, 1); got.ClaimerID == got.ReporterID || got.ClaimerName == "" {
		t.Fatalf("#1 claimed by %q, want the IT member", got.ClaimerName)
	}
	lastDM(t, d, Teacher, d.Incident(t, 1).ClaimerName)

	// Taking the 👀 back releases the ticket; reacting again claims it.
	d.React(t, IT, 1, "eyes", false)
	eventually(t, "IT's removed 👀 releases #1", status(d, t, 1, incident.StatusReported))
	d.React(t, IT, 1, "eyes", true)
	eventually(t, "IT's new 👀 claims #1 again", status(d, t, 1, incident.StatusClaimed))
	eventually(t, "the ticket shows the claim", func() bool {
		p, _ := d.Ticket(t, 1)
		return strings.Contains(p.Text, "übernommen")
	})

	// A teacher cannot resolve; IT can.
	reply := d.Command(t, Teacher, "gelöst #1 geht wieder")
	if got := d.Incident(t, 1); got.Status != incident.StatusClaimed {
		t.Fatalf("teacher's resolve changed the status to %s", got.Status)
	}
	if reply != "" && !strings.Contains(reply, "IT-Team") {
		t.Errorf("teacher's resolve answered %q", reply)
	}
	d.Command(t, IT, "gelöst #1 HDMI-Kabel getauscht, Bild kommt")
	eventually(t, "#1 resolved", status(d, t, 1, incident.StatusResolved))

	ask := lastDM(t, d, Teacher, "Funktioniert es wieder?")
	works, ok := ask.Button("Funktioniert")
	if !ok {
		t.Fatalf("functional test without button Funktioniert: %+v", ask.Buttons)
	}
	if _, ok := ask.Button("Geht noch nicht"); !ok {
		t.Errorf("functional test without button Geht noch nicht: %+v", ask.Buttons)
	}
	d.Press(t, Teacher, works)
	eventually(t, "teacher's confirmation recorded", func() bool { return d.Incident(t, 1).VerifiedAt != nil })

	d.Command(t, IT, "abschließen #1 Ursache: Kabelbruch. Schritte: Kabel getauscht, Funktionstest ok.")
	eventually(t, "#1 closed", status(d, t, 1, incident.StatusClosed))
	lastDM(t, d, Teacher, "abgeschlossen")
	if got := d.Incident(t, 1); got.ClaimerName == "" || got.CloseNote == "" {
		t.Errorf("closed ticket lacks claimer or note: %+v", got)
	}
}

func critical(t *testing.T, d Desk) {
	d.Report(t, Teacher, "Schulnetz komplett ausgefallen, Verdacht auf Angriff", Answers{Location: "ganze Schule", Category: "netzwerk", Impact: 1, Urgency: 1})
	eventually(t, "ticket #2 stored", func() bool { return d.Incident(t, 2) != nil })
	if p := d.Incident(t, 2).Priority; p != incident.P1 {
		t.Fatalf("priority %s, want P1", p)
	}

	var name string
	var members []string
	eventually(t, "coordination channel of #2", func() bool {
		var ok bool
		name, members, ok = d.Coordination(t, 2)
		return ok
	})
	if !strings.HasPrefix(name, "stoerung-0002-schulnetz") || len(name) > 60 {
		t.Errorf("channel name %q", name)
	}
	slices.Sort(members)
	want := []string{IT, IT2, Leadership, Teacher}
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("members %v, want %v", members, want)
	}
	eventually(t, "the ticket links the channel", func() bool {
		p, _ := d.Ticket(t, 2)
		return strings.Contains(p.Text, name)
	})
}
