package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The modes, in table order.
const (
	direct = iota
	floor
	sluice
	mitm
	nModes
)

// results holds every sample: [workload][round][mode]; a mode that was skipped has no sample (ok false).
type results [][][nModes]*sample

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// values returns f of mode m's sample in every round that has one.
func (r results) values(w, m int, f func(*sample) float64) []float64 {
	var out []float64
	for _, round := range r[w] {
		if s := round[m]; s != nil {
			out = append(out, f(s))
		}
	}
	return out
}

// ratios returns, round by round, a over b as a speed ratio (higher = a faster): value a/b, or b/a for
// times. With rss, it is a memory ratio (a's peak RSS over b's).
func (r results) ratios(w workload, wi, a, b int, rss bool) []float64 {
	var out []float64
	for _, round := range r[wi] {
		sa, sb := round[a], round[b]
		switch {
		case sa == nil || sb == nil:
		case rss:
			out = append(out, float64(sa.rss)/float64(sb.rss))
		case w.lower:
			out = append(out, sb.value/sa.value)
		default:
			out = append(out, sa.value/sb.value)
		}
	}
	return out
}

// cpuRatios returns, round by round, a's CPU per request over b's: the figure least moved by other load.
func (r results) cpuRatios(w, a, b int) []float64 {
	var out []float64
	for _, round := range r[w] {
		if sa, sb := round[a], round[b]; sa != nil && sb != nil && sb.cpu > 0 {
			out = append(out, float64(sa.cpu)/float64(sa.reqs)/(float64(sb.cpu)/float64(sb.reqs)))
		}
	}
	return out
}

// cpuCell is the median proxy CPU per request (or per GB uploaded) over the rounds.
func (r results) cpuCell(w workload, wi, m int) string {
	per := r.values(wi, m, func(s *sample) float64 {
		if w.perGB {
			return s.cpu.Seconds() / (float64(s.bytes) / 1e9)
		}
		return float64(s.cpu) / float64(s.reqs)
	})
	if len(per) == 0 {
		return "—"
	}
	if w.perGB {
		return fmt.Sprintf("%.1f s/GB", median(per))
	}
	return fmtDur(time.Duration(median(per)))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	}
}

