package proxy

import (
	"bytes"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/store"
)

// TestInspectionDrivesVerdicts sends real files through the proxy and checks the verdict the
// inspection engine leads to, whatever name the file is dressed up with.
func TestInspectionDrivesVerdicts(t *testing.T) {
	up := newUpstream(t, 8<<20)
	env := startEnv(t, up, watched, nil)
	xlsx := fixture.XLSX(fixture.Customers(10000, 1))
	send := func(host, name string, content []byte) Refusal {
		_, ref := env.upload(t, "https://"+host+"/upload", name, content)
		return ref
	}
	for _, name := range []string{"客户清单.xlsx", "工作总结.txt", "风景.jpg"} {
		ref := send("pan.baidu.com", name, xlsx)
		if ref.Verdict != "block" {
			t.Errorf("10,000-row customer xlsx named %s to pan.baidu.com: %+v", name, ref)
		}
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "block"})
	disguised := 0
	for _, e := range evs {
		for _, f := range e.Files {
			if f.Name == "(message)" {
				continue
			}
			if f.Type != "xlsx" {
				t.Errorf("%s recorded as %q, not xlsx", f.Name, f.Type)
			}
			for _, s := range f.Findings {
				if bytes.HasPrefix([]byte(s), []byte("disguised")) {
					disguised++
				}
			}
		}
	}
	if disguised != 2 {
		t.Errorf("%d uploads recorded as disguised, want 2", disguised)
	}
	before := len(up.requests())
	pdf := fixture.PDF([]string{"Meeting notes", "nothing sensitive here"})
	if ref := send("mail.qq.com", "notes.pdf", pdf); ref.Verdict != "forwarded" {
		t.Fatalf("harmless PDF to mail.qq.com: %+v", ref)
	}
	got := up.requests()
	if len(got) != before+1 || bytes.Contains(got[before].Body, pdf) {
		t.Fatal("harmless PDF did not leave watermarked")
	}
	wm, _ := env.d.DB.Events(store.EventFilter{Verdict: "watermark"})
	if len(wm) != 1 || wm[0].Files[0].MarkID == "" {
		t.Fatalf("watermark verdict not recorded with its mark: %+v", wm)
	}
}
