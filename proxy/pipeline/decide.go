package pipeline

import (
	"github.com/sluice-dlp/sluice/proxy/policy"
	"time"
)

// decideStep asks the policy for a verdict.
type decideStep struct{ d *Deps }

func (decideStep) Hook() Hook { return HookDecide }
func (s decideStep) Run(f *Flow) error {
	in := policy.Input{User: f.User.Name, Dest: f.Dest, Integrity: f.Integrity, Departing: f.User.Departing != ""}
	if s.d.Recent != nil && s.d.Policy.Sensitive.WindowMinutes > 0 {
		in.Recent = s.d.Recent(f.User.Name, s.d.now().Add(-time.Duration(s.d.Policy.Sensitive.WindowMinutes)*time.Minute))
	}
	for _, x := range f.Files {
		if x.Message {
			in.Messages = append(in.Messages, x.Result)
		} else {
			in.Results = append(in.Results, x.Result)
			in.Names = append(in.Names, x.Name)
		}
	}
	f.Decision = s.d.Policy.Decide(in)
	return nil
}
