package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/leitstelle/leitstelle/bot"
)

// userCacheTTL is how long a looked-up user name is reused. Roles are
// configured by user name, so a renamed user gets the new name's roles
// after at most this long.
const userCacheTTL = 10 * time.Minute

// errUnknownUser reports a user id that the server does not know.
var errUnknownUser = errors.New("unknown user")

// userCache resolves user ids to user names. Dialog submissions and
// reactions carry only the id, and the name in a button press is not
// signed, so the adapter fetches names from the server.
type userCache struct {
	client *model.Client4
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]cachedUser
}

type cachedUser struct {
	name    string
	fetched time.Time
}

// user returns the user with id and the current user name. It returns
// errUnknownUser when the server has no such user.
func (c *userCache) user(ctx context.Context, id string) (bot.User, error) {
	if !model.IsValidId(id) {
		return bot.User{}, fmt.Errorf("%w: invalid id %q", errUnknownUser, id)
	}

	c.mu.Lock()
	entry, ok := c.entries[id]
	c.mu.Unlock()
	if ok && c.now().Sub(entry.fetched) < userCacheTTL {
		return bot.User{ID: id, Name: entry.name}, nil
	}

	u, _, err := c.client.GetUser(ctx, id, "")
	if status := statusOf(err); status == http.StatusNotFound || status == http.StatusBadRequest {
		return bot.User{}, fmt.Errorf("%w: %s", errUnknownUser, id)
	}
	if err != nil {
		return bot.User{}, fmt.Errorf("get user %s: %w", id, err)
	}

	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]cachedUser)
	}
	c.entries[id] = cachedUser{name: u.Username, fetched: c.now()}
	c.mu.Unlock()
	return bot.User{ID: id, Name: u.Username}, nil
}

// ResolveUsers turns configured user names or ids into user ids, so that
// roles stay with the person even when someone later takes a freed or
// mistyped name. Entries the server does not know are logged and left
// out.
func (a *Adapter) ResolveUsers(ctx context.Context, entries []string) []string {
	var ids []string
	for _, entry := range entries {
		name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(entry), "@"))
		if model.IsValidId(name) {
			if u, _, err := a.client.GetUser(ctx, name, ""); err == nil {
				ids = append(ids, u.Id)
				continue
			}
		}
		u, _, err := a.client.GetUserByUsername(ctx, name, "")
		if err != nil {
			a.log.Warn("configured user not found, it gets no role", "error", err, "user_name", entry,
				logFix, "check the user name in it_users or leadership_users")
			continue
		}
		if u.DeleteAt != 0 {
			a.log.Warn("configured user is deactivated, it gets no role", "user_name", entry, logUser, u.Id)
			continue
		}
		ids = append(ids, u.Id)
	}
	return dedupe(ids)
}
