package cleaner

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// form is the shape of a paragraph's text, which decides how much a
// phrase cue on it weighs.
type form int

const (
	// formLabel: no sentence form: a button, a label, a link, a line of
	// a login box ("Sign in", "验证码", "Already have an account? Log in").
	formLabel form = iota
	// formSentence: one short sentence ("Registration is free.").
	formSentence
	// formProse: a long sentence or several.
	formProse
)

const (
	// proseWords: a sentence of this many words is prose, whatever ends it.
	proseWords = 12
	// labelWords: a line of at most this many words that does not end as
	// a sentence does is a label; up to sentenceMinWords words, even one
	// that ends with a full stop is.
	labelWords       = 7
	sentenceMinWords = 4
	// CJK text is judged by its punctuation and its length in characters:
	// a sentence ends with 。！？ (or has a clause with ，) and has at least
	// cjkSentence characters; cjkProse characters and more are prose.
	cjkSentence = 8
	cjkProse    = 20
)

// formOf classifies a paragraph. Latin, Cyrillic and other scripts that
// separate words by spaces count words and look at how the text ends;
// Chinese and Japanese, which do not, count characters and look for
// sentence punctuation anywhere, so a 35-character Chinese sentence is a
// sentence, not a short UI line.
func formOf(s string) form {
	cjk, letters := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if runeScript(r) == "cjk" && !unicode.Is(unicode.Hangul, r) {
				cjk++
			}
		}
	}
	if cjk*2 >= letters && cjk > 0 {
		return cjkForm(s, cjk)
	}
	words := 0
	for _, w := range strings.Fields(s) {
		if hasLetterOrDigit(w) {
			words++
		}
	}
	ends := endsAsSentence(s)
	switch {
	case words >= proseWords:
		return formProse
	case words < sentenceMinWords, !ends && words <= labelWords:
		return formLabel
	}
	return formSentence
}

// endsAsSentence says whether text ends as a sentence does, past any
// closing quotes, brackets, arrows and emoji ("… today! 🙂").
func endsAsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.In(r, unicode.So, unicode.Sk) || strings.ContainsRune(")]”’\"»›→\ufe0f", r)
	})
	return endsSentence(s) || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "？")
}

func cjkForm(s string, n int) form {
	// Bars and brackets are a toolbar's ("[ 登录 | 注册 ]"), not prose's.
	if strings.ContainsAny(s, "|｜[]［］【】") {
		return formLabel
	}
	full := strings.ContainsAny(s, "。！？!?")
	clause := strings.ContainsAny(s, "，、；")
	switch {
	case n >= cjkProse && (full || clause):
		return formProse
	case n >= cjkSentence && full, n >= cjkSentence+4 && clause:
		return formSentence
	}
	return formLabel
}

// readerWords are the words with which chrome addresses its reader ("you",
// "we", "Sie", "vous", "您") or speaks of itself ("this site", "our
// newsletter"). News prose speaks of third parties; the same words in a
// quotation are caught by the reported-speech guard first.
var readerWords = []string{
	`\b(you|your|yours|you're|you'll|you've|we|we're|we'll|we've|our|ours|us|please)\b`,
	`(^|\P{L})(bitte|s'il vous plaît|por favor|пожалуйста)(\P{L}|$)`,
	// German: the polite Sie/Ihr is capitalised; lower-case sie is "she/they".
	`\b(ihr|ihre|ihren|ihrem|ihrer|ihnen|du|dein|deine|dich|dir|wir|unser|unsere|unseren|unserem|uns|euch)\b`,
	`\b(vous|votre|vos|tu|ton|ta|tes|nous|notre|nos)\b`,
	`\b(usted|ustedes|tú|tu|tus|te|nosotros|nuestro|nuestra|nuestros|nuestras|nos)\b`,
	`(^|\P{L})(вы|вас|вам|ваш|ваша|ваше|ваши|ты|тебя|мы|нас|нам|наш|наша|наше|наши)(\P{L}|$)`,
	`(您|你|我们|我們|小编|小編)`,
}

// selfWords: the page speaking of itself, its parts and its layout ("this
// site", "our newsletter", "the updates below", "本站").
var selfWords = []string{
	`\b(this|our) ([a-z-]+ ){0,2}(site|website|page|article|story|post|newsletter|blog|app|podcast|form|channel|panel|event|journalism|coverage|slideshow|gallery|video|player|content|feature|comments)\b`,
	`\b(updates?|video|player|form|link|button|comments?|box|gallery|stream) (below|above)\b`,
	`\b(diese[rsnm]?|unsere[rnm]?) (seite|website|artikel|beitrag|newsletter|kanal)\b`,
	`\b(ce|cet|cette|notre) (site|article|page|lettre|newsletter|chaîne)\b`,
	`\b(este|esta|nuestro|nuestra) (sitio|web|artículo|página|boletín|noticia|nota|newsletter|canal)\b`,
	`(этот|этой|эта|этого|наш|нашу|нашей) (сайт|статья|статьи|страниц|материал|рассылк|канал)`,
	`(本站|本网|本網|本文|本报|本報)`,
}

