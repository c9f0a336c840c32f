package store

import (
	"encoding/json"
	"sync"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Grants and approval requests carry a MAC under the audit key over all their fields, set whenever the
// store writes them and checked whenever it uses them: a record written or edited behind Sluice's back
// releases nothing and is reported (audit event, then the OnTamper hook). The MAC covers the record's
// JSON: a field added to Grant or Request (or Event) later must be omitempty or omitzero, or every record
// stored before would fail its check.

// CodeTampered is the error code of a record that fails its MAC check.
const CodeTampered l10n.Code = "tampered"

// ErrTampered matches every error about a forged or edited grant or approval record.
var ErrTampered = l10n.Sentinel(CodeTampered)

// Tamper describes a forged or edited record the store refused to use.
type Tamper struct {
	Kind      string `json:"kind"` // "grant" or "request"
	ID        string `json:"id"`
	User      string `json:"user"` // whom the record names
	SHA256    string `json:"sha256,omitempty"`
	Host      string `json:"host,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

type tamperState struct {
	mu       sync.Mutex
	hook     func(Tamper)
	reported map[string]bool // kind/id/MAC already reported: one report per forged version
}

// OnTamper sets fn to be called (outside any transaction, after the audit event) for each forged or
// edited grant or approval record the store refuses; the daemon logs it and alerts.
func (db *DB) OnTamper(fn func(Tamper)) {
	db.tamper.mu.Lock()
	db.tamper.hook = fn
	db.tamper.mu.Unlock()
}

// report records t in the audit log and tells the hook, once per forged version of a record.
func (db *DB) report(t Tamper, mac string) {
	db.tamper.mu.Lock()
	if db.tamper.reported == nil {
		db.tamper.reported = map[string]bool{}
	}
	k := t.Kind + "/" + t.ID + "/" + mac
	seen := db.tamper.reported[k]
	db.tamper.reported[k] = true
	hook := db.tamper.hook
	db.tamper.mu.Unlock()
	if seen {
		return
	}
	ex := map[string]string{"kind": t.Kind, "id": t.ID, "named_user": t.User, "reason": "MAC does not verify: written or edited outside Sluice; it released nothing"}
	if t.SHA256 != "" {
		ex["sha256"] = t.SHA256
	}
	if t.RequestID != "" {
		ex["request"] = t.RequestID
	}
	db.AppendEvent(&Event{Action: "tamper." + t.Kind, User: "sluice", Host: t.Host, RequestID: t.RequestID, Extra: ex})
	if hook != nil {
		hook(t)
	}
}

// tamperedError is the error of a refused record: it matches ErrTampered and also ErrNotFound, so a
// caller that treats "no grant" as "stays held" keeps holding.
func tamperedError(kind, id string) error {
	return &l10n.Error{Code: CodeTampered,
		ZH:  "记录 " + id + "（" + kind + "）的校验码不符：它是在 Sluice 之外写入或修改的，已拒绝使用；请检查谁改动了 sluice.db",
		EN:  kind + " " + id + " fails its MAC check: it was written or edited outside Sluice and is refused; find out who changed sluice.db",
		Err: l10n.New(l10n.NotFound, "没有覆盖此文件的有效授权", "no valid grant covers this file")}
}

// recordJSON is the JSON a record's MAC covers (the record with its MAC field empty).
func recordJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}

// grantOK reports whether g carries a valid MAC (always true for a database not yet re-keyed).
func (db *DB) grantOK(g *Grant) bool {
	c := *g
	c.MAC = ""
	return db.legacy || g.MAC != "" && db.key.check(g.MAC, "grant", recordJSON(&c))
}

// sealGrant gives g a fresh MAC and returns the bytes to store.
func (db *DB) sealGrant(g *Grant) ([]byte, error) {
	c := *g
	c.MAC = ""
	g.MAC = db.key.mac("grant", recordJSON(&c))
	return marshal(g)
}

// putGrant stores g with a fresh MAC.
func (db *DB) putGrant(tx Tx, g *Grant) error {
	data, err := db.sealGrant(g)
	if err != nil {
		return err
	}
	return tx.PutGrant(g.ID, g.User, g.SHA256, data)
}

// reportGrant reports a refused grant.
func (db *DB) reportGrant(g *Grant) {
	db.report(Tamper{Kind: "grant", ID: g.ID, User: g.User, SHA256: g.SHA256, Host: g.Host, RequestID: g.RequestID}, g.MAC)
}

// requestOK reports whether r carries a valid MAC (always true for a database not yet re-keyed).
func (db *DB) requestOK(r *Request) bool {
	c := *r
	c.MAC = ""
	return db.legacy || r.MAC != "" && db.key.check(r.MAC, "request", recordJSON(&c))
}

// putRequest stores r with a fresh MAC.
func (db *DB) putRequest(tx Tx, r *Request) error {
	c := *r
	c.MAC = ""
	r.MAC = db.key.mac("request", recordJSON(&c))
	data, err := marshal(r)
	if err != nil {
		return err
	}
	return tx.PutRequest(r.ID, r.EventID, data)
}

// reportRequest reports a refused approval request.
func (db *DB) reportRequest(r *Request) {
	db.report(Tamper{Kind: "request", ID: r.ID, User: r.Requester, Host: r.Host, RequestID: r.ID}, r.MAC)
}
