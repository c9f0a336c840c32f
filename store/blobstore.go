package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// BlobStore is where archived blobs live once a committed record refers to them: the local blob folder
// (the default), or the PostgreSQL store shared by several nodes. Writing is the same for both: the
// bytes are staged in this node's blob folder (.incoming-*, then .pending/<sha256>.blob) and promoted
// only after the record naming them commits, so a crash leaves nothing the start-up sweep cannot settle.
type BlobStore interface {
	// Promote makes the staged copy src (whose sha256 is sum) part of the archive and removes src; it
	// returns the bytes added (0 when the blob was already archived).
	Promote(sum, src string) (int64, error)
	// Has reports whether sum is archived.
	Has(sum string) bool
	// Touch refreshes sum's time, for retention.
	Touch(sum string)
	// Open opens the archived blob for reading.
	Open(sum string) (*os.File, error)
	// Path returns a local file with the blob's bytes (whether or not it exists).
	Path(sum string) (string, error)
	// List returns every archived blob.
	List() ([]archived, error)
	// Remove deletes an archived blob.
	Remove(sum string) error
	// Where names the archive in messages.
	Where() string
}

// archived is one blob in place in the archive.
type archived struct {
	sum  string
	size int64
	mod  time.Time
}

// dirBlobs is the archive in a local folder: <dir>/<xx>/<sha256>.
type dirBlobs struct{ dir string }

func (d *dirBlobs) path(sum string) string { return filepath.Join(d.dir, sum[:2], sum) }

func (d *dirBlobs) Promote(sum, src string) (int64, error) {
	dst := d.path(sum)
	if _, err := os.Stat(dst); err == nil {
		return 0, os.Remove(src)
	}
	st, err := os.Stat(src)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return 0, err
	}
	if err := os.Rename(src, dst); err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (d *dirBlobs) Has(sum string) bool {
	_, err := os.Stat(d.path(sum))
	return err == nil
}

func (d *dirBlobs) Touch(sum string) {
	now := time.Now()
	os.Chtimes(d.path(sum), now, now)
}

func (d *dirBlobs) Open(sum string) (*os.File, error) { return os.Open(d.path(sum)) }
func (d *dirBlobs) Path(sum string) (string, error)   { return d.path(sum), nil }
func (d *dirBlobs) Remove(sum string) error           { return os.Remove(d.path(sum)) }
func (d *dirBlobs) Where() string                     { return d.dir }

// List walks the folder for blobs in place (<xx>/<sha256>), leaving out pending and temporary files.
func (d *dirBlobs) List() ([]archived, error) {
	var out []archived
	err := filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking
			}
			return err
		}
		if e.IsDir() {
			if e.Name() == pendingDir || e.Name() == cacheDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !hexSHA.MatchString(e.Name()) || filepath.Base(filepath.Dir(p)) != e.Name()[:2] {
			return nil
		}
		if info, err := e.Info(); err == nil {
			out = append(out, archived{e.Name(), info.Size(), info.ModTime()})
		}
		return nil
	})
	return out, err
}
