package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/marking"
	"github.com/sluice-dlp/sluice/proxy/front"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// Paths names the files of a data directory.
type Paths struct {
	Dir, CACert, CAKey, DB, Blobs, Policy, MarkKey, AdminToken, InitialPassword, Spool string
	AuditKey, Witness                                                                  string // defaults; AuditConfig can move them
}

// PathsFor returns the file layout of data dir dir.
func PathsFor(dir string) Paths {
	j := func(n string) string { return filepath.Join(dir, n) }
	return Paths{Dir: dir, CACert: j("ca.pem"), CAKey: j("ca.key"), DB: j("sluice.db"), Blobs: j("blobs"),
		Policy: j("policy.yaml"), MarkKey: j("mark.key"), AdminToken: j("admin.token"),
		InitialPassword: j("initial-admin-password"), Spool: j("spool"), AuditKey: j("audit.key"), Witness: j("audit-witness.jsonl")}
}

// InitResult says what Init created.
type InitResult struct {
	Created       []string
	AdminPassword string // set only when the admin user was created just now
}

// Init creates the data dir with its CA, default policy, database, mark key, audit key and the first
// admin user. Existing files are kept. nameConstraints restricts a new CA to the catalog's domains.
func Init(dir string, nameConstraints bool) (*InitResult, error) {
	return InitKeyed(dir, nameConstraints, AuditConfig{})
}

// InitKeyed is Init with the audit key where audit says (default DATA/audit.key).
func InitKeyed(dir string, nameConstraints bool, audit AuditConfig) (*InitResult, error) {
	p := PathsFor(dir)
	res := &InitResult{}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, l10n.Wrap(err, l10n.Internal, "无法创建数据目录 %s；请用 --data 换一个", "cannot create data dir %s; choose another with --data", dir)
	}
	os.MkdirAll(p.Spool, 0o700)
	if _, err := os.Stat(p.Policy); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(p.Policy, policy.DefaultYAML(), 0o644); err != nil {
			return nil, l10n.Wrap(err, l10n.Internal, "无法写入 %s", "cannot write %s", p.Policy)
		}
		res.Created = append(res.Created, p.Policy)
	}
	pol, err := policy.LoadFile(p.Policy)
	if err != nil {
		return nil, err
	}
	var constraints []string
	if nameConstraints {
		constraints = front.ConstraintDomains(pol.Catalog().WatchedHosts())
	}
	if _, err := os.Stat(p.CACert); errors.Is(err, os.ErrNotExist) {
		res.Created = append(res.Created, p.CACert, p.CAKey)
	}
	if _, err := front.LoadOrCreateCA(dir, constraints); err != nil {
		return nil, err
	}
	keyFile := audit.keyFile(p)
	_, keyErr := os.Stat(keyFile)
	db, err := audit.OpenStore(p)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := os.Stat(keyFile); errors.Is(keyErr, os.ErrNotExist) && err == nil && audit.Key == nil {
		res.Created = append(res.Created, keyFile)
	}
	_, markErr := os.Stat(p.MarkKey)
	if _, err := marking.LoadKey(p.MarkKey, db); err != nil {
		return nil, err
	}
	if errors.Is(markErr, os.ErrNotExist) {
		res.Created = append(res.Created, p.MarkKey)
	}
	if _, err := db.User("admin"); errors.Is(err, store.ErrNotFound) {
		pw := randomHex(8)
		hash, err := store.HashPassword(pw)
		if err != nil {
			return nil, err
		}
		admin := &store.User{Name: "admin", DisplayName: "管理员", StaffID: "ADMIN", Roles: []string{store.RoleAdmin, store.RoleReviewer, store.RoleInvestigator}, PasswordHash: hash}
		if err := db.CreateUser("sluice", admin); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p.InitialPassword, []byte(pw+"\n"), 0o600); err != nil {
			return nil, err
		}
		res.AdminPassword = pw
		res.Created = append(res.Created, p.DB, p.InitialPassword)
	}
	if _, err := os.Stat(p.AdminToken); errors.Is(err, os.ErrNotExist) {
		tok, err := db.NewToken("sluice", "admin")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(p.AdminToken, []byte(tok+"\n"), 0o600); err != nil {
			return nil, err
		}
		res.Created = append(res.Created, p.AdminToken)
	}
	return res, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
