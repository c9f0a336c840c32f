package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var alertClient = &http.Client{Timeout: 15 * time.Second}

// postJSON posts v as JSON to u; robot answers ({"errcode": N}) must carry errcode 0.
func postJSON(ctx context.Context, u string, v any, robot bool) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alert URL %q is not usable: %w", u, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := alertClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("alert receiver answered %s", resp.Status)
	}
	if robot {
		var ans struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(data, &ans); err != nil {
			return fmt.Errorf("robot webhook answer is not JSON: %.100q", data)
		}
		if ans.ErrCode != 0 {
			return fmt.Errorf("robot webhook refused the message: errcode %d %s", ans.ErrCode, ans.ErrMsg)
		}
	}
	return nil
}

// DingTalkSign returns the DingTalk robot signature: base64(HMAC-SHA256(secret, timestamp+"\n"+secret)).
func DingTalkSign(secret string, timestampMillis int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// dingTalkURL adds the timestamp and sign query parameters when a signing secret is set.
func dingTalkURL(raw, secret string, now time.Time) (string, error) {
	if secret == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("dingtalk URL %q is not a URL: %w", raw, err)
	}
	ts := now.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", DingTalkSign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// sendMail delivers a UTF-8 text mail through the channel's SMTP server (STARTTLS when offered).
func sendMail(ctx context.Context, ch *AlertChannel, subject, text string) error {
	if ch.SMTPAddr == "" || ch.From == "" || len(ch.To) == 0 {
		return fmt.Errorf("smtp alert channel needs smtp_addr, from and to")
	}
	host, _, err := net.SplitHostPort(ch.SMTPAddr)
	if err != nil {
		return fmt.Errorf("smtp_addr %q must be host:port: %w", ch.SMTPAddr, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ch.SMTPAddr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if ch.SMTPUser != "" {
		if err := c.Auth(smtp.PlainAuth("", ch.SMTPUser, ch.SMTPPassword, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(ch.From); err != nil {
		return err
	}
	for _, to := range ch.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		ch.From, strings.Join(ch.To, ", "), mime.BEncoding.Encode("UTF-8", subject), time.Now().Format(time.RFC1123Z))
	msg.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 {
		msg.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	msg.WriteString(enc + "\r\n")
	if _, err := io.WriteString(w, msg.String()); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
