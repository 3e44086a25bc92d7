package bot

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leitstelle/leitstelle/incident"
)

// verb is a subcommand of /störung.
type verb string

// Subcommands. Each has German names, with ASCII spellings for keyboards
// and platforms without umlauts.
const (
	verbHelp      verb = "help"
	verbStatus    verb = "status"
	verbOpen      verb = "open"
	verbShow      verb = "show"
	verbReport    verb = "report"
	verbClaim     verb = "claim"
	verbUnclaim   verb = "unclaim"
	verbEscalate  verb = "escalate"
	verbResolve   verb = "resolve"
	verbVerify    verb = "verify"
	verbReopen    verb = "reopen"
	verbClose     verb = "close"
	verbWithdraw  verb = "withdraw"
	verbPriority  verb = "priority"
	verbDuplicate verb = "duplicate"
)

var verbs = map[string]verb{
	"hilfe": verbHelp, "help": verbHelp, "?": verbHelp,
	"status": verbStatus, "meine": verbStatus,
	"offen": verbOpen,
	"zeige": verbShow, "details": verbShow,
	"melden":     verbReport,
	"übernehmen": verbClaim, "uebernehmen": verbClaim,
	"freigeben":  verbUnclaim,
	"eskalieren": verbEscalate,
	"gelöst":     verbResolve, "geloest": verbResolve, "lösen": verbResolve, "loesen": verbResolve,
	"funktioniert": verbVerify,
	"geht-nicht":   verbReopen, "gehtnicht": verbReopen,
	"abschließen": verbClose, "abschliessen": verbClose,
	"zurückziehen": verbWithdraw, "zurueckziehen": verbWithdraw,
	"priorität": verbPriority, "prioritaet": verbPriority,
	"duplikat": verbDuplicate,
}

// verbWord is the German word shown in hints for each subcommand.
var verbWord = map[verb]string{
	verbClaim: "übernehmen", verbUnclaim: "freigeben", verbEscalate: "eskalieren",
	verbResolve: "gelöst", verbVerify: "funktioniert", verbReopen: "geht-nicht",
	verbClose: "abschließen", verbWithdraw: "zurückziehen",
	verbShow: "zeige", verbPriority: "priorität", verbDuplicate: "duplikat",
}

// maxEchoedWord is how much of an unknown word an error message repeats.
const maxEchoedWord = 40

var refPattern = regexp.MustCompile(`^#?[0-9]{1,12}$`)

// HandleCommand runs /störung (or /stoerung) with its text. Without a
// subcommand the text becomes the prefilled description of a new report.
func (b *Bot) HandleCommand(ctx context.Context, c Command) Reply {
	if !utf8.ValidString(c.Text) {
		return Reply{Text: b.t("error.description_invalid", nil)}
	}
	words := strings.Fields(c.Text)
	if len(words) == 0 {
		return b.startReport(ctx, c, "")
	}

	first := strings.ToLower(words[0])
	v, known := verbs[first]
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Text), words[0]))
	switch {
	case known && v == verbReport:
		return b.startReport(ctx, c, rest)
	case known && readsAsReport(v, words):
		return b.startReport(ctx, c, c.Text)
	case known:
		return b.runVerb(ctx, c, v, words[1:], rest)
	case looksLikeSubcommand(words):
		return Reply{Text: b.t("error.unknown_subcommand", map[string]any{"Word": neutralize(shorten(words[0], maxEchoedWord)), "Command": b.cfg.CommandName})}
	}
	return b.startReport(ctx, c, c.Text)
}

// readsAsReport reports whether text that starts with a subcommand is a
// sentence instead, such as "offen steht das Fenster im Raum 3": a
// subcommand without arguments followed by words, or one that needs a
// ticket number followed by three or more words and no number.
func readsAsReport(v verb, words []string) bool {
	switch v {
	case verbHelp, verbStatus, verbOpen:
		return len(words) > 1
	}
	return len(words) >= 4 && !refPattern.MatchString(words[1])
}

// looksLikeSubcommand reports whether text is a mistyped subcommand rather
// than a description: a single word, or a word followed by a ticket number.
// A report of one word is still possible with "melden".
func looksLikeSubcommand(words []string) bool {
	return len(words) == 1 || (len(words) >= 2 && strings.HasPrefix(words[1], "#") && refPattern.MatchString(words[1]))
}

func (b *Bot) runVerb(ctx context.Context, c Command, v verb, args []string, rest string) Reply {
	switch v {
	case verbHelp:
		return Reply{Text: b.help(c.User)}
	case verbStatus:
		return b.listOwn(ctx, c.User)
	case verbOpen:
		return b.listOpen(ctx, c.User)
	}

	if len(args) == 0 || !refPattern.MatchString(args[0]) {
		return Reply{Text: b.t("error.number_missing", map[string]any{"Command": b.cfg.CommandName, "Verb": verbWord[v]})}
	}
	number, _ := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
	note := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), args[0]))

	switch v {
	case verbShow:
		return b.show(ctx, c.User, number)
	case verbPriority:
		return b.overridePriority(ctx, c.User, number, note)
	case verbDuplicate:
		return b.markDuplicate(ctx, c.User, number, note)
	}
	return b.act(ctx, c.User, Trigger{ID: c.TriggerID, UserID: c.User.ID, ChannelID: c.ChannelID}, v, number, note)
}

func (b *Bot) overridePriority(ctx context.Context, u User, number int64, args string) Reply {
	fields := strings.Fields(args)
	if len(fields) < 2 {
		return Reply{Text: b.t("error.priority_usage", map[string]any{"Command": b.cfg.CommandName})}
	}
	p, err := incident.ParsePriority(fields[0])
	if err != nil {
		return Reply{Text: b.t("error.priority_usage", map[string]any{"Command": b.cfg.CommandName})}
	}
	reason := strings.TrimSpace(strings.TrimPrefix(args, fields[0]))
	return b.apply(ctx, u, number, incident.OverridePriority(b.actor(u), p, reason))
}

func (b *Bot) markDuplicate(ctx context.Context, u User, number int64, args string) Reply {
	target := strings.TrimPrefix(strings.TrimSpace(args), "#")
	n, err := strconv.ParseInt(target, 10, 64)
	if err != nil {
		return Reply{Text: b.t("error.duplicate_usage", map[string]any{"Command": b.cfg.CommandName})}
	}
	original, err := b.store.Get(ctx, b.cfg.School, n)
	if err != nil {
		return Reply{Text: b.errorText(ctx, err, map[string]any{"Ref": "#" + target})}
	}
	// Folding into a finished ticket would leave the problem without any
	// open ticket.
	if !original.Status.Open() {
		return Reply{Text: b.t("error.duplicate_target_closed", map[string]any{"Ref": original.Ref(), "Status": b.statusText(original.Status)})}
	}
	return b.apply(ctx, u, number, incident.MarkDuplicate(b.actor(u), n))
}

// shorten cuts s to at most n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
