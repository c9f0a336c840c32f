package notify

import (
	"context"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Alert is the wire type of one manager alert.
type Alert = api.Alert

// AlertChannel is one configured alert destination (policy.yaml `alerts:` list).
type AlertChannel = policy.AlertChannel

// wants reports whether the channel takes alerts of this kind; every channel takes tamper alerts.
func wants(c *AlertChannel, kind string) bool {
	return len(c.On) == 0 || slices.Contains(c.On, kind) || kind == "tamper"
}

// Alerter delivers alerts to every channel off the caller's path, retrying with backoff.
type Alerter struct {
	channels []AlertChannel
	log      *slog.Logger
	queue    chan alertJob
	sent     atomic.Uint64
	failed   atomic.Uint64
	retrying atomic.Int64
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	// Attempts is how many times one alert is tried per channel; FirstBackoff doubles after each failure.
	Attempts     int
	FirstBackoff time.Duration
	// Timeout bounds one delivery attempt.
	Timeout time.Duration
}

type alertJob struct {
	ch      *AlertChannel
	al      Alert
	attempt int
}

// Bounds: alerts waiting for a worker, and alerts waiting out a retry backoff.
const (
	alertQueue      = 1000
	maxAlertRetries = 1000
)

// NewAlerter starts an alerter for channels; call Close when done.
func NewAlerter(channels []AlertChannel, logger *slog.Logger) *Alerter {
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Alerter{channels: channels, log: logger, queue: make(chan alertJob, alertQueue), ctx: ctx, cancel: cancel,
		Attempts: 5, FirstBackoff: 2 * time.Second, Timeout: 10 * time.Second}
	for i := range a.channels {
		a.channels[i].Type = strings.ToLower(strings.TrimSpace(a.channels[i].Type))
	}
	a.wg.Add(2)
	for range 2 {
		go a.worker()
	}
	return a
}

// Send queues al for every channel that wants its kind; it never blocks the caller.
func (a *Alerter) Send(al Alert) {
	if a == nil {
		return
	}
	if al.Time.IsZero() {
		al.Time = time.Now().UTC()
	}
	for i := range a.channels {
		if wants(&a.channels[i], al.Kind) {
			a.enqueue(alertJob{ch: &a.channels[i], al: al})
		}
	}
}

func (a *Alerter) enqueue(j alertJob) {
	if a.ctx.Err() != nil {
		a.failed.Add(1)
		return
	}
	select {
	case a.queue <- j:
	default:
		a.failed.Add(1)
		a.log.Warn("alert queue full; alert dropped", "channel", j.ch.Type, "kind", j.al.Kind, "event", j.al.EventID)
	}
}

func (a *Alerter) worker() {
	defer a.wg.Done()
	for {
		select {
		case <-a.ctx.Done():
			return
		case j := <-a.queue:
			a.deliver(j)
		}
	}
}

// deliver tries one job once and schedules a retry with exponential backoff on failure.
func (a *Alerter) deliver(j alertJob) {
	ctx, cancel := context.WithTimeout(a.ctx, a.Timeout)
	err := sendAlert(ctx, j.ch, j.al)
	cancel()
	if err == nil {
		a.sent.Add(1)
		return
	}
	j.attempt++
	if j.attempt >= a.Attempts || a.ctx.Err() != nil || a.retrying.Load() >= maxAlertRetries {
		a.failed.Add(1)
		a.log.Error("alert not delivered; check the alerts: section of policy.yaml", "channel", j.ch.Type,
			"kind", j.al.Kind, "event", j.al.EventID, "attempts", j.attempt, "err", err)
		return
	}
	delay := a.FirstBackoff << (j.attempt - 1)
	a.log.Warn("alert delivery failed; will retry", "channel", j.ch.Type, "attempt", j.attempt, "retry_in", delay, "err", err)
	a.wg.Add(1)
	a.retrying.Add(1)
	go func() {
		defer a.wg.Done()
		defer a.retrying.Add(-1)
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			a.enqueue(j)
		case <-a.ctx.Done():
			a.failed.Add(1)
		}
	}()
}

// Stats returns how many channel deliveries succeeded and how many were given up.
func (a *Alerter) Stats() (sent, failed uint64) { return a.sent.Load(), a.failed.Load() }

// Close stops the workers; alerts still waiting are counted as failed.
func (a *Alerter) Close() {
	a.once.Do(func() {
		a.cancel()
		a.wg.Wait()
		for {
			select {
			case <-a.queue:
				a.failed.Add(1)
			default:
				return
			}
		}
	})
}

func sendAlert(ctx context.Context, ch *AlertChannel, al Alert) error {
	switch ch.Type {
	case "wecom":
		return postJSON(ctx, ch.URL, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": alertMarkdown(al)}}, true)
	case "dingtalk":
		u, err := dingTalkURL(ch.URL, ch.Secret, time.Now())
		if err != nil {
			return err
		}
		return postJSON(ctx, u, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": alertTitle(al), "text": alertMarkdown(al)}}, true)
	case "webhook":
		return postJSON(ctx, ch.URL, al, false)
	case "smtp":
		return sendMail(ctx, ch, alertTitle(al), alertText(al))
	}
	return fmt.Errorf("unknown alert channel type %q; use wecom, dingtalk, webhook or smtp", ch.Type)
}

// alertTitle is the one-line subject of an alert.
func alertTitle(al Alert) string {
	who := al.DisplayName
	if who == "" {
		who = al.User
	}
	if al.Kind == "request" {
		return fmt.Sprintf("Sluice 审批申请 %s：%s → %s", al.RequestID, who, al.Destination)
	}
	if al.Kind == "risk" {
		return fmt.Sprintf("Sluice 异常预警：%s 短期内接触的客户资料远超平时", who)
	}
	if al.Kind == "tamper" {
		return fmt.Sprintf("Sluice 审计警报：数据库中有伪造或被改动的记录（%s → %s）", who, al.Destination)
	}
	return fmt.Sprintf("Sluice 已拦截：%s → %s", who, al.Destination)
}

// alertMarkdown renders the alert for WeCom and DingTalk robots.
func alertMarkdown(al Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n", alertTitle(al))
	fmt.Fprintf(&b, "> 员工：%s (%s)\n", al.DisplayName, al.User)
	if al.Destination != "" {
		fmt.Fprintf(&b, "> 目的地：%s\n", al.Destination)
	}
	if len(al.To) > 0 {
		fmt.Fprintf(&b, "> 请 %s 关注\n", strings.Join(al.To, "、"))
	}
	if len(al.Files) > 0 {
		fmt.Fprintf(&b, "> 文件：%s\n", strings.Join(al.Files, "、"))
	}
	if len(al.Reasons) > 0 {
		fmt.Fprintf(&b, "> 原因：%s\n", strings.Join(al.Reasons, "；"))
	}
	fmt.Fprintf(&b, "> 事件：#%d  时间：%s\n", al.EventID, al.Time.Local().Format("2006-01-02 15:04"))
	if al.ConsoleURL != "" {
		fmt.Fprintf(&b, "\n[在控制台查看](%s)\n", al.ConsoleURL)
	}
	return b.String()
}

// alertText renders the alert as plain text for email.
func alertText(al Alert) string {
	s := alertMarkdown(al)
	s = strings.ReplaceAll(s, "### ", "")
	s = strings.ReplaceAll(s, "> ", "")
	if al.ConsoleURL != "" {
		s = strings.Replace(s, "[在控制台查看]("+al.ConsoleURL+")", "在控制台查看："+al.ConsoleURL, 1)
	}
	return s
}
