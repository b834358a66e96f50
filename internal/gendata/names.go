package gendata

// familyName is one entry of the family-name table: the name as written,
// its katakana reading and a relative weight (roughly thousands of bearers).
type familyName struct {
	kanji, kana string
	weight      int
}

// familyNames lists common Japanese family names weighted roughly by real
// frequency, followed by rarer names and by variant-kanji spellings that
// exercise character-set edge cases (髙 and 﨑 exist in CP932 but not in JIS
// X 0208; 𠮷 is outside the BMP and outside CP932; 一ノ瀬 mixes katakana into
// the written form).
var familyNames = []familyName{
	{"佐藤", "サトウ", 1870}, {"鈴木", "スズキ", 1790}, {"高橋", "タカハシ", 1400},
	{"田中", "タナカ", 1330}, {"伊藤", "イトウ", 1080}, {"渡辺", "ワタナベ", 1070},
	{"山本", "ヤマモト", 1070}, {"中村", "ナカムラ", 1050}, {"小林", "コバヤシ", 1020},
	{"加藤", "カトウ", 890}, {"吉田", "ヨシダ", 830}, {"山田", "ヤマダ", 810},
	{"佐々木", "ササキ", 680}, {"山口", "ヤマグチ", 640}, {"松本", "マツモト", 630},
	{"井上", "イノウエ", 610}, {"木村", "キムラ", 570}, {"林", "ハヤシ", 540},
	{"斎藤", "サイトウ", 530}, {"清水", "シミズ", 520}, {"山崎", "ヤマザキ", 480},
	{"森", "モリ", 460}, {"池田", "イケダ", 440}, {"橋本", "ハシモト", 440},
	{"阿部", "アベ", 440}, {"石川", "イシカワ", 420}, {"山下", "ヤマシタ", 410},
	{"中島", "ナカジマ", 400}, {"石井", "イシイ", 390}, {"小川", "オガワ", 390},
	{"前田", "マエダ", 380}, {"岡田", "オカダ", 380}, {"長谷川", "ハセガワ", 370},
	{"藤田", "フジタ", 370}, {"後藤", "ゴトウ", 360}, {"近藤", "コンドウ", 360},
	{"村上", "ムラカミ", 350}, {"遠藤", "エンドウ", 340}, {"青木", "アオキ", 340},
	{"坂本", "サカモト", 330}, {"斉藤", "サイトウ", 330}, {"福田", "フクダ", 320},
	{"太田", "オオタ", 320}, {"西村", "ニシムラ", 310}, {"藤井", "フジイ", 310},
	{"金子", "カネコ", 300}, {"岡本", "オカモト", 300}, {"藤原", "フジワラ", 300},
	{"中野", "ナカノ", 290}, {"三浦", "ミウラ", 290}, {"原田", "ハラダ", 290},
	{"松田", "マツダ", 290}, {"竹内", "タケウチ", 280}, {"中川", "ナカガワ", 280},
	{"小野", "オノ", 280}, {"田村", "タムラ", 280}, {"中山", "ナカヤマ", 270},
	{"和田", "ワダ", 270}, {"石田", "イシダ", 270}, {"森田", "モリタ", 260},
	{"上田", "ウエダ", 260}, {"原", "ハラ", 260}, {"内田", "ウチダ", 260},
	{"柴田", "シバタ", 250}, {"酒井", "サカイ", 250}, {"宮崎", "ミヤザキ", 250},
	{"横山", "ヨコヤマ", 240}, {"高木", "タカギ", 240}, {"安藤", "アンドウ", 240},
	{"宮本", "ミヤモト", 240}, {"大野", "オオノ", 230}, {"小島", "コジマ", 230},
	{"谷口", "タニグチ", 230}, {"工藤", "クドウ", 230}, {"今井", "イマイ", 220},
	{"高田", "タカダ", 220}, {"丸山", "マルヤマ", 220}, {"増田", "マスダ", 220},
	{"杉山", "スギヤマ", 210}, {"村田", "ムラタ", 210}, {"大塚", "オオツカ", 210},
	{"小山", "コヤマ", 210}, {"平野", "ヒラノ", 210}, {"藤本", "フジモト", 200},
	{"河野", "コウノ", 200}, {"上野", "ウエノ", 200}, {"野口", "ノグチ", 200},
	{"武田", "タケダ", 200}, {"松井", "マツイ", 200}, {"千葉", "チバ", 200},
	{"岩崎", "イワサキ", 200}, {"菅原", "スガワラ", 200}, {"木下", "キノシタ", 190},
	{"久保", "クボ", 190}, {"佐野", "サノ", 190}, {"野村", "ノムラ", 190},
	{"松尾", "マツオ", 190}, {"市川", "イチカワ", 190}, {"菊地", "キクチ", 180},
	{"杉本", "スギモト", 180}, {"古川", "フルカワ", 180}, {"大西", "オオニシ", 180},
	{"島田", "シマダ", 180}, {"水野", "ミズノ", 180}, {"桜井", "サクライ", 180},
	{"高野", "タカノ", 170}, {"渡部", "ワタナベ", 170}, {"吉川", "ヨシカワ", 170},
	{"山内", "ヤマウチ", 170}, {"西田", "ニシダ", 170}, {"飯田", "イイダ", 170},
	{"菊池", "キクチ", 170}, {"西川", "ニシカワ", 160}, {"小松", "コマツ", 160},
	{"北村", "キタムラ", 160}, {"安田", "ヤスダ", 160}, {"五十嵐", "イガラシ", 160},
	{"川口", "カワグチ", 160}, {"平田", "ヒラタ", 160}, {"関", "セキ", 160},
	{"中田", "ナカタ", 160}, {"久保田", "クボタ", 150}, {"服部", "ハットリ", 150},
	{"東", "ヒガシ", 150}, {"岩田", "イワタ", 150}, {"土屋", "ツチヤ", 150},
	{"川崎", "カワサキ", 150}, {"福島", "フクシマ", 150}, {"本田", "ホンダ", 150},
	{"辻", "ツジ", 150}, {"樋口", "ヒグチ", 140}, {"秋山", "アキヤマ", 140},
	{"田口", "タグチ", 140}, {"永井", "ナガイ", 140}, {"山中", "ヤマナカ", 140},
	{"中西", "ナカニシ", 140}, {"吉村", "ヨシムラ", 140}, {"川上", "カワカミ", 140},
	{"大橋", "オオハシ", 140}, {"石原", "イシハラ", 140}, {"松岡", "マツオカ", 140},
	{"浅野", "アサノ", 140}, {"馬場", "ババ", 130}, {"荒木", "アラキ", 130},
	{"大久保", "オオクボ", 130}, {"野田", "ノダ", 130}, {"小沢", "オザワ", 130},
	{"田辺", "タナベ", 130}, {"川村", "カワムラ", 130}, {"星野", "ホシノ", 130},
	{"黒田", "クロダ", 130}, {"堀", "ホリ", 130}, {"尾崎", "オザキ", 130},
	{"望月", "モチヅキ", 130}, {"永田", "ナガタ", 120}, {"熊谷", "クマガイ", 120},
	{"内藤", "ナイトウ", 120}, {"松村", "マツムラ", 120}, {"西山", "ニシヤマ", 120},
	{"大谷", "オオタニ", 120}, {"平井", "ヒライ", 120}, {"浜田", "ハマダ", 110},
	{"菅野", "カンノ", 110}, {"新井", "アライ", 110}, {"小池", "コイケ", 100},

	// Regional and rare names.
	{"比嘉", "ヒガ", 40}, {"金城", "キンジョウ", 30}, {"新垣", "アラカキ", 25},
	{"東海林", "ショウジ", 6}, {"長谷部", "ハセベ", 12}, {"一ノ瀬", "イチノセ", 8},
	{"御手洗", "ミタライ", 3}, {"勅使河原", "テシガワラ", 2}, {"小鳥遊", "タカナシ", 1},
	{"五月女", "ソウトメ", 2}, {"九十九", "ツクモ", 2}, {"百瀬", "モモセ", 10},
	{"我妻", "ワガツマ", 8}, {"雑賀", "サイカ", 3}, {"四月一日", "ワタヌキ", 1},

	// Variant kanji (異体字) spellings.
	{"髙橋", "タカハシ", 30}, {"山﨑", "ヤマサキ", 25}, {"齋藤", "サイトウ", 40},
	{"齊藤", "サイトウ", 25}, {"渡邊", "ワタナベ", 25}, {"渡邉", "ワタナベ", 40},
	{"濵田", "ハマダ", 5}, {"濱田", "ハマダ", 20}, {"𠮷田", "ヨシダ", 5},
	{"德永", "トクナガ", 4},
}

