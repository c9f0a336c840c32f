package store

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBlobs keeps the archive in the shared PostgreSQL store, for several nodes: each blob is a row of
// sluice_blobs and its bytes 1 MiB bytea chunks in sluice_blob_chunks, written in one transaction (a
// blob is there whole or not at all). Chunks rather than one bytea: a bytea value is read and written
// whole in memory on both ends and cannot exceed 1 GB; chunks stream. Large objects would stream too,
// but are not removed with their row (they need lo_unlink, or vacuumlo, to free the space). Reading
// copies the blob to this node's cache folder (blobs/.cache), since callers want a file.
type pgBlobs struct {
	pg    *pgBackend
	stage string // this node's blob folder: staging (.incoming, .pending) and the read cache
}

// cacheDir is the folder of copies fetched from the shared store, inside the local blob folder.
const cacheDir = ".cache"

const blobChunk = 1 << 20

func (b *pgBlobs) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Minute)
}

// stageBlob writes the bytes of src into the shared store as a pending blob (its own transaction, outside
// the writer lock); the transaction of the record naming it makes it archived (ArchiveBlobs), and the
// sweep removes pending blobs no record ever named.
func (b *pgBlobs) stageBlob(sum, src string) error {
	_, err := b.insert(sum, src, true)
	return err
}

// Promote archives the copy src at once (the sweep, for a copy staged in the folder by a node that
// crashed, and migrations); it returns the bytes added.
func (b *pgBlobs) Promote(sum, src string) (int64, error) {
	n, err := b.insert(sum, src, false)
	if err == nil && src != "" {
		os.Remove(src)
	}
	return n, err
}

// insert writes sum with the bytes of src in 1 MiB chunks, in one transaction; a blob already there
// (pending or not) is left as it is, except that an archived insert archives a pending one.
func (b *pgBlobs) insert(sum, src string, pending bool) (int64, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	var size int64
	err := pgx.BeginFunc(ctx, b.pg.pool, func(tx pgx.Tx) error {
		size = 0
		if pending {
			// no flush of its own: the record naming it commits later in the WAL, durably, and a
			// durable commit makes every earlier WAL record durable too
			if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO sluice_blobs VALUES ($1, 0, now(), $2) ON CONFLICT DO NOTHING`, sum, pending)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 { // there already
			if !pending {
				tag, err = tx.Exec(ctx, `UPDATE sluice_blobs SET pending = false, mod = now() WHERE sha256 = $1 AND pending`, sum)
				if tag.RowsAffected() == 1 {
					err = tx.QueryRow(ctx, `SELECT size FROM sluice_blobs WHERE sha256 = $1`, sum).Scan(&size)
				}
			}
			return err
		}
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		buf := make([]byte, blobChunk)
		for n := 0; ; n++ {
			k, err := io.ReadFull(f, buf)
			if k > 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO sluice_blob_chunks VALUES ($1, $2, $3)`, sum, n, buf[:k]); err != nil {
					return err
				}
				size += int64(k)
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE sluice_blobs SET size = $2 WHERE sha256 = $1`, sum, size)
		return err
	})
	return size, pgErr(err)
}

// pendingBlobs lists the staged blobs no record has named yet.
func (b *pgBlobs) pendingBlobs() ([]archived, error) { return b.list(true) }

func (b *pgBlobs) Has(sum string) bool {
	ctx, cancel := b.ctx()
	defer cancel()
	var one int
	return b.pg.pool.QueryRow(ctx, `SELECT 1 FROM sluice_blobs WHERE sha256 = $1`, sum).Scan(&one) == nil
}

func (b *pgBlobs) Touch(sum string) {
	ctx, cancel := b.ctx()
	defer cancel()
	b.pg.pool.Exec(ctx, `UPDATE sluice_blobs SET mod = now() WHERE sha256 = $1`, sum)
}

// Path fetches the blob into the cache (when it is archived) and returns the cached file's path.
func (b *pgBlobs) Path(sum string) (string, error) {
	p := filepath.Join(b.stage, cacheDir, sum)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if err := b.fetch(sum, p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return p, nil
}

// fetch copies the chunks of sum into the file p (via a temp file, so p is whole or absent).
func (b *pgBlobs) fetch(sum, p string) error {
	if !b.Has(sum) {
		return os.ErrNotExist
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	ctx, cancel := b.ctx()
	defer cancel()
	for n := 0; ; n++ {
		var chunk []byte
		err := b.pg.pool.QueryRow(ctx, `SELECT data FROM sluice_blob_chunks WHERE sha256 = $1 AND n = $2`, sum, n).Scan(&chunk)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err == nil {
			_, err = tmp.Write(chunk)
		}
		if err != nil {
			tmp.Close()
			return pgErr(err)
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func (b *pgBlobs) Open(sum string) (*os.File, error) {
	p, err := b.Path(sum)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (b *pgBlobs) List() ([]archived, error) { return b.list(false) }

func (b *pgBlobs) list(pending bool) ([]archived, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	rows, err := b.pg.pool.Query(ctx, `SELECT sha256, size, mod FROM sluice_blobs WHERE pending = $1`, pending)
	if err != nil {
		return nil, pgErr(err)
	}
	defer rows.Close()
	var out []archived
	for rows.Next() {
		var a archived
		if err := rows.Scan(&a.sum, &a.size, &a.mod); err != nil {
			return nil, pgErr(err)
		}
		out = append(out, a)
	}
	return out, pgErr(rows.Err())
}

func (b *pgBlobs) Remove(sum string) error {
	os.Remove(filepath.Join(b.stage, cacheDir, sum))
	ctx, cancel := b.ctx()
	defer cancel()
	tag, err := b.pg.pool.Exec(ctx, `DELETE FROM sluice_blobs WHERE sha256 = $1`, sum)
	if err == nil && tag.RowsAffected() == 0 {
		return os.ErrNotExist
	}
	return pgErr(err)
}

func (b *pgBlobs) Where() string { return b.pg.url + " (sluice_blobs)" }
