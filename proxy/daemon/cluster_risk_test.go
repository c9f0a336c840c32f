package daemon

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTwoNodesShareTheEarlyWarning: a list sent in two pieces, the first through node A and the second
// through node B, is judged as one list on B (B's engine learnt A's upload from the audit log), and
// B's Risk page counts the upload A carried.
func TestTwoNodesShareTheEarlyWarning(t *testing.T) {
	up := newUpstream(t, 1<<20)
	url, dirs := clusterDirs(t, 2)
	a := startNode(t, nodeConfig(dirs[0], url, up, true))
	b := startNode(t, nodeConfig(dirs[1], url, up, true))
	rows := strings.Split(strings.TrimSpace(string(customerCSV(40))), "\n")[1:]
	piece := func(i int) []byte {
		return []byte("客户名称,联系人,手机,邮箱\n" + strings.Join(rows[i*8:(i+1)*8], "\n") + "\n")
	}
	if code, ref := a.upload(t, "https://mail.163.com/upload", "名单-1.csv", piece(0)); code != 200 {
		t.Fatalf("the first piece on A (8 contacts, under every threshold): %d %+v", code, ref)
	}
	deadline := time.Now().Add(5 * time.Second)
	for contacts, _ := b.d.Risk.Recent(testUser.Name, time.Now().Add(-time.Hour)); contacts == 0; contacts, _ = b.d.Risk.Recent(testUser.Name, time.Now().Add(-time.Hour)) {
		if time.Now().After(deadline) {
			t.Fatal("node B's early warning never learnt of the upload through node A")
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, ref := b.upload(t, "https://mail.163.com/upload", "名单-2.csv", piece(1))
	if code != http.StatusForbidden || ref.Verdict != "approval" || !strings.Contains(strings.Join(ref.Reasons, " "), "最近 60 分钟") {
		t.Fatalf("the second piece on B: %d %+v", code, ref)
	}
	// each upload counted once on each node: A learns B's held piece too
	for _, n := range []*testEnv{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for !refusedOnce(n) {
			if time.Now().After(deadline) {
				t.Fatalf("node %s: %+v", n.d.ProxyAddr(), n.d.Risk.Ranking(time.Now()))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(2 * followEvery) // both followers have passed both uploads since
	if !refusedOnce(a) || !refusedOnce(b) {
		t.Fatalf("an upload counted twice: A %+v, B %+v", a.d.Risk.Ranking(time.Now()), b.d.Risk.Ranking(time.Now()))
	}
}

// refusedOnce says whether the node's engine counts exactly one held upload for the test user.
func refusedOnce(n *testEnv) bool {
	for _, st := range n.d.Risk.Ranking(time.Now()) {
		if st.User != testUser.Name {
			continue
		}
		for _, m := range st.Metrics {
			if m.Name == "refused" {
				return m.Window == 1
			}
		}
	}
	return false
}
