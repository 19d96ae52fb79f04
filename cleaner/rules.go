package cleaner

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule names: the rule label of winnow_boilerplate_removed_total. Short,
// stable, snake_case; never renamed once shipped.
const (
	ruleLogin      = "login_prompt"
	rulePaywall    = "paywall_prompt"
	ruleCookie     = "cookie_notice"
	ruleAdblock    = "adblock_notice"
	ruleShare      = "share_prompt"
	ruleNewsletter = "newsletter_prompt"
	ruleComments   = "comments_prompt"
	ruleVideo      = "video_promo"
	ruleEvent      = "event_promo"
	ruleRelated    = "related_teaser"
	ruleTags       = "tag_footer"
	ruleMobile     = "mobile_link"
	ruleTop        = "back_to_top"
	ruleUpdate     = "update_notice"
	ruleAd         = "ad_label"
	ruleBreadcrumb = "breadcrumb"
	ruleAgency     = "agency_credit"
	ruleContrib    = "contributor_credit"
	ruleBio        = "author_bio"
	ruleDisclaimer = "disclaimer"
	ruleCopyright  = "copyright_notice"
	ruleAffiliate  = "affiliate_disclosure"
	ruleJS         = "javascript_notice"
	rulePageURL    = "page_url"
	rulePhoto      = "photo_credit"
	ruleReading    = "reading_time"
	ruleUI         = "ui_label"
	ruleTypo       = "typo_prompt"
	ruleApp        = "app_promo"
	rulePrevNext   = "prev_next_link"
	ruleByline     = "byline_timestamp"
	ruleSource     = "source_line"
	ruleForeign    = "foreign_script"
	ruleDuplicate  = "duplicate"
	ruleLinkDense  = "link_dense"
	ruleTitle      = "title_repeat"
	ruleHelp       = "chrome_neighbour"
	ruleNoText     = "no_text"
)

// paragraphRules lists the rules applied to extracted paragraphs, in
// the order Rules reports them.
var paragraphRules = []string{
	ruleLogin, rulePaywall, ruleCookie, ruleAdblock, ruleShare, ruleNewsletter, ruleComments, ruleVideo, ruleEvent,
	ruleRelated, ruleTags, ruleMobile, ruleTop, ruleUpdate, ruleAd, ruleBreadcrumb, ruleAgency, ruleContrib, ruleBio, ruleDisclaimer, ruleCopyright, ruleAffiliate, ruleJS, rulePageURL, rulePhoto, ruleReading, ruleUI, ruleTypo, ruleApp, rulePrevNext, ruleByline,
	ruleSource, ruleForeign, ruleDuplicate, ruleLinkDense, ruleTitle, ruleHelp, ruleNoText,
}

// ruleSet holds every compiled pattern. It is built once by New and only
// read afterwards, so one Cleaner serves concurrent callers.
type ruleSet struct {
	phrases   []phrase        // phrases/*.yaml, compiled (phrases.go)
	gateLits  *gateLits       // the strings the phrases' gates look for
	date      *lazyRegexp     // dates and times, for byline/timestamp lines
	dateAt    *lazyRegexp     // date, anchored at the start of the text (dates)
	filler    map[string]bool // words that go with a timestamp: updated, published, GMT...
	byline    *lazyRegexp     // "By Jane Doe", "Von Max Muster", "Автор: ..."
	name      *lazyRegexp     // a run of capitalised words
	sourceW   *lazyRegexp     // words marking a source line
	teaser    *lazyRegexp     // "Headline | Author Name"
	social    *lazyRegexp     // lines made only of social network names
	help      *lazyRegexp     // very short questions/labels next to chrome
	bio       *lazyRegexp     // "Jane Doe is a freelance writer living in ..."
	fullDate  *lazyRegexp     // a date with a year or a month name, not only a time
	stampWord *lazyRegexp     // updated, published, ...
	cjkLabel  *lazyRegexp     // "来源：", "作者：", "點擊：": labels of a portal's article-info line
	speech    *lazyRegexp     // reporting verbs: said, told, sagte, a déclaré, dijo, заявил, 表示
	reader    *lazyRegexp     // words addressing the reader (sentence.go)
	self      *lazyRegexp     // the page speaking of itself (sentence.go)
	call      *lazyRegexp     // a prompt's imperative opening a paragraph (sentence.go)
}

