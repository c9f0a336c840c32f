package proxy

import (
	"errors"
	"fmt"

	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// grantStep releases a held upload when an approval grant covers every file in it.
type grantStep struct{ d *Daemon }

func (grantStep) Hook() string { return HookEnforce }
func (s grantStep) Run(f *Flow) error {
	if f.Decision.Verdict != policy.Approval {
		return nil
	}
	now := s.d.now()
	var sums []string
	if f.Body.Problem != "" {
		sums = []string{f.Body.Raw.SHA256()}
	} else {
		for _, p := range f.Files {
			sums = append(sums, p.SHA256())
		}
	}
	if len(sums) == 0 {
		return nil
	}
	var grants []*store.Grant
	for _, sum := range sums {
		g, err := s.d.DB.FindGrant(f.User.Name, sum, f.Dest.Host, string(f.Dest.Category), now)
		if errors.Is(err, store.ErrNotFound) {
			return nil // not covered: stays held
		}
		if err != nil {
			return err
		}
		grants = append(grants, g)
	}
	for _, g := range grants {
		if err := s.d.DB.UseGrant(g.ID, now); err != nil {
			return nil // used up concurrently: stays held
		}
	}
	f.Grant = grants[0]
	v := policy.Allow
	for i, p := range f.Files {
		if i < len(f.Results) && policy.IsPDFOrImage(f.Results[i].Type) && !f.Integrity {
			v = policy.Watermark
		} else {
			// cannot be marked: it leaves unmarked but archived, named for what it is
			note := "unmarked: not a PDF or image"
			if f.Integrity {
				note = "unmarked: integrity-checked upload"
			}
			sum, _, err := s.d.DB.PutBlob(p.Data.Reader())
			if err != nil {
				return err
			}
			typ := ""
			if i < len(f.Results) {
				typ = f.Results[i].Type
			}
			f.Outbound = append(f.Outbound, &store.Outbound{Time: now.UTC(), User: f.User.Name, DisplayName: f.User.Label(),
				StaffID: f.User.StaffID, Host: f.Dest.Host, Category: string(f.Dest.Category), Path: f.Req.URL.Path,
				FileName: p.FileName, Type: typ, OrigSHA256: sum, ApprovalID: f.Grant.RequestID, GrantID: grants[min(i, len(grants)-1)].ID, Note: note})
		}
	}
	f.Decision = policy.Decision{Verdict: v, Sensitive: f.Decision.Sensitive, Reasons: append(f.Decision.Reasons, policy.Reason{Code: "granted",
		ZH: fmt.Sprintf("已获审批 %s，放行", f.Grant.RequestID), EN: fmt.Sprintf("released by approval %s", f.Grant.RequestID)})}
	return nil
}
