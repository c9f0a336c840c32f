package notify

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type received struct {
	query string
	body  map[string]any
}

// receiver starts a loopback webhook that answers robot-style {"errcode":0} and reports each body.
func receiver(t *testing.T) (string, chan received) {
	t.Helper()
	ch := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &m); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad", 400)
			return
		}
		ch <- received{r.URL.RawQuery, m}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

func wait[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatal("nothing received")
	}
	panic("unreachable")
}

var sampleAlert = Alert{Kind: "block", User: "zhangsan", DisplayName: "张三", Destination: "pan.baidu.com",
	Files: []string{"客户清单.xlsx"}, Reasons: []string{"客户手机号×120"}, EventID: 12, ConsoleURL: "http://127.0.0.1:8081/audit?id=12"}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestAlertWeComAndWebhook(t *testing.T) {
	wu, wch := receiver(t)
	hu, hch := receiver(t)
	a := NewAlerter([]AlertChannel{{Type: "wecom", URL: wu + "/cgi-bin/webhook/send?key=K"}, {Type: "webhook", URL: hu, On: []string{"request"}}}, quietLogger())
	defer a.Close()
	a.Send(sampleAlert)
	req := sampleAlert
	req.Kind, req.RequestID = "request", "R-ABC"
	a.Send(req)

	// Two workers deliver concurrently: collect both WeCom messages, in any order.
	var block, request string
	for range 2 {
		got := wait(t, wch)
		md, _ := got.body["markdown"].(map[string]any)
		content, _ := md["content"].(string)
		if got.body["msgtype"] != "markdown" || got.query != "key=K" || !strings.Contains(content, "张三") ||
			!strings.Contains(content, "客户清单.xlsx") || !strings.Contains(content, "pan.baidu.com") {
			t.Fatalf("wecom body = %v (query %q)", got.body, got.query)
		}
		if strings.Contains(content, "R-ABC") {
			request = content
		} else {
			block = content
		}
	}
	if !strings.Contains(block, "拦截") || !strings.Contains(request, "审批申请") {
		t.Fatalf("wecom messages: block %q request %q", block, request)
	}
	// The webhook only wants requests: its first (and only) alert is the request.
	hook := wait(t, hch)
	if hook.body["kind"] != "request" || hook.body["request_id"] != "R-ABC" || hook.body["user"] != "zhangsan" {
		t.Fatalf("webhook body = %v", hook.body)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if sent, failed := a.Stats(); sent == 3 && failed == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("stats sent=%d failed=%d", sent, failed)
		}
	}
}

func TestAlertDingTalkSigned(t *testing.T) {
	u, ch := receiver(t)
	secret := "SEC0123456789abcdef"
	a := NewAlerter([]AlertChannel{{Type: "dingtalk", URL: u + "/robot/send?access_token=T", Secret: secret}}, quietLogger())
	defer a.Close()
	a.Send(sampleAlert)
	got := wait(t, ch)
	q, err := url.ParseQuery(got.query)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || q.Get("access_token") != "T" {
		t.Fatalf("query = %q", got.query)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(q.Get("timestamp") + "\n" + secret))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); q.Get("sign") != want {
		t.Fatalf("sign %q, want %q", q.Get("sign"), want)
	}
	if d := time.Since(time.UnixMilli(ts)); d < 0 || d > time.Hour {
		t.Fatalf("timestamp %d is not now", ts)
	}
	md, _ := got.body["markdown"].(map[string]any)
	if got.body["msgtype"] != "markdown" || md["title"] == "" || !strings.Contains(md["text"].(string), "张三") {
		t.Fatalf("dingtalk body = %v", got.body)
	}
}

func TestAlertRetriesAndNeverBlocks(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	ok := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n == 1 {
			<-release // the first attempt hangs until the test has seen Send return
		}
		if n <= 2 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		io.WriteString(w, `{"errcode":0}`)
		ok <- struct{}{}
	}))
	defer srv.Close()
	a := NewAlerter([]AlertChannel{{Type: "wecom", URL: srv.URL}}, quietLogger())
	a.FirstBackoff = 10 * time.Millisecond
	defer a.Close()
	a.Send(sampleAlert) // returns although the receiver is stuck
	close(release)
	wait(t, ok)
	if calls.Load() != 3 {
		t.Fatalf("%d attempts, want 3", calls.Load())
	}

	// A receiver that is down for good: given up after Attempts, counted as failed.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()
	b := NewAlerter([]AlertChannel{{Type: "webhook", URL: dead}}, quietLogger())
	b.FirstBackoff, b.Attempts = time.Millisecond, 3
	defer b.Close()
	b.Send(sampleAlert)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, failed := b.Stats(); failed == 1 {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("dead receiver never counted as failed")
		}
	}
}

// smtpServer is a tiny loopback SMTP server that accepts one message and reports it.
func smtpServer(t *testing.T) (string, chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		tp := textproto.NewConn(conn)
		tp.PrintfLine("220 localhost ESMTP test")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.Fields(line + " x")[0])
			switch cmd {
			case "EHLO", "HELO":
				tp.PrintfLine("250-localhost\r\n250 AUTH PLAIN")
			case "AUTH":
				raw, _ := base64.StdEncoding.DecodeString(strings.Fields(line)[2])
				if string(raw) != "\x00robot\x00pw123456" {
					tp.PrintfLine("535 bad credentials")
					continue
				}
				tp.PrintfLine("235 ok")
			case "MAIL", "RCPT":
				tp.PrintfLine("250 ok")
			case "DATA":
				tp.PrintfLine("354 go on")
				data, err := tp.ReadDotBytes()
				if err != nil {
					return
				}
				out <- string(data)
				tp.PrintfLine("250 queued")
			case "QUIT":
				tp.PrintfLine("221 bye")
				return
			default:
				tp.PrintfLine("502 unknown")
			}
		}
	}()
	return l.Addr().String(), out
}

func TestAlertSMTP(t *testing.T) {
	addr, out := smtpServer(t)
	a := NewAlerter([]AlertChannel{{Type: "smtp", SMTPAddr: addr, SMTPUser: "robot", SMTPPassword: "pw123456",
		From: "sluice@example.cn", To: []string{"boss@example.cn"}}}, quietLogger())
	defer a.Close()
	a.Send(sampleAlert)
	raw := wait(t, out)
	msg, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	body, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
	if !strings.Contains(subj, "张三") || msg.Header.Get("To") != "boss@example.cn" || !strings.Contains(string(body), "客户清单.xlsx") ||
		!strings.Contains(string(body), "http://127.0.0.1:8081/audit?id=12") {
		t.Fatalf("mail subject %q body %q", subj, body)
	}
}
