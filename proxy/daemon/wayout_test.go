package daemon

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/store"
)

// wayOut are upload hosts of real clients (OpenList/AList drivers, BaiduPCS-Go, rclone, ItChat, the
// *-free-api AI clients) that used to be tunnelled unseen, with the category each must be judged under.
var wayOut = map[string]string{
	"pcs.baidu.com": "netdisk", "photo.baidu.com": "netdisk", "www.123pan.com": "netdisk", "pc-api.uc.cn": "netdisk",
	"ul-zb.pds.uc.cn": "netdisk", "api.ilanzou.com": "netdisk", "upload.qiniup.com": "object_storage", "api-pan.xunlei.com": "netdisk",
	"api-drive.mypikpak.com": "netdisk", "yun.139.com": "netdisk", "www.terabox.com": "netdisk", "clients6.google.com": "netdisk",
	"graph.microsoft.com": "netdisk", "cs1.up.1drv.com": "netdisk", "upload.box.com": "netdisk", "api.pcloud.com": "netdisk",
	"file.web.wechat.com": "webchat", "web2.wechat.com": "webchat",
	"bucket.oss-cn-beijing.aliyuncs.com": "object_storage", "bkt-1250000000.cos.ap-guangzhou.myqcloud.com": "object_storage",
	"bkt.s3.amazonaws.com": "object_storage", "acct.blob.core.windows.net": "object_storage", "storage.googleapis.com": "object_storage",
	"bkt.bj.bcebos.com": "object_storage",
	"chatgpt.com":       "ai_chat", "files.oaiusercontent.com": "ai_chat", "chat.deepseek.com": "ai_chat", "kimi.moonshot.cn": "ai_chat",
	"tongyi.aliyun.com": "ai_chat", "www.doubao.com": "ai_chat", "yiyan.baidu.com": "ai_chat", "yuanbao.tencent.com": "ai_chat",
	"chatglm.cn": "ai_chat", "claude.ai": "ai_chat", "gemini.google.com": "ai_chat", "copilot.microsoft.com": "ai_chat",
	"www.perplexity.ai": "ai_chat", "poe.com": "ai_chat",
	"wetransfer.com": "file_transfer", "pastebin.com": "file_transfer", "docs.qq.com": "online_docs", "www.yuque.com": "online_docs",
	"files.example-transfer.net": "other",
}

// TestEveryWayOutIsInterceptedAndJudged sends, through the real proxy to loopback stand-ins named as
// the services, a customer list (stopped) and a harmless message (passes) to every host above.
func TestEveryWayOutIsInterceptedAndJudged(t *testing.T) {
	var hosts []string
	for h := range wayOut {
		hosts = append(hosts, h)
	}
	up := newUpstreamFor(t, 1<<20, hosts...)
	env := startEnv(t, up, hosts, nil)
	list := customerCSV(40)
	for _, host := range hosts {
		resp, err := env.client.Get("https://" + host + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
		if issuer := resp.TLS.PeerCertificates[0].Issuer.CommonName; issuer != env.d.CA.Cert.Subject.CommonName {
			t.Errorf("%s was tunnelled, not intercepted (issuer %q)", host, issuer)
			continue
		}
		if code, ref := env.upload(t, "https://"+host+"/upload", "客户清单.csv", list); code != http.StatusForbidden || ref.Verdict == "allow" {
			t.Errorf("%s: a customer list was not stopped: %d %+v", host, code, ref)
		}
		req, _ := http.NewRequest("POST", "https://"+host+"/api/chat", strings.NewReader(`{"message":"明天下午三点开会"}`))
		req.Header.Set("Content-Type", "application/json")
		if code, ref := env.send(t, req); code != http.StatusOK {
			t.Errorf("%s: a harmless message was stopped: %d %+v", host, code, ref)
		}
	}
	for _, host := range hosts {
		evs, _ := env.d.DB.Events(store.EventFilter{Host: host, Action: "upload"})
		if len(evs) != 1 || evs[0].Category != wayOut[host] {
			t.Errorf("%s: judged as %+v, want category %s", host, evs, wayOut[host])
		}
	}
}