// Patterns are matched against the lower-cased paragraph. Go's \b only
// knows ASCII letters, so patterns that start or end with a non-ASCII
// letter use explicit (^|\P{L}) guards instead.
func newRuleSet() *ruleSet {
	rs := &ruleSet{}
	rs.phrases, rs.gateLits = compilePhrases(phraseTable)
	month := monthAlternation()
	// Every alternative starts with an ASCII digit or a month name (dates).
	date := `(?i)(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(t[\d:.]+(z|[+-]\d\d:?\d\d)?)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}(st|nd|rd|th|er)?\.?\s*((of|de)\s+)?` + month + `\.?,?\s+((de|del)\s+)?\d{4}|` + month + `\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}|\d+\s+(second|minute|hour|day|week|month|year)s?\s+ago|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日|\d{1,2}[:h]\d{2}([:.]\d{2}(\.\d+)?)?\s*(am|pm|a\.m\.|p\.m\.)?|\d{1,2}\.\d{2}\s*(am|pm|a\.m\.|p\.m\.|uhr\b)|\d{1,2}\s*(am|pm)\b|\d{8})`
	rs.date, rs.dateAt = lazyCompile(date), lazyCompile(`^(?:`+date+`)`)
	rs.filler = map[string]bool{}
	for _, w := range strings.Fields(`last first updated published posted modified created date time gmt utc bst cet cest est edt pst pdt
		on at am um le à el a las de del y and und et hours hour ago minutes minute today yesterday
		monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
		montag dienstag mittwoch donnerstag freitag samstag sonntag aktualisiert veröffentlicht stand uhr
		lundi mardi mercredi jeudi vendredi samedi dimanche publié mis jour
		lunes martes miércoles jueves viernes sábado domingo actualizado publicado
		segunda-feira terça-feira quarta-feira quinta-feira sexta-feira às em atualizado publicado
		обновлено опубликовано мск года г в понедельник вторник среда четверг пятница суббота воскресенье
		发布 更新 时间 日期`) {
		rs.filler[w] = true
	}
	rs.byline = bylineRe()
	rs.name = lazyCompile(`^\p{Lu}[\p{L}'’.\-]*(\s+\p{Lu}[\p{L}'’.\-]*){0,3}$`)
	rs.sourceW = lazyCompile(`(?i)(原网页|原文|来源|來源|出处|出處|稿源|source|quelle|fuente|источник)`)
	rs.cjkLabel = lazyCompile(`(来源|來源|出处|出處|稿源|作者|记者|記者|编辑|編輯|责编|責編|时间|時間|日期|点击|點擊|浏览|瀏覽|阅读|閱讀|人气|人氣|字号|字號|评论|評論)(次数|次數|数|數|量)?\s*[:：]`)
	rs.teaser = lazyCompile(`^.{15,160} \| \p{Lu}[\p{L}'’.\-]+( \p{Lu}[\p{L}'’.\-]+){0,3}$`)
	rs.social = lazyCompile(`^((share( this( article| story| page)?)?|teilen|partager|compartir|поделиться|分享到?)\s*[:：]?\s*)?((facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|telegram|e-?mail|messenger|flipboard|vk|вконтакте|одноклассники|weibo|微博|微信|wechat|qq|copy link|print|sms|imprimir|drucken|imprimer|печать|打印|(send|enviar|envoyer|senden)( by| por| par| per)? (e-?mail|correo)|per e-?mail (senden|teilen))[\s,|/•·]*){2,}$`)
	rs.fullDate = lazyCompile(`(?i)(\d{4}|ago|` + month + `|\d{1,2}月|\d{1,2}[-/.]\d{1,2}[-/.]\d{2})`)
	rs.stampWord = lazyCompile(`(?i)(updated|published|posted|modified|aktualisiert|veröffentlicht|publié|mis à jour|actualizado|publicado|обновлено|опубликовано|发布|更新)`)
	rs.bio = lazyCompile(`^\p{Lu}[\p{L}.'’-]+( \p{Lu}[\p{L}.'’-]+){0,3} (\([^)]{1,60}\) )?(is|was|has been) (a|an|the|our) [^.]{0,80}\b(writer|editor|reporter|correspondent|journalist|columnist|contributor|author|producer|curator|blogger|photographer)\b`)
	rs.speech = compileAny(speechWords)
	rs.reader = compileAny(readerWords)
	rs.self = compileAny(selfWords)
	rs.call = compileAny(callWords)
	rs.help = lazyCompile(`^[^.!]{1,30}[?:]$`)
	return rs
}

