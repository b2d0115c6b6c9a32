package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenize(t *testing.T) {
	an := NewAnalyzer()
	type want struct {
		surface string
		flags   uint8
	}
	cases := []struct {
		name string
		in   string
		want []want
	}{
		{"stop words and break after punctuation", "The cat, ran.", []want{
			{"The", FlagStop | FlagBreak}, {"cat", 0}, {"ran", FlagBreak}}},
		{"hyphen joins, numbers flagged", "self-attention in 2024", []want{
			{"self", FlagBreak}, {"attention", 0}, {"in", FlagStop}, {"2024", FlagNumeric}}},
		{"line break ends a phrase", "Neural nets\nDeep models", []want{
			{"Neural", FlagBreak}, {"nets", 0}, {"Deep", FlagBreak}, {"models", 0}}},
		{"unicode words", "Ça marche très bien", []want{
			{"Ça", FlagBreak}, {"marche", 0}, {"très", 0}, {"bien", 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			toks := an.Tokenize(English, tc.in, nil)
			require.Len(t, toks, len(tc.want))
			for i, w := range tc.want {
				assert.Equal(t, w.surface, toks[i].Surface(tc.in), "token %d", i)
				assert.Equal(t, w.flags, toks[i].Flags, "flags of %q", w.surface)
			}
		})
	}
}

func TestNormalisationAndStemming(t *testing.T) {
	an := NewAnalyzer()
	term := func(lang Lang, w string) string {
		toks := an.Tokenize(lang, w, nil)
		require.Len(t, toks, 1, "%q", w)
		return an.Terms()[toks[0].Term]
	}
	cases := []struct {
		name string
		lang Lang
		a, b string
		same bool
	}{
		{"case folding", English, "Network", "network", true},
		{"inflections share a stem", English, "running", "runs", true},
		{"NFKC ligature", English, "ﬁnding", "finding", true},
		{"full width", English, "ｃｏｄｅ", "code", true},
		{"sharp s folds", German, "STRASSE", "straße", true},
		{"German stemming", German, "Häuser", "Häusern", true},
		{"typographic apostrophe", English, "it’s", "it's", true},
		{"different words differ", English, "network", "netball", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.same {
				assert.Equal(t, term(tc.lang, tc.a), term(tc.lang, tc.b))
			} else {
				assert.NotEqual(t, term(tc.lang, tc.a), term(tc.lang, tc.b))
			}
		})
	}
	assert.Equal(t, "strasse", an.Fold("Straße"), "full case folding")
	assert.Equal(t, "it's", an.Fold("It’s"))
}

func TestSentences(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"two sentences", "First one here. Second one!", []string{"First one here.", "Second one!"}},
		{"surrounding space trimmed", "  Hello there.  \n\n Next line  ", []string{"Hello there.", "Next line"}},
		{"empty", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, sp := range Sentences(tc.in) {
				got = append(got, tc.in[sp.Start:sp.End])
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDetectLanguage(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Lang
	}{
		{"english", "The quick brown fox jumps over the lazy dog and then it runs away into the forest.", English},
		{"german", "Der Aufmerksamkeitsmechanismus ist das Herzstück moderner Sprachmodelle und wird überall eingesetzt.", German},
		{"french", "Le mécanisme d'attention est au cœur des modèles de langage modernes, et il est utilisé partout.", French},
		{"spanish", "El mecanismo de atención es el corazón de los modelos de lenguaje modernos y se usa en todas partes.", Spanish},
		{"too short falls back to english", "Hallo", English},
		{"unsupported language falls back to english", "Это предложение написано на русском языке для проверки.", English},
		{"italian prose", "Il meccanismo di attenzione è il cuore dei modelli linguistici moderni e viene usato ovunque nel settore.", Italian},
		{"random words are no language we stem", "Kadaic kationta conba indafiing qualyri kaousqua vercuver erhoja icmokacon orlili preousal inouslyver proanous.", English},
		{"a list of names", "Lisboa Madrid Barcelona Sevilla Valencia Porto Coimbra Bilbao Zaragoza Málaga Granada Toledo", English},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DetectLanguage(tc.in))
		})
	}
}

func TestLooksLikeProse(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"short text is given the benefit of the doubt", "Kadaic kationta conba", true},
		{"german prose", "Der Mechanismus ist das Herzstück der Modelle und wird in der Praxis überall eingesetzt.", true},
		{"spanish prose", "El mecanismo de atención es el corazón de los modelos de lenguaje y se usa en todas partes.", true},
		{"swedish prose", "Modellen är byggd för att läsa långa texter och den används av många forskare i Sverige.", true},
		{"random pseudo-words", "Kadaic kationta conba indafiing qualyri kaousqua vercuver erhoja icmokacon orlili preousal", false},
		{"upper-case random words", "KADAIC KATIONTA CONBA INDAFIING QUALYRI KAOUSQUA VERCUVER ERHOJA ICMOKACON ORLILI", false},
		{"one stop word in twenty is not enough", "Kadaic kationta conba indafiing qualyri kaousqua vercuver erhoja icmokacon orlili " +
			"preousal inouslyver proanous tionlyli ansucupo ormiex proexba trarimi orhoer der", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, looksLikeProse(tc.in))
		})
	}
}

func TestParseLang(t *testing.T) {
	cases := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"de", German, true}, {"pt-BR", Portuguese, true}, {"EN_us", English, true},
		{"", "", false}, {"ja", "", false}, {"x-klingon", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseLang(tc.in)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestStopWords(t *testing.T) {
	for _, w := range []string{"the", "proposed", "describes", "using", "various"} {
		assert.True(t, IsStopWord(English, w), w)
	}
	for _, w := range []string{"network", "attention", "support"} {
		assert.False(t, IsStopWord(English, w), w)
	}
	assert.True(t, IsStopWord(German, "und"))
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Hello, world.", "ﬁ ｆｕｌｌ Straße", "a-b—c…d", "日本語のテキスト。", "\xff\xfe bad utf8"} {
		f.Add(s)
	}
	an := NewAnalyzer()
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range an.Tokenize(English, s, nil) {
			require.LessOrEqual(t, int(tok.Off)+int(tok.Len), len(s))
			require.NotEmpty(t, tok.Surface(s))
			require.Less(t, int(tok.Term), len(an.Terms()))
		}
		for _, sp := range Sentences(s) {
			require.True(t, 0 <= sp.Start && sp.Start < sp.End && sp.End <= len(s))
			if utf8.ValidString(s) {
				require.Equal(t, strings.TrimSpace(s[sp.Start:sp.End]), s[sp.Start:sp.End])
			}
		}
	})
}
