package text

import (
	"strings"
	"sync"
)

// Stop-word lists per language. English follows the Snowball English list
// extended with common web and news filler; the others are the most frequent
// function words of each language (after the Snowball lists), enough that
// keyphrases do not start or end with them.
var stopLists = map[Lang]string{
	English: `a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll
she's should shouldn't so some such than that that's the their theirs them themselves then there there's these they
they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
were weren't what what's when when's where where's which while who who's whom why why's with won't would wouldn't
you you'd you'll you're you've your yours yourself yourselves
may might must shall will us also however yet via per within without upon onto across among amongst along
around behind beside besides beyond either neither whether whose whatever whenever wherever whoever thus hence
therefore although though unless since etc e.g i.e vs just like get gets got getting make makes made many much
every another others one two three first second new use used using uses s t d ll m re ve y`,
	German: `aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
andern anderr anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu daß dein deine deinem deinen
deiner deines dem demselben den denn denselben der derer derselbe derselben des desselben dessen dich die dies diese
dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig einige
einigem einigen einiger einiges einmal er es etwas euch euer eure eurem euren eurer eures für gegen gewesen hab habe
haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede
jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines können könnte
machen man manche manchem manchen mancher manches mein meine meinem meinen meiner meines mich mir mit muss musste
nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie sind so
solche solchem solchen solcher solches soll sollte sondern sonst um und uns unser unsere unserem unseren unserer
unseres unter viel vom von vor war waren warst was weg weil weiter welche welchem welchen welcher welches wenn werde
werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen`,
	French: `au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi mon
ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l
à m n s t y été étée étées étés étant suis es est sommes êtes sont serai seras sera serons serez seront serais
serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai auras aura aurons
aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie aies
ait ayons ayez aient eusse eusses eût eussions eussiez eussent ceci cela celà cet cette ici ils les leurs quel quels
quelle quelles sans soi plus comme aussi tout tous toute toutes très où dont si entre`,
	Spanish: `de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o este sí
porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni
contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes
nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas nosotras vosotros vosotras
os mío mía míos mías tuyo tuya tuyos tuyas suyo suya suyos suyas nuestro nuestra nuestros nuestras vuestro vuestra
vuestros vuestras esos esas estoy estás está estamos estáis están es son fue era ser sido ha han he has hemos haber`,
	Italian: `ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl dalla dalle di del
dello dei degli dell degl della delle in nel nello nei negli nell negl nella nelle su sul sullo sui sugli sull sugl
sulla sulle per tra contro io tu lui lei noi voi loro mio mia miei mie tuo tua tuoi tue suo sua suoi sue nostro
nostra nostri nostre vostro vostra vostri vostre mi ti ci vi lo la li le gli ne il un uno una ma ed se perché anche
come dov dove che chi cui non più quale quanto quanti quanta quante quello quelli quella quelle questo questi questa
queste si tutto tutti a c e i l o è sono era erano essere stato stata ha hanno ho abbiamo avere`,
	Dutch: `de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan zou of
wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben deze u want nog
zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet ben zonder kan hun dus alles onder
ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw iemand geweest andere`,
	Portuguese: `de a o que e do da em um para com não uma os no se na por mais as dos como mas ao ele das à seu sua
ou quando muito nos já eu também só pelo pela até isso ela entre depois sem mesmo aos seus quem nas me esse eles
você essa num nem suas meu às minha numa pelos elas qual nós lhe deles essas esses pelas este dele tu te vocês vos
lhes meus minhas teu tua teus tuas nosso nossa nossos nossas dela delas esta estes estas aquele aquela aqueles
aquelas isto aquilo é são foi ser ter tem há`,
	Swedish: `och det att i en jag hon som han på den med var sig för så till är men ett om hade de av icke mig du
henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något från ut när efter upp vi dem vara
vad över än dig kan sina här ha mot alla under någon eller allt mycket sedan ju denna själv detta åt utan varit hur
ingen mitt ni bli blev oss din dessa några deras blir mina samma vilken er sådan vår blivit dess inom mellan sådant
varför varje vilka ditt vem vilket sitta sådana vart dina vars vårt våra ert era vilkas`,
}

