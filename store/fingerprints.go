package store

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Fingerprints of known sensitive files, so that an upload can be recognised by its hash
// alone — including a netdisk "rapid upload" that declares hashes instead of sending bytes.
//
// Layout inside the fingerprints bucket: "s:"+sha256 → JSON Fingerprint; "b:"+first 4 MiB
// block MD5 → sha256; "m:"+whole-file MD5 → sha256.

// FingerprintBlockSize is the block size of the MD5 block list (Baidu Netdisk's block_list).
const FingerprintBlockSize = 4 << 20

// sliceSize is the prefix hashed for SliceMD5 (Baidu Netdisk's slice-md5).
const sliceSize = 256 << 10

// Fingerprint identifies one registered sensitive file by its hashes (all lower-case hex).
type Fingerprint struct {
	SHA256    string    `json:"sha256"`
	MD5       string    `json:"md5"`        // whole file (netdisks' content-md5)
	SliceMD5  string    `json:"slice_md5"`  // first 256 KiB (slice-md5)
	BlockMD5s []string  `json:"block_md5s"` // MD5 of each 4 MiB block (block_list)
	Size      int64     `json:"size"`
	Name      string    `json:"name"`
	Added     time.Time `json:"added"`
}

// ComputeFingerprint reads r to the end and returns its hashes, named name.
func ComputeFingerprint(r io.Reader, name string) (Fingerprint, error) {
	whole, wholeMD5, slice := sha256.New(), md5.New(), md5.New()
	f := Fingerprint{Name: name}
	buf := make([]byte, 256<<10)
	block := md5.New()
	inBlock := 0
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			p := buf[:n]
			whole.Write(p)
			wholeMD5.Write(p)
			if f.Size < sliceSize {
				slice.Write(p[:min(int64(n), sliceSize-f.Size)])
			}
			f.Size += int64(n)
			for len(p) > 0 {
				k := min(len(p), FingerprintBlockSize-inBlock)
				block.Write(p[:k])
				inBlock += k
				p = p[k:]
				if inBlock == FingerprintBlockSize {
					f.BlockMD5s = append(f.BlockMD5s, hex.EncodeToString(block.Sum(nil)))
					block.Reset()
					inBlock = 0
				}
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return Fingerprint{}, l10n.Wrap(err, l10n.Invalid, "无法读取 %s 以计算指纹", "cannot read %s to fingerprint it", name)
		}
	}
	if inBlock > 0 || f.Size == 0 {
		f.BlockMD5s = append(f.BlockMD5s, hex.EncodeToString(block.Sum(nil)))
	}
	f.SHA256 = hex.EncodeToString(whole.Sum(nil))
	f.MD5 = hex.EncodeToString(wholeMD5.Sum(nil))
	f.SliceMD5 = hex.EncodeToString(slice.Sum(nil))
	return f, nil
}

// AddFingerprint records f (replacing an earlier record of the same sha256) and audits it as
// actor's "fingerprints.add"; Added is set to now when zero.
func (db *DB) AddFingerprint(f Fingerprint, actor string) error {
	f.SHA256 = strings.ToLower(f.SHA256)
	if len(f.SHA256) != 64 || len(f.BlockMD5s) == 0 {
		return l10n.Errorf(l10n.Invalid, "%q 的指纹不完整", "fingerprint of %q is incomplete; compute it with ComputeFingerprint", f.Name)
	}
	if f.Added.IsZero() {
		f.Added = time.Now().UTC()
	}
	err := db.update(func(tx Tx) error {
		data, err := marshal(f)
		if err != nil {
			return err
		}
		if err := tx.PutFingerprint(f.SHA256, strings.ToLower(f.BlockMD5s[0]), strings.ToLower(f.MD5), data); err != nil {
			return err
		}
		return db.appendEventTx(tx, &Event{Action: "fingerprints.add", User: actor, Extra: map[string]string{"file": f.Name, "sha256": f.SHA256}})
	})
	if err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法登记 %s 的指纹", "cannot record the fingerprint of %s", f.Name)
	}
	return nil
}

// Fingerprints lists the registered files, oldest first.
func (db *DB) Fingerprints() ([]Fingerprint, error) {
	var out []Fingerprint
	err := db.view(func(tx Tx) error {
		out = nil
		return tx.ForEachFingerprint(func(v []byte) error {
			var f Fingerprint
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("malformed fingerprint record: %w", err)
			}
			out = append(out, f)
			return nil
		})
	})
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Internal, "无法列出指纹", "cannot list fingerprints")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Added.Before(out[j].Added) })
	return out, nil
}

// FingerprintIndex is the registered files in memory; it implements the inspection
// package's FingerprintIndex. It is read-only after loading and safe for concurrent use.
type FingerprintIndex struct {
	bySHA   map[string]string // sha256 → name
	byBlock map[string]string // first block MD5 → name
	byMD5   map[string]string // whole-file MD5 → name
}

// LoadFingerprintIndex reads every registered fingerprint into memory.
func (db *DB) LoadFingerprintIndex() (*FingerprintIndex, error) {
	fs, err := db.Fingerprints()
	if err != nil {
		return nil, err
	}
	ix := &FingerprintIndex{bySHA: map[string]string{}, byBlock: map[string]string{}, byMD5: map[string]string{}}
	for _, f := range fs {
		ix.bySHA[f.SHA256] = f.Name
		if len(f.BlockMD5s) > 0 {
			ix.byBlock[strings.ToLower(f.BlockMD5s[0])] = f.Name
		}
		if f.MD5 != "" {
			ix.byMD5[strings.ToLower(f.MD5)] = f.Name
		}
	}
	return ix, nil
}

// Len returns the number of registered files.
func (ix *FingerprintIndex) Len() int { return len(ix.bySHA) }

// LookupSHA256 returns the name of the registered file with this sha256 (hex).
func (ix *FingerprintIndex) LookupSHA256(sha256hex string) (string, bool) {
	name, ok := ix.bySHA[strings.ToLower(sha256hex)]
	return name, ok
}

// LookupBlockList returns the name of the registered file whose first 4 MiB block has the
// MD5 md5s[0] (for a file of one block that is the whole-file MD5, which also matches).
func (ix *FingerprintIndex) LookupBlockList(md5s []string) (string, bool) {
	if len(md5s) == 0 {
		return "", false
	}
	first := strings.ToLower(md5s[0])
	if name, ok := ix.byBlock[first]; ok {
		return name, true
	}
	if len(md5s) == 1 {
		name, ok := ix.byMD5[first]
		return name, ok
	}
	return "", false
}

// LookupMD5 returns the name of the registered file with this whole-file MD5 (content-md5).
func (ix *FingerprintIndex) LookupMD5(md5hex string) (string, bool) {
	name, ok := ix.byMD5[strings.ToLower(md5hex)]
	return name, ok
}
