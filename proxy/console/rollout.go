package console

import (
	"crypto/rand"
	"github.com/sluice-dlp/sluice/internal/authguard"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// PairingTTL is how long a pairing code shown at /pair can be redeemed (once) by the extension.
const PairingTTL = 5 * time.Minute

// pairingAlphabet leaves out 0/O and 1/I, which people mix up when typing a code.
const pairingAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// extensionFiles are the packed extension files 'sluice deploy browser-policy' writes to DATA/extension.
var extensionFiles = map[string]string{
	"updates.xml": "application/xml; charset=utf-8",
	"sluice.crx":  "application/x-chrome-extension",
	"sluice.xpi":  "application/x-xpinstall",
}

// rolloutRoutes serves the managed-browser rollout: the rep's one-time pairing code, its redemption by
// the extension, and the packed extension with its update manifest.
func (s *Server) rolloutRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /pair", s.page(s.pairPage))
	mux.HandleFunc("POST /api/pair", s.pairRedeem)
	mux.HandleFunc("GET /extension/{file}", s.extensionFile)
}

// newPairingCode returns eight random characters of pairingAlphabet (40 bits), as the rep types them.
func newPairingCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = pairingAlphabet[int(b[i])%len(pairingAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

// normalizePairingCode accepts the code as typed: any case, with spaces or a dash.
func normalizePairingCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(s))
}

var pairTmpl = template.Must(template.New("pair").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="pair">
<p><a href="/">Sluice</a> · <a href="{{.LangURL}}">{{.Other}}</a></p>
<h1>{{.Title}}</h1>
<p>{{.Who}}</p>
<h2 class="pair-code" id="code" data-code="{{.Code}}"><code>{{.Shown}}</code></h2>
<p id="expires" data-expires="{{.Expires}}">{{.ExpiresText}}</p>
<ol>{{range .Steps}}<li>{{.}}</li>{{end}}</ol>
<p><a href="/pair">{{.Again}}</a></p>
</main></body></html>`))

// pairPage shows the signed-in user a fresh one-time code for their browser extension.
func (s *Server) pairPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	lang := l10n.Lang(pageLang(w, r))
	code := newPairingCode()
	expires := time.Now().Add(PairingTTL)
	if err := s.c.DB.PutPairingCode(u.Name, code, expires); err != nil {
		s.failErr(w, r, u, err)
		return
	}
	other, otherLang := "English", "en"
	if lang == l10n.EN {
		other, otherLang = "中文", "zh-CN"
	}
	data := map[string]any{
		"Lang": string(lang), "Title": lang.Pick("浏览器扩展配对码", "Browser extension pairing code"),
		"Who":  lang.Pick("为 "+u.Label()+"（"+u.Name+"）的 Sluice 扩展生成：", "For "+u.Label()+" ("+u.Name+")'s Sluice extension:"),
		"Code": code, "Shown": code[:4] + "-" + code[4:], "Expires": expires.UTC().Format(time.RFC3339),
		"ExpiresText": lang.Pick("只能使用一次，"+expires.Local().Format("15:04")+" 前有效（5 分钟）。",
			"Single use, valid until "+expires.Local().Format("15:04")+" (5 minutes)."),
		"Steps": []string{
			lang.Pick("点击浏览器工具栏上的 Sluice 图标，打开“设置”。", "Click the Sluice icon in the browser toolbar and open Settings."),
			lang.Pick("在“配对码”中输入上面的 8 位字符，点击“配对”。", "Type the 8 characters above under “Pairing code” and click Pair."),
			lang.Pick("显示“已连接”即完成；以后无需再输入。", "When it shows “Connected” you are done; you will not need it again."),
		},
		"Again":   lang.Pick("生成新的配对码（旧的作废）", "Show a new code (the old one stops working)"),
		"Other":   other,
		"LangURL": "/pair?lang=" + otherLang,
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pairTmpl.Execute(w, data); err != nil {
		s.c.Logger.Error("pairing page failed", "err", err)
	}
}

// pairingMaxFails wrong pairing codes from one address in 5 minutes block further tries from it.
const pairingMaxFails = 5

// pairRedeem is POST /api/pair {"code": "ABCD-EFGH"}: a live code is consumed and answered with the
// user's new API token, the credential the extension keeps. Failures count against the caller's address.
func (s *Server) pairRedeem(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	key := authguard.AddrKey(r.RemoteAddr)
	if s.pairFails.Count(key, now) >= pairingMaxFails {
		api.WriteError(w, r, l10n.New(l10n.Forbidden, "配对码输错次数过多，请 5 分钟后再试", "too many wrong pairing codes; try again in 5 minutes"))
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := api.DecodeJSON(w, r, 1024, &in); err != nil {
		api.WriteError(w, r, err)
		return
	}
	code := normalizePairingCode(in.Code)
	if len(code) != 8 || strings.Trim(code, pairingAlphabet) != "" {
		s.pairFails.Add(key, now)
		api.WriteError(w, r, l10n.New(l10n.Invalid, "配对码应为 8 位字母和数字（如 ABCD-EFGH），请对照控制台 /pair 页面重新输入",
			"a pairing code is 8 letters and digits (like ABCD-EFGH); type it again from the console's /pair page"))
		return
	}
	u, tok, err := s.c.DB.RedeemPairingCode(code, now)
	if err != nil {
		if l10n.CodeOf(err) == l10n.NotFound {
			s.pairFails.Add(key, now)
			err = l10n.New(l10n.NotFound, "配对码无效、已使用或已过期；请在控制台 /pair 页面获取新的配对码",
				"the pairing code is wrong, used or expired; get a new one at the console's /pair page")
		}
		api.WriteError(w, r, err)
		return
	}
	s.c.Logger.Info("extension paired", "user", u.Name, "ip", key)
	api.WriteJSON(w, http.StatusOK, map[string]string{"token": tok, "user": u.Name, "display_name": u.DisplayName,
		"staff_id": u.StaffID, "console_url": s.c.BaseURL})
}

// extensionFile serves the packed extension and its update manifest from the data dir's extension/ folder.
func (s *Server) extensionFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ctype, ok := extensionFiles[name]
	if !ok || s.c.SpoolDir == "" {
		http.NotFound(w, r)
		return
	}
	p := filepath.Join(filepath.Dir(s.c.SpoolDir), "extension", name) // SpoolDir is DATA/spool
	data, err := os.ReadFile(p)
	if err != nil {
		lang := api.Lang(r)
		http.Error(w, lang.Pick("扩展尚未打包：请在服务器上运行 'sluice deploy browser-policy'", "the extension is not packed yet: run 'sluice deploy browser-policy' on the server"), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(data)
}