// reported says whether a paragraph is reported speech: it opens with a
// quotation mark or carries a reporting verb ("the chief executive told
// analysts", "sagte der Minister", "заявил").
func (rs *ruleSet) reported(text, lower string) bool {
	r, _ := utf8.DecodeRuneInString(text)
	switch r {
	case '"', '“', '«', '„', '「', '『', '‘':
		return true
	}
	return rs.speech.MatchString(lower)
}

// bylineOrStamp recognises bylines, timestamps and source lines: short
// paragraphs that are nothing but a date or time, optionally with a few
// capitalised name words ("Tom Batchelor11 February 2022 14:35", "By Jane
// Doe", "Updated 14:35 GMT", "2022-02-08 00:00:00.0 Some Paper 原网页").
// It returns the rule and the author name it found, if any.
func (rs *ruleSet) bylineOrStamp(text string, heading bool) (rule, author string) {
	if utf8.RuneCountInString(text) > 120 {
		return "", ""
	}
	if bylinePrefix(text) && rs.byline.MatchString(text) {
		return ruleByline, stripBylinePrefix(text)
	}
	// A portal's article-info line: two or more "label：value" pairs
	// (time, source, author, views), whatever the values are.
	if strings.ContainsAny(text, ":：") && len(rs.cjkLabel.FindAllStringIndex(text, 3)) >= 2 {
		return ruleSource, ""
	}
	if heading || !strings.ContainsAny(text, "0123456789") {
		return "", "" // every date and time pattern needs a digit
	}
	if !mayHoldDate(text) {
		return "", ""
	}
	locs := rs.dates(text)
	if len(locs) == 0 {
		return "", ""
	}
	startsWithDate := locs[0][0] == 0
	// An embedded tweet's signature ("— Jane Doe (@jane) May 1, 2019") is
	// quoted content, not the page's byline.
	if strings.ContainsRune(text, '@') || strings.HasPrefix(text, "—") || strings.HasPrefix(text, "-") {
		return "", ""
	}
	// A bare time ("4:14 p.m.", opening hours) is a live-blog stamp only
	// when a word like "updated" says so; a date counts by itself.
	hasDate := false
	for _, l := range locs {
		if rs.fullDate.MatchString(text[l[0]:l[1]]) {
			hasDate = true
			break
		}
	}
	// A bare time ("21:40", "4:14 p.m.") with no date and no word like
	// "updated" is an entry's stamp only when it is the whole line.
	// Two times ("9.30 A.M. / 7.00 P.M.") are opening hours.
	bareTime := !hasDate && !rs.stampWord.MatchString(text)
	if bareTime && len(locs) > 1 {
		return "", ""
	}
	var rest strings.Builder
	last := 0
	for _, l := range locs {
		rest.WriteString(text[last:l[0]])
		rest.WriteByte(' ')
		last = l[1]
	}
	rest.WriteString(text[last:])
	remain := strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsDigit(r) {
			if r == '\'' || r == '’' || r == '-' || r == '.' || r == ',' {
				return r
			}
			return ' '
		}
		return r
	}, rest.String())
	var keep []string
	for _, w := range strings.Fields(remain) {
		w = rs.unglueFiller(w)
		if !rs.filler[strings.ToLower(strings.Trim(w, ".-'’,"))] {
			keep = append(keep, w)
		}
	}
	remain = strings.Trim(strings.Join(keep, " "), " .-,")
	if remain == "" {
		return ruleByline, ""
	}
	if bareTime {
		return "", ""
	}
	// "Maria Delgado, Associated Press": the name is what comes before
	// the first comma.
	if i := strings.IndexByte(remain, ','); i > 0 {
		remain = strings.TrimSpace(remain[:i])
	}
	words := strings.Fields(remain)
	if rs.sourceW.MatchString(remain) && len(words) <= 4 {
		return ruleSource, ""
	}
	if len(words) > 1 && isByWord(words[0]) {
		words = words[1:]
		remain = strings.Join(words, " ")
	}
	if len(words) <= 4 && rs.name.MatchString(remain) {
		return ruleByline, remain
	}
	if startsWithDate && len(words) <= 3 && !strings.ContainsAny(remain, ".!?") {
		return ruleSource, ""
	}
	return "", ""
}

