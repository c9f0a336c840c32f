package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	bolt "go.etcd.io/bbolt"
)

// Bucket names of the bbolt backend; each area of the store owns one or more.
var (
	bucketMeta         = []byte("meta")
	bucketUsers        = []byte("users")
	bucketEvents       = []byte("events")
	bucketTokens       = []byte("tokens")
	bucketMarks        = []byte("marks")
	bucketApprovals    = []byte("approvals")
	bucketGrants       = []byte("grants")
	bucketCustomers    = []byte("customers")
	bucketFingerprints = []byte("fingerprints")
	bucketPairing      = []byte("pairing")  // sha256(code) → {user, expires}
	bucketSessions     = []byte("sessions") // sha256(session id) → 8-byte expiry + user
	bucketByEvent      = []byte("by-event") // nested in approvals: event id → request id
	subHashes          = []byte("h")        // nested in customers: 32-byte hash → 8-byte entry id + field
	subEntries         = []byte("e")        // entry id → JSON entryRecord
	subKeys            = []byte("k")        // entry key → entry id
)

var allBuckets = [][]byte{bucketMeta, bucketUsers, bucketEvents, bucketTokens, bucketMarks,
	bucketApprovals, bucketGrants, bucketCustomers, bucketFingerprints, bucketPairing, bucketSessions}

// boltBackend keeps the records in one bbolt file: the embedded, single-node default.
type boltBackend struct {
	db   *bolt.DB
	path string
}

// openBolt opens (creating if needed) the bbolt file at path.
func openBolt(path string) (*boltBackend, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, l10n.Wrap(err, l10n.Internal, "无法为 %s 创建数据目录", "cannot create the data dir for %s", path)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, l10n.Errorf(l10n.Locked, "数据库 %s 正被运行中的 sluice 守护进程使用；请先停止它，或通过它的 API 操作",
				"the database %s is in use by a running sluice daemon; stop it, or go through its API", path)
		}
		return nil, l10n.Wrap(err, l10n.Internal, "无法打开数据库 %s", "cannot open the database %s", path)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Close()
		return nil, l10n.Wrap(err, l10n.Internal, "无法初始化数据库 %s", "cannot initialise the database %s", path)
	}
	return &boltBackend{db: b, path: path}, nil
}

