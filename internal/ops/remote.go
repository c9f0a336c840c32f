package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// Remote does the jobs through the running daemon's console API as the token's user.
type Remote struct {
	Base  string // console URL, e.g. http://127.0.0.1:8081
	Token string
	HTTP  *http.Client
}

// NewRemote returns a client for the console at base (a URL or host:port) using token.
func NewRemote(base, token string) *Remote {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Remote{Base: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{Timeout: 10 * time.Minute}}
}

// Close does nothing: every call is its own request.
func (r *Remote) Close() error { return nil }

// call sends one request and decodes a JSON answer into out (nil: ignore the body).
func (r *Remote) call(ctx context.Context, method, path string, body io.Reader, contentType string, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.Base+path, body)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Invalid, "控制台地址 %q 无效", "bad console address %q", r.Base)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if rs, ok := body.(interface{ Len() int }); ok {
		req.ContentLength = int64(rs.Len())
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	req.Header.Set("Accept-Language", string(lang(ctx)))
	resp, err := r.HTTP.Do(req)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unavailable, "无法连接守护进程的控制台 %s；'sluice run' 是否在运行？--console 是否正确？",
			"cannot reach the daemon's console at %s; is 'sluice run' up, and is --console right?", r.Base)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, api.ReadError(resp)
	}
	switch o := out.(type) {
	case nil:
		io.Copy(io.Discard, resp.Body)
	case *[]byte:
		*o, err = io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	default:
		err = json.NewDecoder(resp.Body).Decode(out)
	}
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unavailable, "控制台的回答不是预期的格式", "the console's answer is not what was expected")
	}
	return resp.Header, nil
}

func (r *Remote) getJSON(ctx context.Context, path string, out any) error {
	_, err := r.call(ctx, http.MethodGet, path, nil, "", out)
	return err
}

func (r *Remote) sendJSON(ctx context.Context, method, path string, in, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = r.call(ctx, method, path, bytes.NewReader(data), "application/json", out)
	return err
}

// sendRaw streams size bytes of a file.
func (r *Remote) sendRaw(ctx context.Context, path string, file io.Reader, size int64, out any) (http.Header, error) {
	req := io.Reader(file)
	if size >= 0 {
		req = &sized{Reader: io.LimitReader(file, size), n: int(size)}
	}
	return r.call(ctx, http.MethodPost, path, req, "application/octet-stream", out)
}

// sized is a reader whose length is known, so the request carries a Content-Length.
type sized struct {
	io.Reader
	n int
}

func (s *sized) Len() int { return s.n }

func userPath(name, rest string) string { return "/api/admin/users/" + url.PathEscape(name) + rest }

// Users lists every user.
func (r *Remote) Users(ctx context.Context) ([]api.User, error) {
	var out api.Users
	return out.Users, r.getJSON(ctx, "/api/admin/users", &out)
}

// AddUser creates a user that must not exist yet.
func (r *Remote) AddUser(ctx context.Context, u api.NewUser) (api.User, error) {
	var out api.User
	return out, r.sendJSON(ctx, http.MethodPost, "/api/admin/users", u, &out)
}

// UpdateUser changes only the fields given.
func (r *Remote) UpdateUser(ctx context.Context, name string, c api.UserChange) (api.User, error) {
	var out api.User
	return out, r.sendJSON(ctx, http.MethodPatch, userPath(name, ""), c, &out)
}

// SetPassword sets a user's password.
func (r *Remote) SetPassword(ctx context.Context, name, password string) error {
	return r.sendJSON(ctx, http.MethodPost, userPath(name, "/password"), api.Password{Password: password}, nil)
}

// IssueToken creates an API token for a user.
func (r *Remote) IssueToken(ctx context.Context, name string) (string, error) {
	var out api.Token
	return out.Token, r.sendJSON(ctx, http.MethodPost, userPath(name, "/token"), struct{}{}, &out)
}

// RevokeTokens deletes every API token of a user.
func (r *Remote) RevokeTokens(ctx context.Context, name string) (int, error) {
	var out api.Revoked
	_, err := r.call(ctx, http.MethodDelete, userPath(name, "/tokens"), nil, "", &out)
	return out.Revoked, err
}

// Events lists audit events.
func (r *Remote) Events(ctx context.Context, f store.EventFilter) ([]*store.Event, error) {
	var out api.Events
	return out.Events, r.getJSON(ctx, "/api/admin/audit?"+api.AuditValues(f).Encode(), &out)
}

// VerifyAudit checks the chain on the daemon, against the witnessed heads when given.
func (r *Remote) VerifyAudit(ctx context.Context, witnessed []store.ChainHead) (api.Verify, error) {
	var out api.Verify
	if len(witnessed) > 0 {
		return out, r.sendJSON(ctx, http.MethodPost, "/api/admin/audit/verify", api.Witness{Heads: witnessed}, &out)
	}
	return out, r.getJSON(ctx, "/api/admin/audit/verify", &out)
}

// DepartureReport asks the daemon for a leaving employee's hand-over report.
func (r *Remote) DepartureReport(ctx context.Context, name string) (api.DepartureReport, error) {
	var out api.DepartureReport
	return out, r.getJSON(ctx, "/api/admin/report/departing/"+url.PathEscape(name), &out)
}

