package store

import (
	"sort"
	"strconv"
	"time"
)

// archiveBytes returns the bytes of blobs in place, counting them on first use.
func (db *DB) archiveBytes() int64 {
	db.blobs.counted.Do(func() {
		bs, _ := db.blob.List()
		var n int64
		for _, b := range bs {
			n += b.size
		}
		db.blobs.total.Add(n)
	})
	return db.blobs.total.Load()
}

// ArchiveUsage returns the bytes of blobs kept and the total archive quota (≤ 0: none).
func (db *DB) ArchiveUsage() (used, quota int64) { return db.archiveBytes(), db.blobs.maxTotal }

// pruneToQuota removes the oldest blobs until the archive is under 90 % of its total quota, and records
// what it removed in the audit log. Only one prune runs at a time; others skip.
func (db *DB) pruneToQuota() {
	if !db.blobs.pruning.TryLock() {
		return
	}
	defer db.blobs.pruning.Unlock()
	bs, err := db.blob.List()
	if err != nil {
		return
	}
	var total int64
	for _, b := range bs {
		total += b.size
	}
	limit := db.blobs.maxTotal
	if limit <= 0 || total <= limit {
		db.blobs.total.Store(total)
		return
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].mod.Before(bs[j].mod) })
	target := limit / 10 * 9
	removed, freed := 0, int64(0)
	var oldest time.Time
	for _, b := range bs {
		if total <= target {
			break
		}
		if db.blob.Remove(b.sum) == nil {
			if removed == 0 {
				oldest = b.mod
			}
			removed++
			freed += b.size
			total -= b.size
		}
	}
	db.blobs.total.Store(total)
	if removed > 0 {
		// not batched: this runs after a batch's commit, on the batch's own goroutine
		db.update(func(tx Tx) error {
			return db.appendEventTx(tx, &Event{Action: "archive.prune", User: "sluice", Extra: map[string]string{
				"reason": "total archive quota exceeded (--archive-max-total); oldest blobs removed first",
				"quota":  strconv.FormatInt(limit, 10), "removed": strconv.Itoa(removed), "removed_bytes": strconv.FormatInt(freed, 10),
				"kept_bytes": strconv.FormatInt(total, 10), "oldest_removed": oldest.UTC().Format(time.RFC3339)}})
		})
	}
}

// PruneBlobs deletes blobs not touched for longer than maxAge and returns how many were removed.
func (db *DB) PruneBlobs(maxAge time.Duration) (int, error) {
	if maxAge <= 0 {
		return 0, nil
	}
	db.archiveBytes()
	cut := time.Now().Add(-maxAge)
	bs, err := db.blob.List()
	n := 0
	for _, b := range bs {
		if b.mod.Before(cut) && db.blob.Remove(b.sum) == nil {
			n++
			db.blobs.total.Add(-b.size)
		}
	}
	return n, err
}
