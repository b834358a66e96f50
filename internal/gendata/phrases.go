package gendata

import (
	"slices"
	"strconv"
	"strings"
)

// topic selects a phrase table for memo sentences.
type topic int

const (
	topicMeeting   topic = iota // 面談
	topicSales                  // 商談
	topicQuote                  // 見積
	topicNextVisit              // 次回訪問
	topicHealth                 // 体調
	topicFamily                 // ご家族
	topicInquiry                // 問合せ
	topicClaim                  // クレーム・提案
	topicDaily                  // 日報
	topicChat                   // 雑談・訪問メモ
	topicWon                    // 成約
	topicLost                   // 失注
	topicPlan                   // 予定（未実施）
	topicInternal               // 社内向けメモ
	numTopics
)

// phrases holds sentence templates per topic. {slot} placeholders are
// filled by fillPhrase; every template is one complete sentence ending in 。
var phrases = [numTopics][]string{
	topicMeeting: {
		"{person}にお会いして近況を伺った。",
		"{product}のご利用状況を確認した。特に問題はないとのこと。",
		"{person}が対応してくださり、30分ほどお話しした。",
		"前回お渡しした資料を読んでいただけていた。",
		"{product}について改めてご説明し、ご理解いただけた。",
		"担当交代のご挨拶をした。",
	},
	topicSales: {
		"{product}の導入について具体的なご相談をいただいた。",
		"{product}について、他社製品との違いを中心にご説明した。",
		"現在お使いのものに不満があり、{product}への切り替えを検討中とのこと。",
		"{person}も同席され、{product}に強い関心を示された。",
		"予算は{budget}程度でお考えとのこと。",
		"{competitor}とも比較されているので、価格面での工夫が必要。",
		"決裁は{person}が行うため、次回は同席をお願いした。",
	},
	topicQuote: {
		"見積書（{amount}円）を提出した。",
		"{amount}円の見積に対し、もう少し下がらないかとのご相談。",
		"{period}までに見積を再提出する。",
		"オプションを外した見積も希望された。",
		"見積内容をご確認いただき、要確認事項は①工期 ②支払方法の2点。",
	},
	topicNextVisit: {
		"次回は{period}に訪問予定。",
		"{period}に改めてご連絡することになった。",
		"次回訪問時にカタログとサンプルを持参する。",
		"{weekday}の10時〜12時ならご在宅とのことなので、その時間に再訪問する。",
		"{period}頃にフォローの電話を入れる。",
	},
	topicHealth: {
		"{person}が{ailment}で通院中とのこと。",
		"最近は体調も良いと笑顔で話されていた。",
		"季節の変わり目で少しお疲れのご様子。",
		"{ailment}を気にされていたので、無理のない日程をご提案した。",
		"先月まで入院されていたが、今は元気に過ごされている。",
	},
	topicFamily: {
		"{child}が{childEvent}とのこと。",
		"{elder}が{elderEvent}とのこと。",
		"娘さんが出産のため里帰りされているとのこと。",
		"{family}の話題で盛り上がった。",
		"{family}とも相談してから決めたいとのこと。",
		"{family}と同居を始められたそうで、住まいの使い方が変わったとのこと。",
	},
	topicInquiry: {
		"{product}の料金についてお問い合わせがあった。",
		"ホームページを見てご連絡をいただいた。",
		"{product}の使い方についてご質問があり、その場で回答した。",
		"{product}の資料送付をご希望。本日発送済み。",
		"ご紹介者様から当社の評判を聞いてお電話くださったとのこと。",
	},
	topicClaim: {
		"{product}の{trouble}についてご指摘をいただいた。",
		"担当者の対応が遅いとのご意見。深くお詫びした。",
		"改善のご提案として、{suggestion}をいただいた。",
		"{period}までに原因を調査してご回答する。",
		"現物を確認し、無償で対応することでご了承いただいた。",
	},
	topicDaily: {
		"午前中は{area}を中心に{n}件訪問。",
		"移動が多く、資料作成は夕方以降になった。",
		"新規のお客様から{product}のお問い合わせが{n}件あった。",
		"明日は{area}の既存のお客様を回る予定。",
		"午後は社内会議と見積作成。",
		"本日の訪問先はいずれも好感触。",
	},
	topicChat: {
		"駐車場は建物の裏手にある。",
		"{weekday}は定休日とのこと。",
		"趣味の釣りの話で1時間ほど歓談した。",
		"庭の手入れが趣味とのこと。",
		"地域のお祭りの準備でお忙しいご様子。",
	},
	topicWon: {
		"ご契約いただいた。{period}に納品予定。",
		"{product}の発注をいただいた。ありがとうございました。",
		"契約書に押印いただき、手付金を受領した。",
	},
	topicLost: {
		"今回は見送りとのこと。",
		"{competitor}に決められたとのこと。価格差が大きかった。",
		"予算の都合で来年度に再検討とのこと。",
	},
	topicPlan: {
		"{product}のご説明のため訪問予定。",
		"持参物：見積書、パンフレット、名刺。",
		"前回の宿題事項を確認する。",
		"{person}の同席をお願い済み。",
	},
	topicInternal: {
		"話好きな方なので、時間に余裕を持って訪問すること。",
		"値引き要求が強い。上長に相談が必要。",
		"お支払いが遅れがちなので注意。",
		"{competitor}とも接触している模様。",
		"{family}が実質的な決定権を持っている。",
		"電話は夕方以降のほうがつながりやすい。",
		"前任者からの引き継ぎ事項あり。",
	},
}

