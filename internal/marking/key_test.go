package marking

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// TestLoadKeyNeverReplacesAKeyThatMadeMarks: a key is created for a database without marks; once a
// file was marked, a missing key is refused (a new one would make every mark untraceable), and a key
// others can read is refused with the chmod that fixes it.
func TestLoadKeyNeverReplacesAKeyThatMadeMarks(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := filepath.Join(dir, "mark.key")
	if err := db.PutOutbound(&store.Outbound{User: "zhangsan", Time: time.Now(), FileName: "a.txt", Note: "unmarked"}); err != nil {
		t.Fatal(err)
	}
	key, err := LoadKey(path, db) // an unmarked archive record is no mark
	if err != nil || len(key) != 32 {
		t.Fatalf("a fresh key: %d bytes, %v", len(key), err)
	}
	again, err := LoadKey(path, db)
	if err != nil || string(again) != string(key) {
		t.Fatalf("the same key read back: %v", err)
	}
	id, _ := db.NewMarkID()
	if err := db.PutOutbound(&store.Outbound{MarkID: id, User: "zhangsan", Time: time.Now(), FileName: "a.jpg"}); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKey(path, db); err == nil || !strings.Contains(l10n.Text(err, l10n.ZH), "chmod 600 "+path) {
		t.Errorf("a key others can read: %v", err)
	}
	os.Remove(path)
	_, err = LoadKey(path, db)
	if err == nil || !strings.Contains(l10n.Text(err, l10n.ZH), "请从备份恢复") || !strings.Contains(l10n.Text(err, l10n.EN), "Restore "+path) {
		t.Fatalf("a missing key on a database with marks: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a new key was written although marks exist")
	}
}
