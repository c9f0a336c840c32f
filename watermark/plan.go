package watermark

import (
	"container/heap"
	"image"
	"math"
)

// The planner of the informed embedding (see informed.go for what a block
// costs and what the detector makes of it).

// syncWeight is how much stronger than a code slot a sync slot is made:
// the decoder aligns the tile by the sync slots alone.
const syncWeight = 2.0

// A code slot that the host works against so hard that it has taken
// giveUpShare fair shares of the budget and is still wrong gets its whole
// code byte given up (its slots keep the base layer): Reed-Solomon
// corrects up to 4 wrong bytes, and spending the budget on such a slot
// starves every other one (a high-contrast facade at 480 px had 16 wrong
// bits of 144 with the budget poured into one hopeless slot, 0 after).
// At most maxLostBytes are given up, so 2 wrong bytes stay for attacks.
const (
	giveUpShare  = 3.0
	maxLostBytes = 2
)

// slotState tracks one tile slot during planning.
type slotState struct {
	slot   int
	blocks []int
	score  float64 // Σ sign·z over its blocks
	noise  float64 // attack noise on the score
	spent  float64 // cost of its steps above the base layer
	idx    int     // heap index, -1 when not in the heap
}

type slotHeap []*slotState

func (h slotHeap) Len() int { return len(h) }
func (h slotHeap) Less(i, j int) bool {
	return h[i].score/h[i].noise < h[j].score/h[j].noise
}
func (h slotHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].idx = i; h[j].idx = j }
func (h *slotHeap) Push(x any)   { s := x.(*slotState); s.idx = len(*h); *h = append(*h, s) }
func (h *slotHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	s.idx = -1
	return s
}

// slotBytes maps every tile slot to the code byte its bit is in (-1: sync).
func (k *keyed) slotBytes() (b [tileSlots]int) {
	for i := range b {
		b[i] = -1
	}
	for bit, p := range k.codePos {
		b[p] = bit / 8
	}
	return b
}

// planQuality is how well a plan carries the payload.
type planQuality struct {
	// atRisk counts the code bytes with a slot under strongSNR, given-up
	// bytes twice (they are wrong, a weak one probably is not), plus one
	// per sync slot under strongSNR.
	atRisk int
	// weakest is the weakest slot's score over its attack noise, bytes
	// given up excluded.
	weakest float64
}

// better reports whether q is the better of two plans: fewer bytes at
// risk (Reed-Solomon corrects 4), then the stronger weakest slot.
func (q planQuality) better(o planQuality) bool {
	if q.atRisk != o.atRisk {
		return q.atRisk < o.atRisk
	}
	return q.weakest > o.weakest
}

// planInformed returns each block's pattern amplitude (projection units,
// ≥ 0, applied with the slot's sign) and shift so that the weakest slot
// is as strong as possible for a total cost of at most budget, and the
// plan's quality. When a pass gives up bytes, the plan is made again
// without spending on them from the start.
func planInformed(img *image.NRGBA, hs []blockHost, k *keyed, nbx, u int, budget float64) (d, sh []float64, q planQuality) {
	var lost [rsTotal]bool
	d, sh, q, gaveUp := planPass(img, hs, k, nbx, u, budget, lost)
	if len(gaveUp) == 0 {
		return d, sh, q
	}
	for _, b := range gaveUp {
		lost[b] = true
	}
	d, sh, q, _ = planPass(img, hs, k, nbx, u, budget, lost)
	return d, sh, q
}

