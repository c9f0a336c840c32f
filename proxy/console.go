package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// registerConsole mounts the daemon's own console routes: PAC, CA download, health, admin API.
func (d *Daemon) registerConsole(mux *http.ServeMux) {
	mux.HandleFunc("GET /proxy.pac", d.servePAC)
	mux.HandleFunc("GET /ca", d.serveCAPage)
	mux.HandleFunc("GET /ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Disposition", `attachment; filename="sluice-ca.pem"`)
		w.Write(d.CA.CertPEM)
	})
	mux.HandleFunc("GET /ca.crt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Disposition", `attachment; filename="sluice-ca.crt"`)
		w.Write(d.CA.Cert.Raw)
	})
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "proxy": d.ProxyAddr(), "console": d.ConsoleURL(),
			"ca_fingerprint": d.CA.Fingerprint(), "certs_cached": d.Certs.Len()})
	})
	mux.HandleFunc("GET /api/admin/audit", d.admin(d.apiAudit))
	mux.HandleFunc("GET /api/admin/audit/verify", d.admin(d.apiAuditVerify))
	mux.HandleFunc("GET /api/admin/users", d.admin(d.apiUsers))
	mux.HandleFunc("POST /api/admin/users", d.admin(d.apiPutUser))
	mux.HandleFunc("POST /api/admin/users/{name}/token", d.admin(d.apiNewToken))
	mux.HandleFunc("POST /api/admin/mark", d.admin(d.apiMark))
	mux.HandleFunc("GET /api/admin/marks/{id}", d.admin(d.apiMarkRecord))
	d.registerInspectAdmin(mux)
}

// consoleHandler is the console listener's handler.
func (d *Daemon) consoleHandler() http.Handler { return d.consoleMux }

// servePAC routes watched hosts to the proxy with no DIRECT fallback (fail closed) and the rest direct.
func (d *Daemon) servePAC(w http.ResponseWriter, r *http.Request) {
	addr := d.ProxyAddr()
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			reqHost, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				reqHost = r.Host
			}
			addr = net.JoinHostPort(reqHost, port)
		}
	}
	w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
	w.Write(PAC(d.Policy.Catalog().WatchedHosts(), addr))
}

