package customer_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
)

func Example() {
	ctx, svc, done := exampleService(false)
	defer done()

	born, _ := date.Parse("S47.3.15")
	c, err := svc.Create(ctx, customer.Profile{
		FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "ﾀﾛｳ",
		Mobile: "090-1234-5678", Birthday: &born,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.DisplayName(), c.FamilyKana, c.GivenKana, c.Birthday.Era())

	// A CSV from Excel: header aliases, an era birthday, and one bad row.
	csv := "氏名(姓),名,姓カナ,名カナ,生年月日\n田中,花子,たなか,はなこ,H2.5.1\n鈴木,一郎,スズキ,イチロウ,平成1年1月7日\n"
	rep, err := svc.Import(ctx, strings.NewReader(csv), customer.ImportOptions{Mode: customer.ValidRows})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", rep.Created, "errors", len(rep.Errors))
	for _, e := range rep.Errors {
		fmt.Printf("line %d %s: %s\n", e.Line, e.Column, e.Code)
	}

	// Hiragana finds katakana readings; digits find a hyphenated mobile.
	for _, q := range []string{"たなか", "09012345678"} {
		page, err := svc.Search(ctx, customer.Query{Text: q})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(q, "→", page.Customers[0].DisplayName())
	}
	// Output:
	// 山田 太郎 ヤマダ タロウ 昭和47年3月15日
	// created 1 errors 1
	// line 3 生年月日: outside_era
	// たなか → 田中 花子
	// 09012345678 → 山田 太郎
}

// exampleService opens a new SQLite database, migrates it and returns a
// Service (with a blob store for profile files when files) and a context
// whose principal is a staff member of a new tenant; done closes and
// removes everything.
func exampleService(files bool) (ctx context.Context, svc *customer.Service, done func()) {
	dir, err := os.MkdirTemp("", "kiroku-example")
	if err != nil {
		log.Fatal(err)
	}
	// The embedding program opens the database; Kiroku imports no driver.
	dsn := "file:" + filepath.Join(dir, "kiroku.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		log.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	done = func() {
		_ = db.Close()
		_ = os.RemoveAll(dir)
	}

	ctx = context.Background()
	if err := customer.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	// The rule set decides what each principal sees (in SQL) and may do.
	rules, err := permission.NewEngine(db)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &customer.Config{Authorizer: rules}
	if files {
		// Profile files are kept outside the database.
		store, err := blob.NewLocal(filepath.Join(dir, "files"))
		if err != nil {
			log.Fatal(err)
		}
		cfg.Blobs = store
		closeDB := done
		done = func() {
			_ = store.Close()
			closeDB()
		}
	}
	if svc, err = customer.NewService(db, cfg); err != nil {
		log.Fatal(err)
	}
	// The tenant and its staff live in the directory (an application syncs
	// its own users with SaveUser); the principal is built from it.
	directory, err := permission.NewDirectory(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	tenant, err := directory.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	if err != nil {
		log.Fatal(err)
	}
	staff, err := directory.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "担当 一郎",
		Roles: []permission.Role{permission.RoleStaff}, Active: true})
	if err != nil {
		log.Fatal(err)
	}
	p, err := directory.Principal(ctx, tenant.ID, staff.ID)
	if err != nil {
		log.Fatal(err)
	}
	return permission.WithPrincipal(ctx, p), svc, done
}

func ExampleFiles() {
	ctx, svc, done := exampleService(true)
	defer done()
	c, err := svc.Create(ctx, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ"})
	if err != nil {
		log.Fatal(err)
	}

	// A photo (its type is read from the content, never from the name) and
	// a PDF, stored in one call; the photo becomes the profile picture (☆).
	var photo bytes.Buffer
	if err := png.Encode(&photo, image.NewGray(image.Rect(0, 0, 640, 480))); err != nil {
		log.Fatal(err)
	}
	pdf := "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	files, err := svc.Files().Add(ctx, c.ID,
		customer.FileUpload{FileMeta: customer.FileMeta{Name: "名刺.png", Favorite: true}, Body: &photo},
		customer.FileUpload{FileMeta: customer.FileMeta{Name: "契約書.pdf"}, Body: strings.NewReader(pdf)})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Name, f.Kind, f.MIME, f.Favorite, f.HasThumb)
	}

	// A text file is refused, naming the file's field and its type.
	_, err = svc.Files().Add(ctx, c.ID, customer.FileUpload{FileMeta: customer.FileMeta{Name: "memo.txt"},
		Body: strings.NewReader("not a photo\n")})
	var ve *customer.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Fields[0].Field, ve.Fields[0].Code, ve.Fields[0].Param)
	}

	// The PDF becomes the only file: the photo is deleted at its version.
	if err := svc.Files().Delete(ctx, files[0].ID, files[0].Version); err != nil {
		log.Fatal(err)
	}
	left, err := svc.Files().List(ctx, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	body, f, err := svc.Files().Open(ctx, left[0].ID, false)
	if err != nil {
		log.Fatal(err)
	}
	defer body.Close()
	n, err := io.Copy(io.Discard, body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(left), f.Name, n == f.Size)
	// Output:
	// 名刺.png image image/png true true
	// 契約書.pdf pdf application/pdf false false
	// files[0].content not_allowed text/plain
	// 1 契約書.pdf true
}
