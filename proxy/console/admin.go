package console

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/marking"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// adminRoutes mounts the admin jobs behind the CLI while the daemon holds the store (docs/API.md);
// the operations layer checks each caller's role.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/admin/users", s.api(s.adminUsers))
	mux.HandleFunc("POST /api/admin/users", s.api(s.adminAddUser))
	mux.HandleFunc("PATCH /api/admin/users/{name}", s.api(s.adminUpdateUser))
	mux.HandleFunc("POST /api/admin/users/{name}/password", s.api(s.adminPassword))
	mux.HandleFunc("POST /api/admin/users/{name}/token", s.api(s.adminToken))
	mux.HandleFunc("DELETE /api/admin/users/{name}/tokens", s.api(s.adminRevoke))
	mux.HandleFunc("GET /api/admin/audit", s.api(s.adminAudit))
	mux.HandleFunc("GET /api/admin/audit/verify", s.api(s.adminVerify))
	mux.HandleFunc("POST /api/admin/audit/verify", s.api(s.adminVerify))
	mux.HandleFunc("POST /api/admin/customers/import", s.api(s.adminImport))
	mux.HandleFunc("GET /api/admin/customers/stats", s.api(func(w http.ResponseWriter, r *http.Request, o *ops.Local) {
		st, err := o.CustomerStats(r.Context())
		reply(w, r, http.StatusOK, st, err)
	}))
	mux.HandleFunc("POST /api/admin/customers/clear", s.api(func(w http.ResponseWriter, r *http.Request, o *ops.Local) {
		n, err := o.ClearCustomers(r.Context())
		reply(w, r, http.StatusOK, api.Cleared{Cleared: n}, err)
	}))
	mux.HandleFunc("POST /api/admin/fingerprints", s.api(s.adminFingerprint))
	mux.HandleFunc("GET /api/admin/fingerprints", s.api(func(w http.ResponseWriter, r *http.Request, o *ops.Local) {
		fps, err := o.Fingerprints(r.Context())
		reply(w, r, http.StatusOK, api.Fingerprints{Fingerprints: fps}, err)
	}))
	mux.HandleFunc("POST /api/admin/scan", s.api(s.adminScan))
	mux.HandleFunc("POST /api/admin/mark", s.api(s.adminMark))
	mux.HandleFunc("POST /api/admin/trace", s.api(s.adminTrace))
	s.reportRoutes(mux)
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	us, err := o.Users(r.Context())
	reply(w, r, http.StatusOK, api.Users{Users: us}, err)
}

func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	var in api.NewUser
	if err := api.DecodeJSON(w, r, maxAPIBody, &in); err != nil {
		api.WriteError(w, r, err)
		return
	}
	u, err := o.AddUser(r.Context(), in)
	reply(w, r, http.StatusCreated, u, err)
}

func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	var c api.UserChange
	if err := api.DecodeJSON(w, r, maxAPIBody, &c); err != nil {
		api.WriteError(w, r, err)
		return
	}
	u, err := o.UpdateUser(r.Context(), r.PathValue("name"), c)
	reply(w, r, http.StatusOK, u, err)
}

