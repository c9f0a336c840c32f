package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// BlobSweep says what SweepBlobs did.
type BlobSweep struct {
	Removed      []string `json:"removed"`       // sha256 of copies no record refers to, now deleted
	RemovedBytes int64    `json:"removed_bytes"` // their size
	Unrecorded   int      `json:"unrecorded"`    // of those, copies written for an upload whose record never committed
	Partial      int      `json:"partial"`       // unfinished writes deleted
	Restored     int      `json:"restored"`      // copies whose record committed just before a crash, put in place
}

// Changed reports whether the sweep changed anything.
func (s BlobSweep) Changed() bool { return len(s.Removed)+s.Partial+s.Restored > 0 }

// referencedBlobs returns every sha256 that an audit event, an approval request or an outbound record
// names as a kept copy.
func (db *DB) referencedBlobs() (map[string]bool, error) {
	refs := map[string]bool{}
	files := func(fs []FileRecord) {
		for _, f := range fs {
			refs[f.Blob], refs[f.Marked] = true, true
		}
	}
	err := db.view(func(tx Tx) error {
		clear(refs)
		err := tx.ScanEvents(1, false, func(_ uint64, v []byte) (bool, error) {
			var e struct{ Files []FileRecord }
			if json.Unmarshal(v, &e) == nil {
				files(e.Files)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		tx.ForEachRequest(func(k string, v []byte) error {
			var r struct{ Files []FileRecord }
			if json.Unmarshal(v, &r) == nil {
				files(r.Files)
			}
			return nil
		})
		return tx.ForEachMark(func(v []byte) error {
			var o Outbound
			if json.Unmarshal(v, &o) == nil {
				refs[o.OrigSHA256], refs[o.MarkSHA256] = true, true
			}
			return nil
		})
	})
	delete(refs, "")
	return refs, err
}

// SweepBlobs makes the blob folder match the records: it deletes unfinished writes, copies written for
// uploads whose record never committed and copies no record refers to, puts in place copies whose
// record committed just before a crash, and records what it did in the audit log. Only files older
// than minAge are touched: 0 at start-up, before anything is served.
func (db *DB) SweepBlobs(minAge time.Duration) (BlobSweep, error) {
	var s BlobSweep
	refs, err := db.referencedBlobs()
	if err != nil {
		return s, l10n.Wrap(err, l10n.Internal, "无法读取审计记录以清理归档", "cannot read the records to sweep the archive")
	}
	old := func(p string) (os.FileInfo, bool) {
		st, err := os.Stat(p)
		return st, err == nil && time.Since(st.ModTime()) >= minAge
	}
	remove := func(sum, p string, size int64) bool {
		if os.Remove(p) != nil {
			return false
		}
		s.Removed = append(s.Removed, sum)
		s.RemovedBytes += size
		return true
	}
	db.archiveBytes()
	top, _ := os.ReadDir(db.blobDir)
	for _, d := range top {
		if p := filepath.Join(db.blobDir, d.Name()); strings.HasPrefix(d.Name(), ".incoming-") {
			if _, ok := old(p); ok && os.Remove(p) == nil {
				s.Partial++
			}
		}
	}
	pending, _ := os.ReadDir(filepath.Join(db.blobDir, pendingDir))
	for _, d := range pending {
		sum, _ := strings.CutSuffix(d.Name(), ".blob")
		p := filepath.Join(db.blobDir, pendingDir, d.Name())
		st, ok := old(p)
		switch {
		case !ok:
		case !hexSHA.MatchString(sum):
			if os.Remove(p) == nil {
				s.Partial++
			}
		case refs[sum]:
			db.promote([]string{sum})
			if _, err := os.Stat(p); err != nil {
				s.Restored++
			}
		case remove(sum, p, st.Size()):
			s.Unrecorded++
		}
	}
	bs, err := db.blob.List()
	archivedAge := minAge
	if shared, ok := db.blob.(*pgBlobs); ok {
		// other nodes stage and archive blobs meanwhile (after refs was read): leave the recent ones
		archivedAge = max(minAge, time.Hour)
		staged, perr := shared.pendingBlobs()
		for _, b := range staged {
			switch {
			case time.Since(b.mod) < archivedAge:
			case refs[b.sum]:
				if _, err := shared.Promote(b.sum, ""); err == nil {
					s.Restored++
				}
			case db.blob.Remove(b.sum) == nil:
				s.Removed = append(s.Removed, b.sum)
				s.RemovedBytes += b.size
				s.Unrecorded++
			}
		}
		if err == nil {
			err = perr
		}
	}
	for _, b := range bs {
		if !refs[b.sum] && time.Since(b.mod) >= archivedAge && db.blob.Remove(b.sum) == nil {
			s.Removed = append(s.Removed, b.sum)
			s.RemovedBytes += b.size
			db.blobs.total.Add(-b.size)
		}
	}
	if err != nil {
		return s, l10n.Wrap(err, l10n.Internal, "无法遍历文件归档目录 %s", "cannot walk the blob dir %s", db.blob.Where())
	}
	if !s.Changed() {
		return s, nil
	}
	list := s.Removed
	if len(list) > 50 {
		list = append(list[:50:50], "…+"+strconv.Itoa(len(s.Removed)-50))
	}
	err = db.AppendEvent(&Event{Action: "blobs.sweep", User: "sluice", Extra: map[string]string{
		"removed": strconv.Itoa(len(s.Removed)), "removed_bytes": strconv.FormatInt(s.RemovedBytes, 10),
		"unrecorded": strconv.Itoa(s.Unrecorded), "partial": strconv.Itoa(s.Partial), "restored": strconv.Itoa(s.Restored),
		"sha256": strings.Join(list, ","), "reason": "copies no audit event or outbound record refers to (left by a crash), and unfinished writes"}})
	return s, err
}
