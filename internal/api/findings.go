package api

import (
	"strconv"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
)

// The audit record keeps each file's findings as short codes ("phone×60", "uninspectable×1 (why)");
// people read them as words ("手机号 60 个", "60 mobile numbers"). These helpers turn one into the other
// for every screen: the block page, the refusal JSON, the extension and the console.

// FindingText renders one stored finding code in lang; a string that is not a finding code (a reason
// kept beside the findings of a request) comes back unchanged.
func FindingText(code string, lang l10n.Lang) string {
	kind, n, detail, ok := ParseFinding(code)
	if !ok {
		return code
	}
	s := inspect.CountText(kind, n, lang)
	if detail != "" {
		s += lang.Pick("（"+inspect.DetailZH(detail)+"）", " ("+detail+")")
	}
	return s
}

// FindingTexts renders a list of stored finding codes in lang, in order.
func FindingTexts(codes []string, lang l10n.Lang) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if t := FindingText(c, lang); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// FindingsLine joins the words of a file's findings into one line: "手机号 60 个、联系人记录 60 条".
func FindingsLine(codes []string, lang l10n.Lang) string {
	return strings.Join(FindingTexts(codes, lang), lang.Pick("、", ", "))
}

// ParseFinding splits a stored finding code "kind×N" or "kind×N (detail)" into its parts.
func ParseFinding(code string) (kind string, n int, detail string, ok bool) {
	kind, rest, found := strings.Cut(code, "×")
	if !found || kind == "" || strings.ContainsAny(kind, " \t（(：:") {
		return "", 0, "", false
	}
	num := rest
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		num, detail = rest[:i], strings.TrimSpace(rest[i+1:])
		if !strings.HasPrefix(detail, "(") || !strings.HasSuffix(detail, ")") {
			return "", 0, "", false
		}
		detail = strings.TrimSpace(detail[1 : len(detail)-1])
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return "", 0, "", false
	}
	return kind, n, detail, true
}

// MessageLabel names an upload's text fields (a chat message, a mail body, a form's fields) for people.
func MessageLabel(lang l10n.Lang) string { return lang.Pick("消息正文", "message text") }

// FileLabel names a file record for people: its name, or, for an upload's text fields (recorded as
// "(message)"), the words for them.
func FileLabel(f store.FileRecord, lang l10n.Lang) string {
	if f.Kind == store.FileKindMessage {
		return MessageLabel(lang)
	}
	return f.Name
}

// FileFindingsLine says what one file held: "华东客户名单.csv：手机号 60 个、联系人记录 60 条".
func FileFindingsLine(label string, codes []string, lang l10n.Lang) string {
	return label + lang.Pick("：", ": ") + FindingsLine(codes, lang)
}

// RecordFindings says, file by file, what an event's files held (files without findings are left out).
func RecordFindings(fs []store.FileRecord, lang l10n.Lang) []string {
	var out []string
	for _, f := range fs {
		if len(f.Findings) > 0 {
			out = append(out, FileFindingsLine(FileLabel(f, lang), f.Findings, lang))
		}
	}
	return out
}

// FileWords is one file of an audit event as the extension and other API clients show it: the
// findings already in words, in the caller's language.
type FileWords struct {
	Name     string   `json:"name"`
	Type     string   `json:"type,omitempty"`
	Size     int64    `json:"size"`
	Message  bool     `json:"message,omitempty"` // the upload's text fields, not a file
	Findings []string `json:"findings"`
}

// FilesInWords shows an event's files with their findings in words.
func FilesInWords(fs []store.FileRecord, lang l10n.Lang) []FileWords {
	out := make([]FileWords, 0, len(fs))
	for _, f := range fs {
		out = append(out, FileWords{Name: FileLabel(f, lang), Type: f.Type, Size: f.Size,
			Message: f.Kind == store.FileKindMessage, Findings: FindingTexts(f.Findings, lang)})
	}
	return out
}

// RequestFindings says what a request's files held, file by file, then the reasons kept beside them.
func RequestFindings(r *store.Request, lang l10n.Lang) []string {
	out := RecordFindings(r.Files, lang)
	for _, s := range r.FindingsSummary {
		if _, _, _, code := ParseFinding(s); !code {
			out = append(out, s)
		}
	}
	return out
}
