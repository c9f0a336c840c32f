package daemon

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-dlp/sluice/internal/testtool"
)

// lockedBuffer is a log sink safe for the daemon's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// health reads /api/health in lang.
func health(t *testing.T, env *testEnv, lang string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+env.d.ConsoleAddr()+"/api/health", nil)
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func TestLoopbackProxyWithoutUserWarnsAboutTheOSAccount(t *testing.T) {
	var log lockedBuffer
	env := startEnv(t, nil, nil, func(c *Config) {
		c.User = ""
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
	})
	account := "local"
	if u, err := user.Current(); err == nil && u.Username != "" {
		account = u.Username
	}
	if l := log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "code=identity_os_account") || !strings.Contains(l, "--user NAME") {
		t.Fatalf("no start-up warning in the log:\n%s", l)
	}
	ws, _ := health(t, env, "zh-CN")["warnings"].([]any)
	if len(ws) != 1 {
		t.Fatalf("health warnings: %v", ws)
	}
	w := ws[0].(map[string]any)
	msg, _ := w["message"].(string)
	if w["code"] != "identity_os_account" || !strings.Contains(msg, "「"+account+"」") || !strings.Contains(msg, "--user 用户名") || !strings.Contains(msg, "登录代理") {
		t.Fatalf("zh-CN warning: %v", w)
	}
	en := health(t, env, "en")["warnings"].([]any)[0].(map[string]any)["message"].(string)
	if !strings.Contains(en, "OS account") || !strings.Contains(en, "--user NAME") {
		t.Fatalf("English warning: %q", en)
	}

	// With --user (the helpers' default) there is nothing to warn about.
	named := startEnv(t, nil, nil, nil)
	if ws, ok := health(t, named, "zh-CN")["warnings"]; ok {
		t.Fatalf("--user proxy warns: %v", ws)
	}
}

// TestMissingOCRLanguageIsAWarningInBothLanguages: when Tesseract cannot read the policy's languages the
// daemon still starts, logs the problem with the apt-get line, and admins see it in their language.
func TestMissingOCRLanguageIsAWarningInBothLanguages(t *testing.T) {
	testtool.Require(t, "tesseract")
	var log lockedBuffer
	env := startEnv(t, nil, nil, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
		p := PathsFor(c.DataDir)
		pol, _ := os.ReadFile(p.Policy)
		s := strings.Replace(string(pol), "languages: [chi_sim]", "languages: [tlh]", 1) // Klingon: never installed
		if s == string(pol) {
			t.Fatal("the default policy names no OCR languages to change")
		}
		os.WriteFile(p.Policy, []byte(s), 0o600)
	})
	if l := log.String(); !strings.Contains(l, "code=ocr_missing") || !strings.Contains(l, "apt-get install tesseract-ocr") {
		t.Fatalf("no start-up warning in the log:\n%s", l)
	}
	for lang, want := range map[string]string{"zh-CN": "无法识别图片中的文字", "en": "text in images cannot be read"} {
		ws, _ := health(t, env, lang)["warnings"].([]any)
		var found bool
		for _, w := range ws {
			if m := w.(map[string]any); m["code"] == "ocr_missing" && strings.Contains(m["message"].(string), want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s health warnings: %v", lang, ws)
		}
	}
}
