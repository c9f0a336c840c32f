// Package notify tells people what Sluice decided: the browser-extension hub (/ws) delivers
// notices to reps, the alerter sends manager alerts to WeCom, DingTalk, webhooks and e-mail.
package notify

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/store"
)

// Notice is the wire type of one message to an extension.
type Notice = api.Notice

// Hub limits and timings.
const (
	backlogPerUser  = 100              // notices kept per user for replay with since=
	queuePerClient  = 32               // notices waiting to be written to one connection
	helloTimeout    = 10 * time.Second // the client must say hello this fast
	writeTimeout    = 10 * time.Second // a connection that cannot take a write this fast is dropped
	maxClientMsg    = 4096             // bytes; clients only send hello
	CloseBadToken   = 4401             // WebSocket close code for a missing or unknown token
	CloseTooMany    = 4429             // WebSocket close code when a user already has maxConnsPerUser connections
	maxConnsPerUser = 16
)

// Hub delivers notices to the extension connections of each user.
type Hub struct {
	db            *store.DB
	origins       []string
	allowLoopback bool
	upgrader      websocket.Upgrader
	// PingEvery is how often the server pings (MV3 service workers sleep without traffic).
	PingEvery time.Duration

	mu      sync.Mutex
	nextID  uint64
	backlog map[string][]Notice
	clients map[string]map[*wsClient]struct{}
	drops   atomic.Uint64
}

type wsClient struct {
	queue chan Notice
	after uint64 // notices up to this id were replayed
}

// NewHub makes a hub that accepts WebSocket upgrades only from allowedOrigins
// (chrome-extension://ID, moz-extension://UUID) and, when allowLoopbackOrigins, loopback pages.
func NewHub(db *store.DB, allowedOrigins []string, allowLoopbackOrigins bool) *Hub {
	// Ids start at the current Unix millisecond so they keep increasing across daemon restarts:
	// a reconnecting extension's since= stays below every new notice (and within JavaScript's safe integers).
	h := &Hub{db: db, allowLoopback: allowLoopbackOrigins, PingEvery: 20 * time.Second, nextID: uint64(time.Now().UnixMilli()),
		backlog: map[string][]Notice{}, clients: map[string]map[*wsClient]struct{}{}}
	for _, o := range allowedOrigins {
		h.origins = append(h.origins, strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/"))
	}
	h.upgrader = websocket.Upgrader{CheckOrigin: h.originOK, HandshakeTimeout: helloTimeout}
	if h.shared() {
		h.follow()
	}
	return h
}

// originOK accepts configured extension origins and, if enabled, http(s) pages on loopback.
func (h *Hub) originOK(r *http.Request) bool {
	o := strings.ToLower(r.Header.Get("Origin"))
	if o == "" {
		return false
	}
	if slices.Contains(h.origins, o) {
		return true
	}
	if !h.allowLoopback {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return isLoopbackHost(u.Hostname())
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Notify queues n for user's connected extensions and keeps it for replay; it never blocks on a client.
func (h *Hub) Notify(user string, n Notice) {
	if n.Time.IsZero() {
		n.Time = time.Now().UTC()
	}
	if h.shared() && h.publish(user, n) == nil {
		return // delivered by every node when the store signals it (cluster.go)
	}
	h.mu.Lock()
	h.nextID++
	n.ID = h.nextID
	h.mu.Unlock()
	h.deliver(user, n)
}

// deliver keeps n for replay and queues it for user's connections to this node.
func (h *Hub) deliver(user string, n Notice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := append(h.backlog[user], n)
	if len(b) > backlogPerUser {
		b = append([]Notice(nil), b[len(b)-backlogPerUser:]...)
	}
	h.backlog[user] = b
	for c := range h.clients[user] {
		if n.ID > c.after {
			h.enqueue(c, n)
		}
	}
}

// enqueue puts n on c's queue, dropping the oldest waiting notice when full. Caller holds h.mu.
func (h *Hub) enqueue(c *wsClient, n Notice) {
	for {
		select {
		case c.queue <- n:
			return
		default:
		}
		select {
		case <-c.queue:
			h.drops.Add(1)
		default:
		}
	}
}

// Drops returns how many notices were dropped because a client was too slow.
func (h *Hub) Drops() uint64 { return h.drops.Load() }

// Connected returns how many extension connections user has.
func (h *Hub) Connected(user string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients[user])
}

type hello struct {
	Type  string `json:"type"`
	Token string `json:"token"`
	Since uint64 `json:"since"`
}

// ServeHTTP is the /ws endpoint: upgrade, hello with token, welcome, replay, then live notices.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered (403 for a bad origin)
	}
	defer conn.Close()
	conn.SetReadLimit(maxClientMsg)
	conn.SetReadDeadline(time.Now().Add(helloTimeout))
	var hi hello
	var u *store.User
	if err := conn.ReadJSON(&hi); err == nil && hi.Type == "hello" && hi.Token != "" {
		u, _ = h.db.UserByToken(hi.Token)
	}
	if u == nil {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseBadToken, "bad token"), time.Now().Add(time.Second))
		return
	}
	c := &wsClient{queue: make(chan Notice, queuePerClient)}
	h.mu.Lock()
	if len(h.clients[u.Name]) >= maxConnsPerUser {
		h.mu.Unlock()
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseTooMany, "too many connections"), time.Now().Add(time.Second))
		return
	}
	var replay []Notice
	for _, n := range h.backlog[u.Name] {
		if n.ID > hi.Since {
			replay = append(replay, n)
		}
	}
	if h.shared() {
		replay = h.storedSince(u.Name, hi.Since) // whichever node the notices were decided on
		if len(replay) > 0 {
			c.after = replay[len(replay)-1].ID // replayed: not queued again when its signal arrives
		}
	}
	if h.clients[u.Name] == nil {
		h.clients[u.Name] = map[*wsClient]struct{}{}
	}
	h.clients[u.Name][c] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients[u.Name], c)
		if len(h.clients[u.Name]) == 0 {
			delete(h.clients, u.Name)
		}
		h.mu.Unlock()
	}()

	done := make(chan struct{})
	go func() { // reader: answers pings/pongs, notices the close
		defer close(done)
		conn.SetReadDeadline(time.Time{})
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	write := func(v any) bool {
		data, err := json.Marshal(v)
		if err != nil {
			return false
		}
		conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		return conn.WriteMessage(websocket.TextMessage, data) == nil
	}
	// Registered first, so nothing notified from now on is missed; the queue is only read after the replay.
	if !write(map[string]string{"type": "welcome", "user": u.Name, "display_name": u.Label()}) {
		return
	}
	for _, n := range replay {
		if !write(n) {
			return
		}
	}
	ping := time.NewTicker(h.PingEvery)
	defer ping.Stop()
	for {
		select {
		case n := <-c.queue:
			if !write(n) {
				return
			}
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)) != nil {
				return
			}
		case <-done:
			return
		}
	}
}
