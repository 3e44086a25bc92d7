package mmtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// helloTimeout bounds the wait for the server's greeting on a new
// WebSocket connection.
const helloTimeout = 10 * time.Second

// WebSocket connects a WebSocket client as the named user or bot, waits
// for the server's hello event and closes the client when the test ends.
// Events after the hello arrive on the client's EventChannel.
func (s *Server) WebSocket(tb testing.TB, name string) *model.WebSocketClient {
	tb.Helper()

	wsURL := "ws" + strings.TrimPrefix(s.URL, "http")
	ws, err := model.NewWebSocketClient4(wsURL, s.Client(name).AuthToken)
	if err != nil {
		tb.Fatalf("connect websocket as %s: %v", name, err)
	}
	ws.Listen()
	tb.Cleanup(ws.Close)

	if err := awaitHello(ws); err != nil {
		tb.Fatalf("websocket of %s: %v", name, err)
	}
	return ws
}

// awaitHello reads events until the hello event arrives.
func awaitHello(ws *model.WebSocketClient) error {
	timeout := time.After(helloTimeout)
	for {
		select {
		case event, ok := <-ws.EventChannel:
			if !ok {
				return fmt.Errorf("connection closed before hello: %v", ws.ListenError)
			}
			if event.EventType() == model.WebsocketEventHello {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("no hello event within %s", helloTimeout)
		}
	}
}