// speechWords mark reported speech: a reporting verb ("said", "sagte", "a
// déclaré", "decía", "заявил", "表示") or a source ("according to", "laut",
// "selon", "según", "по словам"). A prompt's wording inside reported
// speech ("Register for free, the scam message said.") is the story's.
// Words are fenced by non-letters, since Go's \b knows only ASCII.
var speechWords = []string{
	`(^|\P{L})(said|says|told|added|explained|announced|stated|wrote|concluded|argued|warned|urged|noted|found|claimed|insisted|admitted|reported|replied|according to|` +
		`sagte|sagt|sagten|erklärte|erklärten|betonte|versicherte|berichtete|kritisierte|warnte|laut|hieß es|so der|so die|teilte [^.]{1,40} mit|` +
		`selon|a déclaré|a dit|a indiqué|a affirmé|a expliqué|a ajouté|a annoncé|a assuré|s'est défendu|affirme|explique|estime|assure|promettait|déclare|a-t-il|a-t-elle|` +
		`dijo|afirmó|señaló|explicó|agregó|añadió|declaró|según|explica|decía|aseguró|asegura|afirma|gritaban|indicó|sostuvo|advirtió|` +
		`заявил|заявила|сказал|сказала|сообщил|сообщила|отметил|отметила|по словам|призвал|призвала|советуют|установил|пояснил|по данным|уверяет|говорит|предупредил|считает)(\P{L}|$)`,
	// A quotation closed by a dash before its speaker: «…», — заявил он.
	`,\s*[—–]\s`,
	`(表示|指出|透露|宣布|声称|聲稱|说道|說道|强调|強調|认为|認為)`,
}

// callWords: a call to act opens the paragraph with the imperative of a
// prompt ("Sign up …", "Melden Sie sich …", "Abonnez-vous …", "点击 …").
var callWords = []string{
	`^(please )?(sign (up|in)|log ?in|register|subscribe|join|follow|share|download|install|get|try|click|tap|enter|create|become|support|donate|read|watch|listen|book|refresh|reload|e-?mail|contact|write to|don't miss|never miss|stay (informed|up to date|in the know)|find out|discover|check out|see|learn more)\b`,
	`^(jetzt |bitte )?(melden sie|registrieren sie|abonnieren sie|folgen sie|teilen sie|laden sie|klicken sie|lesen sie|unterstützen sie|hören sie|sehen sie|abonnieren|registrieren|anmelden|folgen|teilen)\b`,
	`^(abonnez-vous|inscrivez-vous|connectez-vous|identifiez-vous|suivez|partagez|téléchargez|cliquez|rejoignez|découvrez|lisez|soutenez|créez)\b`,
	`^(suscríbete|suscribete|regístrate|registrate|inicia|síguenos|siguenos|comparte|descarga|haz clic|únete|lee|apoya|crea)\b`,
	`^(пожалуйста, )?(подпишитесь|подписывайтесь|зарегистрируйтесь|войдите|авторизуйтесь|следите|поделитесь|скачайте|нажмите|присоединяйтесь|читайте|поддержите|отключите|включите)`,
	`^(请|點擊|点击|扫描|扫码|掃碼|关注|關注|下载|下載|订阅|訂閱|注册|註冊|登录|登錄|欢迎|歡迎)`,
}

func compileAny(pats []string) *lazyRegexp {
	return lazyCompile(`(?:` + strings.Join(pats, `)|(?:`) + `)`)
}

// addresses says whether a paragraph speaks to its reader or of itself.
func (rs *ruleSet) addresses(text, lower string, site []string) bool {
	if rs.reader.MatchString(lower) || rs.selfRef(lower, site) || rs.callToAct(lower) {
		return true
	}
	// The polite German "Sie" anywhere but at the start of a sentence.
	for i := strings.Index(text, "Sie"); i > 0; {
		before, _ := utf8.DecodeLastRuneInString(strings.TrimRight(text[:i], " "))
		after, _ := utf8.DecodeRuneInString(text[i+3:])
		if !unicode.IsLetter(after) && before != '.' && before != '!' && before != '?' {
			return true
		}
		j := strings.Index(text[i+3:], "Sie")
		if j < 0 {
			break
		}
		i += 3 + j
	}
	return false
}

// selfRef says whether a paragraph speaks of the page or site itself: in
// words ("this site", "our newsletter") or by one of the site's own names
// ("Subscribe to WIRED …"; see selfNames).
func (rs *ruleSet) selfRef(lower string, site []string) bool {
	for _, n := range site {
		if strings.Contains(lower, n) {
			return true
		}
	}
	return rs.self.MatchString(lower)
}

// callToAct says whether a paragraph opens with a prompt's imperative.
func (rs *ruleSet) callToAct(lower string) bool {
	return rs.call.MatchString(lower)
}
