package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// This file is the daemon's side of the audit log: the audit key's place, the start-up sweep of the
// blob folder, alerts for forged records, and the witness that keeps copies of the chain head outside
// the database so that a rewrite of history is caught even when the key was stolen.

// AuditConfig says where the audit key is, where the chain head is witnessed, and the archive quotas.
type AuditConfig struct {
	KeyFile         string        // the audit key (default DATA/audit.key; created on first start)
	Key             []byte        // the audit key itself (SLUICE_AUDIT_KEY); takes precedence over KeyFile
	WitnessFile     string        // append-only JSON lines of chain heads (default DATA/audit-witness.jsonl; "off": none)
	WitnessURL      string        // each head is also POSTed here as JSON
	WitnessInterval time.Duration // how often the head is exported when it moved (default 5 minutes)
	ArchiveMaxFile  int64         // largest body kept in the archive (0: 64 MiB; <0: no limit)
	ArchiveMaxTotal int64         // whole archive, oldest pruned first (0: 4 GiB; <0: no limit)
	Store           string        // --store: "" for bbolt in the data dir, or a postgres:// URL shared by several nodes
	SharedBlobs     bool          // --shared-blobs: with PostgreSQL, keep the archive in the database too
}

func (a AuditConfig) keyFile(p Paths) string {
	if a.KeyFile != "" {
		return a.KeyFile
	}
	return p.AuditKey
}

// OpenStore opens the store this configuration names (bbolt in the data dir p, or --store) with its keys
// and archive limits.
func (a AuditConfig) OpenStore(p Paths) (*store.DB, error) {
	return store.OpenWith(p.DB, store.Options{BlobDir: p.Blobs, KeyFile: a.keyFile(p), Key: a.Key, ArchiveMaxFile: a.ArchiveMaxFile,
		ArchiveMaxTotal: a.ArchiveMaxTotal, Store: a.Store, SharedBlobs: a.SharedBlobs})
}

// refuseLegacy stops a daemon on a database whose audit chain is not keyed yet.
func refuseLegacy(db *store.DB) error {
	if !db.Legacy() {
		return nil
	}
	return l10n.Errorf(l10n.Conflict, "%s 的审计链来自旧版本，尚未用审计密钥签名；请运行一次 'sluice audit rekey'（先校验旧链，再记录迁移），然后再启动",
		"the audit chain of %s is from an older Sluice and not keyed yet; run 'sluice audit rekey' once (it verifies the old chain and records the migration), then start again", db.Path())
}

// startAudit sweeps the blob folder before anything is served, reports forged records, and starts
// the witness export (and the daily sweep of copies left by failed uploads).
func (d *Daemon) startAudit() {
	if sw, err := d.DB.SweepBlobs(0); err != nil {
		d.log.Error("blob sweep at start failed", "err", err)
	} else if sw.Changed() {
		d.log.Warn("blob sweep at start: removed copies no record refers to (left by a crash)", "removed", len(sw.Removed),
			"bytes", sw.RemovedBytes, "unrecorded", sw.Unrecorded, "partial", sw.Partial, "restored", sw.Restored)
	}
	d.DB.OnTamper(d.tampered)
	w := newWitness(d.cfg.Audit, d.paths)
	d.wg.Add(1)
	go d.auditLoop(w)
}

// tampered logs and alerts on a forged or edited grant or approval record the store refused.
func (d *Daemon) tampered(t store.Tamper) {
	d.log.Error("forged or edited record refused: someone wrote to the database outside Sluice", "kind", t.Kind, "id", t.ID,
		"user", t.User, "sha256", t.SHA256, "host", t.Host, "request", t.RequestID)
	a := api.Alert{Kind: "tamper", User: t.User, Destination: t.Host, RequestID: t.RequestID, Time: d.now().UTC(),
		Reasons: []string{fmt.Sprintf("数据库中的%s %s 校验码不符（在 Sluice 之外写入或修改），未放行任何内容；请检查谁改动了 sluice.db",
			map[string]string{"grant": "授权", "request": "审批记录"}[t.Kind], t.ID)}}
	if t.SHA256 != "" {
		a.Files = []string{"sha256 " + t.SHA256}
	}
	d.Alert(a)
}

// auditLoop exports the chain head at start, whenever it moved at each interval, and on shutdown,
// and sweeps copies of failed uploads once a day.
func (d *Daemon) auditLoop(w *witness) {
	defer d.wg.Done()
	d.exportHead(w, "start")
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	lastSweep := time.Now()
	for {
		select {
		case <-d.stop:
			d.exportHead(w, "shutdown")
			return
		case <-tick.C:
			d.exportHead(w, "periodic")
			if time.Since(lastSweep) > 24*time.Hour {
				lastSweep = time.Now()
				if _, err := d.DB.SweepBlobs(24 * time.Hour); err != nil {
					d.log.Warn("daily blob sweep failed", "err", err)
				}
			}
		}
	}
}

