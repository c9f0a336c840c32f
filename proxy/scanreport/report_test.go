package scanreport

import (
	"bytes"
	"context"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
)

func TestDestination(t *testing.T) {
	p := policy.Default()
	for _, s := range []string{"pan.baidu.com", "https://pan.baidu.com/rest/2.0/pcs/file"} {
		d, err := Destination(p, s)
		if err != nil || d.Category != policy.Netdisk {
			t.Errorf("%s: %+v %v", s, d, err)
		}
	}
	if _, err := Destination(p, "http://"); err == nil {
		t.Error("http:// accepted as a destination")
	}
}

// Without a destination the report lists every watched category and keeps the strictest.
func TestBuildEveryCategory(t *testing.T) {
	p := policy.Default()
	sc := inspect.NewScanner(inspect.Options{Limits: p.Inspect.Limits(), Detect: inspect.DetectOptions{Keywords: p.Inspect.Keywords}})
	data := []byte("meeting at 3pm\n")
	rep, err := Build(context.Background(), sc, p, Input{File: "a/notes.txt", Name: "notes.txt", Data: bytes.NewReader(data), Size: int64(len(data)), Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdicts) != len(WatchedCategories) || rep.File != "a/notes.txt" || rep.Findings == nil || rep.Sensitive {
		t.Errorf("report = %+v", rep)
	}
	strictest := policy.Allow
	for _, v := range rep.Verdicts {
		strictest = policy.Stricter(strictest, policy.Verdict(v))
	}
	if rep.Verdict != strictest {
		t.Errorf("verdict %s, strictest of %v is %s", rep.Verdict, rep.Verdicts, strictest)
	}
	if CategoryName(policy.Netdisk, "en") != "personal netdisks" || CategoryName(policy.Netdisk, "zh-CN") != "个人网盘" {
		t.Error("category names")
	}
}
