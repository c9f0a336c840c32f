package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// pgTx is one PostgreSQL transaction. Rows are read whole before fn is called, so fn may query again.
type pgTx struct {
	ctx    context.Context
	tx     pgx.Tx
	commit []func()
}

// one returns the first column of the row q selects, or nil bytes when there is no row.
func (t *pgTx) one(q string, args ...any) ([]byte, error) {
	var v []byte
	err := t.tx.QueryRow(t.ctx, q, args...).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if v == nil && err == nil {
		v = []byte{}
	}
	return v, pgErr(err)
}

func (t *pgTx) exec(q string, args ...any) error {
	_, err := t.tx.Exec(t.ctx, q, args...)
	return pgErr(err)
}

// pairs returns the (key, value) rows q selects.
func (t *pgTx) pairs(q string, args ...any) (keys, vals [][]byte, err error) {
	rows, err := t.tx.Query(t.ctx, q, args...)
	if err != nil {
		return nil, nil, pgErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, nil, pgErr(err)
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	return keys, vals, pgErr(rows.Err())
}

// each calls fn for every (key, value) row q selects.
func (t *pgTx) each(fn func(k, v []byte) error, q string, args ...any) error {
	keys, vals, err := t.pairs(q, args...)
	for i := range keys {
		if err != nil {
			break
		}
		err = fn(keys[i], vals[i])
	}
	return err
}

func (t *pgTx) Meta(key string) ([]byte, error) {
	return t.one(`SELECT value FROM sluice_meta WHERE key = $1`, key)
}

func (t *pgTx) SetMeta(key string, v []byte) error {
	if v == nil {
		return t.exec(`DELETE FROM sluice_meta WHERE key = $1`, key)
	}
	return t.exec(`INSERT INTO sluice_meta VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`, key, v)
}

func (t *pgTx) User(name string) ([]byte, error) {
	return t.one(`SELECT data FROM sluice_users WHERE name = $1`, name)
}

func (t *pgTx) PutUser(name string, v []byte) error {
	return t.exec(`INSERT INTO sluice_users VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = $2`, name, v)
}

func (t *pgTx) ForEachUser(fn func(string, []byte) error) error {
	return t.each(func(k, v []byte) error { return fn(string(k), v) }, `SELECT name::bytea, data FROM sluice_users ORDER BY name`)
}

func (t *pgTx) TokenUser(key []byte) (string, error) {
	v, err := t.one(`SELECT username::bytea FROM sluice_tokens WHERE key = $1`, key)
	return string(v), err
}

func (t *pgTx) PutToken(key []byte, user string) error {
	return t.exec(`INSERT INTO sluice_tokens VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET username = $2`, key, user)
}

func (t *pgTx) DeleteTokens(user string) (int, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM sluice_tokens WHERE username = $1`, user)
	return int(tag.RowsAffected()), pgErr(err)
}

func (t *pgTx) ForEachToken(fn func([]byte, string) error) error {
	return t.each(func(k, v []byte) error { return fn(k, string(v)) }, `SELECT key, username::bytea FROM sluice_tokens ORDER BY key`)
}

func (t *pgTx) SetEventSeq(seq uint64) error {
	return t.exec(`UPDATE sluice_chain SET seq = $1 WHERE id = 1`, int64(seq))
}

func (t *pgTx) NextEventID() (uint64, error) {
	var id uint64
	err := t.tx.QueryRow(t.ctx, `UPDATE sluice_chain SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&id)
	return id, pgErr(err)
}

func (t *pgTx) EventSeq() (uint64, error) {
	var id uint64
	err := t.tx.QueryRow(t.ctx, `SELECT seq FROM sluice_chain WHERE id = 1`).Scan(&id)
	return id, pgErr(err)
}

func (t *pgTx) PutEvent(id uint64, v []byte) error {
	return t.exec(`INSERT INTO sluice_events VALUES ($1, $2)`, int64(id), v)
}

func (t *pgTx) Event(id uint64) ([]byte, error) {
	return t.one(`SELECT data FROM sluice_events WHERE id = $1`, int64(id))
}

func (t *pgTx) LastEventID() (uint64, error) {
	var id *int64
	err := t.tx.QueryRow(t.ctx, `SELECT max(id) FROM sluice_events`).Scan(&id)
	if id == nil {
		return 0, pgErr(err)
	}
	return uint64(*id), pgErr(err)
}