// era classifies given names by the generation in which they were popular.
type era uint8

const (
	eraOld   era = iota // born before 1960
	eraMid              // born 1960–1984
	eraYoung            // born 1985 or later
	numEras
)

// eraOf returns the naming era for a birth year.
func eraOf(year int) era {
	switch {
	case year < 1960:
		return eraOld
	case year < 1985:
		return eraMid
	default:
		return eraYoung
	}
}

// givenName is one entry of the given-name tables.
type givenName struct {
	kanji, kana string
	era         era
}

// maleNames are given names used for men.
var maleNames = []givenName{
	{"清", "キヨシ", eraOld}, {"茂", "シゲル", eraOld}, {"勇", "イサム", eraOld},
	{"実", "ミノル", eraOld}, {"進", "ススム", eraOld}, {"博", "ヒロシ", eraOld},
	{"正", "タダシ", eraOld}, {"昭", "アキラ", eraOld}, {"勝", "マサル", eraOld},
	{"武", "タケシ", eraOld}, {"修", "オサム", eraOld}, {"隆", "タカシ", eraOld},
	{"功", "イサオ", eraOld}, {"三郎", "サブロウ", eraOld}, {"次郎", "ジロウ", eraOld},
	{"太郎", "タロウ", eraOld}, {"一郎", "イチロウ", eraOld}, {"健一", "ケンイチ", eraOld},
	{"和夫", "カズオ", eraOld}, {"正男", "マサオ", eraOld}, {"秀雄", "ヒデオ", eraOld},
	{"義男", "ヨシオ", eraOld}, {"俊夫", "トシオ", eraOld}, {"幸雄", "ユキオ", eraOld},
	{"忠", "タダシ", eraOld}, {"徹", "トオル", eraOld}, {"弘", "ヒロシ", eraOld},
	{"誠", "マコト", eraMid}, {"浩", "ヒロシ", eraMid}, {"健", "ケン", eraMid},
	{"大輔", "ダイスケ", eraMid}, {"拓也", "タクヤ", eraMid}, {"直樹", "ナオキ", eraMid},
	{"和也", "カズヤ", eraMid}, {"哲也", "テツヤ", eraMid}, {"達也", "タツヤ", eraMid},
	{"剛", "ツヨシ", eraMid}, {"学", "マナブ", eraMid}, {"淳", "ジュン", eraMid},
	{"聡", "サトシ", eraMid}, {"亮", "リョウ", eraMid}, {"雅之", "マサユキ", eraMid},
	{"英樹", "ヒデキ", eraMid}, {"康弘", "ヤスヒロ", eraMid}, {"洋平", "ヨウヘイ", eraMid},
	{"慎一", "シンイチ", eraMid}, {"浩二", "コウジ", eraMid}, {"隆之", "タカユキ", eraMid},
	{"雄一", "ユウイチ", eraMid}, {"大介", "ダイスケ", eraMid}, {"純一", "ジュンイチ", eraMid},
	{"貴之", "タカユキ", eraMid}, {"健太", "ケンタ", eraMid}, {"智也", "トモヤ", eraMid},
	{"翔太", "ショウタ", eraYoung}, {"蓮", "レン", eraYoung}, {"悠真", "ユウマ", eraYoung},
	{"陽翔", "ハルト", eraYoung}, {"湊", "ミナト", eraYoung}, {"大翔", "ヒロト", eraYoung},
	{"颯太", "ソウタ", eraYoung}, {"悠斗", "ユウト", eraYoung}, {"陸", "リク", eraYoung},
	{"樹", "イツキ", eraYoung}, {"大和", "ヤマト", eraYoung}, {"蒼", "アオイ", eraYoung},
	{"結翔", "ユイト", eraYoung}, {"朝陽", "アサヒ", eraYoung}, {"拓海", "タクミ", eraYoung},
	{"翔", "ショウ", eraYoung}, {"海斗", "カイト", eraYoung}, {"優斗", "ユウト", eraYoung},
	{"駿", "シュン", eraYoung}, {"涼太", "リョウタ", eraYoung}, {"奏太", "カナタ", eraYoung},
	{"航", "ワタル", eraYoung}, {"隼人", "ハヤト", eraYoung}, {"凛太郎", "リンタロウ", eraYoung},
	{"瑛太", "エイタ", eraYoung}, {"翼", "ツバサ", eraYoung}, {"大地", "ダイチ", eraYoung},
}

