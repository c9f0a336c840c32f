package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// This file holds the audit key: the secret, kept outside the database, that the chain, its head,
// grants and approval records are authenticated with (HMAC-SHA256).

// AuditKeySize is the length in bytes of a newly created audit key.
const AuditKeySize = 32

// DefaultAuditKeyFile is the audit key's file name beside the database when no other place is given.
const DefaultAuditKeyFile = "audit.key"

// metaKeyed records that the chain is keyed: which key, and from which event id on.
const metaKeyed = "audit.keyed"

// chainKey is a loaded audit key with its public id.
type chainKey struct {
	key []byte
	id  string // first 8 bytes of HMAC(key, "id"), hex: names the key without revealing it
}

func newChainKey(key []byte) *chainKey {
	k := &chainKey{key: key}
	k.id = k.mac("id")[:16]
	return k
}

// mac returns the hex HMAC-SHA256 of the parts under a domain name; each part is length-prefixed so
// no two different lists of parts give the same input.
func (k *chainKey) mac(domain string, parts ...[]byte) string {
	h := hmac.New(sha256.New, k.key)
	var n [8]byte
	for _, p := range append([][]byte{[]byte("sluice/" + domain)}, parts...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// check reports whether got is the MAC of the parts under domain, in constant time.
func (k *chainKey) check(got, domain string, parts ...[]byte) bool {
	return hmac.Equal([]byte(got), []byte(k.mac(domain, parts...)))
}

// ParseAuditKey decodes an audit key given as text (SLUICE_AUDIT_KEY): 64 or more hex digits.
func ParseAuditKey(s string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) < 16 {
		return nil, l10n.New(l10n.Invalid, "审计密钥必须是至少 32 个十六进制字符（例如 openssl rand -hex 32 的输出）",
			"the audit key must be at least 32 hex digits (for example the output of openssl rand -hex 32)")
	}
	return key, nil
}

// loadKeyFile reads the audit key at path; when it does not exist and create is set, it makes a new
// one (mode 0600). The key file holds the raw key bytes, or hex text.
func loadKeyFile(path string, create bool) ([]byte, bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, false, nil
		}
		key := make([]byte, AuditKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, false, l10n.Wrap(err, l10n.Internal, "无法生成审计密钥", "cannot generate the audit key")
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.Write(key)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return nil, false, l10n.Wrap(err, l10n.Internal, "无法创建审计密钥 %s；请检查该目录存在且可写，或用 --audit-key 指定其他位置",
				"cannot create the audit key %s; check that its directory exists and is writable, or choose another place with --audit-key", path)
		}
		return key, true, nil
	}
	if err != nil {
		return nil, false, l10n.Wrap(err, l10n.Internal, "无法读取审计密钥 %s", "cannot read the audit key %s", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, false, l10n.Errorf(l10n.Forbidden, "审计密钥 %[1]s 可被组或其他用户读取（权限 %[2]v）；请运行 chmod 600 %[1]s",
			"the audit key %[1]s is readable by group or others (mode %[2]v); run: chmod 600 %[1]s", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, l10n.Wrap(err, l10n.Internal, "无法读取审计密钥 %s", "cannot read the audit key %s", path)
	}
	if k, err := ParseAuditKey(string(data)); err == nil && len(data) >= 2*AuditKeySize {
		return k, false, nil // written as hex text
	}
	if len(data) < 16 {
		return nil, false, l10n.Errorf(l10n.Invalid, "审计密钥 %s 只有 %d 字节；请从备份恢复", "the audit key %s is only %d bytes; restore it from backup", path, len(data))
	}
	return data, false, nil
}

// keyMarker is the stored record that the chain is keyed: events from From on carry HMACs under the
// key named KeyID. MAC authenticates both, so the point where the keyed chain starts cannot be moved.
type keyMarker struct {
	KeyID string `json:"key_id"`
	From  uint64 `json:"from"`
	MAC   string `json:"mac"`
}

func (k *chainKey) markerMAC(m *keyMarker) string {
	return k.mac("marker", []byte(m.KeyID), u64(m.From))
}

// readMarker returns the keyed-chain marker, or nil when the database has none.
func readMarker(tx Tx) (*keyMarker, error) {
	v, err := tx.Meta(metaKeyed)
	if v == nil || err != nil {
		return nil, err
	}
	var m keyMarker
	if err := json.Unmarshal(v, &m); err != nil {
		return &keyMarker{}, nil // present but unreadable: reported as not matching
	}
	return &m, nil
}

// writeMarker records that events from id from on are keyed with k.
func (k *chainKey) writeMarker(tx Tx, from uint64) error {
	m := keyMarker{KeyID: k.id, From: from}
	m.MAC = k.markerMAC(&m)
	data, err := marshal(&m)
	if err != nil {
		return err
	}
	return tx.SetMeta(metaKeyed, data)
}
