package cleaner

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// context paragraphs in the article's language, so script-based rules
// know what the article is written in.
var articleContext = map[string]string{
	"en": "The government announced on Tuesday that it would expand the programme to cover every region of the country by the end of next year, officials said.",
	"de": "Die Regierung kündigte am Dienstag an, das Programm bis Ende nächsten Jahres auf alle Regionen des Landes auszuweiten, teilten Beamte mit.",
	"fr": "Le gouvernement a annoncé mardi qu'il étendrait le programme à toutes les régions du pays d'ici la fin de l'année prochaine, selon des responsables.",
	"es": "El gobierno anunció el martes que ampliará el programa a todas las regiones del país antes de finales del próximo año, según informaron funcionarios.",
	"ru": "Правительство во вторник объявило, что до конца следующего года расширит программу на все регионы страны, сообщили чиновники.",
	"zh": "政府周二宣布，将在明年年底前把这一计划扩大到全国所有地区，官员们表示，这项措施将惠及数百万居民。",
}

func mkPara(text string) para {
	n := 0
	for _, r := range text {
		if r != ' ' {
			n++
		}
	}
	return para{text: text, runes: n}
}

// ruleFor runs the paragraph rules over a small article in lang with text
// as its last paragraph and returns the rule that removed text ("" = kept).
func ruleFor(t *testing.T, c *Cleaner, lang, text string) string {
	t.Helper()
	ctx := articleContext[lang]
	return ruleIn(c, []para{mkPara(ctx), mkPara(ctx + " " + ctx), mkPara(text)}, text,
		pageFacts{title: "A headline about the programme", urls: []string{"https://news.example/a"}})
}

// ruleIn runs the paragraph rules over paras and returns the rule that
// removed text ("" = kept).
func ruleIn(c *Cleaner, paras []para, text string, facts pageFacts) string {
	var rep Report
	c.filter(paras, facts, &rep)
	for _, r := range rep.Removed {
		if r.Text == text {
			return r.Rule
		}
	}
	return ""
}

