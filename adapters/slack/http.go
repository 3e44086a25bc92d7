package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Request URLs of HTTP mode, to enter in the app's settings.
const (
	PathCommands      = "/slack/commands"
	PathInteractivity = "/slack/interactivity"
	PathEvents        = "/slack/events"
)

// headerRetryNum is the header Slack sets on Events API retries.
const headerRetryNum = "X-Slack-Retry-Num"

// Handler returns the HTTP handler of HTTP mode. Every request must carry a
// valid Slack signature of its raw body with a timestamp at most 5 minutes
// off, or it is rejected with 401 before anything is parsed. Bodies over
// MaxBodyBytes get 413. An exact replay of a request that was already
// accepted gets an empty 200 and has no effect.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+PathCommands, a.verified(a.serveCommand))
	mux.Handle("POST "+PathInteractivity, a.verified(a.serveInteraction))
	mux.Handle("POST "+PathEvents, a.verified(a.serveEvents))
	return mux
}

// Serve handles HTTP mode requests on ln until ctx ends, then shuts the
// server down and waits for work already started. Run calls it with a
// listener on ListenAddr; tests pass their own.
func (a *Adapter) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	a.background(ctx, "catch up", a.catchUp)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.InfoContext(ctx, "slack HTTP mode listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		a.Wait()
		return fmt.Errorf("slack: serve HTTP: %w", err)
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		a.log.WarnContext(ctx, "shut down HTTP server", "error", err)
	}
	a.Wait()
	a.log.InfoContext(ctx, "slack HTTP mode stopped")
	return nil
}

// verified reads the body within the size limit, checks the signature and
// the replay set, and passes the raw body to next.
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			a.log.WarnContext(r.Context(), "rejected request body over the limit", "path", r.URL.Path, "limit_bytes", a.cfg.MaxBodyBytes)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			a.log.WarnContext(r.Context(), "read request body", "error", err, "path", r.URL.Path)
			http.Error(w, "reading the request body failed", http.StatusBadRequest)
			return
		}

		if err := verifySignature(r.Header, body, a.cfg.SigningSecret); err != nil {
			if n := a.rejected.Add(1); n <= 10 || n%100 == 0 {
				a.log.WarnContext(r.Context(), "rejected request with invalid signature", "reason", err.Error(),
					"path", r.URL.Path, "remote_addr", r.RemoteAddr, "rejected_total", n)
			}
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		if !a.requests.Add(r.Header.Get("X-Slack-Signature")) {
			a.log.WarnContext(r.Context(), "replayed request ignored", "path", r.URL.Path, "remote_addr", r.RemoteAddr)
			w.WriteHeader(http.StatusOK)
			return
		}
		next(w, r, body)
	})
}

// verifySignature checks Slack's v0 signature of body with slack-go's
// verifier, which also rejects a timestamp more than 5 minutes off.
func verifySignature(header http.Header, body []byte, secret string) error {
	verifier, err := slackapi.NewSecretsVerifier(header, secret)
	if err != nil {
		return err
	}
	if _, err := verifier.Write(body); err != nil {
		return err
	}
	return verifier.Ensure()
}

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	parsed := r.Clone(r.Context())
	parsed.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slackapi.SlashCommandParse(parsed)
	if err != nil {
		a.log.WarnContext(r.Context(), "invalid slash command form", "error", err)
		http.Error(w, "invalid slash command form", http.StatusBadRequest)
		return
	}
	writeAck(w, a.onSlashCommand(r.Context(), cmd))
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		a.log.WarnContext(r.Context(), "interaction request without payload", "error", err)
		http.Error(w, "missing interaction payload", http.StatusBadRequest)
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		a.log.WarnContext(r.Context(), "invalid interaction payload", "error", err)
		http.Error(w, "invalid interaction payload", http.StatusBadRequest)
		return
	}
	writeAck(w, a.onInteraction(r.Context(), cb))
}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	if !json.Valid(body) {
		a.log.WarnContext(r.Context(), "Events API request is not JSON")
		http.Error(w, "invalid JSON", http.StatusBadRequest)
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// Respond with 200 anyway, so Slack does not retry an event that
		// would fail again.
		a.log.WarnContext(r.Context(), "unreadable Events API request ignored", "error", err)
		w.WriteHeader(http.StatusOK)
		return
	}

	switch data := ev.Data.(type) {
	case *slackevents.EventsAPIURLVerificationEvent:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, data.Challenge)
		return
	case *slackevents.EventsAPICallbackEvent:
		if retry := r.Header.Get(headerRetryNum); retry != "" {
			a.log.InfoContext(r.Context(), "Events API retry received", logEvent, data.EventID, "retry_num", retry,
				"retry_reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		a.onEvent(r.Context(), data.EventID, ev.InnerEvent)
	case *slackevents.EventsAPIAppRateLimited:
		a.log.WarnContext(r.Context(), "Slack rate-limited the app's events; claims may be missing until the next catch-up")
	}
	w.WriteHeader(http.StatusOK)
}

// writeAck writes payload as JSON, or an empty 200 when it is nil.
func writeAck(w http.ResponseWriter, payload any) {
	if payload == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(payload)
}
