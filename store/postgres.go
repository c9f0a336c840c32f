package store

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sluice-dlp/sluice/internal/l10n"
)

// The PostgreSQL backend: several nodes share one database. Every Update takes the row lock on the
// chain row first, so writers run one at a time across all nodes, exactly as bbolt's single writer does
// on one: the audit chain is appended in id order with no gaps, a grant's uses are counted once, and
// an approval moves through its states once. Records are kept as bytea (the exact bytes that were
// MACed; jsonb would re-encode them). Views run in REPEATABLE READ, a consistent snapshot.

// pgTimeout bounds one transaction, waiting for the writer lock included.
const pgTimeout = 60 * time.Second

// pgBackend is a PostgreSQL database shared by several Sluice nodes.
type pgBackend struct {
	pool *pgxpool.Pool
	url  string // without the password
	dsn  string
}

// openPostgres connects to the database at dsn and brings its schema up to date.
func openPostgres(dsn string) (*pgBackend, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Invalid, "--store 的 PostgreSQL 地址无法解析", "the PostgreSQL URL given to --store cannot be parsed")
	}
	if !strings.Contains(dsn, "pool_max_conns") && cfg.MaxConns < 16 {
		cfg.MaxConns = 16 // the writer, the readers of concurrent requests, blob staging
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	p := &pgBackend{pool: pool, url: redact(dsn), dsn: dsn}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, l10n.Wrap(err, l10n.Unavailable, "无法连接 PostgreSQL 数据库 %s", "cannot connect to the PostgreSQL database %s", p.url)
	}
	if err := p.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

// redact returns dsn without its password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

func (p *pgBackend) Kind() string     { return "postgres" }
func (p *pgBackend) Location() string { return p.url }
func (p *pgBackend) Close() error     { p.pool.Close(); return nil }

func (p *pgBackend) Update(fn func(Tx) error) error {
	return p.run(pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, true, fn)
}

func (p *pgBackend) View(fn func(Tx) error) error {
	return p.run(pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn)
}

// run runs fn in one transaction; a writer first takes the chain row lock.
func (p *pgBackend) run(opts pgx.TxOptions, write bool, fn func(Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	tx, err := p.pool.BeginTx(ctx, opts)
	if err != nil {
		return pgErr(err)
	}
	defer tx.Rollback(context.Background())
	t := &pgTx{ctx: ctx, tx: tx}
	if write {
		if _, err := tx.Exec(ctx, `SELECT seq FROM sluice_chain WHERE id = 1 FOR UPDATE`); err != nil {
			return pgErr(err)
		}
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return pgErr(err)
	}
	for _, f := range t.commit {
		f()
	}
	return nil
}

// pgErr makes a driver error a coded one.
func pgErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return l10n.Wrap(err, l10n.Unavailable, "PostgreSQL 在 %v 内没有完成事务", "PostgreSQL did not complete the transaction within %v", pgTimeout)
	}
	return l10n.Wrap(err, l10n.Internal, "PostgreSQL 出错", "PostgreSQL failed")
}

