package main

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/marking"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
	"github.com/urfave/cli/v2"
)

// defaultDataDir returns ~/.sluice, or ./.sluice when no home directory is known. Under sudo it is
// the invoking user's, so `sudo sluice ca install` finds the CA that `sluice run` made.
func defaultDataDir() string {
	if su := os.Getenv("SUDO_USER"); su != "" && os.Geteuid() == 0 {
		if u, err := user.Lookup(su); err == nil && u.HomeDir != "" {
			return filepath.Join(u.HomeDir, ".sluice")
		}
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ".sluice"
	}
	return filepath.Join(home, ".sluice")
}

// dataDir returns the data directory chosen by --data / SLUICE_DATA.
func dataDir(c *cli.Context) string { return c.String("data") }

// auditConfig returns where the audit key is: SLUICE_AUDIT_KEY (the key in hex), else --audit-key /
// SLUICE_AUDIT_KEY_FILE, else the data dir's audit.key.
func auditConfig(c *cli.Context) (daemon.AuditConfig, error) {
	a := daemon.AuditConfig{KeyFile: c.String("audit-key")}
	if err := storeConfig(c, &a); err != nil {
		return a, err
	}
	if v := os.Getenv("SLUICE_AUDIT_KEY"); v != "" {
		key, err := store.ParseAuditKey(v)
		if err != nil {
			return a, cli.Exit(lang(c).Pick("SLUICE_AUDIT_KEY：", "SLUICE_AUDIT_KEY: ")+l10n.Text(err, lang(c)), exitUsage)
		}
		a.Key = key
	}
	return a, nil
}

// lang returns the chosen message language.
func lang(c *cli.Context) l10n.Lang { return l10n.Parse(c.String("lang")) }

// connFlags are the flags of commands that use the running daemon's API when it holds the store.
func connFlags(l l10n.Lang) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "console", Usage: l.Pick("运行中的守护进程的控制台地址（默认：数据目录中的 daemon.addr）", "console address of the running daemon (default: the data dir's daemon.addr)"), EnvVars: []string{"SLUICE_CONSOLE"}},
		&cli.StringFlag{Name: "token", Usage: l.Pick("守护进程运行时使用的 API 令牌（默认：数据目录中的 admin.token）", "API token used while the daemon runs (default: the data dir's admin.token)"), EnvVars: []string{"SLUICE_TOKEN"}},
	}
}

// connect picks where the jobs are done, once: the store directly when it is free, else the running
// daemon's API with --token (or the data dir's admin.token). With create, a missing store is created.
// as names the user acting in the approval workflow when the store is opened directly (--as).
func connect(c *cli.Context, create bool, as string) (ops.Ops, error) {
	l := lang(c)
	p := daemon.PathsFor(dataDir(c))
	if _, err := os.Stat(p.DB); err != nil && !create && c.String("store") == "" {
		if _, derr := os.Stat(filepath.Join(p.Dir, "daemon.addr")); derr != nil {
			return nil, cli.Exit(l.Pick("数据目录 "+p.Dir+" 中还没有数据库；先运行 'sluice init' 或 'sluice run'（或用 --data 指定）",
				"no database in "+p.Dir+" yet; run 'sluice init' or 'sluice run' first (or pass --data)"), exitUsage)
		}
	}
	audit, err := auditConfig(c)
	if err != nil {
		return nil, err
	}
	db, err := audit.OpenStore(p)
	if err == nil {
		return direct(c, db, as)
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, err
	}
	if as != "" {
		return nil, cli.Exit(l.Pick("守护进程正在运行，--as 不可用；请用该用户自己的 --token（sluice users token NAME）",
			"the daemon is running, so --as cannot be used; pass that user's own --token (sluice users token NAME)"), exitUsage)
	}
	return remote(c, p)
}

// direct opens the jobs on the store as the machine's operator.
func direct(c *cli.Context, db *store.DB, as string) (ops.Ops, error) {
	p := daemon.PathsFor(dataDir(c))
	pol := policy.Default()
	if _, err := os.Stat(p.Policy); err == nil {
		var err error
		if pol, err = policy.LoadFile(p.Policy); err != nil {
			db.Close()
			return nil, err
		}
	}
	l := &ops.Local{DB: db, Policy: pol}
	announce(l, db)
	if _, err := os.Stat(p.MarkKey); err == nil { // without a key file, jobs that need it say so themselves
		k, err := marking.LoadKey(p.MarkKey, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		l.Marker = watermark.NewMarker(k)
	}
	var actor *store.User
	if as != "" {
		u, err := db.User(as)
		if err != nil {
			db.Close()
			return nil, err
		}
		actor = u
	}
	return l.Direct(actor), nil
}

// remote talks to the running daemon with --token or the data dir's admin token.
func remote(c *cli.Context, p daemon.Paths) (ops.Ops, error) {
	l := lang(c)
	tok := c.String("token")
	if tok == "" {
		data, err := os.ReadFile(p.AdminToken)
		if err != nil {
			return nil, cli.Exit(l.Pick("守护进程正在运行；请用 --token 提供 API 令牌（或在数据目录中保留 admin.token）",
				"the daemon is running; pass an API --token (or keep admin.token in the data dir)"), exitUsage)
		}
		tok = strings.TrimSpace(string(data))
	}
	base := c.String("console")
	if base == "" {
		base = "127.0.0.1:8081"
		if data, err := os.ReadFile(filepath.Join(p.Dir, "daemon.addr")); err == nil {
			base = strings.TrimSpace(string(data))
		}
	}
	return ops.NewRemote(base, tok), nil
}
