package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

// daemonFlags are the flags of commands that use the daemon's API while it runs.
func daemonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "console", Usage: "console address of the running daemon", EnvVars: []string{"SLUICE_CONSOLE"}, Value: "127.0.0.1:8081"},
		&cli.StringFlag{Name: "token", Usage: "admin API token (default: the data dir's admin.token)", EnvVars: []string{"SLUICE_TOKEN"}},
	}
}

// apiClient calls the running daemon's JSON API with a bearer token.
type apiClient struct {
	base, token, lang string
	http              *http.Client
}

// newAPIClient builds a client from --console and --token (falling back to DATA/admin.token).
func newAPIClient(c *cli.Context) (*apiClient, error) {
	tok := c.String("token")
	if tok == "" {
		data, err := os.ReadFile(filepath.Join(dataDir(c), "admin.token"))
		if err != nil {
			return nil, cli.Exit(l10n(c, "sluice: 守护进程正在运行；请用 --token 提供管理员令牌（或确保数据目录中有 admin.token）",
				"sluice: the daemon is running; pass an admin --token (or keep admin.token in the data dir)"), exitUsage)
		}
		tok = strings.TrimSpace(string(data))
	}
	base := c.String("console")
	if !c.IsSet("console") { // the running daemon says where its console is
		if data, err := os.ReadFile(filepath.Join(dataDir(c), "daemon.addr")); err == nil {
			base = strings.TrimSpace(string(data))
		}
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &apiClient{base: strings.TrimRight(base, "/"), token: tok, lang: lang(c), http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// do sends one API call and decodes the JSON answer into out; API errors come back as *apiError.
func (a *apiClient) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return fmt.Errorf("sluice: bad console address %q: %w", a.base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	data, _, err := a.send(req, a.http.Timeout, 64<<20)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("sluice: console answer is not the expected JSON: %w", err)
	}
	return nil
}

// apiError is an error answer of the daemon's API.
type apiError struct {
	Status  int
	Code    string // e.g. "bad_columns", "too_large"
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%s)", e.Message, e.Code) }

// send adds the token and language to req, sends it and returns at most limit bytes of a 2xx
// answer; other answers come back as *apiError when they carry the API's error shape.
func (a *apiClient) send(req *http.Request, timeout time.Duration, limit int64) ([]byte, http.Header, error) {
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept-Language", a.lang)
	client := *a.http
	client.Timeout = timeout
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("sluice: cannot reach the daemon's console at %s (%v); is 'sluice run' up, and is --console right?", a.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Message string }
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return nil, nil, &apiError{Status: resp.StatusCode, Code: e.Error, Message: e.Message}
		}
		return nil, nil, fmt.Errorf("sluice: console answered %s", resp.Status)
	}
	return data, resp.Header, err
}

// storeOrAPI opens the store directly, or, when the daemon holds it, returns an API client instead.
func storeOrAPI(c *cli.Context) (*store.DB, *apiClient, error) {
	dir := dataDir(c)
	dbPath := filepath.Join(dir, "sluice.db")
	if _, err := os.Stat(dbPath); err != nil {
		return nil, nil, cli.Exit(l10n(c, "sluice: 数据目录 "+dir+" 中还没有数据库；先运行 'sluice init' 或 'sluice run'",
			"sluice: no database in "+dir+" yet; run 'sluice init' or 'sluice run' first (or pass --data)"), exitUsage)
	}
	db, err := store.Open(dbPath, filepath.Join(dir, "blobs"))
	if err == nil {
		return db, nil, nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, nil, cli.Exit(err.Error(), exitUndecided)
	}
	api, err := newAPIClient(c)
	return nil, api, err
}

// raw sends body as-is and returns the raw answer (for file in, file out calls).
func (a *apiClient) raw(method, path string, body []byte) ([]byte, http.Header, error) {
	return a.stream(method, path, bytes.NewReader(body), int64(len(body)))
}

// rawFile streams a file (of at most max bytes) to the daemon without holding it in memory.
func (a *apiClient) rawFile(method, path, file string, max int64) ([]byte, http.Header, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, fmt.Errorf("sluice: cannot read %s: %w", file, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err := checkUpload(file, fi, err, max, "split it, or stop the daemon and run the command directly"); err != nil {
		return nil, nil, err
	}
	return a.stream(method, path, f, fi.Size())
}

// checkUpload says why the file at path (fi, statErr from its stat) cannot be sent: unreadable,
// a directory, or over max bytes (then hint says what to do instead).
func checkUpload(path string, fi os.FileInfo, statErr error, max int64, hint string) error {
	switch {
	case statErr != nil:
		return fmt.Errorf("sluice: cannot read %s: %w", path, statErr)
	case fi.IsDir():
		return fmt.Errorf("sluice: %s is a directory; give files", path)
	case fi.Size() > max:
		return fmt.Errorf("sluice: %s is larger than %d MiB; %s", path, max>>20, hint)
	}
	return nil
}

// stream sends size bytes from body and returns the raw answer; large files get time to travel.
func (a *apiClient) stream(method, path string, body io.Reader, size int64) ([]byte, http.Header, error) {
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return nil, nil, fmt.Errorf("sluice: bad console address %q: %w", a.base, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.ContentLength = size
	return a.send(req, 10*time.Minute, 256<<20)
}
