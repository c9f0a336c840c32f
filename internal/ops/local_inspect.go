package ops

import (
	"context"
	"io"
	"path/filepath"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// ImportCustomers adds a customer-list table (CSV/TSV or XLSX) to the list; only salted hashes are kept.
func (l *Local) ImportCustomers(ctx context.Context, name string, data []byte, cols customers.Columns) (customers.Result, error) {
	if err := l.needAdmin(); err != nil {
		return customers.Result{}, err
	}
	res, err := customers.Import(l.DB, data, cols, l.who(), baseName(name))
	if err != nil {
		return res, err
	}
	return res, l.changed("客户名单", "the customer list")
}

// CustomerStats says how many entries and hashed values the customer list holds.
func (l *Local) CustomerStats(ctx context.Context) (store.CustomerStats, error) {
	if err := l.needAdmin(); err != nil {
		return store.CustomerStats{}, err
	}
	return l.DB.CustomerStats()
}

// ClearCustomers deletes the customer list and its salt and returns how many entries went.
func (l *Local) ClearCustomers(ctx context.Context) (int, error) {
	if err := l.needAdmin(); err != nil {
		return 0, err
	}
	n, err := l.DB.ClearCustomers(l.who())
	if err != nil {
		return 0, err
	}
	return n, l.changed("删除客户名单的操作", "clearing the customer list")
}

// AddFingerprint registers a known sensitive file by its hashes.
func (l *Local) AddFingerprint(ctx context.Context, name string, file io.Reader, size int64) (store.Fingerprint, error) {
	if err := l.needAdmin(); err != nil {
		return store.Fingerprint{}, err
	}
	fp, err := store.ComputeFingerprint(file, baseName(name))
	if err != nil {
		return fp, err
	}
	if err := l.DB.AddFingerprint(fp, l.who()); err != nil {
		return fp, err
	}
	return fp, l.changed("文件指纹", "the fingerprint")
}

// Fingerprints lists the registered files.
func (l *Local) Fingerprints(ctx context.Context) ([]store.Fingerprint, error) {
	if err := l.needAdmin(); err != nil {
		return nil, err
	}
	fps, err := l.DB.Fingerprints()
	if fps == nil {
		fps = []store.Fingerprint{}
	}
	return fps, err
}

// ScanCategories are the categories a scan without a destination is decided for: every personal one and other.
var ScanCategories = []policy.Category{policy.Webmail, policy.Netdisk, policy.WebChat, policy.AIChat, policy.FileTransfer,
	policy.OnlineDocs, policy.ObjectStorage, policy.EncryptedChat, policy.Other}

// Scan inspects one file as the proxy would and decides it for the destination (or every watched category).
func (l *Local) Scan(ctx context.Context, req api.ScanRequest, file io.ReaderAt, size int64) (api.ScanReport, error) {
	if err := l.needAdmin(); err != nil {
		return api.ScanReport{}, err
	}
	sc, err := l.scanner()
	if err != nil {
		return api.ScanReport{}, err
	}
	return BuildReport(ctx, sc, l.Policy, req, file, size)
}

// BuildReport scans one file with sc and decides it under p, in the language ctx carries.
func BuildReport(ctx context.Context, sc *inspect.Scanner, p *policy.Policy, req api.ScanRequest, file io.ReaderAt, size int64) (api.ScanReport, error) {
	lg := lang(ctx)
	var dest *policy.Destination
	if req.Dest != "" {
		d, err := p.DestinationFor(req.Dest)
		if err != nil {
			return api.ScanReport{}, err
		}
		dest = &d
	}
	res, err := sc.Scan(ctx, file, size, req.Name)
	if err != nil {
		return api.ScanReport{}, l10n.Wrap(err, l10n.Unreadable, "无法扫描 %s", "cannot scan %s", req.Name)
	}
	rep := api.ScanReport{File: req.Name, Type: res.Type, MIME: res.MIME, Size: res.Size, SHA256: res.SHA256,
		Findings: res.Findings, Excerpt: res.Excerpt, Dest: dest, Reasons: []string{}, ReasonCodes: []string{}, OCR: res.OCR}
	if rep.Findings == nil {
		rep.Findings = []inspect.Finding{}
	}
	in := policy.Input{User: req.User, Results: []*inspect.Result{res}, Names: []string{req.Name}}
	var dec policy.Decision
	if dest != nil {
		in.Dest = *dest
		dec = p.Decide(in)
	} else {
		rep.Verdicts = map[policy.Category]string{}
		for i, cat := range ScanCategories {
			in.Dest = policy.Destination{Category: cat, Service: policy.CategoryName(cat, lg)}
			d := p.Decide(in)
			rep.Verdicts[cat] = string(d.Verdict)
			dec.Sensitive = dec.Sensitive || d.Sensitive
			if i == 0 || (d.Verdict != dec.Verdict && policy.Stricter(dec.Verdict, d.Verdict) == d.Verdict) {
				dec.Verdict, dec.Reasons = d.Verdict, d.Reasons // keep the strictest category's reasons
			}
		}
	}
	sens, _, _ := p.SensitiveFile(res)
	rep.Sensitive = dec.Sensitive || sens
	rep.Verdict = dec.Verdict
	for _, r := range dec.Reasons {
		rep.Reasons = append(rep.Reasons, r.Text(string(lg)))
		rep.ReasonCodes = append(rep.ReasonCodes, r.Code)
	}
	return rep, nil
}

// baseName keeps a file name's last element ("upload" when there is none).
func baseName(n string) string {
	n = filepath.Base(n)
	if n == "." || n == "/" || n == "" {
		return "upload"
	}
	return n
}
