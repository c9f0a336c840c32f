package watermark

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"sync/atomic"

	"storj.io/infectious"
)

// Payload layout: 48-bit mark id + 16-bit keyed check = 8 data bytes,
// Reed-Solomon coded to rsTotal bytes (Berlekamp-Welch corrects
// (rsTotal-rsData)/2 byte errors, or more erasures).
const (
	idBits     = 48
	rsData     = 8
	rsTotal    = 16
	codeBits   = rsTotal * 8
	syncBits   = 16
	tileBlocks = 12                      // tile is tileBlocks×tileBlocks blocks
	tileSlots  = tileBlocks * tileBlocks // = codeBits + syncBits
)

// maxErasures bounds the least reliable bytes a decode may erase.
const maxErasures = 3

// MaxMarkID is the largest mark id that fits the 48-bit payload field.
const MaxMarkID = 1<<idBits - 1

// rsNearMisses counts code words that decoded within the code's capacity
// but failed the keyed check: on unmarked images each is a 2^-16 chance
// of a false trace, so tests report it as a measured false-positive rate.
var rsNearMisses atomic.Int64

var errTooManyErrors = errors.New("watermark code word has too many errors")

// keyed holds everything derived from the mark key.
type keyed struct {
	key        []byte
	kernel     [64]float32               // unit-norm 8×8 spatial spreading kernel (mid-band DCT)
	kernelMax  float64                   // its largest |value|
	oriented   [orientations][64]float32 // kernel under each flip / quarter turn (see orient)
	orientBand [orientations][]float32   // their DCT coefficients at markBand
	scramble   [tileSlots]int8           // ±1 per tile slot, XORed onto the bits
	codePos    [codeBits]int             // tile slot of each code bit
	syncPos    [syncBits]int
	syncSign   [syncBits]int8
	fec        *infectious.FEC
}

// subkey derives an independent 32-byte key for one purpose.
func subkey(key []byte, label string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	return h.Sum(nil)
}

func newKeyed(key []byte) *keyed {
	k := &keyed{key: append([]byte(nil), key...)}
	var seed [32]byte
	copy(seed[:], subkey(key, "sluice-wm-layout-v1"))
	rng := rand.New(rand.NewChaCha8(seed))
	k.kernel = designKernel(rng)
	for _, v := range k.kernel {
		k.kernelMax = math.Max(k.kernelMax, math.Abs(float64(v)))
	}
	for o := range k.oriented {
		for i, v := range k.kernel {
			x, y := orient(o, i%8, i/8, 8)
			k.oriented[o][y*8+x] = v
		}
		k.orientBand[o] = bandCoefs(&k.oriented[o])
	}
	perm := rng.Perm(tileSlots)
	for i := 0; i < syncBits; i++ {
		k.syncPos[i] = perm[i]
		k.syncSign[i] = int8(1 - 2*rng.IntN(2))
	}
	for i := 0; i < codeBits; i++ {
		k.codePos[i] = perm[syncBits+i]
	}
	for i := range k.scramble {
		k.scramble[i] = int8(1 - 2*rng.IntN(2))
	}
	fec, err := infectious.NewFEC(rsData, rsTotal)
	if err != nil {
		panic("sluice: bad FEC parameters: " + err.Error()) // constants; cannot happen
	}
	k.fec = fec
	return k
}

// check16 is the keyed 16-bit check over a mark id.
func (k *keyed) check16(id uint64) uint16 {
	h := hmac.New(sha256.New, k.key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	h.Write([]byte("sluice-wm-check-v1"))
	h.Write(b[2:])
	return binary.BigEndian.Uint16(h.Sum(nil))
}

// dataBytes returns the 8 payload bytes for id.
func (k *keyed) dataBytes(id uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id<<16|uint64(k.check16(id)))
	return b[:]
}

// encodeRS returns the rsTotal-byte code word for data.
func (k *keyed) encodeRS(data []byte) []byte {
	out := make([]byte, rsTotal)
	err := k.fec.Encode(data, func(s infectious.Share) { out[s.Number] = s.Data[0] })
	if err != nil {
		panic("sluice: RS encode: " + err.Error()) // fixed sizes; cannot happen
	}
	return out
}

