// Package ops does every admin and approval job of Sluice once. Local does it on the store (the
// daemon's handlers and the CLI without a daemon use it); Remote does it through the running
// daemon's API with the same wire types. The CLI picks one of them, once.
package ops

import (
	"context"
	"io"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/store"
)

// Ops is every job the CLI and the console's API can do.
type Ops interface {
	People
	Audit
	Inspection
	Marks
	Approvals
	// Close releases the store or the connection.
	Close() error
}

// People manages users, their roles and API tokens; every change is audited.
type People interface {
	Users(ctx context.Context) ([]api.User, error)
	AddUser(ctx context.Context, u api.NewUser) (api.User, error)
	UpdateUser(ctx context.Context, name string, c api.UserChange) (api.User, error)
	SetPassword(ctx context.Context, name, password string) error
	IssueToken(ctx context.Context, name string) (string, error)
	RevokeTokens(ctx context.Context, name string) (int, error)
}

// Audit reads and verifies the hash-chained audit log.
type Audit interface {
	Events(ctx context.Context, f store.EventFilter) ([]*store.Event, error)
	VerifyAudit(ctx context.Context, witnessed []store.ChainHead) (api.Verify, error)
	DepartureReport(ctx context.Context, name string) (api.DepartureReport, error)
}

// Inspection manages what the inspector matches (customer list, registered files) and scans files.
type Inspection interface {
	ImportCustomers(ctx context.Context, name string, data []byte, cols customers.Columns) (customers.Result, error)
	CustomerStats(ctx context.Context) (store.CustomerStats, error)
	ClearCustomers(ctx context.Context) (int, error)
	AddFingerprint(ctx context.Context, name string, file io.Reader, size int64) (store.Fingerprint, error)
	Fingerprints(ctx context.Context) ([]store.Fingerprint, error)
	Scan(ctx context.Context, req api.ScanRequest, file io.ReaderAt, size int64) (api.ScanReport, error)
}

// Marks marks files by hand, traces leaked ones and searches the outbound archive.
type Marks interface {
	Mark(ctx context.Context, req api.MarkRequest, data []byte) ([]byte, api.Marked, error)
	Trace(ctx context.Context, data []byte) (api.Trace, error)
	Archive(ctx context.Context, f store.ArchiveFilter) ([]api.ArchiveRecord, error)
}

// Approvals files and decides requests for held uploads.
type Approvals interface {
	FileRequest(ctx context.Context, n store.NewRequest) (api.Request, error)
	Requests(ctx context.Context, q api.RequestQuery) ([]api.Request, error)
	Request(ctx context.Context, id string) (api.Request, error)
	Act(ctx context.Context, id, action, comment string) (api.Request, error)
}

// Notifier tells people about decisions: the rep's browser extension and the managers' alert channels.
type Notifier interface {
	Notify(user string, n api.Notice)
	Alert(a api.Alert)
}

// Limits on what the API takes in one call.
const (
	MaxFile = 512 << 20 // a file to scan or fingerprint
)
