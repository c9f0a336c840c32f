package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/sluice-dlp/sluice/internal/truststore"
	"github.com/urfave/cli/v2"
)

// lookupUser finds an account by name (tests replace it).
var lookupUser = user.Lookup

// sudoInvoker returns the account that ran sudo when this process runs as root through sudo, else nil.
func sudoInvoker() *user.User {
	name := os.Getenv("SUDO_USER")
	if os.Geteuid() != 0 || name == "" || name == "root" {
		return nil
	}
	u, err := lookupUser(name)
	if err != nil || u.HomeDir == "" {
		return nil
	}
	return u
}

// trustOptions are the trust-store options for this invocation: under sudo, the invoking user's home
// (their Chrome and Firefox databases), with what is created there given to them.
func trustOptions(c *cli.Context, certPath string) (truststore.Options, error) {
	o := truststore.Options{CertPath: certPath, StateFile: filepath.Join(dataDir(c), "truststore.json"), Stores: c.StringSlice("store")}
	for _, s := range o.Stores {
		if s != "system" && s != "nss" {
			return o, usage(c, "--store 只能是 system 或 nss，而不是 "+s, "--store is system or nss, not "+s)
		}
	}
	if u := sudoInvoker(); u != nil {
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		o.Home = u.HomeDir
		if err1 == nil && err2 == nil {
			o.Owner = &truststore.Owner{UID: uid, GID: gid}
		}
	}
	return o, nil
}

// refuseSecondCA stops a command run as root through sudo from using or creating a CA in a data dir of
// root's while the user who ran sudo already has one: the browsers of that user trust theirs.
func refuseSecondCA(c *cli.Context) error {
	u := sudoInvoker()
	if u == nil {
		return nil
	}
	theirs := filepath.Join(u.HomeDir, ".sluice")
	dir, _ := filepath.Abs(dataDir(c))
	if dir == theirs {
		return nil
	}
	if !fileExists(filepath.Join(theirs, "ca.pem")) || fileExists(filepath.Join(dir, "ca.pem")) {
		return nil
	}
	return usage(c,
		"用户 "+u.Username+" 已有根证书 "+filepath.Join(theirs, "ca.pem")+"，而以 root 运行时的数据目录 "+dir+" 中没有；为避免产生第二个根证书，已停止。请加 --data "+theirs+"（或不加 --data 直接用 sudo 运行）",
		"user "+u.Username+" already has a CA at "+filepath.Join(theirs, "ca.pem")+" but the data dir as root, "+dir+", has none; stopped rather than make a second CA. Pass --data "+theirs+" (or run under sudo without --data)")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
