package pipeline

import (
	"github.com/sluice-dlp/sluice/proxy/policy"
)

// decideStep asks the policy for a verdict.
type decideStep struct{ d *Deps }

func (decideStep) Hook() Hook { return HookDecide }
func (s decideStep) Run(f *Flow) error {
	in := policy.Input{User: f.User.Name, Dest: f.Dest, Integrity: f.Integrity, Departing: f.User.Departing != ""}
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
