package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// The audit chain: each event's Hash is HMAC-SHA256 under the audit key over the previous event's
// Hash and the event itself (id included), and the head (last id and MAC) carries a MAC of its own.
// Databases from before keyed chains keep their old SHA-256 events; Rekey verifies them and starts
// the keyed chain after them with an "audit.rekey" event whose MAC covers the old head.

const metaAuditHead = "audit.head" // 8-byte last id + MAC of the last event + MAC of the head

// chainHash is the unkeyed hash of events from before keyed chains: sha256(prev ‖ event JSON).
func chainHash(e *Event) (string, error) {
	h := sha256.New()
	h.Write([]byte(e.Prev))
	h.Write(jsonWithoutHash(e))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// eventMAC is the keyed chain value of e: HMAC(key, prev ‖ event JSON without its hash).
func (k *chainKey) eventMAC(e *Event) string {
	return k.mac("event", []byte(e.Prev), jsonWithoutHash(e))
}

// headValue is the stored head: the last id, its MAC, and a MAC over both.
func (k *chainKey) headValue(id uint64, hash string) []byte {
	return append(append(u64(id), hash...), k.mac("head", u64(id), []byte(hash))...)
}

// loadKey loads (or on first start creates) the audit key and checks it is the one the chain was
// keyed with; a database that has events but no keyed chain yet is opened as legacy.
func (db *DB) loadKey(o Options) error {
	var m *keyMarker
	var events bool
	err := db.view(func(tx Tx) error {
		var err error
		if m, err = readMarker(tx); err != nil {
			return err
		}
		last, err := tx.LastEventID()
		events = last > 0
		return err
	})
	if err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法读取审计链", "cannot read the audit chain")
	}
	key := o.Key
	if key == nil {
		file := o.KeyFile
		if file == "" {
			file = filepath.Join(filepath.Dir(db.path), DefaultAuditKeyFile)
		}
		k, _, err := loadKeyFile(file, m == nil)
		if err != nil {
			return err
		}
		if k == nil {
			return l10n.Errorf(l10n.Unavailable, "审计密钥 %[1]s 不存在，但此数据库的审计链是用密钥 %[2]s 签名的；请从备份恢复该文件，或用 --audit-key / SLUICE_AUDIT_KEY_FILE 指向它",
				"the audit key %[1]s does not exist, but this database's audit chain is keyed with key %[2]s; restore the file from backup, or point --audit-key / SLUICE_AUDIT_KEY_FILE at it", file, m.KeyID)
		}
		key = k
	}
	db.key = newChainKey(key)
	switch {
	case m != nil && m.KeyID != db.key.id:
		return l10n.Errorf(l10n.Forbidden, "审计密钥（编号 %s）不是此数据库审计链所用的密钥（编号 %s）；请用 --audit-key 或 SLUICE_AUDIT_KEY_FILE 指定正确的密钥文件",
			"the audit key (id %s) is not the key this database's audit chain is keyed with (id %s); pass the right key file with --audit-key or SLUICE_AUDIT_KEY_FILE", db.key.id, m.KeyID)
	case m != nil:
		return nil
	case events:
		db.legacy = true
		return nil
	}
	return db.update(func(tx Tx) error {
		// another node may have keyed the chain meanwhile: check again under the writer lock
		if m, err := readMarker(tx); err != nil || m != nil {
			if err == nil && m.KeyID != db.key.id {
				return l10n.Errorf(l10n.Forbidden, "审计密钥（编号 %s）不是此数据库审计链所用的密钥（编号 %s）", "the audit key (id %s) is not the key this database's audit chain is keyed with (id %s)", db.key.id, m.KeyID)
			}
			return err
		}
		return db.key.writeMarker(tx, 1)
	})
}

// Legacy reports whether the database's audit chain predates keyed chains and needs Rekey.
func (db *DB) Legacy() bool { return db.legacy }

// KeyID names the audit key in use (a prefix of a MAC of it; the key itself cannot be derived).
func (db *DB) KeyID() string { return db.key.id }

// errLegacy is the error of every write to a database whose chain is not keyed yet.
func errLegacy() error {
	return l10n.New(l10n.Conflict, "此数据库的审计链来自旧版本，尚未用审计密钥签名；请先停止 sluice 并运行一次 'sluice audit rekey'（它会先校验旧的哈希链）",
		"this database's audit chain is from an older Sluice and not keyed yet; stop sluice and run 'sluice audit rekey' once (it verifies the old hash chain first)")
}

func (db *DB) appendEventTx(tx Tx, e *Event) error {
	if db.legacy {
		return errLegacy()
	}
	return db.appendKeyed(tx, e)
}

// appendKeyed stores e as the next keyed event and moves the head; blobs it refers to are put in
// place when the transaction commits.
func (db *DB) appendKeyed(tx Tx, e *Event) error {
	id, err := tx.NextEventID()
	if err != nil {
		return err
	}
	e.ID = id
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	head, err := tx.Meta(metaAuditHead)
	if err != nil {
		return err
	}
	e.Prev = ""
	if len(head) >= 8+64 {
		e.Prev = string(head[8 : 8+64])
	}
	if err := db.referBlobs(tx, e); err != nil {
		return err
	}
	e.Hash = db.key.eventMAC(e)
	data, err := marshal(e)
	if err != nil {
		return err
	}
	if err := tx.PutEvent(id, data); err != nil {
		return err
	}
	return tx.SetMeta(metaAuditHead, db.key.headValue(id, e.Hash))
}

// ChainHead is the end of the audit chain as a witness keeps it: the last record's id and chain MAC.
type ChainHead struct {
	ID    uint64    `json:"id"`
	MAC   string    `json:"mac"`
	Time  time.Time `json:"time"`
	KeyID string    `json:"key_id,omitempty"`
}

// Head returns the current end of the audit chain (ID 0 when there are no events).
func (db *DB) Head() (ChainHead, error) {
	h := ChainHead{Time: time.Now().UTC(), KeyID: db.key.id}
	err := db.view(func(tx Tx) error {
		v, err := tx.Meta(metaAuditHead)
		if len(v) >= 8+64 {
			h.ID, h.MAC = binary.BigEndian.Uint64(v[:8]), string(v[8:8+64])
		}
		return err
	})
	return h, err
}
