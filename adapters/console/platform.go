package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/leitstelle/leitstelle/bot"
)

// Post implements bot.Platform by printing m under the channel's name.
func (c *Console) Post(_ context.Context, channelID string, m bot.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.channels[channelID] {
		return "", fmt.Errorf("console: channel %q does not exist", channelID)
	}
	c.nextPost++
	// Post ids are stored with the tickets, so they must differ from those
	// of earlier runs and of other consoles on the same database.
	id := c.session + "-" + strconv.Itoa(c.nextPost)
	c.posts[id] = channelID
	c.printMessage("~"+channelID, m)
	return id, nil
}

// UpdatePost implements bot.Platform by printing the new version of a post.
// A post of an earlier run is updated as well, since its channel is the
// same.
func (c *Console) UpdatePost(_ context.Context, channelID, postID string, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if known, ok := c.posts[postID]; (ok && known != channelID) || !c.channels[channelID] {
		return fmt.Errorf("console: no post %q in channel %q", postID, channelID)
	}
	c.printMessage("~"+channelID+", "+c.t("console.updated", nil), m)
	return nil
}

// Ephemeral implements bot.Platform.
func (c *Console) Ephemeral(_ context.Context, _, userID string, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.printMessage(c.t("console.ephemeral", map[string]any{"User": userID}), m)
	return nil
}

// DM implements bot.Platform.
func (c *Console) DM(_ context.Context, userID string, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.printMessage(c.t("console.dm", map[string]any{"User": userID}), m)
	return nil
}

// OpenForm implements bot.Platform. The questions follow one per line;
// a description given with the command is not asked again.
func (c *Console) OpenForm(_ context.Context, trigger bot.Trigger, f bot.Form) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := &pendingForm{form: f, trigger: trigger, values: map[string]string{}, retry: map[string]string{}}
	for i, field := range f.Fields {
		if field.Default != "" {
			p.values[field.Name] = field.Default
			continue
		}
		p.queue = append(p.queue, i)
	}
	c.form = p
	fmt.Fprintf(c.out, "  ┌ %s\n  │ %s\n", f.Title, c.t("console.form_hint", nil))
	return nil
}

// CreateChannel implements bot.Platform. A taken name gets a number.
func (c *Console) CreateChannel(_ context.Context, spec bot.ChannelSpec) (bot.Channel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := spec.Name
	for i := 2; c.channels[name]; i++ {
		name = spec.Name + "-" + strconv.Itoa(i)
	}
	c.channels[name] = true

	var members []string
	seen := map[string]bool{}
	for _, m := range append(append([]string{}, spec.MemberIDs...), spec.MemberNames...) {
		if m != "" && !seen[m] {
			seen[m] = true
			members = append(members, m)
		}
	}
	ch := bot.Channel{ID: name, Name: name, Link: "~" + name}
	c.say(c.t("console.channel_created", map[string]any{"Link": ch.Link, "Members": strings.Join(members, ", ")}))
	return ch, nil
}

// Pin implements bot.Platform.
func (c *Console) Pin(_ context.Context, channelID, postID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if known, ok := c.posts[postID]; (ok && known != channelID) || !c.channels[channelID] {
		return fmt.Errorf("console: no post %q in channel %q", postID, channelID)
	}
	c.say(c.t("console.pinned", map[string]any{"Channel": "~" + channelID}))
	return nil
}

