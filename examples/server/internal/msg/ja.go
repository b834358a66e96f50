package msg

// ja is the catalog. Keep the sections: one per area of the server.
var ja = map[string]string{
	// --- common ---
	"app.name":           "Kiroku 記録",
	"app.tagline":        "顧客接点記録",
	"nav.top":            "記録一覧",
	"nav.new_record":     "記録作成",
	"nav.new_customer":   "顧客登録",
	"nav.customers":      "顧客一覧",
	"nav.lists":          "マイリスト",
	"nav.manager":        "マネージャー",
	"nav.admin":          "管理",
	"nav.logout":         "ログアウト",
	"nav.menu":           "メニュー",
	"common.save":        "保存する",
	"common.cancel":      "キャンセル",
	"common.delete":      "削除",
	"common.edit":        "編集",
	"common.search":      "検索",
	"common.back":        "戻る",
	"common.none":        "なし",
	"common.required":    "必須",
	"common.yes":         "はい",
	"common.no":          "いいえ",
	"common.count":       "%d件",
	"common.next_page":   "次のページ",
	"common.first_page":  "最初のページ",
	"common.confirm":     "よろしいですか？",
	"common.form_errors": "入力内容を確認してください。",
	"common.saved":       "保存しました。",
	"common.deleted":     "削除しました。",
	"error.title":        "エラー",
	"error.not_found":    "ページが見つからないか、表示する権限がありません。",
	"error.forbidden":    "この操作を行う権限がありません。",
	"error.conflict":     "他の人が先に更新しました。最新の内容を確認してからもう一度保存してください。",
	"error.csrf":         "フォームの有効期限が切れました。もう一度お試しください。",
	"error.unavailable":  "機能拡張（プラグイン）が応答しません。しばらくしてからもう一度お試しください。",
	"error.internal":     "サーバーでエラーが発生しました。時間をおいてもう一度お試しください。",
	"error.too_large":    "送信されたデータが大きすぎます。",
	"error.bad_request":  "リクエストの形式が正しくありません。",

	// --- field problem codes (kerr.Code*) ---
	"code.required":     "入力してください。",
	"code.too_long":     "%s文字以内で入力してください。",
	"code.format":       "形式が正しくありません。",
	"code.not_kana":     "カタカナまたはひらがなで入力してください。",
	"code.invalid_date": "存在しない日付です。",
	"code.outside_era":  "その元号の期間外の日付です。",
	"code.out_of_range": "範囲外の値です（%s）。",
	"code.unknown":      "選択できない値です。",
	"code.duplicate":    "既に登録されています。",
	"code.not_allowed":  "この項目には指定できません。",
	"code.wrong_type":   "値の種類が正しくありません。",
	"code.invalid_id":   "指定が正しくありません。",
	"code.not_csv":      "CSVファイルではありません。",
	"code.encoding":     "文字コードを読み取れません（UTF-8またはShift_JISで保存してください）。",
	"code.too_large":    "ファイルが大きすぎます（上限 %s バイト）。",
	"code.too_many":     "件数が多すぎます（上限 %s）。",
	"code.rejected":     "データベースが登録を拒否しました。",
	"code.invalid":      "入力内容が正しくありません。",

	// --- auth ---
	"auth.login_title":        "ログイン",
	"auth.login":              "ログイン",
	"auth.email":              "メールアドレス",
	"auth.password":           "パスワード",
	"auth.bad_credentials":    "メールアドレスまたはパスワードが違います。",
	"auth.throttled":          "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからお試しください。",
	"auth.logged_out":         "ログアウトしました。",
	"auth.set_password":       "パスワード設定",
	"auth.new_password":       "新しいパスワード",
	"auth.password_hint":      "10文字以上で、推測されにくいものにしてください。",
	"auth.password_set":       "パスワードを設定しました。ログインしてください。",
	"auth.bad_token":          "このリンクは使用済みか、有効期限が切れています。管理者に新しいリンクを依頼してください。",
	"auth.password_too_short": "10文字以上にしてください。",
	"auth.password_too_long":  "長すぎます。",
	"auth.password_weak":      "推測されやすいパスワードです。もっと長く、単語や名前を含まないものにしてください。",

	// --- records ---

	// --- customers ---

	// --- import / export ---

	// --- manager ---

	// --- admin ---

	// --- api ---
}
