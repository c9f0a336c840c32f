package main

import (
	"os"
	"os/user"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// defaultDataDir returns ~/.sluice, or ./.sluice when no home directory is known.
func defaultDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ".sluice"
	}
	return filepath.Join(home, ".sluice")
}

// dataDir returns the data directory chosen by --data / SLUICE_DATA.
func dataDir(c *cli.Context) string { return c.String("data") }

// lang returns the chosen message language ("zh-CN" or "en").
func lang(c *cli.Context) string {
	if c.String("lang") == "en" {
		return "en"
	}
	return "zh-CN"
}

// cliActor names who made a change with the store opened directly: the OS account, marked as CLI.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}
