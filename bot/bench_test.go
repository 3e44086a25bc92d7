package bot

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leitstelle/leitstelle/incident/sqlstore"
)

// BenchmarkReportPath measures one submitted report form: validation,
// priority, insert into a SQLite file with its timeline event, the triage
// post and the reporter's confirmation. The platform records in memory, so
// the figure is Leitstelle's own cost without chat latency.
func BenchmarkReportPath(b *testing.B) {
	store, err := sqlstore.Open(sqlstore.Options{DSN: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	chat := newRecorder()
	cfg := DefaultConfig()
	cfg.School = "bench"
	cfg.TriageChannelID = triage
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	cfg.ITUsers = []string{itUser.Name}
	bot, err := New(cfg, Deps{Store: store, Platform: chat, Logger: discardLogger(), Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}

	ctx := context.Background()
	forms := make([]Form, b.N)
	for i := range forms {
		bot.HandleCommand(ctx, Command{User: teacher, ChannelID: "lehrerzimmer", Text: "melden"})
		forms[i] = chat.forms[len(chat.forms)-1].Form
	}
	values := reportValues("WLAN im Nordflügel ist komplett ausgefallen", "2", "3", false)

	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res := bot.HandleSubmission(ctx, Submission{User: teacher, ChannelID: "lehrerzimmer", FormID: FormReport, State: forms[i].State, Values: values})
		if res.Error != "" || len(res.FieldErrors) > 0 {
			b.Fatalf("submission %d: %+v", i, res)
		}
	}
	b.StopTimer()
	if got := len(chat.postsIn(triage)); got != b.N {
		b.Fatalf("posted %d tickets, want %d", got, b.N)
	}
}
