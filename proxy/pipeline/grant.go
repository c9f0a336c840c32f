package pipeline

import (
	"errors"
	"fmt"

	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// grantStep releases a held upload when approval grants cover every file in it. The grants of all
// files are used in one store transaction: either all are used, or none is and the upload stays held.
type grantStep struct{ d *Deps }

func (grantStep) Hook() Hook { return HookEnforce }
func (s grantStep) Run(f *Flow) error {
	if f.Decision.Verdict != policy.Approval {
		return nil
	}
	held := f.FilesOnly()
	if len(held) == 0 { // a held message: its text is what was approved
		held = f.Files
	}
	if len(held) == 0 {
		return nil
	}
	sums := make([]string, len(held))
	for i, x := range held {
		sums[i] = x.Part.SHA256()
	}
	grants, err := s.d.DB.UseGrants(f.User.Name, f.Dest.Host, string(f.Dest.Category), sums, s.d.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil // not covered: stays held
	}
	if err != nil {
		return err
	}
	for i, x := range held {
		x.Grant = grants[i]
	}
	first := grants[0]
	v := policy.Allow
	for _, x := range held {
		if x.Result != nil && policy.IsPDFOrImage(x.Result.Type) && !f.Integrity {
			v = policy.Watermark
		}
	}
	f.Decision = policy.Decision{Verdict: v, Sensitive: f.Decision.Sensitive, Reasons: append(f.Decision.Reasons, policy.Reason{Code: "granted",
		ZH: fmt.Sprintf("已获审批 %s，放行", first.RequestID), EN: fmt.Sprintf("released by approval %s", first.RequestID)})}
	return nil
}
