package fetch

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/research-cli/research/internal/corpus"
)

// corpusDir is ../shared/corpus/<sub>, or the test skips when it is absent.
func corpusDir(t testing.TB, sub string) string {
	t.Helper()
	return corpus.Require(t, sub)
}

func TestToUTF8MinifluxCorpus(t *testing.T) {
	dir := corpusDir(t, filepath.Join("feeds", "miniflux", "encoding"))
	cases := []struct {
		file  string
		want  []string // strings the converted text must contain
		title string   // for XML: the feed title gofeed must read
	}{
		{file: "utf8.xml", want: []string{"Café", "테스트 피드"}, title: "테스트 피드"},
		{file: "utf8-incorrect-prolog.xml", want: []string{"Café", "테스트 피드"}, title: "테스트 피드"},
		{file: "invalid-prolog.xml", want: []string{"Café", "테스트 피드"}, title: "테스트 피드"},
		{file: "iso-8859-1.xml", want: []string{"Café", "Présentation"}, title: "Café"},
		{file: "koi8r.xml", want: []string{"Пример RSS ленты", "Тестовая лента в кодировке KOI8-R"}, title: "Пример RSS ленты"},
		{file: "windows-1252.xml", want: []string{"Euro €"}, title: "Euro €"},
		{file: "windows-1252-incorrect-prolog.xml", want: []string{"Euro €"}, title: "Euro €"},
		{file: "utf8.html", want: []string{"<title>Café</title>"}},
		{file: "iso-8859-1.html", want: []string{"<title>Frédéric</title>", "Café"}},
		{file: "utf8-meta-after-1024.html", want: []string{"Café"}},
		{file: "iso-8859-1-meta-after-1024.html", want: []string{"<title>Frédéric</title>", "Café"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tc.file))
			require.NoError(t, err)
			got, err := ToUTF8(raw, "") // no Content-Type: the document must speak for itself
			require.NoError(t, err)
			require.True(t, utf8.Valid(got))
			for _, w := range tc.want {
				assert.Contains(t, string(got), w)
			}
			if tc.title == "" {
				return
			}
			assert.Regexp(t, `^<\?xml version="1.0" encoding="(?i:utf-8)"\?>`, string(got))
			feed, err := gofeed.NewParser().ParseString(string(got))
			require.NoError(t, err)
			assert.Equal(t, tc.title, feed.Title)
		})
	}
}

func TestToUTF8(t *testing.T) {
	latin1 := func(s string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	utf16le := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	cases := []struct {
		name        string
		body        []byte
		contentType string
		want        string
	}{
		{"valid UTF-8 beats a Latin-1 header", []byte("Café"), "text/plain; charset=iso-8859-1", "Café"},
		{"Content-Type charset", latin1("Café"), "text/html; charset=ISO-8859-1", "Café"},
		{"Content-Type beats the prolog", append([]byte(`<?xml version="1.0" encoding="koi8-r"?>`), latin1("<a>é</a>")...), "text/xml; charset=latin1", `<?xml version="1.0" encoding="UTF-8"?><a>é</a>`},
		{"unknown Content-Type label falls through to the prolog", append([]byte(`<?xml version='1.0' encoding='ISO-8859-1'?>`), latin1("<a>é</a>")...), "text/xml; charset=bogus", `<?xml version='1.0' encoding='UTF-8'?><a>é</a>`},
		{"UTF-8 BOM stripped", append([]byte{0xEF, 0xBB, 0xBF}, "<a>é</a>"...), "", "<a>é</a>"},
		{"UTF-8 BOM with stray bytes", append([]byte{0xEF, 0xBB, 0xBF}, 'a', 0xff), "", "a\uFFFD"},
		{"UTF-16 BOM", utf16le(`<?xml version="1.0" encoding="UTF-16"?><a>é</a>`), "", `<?xml version="1.0" encoding="UTF-8"?><a>é</a>`},
		{"http-equiv meta", append([]byte(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">`), 0x80), "", `<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">€`},
		{"meta in the body is ignored", []byte("<html><body>" + strings.Repeat(" ", 1100) + "\xe9<meta charset=koi8-r>"), "", "<html><body>" + strings.Repeat(" ", 1100) + "é<meta charset=koi8-r>"},
		{"unlabelled Latin-1 guessed as windows-1252", latin1("naïve"), "", "naïve"},
		{"prolog without encoding untouched", []byte(`<?xml version="1.0"?><a/>`), "", `<?xml version="1.0"?><a/>`},
		{"empty", []byte{}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ToUTF8(tc.body, tc.contentType)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

func TestResponseUTF8(t *testing.T) {
	r := &Response{Body: []byte("Caf\xe9"), ContentType: "text/plain; charset=iso-8859-1"}
	got, err := r.UTF8()
	require.NoError(t, err)
	assert.Equal(t, "Café", string(got))
}

// FuzzToUTF8: any bytes under any content type give valid UTF-8 and no panic.
func FuzzToUTF8(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="koi8-r"?><rss>\xf0\xd2</rss>`), "")
	f.Add([]byte("<html><head><meta charset=shift_jis>\x82\xa0"), "text/html")
	f.Add([]byte("\xff\xfe<\x00a\x00"), "")
	f.Add([]byte("\xef\xbb\xbf<?xml version='1.0' encoding='latin1'?>\xe9"), "application/xml; charset=")
	f.Add([]byte("plain ascii"), "text/plain; charset=utf-16")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		got, err := ToUTF8(body, contentType)
		if err != nil {
			return
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 out of %q (%q)", body, contentType)
		}
		if utf8.Valid(body) && !bytes.HasPrefix(body, bomUTF8) && !bytes.HasPrefix(body, bomUTF16LE) && !bytes.HasPrefix(body, bomUTF16BE) {
			// Valid UTF-8 is kept; only an XML declaration's label may change.
			if !strings.Contains(string(got), "UTF-8") {
				assert.Equal(t, string(body), string(got))
			}
		}
	})
}