func (s *Server) adminPassword(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	var p api.Password
	if err := api.DecodeJSON(w, r, maxAPIBody, &p); err != nil {
		api.WriteError(w, r, err)
		return
	}
	if err := o.SetPassword(r.Context(), r.PathValue("name"), p.Password); err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminToken(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	tok, err := o.IssueToken(r.Context(), r.PathValue("name"))
	reply(w, r, http.StatusOK, api.Token{Token: tok}, err)
}

func (s *Server) adminRevoke(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	n, err := o.RevokeTokens(r.Context(), r.PathValue("name"))
	reply(w, r, http.StatusOK, api.Revoked{Revoked: n}, err)
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	f, err := api.AuditFilter(r.URL.Query())
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	evs, err := o.Events(r.Context(), f)
	reply(w, r, http.StatusOK, api.Events{Events: evs}, err)
}

// adminVerify checks the audit chain; a POST carries witnessed heads to compare with it.
func (s *Server) adminVerify(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	var wit api.Witness
	if r.Method == http.MethodPost {
		data, err := readBody(w, r, 64<<20)
		if err == nil && json.Unmarshal(data, &wit) != nil {
			err = l10n.New(l10n.Invalid, "见证记录不是有效的 JSON", "the witnessed heads are not valid JSON")
		}
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
	}
	v, err := o.VerifyAudit(r.Context(), wit.Heads)
	reply(w, r, http.StatusOK, v, err)
}

// readBody reads a request body of at most limit bytes into memory.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if over := (*http.MaxBytesError)(nil); errors.As(err, &over) {
		return nil, l10n.Errorf(l10n.TooLarge, "文件超过 %d MiB，无法一次发送给守护进程", "files over %d MiB cannot be sent to the daemon at once", limit>>20)
	}
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Invalid, "无法读取请求体", "cannot read the request body")
	}
	return data, nil
}

// spoolBody reads a file body of at most ops.MaxFile bytes, spilling to disk past a few MiB.
func (s *Server) spoolBody(w http.ResponseWriter, r *http.Request) (*upload.Spool, error) {
	sp := upload.NewSpool(s.c.SpoolDir, 8<<20)
	_, err := io.Copy(sp, http.MaxBytesReader(w, r.Body, ops.MaxFile))
	sp.Finish()
	if err != nil {
		sp.Close()
		if over := (*http.MaxBytesError)(nil); errors.As(err, &over) {
			return nil, l10n.Errorf(l10n.TooLarge, "文件超过 %d MiB，无法发送给守护进程", "files over %d MiB cannot be sent to the daemon", ops.MaxFile>>20)
		}
		return nil, l10n.Wrap(err, l10n.Invalid, "无法读取文件", "cannot read the file")
	}
	return sp, nil
}

func (s *Server) adminImport(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	data, err := readBody(w, r, customers.MaxTableSize)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	res, err := o.ImportCustomers(r.Context(), q.Get("name"), data, customers.ColumnsFromQuery(q))
	if err == nil {
		s.c.Logger.Info("customer list imported", "file", q.Get("name"), "added", res.Added, "duplicates", res.Duplicates)
	}
	reply(w, r, http.StatusOK, res, err)
}

func (s *Server) adminFingerprint(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	sp, err := s.spoolBody(w, r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	defer sp.Close()
	fp, err := o.AddFingerprint(r.Context(), r.URL.Query().Get("name"), sp.Reader(), sp.Size())
	reply(w, r, http.StatusOK, fp, err)
}

func (s *Server) adminScan(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	sp, err := s.spoolBody(w, r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	defer sp.Close()
	q := r.URL.Query()
	rep, err := o.Scan(r.Context(), api.ScanRequest{Name: q.Get("name"), Dest: q.Get("dest"), User: q.Get("user")}, sp, sp.Size())
	reply(w, r, http.StatusOK, rep, err)
}

func (s *Server) adminMark(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	data, err := readBody(w, r, marking.MaxMarkSize)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	out, m, err := o.Mark(r.Context(), api.MarkRequest{User: q.Get("user"), Dest: q.Get("dest"), Name: q.Get("name")}, data)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Sluice-Mark-Id", m.MarkID)
	w.Header().Set("X-Sluice-Type", m.Type)
	if m.ResendOf != "" {
		w.Header().Set("X-Sluice-Resend-Of", m.ResendOf)
	}
	if m.Weak {
		w.Header().Set("X-Sluice-Mark-Weak", "1")
	}
	w.Write(out)
}

func (s *Server) adminTrace(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	data, err := readBody(w, r, marking.MaxMarkSize)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	t, err := o.Trace(r.Context(), data)
	reply(w, r, http.StatusOK, t, err)
}