// ScanEvents reads the events a page at a time.
func (t *pgTx) ScanEvents(from uint64, desc bool, fn func(uint64, []byte) (bool, error)) error {
	const page = 500
	q := `SELECT id, data FROM sluice_events WHERE id >= $1 ORDER BY id LIMIT 500`
	cursor := int64(from)
	if desc {
		q = `SELECT id, data FROM sluice_events WHERE id <= $1 ORDER BY id DESC LIMIT 500`
		cursor = 1<<63 - 1
	}
	for {
		rows, err := t.tx.Query(t.ctx, q, cursor)
		if err != nil {
			return pgErr(err)
		}
		var ids []int64
		var vals [][]byte
		for rows.Next() {
			var id int64
			var v []byte
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return pgErr(err)
			}
			ids, vals = append(ids, id), append(vals, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return pgErr(err)
		}
		for i, id := range ids {
			if more, err := fn(uint64(id), vals[i]); err != nil || !more {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
		if cursor = ids[len(ids)-1] + 1; desc {
			cursor = ids[len(ids)-1] - 1
		}
	}
}

func (t *pgTx) Request(id string) ([]byte, error) {
	return t.one(`SELECT data FROM sluice_requests WHERE id = $1`, id)
}

func (t *pgTx) PutRequest(id string, eventID uint64, v []byte) error {
	return t.exec(`INSERT INTO sluice_requests VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET data = $3`, id, int64(eventID), v)
}

func (t *pgTx) RequestForEvent(eventID uint64) (string, error) {
	v, err := t.one(`SELECT id::bytea FROM sluice_requests WHERE event_id = $1`, int64(eventID))
	return string(v), err
}

func (t *pgTx) ForEachRequest(fn func(string, []byte) error) error {
	return t.each(func(k, v []byte) error { return fn(string(k), v) }, `SELECT id::bytea, data FROM sluice_requests ORDER BY id`)
}

func (t *pgTx) Grant(id string) ([]byte, error) {
	return t.one(`SELECT data FROM sluice_grants WHERE id = $1`, id)
}

func (t *pgTx) PutGrant(id, user, sha string, v []byte) error {
	return t.exec(`INSERT INTO sluice_grants VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET data = $4`, id, user, sha, v)
}

// SwapGrant is one conditional UPDATE: it changes the row only if it still holds the bytes read.
func (t *pgTx) SwapGrant(id string, old, v []byte) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `UPDATE sluice_grants SET data = $3 WHERE id = $1 AND data = $2`, id, old, v)
	return tag.RowsAffected() == 1, pgErr(err)
}

func (t *pgTx) GrantsOf(user, sha string, fn func(string, []byte) error) error {
	return t.each(func(k, v []byte) error { return fn(string(k), v) },
		`SELECT id::bytea, data FROM sluice_grants WHERE username = $1 AND sha256 = $2 ORDER BY id`, user, sha)
}

func (t *pgTx) ForEachGrant(fn func(string, []byte) error) error {
	return t.each(func(k, v []byte) error { return fn(string(k), v) }, `SELECT id::bytea, data FROM sluice_grants ORDER BY id`)
}

func (t *pgTx) Mark(id uint64) ([]byte, error) {
	return t.one(`SELECT data FROM sluice_marks WHERE mark_id = $1`, int64(id))
}

func (t *pgTx) InsertMark(id uint64, v []byte) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO sluice_marks VALUES ($1, $2) ON CONFLICT DO NOTHING`, int64(id), v)
	return tag.RowsAffected() == 1, pgErr(err)
}

func (t *pgTx) PutMark(id uint64, v []byte) error {
	if id == 0 {
		return t.exec(`INSERT INTO sluice_unmarked (data) VALUES ($1)`, v)
	}
	return t.exec(`INSERT INTO sluice_marks VALUES ($1, $2) ON CONFLICT (mark_id) DO UPDATE SET data = $2`, int64(id), v)
}

func (t *pgTx) ForEachMark(fn func([]byte) error) error {
	return t.each(func(_, v []byte) error { return fn(v) },
		`SELECT NULL::bytea, data FROM (SELECT 0 AS k, mark_id AS id, data FROM sluice_marks UNION ALL SELECT 1, id, data FROM sluice_unmarked) m ORDER BY k, id`)
}

func (t *pgTx) HasCustomerHash(sum []byte) (bool, error) {
	v, err := t.one(`SELECT field::bytea FROM sluice_customer_hashes WHERE sum = $1`, sum)
	return v != nil, err
}

func (t *pgTx) PutCustomerHash(sum []byte, entry uint64, field string) error {
	return t.exec(`INSERT INTO sluice_customer_hashes VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, sum, int64(entry), field)
}

