package ops

import (
	"context"
	"os/user"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// Local does the jobs on an open store. Who acts is fixed per value: the daemon makes one per
// authenticated caller with As; the CLI without a daemon is the machine's operator (Direct).
type Local struct {
	DB     *store.DB
	Policy *policy.Policy
	Marker *watermark.Marker
	// Scanner returns the inspection engine in use; nil builds one from the policy and the store when needed.
	Scanner func() *inspect.Scanner
	// BaseURL is the console address used in links (request pages).
	BaseURL string
	// MaxUses is how many sends a grant allows when the requester does not say; 1 when zero.
	MaxUses int
	// Notifier tells reps and managers about requests and decisions (nil: nobody is told).
	Notifier Notifier
	// InspectionChanged is called after the customer list or the fingerprints changed (the daemon rebuilds its scanner).
	InspectionChanged func() error
	// CredentialsChanged is called after a password, role or token changed (the daemon drops cached logins).
	CredentialsChanged func()
	// Now is the clock (tests move it).
	Now func() time.Time

	actor  *store.User // the person acting; nil when Direct and no --as
	direct bool        // the operator opened the store directly: every admin job is allowed
}

// As returns a copy of l acting as u (the daemon's handlers: the token's or the session's user).
func (l *Local) As(u *store.User) *Local {
	c := *l
	c.actor, c.direct = u, false
	return &c
}

// Direct returns a copy of l acting as the operator who opened the store directly; as, when given,
// names the user the operator acts as in the approval workflow (--as).
func (l *Local) Direct(as *store.User) *Local {
	c := *l
	c.actor, c.direct = as, true
	return &c
}

// Close closes the store.
func (l *Local) Close() error { return l.DB.Close() }

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// who names the actor in audit records: the user, or "cli:<os account>" for the operator.
func (l *Local) who() string {
	if l.direct {
		name := "cli"
		if u, err := user.Current(); err == nil && u.Username != "" {
			name += ":" + u.Username
		}
		return name
	}
	if l.actor != nil {
		return l.actor.Name
	}
	return "sluice"
}

var errNeedAdmin = l10n.New(l10n.Forbidden, "此操作需要管理员角色", "this needs the admin role")

// needAdmin refuses callers who are not admins (the operator at the store always may).
func (l *Local) needAdmin() error {
	if l.direct || l.actor != nil && l.actor.HasRole(store.RoleAdmin) {
		return nil
	}
	return errNeedAdmin
}

// needInvestigator refuses callers who are neither admins nor investigators.
func (l *Local) needInvestigator() error {
	if l.direct || l.actor != nil && (l.actor.HasRole(store.RoleAdmin) || l.actor.HasRole(store.RoleInvestigator)) {
		return nil
	}
	return l10n.New(l10n.Forbidden, "此操作需要管理员或调查员角色", "this needs the admin or investigator role")
}

// viewer is who reads requests: the acting user, or, for the operator at the store who named nobody,
// an onlooker who may see every request (as an investigator does) but decide none.
func (l *Local) viewer() (*store.User, error) {
	if l.actor == nil && l.direct {
		return &store.User{Name: l.who(), Roles: []string{store.RoleInvestigator}}, nil
	}
	return l.person()
}

// person is the user acting in the approval workflow, which the operator must name (--as).
func (l *Local) person() (*store.User, error) {
	if l.actor == nil {
		return nil, l10n.New(l10n.Invalid, "没有守护进程在运行；请用 --as 用户名 说明以谁的身份操作", "no daemon is running; say who you are with --as USER")
	}
	return l.actor, nil
}

func (l *Local) scanner() (*inspect.Scanner, error) {
	if l.Scanner != nil {
		if sc := l.Scanner(); sc != nil {
			return sc, nil
		}
	}
	opts, err := ScannerOptions(l.Policy, l.DB)
	if err != nil {
		return nil, err
	}
	return inspect.NewScanner(opts), nil
}

// ScannerOptions builds inspection options from the policy and, when db is not nil, the store's
// customer list and fingerprints: the daemon and `sluice scan` build their scanners with it.
func ScannerOptions(p *policy.Policy, db *store.DB) (inspect.Options, error) {
	o := inspect.Options{Limits: p.Inspect.Limits(), Detect: inspect.DetectOptions{Keywords: p.Inspect.Keywords}, OCR: p.OCROptions()}
	if db == nil {
		return o, nil
	}
	customers, err := db.LoadCustomerIndex()
	if err != nil {
		return o, err
	}
	prints, err := db.LoadFingerprintIndex()
	if err != nil {
		return o, err
	}
	o.Detect.Customers, o.Detect.Fingerprints = customers, prints
	return o, nil
}

// changed runs the inspection hook after the customer list or fingerprints changed.
func (l *Local) changed(what string, whatEN string) error {
	if l.InspectionChanged == nil {
		return nil
	}
	if err := l.InspectionChanged(); err != nil {
		return l10n.Wrap(err, l10n.Internal, "%[1]s已保存，但代理未能重新加载；请重启 'sluice run'",
			"%[2]s was saved, but the proxy could not reload it; restart 'sluice run'", what, whatEN)
	}
	return nil
}

func (l *Local) credentials() {
	if l.CredentialsChanged != nil {
		l.CredentialsChanged()
	}
}

// requestView shows a stored request with who it waits for and its console page.
func (l *Local) requestView(r *store.Request) api.Request {
	return api.Request{Request: r, Stage: r.Stage(), WaitingFor: r.Approver(), URL: strings.TrimRight(l.BaseURL, "/") + "/request/" + r.ID}
}

// lang is the language replies should be in.
func lang(ctx context.Context) l10n.Lang { return l10n.LangOf(ctx) }
