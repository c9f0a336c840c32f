package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Blobs are written in three steps so that no copy outlives a crash without a record referring to it:
// the bytes go to a temp file (.incoming-*), then, hashed, to .pending/<sha256>.blob, and only when a
// transaction that refers to them (an audit event or an outbound record) commits are they moved to
// <xx>/<sha256>. SweepBlobs removes what a crash left between the steps.

// Archive quotas used when Options leaves them at zero.
const (
	DefaultArchiveMaxFile  = 64 << 20 // one body
	DefaultArchiveMaxTotal = 4 << 30  // the whole blob folder
)

const pendingDir = ".pending"

var hexSHA = regexp.MustCompile(`^[0-9a-f]{64}$`)

// blobState is the archive's quotas and bookkeeping.
type blobState struct {
	maxFile, maxTotal int64
	mu                sync.Mutex
	skipped           map[string]skipNote // sha256 → why it was not archived
	counted           sync.Once
	total             atomic.Int64 // bytes of blobs in place
	pruning           sync.Mutex
}

type skipNote struct {
	reason string
	at     time.Time
}

func (s *blobState) init(maxFile, maxTotal int64) {
	if maxFile == 0 {
		maxFile = DefaultArchiveMaxFile
	}
	if maxTotal == 0 {
		maxTotal = DefaultArchiveMaxTotal
	}
	if maxTotal > 0 && (maxFile < 0 || maxFile > maxTotal) {
		maxFile = maxTotal
	}
	s.maxFile, s.maxTotal = maxFile, maxTotal
	s.skipped = map[string]skipNote{}
}

// skip remembers that sum was not archived and why, for the record that will refer to it.
func (s *blobState) skip(sum, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, n := range s.skipped {
		if now.Sub(n.at) > 24*time.Hour {
			delete(s.skipped, k)
		}
	}
	s.skipped[sum] = skipNote{reason, now}
}

// skipReason says why sum was not archived, or "" when it was.
func (s *blobState) skipReason(sum string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped[sum].reason
}

// BlobPath returns a local file with the blob's bytes (whether or not it exists): where it lives in
// the blob folder, or a copy fetched from the shared store.
func (db *DB) BlobPath(sum string) (string, error) {
	if !hexSHA.MatchString(sum) {
		return "", l10n.Errorf(l10n.Invalid, "%q 不是 sha256 文件编号", "%q is not a sha256 blob id", sum)
	}
	return db.blob.Path(sum)
}

func (db *DB) pendingPath(sum string) string {
	return filepath.Join(db.blobDir, pendingDir, sum+".blob")
}

// PutBlob hashes r's bytes and keeps them content-addressed, returning their sha256. The copy becomes
// part of the archive only when an audit event or outbound record naming it is stored; a body over the
// per-file quota is hashed but not kept, and the record that names it says so.
func (db *DB) PutBlob(r io.Reader) (sum string, size int64, err error) {
	fail := func(err error) (string, int64, error) {
		return "", 0, l10n.Wrap(err, l10n.Internal, "无法写入文件归档目录 %s（检查磁盘空间和权限）", "cannot write to the blob dir %s (check free space and permissions)", db.blobDir)
	}
	tmp, err := os.CreateTemp(db.blobDir, ".incoming-*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	src := r
	if db.blobs.maxFile > 0 {
		src = io.LimitReader(r, db.blobs.maxFile+1)
	}
	size, err = io.Copy(io.MultiWriter(tmp, h), src)
	over := err == nil && db.blobs.maxFile > 0 && size > db.blobs.maxFile
	if over { // keep hashing, stop copying
		tmp.Truncate(0)
		var rest int64
		rest, err = io.Copy(h, r)
		size += rest
	}
	_, shared := db.blob.(*pgBlobs)
	if err == nil && !over && !shared { // a shared store makes the staged copy durable itself
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if over {
		db.blobs.skip(sum, fmt.Sprintf("not archived: %d bytes is over the per-file archive quota of %d bytes (--archive-max-file)", size, db.blobs.maxFile))
		return sum, size, nil
	}
	if db.blob.Has(sum) {
		db.blob.Touch(sum) // refresh for retention
		return sum, size, nil
	}
	if shared, ok := db.blob.(*pgBlobs); ok {
		if err := shared.stageBlob(sum, tmp.Name()); err != nil {
			return fail(err)
		}
		return sum, size, nil
	}
	if err := os.MkdirAll(filepath.Join(db.blobDir, pendingDir), 0o700); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), db.pendingPath(sum)); err != nil {
		return fail(err)
	}
	return sum, size, nil
}