// englishVerbs are frequent verbs, mostly of scientific and news prose, that
// are rarely nouns; with their inflections they are English stop words, so
// keyphrases (noun phrases) break at them.
const englishVerbs = (`allow provide require include consider apply achieve compare demonstrate introduce
investigate examine give make take find enable perform illustrate suggest indicate become remain seem appear involve
represent determine derive establish analyze analyse evaluate exploit employ adopt solve satisfy ensure propose
describe discuss obtain develop combine contain present show use say tell know think want see look come go
explain argue claim believe expect allow let help keep begin start try call ask need feel put mean leave bring
reveal report announce confirm add note occur tend avoid extend enhance exhibit emerge arise relate depend consist
encounter undergo possess acquire assume prove verify outperform overcome play pass enable improve encourage
incorporate augment discover realize realise define deploy happen survive enrich construct
dominate meet sit skip replace restore summarize summarise generate hurt ignore send retrieve lose create
interact follow beat fit promise`)

// englishParticiples are irregular past participles of frequent verbs,
// which inflect cannot derive.
const englishParticiples = (`given shown known seen taken chosen written found held led built begun gone
brought thought told kept meant
sat sitting skipping skipped sent lost beaten met`)

// englishModifiers are generic adjectives and determiners that do not
// start or end a keyphrase.
const englishModifiers = (`particular resulting enough overall various several different certain main
important specific novel existing possible available recent current usual typical significant additional further
whole same such other many much more most less least few own able like unlike due well often always never already
still even including regarding according respectively namely finally recently previously usually generally
especially particularly mainly simply
near alone worth worst instead`)

// inflect returns a verb's base form, third person, -ing and -ed forms.
func inflect(v string) []string {
	stem := v
	if strings.HasSuffix(v, "e") && !strings.HasSuffix(v, "ee") {
		stem = v[:len(v)-1]
	}
	third := v + "s"
	switch {
	case strings.HasSuffix(v, "y") && !strings.ContainsRune("aeiou", rune(v[len(v)-2])):
		third = v[:len(v)-1] + "ies"
	case strings.HasSuffix(v, "s") || strings.HasSuffix(v, "sh") || strings.HasSuffix(v, "ch") || strings.HasSuffix(v, "x") || strings.HasSuffix(v, "o"):
		third = v + "es"
	}
	past := stem + "ed"
	if strings.HasSuffix(v, "y") && !strings.ContainsRune("aeiou", rune(v[len(v)-2])) {
		past = v[:len(v)-1] + "ied"
	}
	return []string{v, third, stem + "ing", past}
}

// stopSets is built on first use, not at start-up: a process that is
// started ahead of its request (isolation.Start) or that never tokenizes
// does not pay for it in its initialisation (issue 12).
var stopSets = sync.OnceValue(buildStopSets)

func buildStopSets() map[Lang]map[string]bool {
	m := make(map[Lang]map[string]bool, len(stopLists))
	for lang, list := range stopLists {
		words := strings.Fields(list)
		n := len(words)
		if lang == English {
			// and the inflected verbs, participles and modifiers below
			n += 4*strings.Count(englishVerbs, " ") + len(englishParticiples)/8 + len(englishModifiers)/8
		}
		set := make(map[string]bool, n+n/8) // a hint: room for the estimate's error
		for _, w := range words {
			set[w] = true
		}
		m[lang] = set
	}
	for _, v := range strings.Fields(englishVerbs) {
		for _, f := range inflect(v) {
			m[English][f] = true
		}
	}
	for _, w := range strings.Fields(englishParticiples) {
		m[English][w] = true
	}
	for _, w := range strings.Fields(englishModifiers) {
		m[English][w] = true
	}
	return m
}

// IsStopWord reports whether the folded word w is a stop word of lang.
func IsStopWord(lang Lang, w string) bool {
	return stopSets()[lang][w]
}
