package daemon

import (
	"net/http"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/metrics"
	"github.com/sluice-dlp/sluice/proxy/front"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// gauges registers the values read at each scrape: memory and disk held by bodies, held slices, open
// connections, pending approvals, alert delivery, cached certificates.
func (d *Daemon) gauges(m *metrics.Metrics) {
	var cats []string
	for _, c := range policy.RuleCategories {
		cats = append(cats, string(c))
	}
	m.Known(cats)
	m.Gauge("sluice_body_memory_bytes", "Bytes request bodies in flight hold in memory.", func() float64 { return float64(d.Bodies.Used()) })
	m.Gauge("sluice_body_memory_limit_bytes", "The memory budget of request bodies (--body-memory).", func() float64 { return float64(d.cfg.BodyMemory) })
	m.Gauge("sluice_spooled_bytes", "Bytes request bodies in flight hold on disk.", func() float64 { return float64(d.Bodies.Spooled()) })
	m.Gauge("sluice_held_uploads", "Files sent in slices waiting for their remaining slices.", func() float64 { n, _ := d.Sessions.Held(); return float64(n) })
	m.Gauge("sluice_held_slice_bytes", "Bytes of slices held until their file is whole and judged.", func() float64 { _, b := d.Sessions.Held(); return float64(b) })
	m.Gauge("sluice_proxy_connections", "Connections open on the proxy port.", func() float64 { return float64(front.OpenConns(d.proxyLn)) })
	m.Gauge("sluice_console_connections", "Connections open on the console port.", func() float64 { return float64(front.OpenConns(d.consoleLn)) })
	m.Gauge("sluice_certs_cached", "Leaf certificates in the cache.", func() float64 { return float64(d.Certs.Len()) })
	m.Gauge("sluice_approvals_pending", "Approval requests waiting for a reviewer.", func() float64 {
		n := 0
		for _, st := range []string{store.StatusPending, store.StatusLeadApproved} {
			rs, _ := d.DB.Requests(store.RequestFilter{Status: st, Limit: 100000})
			n += len(rs)
		}
		return float64(n)
	})
	m.Counter("sluice_alerts_sent_total", "Manager alerts delivered.", func() float64 { s, _ := d.Alerter.Stats(); return float64(s) })
	m.Counter("sluice_alerts_failed_total", "Manager alerts that could not be delivered (after retries) or were dropped.",
		func() float64 { _, f := d.Alerter.Stats(); return float64(f) })
}

// consoleHandler serves the console and, for an admin's token, /metrics.
func (d *Daemon) consoleHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", d.adminOnly(d.Metrics.Handler()))
	mux.Handle("/", d.Console)
	return mux
}

// adminOnly lets through requests with the bearer token of an admin.
func (d *Daemon) adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			api.WriteError(w, r, l10n.New(l10n.Unauthorized, "需要管理员令牌（Authorization: Bearer …；sluice users token NAME）",
				"an admin token is needed (Authorization: Bearer …; sluice users token NAME)"))
			return
		}
		u, err := d.DB.UserByToken(strings.TrimSpace(tok))
		if err != nil || u.Disabled || !u.HasRole(store.RoleAdmin) {
			api.WriteError(w, r, l10n.New(l10n.Forbidden, "只有管理员可以读取指标", "only an admin may read the metrics"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
