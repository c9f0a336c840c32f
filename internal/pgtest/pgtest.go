// Package pgtest starts a real PostgreSQL server for tests: initdb into a temporary folder, pg_ctl on a
// free loopback port, one fresh database per test, stopped when the test binary ends (Main).
// When the server programs are missing the test fails with the install line, or is skipped only with
// SLUICE_ALLOW_MISSING_TOOLS=1 (internal/testtool).
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sluice-dlp/sluice/internal/testtool"
)

// Server is one running PostgreSQL cluster on loopback.
type Server struct {
	dir, bin, port string
	runAs          string // "postgres" when the tests run as root (initdb refuses root), else ""
	dbs            atomic.Int64
}

// Options tune a started server.
type Options struct {
	// Durable keeps fsync and synchronous commit on (benchmarks); tests run faster without them.
	Durable bool
}

var (
	mu     sync.Mutex
	shared *Server
)

// URL starts the shared server of this test binary on first use and returns the URL of a new, empty
// database for t.
func URL(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil {
		s, err := Start(t, Options{})
		if err != nil {
			t.Fatal(err)
		}
		shared = s
	}
	u, err := shared.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Main runs the tests of a package and stops the shared server afterwards; call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
	mu.Unlock()
	return code
}

// Start makes and starts a new cluster; tb is used only to find the programs (testtool.Require).
func Start(tb testing.TB, o Options) (*Server, error) {
	s := &Server{bin: serverBin(tb)}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root, and initdb refuses root: the 'postgres' user (made by the postgresql package) is missing")
		}
		s.runAs = "postgres"
	}
	s.reapOrphans()
	dir, err := os.MkdirTemp("", "sluice-pg-*")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	// the test binary's pid: a server whose binary died without stopping it (a timeout panic, a kill)
	// is stopped by the next Start
	os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if s.runAs != "" {
		if out, err := exec.Command("chown", s.runAs, dir).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chown %s: %v: %s", dir, err, out)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions").CombinedOutput(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := "-c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir + " -c max_connections=200"
	if !o.Durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	for try := 0; ; try++ {
		s.port = freePort()
		out, err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts+" -p "+s.port).CombinedOutput()
		if err == nil {
			break
		}
		if try == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			s.Stop()
			return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
		}
	}
	return s, nil
}

// serverBin finds the server programs under /usr/lib/postgresql/*/bin (the newest version), else on
// PATH; when there are none, the test fails naming the package (or skips, see internal/testtool).
func serverBin(tb testing.TB) string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0])
	}
	return filepath.Dir(testtool.Require(tb, "initdb"))
}

// version is the major version in /usr/lib/postgresql/N/bin/initdb.
func version(p string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
	return n
}

func (s *Server) run(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, prog)
	if s.runAs != "" {
		return exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// reapOrphans stops and removes the servers of test binaries that are no longer running.
func (s *Server) reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "sluice-pg-*"))
	for _, d := range dirs {
		raw, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil {
			continue // not ours to judge, or still running
		}
		s.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(d, "data")).Run()
		os.RemoveAll(d)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "55432"
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// Admin is the URL of the server's postgres database.
func (s *Server) Admin() string { return s.DatabaseURL("postgres") }

// DatabaseURL is the URL of database name on this server.
func (s *Server) DatabaseURL(name string) string {
	return "postgres://postgres@127.0.0.1:" + s.port + "/" + name + "?sslmode=disable"
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase() (string, error) {
	name := "t" + strconv.FormatInt(s.dbs.Add(1), 10) + "_" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.Admin())
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.DatabaseURL(name), nil
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() {
	if s.port != "" {
		s.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(s.dir, "data")).Run()
	}
	if strings.HasPrefix(filepath.Base(s.dir), "sluice-pg-") {
		os.RemoveAll(s.dir)
	}
}
