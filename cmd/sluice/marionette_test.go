package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// marionette is a minimal client of Firefox's Marionette protocol (the one geckodriver speaks): frames
// are "LENGTH:JSON", commands [0, id, name, params], answers [1, id, error, result].
type marionette struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	id   int
}

// dialMarionette connects to Firefox's Marionette port, waiting for Firefox to start, and opens a session.
func dialMarionette(t *testing.T, addr string, wait time.Duration) *marionette {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			m := &marionette{t: t, conn: conn, r: bufio.NewReader(conn)}
			var hello map[string]any
			if err := m.read(&hello); err == nil && hello["marionetteProtocol"] != nil {
				m.call("WebDriver:NewSession", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{"acceptInsecureCerts": false}}})
				return m
			}
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("Firefox's Marionette did not answer on %s within %s", addr, wait)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (m *marionette) read(v any) error {
	m.conn.SetReadDeadline(time.Now().Add(90 * time.Second))
	head, err := m.r.ReadString(':')
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(head[:len(head)-1])
	if err != nil {
		return fmt.Errorf("bad Marionette frame length %q", head)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(m.r, body); err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

// try sends a command and returns its result, or the error Firefox answered with.
func (m *marionette) try(name string, params map[string]any) (any, error) {
	m.id++
	msg, _ := json.Marshal([]any{0, m.id, name, params})
	if _, err := m.conn.Write(append([]byte(strconv.Itoa(len(msg))+":"), msg...)); err != nil {
		return nil, err
	}
	var resp []json.RawMessage
	if err := m.read(&resp); err != nil {
		return nil, err
	}
	if len(resp) != 4 {
		return nil, fmt.Errorf("bad Marionette answer to %s", name)
	}
	if string(resp[2]) != "null" {
		var e struct{ Error, Message string }
		json.Unmarshal(resp[2], &e)
		return nil, fmt.Errorf("%s: %s: %s", name, e.Error, e.Message)
	}
	var out struct{ Value any }
	json.Unmarshal(resp[3], &out)
	return out.Value, nil
}

// call is try that fails the test on an error.
func (m *marionette) call(name string, params map[string]any) any {
	m.t.Helper()
	v, err := m.try(name, params)
	if err != nil {
		m.t.Fatal(err)
	}
	return v
}

// context switches between "content" (pages) and "chrome" (the browser's own privileged code).
func (m *marionette) context(c string) { m.call("Marionette:SetContext", map[string]any{"value": c}) }

// eval runs an async script (its last argument is the callback that answers) and returns what it passes.
func (m *marionette) eval(script string, args ...any) any {
	m.t.Helper()
	if args == nil {
		args = []any{}
	}
	return m.call("WebDriver:ExecuteAsyncScript", map[string]any{"script": script, "args": args, "scriptTimeout": 60000})
}

// poll evaluates a synchronous expression until it is true, or fails the test naming what it waited for.
func (m *marionette) poll(expr, what string, wait time.Duration) {
	m.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		v, err := m.try("WebDriver:ExecuteScript", map[string]any{"script": "return Boolean(" + expr + ")", "args": []any{}})
		if err == nil && v == true {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (m *marionette) close() {
	m.try("Marionette:Quit", map[string]any{"flags": []string{"eForceQuit"}})
	m.conn.Close()
}
