// Package risk is the early warning of insider risk: it keeps each rep's sensitive activity per day,
// compares the last window with their own baseline and their department's, and says — with the counts
// behind it — when someone suddenly touches far more customer data than usual.
package risk

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// Metrics counted per upload.
const (
	Customers = "customer_matches" // distinct customer-list entries
	Contacts  = "contact_records"
	Refused   = "refused" // uploads held or blocked
	Personal  = "personal_mb"
)

var metricNames = []string{Customers, Contacts, Refused, Personal}

// point is one recorded upload's contribution.
type point struct {
	t        time.Time
	contacts int
	refused  int
	bytes    int64
	ids      []uint64
	left     bool // the upload was forwarded (allowed or watermarked)
}

// Engine keeps recent activity per user in memory (rebuilt from the audit log at start).
type Engine struct {
	mu        sync.Mutex
	s         policy.RiskSettings
	dept      func(user string) string
	points    map[string][]point
	lastAlert map[string]time.Time
}

// New returns an engine with settings s; dept names a user's department (for the department baseline).
func New(s policy.RiskSettings, dept func(user string) string) *Engine {
	return &Engine{s: s, dept: dept, points: map[string][]point{}, lastAlert: map[string]time.Time{}}
}

// Observe adds a recorded upload or message of user to the activity.
func (e *Engine) Observe(user string, ev *store.Event) {
	if ev.Action != "upload" && ev.Action != "message" {
		return
	}
	p := point{t: ev.Time}
	for _, f := range ev.Files {
		p.contacts += findingCount(f.Findings, "contact_record")
		p.ids = append(p.ids, store.DecodeCustomers(f.Customers)...)
		if personal(ev.Category) && (ev.Verdict == "allow" || ev.Verdict == "watermark") {
			p.bytes += f.Size
		}
	}
	if ev.Verdict == "approval" || ev.Verdict == "block" {
		p.refused = 1
	}
	p.left = ev.Verdict == "allow" || ev.Verdict == "watermark"
	e.mu.Lock()
	defer e.mu.Unlock()
	e.points[user] = append(e.points[user], p)
}

