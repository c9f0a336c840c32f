package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunChild is the child of TestRunCommand: it runs `sluice` with the arguments in SLUICE_RUN_ARGS.
func TestRunChild(t *testing.T) {
	args := os.Getenv("SLUICE_RUN_ARGS")
	if args == "" {
		t.Skip("runs only as the child of TestRunCommand")
	}
	os.Exit(run(append([]string{"sluice"}, strings.Fields(args)...), os.Stdout, os.Stderr))
}

// runChild starts `sluice ARGS` in a child process and returns it with its stderr.
func runChild(t *testing.T, args string) (*exec.Cmd, *bufio.Scanner) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(os.Environ(), "SLUICE_RUN_ARGS="+args)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewScanner(stderr)
}

// TestRunCommand starts `sluice run` with its flags as an admin would, reads its JSON log, and stops it
// with SIGTERM; a bad flag value is refused before anything starts.
func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	cmd, log := runChild(t, "run --data "+dir+" --listen 127.0.0.1:0 --console 127.0.0.1:0 --log-format json --body-memory 16777216 "+
		"--max-conns 200 --max-conns-per-client 50 --idle-timeout 30s --header-timeout 10s --min-body-rate 2048 --max-held 1073741824")
	running := false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && log.Scan() {
		line := log.Text()
		if !strings.HasPrefix(line, "{") {
			continue // the first-run banner
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("--log-format json wrote a line that is not JSON: %s", line)
		}
		if rec["msg"] == "sluice running" {
			running = true
			break
		}
	}
	if !running {
		t.Fatal("sluice run did not report that it is running")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("sluice run did not stop cleanly on SIGTERM: %v", err)
	}

	cmd, log = runChild(t, "run --data "+dir+" --listen 127.0.0.1:0 --console 127.0.0.1:0 --log-format xml --lang en")
	var out strings.Builder
	for log.Scan() {
		out.WriteString(log.Text() + "\n")
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(out.String(), "--log-format must be text or json") {
		t.Errorf("a bad --log-format: %v\n%s", err, out.String())
	}
}
