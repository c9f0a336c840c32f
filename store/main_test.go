package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-dlp/sluice/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backends are the stores every conformance test runs against: bbolt in a temp dir, and a fresh
// database on a real PostgreSQL that the test binary starts (internal/pgtest).
var backends = []struct {
	name string
	open func(t testing.TB, dir string, o Options) (*DB, error)
}{
	{"bbolt", func(t testing.TB, dir string, o Options) (*DB, error) {
		return OpenWith(filepath.Join(dir, "sluice.db"), o)
	}},
	{"postgres", func(t testing.TB, dir string, o Options) (*DB, error) {
		o.Store = pgtest.URL(t)
		return OpenWith(filepath.Join(dir, "sluice.db"), o)
	}},
	{"postgres-blobs", func(t testing.TB, dir string, o Options) (*DB, error) {
		o.Store, o.SharedBlobs = pgtest.URL(t), true
		return OpenWith(filepath.Join(dir, "sluice.db"), o)
	}},
}

// eachBackend runs test once per backend with a fresh, empty store.
func eachBackend(t *testing.T, test func(t *testing.T, db *DB)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, err := b.open(t, t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			test(t, db)
		})
	}
}

// orgUsers is the small organisation of approvalDB, for any store.
func orgUsers(t *testing.T, db *DB) {
	t.Helper()
	createUsers(t, db,
		&User{Name: "wang", Roles: []string{RoleReviewer}},
		&User{Name: "li", Roles: []string{RoleReviewer}, Head: "wang"},
		&User{Name: "zhang", DisplayName: "张三", Lead: "li", Head: "wang", Roles: []string{RoleStaff}},
		&User{Name: "admin1", Roles: []string{RoleAdmin}},
	)
}
