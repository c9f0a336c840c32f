package daemon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// childNode is what the parent test tells a node it runs in a child process.
type childNode struct {
	Dir, Store, UpstreamCA, UpstreamAddr, AddrFile string
}

// TestClusterNodeProcess is not a test of its own: TestTwoNodesOneKilled runs the test binary again
// with SLUICE_CLUSTER_NODE set, and this runs a daemon until the parent kills the process.
func TestClusterNodeProcess(t *testing.T) {
	raw := os.Getenv("SLUICE_CLUSTER_NODE")
	if raw == "" {
		t.Skip("a helper: runs only as the child process of TestTwoNodesOneKilled")
	}
	var c childNode
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	d, err := New(nodeConfigFor(c.Dir, c.Store, c.UpstreamCA, c.UpstreamAddr, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(c.AddrFile+".tmp", []byte(d.ProxyAddr()+" "+d.ConsoleAddr()), 0o600)
	os.Rename(c.AddrFile+".tmp", c.AddrFile)
	select {} // until SIGKILL
}

// startChildNode runs a node in a child process and returns its proxy address and the process.
func startChildNode(t *testing.T, dir, url string, up *upstream) (string, *exec.Cmd) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cfg, _ := json.Marshal(childNode{Dir: dir, Store: url, UpstreamCA: up.caFile, UpstreamAddr: up.addr(), AddrFile: addrFile})
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterNodeProcess$", "-test.timeout=10m")
	var out bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = append(os.Environ(), "SLUICE_CLUSTER_NODE="+string(cfg)), &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if data, err := os.ReadFile(addrFile); err == nil {
			return strings.Fields(string(data))[0], cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child node did not start: %s", out.String())
		}
	}
}

// TestTwoNodesOneKilled sends 200 uploads at once over two nodes and kills one (SIGKILL) in the
// middle: the audit chain verifies, every decision a client was told of is recorded exactly once,
// no upload is recorded twice, and a grant is never used more than it allows.
func TestTwoNodesOneKilled(t *testing.T) {
	up := newUpstream(t, 0)
	url, dirs := clusterDirs(t, 2)
	a := startNode(t, nodeConfig(dirs[0], url, up, true))
	bAddr, child := startChildNode(t, dirs[1], url, up)
	b := &testEnv{d: a.d, client: proxyClient(t, a.d.CA.Cert, bAddr)} // same CA on both nodes
	const host = "https://mail.qq.com/cgi-bin/upload"

	granted := customerCSV(30)
	code, ref := a.upload(t, host, "granted.csv", granted)
	if code != 403 {
		t.Fatalf("hold: %d", code)
	}
	r, err := a.d.DB.FileRequest("zhangsan", store.NewRequest{EventID: ref.EventID, Receiver: "r", Purpose: "p", Days: 1, MaxUses: 20}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.d.DB.Act(r.ID, "lisi", store.ActApprove, "", time.Now())
	if r, err = a.d.DB.Act(r.ID, "wangwu", store.ActApprove, "", time.Now()); err != nil {
		t.Fatal(err)
	}

	type result struct {
		node, code int
		ref        string
		event      uint64
		sum        string
		err        bool
	}
	const total = 200
	results := make([]result, total)
	var bDone atomic.Int64
	var killOnce sync.Once
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				content := granted
				if i%4 != 0 {
					content = append(customerCSV(30), fmt.Sprintf("上海第%d贸易有限公司,周杰,13900%06d,z%d@example.cn\n", i, i, i)...)
				}
				env := []*testEnv{a, b}[i%2]
				sum := sha256.Sum256(content)
				res := result{node: i % 2, sum: hex.EncodeToString(sum[:])}
				res.code, res.ref, res.event, res.err = tryUpload(env, host, fmt.Sprintf("f%d.csv", i), content)
				results[i] = res
				if i%2 == 1 && bDone.Add(1) == 50 {
					killOnce.Do(func() { child.Process.Kill() }) // SIGKILL, mid-stream
				}
			}
		}()
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	n, problems, err := a.d.DB.VerifyChain()
	if err != nil || len(problems) > 0 {
		t.Fatalf("chain of %d after the kill: %v %v", n, problems, err)
	}
	events, _ := a.d.DB.Events(store.EventFilter{Action: "upload", Limit: 10000})
	bySum := map[string]int{}
	byID := map[uint64]*store.Event{}
	allowed := 0
	for _, e := range events {
		byID[e.ID] = e
		for _, f := range e.Files {
			if f.Kind != store.FileKindMessage {
				bySum[f.SHA256]++
			}
		}
		if e.Verdict == "allow" && e.Extra["grant"] != "" {
			allowed++
		}
	}
	told, failed, released := 0, 0, 0
	for i, res := range results {
		switch {
		case res.err:
			failed++
			if res.node == 0 {
				t.Errorf("upload %d to the surviving node failed", i)
			}
		case res.code == 200:
			released++
		case res.code == 403 && res.event != 0:
			told++
			if e := byID[res.event]; e == nil || !hasFile(e, res.sum) {
				t.Errorf("upload %d was told of event %d, which is not recorded for its file", i, res.event)
			}
		}
		if i%4 != 0 && bySum[res.sum] > 1 {
			t.Errorf("upload %d is recorded %d times", i, bySum[res.sum])
		}
	}
	g, err := a.d.DB.Grant(r.GrantID)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, rq := range up.requests() {
		if rq.SHA256 != "" {
			sent++
		}
	}
	if g.Uses > 20 || allowed > g.Uses || released > allowed || released == 0 {
		t.Fatalf("grant of 20 uses: %d uses counted, %d releases recorded, %d told released", g.Uses, allowed, released)
	}
	if failed == 0 {
		t.Fatal("no upload failed: the node was not killed in the middle")
	}
	t.Logf("%d uploads: %d told of a hold, %d released (grant uses %d/20, %d upstream requests), %d cut off by the kill; chain of %d verifies",
		total, told, released, g.Uses, sent, failed, n)
}

// hasFile reports whether e records a file with sha256 sum.
func hasFile(e *store.Event, sum string) bool {
	for _, f := range e.Files {
		if f.SHA256 == sum {
			return true
		}
	}
	return false
}

// tryUpload sends one upload and reports the status, the verdict and event, or err for a transport failure.
func tryUpload(env *testEnv, url, name string, content []byte) (code int, verdict string, event uint64, failed bool) {
	buf, ct := multipartUpload(nil, name, content)
	req, _ := newUploadRequest(url, buf, ct)
	resp, err := env.client.Do(req)
	if err != nil {
		return 0, "", 0, true
	}
	defer resp.Body.Close()
	var ref struct {
		Verdict string `json:"verdict"`
		EventID uint64 `json:"event_id"`
	}
	if resp.StatusCode == 403 && json.NewDecoder(resp.Body).Decode(&ref) != nil {
		return resp.StatusCode, "", 0, true
	}
	return resp.StatusCode, ref.Verdict, ref.EventID, false
}

// newUploadRequest is a POST of body as a page's script sends it.
func newUploadRequest(url string, body io.Reader, ct string) (*http.Request, error) {
	req, err := http.NewRequest("POST", url, body)
	if err == nil {
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Sec-Fetch-Mode", "cors")
	}
	return req, err
}
