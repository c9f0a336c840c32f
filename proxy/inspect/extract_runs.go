package inspect

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// runsWindow is how much of an unknown part is looked at at a time; runsMin the shortest run kept;
// runsCarry the most of a run cut by a window's end that waits for the next window (a longer run is
// judged in pieces, cut at its last line break).
const (
	runsWindow = 1 << 20
	runsMin    = 16
	runsCarry  = 64 << 10
)

// printableRuns reads a part of unknown type for the text it carries anyway: a slice of a CSV behind a
// few hundred bytes of binary header, strings in an unknown container. It emits the runs of printable
// UTF-8 or GB18030 text, and of UTF-16 text when the part has the zero bytes UTF-16 brings, so that
// some binary in front of text does not blind the detectors. It reports how many runs it found. Memory
// stays at one window whatever the part's size.
func (w *walker) printableRuns(n node) (int, error) {
	found := 0
	limit := min(n.size, w.b.lim.MaxTotal)
	buf := make([]byte, runsCarry+min(runsWindow, limit))
	carry := 0 // bytes of a cut run at the front of buf
	for off := int64(0); off < limit; {
		k, err := n.r.ReadAt(buf[carry:carry+int(min(int64(len(buf)-carry), limit-off))], off)
		if k == 0 && err != nil {
			break
		}
		blankNoise(buf[carry : carry+k])
		win := buf[:carry+k]
		start := off - int64(carry)
		last := off+int64(k) >= limit
		runs, tail := byteRuns(win, last)
		if tail > runsCarry/2 { // a long run: judge it up to its last line break now
			cut := len(win) - tail
			if nl := bytes.LastIndexByte(win[cut:], '\n'); nl > 0 {
				if s, ok := decodeRun(win[cut : cut+nl]); ok {
					runs = append(runs, textRun{off: cut, text: s})
				}
				tail -= nl + 1
			} else { // one line longer than the carry (CR-only line ends, one huge line): judged in pieces
				piece := win[cut : len(win)-pieceCut(win[cut:])]
				if s, ok := decodeRun(piece); ok {
					runs = append(runs, textRun{off: cut, text: s})
				}
				tail -= len(piece)
			}
		}
		for _, r := range runs {
			found++
			if err := w.emitLines(n, "bytes "+strconv.FormatInt(start+int64(r.off), 10), r.text); err != nil {
				return found, err
			}
		}
		fresh := win[carry:]
		if bytes.Count(fresh, []byte{0}) > len(fresh)/10 { // UTF-16 text has a zero in every ASCII character
			for align := range 2 {
				for _, s := range utf16Runs(fresh[min(align, len(fresh)):], runsMin/2, nil) {
					if utf16Plausible(s) {
						found++
						if err := w.emitLines(n, "utf-16 bytes "+strconv.FormatInt(off, 10), s); err != nil {
							return found, err
						}
					}
				}
			}
		}
		if err := w.b.check(); err != nil {
			return found, err
		}
		off += int64(k)
		carry = copy(buf, win[len(win)-tail:])
		if err == io.EOF {
			break
		}
	}
	return found, nil
}

// pieceCut says how many bytes at the end of run to keep for the next window when a run with no line break
// is judged in pieces: those after its last ASCII byte (so no character is cut in two, whatever the
// encoding), or after its last UTF-8 character start when it has no ASCII.
func pieceCut(run []byte) int {
	for i := len(run) - 1; i > 0 && len(run)-i < 256; i-- {
		if run[i] < 0x80 {
			return len(run) - i - 1
		}
	}
	for i := len(run) - 1; i > 0 && len(run)-i < 8; i-- {
		if utf8.RuneStart(run[i]) {
			return len(run) - i
		}
	}
	return 0
}

// noiseBlock and noiseEntropy: a block whose bytes are spread this evenly (compressed or encrypted data;
// random 4 KiB blocks measure about 7.95 bits per byte) holds no text worth reading, and a block with a
// few hundred bytes of text in it measures well below.
const (
	noiseBlock   = 4 << 10
	noiseEntropy = 7.9
)

