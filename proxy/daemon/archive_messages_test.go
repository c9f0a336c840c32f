package daemon

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/store"
)

// TestMessagesThatLeaveAreArchived: with the default archive.messages (sensitive_only), a mail body that
// left carrying a phone number is kept in the outbound archive, a harmless one and a blocked one are not;
// searching the archive is itself recorded.
func TestMessagesThatLeaveAreArchived(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	send := func(body string) int {
		req, _ := http.NewRequest("POST", "https://mail.163.com/js6/s?func=mbox:compose", strings.NewReader(`{"content":"`+body+`"}`))
		req.Header.Set("Content-Type", "application/json")
		code, _ := env.send(t, req)
		return code
	}
	if code := send("王总您好，我的新号码是 13812345678，以后联系这个"); code != 200 {
		t.Fatalf("a body with one phone: %d", code)
	}
	if code := send("明天下午三点开会"); code != 200 {
		t.Fatalf("a harmless body: %d", code)
	}
	if code := send("客户：张伟 13811112222，李娜 13911113333，王芳 13711114444，赵磊 13611115555"); code != http.StatusForbidden {
		t.Fatalf("a body with a customer list: %d", code)
	}
	var found struct {
		Records []api.ArchiveRecord `json:"records"`
	}
	if code := env.api(t, env.adminToken(t), "GET", "/api/archive?q=message", nil, &found); code != 200 || len(found.Records) != 1 {
		t.Errorf("an investigator's archive search for messages: %d, %d records", code, len(found.Records))
	}
	all, _ := env.d.DB.Archive(store.ArchiveFilter{})
	var kept []*store.Outbound
	for _, o := range all {
		if o.Type == "message" {
			kept = append(kept, o)
		}
	}
	if len(kept) != 1 || kept[0].User != testUser.Name || !strings.Contains(kept[0].Note, "手机号") {
		t.Fatalf("kept messages: %+v", kept)
	}
	f, err := env.d.DB.OpenBlob(kept[0].OrigSHA256)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	f.Close()
	if !strings.Contains(string(buf[:n]), "13812345678") {
		t.Errorf("the kept message text: %q", buf[:n])
	}
	if evs, _ := env.d.DB.Events(store.EventFilter{Action: "archive.search"}); len(evs) == 0 {
		t.Error("searching the archive was not recorded")
	}
}
