package ops

import (
	"context"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/store"
)

// Users lists every user (admins only).
func (l *Local) Users(ctx context.Context) ([]api.User, error) {
	if err := l.needAdmin(); err != nil {
		return nil, err
	}
	us, err := l.DB.Users()
	if err != nil {
		return nil, err
	}
	out := make([]api.User, 0, len(us))
	for _, u := range us {
		out = append(out, api.UserOf(u))
	}
	return out, nil
}

// AddUser creates a user that must not exist yet, with a password unless none is given.
func (l *Local) AddUser(ctx context.Context, in api.NewUser) (api.User, error) {
	if err := l.needAdmin(); err != nil {
		return api.User{}, err
	}
	u := &store.User{Name: in.Name, DisplayName: in.DisplayName, StaffID: in.StaffID, Department: in.Department,
		Lead: in.Lead, Head: in.Head, Roles: in.Roles, Disabled: in.Disabled}
	if len(u.Roles) == 0 {
		u.Roles = []string{store.RoleStaff}
	}
	if err := store.ValidateUser(u); err != nil {
		return api.User{}, err
	}
	if in.Password != "" {
		h, err := store.HashPassword(in.Password)
		if err != nil {
			return api.User{}, err
		}
		u.PasswordHash = h
	}
	if err := l.DB.CreateUser(l.who(), u); err != nil {
		return api.User{}, err
	}
	return api.UserOf(u), nil
}

// UpdateUser changes only the fields given of an existing user.
func (l *Local) UpdateUser(ctx context.Context, name string, c api.UserChange) (api.User, error) {
	if err := l.needAdmin(); err != nil {
		return api.User{}, err
	}
	u, err := l.DB.UpdateUser(l.who(), name, func(u *store.User) error { c.Apply(u); return nil })
	if err != nil {
		return api.User{}, err
	}
	l.credentials()
	return api.UserOf(u), nil
}

// SetPassword sets a user's password.
func (l *Local) SetPassword(ctx context.Context, name, password string) error {
	if err := l.needAdmin(); err != nil {
		return err
	}
	if err := l.DB.SetPassword(l.who(), name, password); err != nil {
		return err
	}
	l.credentials()
	return nil
}

// IssueToken creates an API token for a user (the extension's and the CLI's credential).
func (l *Local) IssueToken(ctx context.Context, name string) (string, error) {
	if err := l.needAdmin(); err != nil {
		return "", err
	}
	return l.DB.NewToken(l.who(), name)
}

// RevokeTokens deletes every API token of a user and returns how many there were.
func (l *Local) RevokeTokens(ctx context.Context, name string) (int, error) {
	if err := l.needAdmin(); err != nil {
		return 0, err
	}
	n, err := l.DB.RevokeTokens(l.who(), name)
	if err == nil {
		l.credentials()
	}
	return n, err
}

// Events lists audit events matching f, newest first (admins and investigators).
func (l *Local) Events(ctx context.Context, f store.EventFilter) ([]*store.Event, error) {
	if err := l.needInvestigator(); err != nil {
		return nil, err
	}
	evs, err := l.DB.Events(f)
	if evs == nil {
		evs = []*store.Event{}
	}
	return evs, err
}

// VerifyAudit checks the keyed chain and, when given, that every witnessed head is still on it
// (admins and investigators).
func (l *Local) VerifyAudit(ctx context.Context, witnessed []store.ChainHead) (api.Verify, error) {
	if err := l.needInvestigator(); err != nil {
		return api.Verify{}, err
	}
	n, problems, err := l.DB.VerifyChain()
	if err != nil {
		return api.Verify{}, err
	}
	v := api.Verify{Records: n}
	if len(witnessed) > 0 {
		var wp []store.ChainProblem
		if v.Witnessed, wp, err = l.DB.CheckWitness(witnessed); err != nil {
			return api.Verify{}, err
		}
		problems = append(problems, wp...)
	}
	if h, err := l.DB.Head(); err == nil && h.ID > 0 {
		v.Head = &h
	}
	if problems == nil {
		problems = []store.ChainProblem{}
	}
	v.OK, v.Problems = len(problems) == 0, problems
	return v, nil
}
