package slackfake

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// MethodSocketAck is the Call.Method of an acknowledgement that the app sent
// over a Socket Mode connection. Its Params hold the envelope_id and its
// JSON the whole acknowledgement.
const MethodSocketAck = "socket.ack"

// socketPath is the path of the WebSocket URL that apps.connections.open
// returns.
const socketPath = "/socket"

// socketPingInterval is how often the fake pings each connection. slack-go
// reconnects when no ping arrives for 30 seconds.
const socketPingInterval = 5 * time.Second

// Socket Mode envelope types, as Slack sends them.
const (
	EnvelopeEventsAPI     = "events_api"
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
)

// Envelope is one Socket Mode message from Slack to the app.
type Envelope struct {
	// ID is the envelope_id the app acknowledges. Send assigns one when it
	// is empty.
	ID string
	// Type is EnvelopeEventsAPI, EnvelopeSlashCommands or EnvelopeInteractive.
	Type    string
	Payload json.RawMessage
	// RetryAttempt and RetryReason mark a redelivery of an Events API event.
	RetryAttempt int
	RetryReason  string
}

// socketConn is one accepted Socket Mode connection.
type socketConn struct {
	ws *websocket.Conn
	// writeMu serialises writes, because a websocket.Conn allows one writer.
	writeMu sync.Mutex
	done    chan struct{}
}

func (c *socketConn) writeJSON(v any) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteJSON(v)
}

func (c *socketConn) ping() error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteControl(websocket.PingMessage, []byte("slackfake"), time.Now().Add(time.Second))
}

// appsConnectionsOpen returns a one-time WebSocket URL on the fake. The
// caller must use the app-level token.
func (s *Server) appsConnectionsOpen(*request) (obj, error) {
	ticket := s.newID("ticket")
	s.socketTickets[ticket] = true

	wsURL := "ws://" + s.http.ServerAddr + socketPath + "?" + url.Values{"ticket": {ticket}}.Encode()
	return obj{"url": wsURL}, nil
}

// handleSocket accepts a Socket Mode connection, greets it with "hello",
// pings it and records the acknowledgements it sends until it closes.
func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.socketTickets[ticket]
	delete(s.socketTickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}

	// slack-go sends the Origin of api.slack.com, so the origin check is off.
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("socket upgrade failed", "err", err)
		return
	}
	conn := &socketConn{ws: ws, done: make(chan struct{})}

	s.mu.Lock()
	s.sockets = append(s.sockets, conn)
	s.socketCount++
	s.mu.Unlock()
	defer s.dropSocket(conn)

	hello := obj{
		"type":            "hello",
		"num_connections": 1,
		"connection_info": obj{"app_id": s.cfg.AppID},
		"debug_info":      obj{"host": "slackfake"},
	}
	if err := conn.writeJSON(hello); err != nil {
		s.log.Warn("socket hello failed", "err", err)
		return
	}
	go s.pingSocket(conn)
	s.readAcks(conn)
}

// pingSocket pings conn at once and then every socketPingInterval.
func (s *Server) pingSocket(conn *socketConn) {
	ticker := time.NewTicker(socketPingInterval)
	defer ticker.Stop()
	for {
		if err := conn.ping(); err != nil {
			return
		}
		select {
		case <-conn.done:
			return
		case <-ticker.C:
		}
	}
}

// readAcks records every message from the app until the connection closes.
func (s *Server) readAcks(conn *socketConn) {
	for {
		_, raw, err := conn.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string `json:"envelope_id"`
		}
		var callErr error
		if err := json.Unmarshal(raw, &ack); err != nil || ack.EnvelopeID == "" {
			callErr = fail("invalid_ack")
		}

		s.mu.Lock()
		s.acks[ack.EnvelopeID] = append(s.acks[ack.EnvelopeID], json.RawMessage(raw))
		s.record(&request{method: MethodSocketAck, params: url.Values{"envelope_id": {ack.EnvelopeID}}, body: raw}, callErr)
		s.mu.Unlock()
	}
}

func (s *Server) dropSocket(conn *socketConn) {
	s.mu.Lock()
	for i, c := range s.sockets {
		if c == conn {
			s.sockets = append(s.sockets[:i], s.sockets[i+1:]...)
			break
		}
	}
	s.mu.Unlock()

	close(conn.done)
	_ = conn.ws.Close()
}

// closeSockets closes every open Socket Mode connection. The http server
// does not track hijacked connections, so Close must end them itself.
func (s *Server) closeSockets() {
	s.mu.Lock()
	open := append([]*socketConn(nil), s.sockets...)
	s.mu.Unlock()
	for _, conn := range open {
		_ = conn.ws.Close()
	}
}

// errNoSocket is returned by Send and Disconnect when no app is connected.
var errNoSocket = errors.New("slackfake: no Socket Mode connection; wait for SocketConnections() > 0")

// Send writes env to the newest Socket Mode connection and returns its
// envelope_id.
func (s *Server) Send(env Envelope) (string, error) {
	s.mu.Lock()
	if env.ID == "" {
		env.ID = strings.ToLower(s.newID("env"))
	}
	conn := s.newestSocket()
	s.mu.Unlock()
	if conn == nil {
		return "", errNoSocket
	}

	msg := obj{
		"envelope_id":              env.ID,
		"type":                     env.Type,
		"payload":                  env.Payload,
		"accepts_response_payload": env.Type != EnvelopeEventsAPI,
		"retry_attempt":            env.RetryAttempt,
		"retry_reason":             env.RetryReason,
	}
	return env.ID, conn.writeJSON(msg)
}

// Disconnect sends a disconnect request to the newest connection, as Slack
// does before it rotates a connection.
func (s *Server) Disconnect() error {
	s.mu.Lock()
	conn := s.newestSocket()
	s.mu.Unlock()
	if conn == nil {
		return errNoSocket
	}
	return conn.writeJSON(obj{"type": "disconnect", "reason": "refresh_requested", "debug_info": obj{"host": "slackfake"}})
}

// newestSocket returns the connection accepted last. The caller holds s.mu.
func (s *Server) newestSocket() *socketConn {
	if len(s.sockets) == 0 {
		return nil
	}
	return s.sockets[len(s.sockets)-1]
}

// SocketConnections returns how many Socket Mode connections the fake has
// accepted so far, closed ones included.
func (s *Server) SocketConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.socketCount
}

// Acks returns the acknowledgements received for envelopeID, each as the
// JSON the app sent, such as {"envelope_id":"…","payload":{…}}.
func (s *Server) Acks(envelopeID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := make([]json.RawMessage, 0, len(s.acks[envelopeID]))
	for _, raw := range s.acks[envelopeID] {
		out = append(out, append(json.RawMessage(nil), raw...))
	}
	return out
}