// unglueFiller cuts a timestamp word glued to a name by markup that put
// no space between them ("WhitakerTuesday" from "Whitaker<time>Tuesday"):
// a capitalised filler word right after a lower-case letter.
func (rs *ruleSet) unglueFiller(w string) string {
	for i := 1; i < len(w); i++ {
		if w[i] >= 'A' && w[i] <= 'Z' && w[i-1] >= 'a' && w[i-1] <= 'z' &&
			rs.filler[strings.ToLower(strings.Trim(w[i:], ".-'’,"))] {
			return w[:i]
		}
	}
	return w
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// dates returns rs.date.FindAllStringIndex(text, -1), found faster. The
// unanchored regexp starts its large program (every month name,
// case-folded) at every byte; but a match starts with an ASCII digit or a
// month name's first letter in either case, so the anchored pattern is
// tried only there, from left to right: at the leftmost place where it
// matches, it takes the match the unanchored one takes (the same
// preference order), and the search goes on after it, as FindAll's does.
func (rs *ruleSet) dates(text string) [][]int {
	var out [][]int
	starts := monthStarts()
	for s := 0; s < len(text); {
		r, w := rune(text[s]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(text[s:])
		}
		if (r >= '0' && r <= '9') || starts[r] {
			if loc := rs.dateAt.FindStringIndex(text[s:]); loc != nil {
				out = append(out, []int{s, s + loc[1]})
				s += max(loc[1], w)
				continue
			}
		}
		s += w
	}
	return out
}

// mayHoldDate is a necessary condition for rs.date to match somewhere in
// s: a scan that spares the regexp (large, with every month name, so slow)
// most lines with a number that is no date ("5027", "1 tsp cinnamon",
// "$243.97"). Every alternative of rs.date needs one of these (\d and \s
// are ASCII in Go's regexps; (?i) folds no other character into a, g, h,
// m, o, p or u):
//   - digits, one of - / ., one or two digits, one of - / ., a digit
//     (2023-05-01, 1.5.23);
//   - digits, one of : h H, two digits (14:35, 14h35);
//   - digits, '.', two digits, spaces, a letter of am, pm, a.m., p.m. or
//     uhr (4.30 pm);
//   - digits, spaces, am or pm in any case (5 pm);
//   - eight digits in a row (20230501);
//   - four digits in a row right after a space, and a letter somewhere
//     (the year after a month name: "May 1, 2023", "1 de mayo de 2023");
//   - "ago" in any case (3 hours ago);
//   - 月 (5月1日).
func mayHoldDate(s string) bool {
	isDigit := func(i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }
	isSpace := func(i int) bool {
		return i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f')
	}
	runEnd := func(i int) int {
		for isDigit(i) {
			i++
		}
		return i
	}
	lower := func(i int) byte {
		if i < len(s) {
			return s[i] | 0x20
		}
		return 0
	}
	yearRun := false
	for i := 0; i < len(s); {
		if !isDigit(i) {
			i++
			continue
		}
		e := runEnd(i)
		n := e - i
		if n >= 8 {
			return true
		}
		if n >= 4 && i > 0 && isSpace(i-1) {
			yearRun = true
		}
		if e < len(s) {
			switch c := s[e]; c {
			case '-', '/', '.':
				if e2 := runEnd(e + 1); e2-(e+1) >= 1 && e2-(e+1) <= 2 && e2 < len(s) && (s[e2] == '-' || s[e2] == '/' || s[e2] == '.') && isDigit(e2+1) {
					return true
				} else if c == '.' && e2-(e+1) == 2 {
					j := e2
					for isSpace(j) {
						j++
					}
					if l := lower(j); l == 'a' || l == 'p' || l == 'u' {
						return true
					}
				}
			case ':', 'h', 'H':
				if isDigit(e+1) && isDigit(e+2) {
					return true
				}
			}
		}
		j := e
		for isSpace(j) {
			j++
		}
		if l := lower(j); (l == 'a' || l == 'p') && lower(j+1) == 'm' {
			return true
		}
		i = e
	}
	if yearRun && strings.IndexFunc(s, unicode.IsLetter) >= 0 {
		return true
	}
	if strings.Contains(s, "月") {
		return true
	}
	for i := 0; i+3 <= len(s); i++ {
		if lower(i) == 'a' && lower(i+1) == 'g' && lower(i+2) == 'o' {
			return true
		}
	}
	return false
}
