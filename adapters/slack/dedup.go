package slack

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Bounds of the in-memory de-duplication sets.
const (
	// eventMemory covers Slack's Events API retries (after about 1 and 5
	// minutes) and Socket Mode redeliveries with a wide margin.
	eventMemory     = time.Hour
	maxRecentEvents = 20000
	// requestMemory covers the 5 minutes a request timestamp is accepted,
	// in both directions.
	requestMemory     = 11 * time.Minute
	maxRecentRequests = 20000
)

// recentSet remembers keys for a while, oldest first, within a maximum
// size. It is safe for concurrent use.
//
// NOTE: it lives in memory only. After a restart, or when more than max keys
// arrive within the memory period, an old key counts as new again. For
// events, the optional DeliveryLog covers the restart.
type recentSet struct {
	mu     sync.Mutex
	memory time.Duration
	max    int
	now    func() time.Time
	order  *list.List // of recentKey, oldest at the front
	keys   map[string]*list.Element
}

type recentKey struct {
	key  string
	seen time.Time
}

func newRecentSet(memory time.Duration, max int, now func() time.Time) *recentSet {
	return &recentSet{memory: memory, max: max, now: now, order: list.New(), keys: map[string]*list.Element{}}
}

// Add records key and reports whether it is new, that is not seen within
// the memory period.
func (s *recentSet) Add(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.now()
	s.expire(now)
	if _, seen := s.keys[key]; seen {
		return false
	}

	s.keys[key] = s.order.PushBack(recentKey{key: key, seen: now})
	for s.order.Len() > s.max {
		s.remove(s.order.Front())
	}
	return true
}

// expire drops keys older than the memory period. The caller holds s.mu.
func (s *recentSet) expire(now time.Time) {
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		if now.Sub(e.Value.(recentKey).seen) <= s.memory {
			return
		}
		s.remove(e)
	}
}

func (s *recentSet) remove(e *list.Element) {
	delete(s.keys, e.Value.(recentKey).key)
	s.order.Remove(e)
}

// firstPersistedDelivery reports whether the delivery log has not seen
// event eventID before, and records it. Without a delivery log, or for an
// empty ID, every event counts as new. A failing delivery log is logged and
// the event handled, so that a database outage does not drop claims.
func (a *Adapter) firstPersistedDelivery(ctx context.Context, eventID string) bool {
	if a.deliveries == nil || eventID == "" {
		return true
	}
	first, err := a.deliveries.FirstDelivery(ctx, "slack:event:"+eventID)
	if err != nil {
		a.log.ErrorContext(ctx, "record event delivery, handling the event anyway", "error", err, logEvent, eventID)
		return true
	}
	if !first {
		a.log.InfoContext(ctx, "event delivered before a restart skipped", logEvent, eventID)
	}
	return first
}
