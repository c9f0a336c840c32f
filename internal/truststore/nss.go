package truststore

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// nssDB is one NSS database a browser reads.
type nssDB struct {
	dir     string
	browser string // "Chrome/Chromium" or "Firefox"
	exists  bool
}

// chromiumDB is where Chrome and Chromium on Linux keep the user's NSS database; they create it on first
// start, and so does install.
const chromiumDB = ".pki/nssdb"

// nssDBs finds the NSS databases: Chrome/Chromium's ~/.pki/nssdb (whether or not it exists yet), snap
// Chromium's, and every Firefox profile (also snap and flatpak) — one that has none yet is listed too.
func nssDBs(o *Options) []nssDB {
	out := []nssDB{{dir: filepath.Join(o.Home, chromiumDB), browser: "Chrome/Chromium"}}
	if m, _ := filepath.Glob(filepath.Join(o.Home, "snap/chromium/current", chromiumDB)); len(m) > 0 {
		out = append(out, nssDB{dir: m[0], browser: "Chromium (snap)"})
	}
	for _, pattern := range []string{".mozilla/firefox/*", "snap/firefox/common/.mozilla/firefox/*", ".var/app/org.mozilla.firefox/.mozilla/firefox/*"} {
		matches, _ := filepath.Glob(filepath.Join(o.Home, pattern))
		for _, m := range matches {
			if isProfile(m) {
				out = append(out, nssDB{dir: m, browser: "Firefox"})
			}
		}
	}
	for i := range out {
		out[i].exists = exists(filepath.Join(out[i].dir, "cert9.db"))
	}
	return out
}

// isProfile tells a Firefox profile directory from the other files next to profiles.ini.
func isProfile(dir string) bool {
	for _, f := range []string{"cert9.db", "prefs.js", "times.json", "compatibility.ini"} {
		if exists(filepath.Join(dir, f)) {
			return true
		}
	}
	return false
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// certutilHint tells how to get NSS's certutil.
const (
	certutilHintZH = "找不到 certutil，无法写入 Chrome/Firefox 的 NSS 数据库；请安装：apt-get install libnss3-tools（Debian/Ubuntu）、dnf install nss-tools（RHEL/Fedora）、pacman -S nss（Arch）"
	certutilHintEN = "certutil is missing, so the Chrome/Firefox NSS databases cannot be written; install it: apt-get install libnss3-tools (Debian/Ubuntu), dnf install nss-tools (RHEL/Fedora), pacman -S nss (Arch)"
)

func nssInstall(o *Options, res *Result, st *state, cert *x509.Certificate) {
	if _, err := exec.LookPath("certutil"); err != nil {
		res.problem(certutilHintZH, certutilHintEN)
		return
	}
	for _, db := range nssDBs(o) {
		if !db.exists {
			if err := createDB(o, db.dir, st); err != nil {
				res.problem("无法创建 NSS 数据库 %s：%v", "cannot create the NSS database %s: %v", db.dir, err)
				continue
			}
			res.done("已创建 %s 的 NSS 数据库 %s（浏览器首次启动时也会创建）", "created the %s NSS database %s (as the browser would on first start)", db.browser, db.dir)
		}
		if err := run("certutil", "-A", "-d", "sql:"+db.dir, "-t", "C,,", "-n", o.Name, "-i", o.CertPath); err != nil {
			res.problem("NSS 数据库 %s：%v", "NSS database %s: %v", db.dir, err)
			continue
		}
		chownTree(o, db.dir)
		st.NSSAdded = addOnce(st.NSSAdded, db.dir)
		res.done("NSS 数据库（%s）%s 已信任根证书", "NSS database (%s) %s trusts the CA", db.browser, db.dir)
	}
}

// createDB makes an empty NSS database in dir, as Chromium does on first start, noting what it made.
func createDB(o *Options, dir string, st *state) error {
	var made []string
	for d := dir; !exists(d) && d != o.Home && d != filepath.Dir(d); d = filepath.Dir(d) {
		made = append([]string{d}, made...) // outermost first
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range made {
		st.DirsMade = addOnce(st.DirsMade, d)
	}
	if err := run("certutil", "-N", "--empty-password", "-d", "sql:"+dir); err != nil {
		return err
	}
	st.NSSCreated = addOnce(st.NSSCreated, dir)
	chownTree(o, made...)
	chownTree(o, dir)
	return nil
}

// chownTree gives paths (and what is inside them) to the invoking user under sudo.
func chownTree(o *Options, paths ...string) {
	if o.Owner == nil {
		return
	}
	for _, p := range paths {
		filepath.Walk(p, func(path string, _ os.FileInfo, err error) error {
			if err == nil {
				os.Lchown(path, o.Owner.UID, o.Owner.GID)
			}
			return nil
		})
	}
}

func nssUninstall(o *Options, res *Result, st *state) {
	if _, err := exec.LookPath("certutil"); err != nil {
		res.problem(certutilHintZH, certutilHintEN)
		return
	}
	dirs := slices.Clone(st.NSSAdded)
	for _, db := range nssDBs(o) {
		if db.exists {
			dirs = addOnce(dirs, db.dir)
		}
	}
	for _, dir := range dirs {
		if !exists(filepath.Join(dir, "cert9.db")) {
			st.NSSAdded = remove(st.NSSAdded, dir)
			continue
		}
		if run("certutil", "-L", "-d", "sql:"+dir, "-n", o.Name) == nil {
			if err := run("certutil", "-D", "-d", "sql:"+dir, "-n", o.Name); err != nil {
				res.problem("NSS 数据库 %s：%v", "NSS database %s: %v", dir, err)
				continue
			}
			res.done("已从 NSS 数据库 %s 移除根证书", "removed the CA from the NSS database %s", dir)
		}
		st.NSSAdded = remove(st.NSSAdded, dir)
	}
	for _, dir := range slices.Clone(st.NSSCreated) {
		if !emptyDB(dir) {
			res.done("保留 NSS 数据库 %s：安装后浏览器又存入了其他证书或密钥", "kept the NSS database %s: the browser has stored other certificates or keys in it since", dir)
			st.NSSCreated = remove(st.NSSCreated, dir)
			continue
		}
		for _, f := range []string{"cert9.db", "key4.db", "pkcs11.txt"} {
			os.Remove(filepath.Join(dir, f))
		}
		os.Remove(dir)
		st.NSSCreated = remove(st.NSSCreated, dir)
		res.done("已删除安装时创建的 NSS 数据库 %s", "deleted the NSS database %s that install created", dir)
	}
	for i := len(st.DirsMade) - 1; i >= 0; i-- { // innermost first; only when empty
		if os.Remove(st.DirsMade[i]) == nil || !exists(st.DirsMade[i]) {
			st.DirsMade = append(st.DirsMade[:i], st.DirsMade[i+1:]...)
		}
	}
}

// emptyDB reports whether an NSS database holds no certificate and no key (or is gone).
func emptyDB(dir string) bool {
	if !exists(filepath.Join(dir, "cert9.db")) {
		return true
	}
	out, err := output("certutil", "-L", "-d", "sql:"+dir)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "Certificate Nickname") && !strings.HasPrefix(l, "SSL,S/MIME") {
			return false
		}
	}
	keys, _ := output("certutil", "-K", "-d", "sql:"+dir)
	return strings.Contains(keys, "no keys found")
}