func (t *pgTx) ForEachCustomerHash(fn func([]byte, uint64, string) error) error {
	rows, err := t.tx.Query(t.ctx, `SELECT sum, entry, field FROM sluice_customer_hashes`)
	if err != nil {
		return pgErr(err)
	}
	type row struct {
		sum   []byte
		id    int64
		field string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.sum, &r.id, &r.field); err != nil {
			rows.Close()
			return pgErr(err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return pgErr(err)
	}
	for _, r := range all {
		if err := fn(r.sum, uint64(r.id), r.field); err != nil {
			return err
		}
	}
	return nil
}

func (t *pgTx) CountCustomerHashes() (int, error) {
	var n int
	err := t.tx.QueryRow(t.ctx, `SELECT count(*) FROM sluice_customer_hashes`).Scan(&n)
	return n, pgErr(err)
}

func (t *pgTx) HasCustomerEntry(key []byte) (bool, error) {
	v, err := t.one(`SELECT key FROM sluice_customer_entries WHERE key = $1`, key)
	return v != nil, err
}

func (t *pgTx) AddCustomerEntry(key, v []byte) (uint64, error) {
	var id int64
	err := t.tx.QueryRow(t.ctx, `INSERT INTO sluice_customer_entries (key, data) VALUES ($1, $2) RETURNING id`, key, v).Scan(&id)
	return uint64(id), pgErr(err)
}

func (t *pgTx) ForEachCustomerEntry(fn func(uint64, []byte, []byte) error) error {
	rows, err := t.tx.Query(t.ctx, `SELECT id, key, data FROM sluice_customer_entries ORDER BY id`)
	if err != nil {
		return pgErr(err)
	}
	type row struct {
		id     int64
		key, v []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.key, &r.v); err != nil {
			rows.Close()
			return pgErr(err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return pgErr(err)
	}
	for _, r := range all {
		if err := fn(uint64(r.id), r.key, r.v); err != nil {
			return err
		}
	}
	return nil
}

func (t *pgTx) PutCustomerEntry(id uint64, key, v []byte) error {
	if err := t.exec(`INSERT INTO sluice_customer_entries (id, key, data) VALUES ($1, $2, $3)`, int64(id), key, v); err != nil {
		return err
	}
	return t.exec(`SELECT setval(pg_get_serial_sequence('sluice_customer_entries', 'id'), greatest($1, (SELECT max(id) FROM sluice_customer_entries)))`, int64(id))
}

func (t *pgTx) ClearCustomers() error {
	if err := t.exec(`DELETE FROM sluice_customer_hashes`); err != nil {
		return err
	}
	return t.exec(`DELETE FROM sluice_customer_entries`)
}

func (t *pgTx) PutFingerprint(sha, block, md5 string, v []byte) error {
	return t.exec(`INSERT INTO sluice_fingerprints VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO UPDATE SET block_md5 = $2, md5 = $3, data = $4`, sha, block, md5, v)
}

func (t *pgTx) ForEachFingerprint(fn func([]byte) error) error {
	return t.each(func(_, v []byte) error { return fn(v) }, `SELECT sha256::bytea, data FROM sluice_fingerprints ORDER BY sha256`)
}

func (t *pgTx) Pairing(key []byte) ([]byte, error) {
	return t.one(`SELECT data FROM sluice_pairing WHERE key = $1`, key)
}

func (t *pgTx) PutPairing(key, v []byte) error {
	if v == nil {
		return t.exec(`DELETE FROM sluice_pairing WHERE key = $1`, key)
	}
	return t.exec(`INSERT INTO sluice_pairing VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET data = $2`, key, v)
}

func (t *pgTx) ForEachPairing(fn func(k, v []byte) error) error {
	return t.each(fn, `SELECT key, data FROM sluice_pairing ORDER BY key`)
}

func (t *pgTx) Session(key []byte) (string, int64, error) {
	var user string
	var exp int64
	err := t.tx.QueryRow(t.ctx, `SELECT username, expires FROM sluice_sessions WHERE key = $1`, key).Scan(&user, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	return user, exp, pgErr(err)
}

func (t *pgTx) PutSession(key []byte, user string, expires int64) error {
	return t.exec(`INSERT INTO sluice_sessions VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET username = $2, expires = $3`, key, user, expires)
}

func (t *pgTx) DeleteSession(key []byte) error {
	return t.exec(`DELETE FROM sluice_sessions WHERE key = $1`, key)
}

func (t *pgTx) PruneSessions(now int64) (int, error) {
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM sluice_sessions WHERE expires < $1`, now)
	return int(tag.RowsAffected()), pgErr(err)
}

func (t *pgTx) ArchiveBlobs(sums []string) (int64, error) {
	var n *int64
	err := t.tx.QueryRow(t.ctx, `WITH a AS (UPDATE sluice_blobs SET pending = false, mod = now() WHERE sha256 = ANY($1) AND pending RETURNING size)
		SELECT sum(size)::bigint FROM a`, sums).Scan(&n)
	if n == nil {
		return 0, pgErr(err)
	}
	return *n, pgErr(err)
}

func (t *pgTx) OnCommit(fn func()) { t.commit = append(t.commit, fn) }
