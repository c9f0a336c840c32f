package truststore

import (
	"encoding/json"
	"os"
	"slices"
)

// state is what install created, kept in the data dir so that uninstall removes exactly that.
type state struct {
	Anchor     string   `json:"anchor,omitempty"`       // system store file written
	NSSCreated []string `json:"nss_created,omitempty"`  // NSS databases install created (directories)
	DirsMade   []string `json:"dirs_created,omitempty"` // directories made for them, deepest last (e.g. ~/.pki)
	NSSAdded   []string `json:"nss_added,omitempty"`    // NSS databases the CA was added to
}

func loadState(file string) *state {
	st := &state{}
	if file != "" {
		if data, err := os.ReadFile(file); err == nil {
			json.Unmarshal(data, st)
		}
	}
	return st
}

func (st *state) save(file string) error {
	if file == "" {
		return nil
	}
	if st.Anchor == "" && len(st.NSSCreated) == 0 && len(st.NSSAdded) == 0 && len(st.DirsMade) == 0 {
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	data, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(file, data, 0o600)
}

func addOnce(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func remove(list []string, v string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return s == v })
}
