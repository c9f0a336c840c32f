// Package store keeps Sluice's state in one bbolt file plus a content-addressed blob folder.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	bolt "go.etcd.io/bbolt"
)

// Bucket names; each area of the store owns one or more.
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
)

var allBuckets = [][]byte{bucketMeta, bucketUsers, bucketEvents, bucketTokens, bucketMarks,
	bucketApprovals, bucketGrants, bucketCustomers, bucketFingerprints}

// ErrLocked means another process (normally the running daemon) has the database open.
var ErrLocked = l10n.Sentinel(l10n.Locked)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = l10n.Sentinel(l10n.NotFound)

// DB is an open Sluice store.
type DB struct {
	bolt    *bolt.DB
	path    string
	blobDir string
	key     *chainKey // the audit key: chain, head, grants and approval records are authenticated with it
	legacy  bool      // events exist from before keyed chains: readable, but nothing is appended until Rekey
	blobs   blobState
	tamper  tamperState
}

// Options says where the blobs and the audit key are and how much the archive may hold.
type Options struct {
	BlobDir string // default: blobs beside the database
	// KeyFile is the audit key's file (default: audit.key beside the database). It is created (0600)
	// when it does not exist and the database's chain is not keyed yet.
	KeyFile string
	// Key is the audit key itself (for example from SLUICE_AUDIT_KEY); it takes precedence over KeyFile.
	Key []byte
	// ArchiveMaxFile is the largest body kept in the archive (0: DefaultArchiveMaxFile; <0: no limit).
	ArchiveMaxFile int64
	// ArchiveMaxTotal bounds the whole archive; the oldest blobs go first (0: DefaultArchiveMaxTotal; <0: no limit).
	ArchiveMaxTotal int64
}

// Open opens (creating if needed) the bbolt file at path, with blobs kept in blobDir and the audit key
// in audit.key beside the database.
func Open(path, blobDir string) (*DB, error) {
	return OpenWith(path, Options{BlobDir: blobDir})
}

// OpenWith opens (creating if needed) the bbolt file at path as o says.
func OpenWith(path string, o Options) (*DB, error) {
	blobDir := o.BlobDir
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
	if blobDir == "" {
		blobDir = filepath.Join(filepath.Dir(path), "blobs")
	}
	if err := os.MkdirAll(blobDir, 0o700); err != nil {
		b.Close()
		return nil, l10n.Wrap(err, l10n.Internal, "无法创建文件归档目录 %s", "cannot create the blob dir %s", blobDir)
	}
	db := &DB{bolt: b, path: path, blobDir: blobDir}
	db.blobs.init(o.ArchiveMaxFile, o.ArchiveMaxTotal)
	if err := db.loadKey(o); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// nextSeq returns the next sequence number of a bucket.
func nextSeq(b *bolt.Bucket) (uint64, error) { return b.NextSequence() }

// u64 encodes n as an 8-byte big-endian key so that keys sort numerically.
func u64(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

// putJSON stores v as JSON under key in bucket b.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON loads the JSON value under key in bucket b into v, or returns ErrNotFound.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	return json.Unmarshal(data, v)
}
