package fetch

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// ToUTF8 returns body as UTF-8. It decides the encoding in this order:
//  1. a byte-order mark (UTF-8, UTF-16 LE/BE);
//  2. the bytes are valid UTF-8: kept as they are, whatever any label says
//     (mislabelled UTF-8 is far more common than Latin-1 that happens to
//     validate);
//  3. the charset parameter of contentType;
//  4. the encoding of an XML declaration (<?xml ... encoding="..."?>);
//  5. an HTML <meta charset> or <meta http-equiv="Content-Type">, looked for
//     in the whole <head>, not only its first 1024 bytes;
//  6. the WHATWG guess of golang.org/x/net/html/charset (windows-1252 for
//     Western text).
//
// When the document is XML, the declaration's encoding is rewritten to UTF-8
// so that an XML parser does not decode the converted text a second time.
// Labels that name no known encoding are skipped.
func ToUTF8(body []byte, contentType string) ([]byte, error) {
	out, err := decodeToUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	return fixXMLDeclaration(out), nil
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

func decodeToUTF8(body []byte, contentType string) ([]byte, error) {
	switch {
	case bytes.HasPrefix(body, bomUTF8):
		// The BOM is the strongest signal there is; stray bytes become U+FFFD.
		return bytes.ToValidUTF8(body[len(bomUTF8):], []byte("\uFFFD")), nil
	case bytes.HasPrefix(body, bomUTF16LE):
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le", body)
	case bytes.HasPrefix(body, bomUTF16BE):
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be", body)
	}
	if utf8.Valid(body) {
		return body, nil
	}
	for _, label := range []string{contentTypeCharset(contentType), xmlDeclEncoding(body), htmlMetaCharset(body)} {
		if label == "" {
			continue
		}
		if enc, name := charset.Lookup(label); enc != nil {
			return decodeWith(enc, name, body)
		}
	}
	enc, name, _ := charset.DetermineEncoding(body, "")
	return decodeWith(enc, name, body)
}

func decodeWith(enc encoding.Encoding, name string, body []byte) ([]byte, error) {
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	// Some decoders (UTF-8 itself, chosen by the last-resort guess) pass
	// invalid sequences through: the result is promised valid.
	return bytes.ToValidUTF8(bytes.TrimPrefix(out, bomUTF8), []byte("\uFFFD")), nil
}

func contentTypeCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// xmlDecl matches an XML declaration at the start of a document and captures
// the quoted encoding value (group 2) with what precedes it (group 1).
var xmlDecl = regexp.MustCompile(`^\s*<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']*)["']`)

func xmlDeclEncoding(body []byte) string {
	head := body
	if len(head) > 512 {
		head = head[:512]
	}
	if m := xmlDecl.FindSubmatch(head); m != nil {
		return string(m[2])
	}
	return ""
}

// fixXMLDeclaration rewrites the declared encoding of a UTF-8 XML document to
// UTF-8, leaving everything else byte for byte.
func fixXMLDeclaration(body []byte) []byte {
	head := body
	if len(head) > 512 {
		head = head[:512]
	}
	loc := xmlDecl.FindSubmatchIndex(head)
	if loc == nil {
		return body
	}
	valStart, valEnd := loc[4], loc[5]
	if strings.EqualFold(string(body[valStart:valEnd]), "utf-8") {
		return body
	}
	out := make([]byte, 0, len(body)+8)
	out = append(out, body[:valStart]...)
	out = append(out, "UTF-8"...)
	out = append(out, body[valEnd:]...)
	return out
}

// maxMetaScan bounds the search for a <meta> charset declaration.
const maxMetaScan = 64 << 10

// htmlMetaCharset finds the charset an HTML document declares in its head.
// Unlike the WHATWG prescan it is not limited to the first 1024 bytes, since
// real pages put long comments or scripts before the <meta>.
func htmlMetaCharset(body []byte) string {
	if len(body) > maxMetaScan {
		body = body[:maxMetaScan]
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return ""
			case "meta":
				var cs, httpEquiv, content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "charset":
						cs = string(v)
					case "http-equiv":
						httpEquiv = string(v)
					case "content":
						content = string(v)
					}
				}
				if cs = strings.TrimSpace(cs); cs != "" {
					return cs
				}
				if strings.EqualFold(httpEquiv, "content-type") {
					if cs := contentTypeCharset(content); cs != "" {
						return cs
					}
				}
			}
		}
	}
}
