// Package store keeps Sluice's state: records in a Backend (one bbolt file by default, or PostgreSQL
// shared by several nodes) plus content-addressed blobs.
package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	bolt "go.etcd.io/bbolt"
)

// ErrLocked means another process (normally the running daemon) has the database open.
var ErrLocked = l10n.Sentinel(l10n.Locked)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = l10n.Sentinel(l10n.NotFound)

// DB is an open Sluice store.
type DB struct {
	be      Backend
	bolt    *bolt.DB // the bbolt file when the backend is bbolt (tests and benchmarks reach into it)
	path    string
	blobDir string
	blob    BlobStore
	key     *chainKey // the audit key: chain, head, grants and approval records are authenticated with it
	legacy  bool      // events exist from before keyed chains: readable, but nothing is appended until Rekey
	blobs   blobState
	tamper  tamperState
	signals signalState
	batch   batcher
}

// Options says where the records, blobs and the audit key are and how much the archive may hold.
type Options struct {
	// Store is empty for the bbolt file at the path given to OpenWith, or a postgres:// URL.
	Store   string
	BlobDir string // default: blobs beside the database
	// SharedBlobs keeps blobs in the PostgreSQL store (several nodes) instead of BlobDir; BlobDir is then
	// only the staging area of this node. Ignored for bbolt.
	SharedBlobs bool
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

// IsPostgres reports whether a --store value names a PostgreSQL database.
func IsPostgres(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// Open opens (creating if needed) the bbolt file at path, with blobs kept in blobDir and the audit key
// in audit.key beside the database.
func Open(path, blobDir string) (*DB, error) {
	return OpenWith(path, Options{BlobDir: blobDir})
}

// OpenWith opens the store o.Store names (creating it if needed): the bbolt file at path when it is
// empty, else the PostgreSQL database; path's folder is the default home of the blobs and the audit key.
func OpenWith(path string, o Options) (*DB, error) {
	db := &DB{path: path}
	switch {
	case o.Store == "":
		b, err := openBolt(path)
		if err != nil {
			return nil, err
		}
		db.be, db.bolt = b, b.db
	case IsPostgres(o.Store):
		p, err := openPostgres(o.Store)
		if err != nil {
			return nil, err
		}
		db.be = p
	default:
		return nil, l10n.Errorf(l10n.Invalid, "--store %q 无法识别：留空使用数据目录中的 bbolt 文件，或给出 postgres://用户@主机/数据库",
			"--store %q is not understood: leave it empty for the bbolt file in the data dir, or give postgres://user@host/db", o.Store)
	}
	if err := db.openRest(path, o); err != nil {
		db.be.Close()
		return nil, err
	}
	return db, nil
}

// openRest sets up the blob area and the audit key of a store whose backend is open.
func (db *DB) openRest(path string, o Options) error {
	db.blobDir = o.BlobDir
	if db.blobDir == "" {
		db.blobDir = filepath.Join(filepath.Dir(path), "blobs")
	}
	if err := os.MkdirAll(db.blobDir, 0o700); err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法创建文件归档目录 %s", "cannot create the blob dir %s", db.blobDir)
	}
	db.blob = &dirBlobs{dir: db.blobDir}
	if p, ok := db.be.(*pgBackend); ok && o.SharedBlobs {
		db.blob = &pgBlobs{pg: p, stage: db.blobDir}
	}
	db.blobs.init(o.ArchiveMaxFile, o.ArchiveMaxTotal)
	return db.loadKey(o)
}

// Close closes the store.
func (db *DB) Close() error {
	db.stopSignals()
	return db.be.Close()
}

// Path returns the bbolt file path, or where the PostgreSQL store is (its URL without the password).
func (db *DB) Path() string {
	if db.bolt != nil {
		return db.path
	}
	return db.be.Location()
}

// Backend names the kind of backend: "bbolt" or "postgres".
func (db *DB) Backend() string { return db.be.Kind() }

// update and view run fn in a transaction of the backend.
func (db *DB) update(fn func(Tx) error) error { return db.be.Update(fn) }
func (db *DB) view(fn func(Tx) error) error   { return db.be.View(fn) }

// getJSON loads a record with get and decodes it into v, or returns ErrNotFound.
func getJSON(data []byte, err error, v any) error {
	if err != nil {
		return err
	}
	return unmarshal(data, v)
}

// marshal encodes v as the JSON bytes a record is stored (and MACed) as.
func marshal(v any) ([]byte, error) { return json.Marshal(v) }