// femaleNames are given names used for women. A few are written in hiragana,
// as many real names are.
var femaleNames = []givenName{
	{"和子", "カズコ", eraOld}, {"幸子", "サチコ", eraOld}, {"節子", "セツコ", eraOld},
	{"洋子", "ヨウコ", eraOld}, {"恵子", "ケイコ", eraOld}, {"京子", "キョウコ", eraOld},
	{"美智子", "ミチコ", eraOld}, {"久子", "ヒサコ", eraOld}, {"悦子", "エツコ", eraOld},
	{"弘子", "ヒロコ", eraOld}, {"照子", "テルコ", eraOld}, {"静子", "シズコ", eraOld},
	{"千代子", "チヨコ", eraOld}, {"文子", "フミコ", eraOld}, {"信子", "ノブコ", eraOld},
	{"明美", "アケミ", eraOld}, {"花子", "ハナコ", eraOld}, {"綾子", "アヤコ", eraOld},
	{"春子", "ハルコ", eraOld}, {"君子", "キミコ", eraOld}, {"光子", "ミツコ", eraOld},
	{"良子", "ヨシコ", eraOld}, {"登美子", "トミコ", eraOld}, {"みよ", "ミヨ", eraOld},
	{"裕子", "ユウコ", eraMid}, {"直美", "ナオミ", eraMid}, {"真由美", "マユミ", eraMid},
	{"由美子", "ユミコ", eraMid}, {"智子", "トモコ", eraMid}, {"久美子", "クミコ", eraMid},
	{"陽子", "ヨウコ", eraMid}, {"純子", "ジュンコ", eraMid}, {"恵", "メグミ", eraMid},
	{"香織", "カオリ", eraMid}, {"美穂", "ミホ", eraMid}, {"愛", "アイ", eraMid},
	{"麻衣", "マイ", eraMid}, {"彩", "アヤ", eraMid}, {"舞", "マイ", eraMid},
	{"瞳", "ヒトミ", eraMid}, {"由美", "ユミ", eraMid}, {"沙織", "サオリ", eraMid},
	{"絵美", "エミ", eraMid}, {"千尋", "チヒロ", eraMid}, {"奈緒子", "ナオコ", eraMid},
	{"亜希子", "アキコ", eraMid}, {"美紀", "ミキ", eraMid}, {"理恵", "リエ", eraMid},
	{"あゆみ", "アユミ", eraMid}, {"ひとみ", "ヒトミ", eraMid},
	{"陽菜", "ヒナ", eraYoung}, {"結衣", "ユイ", eraYoung}, {"葵", "アオイ", eraYoung},
	{"凛", "リン", eraYoung}, {"芽依", "メイ", eraYoung}, {"咲良", "サクラ", eraYoung},
	{"結愛", "ユア", eraYoung}, {"美咲", "ミサキ", eraYoung}, {"杏", "アン", eraYoung},
	{"莉子", "リコ", eraYoung}, {"紬", "ツムギ", eraYoung}, {"澪", "ミオ", eraYoung},
	{"心春", "コハル", eraYoung}, {"花", "ハナ", eraYoung}, {"美羽", "ミウ", eraYoung},
	{"彩花", "アヤカ", eraYoung}, {"七海", "ナナミ", eraYoung}, {"遥", "ハルカ", eraYoung},
	{"愛梨", "アイリ", eraYoung}, {"優花", "ユウカ", eraYoung}, {"真央", "マオ", eraYoung},
	{"陽葵", "ヒマリ", eraYoung}, {"楓", "カエデ", eraYoung}, {"菜々子", "ナナコ", eraYoung},
	{"琴音", "コトネ", eraYoung}, {"さくら", "サクラ", eraYoung}, {"ひかり", "ヒカリ", eraYoung},
}