// Recent returns the contact records and customer-list entries of user's uploads that left since since.
func (e *Engine) Recent(user string, since time.Time) (contacts int, ids []uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[uint64]bool{}
	for _, p := range e.points[user] {
		if !p.left || p.t.Before(since) {
			continue
		}
		contacts += p.contacts
		for _, id := range p.ids {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return contacts, ids
}

// Alerted records that user was reported at t (so a restart does not report them again in the window).
func (e *Engine) Alerted(user string, t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t.After(e.lastAlert[user]) {
		e.lastAlert[user] = t
	}
}

func personal(category string) bool {
	return slices.Contains(policy.RuleCategories[:len(policy.RuleCategories)-1], policy.Category(category))
}

// findingCount reads "kind×N" out of an audit record's findings.
func findingCount(fs []string, kind string) int {
	for _, f := range fs {
		if k, n, _, ok := api.ParseFinding(f); ok && k == kind {
			return n
		}
	}
	return 0
}

// totals sums a user's points in [from, to).
func totals(ps []point, from, to time.Time) map[string]float64 {
	out := map[string]float64{}
	ids := map[uint64]bool{}
	var bytes int64
	for _, p := range ps {
		if p.t.Before(from) || !p.t.Before(to) {
			continue
		}
		out[Contacts] += float64(p.contacts)
		out[Refused] += float64(p.refused)
		bytes += p.bytes
		for _, id := range p.ids {
			ids[id] = true
		}
	}
	out[Customers] = float64(len(ids))
	out[Personal] = float64(bytes) / (1 << 20)
	return out
}

// baseline is the median of a user's daily totals over the baseline days before the window.
func (e *Engine) baseline(ps []point, windowStart time.Time) map[string]float64 {
	days := make([]map[string]float64, 0, e.s.BaselineDays)
	for k := 1; k <= e.s.BaselineDays; k++ {
		to := windowStart.Add(-time.Duration(k-1) * 24 * time.Hour)
		days = append(days, totals(ps, to.Add(-24*time.Hour), to))
	}
	out := map[string]float64{}
	for _, m := range metricNames {
		vals := make([]float64, len(days))
		for i, d := range days {
			vals[i] = d[m]
		}
		out[m] = median(vals)
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// minimum is the absolute floor of a metric in the window.
func (e *Engine) minimum(m string) float64 {
	switch m {
	case Customers:
		return float64(e.s.CustomerMatches)
	case Contacts:
		return float64(e.s.ContactRecords)
	case Refused:
		return float64(e.s.Refused)
	}
	return float64(e.s.PersonalMB)
}

// Metric is one count of a user's window and what it is compared with.
type Metric struct {
	Name       string  `json:"name"`
	Window     float64 `json:"window"`     // in the last window
	Own        float64 `json:"own"`        // the user's daily median over the baseline
	Department float64 `json:"department"` // the department's daily median
	Threshold  float64 `json:"threshold"`  // what the window must reach
	Crossed    bool    `json:"crossed"`
}

// Standing is one user's risk: the score is the largest window ÷ threshold of any metric.
type Standing struct {
	User    string   `json:"user"`
	Score   float64  `json:"score"`
	Crossed bool     `json:"crossed"`
	Metrics []Metric `json:"metrics"`
}

// standing computes user's standing at now; the caller holds mu.
func (e *Engine) standing(user string, now time.Time) Standing {
	start := now.Add(-e.s.Window())
	win := totals(e.points[user], start, now.Add(time.Nanosecond))
	own := e.baseline(e.points[user], start)
	dept := e.deptBaseline(user, start)
	st := Standing{User: user}
	for _, m := range metricNames {
		thr := max(e.minimum(m), e.s.Factor*own[m], e.s.Factor*dept[m])
		met := Metric{Name: m, Window: win[m], Own: own[m], Department: dept[m], Threshold: thr, Crossed: win[m] >= thr}
		st.Metrics = append(st.Metrics, met)
		st.Score = max(st.Score, win[m]/thr)
		st.Crossed = st.Crossed || met.Crossed
	}
	return st
}

// deptBaseline is the median, over the other members of user's department, of their own baselines.
func (e *Engine) deptBaseline(user string, start time.Time) map[string]float64 {
	d := e.dept(user)
	vals := map[string][]float64{}
	for other, ps := range e.points {
		if other == user || d == "" || e.dept(other) != d {
			continue
		}
		for m, v := range e.baseline(ps, start) {
			vals[m] = append(vals[m], v)
		}
	}
	out := map[string]float64{}
	for m, v := range vals {
		out[m] = median(v)
	}
	return out
}

// Check returns user's standing at now and whether to alert: a threshold crossed and no alert for them in
// the window. A true answer is remembered (one alert per user per window).
func (e *Engine) Check(user string, now time.Time) (Standing, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prune(user, now)
	st := e.standing(user, now)
	if !st.Crossed || !e.s.On() || now.Sub(e.lastAlert[user]) < e.s.Window() {
		return st, false
	}
	e.lastAlert[user] = now
	return st, true
}

// prune drops a user's points older than the baseline and the window; the caller holds mu.
func (e *Engine) prune(user string, now time.Time) {
	cut := now.Add(-e.s.Window() - time.Duration(e.s.BaselineDays)*24*time.Hour)
	ps := e.points[user]
	i := sort.Search(len(ps), func(i int) bool { return !ps[i].t.Before(cut) })
	if i > 0 && sort.SliceIsSorted(ps, func(a, b int) bool { return ps[a].t.Before(ps[b].t) }) {
		e.points[user] = slices.Clone(ps[i:])
	}
}

// Ranking lists every user with activity, highest score first.
func (e *Engine) Ranking(now time.Time) []Standing {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Standing, 0, len(e.points))
	for u := range e.points {
		out = append(out, e.standing(u, now))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].User < out[j].User
	})
	return out
}

// metricWords are the metrics as people read them, in Chinese and English.
var metricWords = map[string][2]string{Customers: {"命中客户名单", "customer-list entries"}, Contacts: {"联系人记录", "contact records"},
	Refused: {"被拦截或待审批的上传", "uploads held or blocked"}, Personal: {"发往个人渠道（MB）", "MB sent to personal channels"}}

// MetricName names a metric (customers, contacts, refused, personal_mb) for people in lang.
func MetricName(m string, lang l10n.Lang) string {
	n, ok := metricWords[m]
	if !ok {
		return m
	}
	return lang.Pick(n[0], n[1])
}

// Reasons says in both languages which metrics crossed and what they were compared with.
func (st Standing) Reasons() (zh, en []string) {
	for _, m := range st.Metrics {
		if !m.Crossed {
			continue
		}
		zh = append(zh, fmt.Sprintf("%s %.0f（本人日中位数 %.0f，部门 %.0f，阈值 %.0f）", MetricName(m.Name, l10n.ZH), m.Window, m.Own, m.Department, m.Threshold))
		en = append(en, fmt.Sprintf("%.0f %s (own daily median %.0f, department %.0f, threshold %.0f)", m.Window, MetricName(m.Name, l10n.EN), m.Own, m.Department, m.Threshold))
	}
	return zh, en
}
