package mattermost

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

func TestTruncateBytes(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"Störung melden", 24, "Störung melden"},
		{"Läuft gerade eine Prüfung?", 24, "Läuft gerade eine Pr…"},
		{"Prüfungsaufsicht übernimmt", 24, "Prüfungsaufsicht üb…"},
		{"äöüäöüäöüäöüäöü", 24, "äöüäöüäöüä…"},
		{"äää", 2, "ä"},
		{"äää", 1, ""},
	}
	for _, c := range cases {
		got := truncateBytes(c.in, c.max)
		if got != c.want {
			t.Errorf("truncateBytes(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
		if len(got) > c.max {
			t.Errorf("truncateBytes(%q, %d) has %d bytes, want at most %d", c.in, c.max, len(got), c.max)
		}
		if !utf8.ValidString(got) {
			t.Errorf("truncateBytes(%q, %d) = %q is not valid UTF-8", c.in, c.max, got)
		}
	}
}

// formRecorder is a bot.Platform that records the forms it is asked to
// open and does nothing else.
type formRecorder struct {
	forms []bot.Form
}

func (r *formRecorder) Name() string { return "recorder" }
func (r *formRecorder) Post(context.Context, string, bot.Message) (string, error) {
	return "post", nil
}
func (r *formRecorder) UpdatePost(context.Context, string, string, bot.Message) error { return nil }
func (r *formRecorder) Ephemeral(context.Context, string, string, bot.Message) error  { return nil }
func (r *formRecorder) DM(context.Context, string, bot.Message) error                 { return nil }
func (r *formRecorder) OpenForm(_ context.Context, _ bot.Trigger, f bot.Form) error {
	r.forms = append(r.forms, f)
	return nil
}
func (r *formRecorder) CreateChannel(context.Context, bot.ChannelSpec) (bot.Channel, error) {
	return bot.Channel{}, nil
}
func (r *formRecorder) Pin(context.Context, string, string) error { return nil }

// checkDialogLimits reports every text of d over its byte limit.
func checkDialogLimits(t *testing.T, d model.Dialog) {
	t.Helper()
	if len(d.Title) > model.DialogTitleMaxLength {
		t.Errorf("title %q has %d bytes, want at most %d", d.Title, len(d.Title), model.DialogTitleMaxLength)
	}
	for _, e := range d.Elements {
		limits := []struct {
			what string
			text string
			max  int
		}{
			{"display name", e.DisplayName, model.DialogElementDisplayNameMaxLength},
			{"help text", e.HelpText, model.DialogElementHelpTextMaxLength},
		}
		if e.Type == "text" {
			limits = append(limits, struct {
				what string
				text string
				max  int
			}{"default", e.Default, model.DialogElementTextMaxLength})
		}
		for _, l := range limits {
			if len(l.text) > l.max {
				t.Errorf("%s of %s: %q has %d bytes, want at most %d", l.what, e.Name, l.text, len(l.text), l.max)
			}
			if !utf8.ValidString(l.text) {
				t.Errorf("%s of %s: %q is not valid UTF-8", l.what, e.Name, l.text)
			}
		}
	}
	if err := d.IsValid(); err != nil {
		t.Errorf("dialog is invalid: %v", err)
	}
}

func TestRenderDialog_ReportFormIsValid(t *testing.T) {
	logger, _ := newTestLogger(t)
	rec := &formRecorder{}
	b := newBot(t, rec, openStore(t), Resolved{TriageChannelID: "triage"}, logger)

	description := "Beamer in Raum 204 zeigt kein Bild"
	b.HandleCommand(t.Context(), bot.Command{User: bot.User{ID: "u1", Name: "lehrkraft"}, Text: description, TriggerID: "t1"})
	if len(rec.forms) != 1 {
		t.Fatalf("bot opened %d forms, want 1", len(rec.forms))
	}

	d := renderDialog(rec.forms[0])
	checkDialogLimits(t, d)
	if d.CallbackId != bot.FormReport {
		t.Errorf("callback id = %q, want %q", d.CallbackId, bot.FormReport)
	}
	if d.State == "" || d.State != rec.forms[0].State {
		t.Errorf("state = %q, want the form's state %q", d.State, rec.forms[0].State)
	}
	types := map[string]string{}
	for _, e := range d.Elements {
		types[e.Name] = e.Type
		if e.Name == "description" && e.Default != description {
			t.Errorf("description default = %q, want %q", e.Default, description)
		}
	}
	wantTypes := map[string]string{"description": "textarea", "location": "text", "category": "select", "impact": "select", "urgency": "select", "exam": "bool"}
	for name, want := range wantTypes {
		if types[name] != want {
			t.Errorf("element %s has type %q, want %q", name, types[name], want)
		}
	}
}

func TestRenderDialog_LongGermanTextsCut(t *testing.T) {
	long := strings.Repeat("Prüfungsstörung ", 20)
	f := bot.Form{
		ID: "note", Title: "Abschluss der Störung Nummer 1234", SubmitLabel: "Abschließen", State: "s",
		Fields: []bot.FormField{
			{Name: "text", Label: "Überschrift für die Übersicht", Type: bot.FieldText, Help: long, Default: long, Placeholder: long},
			{Name: "area", Label: "Maßnahmen", Type: bot.FieldTextarea, Help: long, Default: strings.Repeat("ä", 2000)},
			{Name: "pick", Label: "Auswahl", Type: bot.FieldSelect, Default: "nicht da",
				Options: []bot.Option{{Value: "1", Label: "Eins"}}},
			{Name: "check", Label: "Prüfung?", Type: bot.FieldBool, Help: long, Default: "ja"},
		},
	}

	d := renderDialog(f)
	checkDialogLimits(t, d)
	area := d.Elements[1]
	if len(area.Default) > model.DialogElementTextareaMaxLength || !utf8.ValidString(area.Default) {
		t.Errorf("textarea default has %d bytes, want valid UTF-8 of at most %d", len(area.Default), model.DialogElementTextareaMaxLength)
	}
	if d.Elements[2].Default != "" {
		t.Errorf("select default = %q, want empty for a value not among the options", d.Elements[2].Default)
	}
	if d.Elements[3].Default != "" {
		t.Errorf("bool default = %q, want empty for a value other than true or false", d.Elements[3].Default)
	}
}

func TestRenderPost_Card(t *testing.T) {
	m := bot.Message{
		Text: "🚨 Koordinationskanal: ~stoerung-0001", Title: "#1 · P1 · Lernplattform", Color: "#d0021b",
		Fields: []bot.Field{{Label: "Status", Value: "gemeldet", Short: true}, {Label: "Beschreibung", Value: "@\u200ball weg"}},
		Buttons: []bot.Button{
			{Label: "Übernehmen", Action: "claim", Style: "primary", Token: "tok-claim"},
			{Label: "Eskalieren", Action: "claim", Token: "tok-2"},
		},
		Footer: "Gemeldet 04.12.2026 08:00",
	}

	text, attachments := renderPost(m, "http://leitstelle/mattermost/action")
	if text != m.Text {
		t.Errorf("text = %q, want %q", text, m.Text)
	}
	if len(attachments) != 1 {
		t.Fatalf("got %d attachments, want 1", len(attachments))
	}
	card := attachments[0]
	if card.Title != m.Title || card.Color != m.Color || card.Footer != m.Footer {
		t.Errorf("card title, colour, footer = %q, %q, %q, want %q, %q, %q", card.Title, card.Color, card.Footer, m.Title, m.Color, m.Footer)
	}
	if len(card.Fields) != 2 || card.Fields[0].Title != "Status" || card.Fields[0].Value != "gemeldet" || !bool(card.Fields[0].Short) {
		t.Errorf("fields = %+v, want Status/gemeldet short first", card.Fields)
	}
	if err := card.IsValid(); err != nil {
		t.Errorf("card is invalid: %v", err)
	}

	if len(card.Actions) != 2 {
		t.Fatalf("got %d actions, want 2", len(card.Actions))
	}
	first, second := card.Actions[0], card.Actions[1]
	if first.Id != "claim" || first.Name != "Übernehmen" || first.Style != "primary" {
		t.Errorf("first action = id %q name %q style %q, want claim, Übernehmen, primary", first.Id, first.Name, first.Style)
	}
	if first.Integration.URL != "http://leitstelle/mattermost/action" || first.Integration.Context[contextToken] != "tok-claim" {
		t.Errorf("first action integration = %+v, want the action URL and token tok-claim", first.Integration)
	}
	if second.Id == first.Id || second.Style != "default" {
		t.Errorf("second action id %q style %q, want an id other than %q and style default", second.Id, second.Style, first.Id)
	}
}

func TestRenderPost_PlainText(t *testing.T) {
	text, attachments := renderPost(bot.Message{Text: "Danke!"}, "http://x")
	if text != "Danke!" || attachments != nil {
		t.Errorf("renderPost = %q, %v, want the text without attachments", text, attachments)
	}

	text, attachments = renderPost(bot.Message{Text: "Funktioniert es?", Buttons: []bot.Button{{Label: "Funktioniert", Action: "verify", Token: "t"}}}, "http://x")
	if text != "Funktioniert es?" || len(attachments) != 1 || attachments[0].Title != "" || len(attachments[0].Actions) != 1 {
		t.Errorf("renderPost with buttons = %q, %+v, want the text and one attachment holding only the button", text, attachments)
	}
}

func TestChannelName_Suffix(t *testing.T) {
	base := "stoerung-0001-" + strings.Repeat("x", 60)
	cases := []struct {
		base    string
		attempt int
		want    string
	}{
		{"stoerung-0001-wlan", 1, "stoerung-0001-wlan"},
		{"stoerung-0001-wlan", 2, "stoerung-0001-wlan-2"},
		{"stoerung-0001-wlan", 12, "stoerung-0001-wlan-12"},
		{base, 1, base[:64]},
		{base, 3, base[:62] + "-3"},
	}
	for _, c := range cases {
		got := channelName(c.base, c.attempt)
		if got != c.want {
			t.Errorf("channelName(%q, %d) = %q, want %q", c.base, c.attempt, got, c.want)
		}
		if len(got) > model.ChannelNameMaxLength {
			t.Errorf("channelName(%q, %d) has %d bytes, want at most %d", c.base, c.attempt, len(got), model.ChannelNameMaxLength)
		}
	}
}