func (b *boltBackend) Update(fn func(Tx) error) error {
	return b.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (b *boltBackend) View(fn func(Tx) error) error {
	return b.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (b *boltBackend) Kind() string     { return "bbolt" }
func (b *boltBackend) Location() string { return b.path }
func (b *boltBackend) Close() error     { return b.db.Close() }

// boltTx is one bbolt transaction; values returned are copies (valid after it ends).
type boltTx struct{ tx *bolt.Tx }

func (t boltTx) b(name []byte) *bolt.Bucket { return t.tx.Bucket(name) }

// get copies the value under key, or returns nil.
func get(b *bolt.Bucket, key []byte) []byte {
	if b == nil {
		return nil
	}
	if v := b.Get(key); v != nil {
		return append([]byte{}, v...)
	}
	return nil
}

// put stores v under key, or deletes key when v is nil.
func put(b *bolt.Bucket, key, v []byte) error {
	if v == nil {
		return b.Delete(key)
	}
	return b.Put(key, v)
}

func (t boltTx) Meta(key string) ([]byte, error)    { return get(t.b(bucketMeta), []byte(key)), nil }
func (t boltTx) SetMeta(key string, v []byte) error { return put(t.b(bucketMeta), []byte(key), v) }
func (t boltTx) User(name string) ([]byte, error)   { return get(t.b(bucketUsers), []byte(name)), nil }
func (t boltTx) PutUser(name string, v []byte) error {
	return t.b(bucketUsers).Put([]byte(name), v)
}

func (t boltTx) ForEachUser(fn func(string, []byte) error) error {
	return t.b(bucketUsers).ForEach(func(k, v []byte) error { return fn(string(k), v) })
}

func (t boltTx) TokenUser(key []byte) (string, error) { return string(t.b(bucketTokens).Get(key)), nil }
func (t boltTx) PutToken(key []byte, user string) error {
	return t.b(bucketTokens).Put(key, []byte(user))
}

func (t boltTx) DeleteTokens(user string) (int, error) {
	b := t.b(bucketTokens)
	var keys [][]byte
	b.ForEach(func(k, v []byte) error {
		if string(v) == user {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

func (t boltTx) ForEachToken(fn func([]byte, string) error) error {
	return t.b(bucketTokens).ForEach(func(k, v []byte) error { return fn(k, string(v)) })
}

func (t boltTx) NextEventID() (uint64, error) { return t.b(bucketEvents).NextSequence() }
func (t boltTx) SetEventSeq(seq uint64) error { return t.b(bucketEvents).SetSequence(seq) }
func (t boltTx) EventSeq() (uint64, error)    { return t.b(bucketEvents).Sequence(), nil }
func (t boltTx) PutEvent(id uint64, v []byte) error {
	return t.b(bucketEvents).Put(u64(id), v)
}
func (t boltTx) Event(id uint64) ([]byte, error) { return get(t.b(bucketEvents), u64(id)), nil }

func (t boltTx) LastEventID() (uint64, error) {
	if k, _ := t.b(bucketEvents).Cursor().Last(); k != nil {
		return binary.BigEndian.Uint64(k), nil
	}
	return 0, nil
}

func (t boltTx) ScanEvents(from uint64, desc bool, fn func(uint64, []byte) (bool, error)) error {
	c := t.b(bucketEvents).Cursor()
	first, next := func() ([]byte, []byte) { return c.Seek(u64(from)) }, c.Next
	if desc {
		first, next = c.Last, c.Prev
	}
	for k, v := first(); k != nil; k, v = next() {
		more, err := fn(binary.BigEndian.Uint64(k), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func (t boltTx) Request(id string) ([]byte, error) { return get(t.b(bucketApprovals), []byte(id)), nil }

func (t boltTx) PutRequest(id string, eventID uint64, v []byte) error {
	ap := t.b(bucketApprovals)
	idx, err := ap.CreateBucketIfNotExists(bucketByEvent)
	if err != nil {
		return err
	}
	if err := idx.Put(u64(eventID), []byte(id)); err != nil {
		return err
	}
	return ap.Put([]byte(id), v)
}

func (t boltTx) RequestForEvent(eventID uint64) (string, error) {
	return string(get(t.b(bucketApprovals).Bucket(bucketByEvent), u64(eventID))), nil
}

func (t boltTx) ForEachRequest(fn func(string, []byte) error) error {
	return t.b(bucketApprovals).ForEach(func(k, v []byte) error {
		if v == nil {
			return nil // the nested index
		}
		return fn(string(k), v)
	})
}

func (t boltTx) Grant(id string) ([]byte, error) { return get(t.b(bucketGrants), []byte(id)), nil }
func (t boltTx) PutGrant(id, _, _ string, v []byte) error {
	return t.b(bucketGrants).Put([]byte(id), v)
}

func (t boltTx) SwapGrant(id string, old, v []byte) (bool, error) {
	if !bytes.Equal(t.b(bucketGrants).Get([]byte(id)), old) {
		return false, nil
	}
	return true, t.b(bucketGrants).Put([]byte(id), v)
}

func (t boltTx) GrantsOf(_, _ string, fn func(string, []byte) error) error { return t.ForEachGrant(fn) }
func (t boltTx) ForEachGrant(fn func(string, []byte) error) error {
	return t.b(bucketGrants).ForEach(func(k, v []byte) error { return fn(string(k), v) })
}

func (t boltTx) Mark(id uint64) ([]byte, error) { return get(t.b(bucketMarks), u64(id)), nil }
func (t boltTx) InsertMark(id uint64, v []byte) (bool, error) {
	if t.b(bucketMarks).Get(u64(id)) != nil {
		return false, nil
	}
	return true, t.b(bucketMarks).Put(u64(id), v)
}

func (t boltTx) PutMark(id uint64, v []byte) error {
	b := t.b(bucketMarks)
	key := u64(id)
	if id == 0 {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key = append([]byte("u"), u64(seq)...) // unmarked records sort after marks
	}
	return b.Put(key, v)
}

func (t boltTx) ForEachMark(fn func([]byte) error) error {
	return t.b(bucketMarks).ForEach(func(_, v []byte) error { return fn(v) })
}

// Fingerprints: "s:"+sha256 → JSON Fingerprint; "b:"+first block MD5 → sha256; "m:"+MD5 → sha256.
func (t boltTx) PutFingerprint(sha, block, md5 string, v []byte) error {
	b := t.b(bucketFingerprints)
	if err := b.Put([]byte("s:"+sha), v); err != nil {
		return err
	}
	if err := b.Put([]byte("b:"+block), []byte(sha)); err != nil {
		return err
	}
	if md5 != "" {
		return b.Put([]byte("m:"+md5), []byte(sha))
	}
	return nil
}

func (t boltTx) ForEachFingerprint(fn func([]byte) error) error {
	c := t.b(bucketFingerprints).Cursor()
	prefix := []byte("s:")
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func (t boltTx) Pairing(key []byte) ([]byte, error) { return get(t.b(bucketPairing), key), nil }
func (t boltTx) PutPairing(key, v []byte) error     { return put(t.b(bucketPairing), key, v) }
func (t boltTx) ForEachPairing(fn func(k, v []byte) error) error {
	return t.b(bucketPairing).ForEach(fn)
}

func (t boltTx) Session(key []byte) (string, int64, error) {
	v := t.b(bucketSessions).Get(key)
	if len(v) < 8 {
		return "", 0, nil
	}
	return string(v[8:]), int64(binary.BigEndian.Uint64(v[:8])), nil
}

func (t boltTx) PutSession(key []byte, user string, expires int64) error {
	return t.b(bucketSessions).Put(key, append(u64(uint64(expires)), user...))
}

func (t boltTx) DeleteSession(key []byte) error { return t.b(bucketSessions).Delete(key) }

func (t boltTx) PruneSessions(now int64) (int, error) {
	b := t.b(bucketSessions)
	var drop [][]byte
	b.ForEach(func(k, v []byte) error {
		if len(v) < 8 || int64(binary.BigEndian.Uint64(v[:8])) < now {
			drop = append(drop, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

func (t boltTx) ArchiveBlobs([]string) (int64, error) { return 0, nil }
func (t boltTx) OnCommit(fn func())                   { t.tx.OnCommit(fn) }

// u64 encodes n as an 8-byte big-endian key so that keys sort numerically.
func u64(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

// unmarshal decodes stored JSON into v, or returns ErrNotFound for an absent record.
func unmarshal(data []byte, v any) error {
	if data == nil {
		return ErrNotFound
	}
	return json.Unmarshal(data, v)
}
