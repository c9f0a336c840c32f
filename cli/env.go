package main

import (
	"os"
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
