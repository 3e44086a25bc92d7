package slack

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Cache bounds of the user directory.
const (
	userNameMemory = time.Hour
	maxCachedNames = 5000
	userListMemory = 10 * time.Minute
)

// userDirectory maps Slack user IDs to user names and back. Slack's reaction
// events carry only the user ID, but roles may be configured by user name.
type userDirectory struct {
	api *slackapi.Client
	now func() time.Time

	mu    sync.Mutex
	names map[string]cachedName
	// byKey maps a lowercase user ID or user name to the user ID, filled
	// from users.list at listed.
	byKey  map[string]string
	listed time.Time
}

type cachedName struct {
	name string
	at   time.Time
}

func newUserDirectory(api *slackapi.Client, now func() time.Time) *userDirectory {
	return &userDirectory{api: api, now: now, names: map[string]cachedName{}}
}

// Remember stores the name that a request from Slack carried for id.
func (d *userDirectory) Remember(id, name string) {
	if id == "" || name == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()

	if len(d.names) >= maxCachedNames {
		// Dropping the whole cache is simpler than tracking age, and it
		// refills from requests and users.info.
		d.names = map[string]cachedName{}
	}
	d.names[id] = cachedName{name: name, at: d.now()}
}

// Name returns the user name (the "name" field of users.info) of user id.
func (d *userDirectory) Name(ctx context.Context, id string) (string, error) {
	d.mu.Lock()
	cached, ok := d.names[id]
	d.mu.Unlock()
	if ok && d.now().Sub(cached.at) < userNameMemory {
		return cached.name, nil
	}

	u, err := d.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return "", fmt.Errorf("users.info %s: %w", id, err)
	}
	d.Remember(id, u.Name)
	return u.Name, nil
}

// Resolve returns the user IDs of entries, each a user ID or a user name
// without regard to case, and the entries it found no active user for.
func (d *userDirectory) Resolve(ctx context.Context, entries []string) (ids, unknown []string, err error) {
	byKey, err := d.userKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, entry := range entries {
		key := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(entry), "@"))
		if id, ok := byKey[key]; ok {
			ids = append(ids, id)
		} else {
			unknown = append(unknown, entry)
		}
	}
	return ids, unknown, nil
}

// userKeys returns the lookup map from users.list, listing again when it
// is older than userListMemory. The map is never changed after it is built,
// so callers may read it without the lock.
func (d *userDirectory) userKeys(ctx context.Context) (map[string]string, error) {
	d.mu.Lock()
	cached, fresh := d.byKey, d.byKey != nil && d.now().Sub(d.listed) < userListMemory
	d.mu.Unlock()
	if fresh {
		return cached, nil
	}

	users, err := d.api.GetUsersContext(ctx, slackapi.GetUsersOptionLimit(200))
	if err != nil {
		return nil, fmt.Errorf("users.list: %w", err)
	}
	byKey := make(map[string]string, 2*len(users))
	for _, u := range users {
		if u.Deleted || u.IsBot {
			continue
		}
		byKey[strings.ToLower(u.ID)] = u.ID
		byKey[strings.ToLower(u.Name)] = u.ID
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	d.byKey, d.listed = byKey, d.now()
	return byKey, nil
}

// ResolveUsers turns configured user names or IDs into user IDs, so that
// roles stay with the person even when someone later takes a freed or
// mistyped name. Entries Slack does not know are logged and left out.
func (a *Adapter) ResolveUsers(ctx context.Context, entries []string) ([]string, error) {
	ids, unknown, err := a.users.Resolve(ctx, entries)
	if err != nil {
		return nil, err
	}
	for _, entry := range unknown {
		a.log.WarnContext(ctx, "configured user not found, it gets no role", "user_name", entry,
			"fix", "check the member ID or user name in it_users or leadership_users")
	}
	return ids, nil
}