// blankNoise overwrites the blocks of b that measure as noise with a byte that is not text, so the run
// scan passes over them at once (the scan reads a copy; the part itself is untouched).
func blankNoise(b []byte) {
	var hist [256]int
	for i := 0; i+noiseBlock <= len(b); i += noiseBlock {
		blk := b[i : i+noiseBlock]
		clear(hist[:])
		for _, c := range blk {
			hist[c]++
		}
		h := 0.0
		for _, n := range hist {
			if n > 0 {
				p := float64(n) / noiseBlock
				h -= p * math.Log2(p)
			}
		}
		if h > noiseEntropy {
			for j := range blk {
				blk[j] = 0x01
			}
		}
	}
}

// emitLines emits text one line at a time (a CSV slice keeps one row per segment).
func (w *walker) emitLines(n node, loc, text string) error {
	for i, line := range strings.Split(text, "\n") {
		if err := w.emit(n, loc+" line "+strconv.Itoa(i+1), strings.TrimRight(line, "\r")); err != nil {
			return err
		}
	}
	return nil
}

type textRun struct {
	off  int
	text string
}

// byteRuns finds the runs of text bytes in b (printable ASCII, tab, CR, LF, and bytes ≥ 0x80 that decode
// as UTF-8 or GB18030). Unless last is set, a run touching the end is left out and its length returned as
// tail, to be continued by the next window.
func byteRuns(b []byte, last bool) (runs []textRun, tail int) {
	for i := 0; i < len(b); {
		if !textByte[b[i]] {
			i++
			continue
		}
		j := i
		for j < len(b) && textByte[b[j]] {
			j++
		}
		if j == len(b) && !last {
			return runs, j - i
		}
		if j-i >= runsMin {
			if s, ok := decodeRun(b[i:j]); ok {
				runs = append(runs, textRun{off: i, text: s})
			}
		}
		i = j
	}
	return runs, 0
}

// textByte marks the bytes a text run is made of: printable ASCII, tab, CR, LF, and every byte ≥ 0x80.
var textByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 0x20 && c != 0x7F || c == '\t' || c == '\n' || c == '\r'
	}
	return t
}()

// decodeRun decodes a run of text bytes: its valid UTF-8 stretches (binary bytes in front or between are
// dropped), else the whole run as GB18030 when it reads as GBK text; noise that is neither is dropped.
func decodeRun(b []byte) (string, bool) {
	if utf8.Valid(b) { // the common case of real text: one check, one string
		if wordyBytes(b) {
			return string(b), true
		}
		return "", false
	}
	var keep []string
	kept, start := 0, 0
	flush := func(end int) {
		if end-start >= runsMin && wordyBytes(b[start:end]) {
			keep = append(keep, string(b[start:end]))
			kept += end - start
		}
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			flush(i)
			i++
			start = i
			continue
		}
		i += n
	}
	flush(len(b))
	if kept*2 >= len(b) {
		return strings.Join(keep, "\n"), true
	}
	if len(b) >= 2*runsMin && gbPlausible(b) {
		return string(decodeHead(b, encGB18030)), true
	}
	return "", false
}

// gbPlausible reports whether bytes read as GBK text rather than noise: nearly every double-byte
// character is one of the 3,755 common hanzi (GB2312 level 1: lead 0xB0–0xD7, trail 0xA1–0xFE), as
// they are in real Chinese text; GB18030 decodes almost any bytes, so decoding alone proves nothing.
func gbPlausible(b []byte) bool {
	common, rare := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		if i+1 < len(b) && c >= 0xB0 && c <= 0xD7 && b[i+1] >= 0xA1 && b[i+1] <= 0xFE {
			common++
		} else {
			rare++
		}
		i++
	}
	return common >= 4 && common >= 9*rare
}

// utf16Plausible keeps UTF-16 runs that read as text: mostly ASCII, or CJK with digits or punctuation
// around (ASCII bytes misread as UTF-16 give ideographs only).
func utf16Plausible(s string) bool {
	var ascii, other int
	for _, r := range s {
		if r < 0x80 {
			ascii++
		} else {
			other++
		}
	}
	return ascii >= 4 && ascii*4 >= other
}

// wordyBytes reports whether UTF-8 text is made of what documents are made of — letters, digits,
// punctuation, spaces, CJK — rather than the odd symbols random bytes decode to.
func wordyBytes(b []byte) bool {
	good, all := 0, 0
	for i := 0; i < len(b); {
		r, n := rune(b[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(b[i:])
		}
		i += n
		all++
		switch {
		case r < 0x80 && r >= 0x20 || r == '\t' || r == '\n' || r == '\r':
			good++
		case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
			good++
		}
	}
	return good*10 >= all*9
}
