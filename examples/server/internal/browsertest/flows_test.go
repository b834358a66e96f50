package browsertest

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/text/encoding/japanese"

	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var (
	customerURL = regexp.MustCompile(`^/customers/([0-9a-f-]{36})$`)
	recordURL   = regexp.MustCompile(`^/records/([0-9a-f-]{36})$`)
)

// TestCustomerRecordSearchHistory is the daily path on a phone: log in,
// register a customer, record a visit with a photo, see it on the top page,
// find it by a hiragana search for the katakana name, and read the
// customer's history.
func TestCustomerRecordSearchHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		b := newBrowser(t, e.Server.URL)
		photo := writeJPEG(t)
		memo := "初回訪問。外壁の塗り替えを相談された。"

		b.login(servertest.AdminEmail, servertest.Password, "/customers/new")
		b.require(strings.Contains(b.text("header .who"), "管理者"), "the header names the logged-in user")

		// Register the customer; forgetting the family name is shown at
		// the field, and what was typed stays.
		b.fill("given_name", "太郎", "family_kana", "ヤマダ", "given_kana", "タロウ",
			"mobile", "090-1234-5678", "email", "taro.yamada@example.jp")
		b.submit("register without family name", "#save", 422)
		b.require(b.count(`[name=family_name][aria-invalid=true]`) == 1, "the missing family name is marked")
		b.require(b.count(`.field-error`) >= 1, "a message explains the problem")
		b.require(eval[string](b, `document.querySelector("[name=given_kana]").value`) == "タロウ", "typed values are kept")
		b.shot("customer-form-error")
		b.fill("family_name", "山田")
		b.shot("customer-form")
		b.fitsWidth("/customers/new")
		b.submit("register customer", "#save", 200)
		m := customerURL.FindStringSubmatch(b.location())
		b.require(m != nil, "registering goes to the customer's page, not %s", b.location())
		customerID := m[1]
		b.require(strings.Contains(b.text("main"), "山田"), "the customer's page shows the name")
		b.shot("customer-page")
		b.fitsWidth("/customers/{id}")

		// Record a visit with a photo, from the customer's page.
		b.follow("new record from customer", fmt.Sprintf(`a[href="/records/new?customer=%s"]`, customerID))
		b.require(eval[bool](b, fmt.Sprintf(`document.querySelector('input[name=customer_id][value=%q]').checked`, customerID)),
			"the record form comes with the customer chosen")
		b.require(b.count(`input[type=file][name=photos][accept="image/*"][capture=environment][multiple]`) == 1,
			"the photo input opens the phone's camera and takes several photos")
		b.fill("public_memo", memo)
		b.upload(`input[name=photos]`, photo)
		b.shot("record-form")
		b.fitsWidth("/records/new")
		b.submit("save record", "#save", 200)
		m = recordURL.FindStringSubmatch(b.location())
		b.require(m != nil, "saving goes to the record's page, not %s", b.location())
		recordID := m[1]
		b.require(strings.Contains(b.text("main"), memo), "the record shows its public memo")
		b.require(strings.Contains(b.text("main"), "山田"), "the record shows its customer")
		b.step("photo thumbnail loads", func(ctx context.Context) error {
			// The thumbnail is lazy: scroll to it, then wait for the image.
			return chromedp.Do(ctx,
				chromedp.ScrollIntoView(chromedp.CSS(`img.thumb`)),
				chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
					_, err := chromedp.Poll[bool](`(() => { const i = document.querySelector("img.thumb"); return i.complete && i.naturalWidth > 0 })()`)(ctx, t)
					return err
				}))
		})
		b.shot("record-page")
		b.fitsWidth("/records/{id}")

		// The top page lists it.
		b.open("/")
		recordLink := fmt.Sprintf(`a[href="/records/%s"]`, recordID)
		b.require(b.count(recordLink) == 1, "the top page links the new record")
		b.shot("top-page")
		b.fitsWidth("/")

		// A second record from the top page's button, choosing the
		// customer by a hiragana search inside the form.
		b.follow("new record from top page", `main a[href="/records/new"]`)
		b.fill("customer_q", "やまだ")
		b.submit("find customer やまだ", `button[name=op][value=find]`, 200)
		choice := fmt.Sprintf(`input[name=customer_id][value=%q]`, customerID)
		b.require(b.count(choice) == 1, "the customer search in the record form finds ヤマダ by やまだ")
		b.step("choose the customer", func(ctx context.Context) error {
			return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(choice)))
		})
		b.fill("public_memo", "電話で見積の日程を調整した。")
		b.shot("record-form-found-customer")
		b.submit("save second record", "#save", 200)
		m = recordURL.FindStringSubmatch(b.location())
		b.require(m != nil, "saving goes to the record's page, not %s", b.location())
		secondLink := fmt.Sprintf(`a[href="/records/%s"]`, m[1])
		b.require(strings.Contains(b.text("main"), "山田"), "the second record belongs to 山田")

		// A hiragana search finds the katakana name, on the top page…
		b.open("/")
		searchTop := `form[action="/"] button[type=submit]`
		b.fill("q", "やまだ")
		b.submit("search records やまだ", searchTop, 200)
		b.require(strings.Contains(b.location(), "q=%E3%82%84%E3%81%BE%E3%81%A0"), "the search is in the URL: %s", b.location())
		b.require(b.count(recordLink) == 1, "searching やまだ finds the record of ヤマダ")
		b.shot("top-search-yamada")
		// …and another name does not.
		b.fill("q", "すずき")
		b.submit("search records すずき", searchTop, 200)
		b.require(b.count(recordLink) == 0, "searching すずき does not list the record of ヤマダ")

		// …and on the customer list.
		b.open("/customers")
		b.fill("q", "やまだ")
		b.submit("search customers やまだ", `form[action="/customers"] button[type=submit]`, 200)
		customerLink := fmt.Sprintf(`a[href="/customers/%s"]`, customerID)
		b.require(b.count(customerLink) == 1, "searching customers for やまだ finds ヤマダ")
		b.shot("customers-search-yamada")
		b.fitsWidth("/customers")

		// The customer's history shows the record.
		b.follow("open customer", customerLink)
		b.require(b.location() == "/customers/"+customerID, "the search result opens the customer, not %s", b.location())
		b.require(b.count(recordLink) == 1 && b.count(secondLink) == 1, "the customer's history links both records")
		b.require(strings.Contains(b.text("main"), "外壁の塗り替え"), "the history shows the memo")
		b.shot("customer-history")
	})
}