// PAC returns a proxy auto-config script sending hosts matching patterns to proxyAddr.
func PAC(patterns []string, proxyAddr string) []byte {
	var exact, suffix []string
	for _, p := range patterns {
		if s, ok := strings.CutPrefix(p, "*."); ok {
			suffix = append(suffix, "."+s)
		} else {
			exact = append(exact, p)
		}
	}
	ej, _ := json.Marshal(exact)
	sj, _ := json.Marshal(suffix)
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Sluice PAC: watched destinations go through the Sluice proxy, with no DIRECT fallback
// (if the proxy is down, uploads to them fail instead of leaving unchecked). Everything else is direct.
var exact = %s;
var suffix = %s;
function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  for (var i = 0; i < exact.length; i++) { if (host === exact[i]) return "PROXY %s"; }
  for (var j = 0; j < suffix.length; j++) { if (dnsDomainIs(host, suffix[j])) return "PROXY %s"; }
  return "DIRECT";
}
`, ej, sj, proxyAddr, proxyAddr)
	return b.Bytes()
}

func (d *Daemon) serveCAPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, "ca.html", map[string]any{"EN": langOf(r) == "en" || r.URL.Query().Get("lang") == "en",
		"Fingerprint": d.CA.Fingerprint(), "Subject": d.CA.Cert.Subject.CommonName, "NotAfter": d.CA.Cert.NotAfter.Format("2006-01-02"),
		"PAC": d.ConsoleURL() + "/proxy.pac", "Proxy": d.ProxyAddr()}); err != nil {
		d.log.Error("CA page failed", "err", err)
	}
}

// admin wraps an admin API handler: bearer token of a user with the admin role.
func (d *Daemon) admin(h func(w http.ResponseWriter, r *http.Request, u *store.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		u, err := d.DB.UserByToken(strings.TrimSpace(tok))
		if !ok || err != nil {
			apiError(w, http.StatusUnauthorized, "unauthorized", "sluice: missing or bad API token; use --token or the data dir's admin.token")
			return
		}
		investigatorOK := u.HasRole(store.RoleInvestigator) && r.Method == http.MethodGet &&
			(strings.HasPrefix(r.URL.Path, "/api/admin/audit") || strings.HasPrefix(r.URL.Path, "/api/admin/marks/"))
		if !u.HasRole(store.RoleAdmin) && !investigatorOK {
			apiError(w, http.StatusForbidden, "forbidden", "sluice: this needs the admin role")
			return
		}
		h(w, r, u)
	}
}

// AuditFilterFromQuery reads an audit filter from URL query values (shared by the API and the CLI client).
func AuditFilterFromQuery(q map[string][]string) (store.EventFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := store.EventFilter{User: get("user"), Verdict: get("verdict"), Host: get("host"), Action: get("action"), Text: get("q")}
	var err error
	if s := get("since"); s != "" {
		if f.Since, err = time.Parse(time.RFC3339, s); err != nil {
			return f, fmt.Errorf("sluice: since=%q is not an RFC 3339 time like 2026-11-22T00:00:00+08:00", s)
		}
	}
	if s := get("until"); s != "" {
		if f.Until, err = time.Parse(time.RFC3339, s); err != nil {
			return f, fmt.Errorf("sluice: until=%q is not an RFC 3339 time", s)
		}
	}
	if s := get("limit"); s != "" {
		f.Limit, _ = strconv.Atoi(s)
	}
	return f, nil
}

func (d *Daemon) apiAudit(w http.ResponseWriter, r *http.Request, _ *store.User) {
	f, err := AuditFilterFromQuery(r.URL.Query())
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	evs, err := d.DB.Events(f)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (d *Daemon) apiAuditVerify(w http.ResponseWriter, r *http.Request, _ *store.User) {
	n, problems, err := d.DB.VerifyChain()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": n, "ok": len(problems) == 0, "problems": problems})
}

func (d *Daemon) apiUsers(w http.ResponseWriter, r *http.Request, _ *store.User) {
	us, err := d.DB.Users()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	for _, u := range us {
		u.PasswordHash = ""
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

// UserUpdate is the admin API body for creating or changing a user.
type UserUpdate struct {
	User     store.User `json:"user"`
	Password string     `json:"password,omitempty"`
}

func (d *Daemon) apiPutUser(w http.ResponseWriter, r *http.Request, _ *store.User) {
	var in UserUpdate
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	u := in.User
	if old, err := d.DB.User(u.Name); err == nil {
		u.PasswordHash, u.Created = old.PasswordHash, old.Created
	}
	if in.Password != "" {
		h, err := store.HashPassword(in.Password)
		if err != nil {
			apiError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		u.PasswordHash = h
	}
	if err := d.DB.PutUser(&u); err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	d.auth.forget()
	u.PasswordHash = ""
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (d *Daemon) apiNewToken(w http.ResponseWriter, r *http.Request, _ *store.User) {
	tok, err := d.DB.NewToken(r.PathValue("name"))
	if err != nil {
		apiError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// apiError answers with the API's error shape.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// readBody reads a request body of at most limit bytes into memory. Over the limit it answers 413
// with tooBig; any other read failure (a client that went away) is a 400.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, tooBig string) ([]byte, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return data, true
	}
	if over := (*http.MaxBytesError)(nil); errors.As(err, &over) {
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", tooBig)
	} else {
		apiError(w, http.StatusBadRequest, "bad_request", "sluice: cannot read the request body: "+err.Error())
	}
	return nil, false
}

// apiMark is `sluice mark` through the daemon: the raw file in, the marked file out.
func (d *Daemon) apiMark(w http.ResponseWriter, r *http.Request, _ *store.User) {
	q := r.URL.Query()
	data, ok := readBody(w, r, MaxMarkSize, fmt.Sprintf("sluice: files over %d MB cannot be marked", MaxMarkSize>>20))
	if !ok {
		return
	}
	out, o, err := ManualMark(d.DB, d.Marker, d.Policy, q.Get("user"), q.Get("dest"), q.Get("name"), data)
	if err != nil {
		apiError(w, http.StatusBadRequest, "cannot_mark", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Sluice-Mark-Id", store.MarkIDString(o.MarkID))
	w.Write(out)
}

// apiMarkRecord resolves a decoded mark id to its outbound record.
func (d *Daemon) apiMarkRecord(w http.ResponseWriter, r *http.Request, _ *store.User) {
	id, err := store.ParseMarkID(r.PathValue("id"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	o, err := d.DB.Outbound(id)
	if err != nil {
		apiError(w, http.StatusNotFound, "not_found", "sluice: mark id not in this installation's archive")
		return
	}
	writeJSON(w, http.StatusOK, o)
}
