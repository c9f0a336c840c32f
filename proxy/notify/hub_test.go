package notify

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sluice-dlp/sluice/store"
)

const extOrigin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"

// hubFixture starts a hub on a loopback httptest server with users zhang and li, returning their tokens.
func hubFixture(t *testing.T) (*Hub, string, map[string]string) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "sluice.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	toks := map[string]string{}
	for _, n := range []string{"zhang", "li"} {
		if err := db.CreateUser("test", &store.User{Name: n, DisplayName: "用户" + n, Roles: []string{store.RoleStaff}}); err != nil {
			t.Fatal(err)
		}
		if toks[n], err = db.NewToken("test", n); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHub(db, []string{extOrigin}, false)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, "ws" + strings.TrimPrefix(srv.URL, "http"), toks
}

func dialWS(t *testing.T, u, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	hd := http.Header{}
	if origin != "" {
		hd.Set("Origin", origin)
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, hd)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// connect dials with the extension origin, says hello and checks the welcome.
func connect(t *testing.T, u, tok, user string, since uint64) *websocket.Conn {
	t.Helper()
	c, _, err := dialWS(t, u, extOrigin)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := c.WriteJSON(hello{Type: "hello", Token: tok, Since: since}); err != nil {
		t.Fatal(err)
	}
	var w map[string]string
	if err := c.ReadJSON(&w); err != nil || w["type"] != "welcome" || w["user"] != user || w["display_name"] != "用户"+user {
		t.Fatalf("welcome = %v, %v", w, err)
	}
	return c
}

func waitConnected(t *testing.T, h *Hub, user string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); h.Connected(user) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never registered", user)
		}
	}
}

func TestHubRefusesWrongOrigin(t *testing.T) {
	_, u, _ := hubFixture(t)
	for _, o := range []string{"", "https://evil.example", "http://127.0.0.1:9999", "chrome-extension://otherid"} {
		_, resp, err := dialWS(t, u, o)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: err %v resp %v", o, err, resp)
		}
	}
}

func TestHubLoopbackOriginWhenEnabled(t *testing.T) {
	h, u, toks := hubFixture(t)
	h.allowLoopback = true
	c, _, err := dialWS(t, u, "http://127.0.0.1:4321")
	if err != nil {
		t.Fatal(err)
	}
	c.WriteJSON(hello{Type: "hello", Token: toks["li"]})
	var w map[string]string
	if err := c.ReadJSON(&w); err != nil || w["user"] != "li" {
		t.Fatalf("loopback welcome: %v %v", w, err)
	}
	if _, _, err := dialWS(t, u, "http://192.0.2.1"); err == nil {
		t.Fatal("non-loopback page origin accepted")
	}
}

func TestHubBadTokenCloses4401(t *testing.T) {
	_, u, _ := hubFixture(t)
	for _, hi := range []any{hello{Type: "hello", Token: "slc_nope"}, hello{Type: "hello"}, map[string]int{"x": 1}} {
		c, _, err := dialWS(t, u, extOrigin)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		c.WriteJSON(hi)
		_, _, err = c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != CloseBadToken {
			t.Fatalf("hello %v: err %v, want close 4401", hi, err)
		}
	}
}

func TestHubDeliversToRightUserAndReplays(t *testing.T) {
	h, u, toks := hubFixture(t)
	base := h.nextID
	h.Notify("zhang", Notice{Type: "held", EventID: 1})
	h.Notify("zhang", Notice{Type: "blocked", EventID: 2})
	h.Notify("li", Notice{Type: "blocked", EventID: 3})
	h.Notify("zhang", Notice{Type: "approved", RequestID: "R-X"})

	z := connect(t, u, toks["zhang"], "zhang", base+1) // seen the first notice already
	var n Notice
	for _, want := range []uint64{base + 2, base + 4} {
		if err := z.ReadJSON(&n); err != nil || n.ID != want {
			t.Fatalf("replay: got %+v %v, want id %d", n, err, want)
		}
	}
	l := connect(t, u, toks["li"], "li", base+3) // li has seen everything
	waitConnected(t, h, "zhang", 1)
	waitConnected(t, h, "li", 1)
	h.Notify("zhang", Notice{Type: "held", EventID: 7, Files: []string{"客户清单.xlsx"}, FormURL: "http://127.0.0.1:8081/request/new?event=7"})
	h.Notify("li", Notice{Type: "denied", RequestID: "R-LI"})
	if err := z.ReadJSON(&n); err != nil || n.EventID != 7 || n.Files[0] != "客户清单.xlsx" || n.Time.IsZero() {
		t.Fatalf("zhang live: %+v %v", n, err)
	}
	if err := l.ReadJSON(&n); err != nil || n.RequestID != "R-LI" {
		t.Fatalf("li got someone else's notice or nothing: %+v %v", n, err)
	}
}

func TestHubPings(t *testing.T) {
	h, u, toks := hubFixture(t)
	h.PingEvery = 20 * time.Millisecond
	c := connect(t, u, toks["zhang"], "zhang", 0)
	got := make(chan struct{}, 1)
	c.SetPingHandler(func(string) error {
		select {
		case got <- struct{}{}:
		default:
		}
		return nil
	})
	go c.ReadMessage()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no ping from the server")
	}
}

func TestHubSlowConsumerDoesNotBlock(t *testing.T) {
	h, u, toks := hubFixture(t)
	connect(t, u, toks["zhang"], "zhang", 0) // never reads again
	fast := connect(t, u, toks["li"], "li", 0)
	waitConnected(t, h, "zhang", 1)
	waitConnected(t, h, "li", 1)
	big := []string{strings.Repeat("原因", 8<<10)} // ~48 KB per notice
	const n = 2000                               // ~100 MB for zhang: far beyond socket buffers
	for i := range n {
		h.Notify("zhang", Notice{Type: "blocked", EventID: uint64(i), Reasons: big})
	}
	// The proxy path is not stalled: another user's notice still arrives.
	h.Notify("li", Notice{Type: "held", EventID: 99})
	fast.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got Notice
	if err := fast.ReadJSON(&got); err != nil || got.EventID != 99 {
		t.Fatalf("fast client: %+v %v", got, err)
	}
	if h.Drops() == 0 {
		t.Fatal("slow consumer: no drops counted")
	}
	h.mu.Lock()
	kept := len(h.backlog["zhang"])
	h.mu.Unlock()
	if kept != backlogPerUser {
		t.Fatalf("backlog holds %d notices, want bounded %d", kept, backlogPerUser)
	}
}

func TestHubConnectionCap(t *testing.T) {
	h, u, toks := hubFixture(t)
	for range maxConnsPerUser {
		connect(t, u, toks["zhang"], "zhang", 0)
	}
	waitConnected(t, h, "zhang", maxConnsPerUser)
	c, _, err := dialWS(t, u, extOrigin)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	c.WriteJSON(hello{Type: "hello", Token: toks["zhang"]})
	_, _, err = c.ReadMessage() // no welcome: closed at once
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != CloseTooMany {
		t.Fatalf("connection over the cap: %v", err)
	}
}