// WitnessRecord is one line of the witness file and the body POSTed to the witness URL.
type WitnessRecord struct {
	Kind string `json:"kind"` // always "sluice.audit.head"
	store.ChainHead
	Reason string `json:"reason"` // start, periodic, shutdown
	Host   string `json:"host,omitempty"`
}

// witness holds the configured targets and what each last received.
type witness struct {
	interval time.Duration
	file     string
	url      string
	client   *http.Client
	sent     map[string]store.ChainHead // target → last head it accepted
}

func newWitness(a AuditConfig, p Paths) *witness {
	w := &witness{interval: a.WitnessInterval, file: a.WitnessFile, url: a.WitnessURL,
		client: &http.Client{Timeout: 10 * time.Second}, sent: map[string]store.ChainHead{}}
	if w.interval <= 0 {
		w.interval = 5 * time.Minute
	}
	switch w.file {
	case "":
		w.file = p.Witness
	case "off", "none":
		w.file = ""
	}
	return w
}

// exportHead sends the current head to every target that has not received it yet (all, at start and
// on shutdown); a target that fails is retried at the next interval.
func (d *Daemon) exportHead(w *witness, reason string) {
	h, err := d.DB.Head()
	if err != nil {
		d.log.Error("cannot read the audit chain head for the witness", "err", err)
		return
	}
	host, _ := os.Hostname()
	rec := WitnessRecord{Kind: "sluice.audit.head", ChainHead: h, Reason: reason, Host: host}
	for _, t := range []struct {
		name string
		send func(WitnessRecord) error
	}{{w.file, w.appendFile}, {w.url, w.post}} {
		if t.name == "" {
			continue
		}
		if last, ok := w.sent[t.name]; ok && reason == "periodic" && last.ID == h.ID && last.MAC == h.MAC {
			continue
		}
		if err := t.send(rec); err != nil {
			d.log.Warn("audit witness export failed; will retry", "witness", t.name, "err", err)
			continue
		}
		w.sent[t.name] = h
	}
}

// appendFile appends rec as one JSON line to the witness file (created 0600, never rewritten).
func (w *witness) appendFile(rec WitnessRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(w.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// post sends rec as JSON to the witness URL; any 2xx answer counts as kept.
func (w *witness) post(rec WitnessRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("witness answered %s", resp.Status)
	}
	return nil
}

// ReadWitness loads the chain heads a witness kept: a witness file of JSON lines, or an http(s) URL
// that answers GET with the records it received (JSON lines or one JSON array).
func ReadWitness(ctx context.Context, src string) ([]store.ChainHead, error) {
	var body io.Reader
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, l10n.Wrap(err, l10n.Invalid, "见证地址 %s 不可用", "the witness URL %s is not usable", src)
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			return nil, l10n.Wrap(err, l10n.Unavailable, "无法从 %s 读取见证记录；请检查地址和网络", "cannot read the witness records from %s; check the URL and the network", src)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return nil, l10n.Errorf(l10n.Unavailable, "见证服务 %s 返回 %s", "the witness %s answered %s", src, resp.Status)
		}
		body = io.LimitReader(resp.Body, 256<<20)
	} else {
		f, err := os.Open(src)
		if err != nil {
			return nil, l10n.Wrap(err, l10n.NotFound, "无法打开见证文件 %s；请用 --witness 指定 sluice run 的 --witness-file", "cannot open the witness file %s; pass the file sluice run writes (--witness-file) with --witness", src)
		}
		defer f.Close()
		body = f
	}
	return parseWitness(body, src)
}

// parseWitness reads JSON lines, or one JSON array, of witness records.
func parseWitness(r io.Reader, src string) ([]store.ChainHead, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unreadable, "无法读取见证记录 %s", "cannot read the witness records %s", src)
	}
	var heads []store.ChainHead
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &heads); err != nil {
			return nil, l10n.Wrap(err, l10n.Unreadable, "见证记录 %s 不是有效的 JSON", "the witness records %s are not valid JSON", src)
		}
		return heads, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var h store.ChainHead
		if err := json.Unmarshal(line, &h); err != nil || h.MAC == "" && h.ID != 0 {
			return nil, l10n.Errorf(l10n.Unreadable, "见证记录 %[1]s 第 %[2]d 行无法解析；该文件应只追加，不应被编辑", "line %[2]d of the witness records %[1]s cannot be read; the file should only ever be appended to", src, n)
		}
		heads = append(heads, h)
	}
	return heads, sc.Err()
}
