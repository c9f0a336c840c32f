// Package store keeps Sluice's state in one bbolt file plus a content-addressed blob folder.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
var ErrLocked = errors.New("sluice: the database is in use by a running sluice daemon")

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("sluice: not found")

// DB is an open Sluice store.
type DB struct {
	bolt    *bolt.DB
	path    string
	blobDir string
}

// Open opens (creating if needed) the bbolt file at path, with blobs kept in blobDir.
func Open(path, blobDir string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sluice: cannot create data dir for %s: %w", path, err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w (%s); stop it or let this command talk to its API", ErrLocked, path)
		}
		return nil, fmt.Errorf("sluice: cannot open database %s: %w", path, err)
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
		return nil, fmt.Errorf("sluice: cannot initialise database %s: %w", path, err)
	}
	if blobDir == "" {
		blobDir = filepath.Join(filepath.Dir(path), "blobs")
	}
	if err := os.MkdirAll(blobDir, 0o700); err != nil {
		b.Close()
		return nil, fmt.Errorf("sluice: cannot create blob dir %s: %w", blobDir, err)
	}
	return &DB{bolt: b, path: path, blobDir: blobDir}, nil
}

// Close closes the database file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Bolt exposes the underlying bbolt handle for packages of this module that add buckets' logic.
func (db *DB) Bolt() *bolt.DB { return db.bolt }

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

// Meta returns a value from the meta bucket, or nil.
func (db *DB) Meta(key string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(key)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetMeta stores a value in the meta bucket.
func (db *DB) SetMeta(key string, value []byte) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(key), value)
	})
}
