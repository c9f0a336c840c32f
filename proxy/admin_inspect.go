package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"

	"github.com/sluice-dlp/sluice/proxy/customers"
	"github.com/sluice-dlp/sluice/proxy/scanreport"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
)

// MaxAdminFile bounds a file sent to POST /api/admin/scan or /api/admin/fingerprints.
const MaxAdminFile = 512 << 20

// registerInspectAdmin mounts the admin API behind `sluice customers`, `sluice fingerprints` and
// `sluice scan` while the daemon holds the store.
func (d *Daemon) registerInspectAdmin(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/admin/customers/import", d.admin(d.apiCustomersImport))
	mux.HandleFunc("GET /api/admin/customers/stats", d.admin(d.apiCustomersStats))
	mux.HandleFunc("POST /api/admin/customers/clear", d.admin(d.apiCustomersClear))
	mux.HandleFunc("POST /api/admin/fingerprints", d.admin(d.apiFingerprintAdd))
	mux.HandleFunc("GET /api/admin/fingerprints", d.admin(d.apiFingerprints))
	mux.HandleFunc("POST /api/admin/scan", d.admin(d.apiScan))
}

// reloadAfter rebuilds the running scanner after the customer list or fingerprints changed;
// it answers with an error (and returns false) if that failed.
func (d *Daemon) reloadAfter(w http.ResponseWriter, what string) bool {
	if err := d.ReloadInspection(); err != nil {
		d.log.Error("inspection reload failed", "after", what, "err", err)
		apiError(w, http.StatusInternalServerError, "reload",
			fmt.Sprintf("sluice: %s was saved, but the proxy could not reload it (%v); restart 'sluice run'", what, err))
		return false
	}
	return true
}

// apiCustomersImport is `sluice customers import`: the raw table in, a customers.Result out.
func (d *Daemon) apiCustomersImport(w http.ResponseWriter, r *http.Request, u *store.User) {
	data, ok := readBody(w, r, customers.MaxTableSize,
		fmt.Sprintf("sluice: customer lists over %d MiB cannot be imported at once; split the list and import the parts", customers.MaxTableSize>>20))
	if !ok {
		return
	}
	q := r.URL.Query()
	cols := customers.ColumnsFromQuery(q)
	res, err := customers.Import(d.DB, data, cols, u.Name, fileName(r))
	if err != nil {
		msg := "sluice: " + err.Error()
		if n := q.Get("name"); n != "" {
			msg = "sluice: " + filepath.Base(n) + ": " + err.Error()
		}
		if errors.Is(err, customers.ErrColumns) {
			apiError(w, http.StatusBadRequest, "bad_columns", msg)
		} else {
			apiError(w, http.StatusUnprocessableEntity, "unreadable", msg)
		}
		return
	}
	d.log.Info("customer list imported", "by", u.Name, "file", fileName(r), "added", res.Added, "duplicates", res.Duplicates)
	if d.reloadAfter(w, "the customer list") {
		writeJSON(w, http.StatusOK, res)
	}
}

func (d *Daemon) apiCustomersStats(w http.ResponseWriter, r *http.Request, _ *store.User) {
	st, err := d.DB.CustomerStats()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// apiCustomersClear deletes the customer list and its salt; the answer says how many entries went.
func (d *Daemon) apiCustomersClear(w http.ResponseWriter, r *http.Request, u *store.User) {
	n, err := d.DB.ClearCustomers(u.Name)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	d.log.Info("customer list cleared", "by", u.Name, "entries", n)
	if d.reloadAfter(w, "clearing the customer list") {
		writeJSON(w, http.StatusOK, map[string]int{"cleared": n})
	}
}

// spoolBody reads a raw file body of at most MaxAdminFile bytes, spilling to the spool dir.
func (d *Daemon) spoolBody(w http.ResponseWriter, r *http.Request) (*upload.Spool, bool) {
	sp := upload.NewSpool(d.paths.Spool, d.cfg.SpoolThreshold)
	_, err := io.Copy(sp, http.MaxBytesReader(w, r.Body, MaxAdminFile))
	sp.Finish()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		sp.Close()
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("sluice: files over %d MiB cannot be sent to the daemon", MaxAdminFile>>20))
		return nil, false
	case err != nil:
		sp.Close()
		apiError(w, http.StatusBadRequest, "bad_request", "sluice: cannot read the file: "+err.Error())
		return nil, false
	}
	return sp, true
}

// fileName is the name= query parameter reduced to a base name, or "upload".
func fileName(r *http.Request) string {
	n := filepath.Base(r.URL.Query().Get("name"))
	if n == "." || n == "/" || n == "" {
		return "upload"
	}
	return n
}

// apiFingerprintAdd is `sluice fingerprints add`: the raw file in, its store.Fingerprint out.
func (d *Daemon) apiFingerprintAdd(w http.ResponseWriter, r *http.Request, u *store.User) {
	sp, ok := d.spoolBody(w, r)
	if !ok {
		return
	}
	defer sp.Close()
	fp, err := store.ComputeFingerprint(sp.Reader(), fileName(r))
	if err == nil {
		err = d.DB.AddFingerprint(fp, u.Name)
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	d.log.Info("file fingerprint registered", "by", u.Name, "file", fp.Name, "sha256", fp.SHA256)
	if d.reloadAfter(w, "the fingerprint") {
		writeJSON(w, http.StatusOK, fp)
	}
}

func (d *Daemon) apiFingerprints(w http.ResponseWriter, r *http.Request, _ *store.User) {
	fps, err := d.DB.Fingerprints()
	if err != nil {
		apiError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	if fps == nil {
		fps = []store.Fingerprint{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"fingerprints": fps})
}

// apiScan is `sluice scan`: the raw file in, a scanreport.Report from the running scanner out.
func (d *Daemon) apiScan(w http.ResponseWriter, r *http.Request, _ *store.User) {
	q := r.URL.Query()
	in := scanreport.Input{File: fileName(r), Name: fileName(r), User: q.Get("user"), Lang: langOf(r)}
	if s := q.Get("dest"); s != "" {
		dest, err := scanreport.Destination(d.Policy, s)
		if err != nil {
			apiError(w, http.StatusBadRequest, "bad_dest", err.Error())
			return
		}
		in.Dest = dest
	}
	sp, ok := d.spoolBody(w, r)
	if !ok {
		return
	}
	defer sp.Close()
	in.Data, in.Size = sp, sp.Size()
	rep, err := scanreport.Build(r.Context(), d.Scanner(), d.Policy, in)
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "cannot_scan", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
