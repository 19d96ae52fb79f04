package cleaner

import (
	"regexp"
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

// phrase is one pattern of a phrase rule: it only fires on paragraphs of at
// most max runes, so a long article paragraph that happens to mention
// cookies, comments or a login stays.
type phrase struct {
	re  *regexp.Regexp
	max int
	// needs: for unanchored groups, cheap substrings one of which every
	// match contains; when none is present the regexp is not run.
	needs []string
}

type phraseRule struct {
	name    string
	phrases []phrase
}

// ruleSet holds every compiled pattern. It is built once by New and only
// read afterwards, so one Cleaner serves concurrent callers.
type ruleSet struct {
	phrases   []phraseRule
	date      *regexp.Regexp  // dates and times, for byline/timestamp lines
	filler    map[string]bool // words that go with a timestamp: updated, published, GMT...
	byline    *regexp.Regexp  // "By Jane Doe", "Von Max Muster", "Автор: ..."
	name      *regexp.Regexp  // a run of capitalised words
	sourceW   *regexp.Regexp  // words marking a source line
	teaser    *regexp.Regexp  // "Headline | Author Name"
	social    *regexp.Regexp  // lines made only of social network names
	help      *regexp.Regexp  // very short questions/labels next to chrome
	bio       *regexp.Regexp  // "Jane Doe is a freelance writer living in ..."
	fullDate  *regexp.Regexp  // a date with a year or a month name, not only a time
	stampWord *regexp.Regexp  // updated, published, ...
	cjkLabel  *regexp.Regexp  // "来源：", "作者：", "點擊：": labels of a portal's article-info line
	speech    *regexp.Regexp  // reporting verbs: said, told, sagte, a déclaré, dijo, заявил, 表示
}

// Patterns are matched against the lower-cased paragraph. Go's \b only
// knows ASCII letters, so patterns that start or end with a non-ASCII
// letter use explicit (^|\P{L}) guards instead.
func newRuleSet() *ruleSet {
	// Patterns sharing a length limit are compiled into one alternation:
	// one regexp call per group instead of one per pattern.
	// Anchored patterns (^...) are kept apart from the others: an anchored
	// alternation is tried at the start of the text only, which is cheap,
	// while one unanchored member would make the whole group scan.
	ph := func(max int, pats ...string) []phrase {
		var anchored, free []string
		for _, p := range pats {
			if strings.HasPrefix(p, "^") {
				anchored = append(anchored, p[1:])
			} else {
				free = append(free, p)
			}
		}
		var out []phrase
		if len(anchored) > 0 {
			out = append(out, phrase{re: regexp.MustCompile(`^(?:(?:` + strings.Join(anchored, `)|(?:`) + `))`), max: max})
		}
		if len(free) > 0 {
			out = append(out, phrase{re: regexp.MustCompile(`(?:` + strings.Join(free, `)|(?:`) + `)`), max: max, needs: []string{}})
		}
		return out
	}
	join := func(lists ...[]phrase) []phrase {
		var out []phrase
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	rs := &ruleSet{}
	rs.phrases = []phraseRule{
		{rulePaywall, ph(300,
			`\b(subscribe|subscription|subscribers?)\b.{0,60}\b(continue reading|keep reading|to read (the|this|more)|full access|unlimited access)`,
			`\bthis (article|content|story) is (only )?(available|reserved|exclusive) (to|for) (subscribers|members|premium)`,
			`\b(nur für|exklusiv für) (abonnenten|abonnentinnen|abonnierende)`, `\bweiterlesen mit\b`,
			`\bréservée? aux abonnés`, `\b(la suite|l'intégralité)( de cet article)? est réservée`, `\babonnez-vous pour\b`,
			`\b(exclusivo|contenido exclusivo) para (suscriptores|socios)`, `\bsuscríbete para\b`,
			`(материал|статья|доступ)[^.]{0,30}подписчик`,
			`\bnur (mit|für) (einem |ein |dem )?(abo|abonnement|plus-abo|abonnenten)\b`, `\bsolo (para|con) (suscriptores|suscripción)\b`,
			`только (для|по) (подписчик|подписк)`, `\bonly (available )?(to|for|with) (a )?(subscri|premium)`,
			`(订阅|付费)(后)?(阅读|查看)全文`,
			// "Subscribe now for unlimited access", "Suscríbete por 1 € al mes y accede sin límites":
			// a subscribe imperative with a price or a promise of access.
			`^([^:.]{1,25}:\s*)?(subscribe|subscribers? get|jetzt abonnieren|abonnieren sie|abonnez-vous|suscríbete|suscribete|suscribite|hazte (socio|suscriptor)|подпишитесь|оформите подписку|订阅|訂閱)\b.{0,80}(€|\$|£|₽|¥|\bper (month|week|year)\b|\ba (month|week|year)\b|\b(al|por) mes\b|\bpar mois\b|\bim monat\b|в месяц|unlimited|unbegrenzt|illimité|sin límites|ilimitad|безлимит|full access|accès (illimité|complet)|acceso (ilimitado|completo))`,
			`\b(you have|you've) (reached|read) (the|your) (limit|\d+ free)`, `\bfree (articles?|stories) (this|per) month\b`,
		)},
		{ruleLogin, join(
			ph(260,
				// English
				`\b(register|sign ?up|log ?in|sign ?in|create (a|an|your) (free )?account|become a (member|subscriber))\b.{0,50}\b(to (continue|keep) reading|to (read|access|view|unlock|comment|continue|join)|for free|for unlimited)`,
				`\balready (have an account|registered|a (subscriber|member))`,
				`\b(have|got) an account\b.{0,20}\b(log ?in|sign ?in)`, `\b(subscriber|member)\?\s*(log ?in|sign ?in)`,
				`^(registration|registering|signing up|sign-up|creating an account|an account|membership) (is|takes)\b.{0,40}\b(free|quick|easy|simple|seconds)`,
				`\bdon'?t have an account`,
				`^registration is\b.{0,30}\bfree`,
				`^by registering\b`,
				`^by (clicking|signing up|registering|creating an account|continuing)\b.{0,80}\b(you (agree|confirm|accept)|terms|privacy)`,
				`\bforgot (your )?(password|username)`,
				`^to (continue|keep) reading\b.{0,40}\b(register|sign ?up|log ?in|sign ?in|subscribe|create)`,
				`\b(continue|keep) reading (by|when you|if you|after you)\b.{0,30}\b(register|sign(ing)? ?up|log(ging)? ?in|sign(ing)? in|subscrib|creat)`,
				`^it (only )?takes (less than )?(a minute|a few seconds|seconds|\d+ seconds) to (register|sign ?up|create|join)`,
				`\byou('ll| will) (get|enjoy|have) (unlimited|full|free) access\b`,
				`\bprotected by recaptcha\b`,
				// German
				`\b(anmelden|registrieren|einloggen)\b.{0,50}(weiterlesen|um (weiter|den artikel)|kostenlos)`,
				`\b(bereits|schon) (ein )?(konto|registriert|abonnent|kunde)`,
				`\b(zum|um) weiterlesen\b.{0,40}(registrieren|anmelden|einloggen|abonnieren)`,
				`^mit (ihrer|der) (registrierung|anmeldung)\b.{0,60}(akzeptieren|stimmen|bestätigen)`, `\bnoch kein (konto|abo|kundenkonto)`, `\bpasswort vergessen`,
				// French
				`\b(connectez-vous|inscrivez-vous|identifiez-vous|se connecter|s'inscrire|créer un compte|créez (un|votre) compte)\b.{0,50}\b(pour (lire|continuer|accéder|poursuivre)|gratuitement)`,
				`\bdéjà (un compte|inscrit|abonné|client)`, `\bmot de passe oublié`,
				`^pour (continuer à lire|lire la suite)\b.{0,40}(inscri|connect|abonn|identifi)`,
				`^en (vous inscrivant|créant (un|votre) compte|cliquant|vous connectant)\b.{0,80}(acceptez|conditions)`,
				// Spanish
				`\b(regístrate|registrate|registrarse|inicia sesión|iniciar sesión|crea (una|tu) cuenta|crear cuenta)\b.{0,50}\b(para (seguir|continuar|leer|acceder)|gratis)`,
				`\bya (tienes|tiene|tenés|eres|sos) (una cuenta|cuenta|suscriptor)`, `(olvidaste|olvidó) (tu|su) contraseña`,
				`^para (seguir|continuar) leyendo\b.{0,40}(regístr|registr|inicia|suscr|crea)`,
				`^al (registrarte|registrarse|crear (una|tu) cuenta|hacer clic)\b.{0,80}(aceptas|acepta|términos|condiciones)`,
				// Russian
				`(зарегистрируйтесь|войдите|авторизуйтесь)[^.]{0,50}(чтобы|для)`,
				`уже есть (аккаунт|учетная запись|учётная запись)`, `забыли пароль`,
				`^чтобы (продолжить чтение|читать дальше)[^.]{0,40}(зарегистр|войдите|авториз|подпиш)`,
				`^(регистрируясь|нажимая)[^.]{0,80}(соглашаетесь|принимаете)`,
			),
			ph(40,
				`^(log ?in|sign ?in|log ?out|sign ?out|register|sign ?up|my account|create (an )?account|remember me|keep me (logged|signed) in)( (here|now|for free))?[.!]?$`,
				`^(log ?in|sign ?in) ?(/|or|\|) ?(register|sign ?up|join)$`,
				`^(username|user name|password|e-?mail( address)?)(\s*(/|or)\s*(username|e-?mail( address)?))?\s*:?$`,
				`^(anmelden|registrieren|einloggen|abmelden|mein konto|benutzername|passwort|angemeldet bleiben)[.!:]?$`,
				`^(se connecter|connexion|s'inscrire|inscription|mon compte|mot de passe|identifiant|se déconnecter)[.!:]?$`,
				`^(iniciar sesión|inicia sesión|registrarse|regístrate|mi cuenta|contraseña|usuario|acceder|cerrar sesión)[.!:]?$`,
				`^(войти|вход|регистрация|зарегистрироваться|выйти|личный кабинет|пароль|логин)[.!:]?$`,
				// Chinese, Japanese, Korean login-box lines: only short UI-like lines,
				// never a sentence that happens to contain 登录 ("landfall").
				`(登录|登入|登錄|注册|註冊|用户名|用戶名|帐号|帳號|账号|密码|密碼|验证码|驗證碼|换一张|看不清|忘记密码|忘記密碼|找回密码|退出登录|会员中心|會員中心|加入会员|加入會員|欢迎访问|欢迎光临|歡迎光臨|欢迎来到|歡迎來到|欢迎您|ログイン|会員登録|パスワード|로그인|회원가입|비밀번호)`,
			),
		)},
		{ruleCookie, join(
			ph(400,
				`\b(we|this (web)?site|our (web)?site|we and our partners)( and our partners)? (use|uses|are using) cookies`,
				`\baccept (all )?cookies\b`,
				`\bby (continuing|using|browsing)\b.{0,60}\b(you (agree|accept|consent)|cookies)`,
				`\b(manage|reject|decline|customi[sz]e) (all )?(cookies|cookie settings)`,
				`\b(wir verwenden|wir nutzen|diese (web)?seite (verwendet|nutzt)) cookies`, `\bcookies (akzeptieren|zulassen|ablehnen)`,
				`\b(nous utilisons|ce site utilise|notre site utilise) (des )?(cookies|traceurs)`, `\baccepter (les|tous les) cookies`,
				`\b(utilizamos|usamos|este sitio (web )?utiliza|esta web utiliza) (cookies|galletas)`, `\baceptar (todas las )?cookies`,
				`(мы используем|сайт использует|используем|использует) (файлы )?(cookie|куки)`,
				`(本网站|我们|本站)(会)?使用(了)?\s?cookies?`, `(接受|同意)(所有)?\s?cookies?`,
			),
			ph(120,
				`\bcookie[- ]?(policy|settings|preferences|consent|notice|richtlinie|einstellungen)\b`,
				`\b(politique|paramètres|gestion) (de|des) cookies\b`, `\b(política|configuración) de cookies\b`,
				`(политика|настройки) (использования )?(файлов )?cookie`, `cookie\s?(政策|设置)`,
				`^(alle akzeptieren|tout accepter|tout refuser|aceptar todo|rechazar todo|accept all|reject all|принять все)$`,
			),
		)},
		{ruleAdblock, ph(300,
			`\bad ?-?block(er|ers|ing)?\b`, `\b(disable|turn off|pause) your ad`, `\b(whitelist|allowlist)(ing)? (us|our (web)?site|this (web)?site)\b`, `\badd (us|our site|this site) to your (white ?list|allow ?list)`,
			`\b(werbeblocker|adblocker|ad-blocker)`,
			`\b(find out|learn|see|click here to see|here's) how to (disable|turn off|pause|deactivate|whitelist|allowlist)\b`, `\bbloqueur de (publicités?|pubs?)`,
			`\bbloqueador de (anuncios|publicidad)`, `блокировщик(а|ом)? рекламы`, `(广告拦截|屏蔽广告|广告屏蔽)`,
		)},
		{ruleShare, ph(250,
			`\b(may be reached|can be reached|reach (him|her|them|the reporters?|the writer)|email [^.]{1,40} at [^ ]+@)`,
			`^(email|e-mail|contact) (the author|us|[a-z]+ [a-z]+) at [^ ]+@`,
		)},
		{ruleShare, ph(120,
			`^(share|share this( article| story| page| post)?|share on [a-z]+|share via [a-z]+|tweet|e-?mail|print|copy link|link copied|teilen|artikel teilen|partager|partager (cet|l') ?article|compartir|compartir (en [a-z]+|este artículo)|поделиться|分享到?|转发)[.:!]?$`,
			`^(follow us|folgen sie uns|suivez-nous|síguenos|siguenos|подписывайтесь на нас|关注我们)`,
			`^follow (him|her|them|[^.]{1,40}) (on|at) (twitter|facebook|instagram|youtube|linkedin|tiktok)`,
			`^follow [^.]{1,40}coverage`,
			// "Join our Telegram channel", "Подписывайтесь на наш канал в Telegram"
			`\b(join|follow|subscribe to) (us|our) [^.]{0,30}(channel|page|account)s? (on|in) (telegram|whatsapp|youtube|instagram|facebook|twitter|x|tiktok|viber)\b`,
			`^(join|follow) (us|our [a-z ]{0,20}channel) on (telegram|whatsapp|youtube|instagram|facebook|twitter|x|tiktok|google news)\b`,
			`^(join|follow|subscribe to) our (telegram|whatsapp|youtube|viber|signal) (channel|group|community)\b`,
			`^(подписывайтесь|подпишитесь|следите за нами|присоединяйтесь)[^.]{0,40}(telegram|телеграм|канал|вконтакте|дзен|соцсет)`,
			`(关注|關注)(我们|我們|本站)?(的)?(官方)?(微信|微博|公众号|公眾號|抖音|头条号)`,
			`^(síguenos|siguenos|únete a nuestro canal|suivez-nous|rejoignez notre chaîne|folgen sie uns|abonnieren sie unseren kanal)\b`,
			`\b(share (this|the) (article|story|post)|click to share|share (it|this) with (a|your) friends?)\b`,
			`(compártel[ao]|comparte (esta|la) (noticia|nota)|partagez (cet|l') ?article|teilen sie (diesen|den) (artikel|beitrag)|поделитесь (новостью|статьей|статьёй|с друзьями))`,
		)},
		{ruleNewsletter, join(
			ph(260,
				`\b(sign up|subscribe|register)\b.{0,40}\bnewsletters?\b`, `\bnewsletters?\b.{0,40}\b(sign up|subscribe)`,
				`\b(straight|delivered|direct(ly)?|right) (in)?to your inbox\b`, `^get (our|the) .{0,40}(newsletter|briefing)`,
				`\benter your e-?mail( address)?\b`,
				`\b(we send|we'll send|we will send) (you )?(an? )?(daily |weekly )?(email|newsletter)`,
				`\bdelivered (to|through) your (door|letterbox|inbox|mailbox)`, `\b\d+ issues for\b`,
				`\bnewsletter (abonnieren|bestellen)`, `\b(melden sie sich|registrieren sie sich)\b.{0,30}\bnewsletter`,
				`\b(inscrivez-vous|abonnez-vous) (à|a) (notre|la|nos) (newsletter|lettre)`, `\brecevez (notre|nos) (newsletter|lettre)`,
				`\b(suscríbete|suscribete|apúntate) (a|al) (nuestro |nuestra |nuestros )?(boletín|newsletter)`,
				`подпишитесь на (нашу |наш )?(рассылку|новости|канал)`, `подписаться на рассылку`,
				`订阅(我们的)?(新闻|邮件|电子报|简报)`,
			),
			ph(60, `\bnewsletters?\b`, `^(subscribe|abonnieren|s'abonner|suscribirse|подписаться|订阅)[.!]?$`),
			ph(150, `^subscribe (to|now|today)\b`),
		)},
		{ruleComments, ph(200,
			`\bjoin (our|the) .{0,30}(comment(ing|s)?|conversation|discussion|debate|forum)`, `^join .{0,40}conversations\b`,
			`^(\d+\s+)?comments?( \(\d+\))?$`, `^tell us what you think`, `^what do you think\?$`, `\b(leave|post|add|write) a (comment|reply)\b`,
			`\b(show|view|load|read|see) (all )?(\d+ )?(comments|replies)\b`, `\bbe the first to comment\b`,
			`\bcomments? (are|is) (now )?(open|closed|disabled)`, `\bmoderat(e|ing|ed|ion)\b.{0,40}\bcomments\b`,
			`\bcomentários\b.{0,120}\bmoderador`, `^(reply|report|like)$`,
			`\bkommentare? (anzeigen|schreiben|verfassen|lesen)`, `^(\d+ )?kommentare?$`, `\bdiskutieren sie mit`,
			`\b(laisser|écrire|ajouter) un commentaire`, `^(\d+ )?(commentaires?|réactions?)$`, `^réagissez`,
			`\b(deja|dejar|escribe|añade) (un|tu) comentario`, `^(\d+ )?comentarios?$`,
			`(оставить|оставьте|написать|добавить) комментарий`, `^(\d+ )?комментари(и|ев|й|я)$`,
			`(发表|我要|查看|全部|网友|热门)评论`, `^评论(\d+)?$`,
		)},
		{ruleVideo, ph(170,
			`^(watch|video|listen|live|play|watch live|watch now|watch again)\s*[:|]`,
			`^watch (live|now|the video|again|as|our|the full)\b`,
			`^(listen to|play) (this|the) (article|story)\b`, `^(artikel|beitrag) (anhören|vorlesen lassen)\b`, `^(écouter|écoutez) (cet|l')\s?article\b`,
			`^escuchar? (este |el )?(artículo|noticia)\b`, `^(прослушать|слушать) (статью|новость)`, `^(收听|听)(本文|新闻)`, `^listen (to [^.]{1,40} )?(live|again|back)\b`, `^(click|tap) (here )?to (watch|play|listen)`,
			`^(video|sehen sie|jetzt ansehen|im video|hören sie)\s*[:|]`, `^sehen sie (hier|im video)`,
			`\b(on|in) (our|the) (video )?(player|live ?stream)( (above|below))?\b`, `\b(video|player|stream) (above|below)\b`,
			`^(vidéo|regardez|à voir|écoutez)\s*[:|]`, `^(vídeo|mira|escucha)\s*[:|]`,
			`^(en vivo|en directo|directo|en direct|livestream|live-stream|live stream|im livestream|прямой эфир|трансляция|онлайн-трансляция|直播)\s*[:|：]`,
			`^(видео|смотрите|смотреть|слушайте)\s*[:|]`, `^(视频|直播|点击观看|观看视频)\s*[:：|]`,
		)},
		{ruleEvent, ph(200,
			`^([^:.]{1,20}:\s*)?join (our|us|the|a) .{0,60}\b(event|panel|webinar|q&a|livestream|masterclass|discussion|debate)\b`,
			`^(book (now|today|your (tickets?|place|seat|spot))|get your tickets|tickets (are )?(on sale|available) now)\b`,
			`\b(answer(ing)?|tak(e|ing)|put) (your|readers'?|reader) questions\b`, `\bsubmit (yours|your questions?)( now| here| below)?\b`,
			`^(register|book|sign up) (now|here|today) for (our|the|this) .{0,40}\b(event|webinar|panel|conference)\b`,
			`^(nehmen sie teil|melden sie sich an) .{0,40}(veranstaltung|webinar|diskussion)`,
			`^(rejoignez|inscrivez-vous à) .{0,40}(événement|webinaire|débat|conférence)`,
			`^(únete|inscríbete|regístrate) .{0,40}(evento|webinar|seminario web|debate)`,
			`^(присоединяйтесь|регистрируйтесь) .{0,40}(мероприяти|вебинар|дискусси)`,
			`^(报名参加|欢迎参加).{0,30}(活动|讲座|论坛)`,
		)},
		{ruleRelated, ph(200,
			`^(read more|related|related (articles?|stories|content|coverage)|see also|more on this( story| topic)?|recommended( for you)?|you (may|might) also like|most (read|popular|viewed)|read next|also read|read also|trending( now)?|top stories|editor'?s picks)\b\s*[:.]?`,
			`^more [^:]{1,30}: https?://`,
			`^(read|read more|more|also read|see|related|premium|exclusive|subscriber[s -]only|members only|exklusiv|abonnés)\s*[:|]`,
			`^(subscribers?|members?|premium|plus|abonnenten|abonnés|suscriptores|подписчик(ам|ов)?)( |-|')?(exclusive|only|content|article|story|exklusiv|exclusif|exclusivo|эксклюзив)\s*[:|]`,
			`^\p{L}+ (premium|exclusive|plus|exklusiv|exclusif)\s*[:|]`,
			`^(relacionad[oa]s?|véase también|ver más|verwandte artikel|voir aussi|смотрите|также)\s*[:|]`,
			`^(more (on|about)|mehr (zum|zur|über)|(en savoir )?plus sur|más (sobre|de)|(ещё|еще|больше) о) [^:]{1,40}:`,
			`^(more news|más noticias|mais notícias|mehr nachrichten|plus d'actualités|plus d'infos|больше новостей|ещё новости|еще новости|更多新闻|更多新聞)( (de|from|on|in|aus|zu|sur|de la|del|о|из) [^.]{1,40})?$`,
			`^(recent (articles|posts|stories|news)|popular (this week|now|today|posts|stories)|latest (news|stories|articles|posts)|related posts|more (great |top )?([a-z]+ )?(stories|news|articles|videos)( from [^.]{1,40})?)$`,
			`^(lesen sie (auch|mehr|hier)|mehr zum thema|das könnte sie auch interessieren|auch interessant|weitere artikel|meistgelesen)`,
			`^(lire aussi|à lire aussi|a lire aussi|voir aussi|à voir aussi|sur le même sujet|les plus lus)`,
			`^(lee también|lea también|te puede interesar|noticias relacionadas|lo más leído|ver también)`,
			`^(читайте также|читайте еще|читайте ещё|смотрите также|по теме|ещё по теме|еще по теме|самое читаемое|новости по теме)`,
			`^(相关(阅读|新闻|文章|报道|推荐)|延伸阅读|推荐阅读|热门推荐|猜你喜欢)`,
		)},
		{ruleTags, ph(400,
			`^(tags?|tagged( with)?|keywords?|topics?|filed under|categories|category|schlagworte|schlagwörter|themen|mots[- ]clés|étiquettes|thèmes|etiquetas|palabras clave|temas|теги|метки|ключевые слова|темы|рубрики)\s*[:：]`,
			`^(标签|標籤|关键词|關鍵詞|关键字|關鍵字|分类|分類|滚动新闻|滾動新聞)`,
			`^(archivado en|publicado en|classé dans|abgelegt unter|filed in|more about|más sobre|mehr über)\s*[:：]`,
			`^(posted in|filed (in|under)|publicado en|publié dans|veröffentlicht in|опубликовано в) [^.]{1,60}$`,
		)},
		{ruleMobile, ph(60,
			`^(exit|switch to|view|go to|back to) (the )?(mobile|desktop|full|classic|standard|amp|non-amp) (version|site|view|website)`,
			`^(mobile|desktop|full) (version|site|view)$`,
			`^(zur )?(mobilen?|desktop|klassischen)[- ](version|ansicht)`, `^(version|site) (mobile|classique|complète)$`,
			`^((ir a|ver|cambiar a|volver a) (la )?)?versión (móvil|clásica|de escritorio|completa)`, `^(мобильная|полная|десктопная) версия`,
			`(手机版|电脑版|移动版|触屏版)`,
		)},
		{ruleTop, ph(40,
			`^(back|return|go|scroll|jump) to (the )?top`, `^(top|↑|▲)$`, `^nach oben`, `^(retour en haut|haut de (la )?page)`,
			`^(volver|ir) (arriba|al inicio)`, `^(наверх|вверх)$`, `^(返回顶部|回到顶部)`,
		)},
		{ruleUpdate, ph(160,
			`^(more )?updates? to follow`, `^more to follow`,
			`^(more|further (details|updates|information)|details|updates?) (to come|to follow|soon|shortly|coming)\b`,
			`^(please )?(refresh|reload) (the|this) page\b`, `^(refresh|reload) for (the latest )?updates\b`, `^this (is a )?(breaking|developing) (news )?story`,
			`^this (story|article|post) (is being|will be|has been) updated`,
			`^follow (the|our) (latest|live) (updates|coverage|news|blog)`, `^(live|latest) updates? below`,
			`^(mehr in kürze|weitere informationen folgen|dieser artikel wird (laufend )?aktualisiert)`,
			`^(plus d'informations à venir|article en cours de mise à jour|suivez (notre|le) (direct|live))`,
			`^(noticia en desarrollo|ampliación en breve|sigue (el|nuestro) directo)`,
			`^(новость дополняется|подробности позже|следите за (обновлениями|новостями))`,
			`^(持续更新|更多内容稍后|稍后更新)`,
		)},
		{ruleAd, ph(60,
			`^(advertisement|advertising|advert|sponsored( content)?|anzeige|werbung|publicité|publicidad|реклама|广告|推广)$`,
			`^(story|article) continues (below|after)`, `^continue reading (below|the main story)`, `^scroll to continue`,
		)},
		{ruleBreadcrumb, ph(120,
			`^(you are here|sie sind hier|vous êtes ici|usted está aquí|вы здесь|您的位置|当前位置|你的位置|现在位置)\s*[:：]?`,
			`^(home|startseite|accueil|inicio|главная|首页)\s*[>»/›|-]`,
		)},
		{ruleAgency, ph(80,
			`^[(\[]?(pa|ap|afp|reuters|dpa|efe|ansa|tass|xinhua|bloomberg|upi|kyodo|yonhap|press association|associated press|agence france-presse|agencies|тасс|риа новости|интерфакс|新华社|中新社)( ?(/|,|and|&|with|–|-|\+) ?(pa|ap|afp|reuters|dpa|efe|ansa|tass|bloomberg|upi|press association|associated press|agencies|staff))*[)\]]?\.?$`,
			`^\(?(additional )?(reporting|editing|writing) by [^.]{3,80}\)?\.?$`,
			`^(with )?(post |wire |staff )?(wires|agencies|wire services|agency reports)\.?$`,
			`^[(\[]?((with|avec|mit|con|com|por|по материалам|据|(with|con) (files|reporting|information|información|informaciones|material) (from|de)|avec (l'|les )?(agences?|afp)|mit material (von|der)|d'après)\s+)?(sapa|télam|telam|notimex|ips|anp|belga|apa|lusa|ntb|tt|pti|ians|ani|aap|cp|ria|ria novosti|interfax|anadolu|aa|kna|epd|europa press|ats|sda|keystone-sda|ap|afp|reuters|dpa|efe|ansa|tass|xinhua|bloomberg|upi|kyodo|yonhap|тасс|риа новости|интерфакс|新华社|中新社|路透社|法新社|美联社)([ ,/&]+(and |et |und |y |и )?(sapa|télam|telam|notimex|ips|anp|belga|apa|lusa|ntb|tt|pti|ians|ani|aap|cp|ria|interfax|afp|ap|reuters|dpa|efe|ansa|tass|kna|epd|тасс|риа новости|интерфакс))*[)\]]?\.?$`,
		)},
		{ruleContrib, ph(300,
			`^\(?((additional )?reporting|editing|writing|compiled) by .{3,250}$`,
			`\bcontributed (to )?(this )?(report|reporting|story|article)\b`,
			`\b(hat|haben) (an diesem|zu diesem) (bericht|artikel) (mitgearbeitet|beigetragen)`,
			`\b(a|ont) contribué à (cet|ce) (article|reportage)`,
			`\bcolaboró (en|con) (este|esta) (informe|nota|artículo)`,
		)},
		{ruleDisclaimer, ph(500,
			`^(disclaimer|haftungsausschluss|avertissement|aviso legal|descargo de responsabilidad|отказ от ответственности|免责声明)\s*[:：]`,
		)},
		{ruleCopyright, join(
			ph(250, `^(©|\(c\)|copyright\b)`, `©`,
				`\b(all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados)`,
				`(все права защищены|版权所有|著作権)`),
		)},
		{rulePhoto, join(
			ph(160,
				`^(photo|photos|photograph|image|images|picture|pictures|credit|photo credit|foto|fotos|bild|bilder|crédit photo|фото|图片|图|摄影)\s*[:：]`,
				`^(pictured|in pictures|gallery|im bild|en images|en fotos|en imágenes|на фото|фоторепортаж|组图|图集)\s*[:：|]`,
				`(getty images|shutterstock|istock(photo)?|alamy|ap photo|afp photo|epa-efe|reuters/[a-z]+|pa wire|pa media|dpa-bildfunk)\)?\.?$`,
			),
			ph(60, `^\([^()]{2,50}\)$`, `^(photo|foto|фото|图片)$`),
		)},
		{ruleReading, ph(60,
			`^(reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|tempo de leitura|время чтения|阅读时间)\s*[:：]?`,
			`^(about )?\d+\s*(-|–)?\s*(min|mins|minute|minutes|minuten|minutos|мин|分钟)\.?( (read|reading|lesezeit|de lecture|de lectura|de leitura|чтения|阅读))?$`,
			`^(lesezeit|temps de lecture|tiempo de lectura|время чтения)?\s*\d+\s*(min|minuten|minutes|minutos|мин)\.?$`,
		)},
		{ruleUI, ph(30,
			`^(caption|hide caption|show caption|close|open|menu|search|expand|collapse|toggle( navigation)?|loading|skip to (main )?content|enlarge( this image)?|zoom|next|previous|prev|more|less|all|print|sign in|load more|show more|see more|view more|read less)(\.{1,3}|…)?$`,
			`^(schließen|öffnen|suchen|weiter|zurück|mehr( anzeigen)?|fermer|ouvrir|rechercher|suivant|précédent|voir plus|cerrar|abrir|buscar|siguiente|anterior|ver más|закрыть|открыть|поиск|далее|назад|показать ещё|показать еще)(\.{1,3}|…)?$`,
			`^(关闭|打开|搜索|上一页|下一页|加载中|查看更多|更多)$`,
			`^(back to|go to|return to) (the )?(home ?page|front page|homepage)$`, `^(zur|zurück zur) startseite$`, `^retour (à l'accueil|à la une)$`,
			`^(volver|ir) a (la )?(portada|página de inicio)$`, `^(на главную|вернуться на главную)$`, `^(返回首页|返回首頁|回到首页)$`,
		)},
		// A toolbar of bracketed labels: "【纠错】【打印】【关闭】", "[ Print ] [ Close ]".
		{ruleUI, ph(60, `^(\s*[【\[［]\s*[^】\]］]{1,8}\s*[】\]］]\s*){2,}$`)},
		// "Found a typo? Select it and press Ctrl+Enter", in every language:
		// the key chord is the constant part.
		{ruleTypo, ph(200,
			`\b(ctrl|strg|ctl)\s*\+\s*(enter|entrée|intro|ввод)\b`,
			`^(found|spotted|see) (a|an) (typo|mistake|error)\b`, `^(fehler|tippfehler) gefunden\b`, `^(vous avez )?(trouvé|repéré) une (faute|erreur)`,
			`^(has |¿has )?(encontrado|visto) (un|una) (error|errata)`, `(нашли|заметили) ошибку`, `(发现|發現)(错误|錯誤|错别字)`,
		)},
		// Links to the neighbouring posts: "« Previous post: …", "下一篇：…".
		{rulePrevNext, ph(160,
			`^[«‹<←]?\s*(previous|next|prev|older|newer) (post|article|story|entry|item)\b`,
			`^[«‹<←]?\s*(vorherige[rs]?|nächste[rs]?) (beitrag|artikel|eintrag)\b`, `^[«‹<←]?\s*(article )?(précédent|suivant)\s*[:：]`,
			`^[«‹<←]?\s*(entrada|artículo|nota|noticia) (anterior|siguiente)\b`, `^[«‹<←]?\s*(anterior|siguiente)\s*[:：]`,
			`^[«‹<←]?\s*(предыдущая|следующая) (статья|новость|запись|публикация)`, `^(上一篇|下一篇|上一条|下一条|上一則|下一則|上一頁|下一頁)`,
		)},
		{ruleApp, ph(160,
			`^(download|get|install|try) (our|the)( free| new)?( [a-z0-9]+){0,3} (app|application)\b`,
			`^(laden sie|holen sie sich|jetzt) (unsere|die) [^.]{0,30}app\b`, `^(téléchargez|installez) (notre|l') ?(application|app)\b`,
			`^(descarga|descargue|baja) (nuestra|la) (app|aplicación)\b`, `^(скачайте|скачать|установите) (наше |мобильное )?приложение`,
			`^(下载|下載)(客户端|app|客戶端)`,
		)},
		{ruleAffiliate, ph(300,
			`\b(contains?|may contain|includes?|uses?) (affiliate|referral|sponsored)( and/or [a-z]+| and [a-z]+| or [a-z]+)? links\b`,
			`\bwe (may )?(earn|receive|get) (a )?(small )?(commission|a share of)`, `\bmay earn (an? )?(affiliate )?commission`,
			`\bif you (buy|purchase) (something|anything|a product) (through|via|from) (our|one of our|these|this)`,
			`\b(affiliate-links|provisionslinks|werbelinks)\b`, `\bliens (affiliés|d'affiliation)`,
			`\benlaces de afiliad`, `партнерск(ие|их) ссылк`,
		)},
		{ruleJS, ph(160,
			`\b(requires?|needs?|please enable|enable|turn on|activate) javascript\b`, `\bjavascript (is )?(disabled|required|must be enabled)`,
			`\bjavascript (aktivieren|einschalten)`, `\b(activer|activez) (le )?javascript`, `\b(habilitar|habilita|activar|activa) (el )?javascript`,
			`включите javascript`, `(启用|开启)\s?javascript`,
		)},
		{ruleSource, ph(100,
			`^(source|quelle|fuente|источник|来源|稿源|出处)\s*[:：]`,
			`(原网页|原文链接|阅读原文|查看原文)$`,
		)},
	}
	// Words every unanchored pattern of a rule contains (lower case). Kept
	// next to the patterns: a pattern added above needs its word here,
	// and the rule table tests fail when one is missing.
	needs := map[string][]string{
		rulePaywall: {"subscri", "abonn", "limit", "free", "abo", "подписк", "premium", "weiterlesen", "réservé", "suscri", "socios", "подписчик", "全文"},
		ruleLogin: {"regist", "sign", "log", "account", "access", "weiterlesen", "reading", "member", "subscriber", "password", "recaptcha", "anmeld", "einlogg", "konto", "abo", "kunde",
			"passwort", "connect", "inscri", "identifi", "compte", "déjà", "mot de passe", "sesión", "cuenta", "contraseña", "suscriptor",
			"регистр", "войдите", "авториз", "уже есть", "пароль", "登", "注册", "註冊", "密碼", "用戶", "帐号", "帳號", "账号", "驗證", "會員", "歡迎", "用户", "密码", "验证", "换一张", "看不清", "会员", "欢迎", "ログイン", "会員", "パスワード", "로그인", "회원", "비밀번호"},
		ruleCookie:     {"cookie", "galleta", "traceur", "куки", "continuing", "browsing", "using"},
		ruleAdblock:    {"block", "whitelist", "allowlist", "white list", "allow list", "how to", "your ad", "allow ads", "enable ads", "bloqueur", "bloqueador", "блокировщик", "广告"},
		ruleShare:      {"share", "reach", "email", "e-mail", "contact", "关注", "關注", "compárt", "comparte", "partagez", "teilen sie", "поделитесь", "channel", "telegram", "whatsapp", "youtube", "instagram", "facebook", "twitter", "tiktok", "viber"},
		ruleContrib:    {"contribu", "beigetragen", "mitgearbeitet", "colaboró"},
		ruleNewsletter: {"newsletter", "inbox", "e-mail", "email", "briefing", "рассылк", "订阅", "boletín", "lettre", "подпиш", "deliver", "issues"},
		ruleComments:   {"join", "comment", "repl", "kommentar", "diskutieren", "commentaire", "comentario", "comentário", "комментари", "评论", "moderat"},
		ruleMobile:     {"版"},
		ruleCopyright:  {"©", "rights", "rechte", "droits", "derechos", "права", "版权", "著作権"},
		rulePhoto:      {"getty", "shutterstock", "istock", "alamy", "photo", "efe", "reuters/", "pa wire", "pa media", "dpa"},
		ruleAffiliate:  {"affiliate", "referral", "sponsored", "commission", "earn", "share of", "buy", "purchase", "links", "liens", "enlaces", "партнерск"},
		ruleJS:         {"javascript"},
		ruleTypo:       {"ctrl", "strg", "ctl", "ошибку", "发现", "發現"},
		ruleVideo:      {"player", "stream"},
		ruleSource:     {"原"},
	}
	for i := range rs.phrases {
		for j := range rs.phrases[i].phrases {
			if p := &rs.phrases[i].phrases[j]; p.needs != nil {
				p.needs = needs[rs.phrases[i].name]
			}
		}
	}
	const month = `(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?|dec(ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre)`
	rs.date = regexp.MustCompile(`(?i)(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(t[\d:.]+(z|[+-]\d\d:?\d\d)?)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}(st|nd|rd|th|er)?\.?\s*((of|de)\s+)?` + month + `\.?,?\s+((de|del)\s+)?\d{4}|` + month + `\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}|\d+\s+(second|minute|hour|day|week|month|year)s?\s+ago|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日|\d{1,2}[:h]\d{2}([:.]\d{2}(\.\d+)?)?\s*(am|pm|a\.m\.|p\.m\.)?|\d{1,2}\.\d{2}\s*(am|pm|a\.m\.|p\.m\.|uhr\b)|\d{1,2}\s*(am|pm)\b|\d{8})`)
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
	rs.byline = regexp.MustCompile(`^(?i:by|von|par|por|door|di|av|автор:?|текст:?|作者[:：]?|记者[:：]?|责任编辑[:：]?|编辑[:：]?)\s*(\p{Lu}[\p{L}'’.\-]*|\p{Han}{2,4})((\s+|,\s*|\s+(?i:and|und|et|y|и)\s+)(\p{Lu}[\p{L}'’.\-]*|\p{Han}{2,4})){0,7}(\s+(?i:in|en|à|aus|в|from)\s+\p{Lu}[\p{L}'’.\-]*(\s+\p{Lu}[\p{L}'’.\-]*)?)?\.?$`)
	rs.name = regexp.MustCompile(`^\p{Lu}[\p{L}'’.\-]*(\s+\p{Lu}[\p{L}'’.\-]*){0,3}$`)
	rs.sourceW = regexp.MustCompile(`(?i)(原网页|原文|来源|來源|出处|出處|稿源|source|quelle|fuente|источник)`)
	rs.cjkLabel = regexp.MustCompile(`(来源|來源|出处|出處|稿源|作者|记者|記者|编辑|編輯|责编|責編|时间|時間|日期|点击|點擊|浏览|瀏覽|阅读|閱讀|人气|人氣|字号|字號|评论|評論)(次数|次數|数|數|量)?\s*[:：]`)
	rs.teaser = regexp.MustCompile(`^.{15,160} \| \p{Lu}[\p{L}'’.\-]+( \p{Lu}[\p{L}'’.\-]+){0,3}$`)
	rs.social = regexp.MustCompile(`^((share( this( article| story| page)?)?|teilen|partager|compartir|поделиться|分享到?)\s*[:：]?\s*)?((facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|telegram|e-?mail|messenger|flipboard|vk|вконтакте|одноклассники|weibo|微博|微信|wechat|qq|copy link|print|sms|imprimir|drucken|imprimer|печать|打印|(send|enviar|envoyer|senden)( by| por| par| per)? (e-?mail|correo)|per e-?mail (senden|teilen))[\s,|/•·]*){2,}$`)
	rs.fullDate = regexp.MustCompile(`(?i)(\d{4}|ago|` + month + `|\d{1,2}月|\d{1,2}[-/.]\d{1,2}[-/.]\d{2})`)
	rs.stampWord = regexp.MustCompile(`(?i)(updated|published|posted|modified|aktualisiert|veröffentlicht|publié|mis à jour|actualizado|publicado|обновлено|опубликовано|发布|更新)`)
	rs.bio = regexp.MustCompile(`^\p{Lu}[\p{L}.'’-]+( \p{Lu}[\p{L}.'’-]+){0,3} (\([^)]{1,60}\) )?(is|was|has been) (a|an|the|our) [^.]{0,80}\b(writer|editor|reporter|correspondent|journalist|columnist|contributor|author|producer|curator|blogger|photographer)\b`)
	rs.speech = regexp.MustCompile(`(\b(said|says|told|added|explained|announced|stated|wrote|sagte|sagt|erklärte|betonte|teilte [^.]{1,40} mit|dijo|afirmó|señaló|explicó|agregó|añadió|declaró|según)\b|\ba (déclaré|dit|indiqué|affirmé|expliqué|ajouté|annoncé)\b|(^|\P{L})(заявил|сказал|сообщил|отметил|по словам)|(表示|指出|透露|宣布))`)
	rs.help = regexp.MustCompile(`^[^.!]{1,30}[?:]$`)
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

// phrase returns the first phrase rule matching the paragraph.
func (rs *ruleSet) phrase(text, lower string, runes int) string {
	for _, r := range rs.phrases {
		for _, p := range r.phrases {
			if runes <= p.max && (p.needs == nil || containsAny(lower, p.needs)) && p.re.MatchString(lower) {
				return r.name
			}
		}
	}
	if runes <= 160 && strings.Contains(text, " | ") && rs.teaser.MatchString(text) {
		return ruleRelated
	}
	if runes <= 200 && rs.social.MatchString(lower) {
		return ruleShare
	}
	return ""
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
	locs := rs.date.FindAllStringIndex(text, -1)
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

// isByWord: the word a byline starts with ("By", "Von", "Текст:").
func isByWord(w string) bool {
	switch strings.ToLower(strings.TrimRight(w, ":：")) {
	case "by", "von", "par", "por", "door", "di", "av", "автор", "текст", "author", "autor", "auteur":
		return true
	}
	return false
}

// bylinePrefix is a cheap test for the words a byline starts with.
func bylinePrefix(s string) bool {
	for _, p := range []string{"作者", "记者", "责任编辑", "编辑"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	w := s
	if i := strings.IndexFunc(s, unicode.IsSpace); i > 0 {
		w = s[:i]
	}
	switch strings.ToLower(strings.TrimRight(w, ":")) {
	case "by", "von", "par", "por", "door", "di", "av", "автор", "текст":
		return true
	}
	return false
}

func stripBylinePrefix(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if i := strings.IndexFunc(s, unicode.IsSpace); i > 0 {
		first := strings.ToLower(strings.TrimRight(s[:i], ":："))
		switch first {
		case "by", "von", "par", "por", "door", "di", "av", "автор", "текст":
			s = strings.TrimSpace(s[i:])
		}
	}
	for _, p := range []string{"作者", "记者", "责任编辑", "编辑"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimLeft(s, ":： ")
	// "Jane Doe in Kyiv": the place is not part of the name.
	for _, sep := range []string{" in ", " en ", " à ", " aus ", " в ", " from "} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	return s
}
