package gendata

// kanaWord is a written word and its katakana reading.
type kanaWord struct{ text, kana string }

// companyStems are the distinctive parts of company names (屋号).
var companyStems = []kanaWord{
	{"丸和", "マルワ"}, {"大和", "ヤマト"}, {"さくら", "サクラ"}, {"みどり", "ミドリ"},
	{"東邦", "トウホウ"}, {"三光", "サンコウ"}, {"富士", "フジ"}, {"北斗", "ホクト"},
	{"昭和", "ショウワ"}, {"平和", "ヘイワ"}, {"光陽", "コウヨウ"}, {"旭", "アサヒ"},
	{"協和", "キョウワ"}, {"中央", "チュウオウ"}, {"太平", "タイヘイ"}, {"青葉", "アオバ"},
	{"若葉", "ワカバ"}, {"日進", "ニッシン"}, {"東洋", "トウヨウ"}, {"共栄", "キョウエイ"},
	{"丸一", "マルイチ"}, {"山三", "ヤマサン"}, {"ひかり", "ヒカリ"}, {"あおぞら", "アオゾラ"},
	{"大成", "タイセイ"}, {"日の出", "ヒノデ"}, {"明星", "ミョウジョウ"}, {"松竹", "ショウチク"},
	{"双葉", "フタバ"}, {"朝日", "アサヒ"}, {"新栄", "シンエイ"}, {"吉祥", "キッショウ"},
	{"エムケイ", "エムケイ"}, {"サンライズ", "サンライズ"}, {"グリーン", "グリーン"}, {"アルファ", "アルファ"},
}

// companyTypes are business-type suffixes (業種).
var companyTypes = []kanaWord{
	{"商事", "ショウジ"}, {"工務店", "コウムテン"}, {"建設", "ケンセツ"}, {"食品", "ショクヒン"},
	{"不動産", "フドウサン"}, {"物産", "ブッサン"}, {"製作所", "セイサクショ"}, {"電機", "デンキ"},
	{"運輸", "ウンユ"}, {"印刷", "インサツ"}, {"設計事務所", "セッケイジムショ"}, {"商店", "ショウテン"},
	{"興業", "コウギョウ"}, {"産業", "サンギョウ"}, {"薬局", "ヤッキョク"}, {"保険サービス", "ホケンサービス"},
	{"自動車", "ジドウシャ"}, {"農園", "ノウエン"}, {"酒造", "シュゾウ"}, {"住設", "ジュウセツ"},
	{"精機", "セイキ"}, {"リフォーム", "リフォーム"}, {"ホーム", "ホーム"}, {"観光", "カンコウ"},
}

// legalForms are the corporate forms with the relative frequency of each
// placement. The reading of a company name omits the legal form, following
// the usual フリガナ convention for sorting.
var legalForms = []struct {
	text   string
	prefix bool
	weight int
}{
	{"株式会社", true, 45},
	{"株式会社", false, 25},
	{"有限会社", true, 15},
	{"合同会社", true, 5},
	{"", false, 8}, // sole proprietorship: no legal form (e.g. 佐藤商店)
	{"㈱", true, 2}, // CP932-only abbreviation typed by real users
}

var legalFormWeights = func() weights {
	w := make([]int, len(legalForms))
	for i, f := range legalForms {
		w[i] = f.weight
	}
	return newWeights(w...)
}()

// companyDepartments are departments of customer companies; "" means the
// contact person has no department (typical of very small companies).
var companyDepartments = []string{
	"営業部", "総務部", "経理部", "購買部", "企画部", "管理部", "製造部",
	"店舗運営部", "人事部", "工事部", "", "",
}

// randomCompany draws a company name and its reading. A third of the
// names use a family name as the stem (佐藤工務店).
func randomCompany(r *rng) (name, kana string) {
	var stem kanaWord
	if r.chance(0.35) {
		f := randomFamily(r)
		stem = kanaWord{f.kanji, f.kana}
	} else {
		stem = pick(r, companyStems)
	}
	typ := pick(r, companyTypes)
	form := legalForms[legalFormWeights.choose(r)]
	base := stem.text + typ.text
	kana = stem.kana + typ.kana
	switch {
	case form.text == "":
		name = base
	case form.prefix:
		name = form.text + base
	default:
		name = base + form.text
	}
	return name, kana
}
