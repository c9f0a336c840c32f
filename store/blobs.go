package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

var hexSHA = regexp.MustCompile(`^[0-9a-f]{64}$`)

// BlobPath returns where the blob with the given sha256 lives (whether or not it exists).
func (db *DB) BlobPath(sum string) (string, error) {
	if !hexSHA.MatchString(sum) {
		return "", l10n.Errorf(l10n.Invalid, "%q 不是 sha256 文件编号", "%q is not a sha256 blob id", sum)
	}
	return filepath.Join(db.blobDir, sum[:2], sum), nil
}

// PutBlob stores r's bytes content-addressed and returns their sha256; existing blobs are kept (dedup).
func (db *DB) PutBlob(r io.Reader) (sum string, size int64, err error) {
	tmp, err := os.CreateTemp(db.blobDir, ".incoming-*")
	if err != nil {
		return "", 0, l10n.Wrap(err, l10n.Internal, "无法写入文件归档目录 %s（检查磁盘空间和权限）", "cannot write to the blob dir %s (check free space and permissions)", db.blobDir)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, l10n.Wrap(err, l10n.Internal, "无法归档文件", "cannot store the blob")
	}
	sum = hex.EncodeToString(h.Sum(nil))
	dst, _ := db.BlobPath(sum)
	if _, err := os.Stat(dst); err == nil {
		now := time.Now()
		os.Chtimes(dst, now, now) // refresh for retention
		return sum, size, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, l10n.Wrap(err, l10n.Internal, "无法归档文件 %s", "cannot store blob %s", sum)
	}
	return sum, size, nil
}

// PutBlobBytes stores data content-addressed and returns its sha256.
func (db *DB) PutBlobBytes(data []byte) (string, error) {
	sum, _, err := db.PutBlob(bytes.NewReader(data))
	return sum, err
}

// OpenBlob opens a stored blob for reading.
func (db *DB) OpenBlob(sum string) (*os.File, error) {
	p, err := db.BlobPath(sum)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return nil, l10n.Errorf(l10n.NotFound, "归档文件 %s 不在 %s 中（可能已按保留期限删除）", "blob %s is not in %s (removed by retention?)", sum, db.blobDir)
	}
	return f, err
}

// PruneBlobs deletes blobs not touched for longer than maxAge and returns how many were removed.
func (db *DB) PruneBlobs(maxAge time.Duration) (int, error) {
	if maxAge <= 0 {
		return 0, nil
	}
	cut := time.Now().Add(-maxAge)
	n := 0
	err := filepath.WalkDir(db.blobDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil && info.ModTime().Before(cut) && hexSHA.MatchString(d.Name()) {
			if os.Remove(p) == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}
