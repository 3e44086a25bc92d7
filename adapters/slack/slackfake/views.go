package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// View is a modal the app opened and possibly updated.
type View struct {
	ID         string
	ExternalID string
	CallbackID string
	// UserID is the user of the trigger that opened the view, empty if the
	// test did not register the trigger.
	UserID    string
	TriggerID string
	// Hash changes with every update. views.update rejects a stale hash.
	Hash string
	// JSON is the view object as the app last sent it.
	JSON    json.RawMessage
	Opened  time.Time
	Updates int
}

// trigger is a trigger_id registered by the test.
type trigger struct {
	userID string
	issued time.Time
	used   bool
}

// Views returns all views in the order they were opened, each in its latest
// state.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]View, 0, len(s.viewOrder))
	for _, id := range s.viewOrder {
		v := *s.views[id]
		v.JSON = slices.Clone(v.JSON)
		out = append(out, v)
	}
	return out
}

// AddTrigger registers a trigger_id that user received now, as Slack issues
// one with each slash command and interaction. views.open accepts it
// once, within Config.TriggerTTL.
func (s *Server) AddTrigger(triggerID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.triggers[triggerID] = &trigger{userID: userID, issued: s.cfg.Now()}
}

// NewTrigger registers and returns a new trigger_id for user.
func (s *Server) NewTrigger(userID string) string {
	var random [8]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never returns an error.

	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.cfg.Now()
	s.sequence["trigger"]++
	id := fmt.Sprintf("%d.%d.%s", s.sequence["trigger"], now.Unix(), hex.EncodeToString(random[:]))
	s.triggers[id] = &trigger{userID: userID, issued: now}
	return id
}

// useTrigger checks a trigger_id and marks it used. It returns the trigger's
// user, or "" for a trigger the test did not register.
func (s *Server) useTrigger(id string) (string, error) {
	if id == "" {
		return "", fail("invalid_arguments", "[ERROR] missing required field: trigger_id")
	}

	t, ok := s.triggers[id]
	switch {
	case !ok && s.cfg.StrictTriggers:
		return "", fail("invalid_trigger_id")
	case !ok:
		return "", nil
	case t.used:
		return "", fail("exchanged_trigger_id")
	case s.cfg.Now().Sub(t.issued) > s.cfg.TriggerTTL:
		return "", fail("expired_trigger_id")
	}

	t.used = true
	return t.userID, nil
}

// viewByRef finds a view by view_id or, if that is empty, by external_id.
func (s *Server) viewByRef(viewID, externalID string) (*View, error) {
	if viewID == "" && externalID == "" {
		return nil, fail("invalid_arguments", "[ERROR] either view_id or external_id is required")
	}
	for _, v := range s.views {
		if (viewID != "" && v.ID == viewID) || (viewID == "" && v.ExternalID == externalID) {
			return v, nil
		}
	}
	return nil, fail("not_found")
}

// newHash returns a view hash in Slack's "seconds.number" form.
func (s *Server) newHash() string {
	s.sequence["hash"]++
	return fmt.Sprintf("%d.%d", s.cfg.Now().Unix(), s.sequence["hash"])
}

// wireView returns the view object of a views.* response: the view as sent,
// plus the fields Slack adds.
func (s *Server) wireView(v *View) obj {
	out := obj{}
	_ = json.Unmarshal(v.JSON, &out) // v.JSON was checked by parseView.

	out["id"] = v.ID
	out["team_id"] = s.cfg.TeamID
	out["hash"] = v.Hash
	out["root_view_id"] = v.ID
	out["previous_view_id"] = nil
	out["app_id"] = s.cfg.AppID
	out["bot_id"] = s.cfg.BotID
	out["app_installed_team_id"] = s.cfg.TeamID
	out["state"] = obj{"values": obj{}}
	return out
}