// tileSigns returns the ±1 sign embedded in every tile slot for id.
func (k *keyed) tileSigns(id uint64) [tileSlots]int8 {
	code := k.encodeRS(k.dataBytes(id))
	var s [tileSlots]int8
	for i := 0; i < codeBits; i++ {
		bit := code[i/8] >> (7 - uint(i%8)) & 1
		s[k.codePos[i]] = int8(1-2*int(bit)) * k.scramble[k.codePos[i]]
	}
	for i := 0; i < syncBits; i++ {
		s[k.syncPos[i]] = k.syncSign[i] * k.scramble[k.syncPos[i]]
	}
	return s
}

// decodeRS corrects a received code word; erase lists byte positions to
// ignore. It re-encodes and counts disagreements so that a word beyond the
// code's capacity fails instead of yielding a wrong answer.
func (k *keyed) decodeRS(recv []byte, erase []int) (data []byte, errs int, err error) {
	skip := map[int]bool{}
	for _, e := range erase {
		skip[e] = true
	}
	shares := make([]infectious.Share, 0, rsTotal)
	for i := 0; i < rsTotal; i++ {
		if !skip[i] {
			shares = append(shares, infectious.Share{Number: i, Data: []byte{recv[i]}})
		}
	}
	capacity := (len(shares) - rsData) / 2
	if capacity < 0 {
		return nil, 0, errTooManyErrors
	}
	data, err = k.fec.Decode(nil, shares)
	if err != nil {
		return nil, 0, errTooManyErrors
	}
	code := k.encodeRS(data)
	for i := 0; i < rsTotal; i++ {
		if !skip[i] && code[i] != recv[i] {
			errs++
		}
	}
	if errs > capacity {
		return nil, 0, errTooManyErrors
	}
	return data, errs, nil
}

// decodeSoft turns soft slot values (positive = sign +1) of an aligned tile
// into a mark id. It tries hard decisions first, then erases the least
// reliable bytes (up to maxErase of them). ok is false unless the RS word
// and the keyed check agree.
func (k *keyed) decodeSoft(cells *[tileSlots]float64, maxErase int) (id uint64, errs int, ok bool) {
	recv := make([]byte, rsTotal)
	rel := make([]float64, rsTotal)
	for i := range rel {
		rel[i] = 1e300
	}
	blank := 0
	for i := 0; i < codeBits; i++ {
		v := cells[k.codePos[i]] * float64(k.scramble[k.codePos[i]])
		if v == 0 {
			blank++
		}
		if v < 0 {
			recv[i/8] |= 1 << (7 - uint(i%8))
		}
		if a := abs(v); a < rel[i/8] {
			rel[i/8] = a
		}
	}
	// Cells that no window moved (flat or binary pictures: a black
	// silhouette on white) read as 0 bits, and the all-zero word is a
	// code word: such a tile carries nothing to decode (a horse
	// silhouette gave ~700 code words that passed Reed-Solomon in one
	// search, all the same).
	if blank > codeBits/8 {
		return 0, 0, false
	}
	order := make([]int, rsTotal)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return rel[order[a]] < rel[order[b]] })
	// Each erasure retry raises the chance that noise decodes to a valid
	// word (4.2e-7 with none, 2.1e-5 with 2, 4.6e-6 with 3 but 1e-3 with
	// 4); with at most 3 it stays under 3e-5 per candidate, 4e-10 with the
	// 16-bit check, so the 32 candidates of each of the ~10 frames a
	// search tries keep a false trace under 2e-7 per file.
	for ne := 0; ne <= maxErase; ne++ {
		data, e, err := k.decodeRS(recv, order[:ne])
		if err != nil {
			continue
		}
		v := binary.BigEndian.Uint64(data)
		cand := v >> 16
		if cand == 0 {
			continue // never issued (store.NewMarkID skips it): the all-zero word
		}
		if uint16(v) == k.check16(cand) {
			return cand, e + ne, true
		}
		rsNearMisses.Add(1)
	}
	return 0, 0, false
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