// nssCheck says for each database whether it holds this CA, trusted for TLS servers.
func nssCheck(o *Options, cert *x509.Certificate) []Status {
	var out []Status
	haveTool := true
	if _, err := exec.LookPath("certutil"); err != nil {
		haveTool = false
	}
	for _, db := range nssDBs(o) {
		s := Status{Store: "NSS (" + db.browser + ")", Path: db.dir}
		switch {
		case !db.exists:
			s.Note = line("还没有数据库；运行 'sluice ca install' 会创建它", "no database yet; 'sluice ca install' creates it")
		case !haveTool:
			s.Note = line(certutilHintZH, certutilHintEN)
		default:
			s.Trusted, s.Note = nssTrusts(o, db.dir, cert)
		}
		out = append(out, s)
	}
	return out
}

func nssTrusts(o *Options, dir string, cert *x509.Certificate) (bool, Line) {
	pemOut, err := output("certutil", "-L", "-d", "sql:"+dir, "-n", o.Name, "-a")
	if err != nil {
		return false, line("没有名为 %s 的证书；运行 'sluice ca install'", "no certificate named %s; run 'sluice ca install'", o.Name)
	}
	block, _ := pem.Decode([]byte(pemOut))
	if block == nil || !bytes.Equal(block.Bytes, cert.Raw) {
		return false, line("%s 是另一张证书（旧的根证书？）；运行 'sluice ca uninstall' 再 'sluice ca install'", "%s is a different certificate (an old CA?); run 'sluice ca uninstall', then 'sluice ca install'", o.Name)
	}
	list, _ := output("certutil", "-L", "-d", "sql:"+dir)
	for _, l := range strings.Split(list, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.Join(f[:len(f)-1], " ") == o.Name {
			if strings.Contains(strings.Split(f[len(f)-1], ",")[0], "C") {
				return true, Line{}
			}
		}
	}
	return false, line("证书在数据库中，但没有被信任用于网站（缺少 C 标记）；运行 'sluice ca install'", "the certificate is there but not trusted for web sites (no C flag); run 'sluice ca install'")
}