// ImportCustomers sends a customer-list table to the daemon.
func (r *Remote) ImportCustomers(ctx context.Context, name string, data []byte, cols customers.Columns) (customers.Result, error) {
	q := cols.Query()
	q.Set("name", name)
	var out customers.Result
	_, err := r.sendRaw(ctx, "/api/admin/customers/import?"+q.Encode(), bytes.NewReader(data), int64(len(data)), &out)
	return out, err
}

// CustomerStats reads the customer list's counts.
func (r *Remote) CustomerStats(ctx context.Context) (store.CustomerStats, error) {
	var out store.CustomerStats
	return out, r.getJSON(ctx, "/api/admin/customers/stats", &out)
}

// ClearCustomers deletes the customer list.
func (r *Remote) ClearCustomers(ctx context.Context) (int, error) {
	var out api.Cleared
	return out.Cleared, r.sendJSON(ctx, http.MethodPost, "/api/admin/customers/clear", struct{}{}, &out)
}

// AddFingerprint streams a file to the daemon, which registers its hashes.
func (r *Remote) AddFingerprint(ctx context.Context, name string, file io.Reader, size int64) (store.Fingerprint, error) {
	var out store.Fingerprint
	_, err := r.sendRaw(ctx, "/api/admin/fingerprints?"+url.Values{"name": {name}}.Encode(), file, size, &out)
	return out, err
}

// Fingerprints lists the registered files.
func (r *Remote) Fingerprints(ctx context.Context) ([]store.Fingerprint, error) {
	var out api.Fingerprints
	return out.Fingerprints, r.getJSON(ctx, "/api/admin/fingerprints", &out)
}

// Scan sends a file to the daemon's scanner.
func (r *Remote) Scan(ctx context.Context, req api.ScanRequest, file io.ReaderAt, size int64) (api.ScanReport, error) {
	var out api.ScanReport
	_, err := r.sendRaw(ctx, "/api/admin/scan?"+req.Values().Encode(), io.NewSectionReader(file, 0, size), size, &out)
	return out, err
}

// Mark has the daemon stamp a file and returns the marked bytes.
func (r *Remote) Mark(ctx context.Context, req api.MarkRequest, data []byte) ([]byte, api.Marked, error) {
	var out []byte
	h, err := r.sendRaw(ctx, "/api/admin/mark?"+req.Values().Encode(), bytes.NewReader(data), int64(len(data)), &out)
	if err != nil {
		return nil, api.Marked{}, err
	}
	return out, api.Marked{MarkID: h.Get("X-Sluice-Mark-Id"), Type: h.Get("X-Sluice-Type"), ResendOf: h.Get("X-Sluice-Resend-Of"),
		Weak: h.Get("X-Sluice-Mark-Weak") == "1"}, nil
}

// Trace has the daemon decode a leaked file with its mark key.
func (r *Remote) Trace(ctx context.Context, data []byte) (api.Trace, error) {
	var out api.Trace
	_, err := r.sendRaw(ctx, "/api/admin/trace", bytes.NewReader(data), int64(len(data)), &out)
	return out, err
}

// Archive searches the outbound archive.
func (r *Remote) Archive(ctx context.Context, f store.ArchiveFilter) ([]api.ArchiveRecord, error) {
	var out api.Archive
	return out.Records, r.getJSON(ctx, "/api/archive?"+api.ArchiveValues(f).Encode(), &out)
}

// FileRequest files a request for a held upload as the token's user.
func (r *Remote) FileRequest(ctx context.Context, n store.NewRequest) (api.Request, error) {
	var filed api.Filed
	if err := r.sendJSON(ctx, http.MethodPost, "/api/requests", n, &filed); err != nil {
		return api.Request{}, err
	}
	return r.Request(ctx, filed.RequestID)
}

// Requests lists requests the token's user may see.
func (r *Remote) Requests(ctx context.Context, q api.RequestQuery) ([]api.Request, error) {
	v := url.Values{}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	path := "/api/requests"
	switch {
	case q.Queue:
		path = "/api/queue"
	case q.Mine:
		v.Set("mine", strconv.FormatBool(true))
	}
	var out api.Requests
	return out.Requests, r.getJSON(ctx, path+"?"+v.Encode(), &out)
}

// Request shows one request.
func (r *Remote) Request(ctx context.Context, id string) (api.Request, error) {
	var out api.Request
	return out, r.getJSON(ctx, "/api/requests/"+url.PathEscape(strings.TrimSpace(id)), &out)
}

// Act approves, denies or withdraws a request.
func (r *Remote) Act(ctx context.Context, id, action, comment string) (api.Request, error) {
	var out api.Request
	return out, r.sendJSON(ctx, http.MethodPost, "/api/requests/"+url.PathEscape(strings.TrimSpace(id))+"/"+url.PathEscape(action), api.Comment{Comment: comment}, &out)
}

// Both implementations do every job.
var (
	_ Ops = (*Local)(nil)
	_ Ops = (*Remote)(nil)
)
