package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// holdOne records a held upload of one file for zhang and returns the event.
func holdOne(t *testing.T, c *console, name string, data []byte) *store.Event {
	t.Helper()
	return c.hold(t, "zhang", "mail.qq.com", map[string][]byte{name: data})
}

// pageOf files a request for ev and returns its console page as li (the lead) reads it.
func pageOf(t *testing.T, c *console, ev *store.Event) string {
	t.Helper()
	r, err := c.db.FileRequest("zhang", store.NewRequest{EventID: ev.ID, Receiver: "赵六", Purpose: "报价", Days: 1, MaxUses: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, c, c.login(t, "li"), "", "GET", "/request/"+r.ID, "")
	if code != 200 {
		t.Fatalf("request page: %d", code)
	}
	return body
}

func TestReviewerSeesTheDocumentMasked(t *testing.T) {
	c := newConsole(t)
	c.srv.docs.wait = time.Minute // OCR on a busy machine may take longer than a page waits (tested below)
	list := fixture.Customers(40, 11)
	if _, err := c.ops.As(mustUser(t, c.db, "boss")).ImportCustomers(context.Background(), "客户.csv", fixture.CSV(list), customers.Columns{}); err != nil {
		t.Fatal(err)
	}
	para := []string{"报价说明：以下客户请尽快联系。", "联系人 " + list[0].Contact + " 手机 " + list[0].Mobile + " 身份证 110101199003071234"}
	png, err := fixture.TextPNG(watermark.FontTTF(), []string{"客户名单截图", list[1].Company + " " + list[1].Contact + " " + list[1].Mobile})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want []string // besides masked numbers, on the page
	}{
		{"客户.xlsx", fixture.XLSX(list), []string{"<th>客户名称</th>", "<td>" + list[0].Company + "</td>", "命中客户名单 40 条"}},
		{"客户.csv", fixture.CSV(list[:8]), []string{"<th>联系人</th>", "<td>" + list[2].Contact + "</td>", "命中客户名单 8 条"}},
		{"报价.docx", fixture.DOCX(para, nil), []string{"<p>报价说明：以下客户请尽快联系。</p>", "110*************34"}},
		{"报价.pdf", fixture.PDFUnicode(para), []string{"报价说明", "110*************34"}},
		{"截图.png", png, []string{"图片中识别出的文字（已脱敏）", "客户名单截图"}},
	}
	for _, cs := range cases {
		body := pageOf(t, c, holdOne(t, c, cs.name, cs.data))
		for _, w := range cs.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page does not show %q", cs.name, w)
			}
		}
		for _, p := range list {
			if strings.Contains(body, p.Mobile) {
				t.Errorf("%s: the page shows the mobile number %s unmasked", cs.name, p.Mobile)
			}
		}
		if strings.Contains(body, "110101199003071234") {
			t.Errorf("%s: the ID number is not masked", cs.name)
		}
		chineseOnly(t, cs.name, body, true)
	}
	// Customer-list entries are named masked: the first and last characters of each company.
	body := pageOf(t, c, holdOne(t, c, "名单2.csv", fixture.CSV(list[10:13])))
	if !strings.Contains(body, "命中客户名单 3 条</b>，其中：") {
		t.Errorf("the customer matches are not counted")
	}
	for _, p := range list[10:13] {
		r := []rune(p.Company)
		if masked := string(r[:2]) + "****" + string(r[len(r)-2:]); !strings.Contains(body, masked+"、") && !strings.Contains(body, masked+"</p>") {
			t.Errorf("the match of %s is not named as %s", p.Company, masked)
		}
	}
}

func TestDocumentPreviewIsBounded(t *testing.T) {
	c := newConsole(t)
	d := c.srv.docs
	hostile := map[string][]byte{
		"bomb.zip":      fixture.ZipBomb(3, 8, 4<<20),
		"laughs.docx":   fixture.BillionLaughsDOCX(),
		"broken.xlsx":   fixture.XLSX(fixture.Customers(5, 1))[:300],
		"garbage.pdf":   []byte("%PDF-1.7\n1 0 obj <</Length 99999999>> stream\n\x00\x01"),
		"encrypted.zip": fixture.EncryptedZip("客户.csv", fixture.CSV(fixture.Customers(5, 2))),
	}
	for name, data := range hostile {
		body := pageOf(t, c, holdOne(t, c, name, data))
		if !strings.Contains(body, "<h1>") {
			t.Fatalf("%s: no page", name)
		}
	}
	// A file over the size limit is not read at all.
	big := store.FileRecord{Name: "huge.csv", Size: docMaxSize + 1, SHA256: strings.Repeat("1", 64)}
	if p := d.previews(context.Background(), c.db, []store.FileRecord{big}); p[0].Note != "doc_too_large" {
		t.Fatalf("oversized file: %+v", p[0])
	}
	// A page does not wait for a slow scan: it says the preview is coming, and a later view has it.
	d.wait = time.Millisecond
	slow := holdOne(t, c, "慢.xlsx", fixture.XLSX(fixture.Customers(3000, 4)))
	first := d.previews(context.Background(), c.db, slow.Files)[0]
	d.wait = docPageWait
	later := d.previews(context.Background(), c.db, slow.Files)[0]
	if first.Note != "doc_pending" || later.Note != "" || len(later.Rows) == 0 {
		t.Fatalf("slow scan: first %+v, later %+v", first.Note, later)
	}
	// Too many files at once: the queue is bounded, the rest wait for a later view.
	d.mu.Lock()
	d.queued = docQueue
	d.mu.Unlock()
	more := holdOne(t, c, "更多.csv", fixture.CSV(fixture.Customers(3, 5)))
	d.wait = 10 * time.Millisecond
	if p := d.previews(context.Background(), c.db, more.Files)[0]; p.Note != "doc_pending" {
		t.Fatalf("over the queue bound: %+v", p)
	}
	d.mu.Lock()
	d.queued = 0
	d.mu.Unlock()
	d.wait = docPageWait
	if p := d.previews(context.Background(), c.db, more.Files)[0]; len(p.Rows) == 0 {
		t.Fatalf("after the queue drained: %+v", p)
	}
}

// TestPreviewDropsTheCutRow: a spreadsheet excerpt cut inside its last row loses that row (no half
// phone numbers), and the page says only the beginning is shown; a complete excerpt is shown whole.
func TestPreviewDropsTheCutRow(t *testing.T) {
	rows := "客户名称\t手机\n上海甲公司\t138****5678\n北京乙公司\t13"
	cut := previewOf(&inspect.Result{Type: "csv", Excerpt: rows, ExcerptCut: true, ExcerptMore: true})
	if len(cut.Rows) != 2 || !cut.More || cut.Rows[1][0] != "上海甲公司" {
		t.Errorf("cut excerpt: %+v", cut)
	}
	whole := previewOf(&inspect.Result{Type: "csv", Excerpt: rows + "9****1234"})
	if len(whole.Rows) != 3 || whole.More {
		t.Errorf("whole excerpt: %+v", whole)
	}
}
