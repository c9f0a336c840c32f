package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Signals tell every node sharing a store that something changed (PostgreSQL LISTEN/NOTIFY on the
// channel "sluice"); with bbolt there is one node and a signal is delivered in-process. Notices for
// the browser extensions are kept in the shared store with ids handed out in commit order, so an
// extension replays from any node with since=.

// signalChannel is the LISTEN/NOTIFY channel of every node.
const signalChannel = "sluice"

// Signal is one message to every node: what changed (Kind), about what (Data), from which node.
type Signal struct {
	Kind   string `json:"k"`
	Data   string `json:"d,omitempty"`
	Origin string `json:"o"`
}

// SignalResync is the Kind of the signal a node's listener delivers after reconnecting: signals may
// have been missed, so subscribers reload what they cache.
const SignalResync = "resync"

type signalState struct {
	mu     sync.Mutex
	node   string
	subs   map[int]func(Signal)
	next   int
	cancel context.CancelFunc
	done   chan struct{}
}

// NodeID names this process among the nodes sharing the store (random, per open).
func (db *DB) NodeID() string {
	db.signals.mu.Lock()
	defer db.signals.mu.Unlock()
	if db.signals.node == "" {
		var b [6]byte
		rand.Read(b[:])
		db.signals.node = hex.EncodeToString(b[:])
	}
	return db.signals.node
}

// Shared reports whether several nodes may share this store (PostgreSQL).
func (db *DB) Shared() bool { _, ok := db.be.(*pgBackend); return ok }

// Publish sends a signal of kind about data to every node subscribed to the store, this one included.
func (db *DB) Publish(kind, data string) error {
	s := Signal{Kind: kind, Data: data, Origin: db.NodeID()}
	p, ok := db.be.(*pgBackend)
	if !ok {
		db.deliver(s)
		return nil
	}
	payload, _ := json.Marshal(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, signalChannel, string(payload))
	return pgErr(err)
}

// Subscribe calls fn (on one goroutine, in order) for every signal until the returned cancel is
// called or the store closes; with PostgreSQL the first subscription starts this node's listener and
// returns once it listens (or after 5 s), so no signal sent after Subscribe returns is missed.
func (db *DB) Subscribe(fn func(Signal)) (cancel func()) {
	st := &db.signals
	st.mu.Lock()
	if st.subs == nil {
		st.subs = map[int]func(Signal){}
	}
	id := st.next
	st.next++
	st.subs[id] = fn
	var listening chan struct{}
	if p, ok := db.be.(*pgBackend); ok && st.cancel == nil {
		ctx, stop := context.WithCancel(context.Background())
		st.cancel, st.done = stop, make(chan struct{})
		listening = make(chan struct{})
		go db.listen(ctx, p, st.done, listening)
	}
	st.mu.Unlock()
	if listening != nil { // a signal sent before LISTEN runs would be missed: wait for it (a little)
		select {
		case <-listening:
		case <-time.After(5 * time.Second):
		}
	}
	return func() {
		st.mu.Lock()
		delete(st.subs, id)
		st.mu.Unlock()
	}
}

// deliver hands s to every subscriber.
func (db *DB) deliver(s Signal) {
	db.signals.mu.Lock()
	fns := make([]func(Signal), 0, len(db.signals.subs))
	for _, fn := range db.signals.subs {
		fns = append(fns, fn)
	}
	db.signals.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

// listen keeps one connection LISTENing, reconnecting (and delivering SignalResync) after a failure.
// The first time LISTEN runs it closes listening.
func (db *DB) listen(ctx context.Context, p *pgBackend, done, listening chan struct{}) {
	defer close(done)
	for first := true; ctx.Err() == nil; first = false {
		conn, err := pgx.Connect(ctx, p.dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+signalChannel)
		}
		if err == nil {
			if listening != nil {
				close(listening)
				listening = nil
			}
			if !first {
				db.deliver(Signal{Kind: SignalResync, Origin: db.NodeID()})
			}
			for err == nil {
				var n *pgconn.Notification
				n, err = conn.WaitForNotification(ctx)
				if err == nil {
					var s Signal
					if json.Unmarshal([]byte(n.Payload), &s) == nil {
						db.deliver(s)
					}
				}
			}
		}
		if conn != nil {
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// stopSignals stops this node's listener.
func (db *DB) stopSignals() {
	db.signals.mu.Lock()
	cancel, done := db.signals.cancel, db.signals.done
	db.signals.cancel = nil
	db.signals.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// SignalNotice is the Kind of the signal that a notice was stored; Data is its id.
const SignalNotice = "notice"

// AddNotice stores a notice for user under the next company-wide notice id (handed out under a row
// lock, so ids follow commit order) and signals every node; build makes its bytes given the id.
func (db *DB) AddNotice(user string, build func(id uint64) ([]byte, error)) (uint64, error) {
	p, ok := db.be.(*pgBackend)
	if !ok {
		return 0, l10n.New(l10n.Invalid, "只有共享的 PostgreSQL 存储保存通知", "only a shared PostgreSQL store keeps notices")
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	var id uint64
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		// a notice is a courtesy to the extension (the audit event is the record): its commit does not
		// wait for the disk, so the counter's row lock is held only for a moment
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE sluice_notice_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&id); err != nil {
			return err
		}
		data, err := build(id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sluice_notices (id, username, data) VALUES ($1, $2, $3)`, int64(id), user, data); err != nil {
			return err
		}
		if id%256 == 0 { // keep a week
			if _, err := tx.Exec(ctx, `DELETE FROM sluice_notices WHERE created < now() - interval '7 days'`); err != nil {
				return err
			}
		}
		payload, _ := json.Marshal(Signal{Kind: SignalNotice, Data: strconv.FormatUint(id, 10), Origin: db.NodeID()})
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, signalChannel, string(payload)) // sent at commit
		return err
	})
	return id, pgErr(err)
}

// Notice returns the user and bytes of a stored notice.
func (db *DB) Notice(id uint64) (user string, data []byte, err error) {
	p, ok := db.be.(*pgBackend)
	if !ok {
		return "", nil, ErrNotFound
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	err = p.pool.QueryRow(ctx, `SELECT username, data FROM sluice_notices WHERE id = $1`, int64(id)).Scan(&user, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, ErrNotFound
	}
	return user, data, pgErr(err)
}

// NoticesSince returns the bytes of user's stored notices with ids above since, oldest first (at most limit).
func (db *DB) NoticesSince(user string, since uint64, limit int) ([][]byte, error) {
	p, ok := db.be.(*pgBackend)
	if !ok {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, `SELECT data FROM (SELECT id, data FROM sluice_notices WHERE username = $1 AND id > $2 ORDER BY id DESC LIMIT $3) n ORDER BY id`,
		user, int64(since), limit)
	if err != nil {
		return nil, pgErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	return out, pgErr(err)
}
