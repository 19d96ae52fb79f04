package cleaner

import (
	"strings"
	"testing"
)

func TestFormOf(t *testing.T) {
	tests := []struct {
		name string
		text string
		want form
	}{
		{name: "button", text: "Sign in", want: formLabel},
		{name: "login box line", text: "Already have an account? Log in", want: formLabel},
		{name: "short sentence", text: "Registration is free for all residents.", want: formSentence},
		{name: "eight words without a stop", text: "Registration is free for all residents over 65", want: formSentence},
		{name: "long sentence without a stop", text: "Comments are open until 5 March, after which the board will vote", want: formProse},
		{name: "prose", text: "The council approved the budget on Tuesday after a long debate about school funding.", want: formProse},
		{name: "question", text: "Was this article useful?", want: formSentence},
		{name: "ends past an emoji", text: "Book early, it sold out last year! 🙂", want: formSentence},
		{name: "zh UI line", text: "验证码", want: formLabel},
		{name: "zh login bar", text: "您好,欢迎访问! [ 登录 | 注册 ]", want: formLabel},
		{name: "zh short sentence", text: "警方提醒市民不要泄露验证码和密码。", want: formSentence},
		{name: "zh prose", text: "该银行的网上登录系统周二出现故障，数千名用户在数小时内无法查询账户余额。", want: formProse},
		{name: "zh headline without punctuation", text: "银行登录系统故障", want: formLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formOf(tt.text); got != tt.want {
				t.Errorf("formOf(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestAddressesAndCalls(t *testing.T) {
	rs := newRuleSet()
	site := []string{"wired", "news.example"}
	tests := []struct {
		name              string
		text              string
		addresses, call   bool
		selfRef, reported bool
	}{
		{name: "you", text: "Sign up to get our newsletter in your inbox.", addresses: true, call: true, selfRef: true},
		{name: "polite Sie", text: "Melden Sie sich jetzt an.", addresses: true, call: true},
		{name: "sentence-initial Sie is they", text: "Sie stimmten gegen den Haushalt.", addresses: false},
		{name: "third person news", text: "Registration is free for all residents over 65.", addresses: false},
		{name: "site by name", text: "Subscribe to WIRED and stay smart.", addresses: true, call: true, selfRef: true},
		{name: "updates below", text: "Follow the latest updates below.", addresses: true, call: true, selfRef: true},
		{name: "temperatures below zero are not the page", text: "Temperatures fell below zero overnight.", addresses: false},
		{name: "zh 您", text: "欢迎您关注本站公众号。", addresses: true, call: true, selfRef: true},
		{name: "reported en", text: "Register for free, the scam message said.", addresses: true, call: true, reported: true},
		{name: "reported es", text: "Regístrate gratis, decía el anuncio fraudulento.", addresses: true, call: true, reported: true},
		{name: "reported ru dash", text: "«Зарегистрируйтесь на сайте», — под таким предлогом мошенники выманивали деньги.", reported: true},
		{name: "reported zh", text: "他声称拥有这首歌的版权。", reported: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower := strings.ToLower(tt.text)
			if got := rs.addresses(tt.text, lower, site); got != tt.addresses {
				t.Errorf("addresses = %v, want %v", got, tt.addresses)
			}
			if got := rs.callToAct(lower); tt.call && !got {
				t.Errorf("callToAct = false, want true")
			}
			if got := rs.selfRef(lower, site); got != tt.selfRef {
				t.Errorf("selfRef = %v, want %v", got, tt.selfRef)
			}
			if got := rs.reported(tt.text, lower); got != tt.reported {
				t.Errorf("reported = %v, want %v", got, tt.reported)
			}
		})
	}
}
