package policy

import (
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
)

// TestDepartingCountsEachCustomerOnce: 30 customers that are both list matches and contact records are
// 30 customer records in the departing reason, not 60.
func TestDepartingCountsEachCustomerOnce(t *testing.T) {
	p := Default()
	d := p.Decide(Input{User: "zhangsan", Dest: p.Catalog().Lookup("mail.163.com", "/upload"), Departing: true, Names: []string{"客户.csv"},
		Results: []*inspect.Result{result("csv", map[string]int{inspect.KindCustomer: 30, inspect.KindContactRecord: 30})}})
	if d.Verdict != Block {
		t.Fatalf("verdict %s, want block", d.Verdict)
	}
	var text string
	for _, r := range d.Reasons {
		if r.Code == "departing_customer_data" {
			text = r.ZH + " | " + r.EN
		}
	}
	if !strings.Contains(text, "记录 30 条") || !strings.Contains(text, "30 customer or contact records") {
		t.Errorf("departing reason: %q", text)
	}
}

// TestMarkTemplateAddsTheDepartingNote: a leaving user's marks carry the note, others' do not.
func TestMarkTemplateAddsTheDepartingNote(t *testing.T) {
	p := Default()
	if got := p.MarkTemplate(true); !strings.HasPrefix(got, p.Watermark.Template) || !strings.HasSuffix(got, "离职交接期") {
		t.Errorf("departing template: %q", got)
	}
	if got := p.MarkTemplate(false); got != p.Watermark.Template {
		t.Errorf("ordinary template: %q", got)
	}
}
