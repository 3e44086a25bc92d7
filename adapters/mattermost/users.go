package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
