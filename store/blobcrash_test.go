package store

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCrashChild is the child process of TestKill9LeavesNoUnreferencedBlobs: it appends upload events
// with blobs from several goroutines until it is killed. It does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("SLUICE_CRASH_DIR")
	if dir == "" {
		t.Skip("child of TestKill9LeavesNoUnreferencedBlobs")
	}
	db, err := Open(filepath.Join(dir, "sluice.db"), "")
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	fmt.Println("ready")
	deadline := time.Now().Add(20 * time.Second) // the parent kills it long before
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				data := make([]byte, 4<<10<<(i%9)) // 4 KiB … 1 MiB
				rand.Read(data)
				sum, err := db.PutBlobBytes(data)
				if err != nil {
					continue
				}
				if i%4 == 3 { // the upload failed before its record: a pending copy nobody refers to
					continue
				}
				e := &Event{Action: "upload", User: fmt.Sprintf("w%d", w), Verdict: "approval",
					Files: []FileRecord{{Name: "客户清单.xlsx", Size: int64(len(data)), SHA256: sum, Blob: sum}}}
				if db.AppendEvent(e) == nil && i%3 == 0 {
					db.PutOutbound(&Outbound{EventID: e.ID, Time: time.Now(), User: e.User, FileName: "x", OrigSHA256: sum})
				}
			}
		}()
	}
	wg.Wait()
}

// blobFiles lists the blob folder: blobs in place, pending copies and temp files.
func blobFiles(t *testing.T, dir string) (placed, pending, temp []string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || d.IsDir():
		case filepath.Base(filepath.Dir(p)) == pendingDir:
			pending = append(pending, d.Name())
		case strings.HasPrefix(d.Name(), ".incoming-"):
			temp = append(temp, d.Name())
		default:
			placed = append(placed, d.Name())
		}
		return nil
	})
	return placed, pending, temp
}

// TestKill9LeavesNoUnreferencedBlobs is issue #19's finding: after kill -9 during uploads, blobs/ held
// copies of held customer lists that no audit event refers to. A child process appending events with
// blobs is killed with SIGKILL at several moments; after each, the next open and sweep leave no copy
// that no record refers to, no record whose copy is missing, and a chain that verifies.
func TestKill9LeavesNoUnreferencedBlobs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	dir := t.TempDir()
	blobDir := filepath.Join(dir, "blobs")
	var leftovers, events int
	for round, after := range []time.Duration{30 * time.Millisecond, 70 * time.Millisecond, 150 * time.Millisecond, 250 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), "SLUICE_CRASH_DIR="+dir)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			cmd.Process.Kill()
			t.Fatalf("round %d: child said %q", round, line)
		}
		time.Sleep(after)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()

		_, pending, temp := blobFiles(t, blobDir)
		leftovers += len(pending) + len(temp)
		db, err := Open(filepath.Join(dir, "sluice.db"), "")
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		sw, err := db.SweepBlobs(0)
		if err != nil {
			t.Fatal(err)
		}
		refs, _ := db.referencedBlobs()
		placed, pending, temp := blobFiles(t, blobDir)
		if len(pending)+len(temp) > 0 {
			t.Errorf("round %d: after the sweep %d pending and %d temp files remain", round, len(pending), len(temp))
		}
		for _, sum := range placed {
			if !refs[sum] {
				t.Errorf("round %d: blob %s is referenced by no record", round, sum)
			}
		}
		for sum := range refs {
			if p, _ := db.BlobPath(sum); !exists(p) {
				t.Errorf("round %d: a record refers to blob %.12s, which is gone", round, sum)
			}
		}
		n, problems, err := db.VerifyChain()
		if err != nil || len(problems) > 0 {
			t.Fatalf("round %d: chain after kill -9: %v %v", round, problems, err)
		}
		events = n
		t.Logf("round %d: killed after %v; %d events, %d blobs kept; sweep removed %d (%d unrecorded), %d partial, restored %d",
			round, after, n, len(placed), len(sw.Removed), sw.Unrecorded, sw.Partial, sw.Restored)
		db.Close()
	}
	if events == 0 || leftovers == 0 {
		t.Fatalf("the children wrote %d events and left %d files to sweep: the test did not exercise a crash", events, leftovers)
	}
}

// TestSweepFinishesCommittedBlobs: a crash after the record committed but before its blob was moved in
// place leaves the copy pending; the sweep puts it in place (the record keeps its copy) and says so.
func TestSweepFinishesCommittedBlobs(t *testing.T) {
	db := openTestDB(t)
	sum, _ := db.PutBlobBytes([]byte("客户名单 13812345678"))
	orphan, _ := db.PutBlobBytes([]byte("never recorded"))
	if err := db.AppendEvent(&Event{Action: "upload", User: "zhangsan", Files: []FileRecord{{Name: "a.csv", SHA256: sum, Blob: sum}}}); err != nil {
		t.Fatal(err)
	}
	p, _ := db.BlobPath(sum)
	if err := os.Rename(p, db.pendingPath(sum)); err != nil { // as if killed between commit and rename
		t.Fatal(err)
	}
	legacy, _ := db.BlobPath(strings.Repeat("c", 64)) // a copy from before this change, no record
	os.MkdirAll(filepath.Dir(legacy), 0o700)
	os.WriteFile(legacy, []byte("old leftover"), 0o600)
	os.WriteFile(filepath.Join(db.blobDir, ".incoming-123"), []byte("half"), 0o600)
	sw, err := db.SweepBlobs(0)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Restored != 1 || !exists(p) || sw.Partial != 1 || sw.Unrecorded != 1 || len(sw.Removed) != 2 || exists(legacy) || exists(db.pendingPath(orphan)) {
		t.Fatalf("sweep = %+v", sw)
	}
	evs, _ := db.Events(EventFilter{Action: "blobs.sweep"})
	if len(evs) != 1 || evs[0].Extra["removed"] != "2" || !strings.Contains(evs[0].Extra["sha256"], orphan) {
		t.Fatalf("the sweep is not audited: %+v", evs)
	}
	if again, _ := db.SweepBlobs(0); again.Changed() {
		t.Fatalf("a second sweep found more: %+v", again)
	}
}
