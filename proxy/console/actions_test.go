package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// auditAction finds the audit actions the code writes: Action: "upload", action = "user.depart".
var auditAction = regexp.MustCompile(`(?:Action:\s*|action\s*=\s*)"([a-z_]+(?:\.[a-z_]+)?)"`)

// TestEveryAuditActionHasWords reads the module's Go sources for the audit actions they record and
// fails for any the audit page would show as a code (risk.alert instead of 异常活动预警).
func TestEveryAuditActionHasWords(t *testing.T) {
	root := filepath.Join("..", "..")
	found := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && p != root && (d.Name() == "node_modules" || d.Name() == "watermark" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, _ := os.ReadFile(p)
		for _, m := range auditAction.FindAllStringSubmatch(string(src), -1) {
			a := m[1]
			if a == "request" || a == "expire" { // steps of a request's history, not audit actions
				continue
			}
			found++
			if _, ok := messages["do_"+a]; !ok && !strings.HasPrefix(a, "tamper.") {
				t.Errorf("%s records the audit action %q, which has no words in the console (add do_%s to i18n.go)", p, a, a)
			}
		}
		return nil
	})
	if found < 20 {
		t.Fatalf("found only %d audit actions in the sources; is the pattern still right?", found)
	}
}