// PutBlobBytes stores data content-addressed and returns its sha256.
func (db *DB) PutBlobBytes(data []byte) (string, error) {
	sum, _, err := db.PutBlob(bytes.NewReader(data))
	return sum, err
}

// referBlobs notes on e's files which originals were not archived, and puts the others in place once
// tx commits.
func (db *DB) referBlobs(tx Tx, e *Event) error {
	var sums []string
	for i := range e.Files {
		f := &e.Files[i]
		if f.Blob != "" {
			if why := db.blobs.skipReason(f.Blob); why != "" {
				f.Unarchived, f.Blob = why, ""
			} else {
				sums = append(sums, f.Blob)
			}
		}
		if f.Marked != "" && db.blobs.skipReason(f.Marked) == "" {
			sums = append(sums, f.Marked)
		}
	}
	return db.promoteOnCommit(tx, sums)
}

// referOutbound does for an outbound record what referBlobs does for an event.
func (db *DB) referOutbound(tx Tx, o *Outbound) error {
	var sums []string
	for _, sum := range []string{o.OrigSHA256, o.MarkSHA256} {
		if sum == "" {
			continue
		}
		if why := db.blobs.skipReason(sum); why != "" {
			if o.Note != "" {
				o.Note += "; "
			}
			o.Note += sum[:min(12, len(sum))] + " " + why
			continue
		}
		sums = append(sums, sum)
	}
	return db.promoteOnCommit(tx, sums)
}

// promoteOnCommit puts the staged blobs in place with tx: moved into the folder once it commits, or
// (shared blobs) marked archived in the same transaction.
func (db *DB) promoteOnCommit(tx Tx, sums []string) error {
	if len(sums) == 0 {
		return nil
	}
	if _, ok := db.blob.(*pgBlobs); ok {
		db.archiveBytes() // counted before this transaction archives more, so they are added once
		added, err := tx.ArchiveBlobs(sums)
		if err == nil && added > 0 {
			tx.OnCommit(func() { db.added(added) })
		}
		return err
	}
	tx.OnCommit(func() { db.promote(sums) })
	return nil
}

// added counts bytes newly archived and enforces the total quota.
func (db *DB) added(n int64) {
	if db.blobs.total.Add(n) > db.blobs.maxTotal && db.blobs.maxTotal > 0 {
		db.pruneToQuota()
	}
}

// promote moves pending blobs into the archive (their record is committed) and enforces the total quota.
func (db *DB) promote(sums []string) {
	db.archiveBytes() // counted before the move, so the moved bytes are added once
	var added int64
	for _, sum := range sums {
		if !hexSHA.MatchString(sum) {
			continue
		}
		src := db.pendingPath(sum)
		if _, err := os.Stat(src); err != nil {
			continue // already in place, or never pending
		}
		n, err := db.blob.Promote(sum, src)
		if err == nil {
			added += n
		}
	}
	if db.blobs.total.Add(added) > db.blobs.maxTotal && db.blobs.maxTotal > 0 && added > 0 {
		db.pruneToQuota()
	}
}

// OpenBlob opens a stored blob for reading.
func (db *DB) OpenBlob(sum string) (*os.File, error) {
	if !hexSHA.MatchString(sum) {
		return nil, l10n.Errorf(l10n.Invalid, "%q 不是 sha256 文件编号", "%q is not a sha256 blob id", sum)
	}
	f, err := db.blob.Open(sum)
	if os.IsNotExist(err) {
		return nil, l10n.Errorf(l10n.NotFound, "归档文件 %s 不在 %s 中（超过归档配额未保存，或已按保留期限或总配额删除）",
			"blob %s is not in %s (not kept because over the archive quota, or removed by retention or the total quota)", sum, db.blob.Where())
	}
	return f, err
}
