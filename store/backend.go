package store

// The store keeps its records behind Backend, a narrow interface of typed operations chosen by
// configuration: bbolt in the data dir (the default) or PostgreSQL shared by several nodes. Everything
// that gives the records meaning (the approval state machine, the keyed hash chain, the MACs on grants
// and requests, the blob references) is written once, above it, in this package. Values are the exact
// bytes the store encoded and authenticated: a backend keeps them as they are (never re-encoded), so a
// MAC checks the bytes that were stored.

// Backend is a place the store keeps its records.
type Backend interface {
	// Update runs fn in a read-write transaction; only one runs at a time across every node sharing the
	// backend, and either all of fn's writes are kept or none.
	Update(fn func(Tx) error) error
	// View runs fn in a read-only transaction on a consistent snapshot.
	View(fn func(Tx) error) error
	// Kind is "bbolt" or "postgres".
	Kind() string
	// Location names where the records are (a file path, or a URL without its password).
	Location() string
	// Close releases the backend.
	Close() error
}

// Tx is one transaction's typed operations; a read in an Update sees the latest committed state.
// Getters return nil bytes (and no error) for a record that does not exist.
type Tx interface {
	Meta(key string) ([]byte, error)
	SetMeta(key string, v []byte) error // nil v deletes

	User(name string) ([]byte, error)
	PutUser(name string, v []byte) error
	ForEachUser(fn func(name string, v []byte) error) error
	TokenUser(key []byte) (string, error)
	PutToken(key []byte, user string) error
	DeleteTokens(user string) (int, error)
	ForEachToken(fn func(key []byte, user string) error) error

	// NextEventID hands out the next audit id: gapless, in commit order (only one Update runs at a time).
	NextEventID() (uint64, error)
	// EventSeq is the last audit id handed out (an id handed out and never stored shows a deleted tail).
	EventSeq() (uint64, error)
	// SetEventSeq sets the last audit id handed out (copying a store).
	SetEventSeq(seq uint64) error
	PutEvent(id uint64, v []byte) error
	Event(id uint64) ([]byte, error)
	LastEventID() (uint64, error)
	// ScanEvents calls fn for events in id order from id from (ascending), or from the newest down
	// (desc, from ignored) until fn returns false.
	ScanEvents(from uint64, desc bool, fn func(id uint64, v []byte) (bool, error)) error

	Request(id string) ([]byte, error)
	PutRequest(id string, eventID uint64, v []byte) error // also indexes the request under its event
	RequestForEvent(eventID uint64) (string, error)
	ForEachRequest(fn func(id string, v []byte) error) error

	Grant(id string) ([]byte, error)
	PutGrant(id, user, sha256 string, v []byte) error
	// SwapGrant replaces a grant's bytes only if they still are old (a conditional update); false: changed meanwhile.
	SwapGrant(id string, old, v []byte) (bool, error)
	// GrantsOf calls fn for the grants of user for the file sha256 (and possibly others: callers check).
	GrantsOf(user, sha256 string, fn func(id string, v []byte) error) error
	ForEachGrant(fn func(id string, v []byte) error) error

	Mark(id uint64) ([]byte, error)
	// InsertMark stores v under a new mark id; false when the id is taken.
	InsertMark(id uint64, v []byte) (bool, error)
	// PutMark stores an outbound record under its mark id, or under a fresh key when id is 0 (unmarked).
	PutMark(id uint64, v []byte) error
	ForEachMark(fn func(v []byte) error) error

	HasCustomerHash(sum []byte) (bool, error)
	PutCustomerHash(sum []byte, entry uint64, field string) error
	ForEachCustomerHash(fn func(sum []byte, entry uint64, field string) error) error
	CountCustomerHashes() (int, error)
	HasCustomerEntry(key []byte) (bool, error)
	AddCustomerEntry(key, v []byte) (uint64, error)
	ForEachCustomerEntry(fn func(id uint64, key, v []byte) error) error
	// PutCustomerEntry stores an entry under a given id (copying a store).
	PutCustomerEntry(id uint64, key, v []byte) error
	ClearCustomers() error

	PutFingerprint(sha256, firstBlockMD5, md5 string, v []byte) error
	ForEachFingerprint(fn func(v []byte) error) error

	Pairing(key []byte) ([]byte, error)
	PutPairing(key, v []byte) error // nil v deletes
	ForEachPairing(fn func(key, v []byte) error) error

	// Session returns a console session's user and expiry (Unix seconds); "" when there is none.
	Session(key []byte) (string, int64, error)
	PutSession(key []byte, user string, expires int64) error
	DeleteSession(key []byte) error
	// PruneSessions deletes sessions that expired before now (Unix seconds) and returns how many.
	PruneSessions(now int64) (int, error)

	// ArchiveBlobs makes blobs staged in the shared store part of the archive, with the record naming
	// them, and returns their bytes (bbolt keeps no blobs: 0).
	ArchiveBlobs(sums []string) (int64, error)

	// OnCommit runs fn after the transaction commits (never when it rolls back).
	OnCommit(fn func())
}
