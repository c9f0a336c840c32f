package daemon

import (
	"net"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// Several nodes, one company: when the store is PostgreSQL, every node runs this daemon on the same
// database. What one node changes that others cache is announced with a store signal (LISTEN/NOTIFY):
// a customer-list import or a fingerprint reloads inspection everywhere, a revoked token or changed
// password drops the proxy-login cache everywhere. Notices for the extensions travel through the store
// too (proxy/notify), and console sessions are stored, so any node serves any reviewer.

// Signal kinds the daemons exchange.
const (
	SignalReload = "reload.inspection" // the customer list or the fingerprints changed
	SignalForget = "forget.logins"     // a password, role or token changed
)

// inspectionChanged reloads this node's scanner and tells the other nodes to reload theirs.
func (d *Daemon) inspectionChanged() error {
	err := d.ReloadInspection()
	d.announce(SignalReload)
	return err
}

// credentialsChanged drops this node's cached proxy logins and tells the other nodes to drop theirs.
func (d *Daemon) credentialsChanged() {
	d.auth.Forget()
	d.announce(SignalForget)
}

// announce publishes a signal to the other nodes of a shared store.
func (d *Daemon) announce(kind string) {
	if !d.DB.Shared() {
		return
	}
	if err := d.DB.Publish(kind, ""); err != nil {
		d.log.Error("cannot tell the other nodes", "signal", kind, "err", err)
	}
}

// pacProxies is what the PAC's PROXY entry names: this node (addr), or every --pac-proxy in order, so
// a browser goes on through the next node when one does not answer.
func (d *Daemon) pacProxies(addr string) string {
	if len(d.cfg.PACProxies) == 0 {
		return addr
	}
	return strings.Join(d.cfg.PACProxies, "; PROXY ")
}

// checkPACProxies refuses a --pac-proxy that is not HOST:PORT: the values go into the PAC's JavaScript as they are.
func checkPACProxies(proxies []string) error {
	for _, p := range proxies {
		host, port, err := net.SplitHostPort(p)
		if err != nil || host == "" || port == "" || strings.ContainsAny(p, "\"'\\;<> \t\r\n") {
			return l10n.Errorf(l10n.Invalid, "--pac-proxy %q 不是 HOST:PORT；请写成 sluice-a.corp:8080 这样的形式",
				"--pac-proxy %q is not HOST:PORT; write it like sluice-a.corp:8080", p)
		}
	}
	return nil
}

// startCluster acts on the other nodes' signals; after the listener reconnects (signals may have been
// missed) it does both.
func (d *Daemon) startCluster() {
	if !d.DB.Shared() {
		return
	}
	me := d.DB.NodeID()
	d.DB.Subscribe(func(s store.Signal) {
		if s.Origin == me && s.Kind != store.SignalResync {
			return
		}
		switch s.Kind {
		case SignalReload, store.SignalResync:
			if err := d.ReloadInspection(); err != nil {
				d.log.Error("cannot reload inspection after another node's change", "err", err)
			}
			if s.Kind == SignalReload {
				return
			}
			fallthrough
		case SignalForget:
			d.auth.Forget()
		}
	})
	d.log.Info("shared store: this node follows the others' changes", "store", d.DB.Path(), "node", me)
}
