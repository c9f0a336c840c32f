package watermark

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// KeySize is the length of a mark key in bytes.
const KeySize = 32

// LoadOrCreateKey reads the mark key at path (DATA/mark.key), creating 32
// random bytes with mode 0600 if it is missing. A key readable by group or
// others is refused.
func LoadOrCreateKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("cannot generate mark key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("cannot create mark key %s: %w; check that the data directory exists and is writable", path, err)
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot write mark key %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("cannot write mark key %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read mark key %s: %w", path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("mark key %s is readable by group or others (mode %v); run: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read mark key %s: %w", path, err)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("mark key %s is only %d bytes; restore it from backup (marks made with another key cannot be traced)", path, len(key))
	}
	return key, nil
}
