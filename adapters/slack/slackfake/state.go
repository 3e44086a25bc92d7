package slackfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// state is the workspace content of a fake server. Server.mu guards it.
type state struct {
	// sequence counts the IDs issued per prefix.
	sequence map[string]int
	// lastTSMicros is the last message timestamp, in microseconds since the
	// Unix epoch, so that each new timestamp is unique and increasing.
	lastTSMicros int64

	users     map[string]*User
	userOrder []string

	channels     map[string]*Channel
	channelOrder []string
	channelNames map[string]string // name to channel ID
	directByUser map[string]string // user ID to DM channel ID

	messages   map[string][]*Message // channel ID to messages in post order
	ephemerals map[string][]*Message // channel ID to ephemeral messages

	views     map[string]*View
	viewOrder []string
	triggers  map[string]*trigger

	uploads     map[string]*Upload
	uploadOrder []string

	// responseUses counts the messages posted to each response URL.
	responseUses map[string]int

	// socketTickets are the unused tickets of apps.connections.open URLs.
	socketTickets map[string]bool
	sockets       []*socketConn
	socketCount   int
	// acks are the Socket Mode acknowledgements by envelope_id.
	acks map[string][]json.RawMessage
}

func newState() state {
	return state{
		sequence:     map[string]int{},
		users:        map[string]*User{},
		channels:     map[string]*Channel{},
		channelNames: map[string]string{},
		directByUser: map[string]string{},
		messages:     map[string][]*Message{},
		ephemerals:   map[string][]*Message{},
		views:        map[string]*View{},
		triggers:     map[string]*trigger{},
		uploads:      map[string]*Upload{},
		responseUses: map[string]int{},

		socketTickets: map[string]bool{},
		acks:          map[string][]json.RawMessage{},
	}
}

// newID returns the next ID with prefix, such as "C00000001".
func (st *state) newID(prefix string) string {
	st.sequence[prefix]++
	return fmt.Sprintf("%s%08d", prefix, st.sequence[prefix])
}

// newTS returns a message timestamp in Slack's "seconds.micros" form. It is
// later than every timestamp issued before, even if the clock stands still.
func (st *state) newTS(now time.Time) string {
	micros := now.UnixMicro()
	if micros <= st.lastTSMicros {
		micros = st.lastTSMicros + 1
	}
	st.lastTSMicros = micros
	return formatTS(micros)
}

func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1_000_000, micros%1_000_000)
}

// splitList splits a comma-separated parameter such as "U1,U2".
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parseBool reads a boolean parameter as Slack does: "true" and "1" are true.
func parseBool(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b
}
