package truststore

import (
	"os"
	"os/exec"
	"path/filepath"
)

// nssDBs finds NSS databases: Chrome/Chromium on Linux (~/.pki/nssdb) and Firefox profiles (also snap).
func nssDBs(o *Options) []string {
	var out []string
	for _, pattern := range []string{
		".pki/nssdb",
		"snap/chromium/current/.pki/nssdb",
		".mozilla/firefox/*",
		"snap/firefox/common/.mozilla/firefox/*",
		".var/app/org.mozilla.firefox/.mozilla/firefox/*",
	} {
		matches, _ := filepath.Glob(filepath.Join(o.Home, pattern))
		for _, m := range matches {
			if exists(filepath.Join(m, "cert9.db")) {
				out = append(out, "sql:"+m)
			} else if exists(filepath.Join(m, "cert8.db")) {
				out = append(out, "dbm:"+m)
			}
		}
	}
	return out
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// certutilHint tells how to get NSS's certutil.
const certutilHint = "NSS databases (Chrome/Firefox) found but certutil is missing; install it: apt-get install libnss3-tools (Debian/Ubuntu), dnf install nss-tools (RHEL/Fedora), pacman -S nss (Arch)"

func nssInstall(o *Options, res *Result) {
	dbs := nssDBs(o)
	if len(dbs) == 0 {
		return
	}
	if _, err := exec.LookPath("certutil"); err != nil {
		res.Problems = append(res.Problems, certutilHint)
		return
	}
	for _, db := range dbs {
		if err := run("certutil", "-A", "-d", db, "-t", "C,,", "-n", o.Name, "-i", o.CertPath); err != nil {
			res.Problems = append(res.Problems, "NSS "+db+": "+err.Error())
			continue
		}
		res.Done = append(res.Done, "NSS database "+db)
	}
}

func nssUninstall(o *Options, res *Result) {
	dbs := nssDBs(o)
	if len(dbs) == 0 {
		return
	}
	if _, err := exec.LookPath("certutil"); err != nil {
		res.Problems = append(res.Problems, certutilHint)
		return
	}
	for _, db := range dbs {
		if run("certutil", "-L", "-d", db, "-n", o.Name) != nil {
			continue // not there
		}
		if err := run("certutil", "-D", "-d", db, "-n", o.Name); err != nil {
			res.Problems = append(res.Problems, "NSS "+db+": "+err.Error())
			continue
		}
		res.Done = append(res.Done, "NSS database "+db+": removed")
	}
}