// planPass is one greedy plan with the bytes in lost given up from the
// start; it returns the bytes it gave up on the way.
func planPass(img *image.NRGBA, hs []blockHost, k *keyed, nbx, u int, budget float64, lost [rsTotal]bool) (d, sh []float64, q planQuality, gaveUp []int) {
	ps := make([]blockPlan, len(hs))
	slots := make([]*slotState, tileSlots)
	for i := range slots {
		slots[i] = &slotState{slot: i, idx: -1}
	}
	// The base layer takes at most a quarter of the budget.
	e := 0.0
	for i := range hs {
		e += float64(3*u*u) * hs[i].mask * hs[i].mask
	}
	base := informedBase
	if base*base*e > budget/4 {
		base = math.Sqrt(budget / 4 / e)
	}
	// step evaluates block i at amplitude nd with the cheaper of clipping
	// and the anti-clip shift (by soft value gained per cost).
	step := func(i int, nd float64) (nz, nc, nsh float64, ok bool) {
		b := &hs[i]
		bx, by := i%nbx, i/nbx
		z0, c0 := ps[i].z, ps[i].cost
		best := math.Inf(-1)
		for _, shift := range [2]bool{false, true} {
			s := 0.0
			if shift {
				var fits bool
				if s, fits = b.shiftFor(k, b.sign*nd); !fits || s == 0 {
					continue
				}
			}
			z, c := evalBlock(img, k, b, bx, by, u, nd, s)
			g := (z - z0) / math.Max(c-c0, 1e-9)
			if g > best {
				best, nz, nc, nsh, ok = g, z, c, s, true
			}
		}
		return
	}
	refresh := func(i int) {
		p := &ps[i]
		p.next = false
		if nd := p.d + informedStep; nd <= informedCap*hs[i].mask {
			p.nz, p.ncost, p.nsh, p.next = step(i, nd)
			p.nd = nd
		}
	}
	spent := 0.0
	for i := range hs {
		b := &hs[i]
		ps[i].z, ps[i].cost = evalBlock(img, k, b, i%nbx, i/nbx, u, 0, 0)
		if z, c, s, ok := step(i, base*b.mask); ok {
			ps[i].d, ps[i].sh, ps[i].z, ps[i].cost = base*b.mask, s, z, c
		}
		spent += ps[i].cost
		s := slots[b.slot]
		s.blocks = append(s.blocks, i)
		s.score += ps[i].z
		w := math.Sqrt(b.r+b.p*b.p/64) + softFloor
		s.noise += math.Min(1, attackNoise*attackNoise/(w*w))
	}
	d, sh = make([]float64, len(hs)), make([]float64, len(hs))
	if spent > budget {
		f := math.Sqrt(budget / spent)
		for i := range ps {
			d[i], sh[i] = ps[i].d*f, ps[i].sh*f
		}
		return d, sh, planQuality{atRisk: tileSlots, weakest: math.Inf(-1)}, nil
	}
	for i := range hs {
		refresh(i)
	}
	byteOf := k.slotBytes()
	isLost := func(s *slotState) bool { return byteOf[s.slot] >= 0 && lost[byteOf[s.slot]] }
	var h slotHeap
	carried := 0
	for _, s := range slots {
		if len(s.blocks) == 0 {
			continue
		}
		s.noise = math.Sqrt(s.noise)
		if byteOf[s.slot] < 0 {
			s.noise *= syncWeight
		}
		if !isLost(s) {
			heap.Push(&h, s)
			carried++
		}
	}
	nLost := 0
	for _, l := range lost {
		if l {
			nLost++
		}
	}
	fair := (budget - spent) / float64(max(carried, 1))
	for h.Len() > 0 && spent < budget {
		s := h[0]
		if b := byteOf[s.slot]; b >= 0 && s.score < 0 && s.spent > giveUpShare*fair && nLost < maxLostBytes {
			// Give the byte up: none of its slots gets more.
			lost[b] = true
			nLost++
			gaveUp = append(gaveUp, b)
			for _, o := range slots {
				if byteOf[o.slot] == b && o.idx >= 0 {
					heap.Remove(&h, o.idx)
				}
			}
			continue
		}
		best, bestGain := -1, 0.0
		for _, i := range s.blocks {
			p := &ps[i]
			if !p.next || p.ncost <= p.cost && p.nz <= p.z {
				continue
			}
			g := (p.nz - p.z) * hs[i].mask / math.Max(p.ncost-p.cost, 1e-9)
			if g > bestGain {
				best, bestGain = i, g
			}
		}
		if best < 0 {
			heap.Pop(&h) // nothing left to gain in this slot
			continue
		}
		p := &ps[best]
		spent += p.ncost - p.cost
		s.spent += p.ncost - p.cost
		s.score += p.nz - p.z
		p.d, p.sh, p.z, p.cost = p.nd, p.nsh, p.nz, p.ncost
		refresh(best)
		heap.Fix(&h, 0)
	}
	for i := range ps {
		d[i], sh[i] = ps[i].d, ps[i].sh
	}
	q.weakest = math.Inf(1)
	var risky [rsTotal]int
	for _, s := range slots {
		if len(s.blocks) == 0 {
			continue
		}
		n := s.noise
		if byteOf[s.slot] < 0 {
			n /= syncWeight
		}
		z := s.score / n
		switch b := byteOf[s.slot]; {
		case b < 0 && z < strongSNR:
			q.atRisk++
		case b >= 0 && lost[b]:
			risky[b] = 2
		case b >= 0 && z < strongSNR:
			risky[b] = max(risky[b], 1)
		}
		if !isLost(s) {
			q.weakest = math.Min(q.weakest, z)
		}
	}
	for _, r := range risky {
		q.atRisk += r
	}
	return d, sh, q, gaveUp
}
