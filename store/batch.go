package store

import "sync"

// Appends to the audit chain are serial (each needs the MAC of the one before), so each costs one
// commit, and a commit waits for the disk (bbolt's fsync, PostgreSQL's WAL flush). To decide many
// uploads at once, concurrent AppendEvent calls on one node share a transaction: while one is being
// committed, the next ones queue, and all queued go into the next transaction (group commit, with no
// added delay when the node is idle). When a shared transaction fails, each of its appends is tried
// again on its own, so one bad append fails only itself.

// maxBatch bounds the appends of one transaction.
const maxBatch = 128

type batchCall struct {
	fn   func(Tx) error
	done chan error
}

type batcher struct {
	mu      sync.Mutex
	queue   []*batchCall
	running bool
}

// batched runs fn in a write transaction, possibly shared with other calls of batched.
func (db *DB) batched(fn func(Tx) error) error {
	c := &batchCall{fn: fn, done: make(chan error, 1)}
	b := &db.batch
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if !b.running {
		b.running = true
		go db.runBatches()
	}
	b.mu.Unlock()
	return <-c.done
}

// runBatches commits the queued calls, a batch at a time, until the queue is empty.
func (db *DB) runBatches() {
	b := &db.batch
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		n := min(len(b.queue), maxBatch)
		calls := b.queue[:n:n]
		b.queue = append([]*batchCall(nil), b.queue[n:]...)
		b.mu.Unlock()
		err := db.update(func(tx Tx) error {
			for _, c := range calls {
				if err := c.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && len(calls) > 1 {
			for _, c := range calls {
				c.done <- db.update(c.fn)
			}
			continue
		}
		for _, c := range calls {
			c.done <- err
		}
	}
}
