package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// recorder is a Platform that keeps everything the bot sends, so tests can
// check what each user would see. It is the only fake in the bot's tests;
// storage is a real SQLite file.
type recorder struct {
	mu         sync.Mutex
	nextID     int
	posts      map[string]*recordedPost
	order      []string
	ephemerals []recordedMessage
	dms        []recordedMessage
	forms      []recordedForm
	channels   []ChannelSpec
	pins       []string
	// failPost makes Post fail while set, like a chat outage.
	failPost bool
	// onPost, when set, runs inside Post before it returns, outside the
	// lock, like a slow chat server.
	onPost func()
	// onUpdate, when set, runs inside UpdatePost before it records the new
	// version, outside the lock.
	onUpdate func()
}

type recordedPost struct {
	ChannelID string
	Message   Message
	Updates   int
}

type recordedMessage struct {
	ChannelID string
	UserID    string
	Message   Message
}

type recordedForm struct {
	Trigger Trigger
	Form    Form
}

func newRecorder() *recorder { return &recorder{posts: map[string]*recordedPost{}} }

func (r *recorder) Name() string { return "test" }

func (r *recorder) Post(_ context.Context, channelID string, m Message) (string, error) {
	r.mu.Lock()
	hook := r.onPost
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failPost {
		return "", errors.New("recorder: chat unavailable")
	}
	r.nextID++
	id := fmt.Sprintf("post%d", r.nextID)
	r.posts[id] = &recordedPost{ChannelID: channelID, Message: m}
	r.order = append(r.order, id)
	return id, nil
}

func (r *recorder) UpdatePost(_ context.Context, channelID, postID string, m Message) error {
	r.mu.Lock()
	hook := r.onUpdate
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.posts[postID]
	if !ok || p.ChannelID != channelID {
		return fmt.Errorf("recorder: no post %s in %s", postID, channelID)
	}
	p.Message = m
	p.Updates++
	return nil
}

func (r *recorder) Ephemeral(_ context.Context, channelID, userID string, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ephemerals = append(r.ephemerals, recordedMessage{ChannelID: channelID, UserID: userID, Message: m})
	return nil
}

func (r *recorder) DM(_ context.Context, userID string, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dms = append(r.dms, recordedMessage{UserID: userID, Message: m})
	return nil
}

func (r *recorder) OpenForm(_ context.Context, t Trigger, f Form) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forms = append(r.forms, recordedForm{Trigger: t, Form: f})
	return nil
}

func (r *recorder) CreateChannel(_ context.Context, spec ChannelSpec) (Channel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.channels = append(r.channels, spec)
	id := fmt.Sprintf("channel%d", len(r.channels))
	return Channel{ID: id, Name: spec.Name, Link: "~" + spec.Name}, nil
}

func (r *recorder) Pin(_ context.Context, channelID, postID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pins = append(r.pins, postID)
	return nil
}

// postsIn returns the posts of a channel in the order they were made.
func (r *recorder) postsIn(channelID string) []recordedPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recordedPost
	for _, id := range r.order {
		if p := r.posts[id]; p.ChannelID == channelID {
			out = append(out, *p)
		}
	}
	return out
}

func (r *recorder) post(id string) recordedPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return *r.posts[id]
}

func (r *recorder) lastForm() (recordedForm, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.forms) == 0 {
		return recordedForm{}, false
	}
	return r.forms[len(r.forms)-1], true
}

func (r *recorder) dmsTo(userID string) []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Message
	for _, m := range r.dms {
		if m.UserID == userID {
			out = append(out, m.Message)
		}
	}
	return out
}

func (r *recorder) ephemeralsTo(userID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.ephemerals {
		if m.UserID == userID {
			out = append(out, m.Message.Text)
		}
	}
	return out
}

// text joins everything visible in a message, for substring checks.
func (m Message) text() string {
	parts := []string{m.Title, m.Text, m.Footer}
	for _, f := range m.Fields {
		parts = append(parts, f.Label, f.Value)
	}
	for _, b := range m.Buttons {
		parts = append(parts, b.Label, b.Command)
	}
	return strings.Join(parts, "\n")
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
