package feed

import (
	"bytes"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xmlEntities are the only named entities XML defines without a DTD.
var xmlEntities = map[string]bool{"amp": true, "lt": true, "gt": true, "quot": true, "apos": true}

// sanitizeXML repairs the invalid XML that real feeds carry, outside CDATA
// sections: characters XML forbids (C0 controls, U+FFFE/U+FFFF, invalid UTF-8)
// are dropped; HTML named entities (&nbsp;, &eacute;, …) become numeric
// character references; unknown entities and bare ampersands are escaped;
// numeric references to forbidden characters are dropped. Inside CDATA only
// forbidden characters are dropped. The input must be UTF-8.
func sanitizeXML(in []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(in) + len(in)/64)
	const cdataOpen, cdataClose = "<![CDATA[", "]]>"
	for len(in) > 0 {
		i := bytes.IndexAny(in, "&<")
		if i < 0 {
			writeChars(&out, in)
			break
		}
		writeChars(&out, in[:i])
		in = in[i:]
		if in[0] == '<' {
			if bytes.HasPrefix(in, []byte(cdataOpen)) {
				end := bytes.Index(in, []byte(cdataClose))
				if end < 0 {
					end = len(in)
				} else {
					end += len(cdataClose)
				}
				writeChars(&out, in[:end])
				in = in[end:]
				continue
			}
			out.WriteByte('<')
			in = in[1:]
			continue
		}
		n, repl := entity(in)
		out.WriteString(repl)
		in = in[n:]
	}
	return out.Bytes()
}

// entity reads the reference at the start of in (which begins with '&') and
// returns how many bytes it used and what to write instead.
func entity(in []byte) (int, string) {
	end := bytes.IndexByte(in[:min(len(in), 40)], ';')
	if end < 2 {
		return 1, "&amp;"
	}
	name := string(in[1:end])
	if name[0] == '#' {
		var r int64
		var err error
		if len(name) > 1 && (name[1] == 'x' || name[1] == 'X') {
			r, err = strconv.ParseInt(name[2:], 16, 32)
		} else {
			r, err = strconv.ParseInt(name[1:], 10, 32)
		}
		if err != nil {
			return 1, "&amp;"
		}
		if !xmlChar(rune(r)) {
			return end + 1, ""
		}
		return end + 1, string(in[:end+1])
	}
	if !validName(name) {
		return 1, "&amp;"
	}
	if xmlEntities[name] {
		return end + 1, string(in[:end+1])
	}
	ref := "&" + name + ";"
	if dec := html.UnescapeString(ref); dec != ref {
		var b strings.Builder
		for _, r := range dec {
			b.WriteString("&#")
			b.WriteString(strconv.Itoa(int(r)))
			b.WriteByte(';')
		}
		return end + 1, b.String()
	}
	return 1, "&amp;"
}

func validName(s string) bool {
	for i, r := range s {
		alpha := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !(alpha || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// writeChars copies s, dropping characters XML forbids and invalid UTF-8.
func writeChars(out *bytes.Buffer, s []byte) {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n <= 1 || !xmlChar(r) {
			s = s[max(n, 1):]
			continue
		}
		out.Write(s[:n])
		s = s[n:]
	}
}
