package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// dialTimeout bounds connecting the WebSocket, and helloTimeout the wait
// for the server's hello event after that.
const (
	dialTimeout  = 15 * time.Second
	helloTimeout = 30 * time.Second
)

// errPingTimeout reports a connection on which the server stopped pinging.
var errPingTimeout = errors.New("no ping from the server for 65 seconds")

// listen keeps a WebSocket connection to the server until ctx is done and
// reconnects after every failure, waiting longer after each failed attempt.
func (a *Adapter) listen(ctx context.Context) {
	// Reconciling runs beside the connection and must end before listen.
	var reconciling sync.WaitGroup
	defer reconciling.Wait()

	attempt := 0
	for {
		connected, err := a.listenOnce(ctx, &reconciling)
		if ctx.Err() != nil {
			return
		}
		if connected {
			attempt = 0
		}

		delay := reconnectDelay(attempt, a.cfg.ReconnectMin, a.cfg.ReconnectMax)
		attempt++
		a.log.Warn("websocket disconnected, reconnecting", "error", err, "attempt", attempt, "delay", delay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// reconnectDelay returns the wait before reconnect attempt (counted from
// 0): first, doubled with every attempt, at most limit.
func reconnectDelay(attempt int, first, limit time.Duration) time.Duration {
	d := first
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// listenOnce connects, reconciles what the bot may have missed, and
// handles events until the connection ends. It reports whether the
// connection got as far as the server's hello.
func (a *Adapter) listenOnce(ctx context.Context, reconciling *sync.WaitGroup) (connected bool, err error) {
	ws, err := a.dialWebSocket()
	if err != nil {
		return false, err
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, ws.Close)
	defer stop()

	ws.Listen()
	if err := awaitHello(ctx, ws); err != nil {
		return false, err
	}
	a.log.Info("websocket connected")
	reconciling.Go(func() { a.afterConnect(ctx) })

	responses := ws.ResponseChannel
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case event, ok := <-ws.EventChannel:
			if !ok {
				return true, listenError(ws)
			}
			a.handleEvent(ctx, event)
		case _, ok := <-responses:
			// Responses to the client's own requests, such as the
			// authentication challenge, carry nothing the bot needs.
			if !ok {
				responses = nil
			}
		case <-ws.PingTimeoutChannel:
			return true, errPingTimeout
		}
	}
}

// dialWebSocket connects to the server's WebSocket with the bot token.
func (a *Adapter) dialWebSocket() (*model.WebSocketClient, error) {
	dialer := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: dialTimeout,
		NetDialContext:   (&net.Dialer{Timeout: dialTimeout}).DialContext,
	}
	wsURL := "ws" + strings.TrimPrefix(strings.TrimRight(a.cfg.ServerURL, "/"), "http")
	ws, err := model.NewWebSocketClient4WithDialer(dialer, wsURL, a.cfg.BotToken)
	if err != nil {
		return nil, fmt.Errorf("connect websocket: %w", err)
	}
	return ws, nil
}

// awaitHello reads events until the server's hello, which follows a
// successful authentication.
func awaitHello(ctx context.Context, ws *model.WebSocketClient) error {
	timeout := time.NewTimer(helloTimeout)
	defer timeout.Stop()
	for {
		select {
		case event, ok := <-ws.EventChannel:
			if !ok {
				return fmt.Errorf("websocket closed before hello: %w", listenError(ws))
			}
			if event.EventType() == model.WebsocketEventHello {
				return nil
			}
		case <-timeout.C:
			return fmt.Errorf("no hello event within %s", helloTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// listenError returns why the client stopped listening. Call it only
// after EventChannel is closed.
func listenError(ws *model.WebSocketClient) error {
	if ws.ListenError != nil {
		return ws.ListenError
	}
	return errors.New("websocket closed by the server")
}

// afterConnect posts what the bot stored but never posted and applies the
// 👀 reactions added or removed while the adapter was not connected.
func (a *Adapter) afterConnect(ctx context.Context) {
	defer a.connects.Add(1)
	b := a.bot.Load()

	a.refreshSigningKey(ctx)
	if err := b.RepostMissing(ctx); err != nil {
		a.log.Warn("repost missing tickets after connect", "error", err)
	}

	posts, err := b.OpenTicketPosts(ctx)
	if err != nil {
		a.log.Warn("list open tickets after connect", "error", err)
		return
	}
	for _, p := range posts {
		reactors, err := a.claimReactors(ctx, p.PostID)
		if err != nil {
			a.log.Warn("read reactions of ticket after connect", "error", err, logPost, p.PostID, "incident", p.Number)
			continue
		}
		if err := b.ReconcileClaims(ctx, p.PostID, reactors); err != nil {
			a.log.Warn("reconcile claims of ticket", "error", err, logPost, p.PostID, "incident", p.Number)
		}
	}
	a.log.Info("reconciled after connect", "open_tickets", len(posts))
}

// claimReactors returns the users who reacted with bot.ClaimEmoji on
// postID, earliest first.
func (a *Adapter) claimReactors(ctx context.Context, postID string) ([]bot.User, error) {
	reactions, _, err := a.client.GetReactions(ctx, postID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(reactions, func(i, j int) bool { return reactions[i].CreateAt < reactions[j].CreateAt })

	botID := a.setupResult().BotUserID
	var users []bot.User
	for _, r := range reactions {
		if r.EmojiName != bot.ClaimEmoji || r.UserId == botID {
			continue
		}
		u, err := a.users.user(ctx, r.UserId)
		if err != nil {
			a.log.Warn("look up reacting user, skipped", "error", err, logUser, r.UserId, logPost, postID)
			continue
		}
		users = append(users, u)
	}
	return users, nil
}

// handleEvent passes reactions and direct messages to the bot.
func (a *Adapter) handleEvent(ctx context.Context, event *model.WebSocketEvent) {
	switch event.EventType() {
	case model.WebsocketEventReactionAdded, model.WebsocketEventReactionRemoved:
		a.handleReaction(ctx, event)
	case model.WebsocketEventPosted:
		a.handleDirectMessage(ctx, event)
	}
}

// reactionEvent is a reaction as the WebSocket delivers it.
type reactionEvent struct {
	reaction  model.Reaction
	channelID string
	added     bool
}

// parseReactionEvent reads a reaction_added or reaction_removed event.
// The channel comes from the broadcast, because a removed reaction
// arrives without one.
func parseReactionEvent(event *model.WebSocketEvent) (reactionEvent, error) {
	raw, ok := event.GetData()["reaction"].(string)
	if !ok {
		return reactionEvent{}, errors.New("event has no reaction")
	}
	var r reactionEvent
	if err := json.Unmarshal([]byte(raw), &r.reaction); err != nil {
		return reactionEvent{}, fmt.Errorf("decode reaction: %w", err)
	}
	r.channelID = event.GetBroadcast().ChannelId
	if r.channelID == "" {
		r.channelID = r.reaction.ChannelId
	}
	r.added = event.EventType() == model.WebsocketEventReactionAdded
	return r, nil
}

func (a *Adapter) handleReaction(ctx context.Context, event *model.WebSocketEvent) {
	r, err := parseReactionEvent(event)
	if err != nil {
		a.log.Warn("ignored reaction event", "error", err)
		return
	}
	if r.reaction.UserId == a.setupResult().BotUserID {
		return
	}
	user, err := a.users.user(ctx, r.reaction.UserId)
	if err != nil {
		a.log.Warn("look up reacting user, reaction ignored", "error", err, logUser, r.reaction.UserId, logPost, r.reaction.PostId)
		return
	}

	err = a.bot.Load().HandleReaction(ctx, bot.Reaction{
		User: user, ChannelID: r.channelID, PostID: r.reaction.PostId, Emoji: r.reaction.EmojiName, Added: r.added,
	})
	if err != nil {
		a.log.Error("handle reaction", "error", err, logUser, user.ID, logPost, r.reaction.PostId)
	}
}

// helpCommand is the command text that a direct message to the bot runs.
// Every direct message gets the help, because a form cannot open without
// a slash command or button.
const helpCommand = "hilfe"

// parseDirectMessage returns the post of a posted event in a direct
// channel, and false for every other post.
func parseDirectMessage(event *model.WebSocketEvent) (*model.Post, bool) {
	data := event.GetData()
	if data["channel_type"] != string(model.ChannelTypeDirect) {
		return nil, false
	}
	raw, ok := data["post"].(string)
	if !ok {
		return nil, false
	}
	var post model.Post
	if err := json.Unmarshal([]byte(raw), &post); err != nil {
		return nil, false
	}
	return &post, true
}

// handleDirectMessage replies to a person's direct message with the help.
// Posts of bots, webhooks and the system get no reply, so that two bots
// cannot reply to each other forever.
func (a *Adapter) handleDirectMessage(ctx context.Context, event *model.WebSocketEvent) {
	post, ok := parseDirectMessage(event)
	if !ok || post.UserId == a.setupResult().BotUserID || post.IsSystemMessage() ||
		post.GetProp(model.PostPropsFromBot) == "true" || post.GetProp(model.PostPropsFromWebhook) == "true" {
		return
	}
	user, err := a.users.user(ctx, post.UserId)
	if err != nil {
		a.log.Warn("look up author of direct message, not answered", "error", err, logUser, post.UserId)
		return
	}

	b := a.bot.Load()
	reply := b.HandleCommand(ctx, bot.Command{
		User: user, ChannelID: post.ChannelId, Command: b.Config().CommandName, Text: helpCommand,
	})
	if reply.Text == "" {
		return
	}
	if _, err := a.Post(ctx, post.ChannelId, bot.Message{Text: reply.Text}); err != nil {
		a.log.Warn("reply to direct message failed", "error", err, logUser, user.ID, logChannel, post.ChannelId)
	}
}