// TestCSVImportShowsBadRow imports a Shift_JIS file from the browser: the
// good rows arrive, the bad one is listed with its line number.
func TestCSVImportShowsBadRow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		b := newBrowser(t, e.Server.URL)
		file := writeSJISCSV(t, [][]string{
			{"姓", "名", "姓カナ", "名カナ", "電話番号", "メールアドレス"},
			{"髙橋", "一郎", "タカハシ", "イチロウ", "03-1111-2222", "ichiro@example.jp"}, // line 2
			{"佐藤", "花子", "サトウ", "ハナコ", "03-3333-4444", "hanako@@example"},     // line 3: bad e-mail
			{"鈴木", "次郎", "スズキ", "ジロウ", "03-5555-6666", "jiro@example.jp"},     // line 4
		})

		b.login(servertest.AdminEmail, servertest.Password, "/customers/import")
		b.upload(`input[name=file]`, file)
		// 確認のみ (dry run) is on by default: this import is for real.
		b.step("choose: import the valid rows, not only check them", func(ctx context.Context) error {
			return chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`input[name=dry_run]`)),
				chromedp.Click(chromedp.CSS(`input[name=mode][value=valid_rows]`)))
		})
		b.shot("import-form")
		b.fitsWidth("/customers/import")
		// The row error is the user's to fix, not a server failure: the
		// page answers 200 or 422, never 500.
		b.step("import", func(ctx context.Context) error {
			res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#save")))
			if err != nil {
				return err
			}
			if res.Status != 200 && res.Status != 422 {
				return fmt.Errorf("import answered %d", res.Status)
			}
			return nil
		})
		b.shot("import-result")
		b.fitsWidth("/customers/import (result)")

		lines := eval[[]string](b, `[...document.querySelectorAll("table.row-errors tbody tr")].map(r => r.cells[0].textContent.trim())`)
		b.require(len(lines) == 1 && strings.Contains(lines[0], "3") && !strings.ContainsAny(lines[0], "24"),
			"the one bad row is listed by its line number 3, got %q", lines)
		row := b.text("table.row-errors tbody tr")
		b.require(strings.Contains(row, "メール"), "the bad row names the e-mail column: %q", row)
		b.require(strings.TrimSpace(b.text("dd.created")) == "2", "the two good rows are imported, created = %q", b.text("dd.created"))

		// The Shift_JIS names arrived intact (髙 is outside JIS X 0208).
		b.open("/customers?q=" + "たかはし")
		b.require(strings.Contains(b.text("main"), "髙橋 一郎") || strings.Contains(b.text("main"), "髙橋一郎"),
			"searching たかはし finds 髙橋 一郎")
		b.require(!strings.Contains(b.text("main"), "佐藤"), "the bad row was not imported")
		b.shot("imported-customer")
	})
}

// writeJPEG writes a small generated photo and returns its path.
func writeJPEG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{uint8(x / 3), uint8(y / 2), 160, 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}))
	p := filepath.Join(t.TempDir(), "外壁.jpg")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

// writeSJISCSV writes rows as a Shift_JIS (CP932) CSV with CRLF line ends,
// as Excel saves it, and returns its path.
func writeSJISCSV(t *testing.T, rows [][]string) string {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(japanese.ShiftJIS.NewEncoder().Writer(&buf))
	w.UseCRLF = true
	require.NoError(t, w.WriteAll(rows))
	require.NoError(t, w.Error())
	p := filepath.Join(t.TempDir(), "顧客.csv")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}
