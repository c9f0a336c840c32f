// Package metrics is Sluice's Prometheus instrumentation: what the proxy decided, how long judging took,
// and how full its bounded resources are. Every method is safe on a nil *Metrics (metrics off).
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one daemon, in a registry of its own.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	uploads   *prometheus.CounterVec
	files     *prometheus.CounterVec
	upstream  *prometheus.CounterVec
	inspect   *prometheus.HistogramVec
	watermark prometheus.Histogram
	ocr       prometheus.Histogram
	refused   *prometheus.CounterVec
}

// latency buckets from 1 ms to about 30 s.
var buckets = prometheus.ExponentialBuckets(0.001, 2.5, 12)

// New returns the daemon's metrics, with Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_requests_total",
		Help: "Requests with a body through the proxy, by destination category."}, []string{"category"})
	m.uploads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_uploads_total",
		Help: "Judged uploads and messages, by destination category and verdict."}, []string{"category", "verdict"})
	m.files = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_files_total",
		Help: "Files judged, by destination category and whether they held customer data."}, []string{"category", "sensitive"})
	m.upstream = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_upstream_errors_total",
		Help: "Requests whose site could not be reached, by destination category."}, []string{"category"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_connections_refused_total",
		Help: "Connections closed for a limit: slow body, connection cap, names that disagree."}, []string{"reason"})
	m.inspect = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sluice_inspect_seconds",
		Help: "Time to inspect one file or message.", Buckets: buckets}, []string{"type"})
	m.watermark = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sluice_watermark_seconds",
		Help: "Time to watermark one file in flight.", Buckets: buckets})
	m.ocr = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sluice_ocr_seconds",
		Help: "Time to read the text of one image.", Buckets: buckets})
	m.reg.MustRegister(m.requests, m.uploads, m.files, m.upstream, m.refused, m.inspect, m.watermark, m.ocr,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Known makes the per-category and per-reason series exist at zero before anything happens, so
// dashboards and alerts see them from the start.
func (m *Metrics) Known(categories []string) {
	if m == nil {
		return
	}
	for _, c := range categories {
		m.requests.WithLabelValues(c)
		m.upstream.WithLabelValues(c)
	}
	for _, r := range []string{"conn_cap", "slow_body", "sni_mismatch"} {
		m.refused.WithLabelValues(r)
	}
}

// Gauge registers a value read when scraped (bodies in memory, held slices, open connections …).
func (m *Metrics) Gauge(name, help string, f func() float64) {
	if m != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
}

// Counter registers a total read when scraped (alerts delivered or failed …).
func (m *Metrics) Counter(name, help string, f func() float64) {
	if m != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
}

// Request counts a request with a body to a destination category.
func (m *Metrics) Request(category string) {
	if m != nil {
		m.requests.WithLabelValues(category).Inc()
	}
}

// Upload counts a judged upload with its verdict, and its files.
func (m *Metrics) Upload(category, verdict string, files, sensitive int) {
	if m == nil {
		return
	}
	m.uploads.WithLabelValues(category, verdict).Inc()
	m.files.WithLabelValues(category, "true").Add(float64(sensitive))
	m.files.WithLabelValues(category, "false").Add(float64(files - sensitive))
}

// UpstreamError counts a request whose site could not be reached.
func (m *Metrics) UpstreamError(category string) {
	if m != nil {
		m.upstream.WithLabelValues(category).Inc()
	}
}

// Refused counts a connection closed for a limit.
func (m *Metrics) Refused(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}

// Inspected records how long inspecting one part of a real type took.
func (m *Metrics) Inspected(typ string, d time.Duration) {
	if m != nil {
		m.inspect.WithLabelValues(typ).Observe(d.Seconds())
	}
}

// Watermarked records how long marking one file took.
func (m *Metrics) Watermarked(d time.Duration) {
	if m != nil {
		m.watermark.Observe(d.Seconds())
	}
}

// OCR records how long reading the text of one image took.
func (m *Metrics) OCR(d time.Duration) {
	if m != nil {
		m.ocr.Observe(d.Seconds())
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