// schemaVersion is the newest schema this build knows; migrations[i] brings version i to i+1.
var migrations = []string{
	// 1: the records, one table per area
	`CREATE TABLE sluice_meta (key text PRIMARY KEY, value bytea NOT NULL);
	CREATE TABLE sluice_chain (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL);
	INSERT INTO sluice_chain VALUES (1, 0);
	CREATE TABLE sluice_users (name text PRIMARY KEY, data bytea NOT NULL);
	CREATE TABLE sluice_tokens (key bytea PRIMARY KEY, username text NOT NULL);
	CREATE INDEX ON sluice_tokens (username);
	CREATE TABLE sluice_events (id bigint PRIMARY KEY, data bytea NOT NULL);
	CREATE TABLE sluice_requests (id text PRIMARY KEY, event_id bigint NOT NULL, data bytea NOT NULL);
	CREATE UNIQUE INDEX ON sluice_requests (event_id);
	CREATE TABLE sluice_grants (id text PRIMARY KEY, username text NOT NULL, sha256 text NOT NULL, data bytea NOT NULL);
	CREATE INDEX ON sluice_grants (username, sha256);
	CREATE TABLE sluice_marks (mark_id bigint PRIMARY KEY, data bytea NOT NULL);
	CREATE TABLE sluice_unmarked (id bigserial PRIMARY KEY, data bytea NOT NULL);
	CREATE TABLE sluice_customer_hashes (sum bytea PRIMARY KEY, entry bigint NOT NULL, field text NOT NULL);
	CREATE TABLE sluice_customer_entries (id bigserial PRIMARY KEY, key bytea NOT NULL UNIQUE, data bytea NOT NULL);
	CREATE TABLE sluice_fingerprints (sha256 text PRIMARY KEY, block_md5 text NOT NULL, md5 text NOT NULL, data bytea NOT NULL);
	CREATE TABLE sluice_pairing (key bytea PRIMARY KEY, data bytea NOT NULL);
	CREATE TABLE sluice_sessions (key bytea PRIMARY KEY, username text NOT NULL, expires bigint NOT NULL);`,
	// 2: cross-node notices (ids in commit order) and shared blobs in 1 MiB chunks
	`CREATE TABLE sluice_notice_seq (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL);
	INSERT INTO sluice_notice_seq VALUES (1, (extract(epoch from now()) * 1000)::bigint);
	CREATE TABLE sluice_notices (id bigint PRIMARY KEY, username text NOT NULL, data bytea NOT NULL, created timestamptz NOT NULL DEFAULT now());
	CREATE INDEX ON sluice_notices (username, id);
	CREATE TABLE sluice_blobs (sha256 text PRIMARY KEY, size bigint NOT NULL, mod timestamptz NOT NULL, pending boolean NOT NULL);
	CREATE TABLE sluice_blob_chunks (sha256 text NOT NULL REFERENCES sluice_blobs ON DELETE CASCADE, n int NOT NULL, data bytea NOT NULL, PRIMARY KEY (sha256, n));`,
}

// SchemaVersion is the PostgreSQL schema version this build writes.
var SchemaVersion = len(migrations)

// migrate applies the missing migrations in one transaction (nodes starting together take turns on an
// advisory lock) and refuses a schema newer than this build.
func (p *pgBackend) migrate(ctx context.Context) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return pgErr(err)
	}
	defer tx.Rollback(context.Background())
	steps := []string{
		`SELECT pg_advisory_xact_lock(7308604897068083200)`,
		`CREATE TABLE IF NOT EXISTS sluice_schema (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL)`,
		`INSERT INTO sluice_schema VALUES (1, 0) ON CONFLICT DO NOTHING`,
	}
	for _, s := range steps {
		if _, err := tx.Exec(ctx, s); err != nil {
			return l10n.Wrap(err, l10n.Internal, "无法初始化 PostgreSQL 数据库结构", "cannot initialise the PostgreSQL schema")
		}
	}
	var v int
	if err := tx.QueryRow(ctx, `SELECT version FROM sluice_schema WHERE id = 1`).Scan(&v); err != nil {
		return pgErr(err)
	}
	if v > len(migrations) {
		return l10n.Errorf(l10n.Conflict, "数据库结构版本 %d 比此 sluice 认识的版本 %d 新：请升级此节点的 sluice，不要用旧版本打开",
			"the database schema is version %d, newer than the version %d this sluice knows: upgrade sluice on this node rather than open it with an older one", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return l10n.Wrap(err, l10n.Internal, "数据库结构迁移 %d 失败", "schema migration %d failed", v+1)
		}
		if _, err := tx.Exec(ctx, `UPDATE sluice_schema SET version = $1 WHERE id = 1`, v+1); err != nil {
			return pgErr(err)
		}
	}
	return pgErr(tx.Commit(ctx))
}