// customerMemos are sentences for the free memo on a customer card.
var customerMemos = []string{
	"ご紹介で来店。",
	"ホームページからのお問い合わせがきっかけ。",
	"駐車場あり（2台分）。",
	"平日の日中は不在が多い。",
	"連絡はメールを希望。",
	"犬を飼っているので訪問時は注意。",
	"年末年始は帰省のため不在。",
	"前任者から引き継ぎ。",
	"展示会で名刺交換。",
	"お支払いは振込を希望。",
	"連絡は10時〜17時が望ましい。",
	"{family}が窓口になることが多い。",
	"{product}をご検討中。",
}

// Slot filler tables.
var (
	products = []string{
		"外壁塗装", "太陽光発電システム", "給湯器の交換", "浴室リフォーム", "生命保険",
		"自動車保険", "業務用エアコン", "複合機", "会計ソフト", "新型ミニバン", "補聴器",
		"介護ベッド", "浄水器", "定期清掃サービス", "防犯カメラ", "ホームページ制作",
		"屋根の修理", "キッチンリフォーム", "火災保険", "求人広告",
	}
	periods = []string{
		"来週", "来週の水曜日", "今月末", "来月上旬", "来月中旬", "2週間後",
		"連休明け", "年明け",
	}
	persons     = []string{"ご主人", "奥様", "社長", "ご担当の方", "息子さん", "娘さん", "専務", "店長"}
	families    = []string{"息子さん", "娘さん", "お孫さん", "ご主人", "奥様", "お母様", "お父様"}
	children    = []string{"息子さん", "娘さん", "お孫さん"}
	childEvents = []string{
		"来春大学を卒業される", "ご結婚される", "近くに引っ越してこられる", "就職が決まった",
		"中学校に入学された", "部活動の大会で入賞された",
	}
	elders      = []string{"ご主人", "奥様", "お母様", "お父様"}
	elderEvents = []string{"入院された", "無事に退院された", "定年退職された", "旅行から戻られた"}
	ailments    = []string{"腰痛", "膝の痛み", "風邪", "高血圧", "花粉症", "肩こり"}
	troubles    = []string{"動作不良", "異音", "納期の遅れ", "請求書の誤り", "傷", "説明不足"}
	budgets     = []string{"50万円", "100万円", "200万円前後", "月額1万円", "30万円以内"}
	areas       = []string{"市内北部", "市内南部", "駅前エリア", "東地区", "西地区", "郊外"}
	competitors = []string{"A社", "地元の工務店", "大手量販店", "ネット通販", "B社"}
	weekdays    = []string{"月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"}
	suggestions = []string{
		"作業前の連絡を前日にもらいたいというご要望", "見積書に明細を付けてほしいというご意見",
		"土日の対応を増やしてほしいというご要望", "パンフレットの文字を大きくしてほしいというご意見",
	}
)

// memoCtx carries values that must stay consistent across the sentences
// of one memo.
type memoCtx struct {
	product string
	amount  int64
}

// fillPhrase appends tmpl to b with every {slot} replaced.
func fillPhrase(r *rng, b *strings.Builder, tmpl string, ctx *memoCtx) {
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			b.WriteString(tmpl)
			return
		}
		end := strings.IndexByte(tmpl[open:], '}') + open
		b.WriteString(tmpl[:open])
		switch tmpl[open+1 : end] {
		case "product":
			b.WriteString(ctx.product)
		case "amount":
			amount := ctx.amount
			if amount <= 0 {
				amount = int64(r.between(10, 500)) * 10_000
			}
			b.WriteString(formatYen(amount))
		case "period":
			b.WriteString(pick(r, periods))
		case "person":
			b.WriteString(pick(r, persons))
		case "family":
			b.WriteString(pick(r, families))
		case "child":
			b.WriteString(pick(r, children))
		case "childEvent":
			b.WriteString(pick(r, childEvents))
		case "elder":
			b.WriteString(pick(r, elders))
		case "elderEvent":
			b.WriteString(pick(r, elderEvents))
		case "ailment":
			b.WriteString(pick(r, ailments))
		case "trouble":
			b.WriteString(pick(r, troubles))
		case "budget":
			b.WriteString(pick(r, budgets))
		case "area":
			b.WriteString(pick(r, areas))
		case "competitor":
			b.WriteString(pick(r, competitors))
		case "weekday":
			b.WriteString(pick(r, weekdays))
		case "suggestion":
			b.WriteString(pick(r, suggestions))
		case "n":
			b.WriteString(strconv.Itoa(r.between(2, 6)))
		default:
			panic("gendata: unknown phrase slot " + tmpl[open:end+1])
		}
		tmpl = tmpl[end+1:]
	}
}

// formatYen formats a non-negative amount with thousands separators
// (1250000 → "1,250,000").
func formatYen(v int64) string {
	s := strconv.FormatInt(v, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// writeSentences appends n sentences to b: sentence k uses topic seq[k]
// while seq lasts, the rest draw their topic from pool. A template is not
// repeated within one memo where the tables allow.
func writeSentences(r *rng, b *strings.Builder, n int, seq, pool []topic, ctx *memoCtx) {
	var used [4]string
	k := 0
	for s := 0; s < n; s++ {
		var t topic
		if s < len(seq) {
			t = seq[s]
		} else {
			t = pool[r.intn(len(pool))]
		}
		var tmpl string
		for try := 0; try < 4; try++ {
			tmpl = pick(r, phrases[t])
			if !slices.Contains(used[:k], tmpl) {
				break
			}
		}
		if k < len(used) {
			used[k] = tmpl
			k++
		}
		fillPhrase(r, b, tmpl, ctx)
	}
}
