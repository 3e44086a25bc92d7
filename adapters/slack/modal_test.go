package slack

import (
	"encoding/json"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/leitstelle/leitstelle/adapters/slack/slackfake"
	"github.com/leitstelle/leitstelle/bot"
)

func testForm() bot.Form {
	return bot.Form{
		ID: "report", Title: "Störung melden", SubmitLabel: "Melden", State: "v1.state.mac",
		Fields: []bot.FormField{
			{Name: "description", Label: "Was ist gestört?", Type: bot.FieldTextarea, Default: "Beamer", MaxLength: 2000, Help: "Seit wann?"},
			{Name: "location", Label: "Ort / Raum", Type: bot.FieldText, MaxLength: 100, Placeholder: "z. B. Raum 204"},
			{Name: "impact", Label: "Wer ist betroffen?", Type: bot.FieldSelect, Default: "3",
				Options: []bot.Option{{Value: "1", Label: "Die ganze Schule"}, {Value: "3", Label: "Eine Klasse"}}},
			{Name: "exam", Label: "Läuft eine Prüfung?", Type: bot.FieldBool, Optional: false},
		},
	}
}

func TestModalView_RendersFields(t *testing.T) {
	view, err := modalView(testForm(), "C0STAFF01")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			BlockID  string `json:"block_id"`
			Optional bool   `json:"optional"`
			Hint     *struct{ Text string }
			Element  struct {
				Type          string `json:"type"`
				ActionID      string `json:"action_id"`
				Multiline     bool   `json:"multiline"`
				MaxLength     int    `json:"max_length"`
				InitialValue  string `json:"initial_value"`
				InitialOption *struct {
					Value string `json:"value"`
				} `json:"initial_option"`
				Options []struct {
					Value string `json:"value"`
				} `json:"options"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}

	if got.CallbackID != "leitstelle:report" {
		t.Errorf("callback_id = %q, want leitstelle:report", got.CallbackID)
	}
	if meta := parseMetadata(got.PrivateMetadata); meta != (formMetadata{Form: "report", State: "v1.state.mac", Channel: "C0STAFF01"}) {
		t.Errorf("metadata = %+v, want form, state and channel", meta)
	}
	if len(got.Blocks) != 4 {
		t.Fatalf("blocks = %d, want 4", len(got.Blocks))
	}

	description, location, impact, exam := got.Blocks[0], got.Blocks[1], got.Blocks[2], got.Blocks[3]
	if description.BlockID != "description" || description.Element.ActionID != "description" ||
		!description.Element.Multiline || description.Element.MaxLength != 2000 || description.Element.InitialValue != "Beamer" ||
		description.Hint == nil || description.Hint.Text != "Seit wann?" || description.Optional {
		t.Errorf("description block = %+v, want a required multiline input with default, limit and hint", description)
	}
	if location.Element.Type != "plain_text_input" || location.Element.Multiline || location.Element.MaxLength != 100 {
		t.Errorf("location block = %+v, want a one-line input of at most 100", location)
	}
	if impact.Element.Type != "static_select" || len(impact.Element.Options) != 2 ||
		impact.Element.InitialOption == nil || impact.Element.InitialOption.Value != "3" {
		t.Errorf("impact block = %+v, want a static select with option 3 preselected", impact)
	}
	if exam.Element.Type != "checkboxes" || !exam.Optional || len(exam.Element.Options) != 1 || exam.Element.Options[0].Value != "true" {
		t.Errorf("exam block = %+v, want one optional checkbox with value true", exam)
	}
}

func TestModalView_AcceptedByFake(t *testing.T) {
	fake := slackfake.MustStart(t, slackfake.DefaultConfig())
	client := slackapi.New(fake.Config().BotToken, slackapi.OptionAPIURL(fake.APIURL()))
	form := testForm()
	form.Title = "Lösung zu #123456789 mit Überlänge"

	view, err := modalView(form, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.OpenView(fake.NewTrigger("U1"), view); err != nil {
		t.Errorf("views.open rejected the modal: %v", err)
	}
}

func TestModalView_StateTooLongRejected(t *testing.T) {
	form := testForm()
	form.State = strings.Repeat("s", maxPrivateMetadata)

	if _, err := modalView(form, "C1"); err == nil || !strings.Contains(err.Error(), "private_metadata") {
		t.Errorf("modalView = %v, want an error about private_metadata", err)
	}
}

func TestModalView_TooManyOptionsRejected(t *testing.T) {
	form := testForm()
	form.Fields[2].Options = make([]bot.Option, maxSelectOptions+1)

	if _, err := modalView(form, "C1"); err == nil {
		t.Error("modalView accepted a select with 101 options")
	}
}

func TestSubmissionValues_ByFieldName(t *testing.T) {
	state := &slackapi.ViewState{Values: map[string]map[string]slackapi.BlockAction{
		"description": {"description": {Type: "plain_text_input", Value: "Beamer <!channel>"}},
		"impact":      {"impact": {Type: "static_select", SelectedOption: slackapi.OptionBlockObject{Value: "3"}}},
		"exam":        {"exam": {Type: "checkboxes", SelectedOptions: []slackapi.OptionBlockObject{{Value: "true"}}}},
		"other":       {"other": {Type: "checkboxes"}},
		"foreign":     {"not-the-block-id": {Type: "plain_text_input", Value: "x"}},
	}}

	got := submissionValues(state)
	want := map[string]string{"description": "Beamer <!channel>", "impact": "3", "exam": "true", "other": "false"}
	if len(got) != len(want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("values[%q] = %q, want %q", k, got[k], v)
		}
	}
}

func TestModalView_CancelAndCheckLabels(t *testing.T) {
	form := testForm()
	form.CancelLabel = "Abbrechen"
	form.Fields[3].CheckLabel = "Ja, gerade läuft eine Prüfung"
	view, err := modalView(form, "C0STAFF01")
	if err != nil {
		t.Fatal(err)
	}
	if view.Close == nil || view.Close.Text != "Abbrechen" {
		t.Errorf("close button = %+v, want Abbrechen", view.Close)
	}
	box, ok := view.Blocks.BlockSet[3].(*slackapi.InputBlock).Element.(*slackapi.CheckboxGroupsBlockElement)
	if !ok || box.Options[0].Text.Text != "Ja, gerade läuft eine Prüfung" {
		t.Errorf("checkbox = %+v, want the check label", view.Blocks.BlockSet[3])
	}
}
