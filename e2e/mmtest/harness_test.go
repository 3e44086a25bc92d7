package mmtest_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/e2e/mmtest"
)

// eventTimeout bounds each wait for the server to deliver something.
const eventTimeout = 10 * time.Second

// TestHarness starts one server and checks what end-to-end tests rely on.
func TestHarness(t *testing.T) {
	srv := mmtest.Start(t)

	t.Run("Ping", func(t *testing.T) { testPing(t, srv) })
	t.Run("BotTokenGetMe", func(t *testing.T) { testBotTokenGetMe(t, srv) })
	t.Run("UserWebSocket", func(t *testing.T) { testUserWebSocket(t, srv) })
	t.Run("SigningKeyInClientConfig", func(t *testing.T) { testSigningKey(t, srv) })
	t.Run("SlashCommandReachesBot", func(t *testing.T) { testSlashCommand(t, srv) })
}

func testPing(t *testing.T, srv *mmtest.Server) {
	status, _, err := model.NewAPIv4Client(srv.URL).GetPing(t.Context())
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	if status != model.StatusOk {
		t.Errorf("ping status = %q, want %q", status, model.StatusOk)
	}
}

func testBotTokenGetMe(t *testing.T, srv *mmtest.Server) {
	me, _, err := srv.Bot.GetMe(t.Context(), "")
	if err != nil {
		t.Fatalf("get me with bot token: %v", err)
	}
	if me.Id != srv.BotUserID {
		t.Errorf("bot user id = %q, want %q", me.Id, srv.BotUserID)
	}
	if !me.IsBot {
		t.Errorf("user %q is not a bot", me.Username)
	}
}

func testUserWebSocket(t *testing.T, srv *mmtest.Server) {
	ws := srv.WebSocket(t, mmtest.IT1Name)

	// A post in the triage channel must reach its member's connection.
	post := &model.Post{ChannelId: srv.TriageChannelID, Message: "Beamer in Raum 101 defekt"}
	if _, _, err := srv.Bot.CreatePost(t.Context(), post); err != nil {
		t.Fatalf("create post as bot: %v", err)
	}
	timeout := time.After(eventTimeout)
	for {
		select {
		case event, ok := <-ws.EventChannel:
			if !ok {
				t.Fatalf("websocket closed before the posted event: %v", ws.ListenError)
			}
			if event.EventType() == model.WebsocketEventPosted && event.GetBroadcast().ChannelId == srv.TriageChannelID {
				return
			}
		case <-timeout:
			t.Fatalf("no posted event for channel %s within %s", srv.TriageChannelID, eventTimeout)
		}
	}
}

func testSigningKey(t *testing.T, srv *mmtest.Server) {
	resp, err := srv.Bot.DoAPIGet(t.Context(), "/config/client?format=old", "")
	if err != nil {
		t.Fatalf("get client config with bot token: %v", err)
	}
	defer resp.Body.Close()

	var config map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&config); err != nil {
		t.Fatalf("decode client config: %v", err)
	}
	encoded := config["AsymmetricSigningPublicKey"]
	if encoded == "" {
		t.Fatal("AsymmetricSigningPublicKey is missing from the client config")
	}
	der, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("decode AsymmetricSigningPublicKey %q: %v", encoded, err)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("parse signing key: %v", err)
	}
	if _, ok := key.(*ecdsa.PublicKey); !ok {
		t.Errorf("signing key is %T, want *ecdsa.PublicKey", key)
	}
}

// commandRequest is what the fake bot saw of a slash command request.
type commandRequest struct {
	authorization string
	form          url.Values
}

func testSlashCommand(t *testing.T, srv *mmtest.Server) {
	requests := make(chan commandRequest, 1)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse slash command form: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		requests <- commandRequest{authorization: r.Header.Get("Authorization"), form: r.PostForm}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"response_type":"ephemeral","text":"Meldung angenommen"}`)
	}))
	defer bot.Close()

	command := &model.Command{
		TeamId:      srv.TeamID,
		Trigger:     "stoerung",
		Method:      model.CommandMethodPost,
		URL:         bot.URL,
		DisplayName: "Störung melden",
	}
	created, _, err := srv.Admin.CreateCommand(t.Context(), command)
	if err != nil {
		t.Fatalf("create command: %v", err)
	}

	teacher := srv.Client(mmtest.TeacherName)
	if _, _, err := teacher.ExecuteCommand(t.Context(), srv.TownSquareID, "/stoerung Drucker klemmt"); err != nil {
		t.Fatalf("execute command as %s: %v", mmtest.TeacherName, err)
	}

	var got commandRequest
	select {
	case got = <-requests:
	case <-time.After(eventTimeout):
		t.Fatalf("the command URL received no request within %s", eventTimeout)
	}
	if want := "Token " + created.Token; got.authorization != want {
		t.Errorf("Authorization = %q, want %q", got.authorization, want)
	}
	if got.form.Get("command") != "/stoerung" {
		t.Errorf("command = %q, want %q", got.form.Get("command"), "/stoerung")
	}
	if got.form.Get("text") != "Drucker klemmt" {
		t.Errorf("text = %q, want %q", got.form.Get("text"), "Drucker klemmt")
	}
	if got.form.Get("user_id") != srv.UserID(mmtest.TeacherName) {
		t.Errorf("user_id = %q, want %q", got.form.Get("user_id"), srv.UserID(mmtest.TeacherName))
	}
	if got.form.Get("trigger_id") == "" {
		t.Error("trigger_id is empty")
	}
}
