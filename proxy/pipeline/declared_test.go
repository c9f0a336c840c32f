package pipeline

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
)

// jsonFlow constructs the flow of one JSON API call to url.
func jsonFlow(d *Deps, url, body string) *Flow {
	req := httptest.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return &Flow{Ctx: context.Background(), Req: req, User: rep, Dest: d.Policy.Catalog().Lookup(req.URL.Host, req.URL.Path), Started: time.Now()}
}

// TestUnknownDeclaredHashesCannotBeInspected: a call that declares a whole file's hash and sends none of
// its bytes (a netdisk rapid upload) to a personal channel gets the "can't inspect" verdict; the same
// declaration to a site outside the catalog, a call without hashes and an upload with the bytes do not.
func TestUnknownDeclaredHashesCannotBeInspected(t *testing.T) {
	d, _ := deps(t)
	md5 := "9e107d9d372bb6826bd81d3542a419d6"
	cases := []struct {
		name string
		f    *Flow
		want bool
	}{
		{"阿里云盘 rapid upload", jsonFlow(d, "https://api.aliyundrive.com/adrive/v2/file/createWithFolders",
			`{"name":"客户.xlsx","size":20480,"content_hash_name":"sha1","content_hash":"2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12","proof_code":"AAAAAAAAAAA="}`), true},
		{"夸克 update/hash", jsonFlow(d, "https://drive.quark.cn/1/clouddrive/file/update/hash?pr=ucpro",
			`{"md5":"`+md5+`","sha1":"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12","task_id":"t1"}`), true},
		{"123云盘 create", jsonFlow(d, "https://open-api.123pan.com/upload/v2/file/create", `{"filename":"a.xlsx","etag":"`+md5+`","size":20480}`), true},
		{"阿里云盘 create without hashes", jsonFlow(d, "https://api.aliyundrive.com/adrive/v2/file/createWithFolders",
			`{"name":"a.xlsx","size":20480,"content_hash_name":"none","pre_hash":"2fd4e1c67a2d28fced84"}`), false},
		{"a site outside the catalog", jsonFlow(d, "https://files.example-transfer.net/api/create", `{"md5":"`+md5+`"}`), false},
		{"a declaration beside the bytes", flow(t, d, "https://mail.163.com/upload", map[string][]byte{"a.txt": []byte("hello")}, map[string]string{"md5": md5}), false},
	}
	for _, c := range cases {
		runTo(t, d, c.f, HookInspect)
		var got *File
		for _, x := range c.f.Files {
			if x.Declared {
				got = x
			}
		}
		if (got != nil) != c.want {
			t.Errorf("%s: declared file %+v, want %v", c.name, got, c.want)
			continue
		}
		if got == nil {
			continue
		}
		if got.Result.Count(inspect.KindUninspectable) != 1 {
			t.Errorf("%s: %+v", c.name, got.Result)
		}
		if err := (decideStep{d}).Run(c.f); err != nil || c.f.Decision.Verdict != policy.Approval {
			t.Errorf("%s: verdict %s (%v), want approval", c.name, c.f.Decision.Verdict, err)
		}
	}
	// the same file declared again (a new task id) is the same declaration: an approval grant covers the retry
	a := jsonFlow(d, "https://drive.quark.cn/1/clouddrive/file/update/hash", `{"md5":"`+md5+`","task_id":"t1"}`)
	b := jsonFlow(d, "https://drive.quark.cn/1/clouddrive/file/update/hash", `{"task_id":"t2","md5":"`+strings.ToUpper(md5)+`"}`)
	runTo(t, d, a, HookInspect)
	runTo(t, d, b, HookInspect)
	if a.Files[0].Part.SHA256() != b.Files[0].Part.SHA256() {
		t.Error("the same declaration does not key the same grant")
	}
}
