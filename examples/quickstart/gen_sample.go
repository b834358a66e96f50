//go:build ignore

// gen_sample writes sample.csv, the demo customers the quickstart imports,
// in Shift_JIS with CRLF line ends: what Japanese Excel saves as "CSV
// (コンマ区切り)". The rows below are the readable source; run
//
//	go generate ./examples/quickstart
//
// after editing them.
//
// The file shows what real exports look like: birthdays in several era
// and western forms, readings in katakana, hiragana and half-width
// katakana (all stored as katakana), a company customer, and one bad row
// (木村 拓也, line 12: 平成1年1月7日 is a day of Shōwa, not Heisei) that
// the import reports while importing the others. Every good row has a
// phone, mobile or e-mail, so a second import finds them all as
// duplicates. Names, numbers and addresses are made up.
package main

import (
	"log"
	"os"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

const sample = `姓,名,姓カナ,名カナ,電話番号,携帯電話,誕生日,性別,メールアドレス,見込/既存,会社/個人,会社名,会社名カナ,郵便番号,住所,ランク,備考
山田,太郎,ヤマダ,タロウ,03-3210-1234,090-1234-5678,昭和47年3月15日,男性,taro.yamada@example.jp,既存,個人,,,100-0005,東京都千代田区丸の内1-1-1,A,ゴルフが趣味。毎月第2火曜に来店
山田,花子,やまだ,はなこ,,080-2345-6789,S52.8.3,女性,hanako.yamada@example.jp,見込,個人,,,150-0001,東京都渋谷区神宮前3-2-1,B,娘さんの成人式の相談
佐藤,健一,サトウ,ケンイチ,045-661-2233,,1985/7/20,男性,,既存,個人,,,231-0023,神奈川県横浜市中区山下町10,B,
鈴木,一郎,ｽｽﾞｷ,ｲﾁﾛｳ,,090-3456-7890,H1/1/8,男性,ichiro.suzuki@example.jp,見込,個人,,,330-0063,埼玉県さいたま市浦和区高砂1-5-5,C,平成最初の日生まれ
髙橋,美咲,タカハシ,ミサキ,,070-4567-8901,平成元年1月9日,女性,misaki@example.jp,既存,個人,,,260-0013,千葉県千葉市中央区中央2-1-1,A,
田中,誠,タナカ,マコト,06-6312-4455,,昭和38年11月3日,男性,,既存,個人,,,530-0001,大阪府大阪市北区梅田1-3-1,A,紹介者: 山田 太郎 様
伊藤,さくら,イトウ,サクラ,,080-5678-9012,平成12年4月1日,女性,sakura.ito@example.jp,見込,個人,,,460-0008,愛知県名古屋市中区栄3-4-5,C,
渡辺,浩二,ワタナベ,コウジ,052-221-7788,,,男性,k.watanabe@watanabe-koumuten.example.jp,既存,会社,株式会社渡辺工務店,カブシキガイシャワタナベコウムテン,460-0002,愛知県名古屋市中区丸の内2-10-3,A,決算は3月
中村,由美,ナカムラ,ユミ,,090-6789-0123,1990-02-14,女性,,見込,個人,,,810-0001,福岡県福岡市中央区天神2-1-1,B,
小林,大輔,コバヤシ,ダイスケ,011-231-5566,,昭和60年10月10日,男性,daisuke.k@example.jp,既存,個人,,,060-0001,北海道札幌市中央区北一条西4-2,B,
木村,拓也,キムラ,タクヤ,,090-7890-1234,平成1年1月7日,男性,,見込,個人,,,980-0021,宮城県仙台市青葉区中央1-1-1,C,
加藤,恵子,カトウ,ケイコ,092-711-3344,,昭和30年5月5日,女性,,既存,個人,,,812-0011,福岡県福岡市博多区博多駅前2-2-2,A,お孫さんが3人
吉田,翔太,ヨシダ,ショウタ,,080-8901-2345,平成8年12月24日,男性,shota.yoshida@example.jp,見込,個人,,,600-8216,京都府京都市下京区東塩小路町1,C,
山口,直樹,ヤマグチ,ナオキ,082-241-6677,,S50.6.30,男性,yamaguchi@yamaguchi-shoten.example.jp,既存,会社,有限会社山口商店,ユウゲンガイシャヤマグチショウテン,730-0011,広島県広島市中区基町6-1,B,
松本,愛,マツモト,アイ,,070-9012-3456,令和2年2月2日,女性,,見込,個人,,,380-0846,長野県長野市旭町1-1,C,お子様の名義
井上,修,イノウエ,オサム,0263-32-1122,,大正14年8月15日,男性,,既存,個人,,,390-0874,長野県松本市大手3-8-13,A,電話は午前中に
`

func main() {
	text := strings.ReplaceAll(sample, "\n", "\r\n")
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(text))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("sample.csv", b, 0o644); err != nil {
		log.Fatal(err)
	}
}