// nameTables holds the derived lookup structures for the name tables.
type nameTables struct {
	family weights
	// byEra[g][e] lists the given names of gender g (0 male, 1 female)
	// popular in era e.
	byEra [2][numEras][]givenName
}

var names = func() *nameTables {
	t := &nameTables{}
	w := make([]int, len(familyNames))
	for i, f := range familyNames {
		w[i] = f.weight
	}
	t.family = newWeights(w...)
	for g, list := range [2][]givenName{maleNames, femaleNames} {
		for _, n := range list {
			t.byEra[g][n.era] = append(t.byEra[g][n.era], n)
		}
	}
	return t
}()

// person is a generated personal name.
type person struct {
	family, given         string
	familyKana, givenKana string
}

// fullName joins family and given name with an ideographic space, the usual
// convention in Japanese business systems.
func (p person) fullName() string { return p.family + "\u3000" + p.given }

// fullKana joins the readings with an ideographic space.
func (p person) fullKana() string { return p.familyKana + "\u3000" + p.givenKana }

// randomFamily draws a family name weighted by frequency.
func randomFamily(r *rng) familyName { return familyNames[names.family.choose(r)] }

// randomGiven draws a given name for the gender (female when female is
// true); 75% of the time the name matches the era of the birth year.
func randomGiven(r *rng, female bool, e era) givenName {
	g := 0
	if female {
		g = 1
	}
	if !r.chance(0.75) {
		e = era(r.intn(int(numEras)))
	}
	return pick(r, names.byEra[g][e])
}

// randomPerson draws a complete name.
func randomPerson(r *rng, female bool, e era) person {
	f := randomFamily(r)
	g := randomGiven(r, female, e)
	return person{family: f.kanji, given: g.kanji, familyKana: f.kana, givenKana: g.kana}
}