func TestParagraphRules(t *testing.T) {
	c := New(Options{})
	long := func(lang, s string) string { return s + " " + articleContext[lang] + " " + articleContext[lang] }
	tests := []struct {
		name string
		lang string
		text string
		want string
	}{
		// login / registration walls
		{"login en register to continue", "en", "Register for free to continue reading", ruleLogin},
		{"login en already have account", "en", "Already have an account? sign in", ruleLogin},
		{"login en by clicking", "en", "By clicking ‘Create account’ you confirm that you have read and agree to our Terms of use and Privacy notice.", ruleLogin},
		{"login en recaptcha", "en", "This site is protected by reCAPTCHA and the Google Privacy policy and Terms of service apply.", ruleLogin},
		{"login de", "de", "Sie haben bereits ein Konto? Hier anmelden", ruleLogin},
		{"login fr", "fr", "Déjà un compte ? Connectez-vous", ruleLogin},
		{"login es", "es", "¿Ya tienes una cuenta? Inicia sesión", ruleLogin},
		{"login ru", "ru", "Уже есть аккаунт? Войти", ruleLogin},
		{"login zh captcha", "zh", "验证码", ruleLogin},
		{"login zh welcome bar", "zh", "您好,欢迎访问! [ 登录 | 注册 ]", ruleLogin},
		{"login en article mentions sign in", "en", long("en", "Users who sign in to the service will be asked to register their phones to continue using it, the company said in a statement."), ""},
		{"login zh sentence with 登录", "zh", long("zh", "台风于周三凌晨在沿海地区登录，当地政府已紧急疏散数万名居民。"), ""},

		// paywall
		{"paywall en", "en", "Subscribe now for unlimited access to continue reading this story.", rulePaywall},
		{"paywall de", "de", "Dieser Artikel ist nur für Abonnenten verfügbar.", rulePaywall},
		{"paywall fr", "fr", "La suite de cet article est réservée aux abonnés.", rulePaywall},
		{"paywall es", "es", "Contenido exclusivo para suscriptores.", ""}, // alone in the body; see TestCorroboratedRules
		{"paywall ru", "ru", "Этот материал доступен только подписчикам.", rulePaywall},

		// cookies
		{"cookie en", "en", "We use cookies to improve your experience. Accept all cookies", ruleCookie},
		{"cookie de", "de", "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.", ruleCookie},
		{"cookie fr", "fr", "Nous utilisons des cookies pour améliorer votre expérience.", ruleCookie},
		{"cookie es", "es", "Utilizamos cookies propias y de terceros para mejorar nuestros servicios.", ruleCookie},
		{"cookie ru", "ru", "Мы используем файлы cookie, чтобы улучшить работу сайта.", ruleCookie},
		{"cookie zh", "zh", "本网站使用cookie以改善您的浏览体验。", ruleCookie},
		{"cookie en long article stays", "en", long("en", "Regulators said the company had used cookies to track users across websites without their consent, and that the fine reflected the scale of the breach."), ""},
		{"cookie de long article stays", "de", long("de", "Die Datenschutzbehörde erklärte, wir verwenden Cookies sei keine ausreichende Information für Nutzer, und verhängte ein Bußgeld gegen das Unternehmen."), ""},

		// ad blockers
		{"adblock en", "en", "Visit our adblocking instructions page.", ruleAdblock},
		{"adblock de", "de", "Bitte deaktivieren Sie Ihren Werbeblocker.", ruleAdblock},
		{"adblock fr", "fr", "Veuillez désactiver votre bloqueur de publicité.", ruleAdblock},
		{"adblock es", "es", "Por favor, desactiva tu bloqueador de anuncios.", ruleAdblock},
		{"adblock ru", "ru", "Пожалуйста, отключите блокировщик рекламы.", ruleAdblock},
		{"adblock zh", "zh", "请关闭广告拦截插件后刷新页面。", ruleAdblock},

		// share / follow
		{"share en", "en", "Share this article", ruleShare},
		{"share social row", "en", "Facebook Twitter WhatsApp Email", ruleShare},
		{"share de", "de", "Folgen Sie uns auf Twitter", ruleShare},
		{"share fr", "fr", "Suivez-nous sur Facebook", ruleShare},
		{"share es", "es", "Síguenos en Twitter", ruleShare},
		{"share ru", "ru", "Поделиться", ruleShare},
		{"share zh", "zh", "分享到", ruleShare},

		// newsletters
		{"newsletter en", "en", "Sign up to our free newsletter for a daily digest of the latest news", ruleNewsletter},
		{"newsletter de", "de", "Jetzt Newsletter abonnieren", ruleNewsletter},
		{"newsletter fr", "fr", "Inscrivez-vous à notre newsletter", ruleNewsletter},
		{"newsletter es", "es", "Suscríbete a nuestro boletín", ruleNewsletter},
		{"newsletter ru", "ru", "Подпишитесь на нашу рассылку", ruleNewsletter},
		{"newsletter zh", "zh", "订阅我们的新闻邮件", ruleNewsletter},

		// comments
		{"comments en forum", "en", "Join our new commenting forum", ruleComments},
		{"comments en conversations", "en", "Join thought-provoking conversations, follow other readers and see their replies", ruleComments},
		{"comments de", "de", "Kommentare anzeigen", ruleComments},
		{"comments fr", "fr", "Laisser un commentaire", ruleComments},
		{"comments es", "es", "Deja un comentario", ruleComments},
		{"comments ru", "ru", "Оставить комментарий", ruleComments},
		{"comments zh", "zh", "发表评论", ruleComments},
		{"comments en article stays", "en", long("en", "Comments made by the minister at the weekend prompted a backlash from opposition parties, who called for an inquiry."), ""},

		// video and event promos
		{"video en watch live", "en", "Watch live as the president speaks amid tensions with Russia", ruleVideo},
		{"video en watch colon", "en", "Watch: President compares situation to a film", ruleVideo},
		{"video de", "de", "Video: So lief der Gipfel in Brüssel", ruleVideo},
		{"video fr", "fr", "Vidéo : le sommet de Bruxelles en images", ruleVideo},
		{"video es", "es", "Vídeo: así fue la cumbre de Bruselas", ruleVideo},
		{"video ru", "ru", "Видео: как прошёл саммит в Брюсселе", ruleVideo},
		{"video zh", "zh", "视频：峰会现场画面", ruleVideo},
		{"event en", "en", "Join our free virtual event with our foreign correspondents on Wednesday", ruleEvent},

		// related teasers
		{"related en read more", "en", "Read more: Why the talks collapsed", ruleRelated},
		{"related en premium", "en", "Premium: Germany has taken a cautious stance", ruleRelated},
		{"related en headline author", "en", "Why the coalition will be on the right side of history | Jane Columnist", ruleRelated},
		{"related de", "de", "Lesen Sie auch: Warum die Gespräche scheiterten", ruleRelated},
		{"related fr", "fr", "Lire aussi : Pourquoi les négociations ont échoué", ruleRelated},
		{"related es", "es", "Lee también: Por qué fracasaron las negociaciones", ruleRelated},
		{"related ru", "ru", "Читайте также: почему переговоры провалились", ruleRelated},
		{"related zh", "zh", "相关阅读：谈判为何失败", ruleRelated},

		// tag footers
		{"tags zh", "zh", "标签:综合", ruleTags},
		{"keywords zh", "zh", "关键词: 普京 马克龙 乌克兰", ruleTags},
		{"scrolling news zh", "zh", "滚动新闻", ruleTags},
		{"tags en", "en", "Tags: Russia, Ukraine, Nato", ruleTags},
		{"tags de", "de", "Schlagworte: Russland, Ukraine", ruleTags},
		{"tags fr", "fr", "Mots-clés : Russie, Ukraine", ruleTags},
		{"tags es", "es", "Etiquetas: Rusia, Ucrania", ruleTags},
		{"tags ru", "ru", "Теги: Россия, Украина", ruleTags},

		// mobile version and back to top
		{"mobile en", "en", "Exit mobile version", ruleMobile},
		{"mobile de", "de", "Zur Desktop-Version", ruleMobile},
		{"mobile es", "es", "Versión móvil", ruleMobile},
		{"mobile ru", "ru", "Мобильная версия сайта", ruleMobile},
		{"mobile zh", "zh", "手机版", ruleMobile},
		{"top en", "en", "Back to top", ruleTop},
		{"top de", "de", "Nach oben", ruleTop},
		{"top fr", "fr", "Retour en haut", ruleTop},
		{"top es", "es", "Volver arriba", ruleTop},
		{"top ru", "ru", "Наверх", ruleTop},
		{"top zh", "zh", "返回顶部", ruleTop},

		// live-blog notices
		{"update en", "en", "Updates to follow...", ruleUpdate},
		{"update en follow below", "en", "Follow the latest updates below.", ruleUpdate},
		{"update de", "de", "Mehr in Kürze", ruleUpdate},
		{"update ru", "ru", "Новость дополняется", ruleUpdate},

		// agency credits
		{"agency PA", "en", "PA", ruleAgency},
		{"agency Reuters AFP", "en", "Reuters/AFP", ruleAgency},
		{"agency reporting by", "en", "(Reporting by Jane Doe; Editing by John Roe)", ""}, // alone in the body; see TestCorroboratedRules
		{"agency word in sentence stays", "en", long("en", "Reuters reported that the talks would resume on Monday in Geneva."), ""},

		// bylines, timestamps and source lines
		{"byline glued to timestamp", "en", "Tom Batchelor11 February 2022 14:35", ruleByline},
		{"byline by", "en", "By Jane Doe", ruleByline},
		{"byline updated", "en", "Updated 14:35 GMT", ruleByline},
		{"byline de", "de", "Von Max Mustermann", ruleByline},
		{"byline fr", "fr", "Par Marie Dupont", ruleByline},
		{"byline es", "es", "Por Juan Pérez", ruleByline},
		{"byline ru", "ru", "Автор: Иван Петров", ruleByline},
		{"byline zh", "zh", "记者 王小明", ruleByline},
		{"stamp de", "de", "Aktualisiert am 11. Februar 2022, 14:35 Uhr", ruleByline},
		{"stamp fr", "fr", "Publié le 11 février 2022 à 14h35", ruleByline},
		{"stamp es", "es", "Actualizado el 11 de febrero de 2022", ruleByline},
		{"stamp ru", "ru", "Опубликовано 11 февраля 2022, 14:35", ruleByline},
		{"source line zh", "zh", "2022-02-08 00:00:00.0 每日电讯报-英国新闻 原网页", ruleSource},
		{"source en", "en", "Source: Ministry of Defence", ruleSource},
		{"portal info line zh", "en", "2023-03-15 09:32:10 来源：路透社 作者：Kiyoshi Takenaka 浏览次数：1024", ruleSource},
		{"portal info line without date", "en", "本文来源：卫报 编辑：赵磊", ruleSource},
		{"portal info line traditional", "zh", "時間：2023/09/03 來源：中央社 點擊：88", ruleSource},
		{"tweet signature stays", "en", "— Jane Doe (@janedoe) November 19, 2019", ""},
		{"bare entry time", "en", "21:40", ruleByline},
		{"bare entry time with zone", "en", "9.05am GMT", ruleByline},
		{"opening hours stay", "en", "9.30 A.M. / 7.00 P.M.", ""},
		{"time in a short sentence stays", "en", "Doors open at 7:30 pm", ""},
		{"sentence with date stays", "en", "The summit will take place on 11 February 2022 in Brussels, the ministry said.", ""},

		{"byline dash stamp", "en", "By Justine Coleman - 11/18/19 11:04 PM EST", ruleByline},
		{"byline lower-case by", "en", "by Regan September 15, 2014", ruleByline},

		// copyright, affiliate disclosures, javascript notices, the page's own URL
		{"copyright en", "en", "© 2019 Example News Ltd. All rights reserved.", ""}, // alone in the body; see TestCorroboratedRules
		{"copyright photo credit", "en", "© Aaron Photographer", ""},                // alone in the body; see TestCorroboratedRules
		{"copyright de", "de", "Alle Rechte vorbehalten.", ""},                      // alone in the body; see TestCorroboratedRules
		{"copyright ru", "ru", "Все права защищены.", ""},                           // alone in the body; see TestCorroboratedRules
		{"copyright zh", "zh", "版权所有 京ICP备12345678号", ""},                           // alone in the body; see TestCorroboratedRules
		{"copyright law sentence stays", "en", long("en", "The court ruled that the copyright on the novel had expired in 2019."), ""},
		{"affiliate en", "en", "This post may contain affiliate and/or referral links. Please see my disclosure page.", ""}, // alone in the body; see TestCorroboratedRules
		{"affiliate de", "de", "Dieser Artikel enthält Affiliate-Links.", ""},                                               // alone in the body; see TestCorroboratedRules
		{"affiliate fr", "fr", "Cet article contient des liens affiliés.", ""},                                              // alone in the body; see TestCorroboratedRules
		{"javascript en", "en", "This slideshow requires JavaScript.", ruleJS},
		{"javascript de", "de", "Bitte JavaScript aktivieren.", ruleJS},
		{"page url", "en", "https://news.example/a", rulePageURL},

		{"photo credit getty", "en", "Sakib Ali/Hindustan Times/Getty Images", ""}, // alone in the body; see TestCorroboratedRules
		{"photo credit label ru", "ru", "Фото: личный архив", ""},                  // alone in the body; see TestCorroboratedRules
		{"photo credit de", "de", "Foto: dpa", ""},                                 // alone in the body; see TestCorroboratedRules
		{"reading time pt", "es", "Tiempo de lectura: 2 minutos", ruleReading},
		{"reading time en", "en", "5 min read", ruleReading},
		{"ui label en", "en", "Hide caption", ruleUI},
		{"ui label fr", "fr", "Fermer", ruleUI},
		{"ui label ru", "ru", "Показать ещё", ruleUI},
		{"relative stamp", "en", "Published 1 day ago", ruleByline},
		{"more stories", "en", "More Great WIRED Stories", ruleRelated},
		{"subscribe prompt", "en", "Subscribe to WIRED and stay smart with more of your favorite writers.", ""}, // alone in the body; see TestCorroboratedRules
		{"underscores only", "en", "______________________________", ruleNoText},

		{"contributor credit", "en", "Jane Doe contributed to this report.", ""},                                                                        // alone in the body; see TestCorroboratedRules
		{"reporting by long", "en", "(Reporting by Greg Roe, Joshua Doe, with reporting by Herb Lash and Megan Davies, editing by Martin Howell.)", ""}, // alone in the body; see TestCorroboratedRules
		{"author bio at the end", "en", "Jane Doe is a freelance writer living in Minneapolis.", ruleBio},
		{"contact line", "en", "Email Jane Doe at jdoe@news.example or follow her on Twitter.", ruleShare},
		{"follow coverage", "en", "Follow our full coverage of the election at https://news.example/election", ruleShare},
		{"newsletter we send", "en", "Every day we send an email with the top stories.", ruleNewsletter},
		{"comment moderation", "en", "Note: we are temporarily moderating all comments submitted to deal with spam.", ruleComments},
		{"affiliate commission", "en", "Example Corp may earn an Affiliate Commission if you purchase something through recommended links in this article.", ""}, // alone in the body; see TestCorroboratedRules

		{"disclaimer en", "en", "Disclaimer: The views expressed by experts on this site are their own and not those of the website or its management.", ""}, // alone in the body; see TestCorroboratedRules
		{"disclaimer zh", "zh", "免责声明：本文仅代表作者个人观点，与本网站无关。", ""},                                                                                              // alone in the body; see TestCorroboratedRules

		// ads, breadcrumbs
		{"ad label en", "en", "Advertisement", ruleAd},
		{"ad label de", "de", "Anzeige", ruleAd},
		{"ad label ru", "ru", "Реклама", ruleAd},
		{"breadcrumb zh", "zh", "您的位置:首页 - 最新资讯", ruleBreadcrumb},
		{"breadcrumb en", "en", "Home > News > World", ruleBreadcrumb},

		// other script than the article's
		{"foreign zh chrome in en article", "en", "用户名/邮箱", ruleLogin},
		{"foreign zh nav in en article", "en", "最新资讯 国际新闻 图片频道", ruleForeign},
		{"foreign en chrome in ru article", "ru", "Home News Sport", ruleForeign},
		{"same script stays", "en", "Ukraine crisis: what we know", ""},
		{"quoted foreign words inside long paragraph stay", "en", long("en", "Protesters chanted «Слава Україні» and carried banners reading 和平 as they marched."), ""},

		// phrase families in other wordings than the seeds'
		{"login en have an account", "en", "Have an account? Log in", ruleLogin},
		{"login en subscriber question", "en", "Already a subscriber? Sign in here", ruleLogin},
		{"login en signing up is quick", "en", "Signing up is quick, free and gives you access to all our live coverage.", ""}, // alone in the body; see TestCorroboratedRules
		{"login en log in or register", "en", "Log in / Register", ruleLogin},
		{"login zh traditional", "zh", "會員登入", ruleLogin},
		{"login zh forgotten password", "zh", "忘記密碼", ruleLogin},
		{"paywall en unlimited access", "en", "Subscribe now for unlimited access", rulePaywall},
		{"paywall es price", "es", "Suscríbete por 1 € al mes y accede sin límites", rulePaywall},
		{"paywall de price", "de", "Jetzt abonnieren und alle Artikel lesen – im ersten Monat für nur 0,99 €.", rulePaywall},
		{"paywall en limit reached", "en", "You have reached your limit of free articles this month.", rulePaywall},
		{"paywall en sentence about subscriptions stays", "en", long("en", "Subscribers to the streaming service will pay $2 a month more from June, the company said."), ""},
		{"adblock en whitelisting", "en", "Please consider supporting us by whitelisting our site.", ruleAdblock},
		{"share en telegram channel", "en", "Join our Telegram channel for the latest updates", ruleShare},
		{"share ru telegram", "ru", "Подписывайтесь на наш канал в Telegram, чтобы первыми узнавать главные новости.", ruleShare},
		{"event en label before join", "en", "Book now: Join our panel of health experts for a live Q&A on the future of the NHS", ruleEvent},
		{"event en tickets", "en", "Get your tickets for our autumn festival of ideas", ruleEvent},
		{"video en player", "en", "Follow the hearing live on our video player as the committee questions the regulator.", ruleVideo},
		{"related en subscriber exclusive", "en", "Subscriber exclusive: Why the price cap formula is broken", ruleRelated},
		{"related de abonnenten exklusiv", "de", "Abonnenten-exklusiv: Was der Streik die Wirtschaft kostet", ruleRelated},
		{"tags es archivado", "es", "Archivado en: Sequía · Andalucía · Agricultura", ruleTags},
		{"tags zh traditional", "zh", "標籤：颱風 海葵", ruleTags},
		{"agency sapa", "en", "Sapa", ""},                          // alone in the body; see TestCorroboratedRules
		{"agency with afp fr", "fr", "Avec AFP", ""},               // alone in the body; see TestCorroboratedRules
		{"agency mit dpa", "de", "mit dpa", ""},                    // alone in the body; see TestCorroboratedRules
		{"agency ru by materials", "ru", "По материалам ТАСС", ""}, // alone in the body; see TestCorroboratedRules
		{"typo ru", "ru", "Нашли ошибку? Выделите текст и нажмите Ctrl+Enter", ruleTypo},
		{"typo de", "de", "Fehler gefunden? Markieren Sie den Text und drücken Sie Strg+Enter.", ruleTypo},
		{"typo en", "en", "Spotted a typo? Let us know.", ruleTypo},
		{"mobile es ver escritorio", "es", "Ver versión de escritorio", ruleMobile},

		{"update en more to come", "en", "More to come.", ruleUpdate},
		{"update en refresh", "en", "Please refresh the page for the latest updates", ruleUpdate},
		{"login en account blurb", "en", "It takes less than a minute to create an account, and you'll get unlimited access to our live blogs.", ruleLogin},
		{"login en unlimited access promise", "en", "Register today and you'll get unlimited access to every story.", ruleLogin},
		{"login en to keep reading", "en", "To keep reading, sign up for free", ruleLogin},
		{"login de weiterlesen registrieren", "de", "Zum Weiterlesen bitte kostenlos registrieren", ruleLogin},
		{"login de weiterlesen abonnieren", "de", "Zum Weiterlesen jetzt abonnieren", ruleLogin},
		{"login de schon ein konto", "de", "Sie haben schon ein Konto? Jetzt einloggen", ruleLogin},
		{"login de consent", "de", "Mit Ihrer Registrierung akzeptieren Sie unsere AGB und Datenschutzbestimmungen.", ruleLogin},
		{"login fr lire la suite", "fr", "Pour lire la suite, connectez-vous ou créez un compte", ruleLogin},
		{"login fr consent", "fr", "En vous inscrivant, vous acceptez nos conditions générales d'utilisation.", ruleLogin},
		{"login es seguir leyendo", "es", "Para seguir leyendo, regístrate gratis", ruleLogin},
		{"login es consent", "es", "Al registrarte aceptas nuestros términos y condiciones.", ruleLogin},
		{"login ru continue reading", "ru", "Чтобы продолжить чтение, зарегистрируйтесь", ruleLogin},
		{"login en article on accounts stays", "en", long("en", "Customers will have to create an account to access the new service, which the bank says will give them full control over their savings."), ""},
		{"video en listen to article", "en", "Listen to this article", ruleVideo},
		{"video de anhören", "de", "Artikel anhören", ruleVideo},
		{"app en", "en", "Download our app for breaking news alerts", ruleApp},
		{"app fr", "fr", "Téléchargez notre application", ruleApp},
		{"app ru", "ru", "Скачайте наше приложение", ruleApp},
		{"app zh", "zh", "下载客户端", ruleApp},
		{"app sentence stays", "en", long("en", "Download speeds for the app have doubled since the update, the company said."), ""},
		{"related es relacionado", "es", "Relacionado: El peso cierra con ganancias frente al dólar", ruleRelated},
		{"related de mehr zum", "de", "Mehr zum Hochwasser: So schützen Sie Ihr Haus", ruleRelated},
		{"related en more on", "en", "More on the floods: How to protect your home", ruleRelated},
		{"agency es con informacion", "es", "Con información de Reuters", ""}, // alone in the body; see TestCorroboratedRules
		{"agency en with files", "en", "With files from AFP", ""},             // alone in the body; see TestCorroboratedRules
		{"bare time de", "de", "10.45 Uhr", ruleByline},

		{"share labelled social row", "en", "Share: Facebook · Twitter · LinkedIn · Email", ruleShare},
		{"adblock how to disable", "en", "Need help? Find out how to disable it here.", ""}, // alone in the body; see TestCorroboratedRules
		{"video es en vivo", "es", "En vivo: la celebración en el búnker del ganador", ruleVideo},
		{"video fr en direct", "fr", "En direct : suivez la conférence de presse du préfet", ruleVideo},
		{"agency telam", "es", "Télam", ""}, // alone in the body; see TestCorroboratedRules
		{"paywall es voseo with label", "es", "Seguí leyendo: suscribite por $990 al mes", rulePaywall},
		{"login es voseo", "es", "¿Ya tenés cuenta? Ingresá", ruleLogin},
		{"related es mas noticias", "es", "Más noticias de Política", ruleRelated},
		{"related en more news", "en", "More news from the region", ruleRelated},

		{"paywall de nur mit abo", "de", "Dieser Artikel ist nur mit einem Abo lesbar.", rulePaywall},
		{"paywall es solo suscriptores", "es", "Esta noticia es solo para suscriptores.", rulePaywall},
		{"paywall ru only subscribers", "ru", "Статья доступна только по подписке.", ""}, // alone in the body; see TestCorroboratedRules
		{"ui de startseite", "de", "Zur Startseite", ruleUI},
		{"ui en back to homepage", "en", "Back to homepage", ruleUI},
		{"ui zh bracket toolbar", "zh", "【纠错】【打印】【关闭】", ruleUI},
		{"ui en bracket toolbar", "en", "[ Print ] [ Close ]", ruleUI},
		{"share zh wechat follow", "zh", "扫码关注我们的微信公众号，获取更多资讯", ruleShare},

		{"login en continue reading by registering", "en", "Please continue reading by registering for free", ruleLogin},
		{"login en keep reading when you subscribe", "en", "Keep reading when you subscribe or create an account", ruleLogin},

		{"prevnext en previous post", "en", "« Previous post: Library reopens after refurbishment", rulePrevNext},
		{"prevnext en next post", "en", "Next post: Summer fair returns to the park »", rulePrevNext},
		{"prevnext de", "de", "Nächster Beitrag: Feuerwehr erhält neues Fahrzeug", rulePrevNext},
		{"prevnext es", "es", "Entrada anterior: Sube la gasolina", rulePrevNext},
		{"prevnext ru", "ru", "Следующая статья: Когда откроют новые станции", rulePrevNext},
		{"prevnext zh", "zh", "上一篇：多地出台措施促进消费", rulePrevNext},
		{"prevnext sentence stays", "en", long("en", "Next year's budget will be the last before the election, the minister said."), ""},
		{"tags en posted in", "en", "Posted in Local News | 7 Comments", ruleTags},

		{"share es compartela", "es", "¿Te ha gustado esta noticia? Compártela en tus redes sociales", ruleShare},
		{"share es print mail row", "es", "Imprimir | Enviar por correo", ruleShare},
		{"share de teilen sie", "de", "Teilen Sie diesen Artikel mit Ihren Freunden", ruleShare},

		{"adblock allow list", "en", "Please add us to your allow list to keep reading.", ruleAdblock},
		{"comments now open", "en", "Comments are now open. Be respectful and stay on topic.", ""},                                                                    // alone in the body; see TestCorroboratedRules
		{"event reader questions", "en", "Coming up: Our political editor will be answering readers' questions on the bill at 6.30pm tonight – submit yours now", ""}, // alone in the body; see TestCorroboratedRules
		{"photo pictured", "en", "Pictured: Protesters outside Parliament as peers debate the bill", ""},                                                              // alone in the body; see TestCorroboratedRules
		{"related brand premium label", "en", "Herald Premium: The scheme has already cost £290m. What has it bought?", ruleRelated},

		// reported speech quoting prompt words stays
		{"quoted paywall words stay", "en", "\"Subscribe now for unlimited access was never a promise we could keep at the old price,\" the chief executive told analysts.", ""},
		{"reported ad blocker policy stays", "en", "The company also said it would stop blocking users of ad blockers, after complaints that the policy locked out paying customers.", ""},
		{"reported read more stays", "en", "Read more about the changes on the company's blog, the statement said, adding that details would follow.", ""},
		{"reported de stays", "de", "Wir verwenden Cookies nur noch mit Zustimmung der Nutzer, sagte der Sprecher des Unternehmens am Dienstag.", ""},
		{"short prompt with said-like word still goes", "en", "Read more: What the minister said", ruleRelated},

		// a copyright line about the site itself, not a credit of the story
		{"copyright of the site", "en", "The contents of this site are ©2019 Example Publishing Corp., a subsidiary of Example Holdings, Inc.", ruleCopyright},
		{"copyright credit of a photo stays", "en", "© Example Photographer", ""},

		// the title repeated as a paragraph
		{"title repeat", "en", "A headline about the programme", ruleTitle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleFor(t, c, tt.lang, tt.text); got != tt.want {
				t.Errorf("rule for %q = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestDuplicateRule(t *testing.T) {
	c := New(Options{})
	prose := "Responses from the US and NATO did not take into account Moscow’s security concerns, Vladimir Putin told his French counterpart."
	label := "Portion: 1 cup spinach, 1 cup strawberries, 8 oz. almond milk and 1 tsp. nut butter, blended"
	paras := []para{mkPara(prose), mkPara(label), mkPara("Meal 1"), mkPara(prose), mkPara(label), mkPara("Meal 1")}
	var rep Report
	kept := c.filter(paras, pageFacts{}, &rep).kept
	want := []string{prose, label, "Meal 1", label, "Meal 1"}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Removal{{Rule: ruleDuplicate, Text: prose}}, rep.Removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
}

func TestLinkDenseRule(t *testing.T) {
	tests := []struct {
		name string
		p    para
		want bool
	}{
		{"headline link", para{text: "Markets slide as tensions rise", runes: 26, linkRunes: 26}, true},
		{"bare url citation", para{text: "https://example.org/report.pdf", runes: 30, linkRunes: 30}, false},
		{"sentence with a link", para{text: "The report, published on Monday, found rising costs.", runes: 44, linkRunes: 6}, false},
		{"linked heading", para{text: "Ukraine latest", runes: 13, linkRunes: 13, heading: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := linkDense(tt.p, utf8.RuneCountInString(tt.p.text)); got != tt.want {
				t.Errorf("linkDense = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRulesListsEveryName(t *testing.T) {
	names := map[string]bool{}
	for _, r := range Rules() {
		if names[r] {
			t.Errorf("rule %q listed twice", r)
		}
		names[r] = true
		if r != strings.ToLower(r) || strings.ContainsAny(r, " -") {
			t.Errorf("rule %q: want lower-case snake_case (optionally structure:...)", r)
		}
	}
	for _, r := range paragraphRules {
		if !names[r] {
			t.Errorf("paragraph rule %q missing from Rules()", r)
		}
	}
}

func TestRelatedHeadingTakesItsList(t *testing.T) {
	c := New(Options{})
	body := "The storm forced the closure of three ports on Tuesday, officials said, as winds swept across the coast."
	paras := []para{
		mkPara(body),
		mkPara("More Great Stories"),
		{text: "Why ferries stop at force 8", runes: 22, listItem: true},
		{text: "Ten storms that shaped the coast", runes: 27, listItem: true},
		mkPara("Closing remarks of the article stay, being ordinary prose after the list."),
	}
	var rep Report
	kept := c.filter(paras, pageFacts{}, &rep).kept
	want := []string{body, "Closing remarks of the article stay, being ordinary prose after the list."}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	for _, r := range rep.Removed {
		if r.Rule != ruleRelated {
			t.Errorf("%q removed by %s, want %s", r.Text, r.Rule, ruleRelated)
		}
	}
}

func TestHeadingWithDateIsNotAByline(t *testing.T) {
	c := New(Options{})
	h := para{text: "Russia Invades Ukraine 24 February 2022", runes: 35, heading: true}
	body := mkPara("The storm forced the closure of three ports on Tuesday, officials said, as winds swept across the coast.")
	var rep Report
	kept := c.filter([]para{h, body}, pageFacts{}, &rep).kept
	if len(kept) != 2 {
		t.Errorf("kept %q, removed %+v; want both paragraphs", kept, rep.Removed)
	}
}

// TestDuplicateRuleCJK: Chinese paragraphs carry more per character, so a
// repeated one counts as prose at fewer runes than a Latin one.
func TestDuplicateRuleCJK(t *testing.T) {
	c := New(Options{})
	zh := "中央气象台今天继续发布寒潮蓝色预警，受强冷空气影响，中东部大部地区气温将下降8至12摄氏度。"
	other := "气象专家提醒，公众应及时添衣保暖，外出注意防滑，农业生产需做好防寒防冻工作。"
	var rep Report
	kept := c.filter([]para{mkPara(zh), mkPara(other), mkPara(zh)}, pageFacts{}, &rep).kept
	if diff := cmp.Diff([]string{zh, other}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}

// TestCorroboratedRules: lines that a phrase matches but that may be the
// article's own when they stand alone in its body (a credit, a disclosure,
// a sentence about registration) go when firm chrome stands next to them,
// as they do in a caption, a registration box or a footer.
func TestCorroboratedRules(t *testing.T) {
	c := New(Options{})
	tests := []struct {
		name string
		lang string
		text string
		want string
	}{
		{"paywall es", "es", "Contenido exclusivo para suscriptores.", rulePaywall},
		{"agency reporting by", "en", "(Reporting by Jane Doe; Editing by John Roe)", ruleAgency},
		{"copyright en", "en", "© 2019 Example News Ltd. All rights reserved.", ruleCopyright},
		{"copyright photo credit", "en", "© Aaron Photographer", ruleCopyright},
		{"copyright de", "de", "Alle Rechte vorbehalten.", ruleCopyright},
		{"copyright ru", "ru", "Все права защищены.", ruleCopyright},
		{"copyright zh", "zh", "版权所有 京ICP备12345678号", ruleCopyright},
		{"affiliate en", "en", "This post may contain affiliate and/or referral links. Please see my disclosure page.", ruleAffiliate},
		{"affiliate de", "de", "Dieser Artikel enthält Affiliate-Links.", ruleAffiliate},
		{"affiliate fr", "fr", "Cet article contient des liens affiliés.", ruleAffiliate},
		{"photo credit getty", "en", "Sakib Ali/Hindustan Times/Getty Images", rulePhoto},
		{"photo credit label ru", "ru", "Фото: личный архив", rulePhoto},
		{"photo credit de", "de", "Foto: dpa", rulePhoto},
		{"subscribe prompt", "en", "Subscribe to WIRED and stay smart with more of your favorite writers.", ruleNewsletter},
		{"contributor credit", "en", "Jane Doe contributed to this report.", ruleContrib},
		{"reporting by long", "en", "(Reporting by Greg Roe, Joshua Doe, with reporting by Herb Lash and Megan Davies, editing by Martin Howell.)", ruleContrib},
		{"affiliate commission", "en", "Example Corp may earn an Affiliate Commission if you purchase something through recommended links in this article.", ruleAffiliate},
		{"disclaimer en", "en", "Disclaimer: The views expressed by experts on this site are their own and not those of the website or its management.", ruleDisclaimer},
		{"disclaimer zh", "zh", "免责声明：本文仅代表作者个人观点，与本网站无关。", ruleDisclaimer},
		{"login en signing up is quick", "en", "Signing up is quick, free and gives you access to all our live coverage.", ruleLogin},
		{"agency sapa", "en", "Sapa", ruleAgency},
		{"agency with afp fr", "fr", "Avec AFP", ruleAgency},
		{"agency mit dpa", "de", "mit dpa", ruleAgency},
		{"agency ru by materials", "ru", "По материалам ТАСС", ruleAgency},
		{"agency es con informacion", "es", "Con información de Reuters", ruleAgency},
		{"agency en with files", "en", "With files from AFP", ruleAgency},
		{"adblock how to disable", "en", "Need help? Find out how to disable it here.", ruleAdblock},
		{"agency telam", "es", "Télam", ruleAgency},
		{"paywall ru only subscribers", "ru", "Статья доступна только по подписке.", rulePaywall},
		{"comments now open", "en", "Comments are now open. Be respectful and stay on topic.", ruleComments},
		{"event reader questions", "en", "Coming up: Our political editor will be answering readers' questions on the bill at 6.30pm tonight – submit yours now", ruleEvent},
		{"photo pictured", "en", "Pictured: Protesters outside Parliament as peers debate the bill", rulePhoto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := articleContext[tt.lang]
			paras := []para{mkPara(ctx), mkPara(ctx + " " + ctx), mkPara(tt.text), mkPara("Advertisement"), mkPara(ctx)}
			got := ruleIn(c, paras, tt.text, pageFacts{title: "A headline about the programme"})
			if got != tt.want {
				t.Errorf("next to an advertisement label, rule for %q = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestSiteNameCalls: a call to act that names the site is its chrome.
func TestSiteNameCalls(t *testing.T) {
	c := New(Options{})
	text := "Subscribe to WIRED and stay smart with more of your favorite writers."
	ctx := articleContext["en"]
	for _, tt := range []struct {
		site string
		want string
	}{{"WIRED", ruleNewsletter}, {"", ""}} {
		got := ruleIn(c, []para{mkPara(ctx), mkPara(ctx + " " + ctx), mkPara(text)}, text, pageFacts{siteName: tt.site, host: "news.example"})
		if got != tt.want {
			t.Errorf("site %q: rule %q, want %q", tt.site, got, tt.want)
		}
	}
}

// TestMayHoldDate: the scan that spares the date regexp says yes to every
// text the regexp matches (one case per alternative of the regexp and
// dateTestTexts), and no to numbers that are no date.
func TestMayHoldDate(t *testing.T) {
	rs := newRuleSet()
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"iso date", "Posted 2023-05-01T10:00Z", true},
		{"day month year with dots", "1.5.23", true},
		{"time with colon", "Updated 14:35", true},
		{"time with h", "à 14h35", true},
		{"time with dot and pm", "4.30 P.M.", true},
		{"time with dot and uhr", "um 9.30 Uhr", true},
		{"hour and am", "5 AM", true},
		{"eight digits", "20230501", true},
		{"month name then year", "May 1, 2023", true},
		{"day de month de year", "1 de mayo de 2023", true},
		{"ago", "3 Hours AGO", true},
		{"cjk date", "5月1日", true},
		{"cjk date with year", "2023年5月1日", true},
		{"bare number", "5027", false},
		{"quantity", "1 tsp cinnamon", false},
		{"price", "Get it on Amazon for $243.97", false},
		{"score", "Rockledge (3-1): 1 goal", false},
		{"year without a space before it", "#2023", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayHoldDate(tt.text); got != tt.want {
				t.Errorf("mayHoldDate(%q) = %v, want %v", tt.text, got, tt.want)
			}
			if match := rs.date.MatchString(tt.text); tt.want != match {
				t.Errorf("date regexp matches %q: %v, want %v (the case tests the wrong thing)", tt.text, match, tt.want)
			}
		})
	}
	texts := dateTestTexts(t)
	checkPrefilter(t, "date regexp", "mayHoldDate", texts, mayHoldDate, rs.date, 1)
}

// sampleParagraphs is the paragraphs' text of every fourth benchmark page:
// real text for the prefilter checks.
func sampleParagraphs(t *testing.T) []string {
	t.Helper()
	var out []string
	for i, p := range loadBenchmark(t) {
		if i%4 != 0 {
			continue
		}
		root, err := parseHTML(decode(p.body, "").text)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range paragraphs(body(root)) {
			out = append(out, b.text)
		}
	}
	return out
}

// checkPrefilter holds a cheap check that spares a regexp its run to the
// regexp: over texts, the check never says no where the regexp matches.
// The texts must give the regexp at least minMatches matches and spare it
// at least once, or the test checks nothing.
func checkPrefilter(t *testing.T, what, check string, texts []string, may func(string) bool, re interface{ MatchString(string) bool }, minMatches int) {
	t.Helper()
	matched, spared := 0, 0
	for _, text := range texts {
		ok := may(text)
		if !ok {
			spared++
		}
		if re.MatchString(text) {
			matched++
			if !ok {
				t.Errorf("%s matches %q, but %s says no", what, text, check)
			}
		}
	}
	t.Logf("%d texts: the %s matches %d, %s spares it %d", len(texts), what, matched, check, spared)
	if matched < minMatches || spared == 0 {
		t.Errorf("%d matches, %d spared over %d texts: the check checks too little", matched, spared, len(texts))
	}
}

// TestDatesAsFindAll: dates, which tries the anchored date pattern only
// where a match can start, finds what the unanchored pattern's
// FindAllStringIndex finds.
func TestDatesAsFindAll(t *testing.T) {
	rs := newRuleSet()
	texts := append(dateTestTexts(t), "Updated 1:39 am EST, Wednesday, November 20, 2019", "19.11.2019, 08:57",
		"ſept. 3, 2021", "3 MÄRZ 2021", "17 ноября 2023, 12:40", "2023年9月28日 10:00", "marzo 5, 2020 y 6.7.2021", "")
	n := 0
	for _, text := range texts {
		want := rs.date.FindAllStringIndex(text, -1)
		n += len(want)
		if diff := cmp.Diff(want, rs.dates(text)); diff != "" {
			t.Errorf("dates(%q) (-FindAllStringIndex +dates):\n%s", text, diff)
		}
	}
	if n < 1000 {
		t.Errorf("only %d matches over %d texts: the check checks little", n, len(texts))
	}
}

// dateTestTexts: random strings made of the characters and words dates are
// written with (month names in any case, long s included), random runs of
// numbers, separators and date words, whole dates in their written forms,
// and the short paragraphs of a quarter of the benchmark pages.
func dateTestTexts(t *testing.T) []string {
	t.Helper()
	if dateTexts == nil {
		dateTexts = makeDateTestTexts(t)
	}
	return slices.Clone(dateTexts)
}

// dateTexts: dateTestTexts, made once for the tests that use them.
var dateTexts []string

func makeDateTestTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := strings.Split("0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 - / . : h H a A p P m M u U r R g G o O t T z Z + 年 月 日 de del of mayo ago AGO Jan "+
		"JANUARY march Marzo MÄRZ märz ſept sept. oct Nov ДЕК ноября août Aug st nd rd th am pm a.m. P.M. uhr Uhr Hours years", " ")
	pieces = append(pieces, " ", " ", " ", ", ", "\t", "\u00a0", "\xff")
	for range 4000 {
		var b strings.Builder
		for range 1 + rng.IntN(14) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			if rng.IntN(2) == 0 {
				b.WriteByte(' ')
			}
		}
		texts = append(texts, b.String())
	}
	// Tokens in the order dates are written: numbers, separators, words.
	numbers := []string{"1", "07", "12", "31", "2023", "1999", "20230501", "0339"}
	seps := []string{"-", "/", ".", ":", "h", " ", ", ", " de ", "年", "月", "t"}
	words := []string{"May", "JANUARY", "märz", "ſept.", "ноября", "am", "P.M.", "Uhr", "hours ago", "st", "日", "Updated", "By Jane Doe"}
	for range 4000 {
		var b strings.Builder
		for k := range 2 + rng.IntN(8) {
			switch k % 3 {
			case 0:
				b.WriteString(numbers[rng.IntN(len(numbers))])
			case 1:
				b.WriteString(seps[rng.IntN(len(seps))])
			default:
				if rng.IntN(2) == 0 {
					b.WriteString(numbers[rng.IntN(len(numbers))])
				} else {
					b.WriteString(" " + words[rng.IntN(len(words))] + " ")
				}
			}
		}
		texts = append(texts, b.String())
	}
	// Whole dates in the written forms, with a random prefix and suffix.
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for range 2000 {
		day, month, year := pick("1", "07", "31", "1st", "3rd", "12th", "3."), pick("May", "märz", "JANUARY", "ſept", "ноября", "Août", "dec"), pick("2023", "1999", "20231")
		form := pick(day+" "+month+" "+year, day+" de "+month+" de "+year, month+". "+day+", "+year, month+" "+day+" "+year,
			year+"-05-01", year+"年9月28日", "1.5."+year, day+month+year)
		texts = append(texts, pick("", "Updated ", "By Jane Doe ", "12:40 ", "x")+form+pick("", " 14:35", ".", "5"))
	}
	for _, p := range sampleParagraphs(t) {
		if utf8.RuneCountInString(p) <= 120 {
			texts = append(texts, p)
		}
	}
	return texts
}

// TestLooseDateAnchored: findAnchored with the anchored loose-date pattern
// finds what the unanchored pattern's FindStringSubmatchIndex finds.
func TestLooseDateAnchored(t *testing.T) {
	unanchored := regexp.MustCompile(looseDateSource())
	texts := append(dateTestTexts(t), "Veröffentlicht am 3. März 2021", "ſept. 3, 2021", "2023年9月28日", "17 ноября 2023", "")
	n := 0
	for _, text := range texts {
		want := unanchored.FindStringSubmatchIndex(text)
		if want != nil {
			n++
		}
		if diff := cmp.Diff(want, findAnchored(looseDateAt, text, 0)); diff != "" {
			t.Errorf("findAnchored(%q) (-FindStringSubmatchIndex +findAnchored):\n%s", text, diff)
		}
	}
	if n < 1000 {
		t.Errorf("only %d texts with a match of %d: the check checks little", n, len(texts))
	}
}