// printMessage prints m with a heading that says where it appears. Buttons
// show their typed command, which works the same. The caller holds mu.
func (c *Console) printMessage(where string, m bot.Message) {
	fmt.Fprintf(c.out, "[%s]\n", where)
	if m.Text != "" {
		fmt.Fprintf(c.out, "  %s\n", indent(m.Text, "  "))
	}
	if m.Title != "" {
		fmt.Fprintf(c.out, "  ▌ %s\n", indent(m.Title, "  ▌ "))
	}
	for _, f := range m.Fields {
		fmt.Fprintf(c.out, "  ▌ %s: %s\n", f.Label, indent(f.Value, "  ▌   "))
	}
	for _, b := range m.Buttons {
		fmt.Fprintf(c.out, "  ▌ [%s] %s\n", b.Label, b.Command)
	}
	if m.Footer != "" {
		fmt.Fprintf(c.out, "  ▌ %s\n", indent(m.Footer, "  ▌ "))
	}
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// askNext prints the next question of the open form, or submits the form
// when every question is answered.
func (c *Console) askNext(ctx context.Context) {
	c.mu.Lock()
	p := c.form
	if p == nil {
		c.mu.Unlock()
		return
	}
	if len(p.queue) == 0 {
		c.mu.Unlock()
		c.submit(ctx, p)
		return
	}
	defer c.mu.Unlock()

	field := p.form.Fields[p.queue[0]]
	if msg := p.retry[field.Name]; msg != "" {
		fmt.Fprintf(c.out, "  │ %s\n", c.t("console.fix_field", map[string]any{"Message": msg}))
	}
	question := field.Label
	switch {
	case field.Type == bot.FieldBool:
		question += " (" + c.t("console.optional_bool", nil) + ")"
	case field.Placeholder != "":
		question += " (" + field.Placeholder + ")"
	}
	fmt.Fprintf(c.out, "  │ %s\n", question)
	for i, o := range field.Options {
		fmt.Fprintf(c.out, "  │   %d) %s\n", i+1, o.Label)
	}
}

// answer takes line as the answer to the current question.
func (c *Console) answer(ctx context.Context, line string) {
	c.mu.Lock()
	p := c.form
	if strings.EqualFold(line, "/abbrechen") {
		c.form = nil
		c.say(c.t("console.form_cancelled", nil))
		c.mu.Unlock()
		return
	}
	// A command typed into a form is a slip, not an answer.
	if strings.HasPrefix(line, "/") {
		c.say(c.t("console.in_form", nil))
		c.mu.Unlock()
		c.askNext(ctx)
		return
	}
	field := p.form.Fields[p.queue[0]]
	value, ok := c.parseAnswer(field, line)
	if !ok {
		c.mu.Unlock()
		c.askNext(ctx)
		return
	}
	p.values[field.Name] = value
	delete(p.retry, field.Name)
	p.queue = p.queue[1:]
	c.mu.Unlock()
	c.askNext(ctx)
}

// parseAnswer turns a typed answer into the form value. It prints a hint
// and reports false when the answer fits no option. The caller holds mu.
func (c *Console) parseAnswer(field bot.FormField, line string) (string, bool) {
	switch field.Type {
	case bot.FieldSelect:
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(field.Options) {
			return field.Options[n-1].Value, true
		}
		for _, o := range field.Options {
			if strings.EqualFold(line, o.Label) || strings.EqualFold(line, o.Value) {
				return o.Value, true
			}
		}
		c.say(c.t("console.choose", map[string]any{"Max": len(field.Options)}))
		return "", false
	case bot.FieldBool:
		switch strings.ToLower(line) {
		case "", "nein", "n", "no", "false":
			return "false", true
		case "ja", "j", "yes", "y", "true":
			return "true", true
		}
		c.say(c.t("console.yes_no", nil))
		return "", false
	}
	if line == "" && !field.Optional {
		c.say(c.t("console.required", nil))
		return "", false
	}
	return line, true
}

// submit sends the answered form to the bot. Fields the bot rejects are
// asked again with its message.
func (c *Console) submit(ctx context.Context, p *pendingForm) {
	c.mu.Lock()
	b := c.bot
	c.mu.Unlock()

	values := make(map[string]string, len(p.values))
	for k, v := range p.values {
		values[k] = v
	}
	res := b.HandleSubmission(ctx, bot.Submission{
		User: bot.User{ID: p.trigger.UserID, Name: p.trigger.UserID}, ChannelID: p.trigger.ChannelID,
		FormID: p.form.ID, State: p.form.State, Values: values,
	})

	c.mu.Lock()
	if c.form != p {
		c.mu.Unlock()
		return
	}
	if len(res.FieldErrors) == 0 {
		c.form = nil
		if res.Error != "" {
			c.printMessage(c.t("console.ephemeral", map[string]any{"User": p.trigger.UserID}), bot.Message{Text: res.Error})
		}
		c.mu.Unlock()
		return
	}
	for i, field := range p.form.Fields {
		if msg, bad := res.FieldErrors[field.Name]; bad {
			p.queue = append(p.queue, i)
			p.retry[field.Name] = msg
		}
	}
	c.mu.Unlock()
	c.askNext(ctx)
}
