package slack

import (
	"context"
	"sync"
)

// serialQueue runs reaction events one after another in the order they were
// queued, so that a quick "add, remove" of the claim emoji cannot be applied
// as "remove, add". A goroutine drains the queue while it has tasks and
// exits when it is empty.
//
// NOTE: over HTTP, Slack may deliver two events on parallel connections, so
// the queue order is the order in which the requests reached the adapter.
// Socket Mode delivers one envelope after another and keeps Slack's order.
type serialQueue struct {
	adapter *Adapter

	mu       sync.Mutex
	tasks    []queuedTask
	draining bool
}

type queuedTask struct {
	name string
	ctx  context.Context
	run  func(ctx context.Context)
}

// Enqueue adds task to the end of the queue and starts a drainer when none
// runs.
func (q *serialQueue) Enqueue(ctx context.Context, name string, task func(ctx context.Context)) {
	q.mu.Lock()
	defer q.mu.Unlock()

	q.tasks = append(q.tasks, queuedTask{name: name, ctx: ctx, run: task})
	if q.draining {
		return
	}
	q.draining = true
	q.adapter.background(ctx, "event queue", func(context.Context) { q.drain() })
}

// drain runs tasks until the queue is empty. Each task gets its own
// context, bounded by WorkTimeout, through Adapter.runTask.
func (q *serialQueue) drain() {
	for {
		q.mu.Lock()
		if len(q.tasks) == 0 {
			q.draining = false
			q.mu.Unlock()
			return
		}
		task := q.tasks[0]
		q.tasks = q.tasks[1:]
		q.mu.Unlock()

		q.adapter.runTask(task)
	}
}
