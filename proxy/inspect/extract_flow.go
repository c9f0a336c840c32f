package inspect

import (
	"strconv"
	"strings"
)

// textFlow assembles word-processor text into segments, for docx/pptx and OpenDocument alike:
// each paragraph outside tables is one segment ("¶N"); each outermost table row is one segment
// with its cells joined by '\t' ("table T row R"); paragraphs inside a cell join with spaces.
type textFlow struct {
	w      *walker
	n      node
	prefix string // location prefix, e.g. "slide 3 "

	para, cell                    strings.Builder
	cells                         []string
	paraN, tableN, rowN, tblDepth int
}

func (f *textFlow) startTable() {
	if f.tblDepth++; f.tblDepth == 1 {
		f.tableN++
		f.rowN = 0
	}
}

func (f *textFlow) endTable() { f.tblDepth-- }

func (f *textFlow) startRow() {
	if f.tblDepth == 1 {
		f.cells = f.cells[:0]
	}
}

func (f *textFlow) startCell() {
	if f.tblDepth == 1 {
		f.cell.Reset()
	}
}

// endPara closes the current paragraph: into the table cell when inside a table, else as a segment.
func (f *textFlow) endPara() error {
	s := f.para.String()
	f.para.Reset()
	if f.tblDepth > 0 {
		if f.cell.Len() > 0 {
			f.cell.WriteByte(' ')
		}
		f.cell.WriteString(s)
		return nil
	}
	f.paraN++
	return f.w.emit(f.n, f.prefix+"¶"+strconv.Itoa(f.paraN), s)
}

func (f *textFlow) endCell() {
	if f.tblDepth == 1 {
		f.cells = append(f.cells, strings.TrimSpace(f.cell.String()))
		f.cell.Reset()
	}
}

// endRow emits an outermost table row as one segment.
func (f *textFlow) endRow() error {
	if f.tblDepth != 1 {
		return nil
	}
	f.rowN++
	loc := f.prefix + "table " + strconv.Itoa(f.tableN) + " row " + strconv.Itoa(f.rowN)
	return f.w.emit(f.n, loc, strings.TrimRight(strings.Join(f.cells, "\t"), "\t"))
}