func fmtVal(v float64, unit string) string {
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	if v < 100 && unit != "req/s" {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func target(got []float64, min float64) string {
	if min == 0 {
		return ""
	}
	if len(got) == 0 {
		return fmt.Sprintf("≥%g ?", min)
	}
	if median(got) >= min {
		return fmt.Sprintf("≥%g ok", min)
	}
	return fmt.Sprintf("≥%g MISS", min)
}

func ratioCell(v []float64) string {
	if len(v) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", median(v))
}

// table prints the side-by-side table: medians over the rounds, same-round ratios, the targets.
func (r results) table(out io.Writer, ws []workload, names [nModes]string) {
	head := []string{"workload", "unit", names[direct], names[floor], names[sluice], names[mitm], "S÷floor", "target", "S÷direct", "S÷mitm", "target",
		"CPU " + names[floor], "CPU " + names[sluice], "CPU " + names[mitm], "CPU S÷floor"}
	rows := [][]string{head}
	for wi, w := range ws {
		row := []string{w.name, w.unit}
		for m := range nModes {
			v := r.values(wi, m, func(s *sample) float64 { return s.value })
			row = append(row, cell(v, w.unit))
		}
		sf, sm := r.ratios(w, wi, sluice, floor, false), r.ratios(w, wi, sluice, mitm, false)
		row = append(row, ratioCell(sf), target(sf, w.floor), ratioCell(r.ratios(w, wi, sluice, direct, false)), ratioCell(sm), target(sm, w.mitm))
		for _, m := range []int{floor, sluice, mitm} {
			row = append(row, r.cpuCell(w, wi, m))
		}
		row = append(row, ratioCell(r.cpuRatios(wi, sluice, floor)))
		rows = append(rows, row)
		if w.heldRow {
			row = []string{"  held before the site sees it", "s"}
			for m := range nModes {
				row = append(row, cell(r.values(wi, m, func(s *sample) float64 { return s.held.Seconds() }), "s"))
			}
			rows = append(rows, append(row, "", "", "", "", "", "", "", "", ""))
		}
		if !w.rssRow {
			continue
		}
		row = []string{"  peak proxy RSS (max of rounds)", "MB", "—"}
		for _, m := range []int{floor, sluice, mitm} {
			v := r.values(wi, m, func(s *sample) float64 { return float64(s.rss) / (1 << 20) })
			row = append(row, "—")
			if len(v) > 0 {
				row[len(row)-1] = fmt.Sprintf("%.0f", slices.Max(v))
			}
		}
		tgt := ""
		if v := r.values(wi, sluice, func(s *sample) float64 { return float64(s.rss) / (1 << 20) }); w.rssMB > 0 && len(v) > 0 {
			tgt = fmt.Sprintf("S<%d MB ", w.rssMB) + map[bool]string{true: "ok", false: "MISS"}[slices.Max(v) < float64(w.rssMB)]
		}
		row = append(row, ratioCell(r.ratios(w, wi, sluice, floor, true)), tgt, "—", ratioCell(r.ratios(w, wi, sluice, mitm, true)), "", "", "", "", "")
		rows = append(rows, row)
	}
	widths := make([]int, len(head))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for ri, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i < 2 || i == 7 || i == 10 {
				b.WriteString(c + pad) // text: left-aligned
			} else {
				b.WriteString(pad + c)
			}
			b.WriteString("  ")
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
		if ri == 0 {
			fmt.Fprintln(out, strings.Repeat("-", len([]rune(strings.TrimRight(b.String(), " ")))))
		}
	}
}

func cell(v []float64, unit string) string {
	if len(v) == 0 {
		return "—"
	}
	return fmtVal(median(v), unit)
}

// spread prints every round's same-round ratios, so the medians' stability can be judged.
func (r results) spread(out io.Writer, ws []workload) {
	fmt.Fprintln(out, "Same-round speed ratios, round by round (Sluice÷floor | Sluice÷direct | Sluice÷mitmproxy):")
	for wi, w := range ws {
		var parts []string
		for _, b := range []int{floor, direct, mitm} {
			var s []string
			for _, v := range r.ratios(w, wi, sluice, b, false) {
				s = append(s, fmt.Sprintf("%.2f", v))
			}
			parts = append(parts, strings.Join(s, " "))
		}
		fmt.Fprintf(out, "  %-32s %s\n", w.name, strings.Join(parts, " | "))
	}
}

// rssTable prints each proxy's RSS at the start of each workload and its peak during it (max over rounds).
func (r results) rssTable(out io.Writer, ws []workload, names [nModes]string) {
	fmt.Fprintf(out, "Proxy RSS during each workload, MB, at its start → peak (max over rounds; VmHWM reset at the start, VmRSS sampled every 20 ms):\n")
	fmt.Fprintf(out, "  %-32s %12s %12s %12s\n", "", names[floor], names[sluice], names[mitm])
	for wi, w := range ws {
		fmt.Fprintf(out, "  %-32s", w.name)
		for _, m := range []int{floor, sluice, mitm} {
			peak := r.values(wi, m, func(s *sample) float64 { return float64(s.rss) / (1 << 20) })
			start := r.values(wi, m, func(s *sample) float64 { return float64(s.rssStart) / (1 << 20) })
			if len(peak) == 0 {
				fmt.Fprintf(out, " %12s", "—")
			} else {
				fmt.Fprintf(out, " %12s", fmt.Sprintf("%.0f → %.0f", slices.Max(start), slices.Max(peak)))
			}
		}
		fmt.Fprintln(out)
	}
}

// percentile returns the p-th percentile (0..1) of d, which it sorts.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

// latencyTable prints, for the page loads, each request's time p50/p99 per mode and what Sluice added to
// them over direct and over the floor (median of the same-round differences), against issue #10's targets.
func (r results) latencyTable(out io.Writer, ws []workload, names [nModes]string) {
	fmt.Fprintln(out, "Page loads, each request's own time (p50 / p99, median over rounds) and what Sluice added in the same round:")
	fmt.Fprintf(out, "  %-24s %16s %16s %16s %16s %20s %20s %s\n", "", names[direct], names[floor], names[sluice], names[mitm],
		"Sluice added, direct", "Sluice added, floor", "target (#10)")
	for wi, w := range ws {
		if !w.latency {
			continue
		}
		fmt.Fprintf(out, "  %-24s", w.name)
		for m := range nModes {
			p50 := r.values(wi, m, func(s *sample) float64 { return float64(percentile(s.each, 0.5)) })
			p99 := r.values(wi, m, func(s *sample) float64 { return float64(percentile(s.each, 0.99)) })
			if len(p50) == 0 {
				fmt.Fprintf(out, " %16s", "—")
				continue
			}
			fmt.Fprintf(out, " %16s", fmtDur(time.Duration(median(p50)))+" / "+fmtDur(time.Duration(median(p99))))
		}
		var added99 []float64
		for _, base := range []int{direct, floor} {
			var d50, d99 []float64
			for _, round := range r[wi] {
				if s, b := round[sluice], round[base]; s != nil && b != nil {
					d50 = append(d50, float64(percentile(s.each, 0.5)-percentile(b.each, 0.5)))
					d99 = append(d99, float64(percentile(s.each, 0.99)-percentile(b.each, 0.99)))
				}
			}
			if base == direct {
				added99 = d99
			}
			if len(d50) == 0 {
				fmt.Fprintf(out, " %20s", "—")
				continue
			}
			fmt.Fprintf(out, " %20s", signed(time.Duration(median(d50)))+" / "+signed(time.Duration(median(d99))))
		}
		page := r.ratios(w, wi, sluice, direct, false)
		verdict := "—"
		if len(page) > 0 && len(added99) > 0 {
			verdict = fmt.Sprintf("page ≥ 0.8 direct %s, p99 added < 2 ms %s",
				map[bool]string{true: "ok", false: "MISS"}[median(page) >= 0.8], map[bool]string{true: "ok", false: "MISS"}[median(added99) < float64(2*time.Millisecond)])
		}
		fmt.Fprintf(out, " %s\n", verdict)
	}
}

// signed formats a difference of times with its sign.
func signed(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}
