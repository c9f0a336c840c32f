package inspect

// Segment is one unit of extracted text: a spreadsheet row (cells joined by '\t'), a line
// of CSV/TXT, a paragraph of docx, a PDF text line, etc.
type Segment struct {
	Text     string // UTF-8
	Location string // human location: "Sheet1!R12", "page 3", "line 40", "word/document.xml ¶7", "a.zip/b.xlsx Sheet1!R3"
}

// Sink receives segments as they are extracted (streaming); return an error to stop.
type Sink interface {
	Segment(Segment) error
}
