// Quickstart is the first Kiroku program to run. With no setup at all,
//
//	go run ./examples/quickstart
//
// creates a SQLite database in ./kiroku-data, migrates it, imports 16 demo
// customers from an embedded Shift_JIS CSV file and searches them: the
// default query やまだ, typed in hiragana, finds the customers whose reading
// is ヤマダ. One sample row has an impossible era date (平成1年1月7日 was
// still Shōwa) to show how an import reports bad rows while importing the
// good ones. Run it again and nothing new is created: every row is a
// duplicate of a stored customer (same name and same phone, mobile or
// e-mail) and is skipped.
//
// It is also the wiring to copy. Kiroku never imports a SQL driver: the
// program opens the database itself (see openDB: modernc.org/sqlite with
// bun's sqlitedialect, or pgx with pgdialect), runs customer.Migrate and
// hands the *bun.DB to customer.NewService with the permission engine
// (permission.NewEngine) as its Authorizer. Every call carries the acting
// user in its context (permission.WithPrincipal); here that is a fixed demo
// tenant and staff member registered in the directory (see demoPrincipal),
// where a real application would take them from its login session.
//
// Flags:
//
//	-data DIR       directory of the SQLite database DIR/kiroku.db (default kiroku-data)
//	-postgres DSN   use this PostgreSQL database instead of SQLite
//	                (default: the environment variable KIROKU_POSTGRES_URL)
//	-import PATH    import this CSV file (UTF-8, UTF-8 with BOM or Shift_JIS)
//	                instead of the embedded sample
//	-q WORDS        search words (default やまだ; -q= lists every customer)
//	-export PATH    write the customers the search finds as CSV
//	-template PATH  write the empty import template as CSV
//	-sjis           write -export and -template in Shift_JIS instead of
//	                UTF-8 with BOM (for older Excel)
//
// Import runs in ValidRows mode (good rows are imported, each problem is
// printed as "行 N 列 X: code") and skips duplicates. A file that is not
// CSV, such as an Excel .xlsx workbook, is refused: the program prints why
// on stderr and exits with status 1.
//
// sample.csv is generated from the readable rows in gen_sample.go by
// go generate.
package main

//go:generate go run gen_sample.go

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// sampleCSV is what is imported when -import is not given.
//
//go:embed sample.csv
var sampleCSV []byte

// envPostgres names the environment variable that selects PostgreSQL.
const envPostgres = "KIROKU_POSTGRES_URL"

// The demo tenant and staff member. The IDs are fixed so that every run
// works on the same data: tenant 6b69726f-6b75-7000-8000-000000000001 and
// staff user 6b69726f-6b75-7000-8000-000000000002 ("kiroku" in hex, then a
// counter).
var (
	demoTenant = uuid.MustParse("6b69726f-6b75-7000-8000-000000000001")
	demoUser   = uuid.MustParse("6b69726f-6b75-7000-8000-000000000002")
)

// demoPrincipal makes sure the demo tenant and staff member exist in the
// directory (as an application syncs its own users) and returns the
// principal the directory builds for them.
func demoPrincipal(ctx context.Context, db bun.IDB) (permission.Principal, error) {
	dir, err := permission.NewDirectory(db, nil)
	if err != nil {
		return permission.Principal{}, err
	}
	if _, err := dir.Tenant(ctx, demoTenant); errors.Is(err, permission.ErrNotFound) {
		_, err = dir.CreateTenant(ctx, permission.Tenant{ID: demoTenant, Name: "デモ商事"})
		if err != nil {
			return permission.Principal{}, err
		}
	} else if err != nil {
		return permission.Principal{}, err
	}
	if _, err := dir.SaveUser(ctx, permission.User{ID: demoUser, Tenant: demoTenant, Name: "デモ 担当者",
		Roles: []permission.Role{permission.RoleStaff}, Active: true}); err != nil {
		return permission.Principal{}, err
	}
	return dir.Principal(ctx, demoTenant, demoUser)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	args := os.Args[1:]
	if dsn := os.Getenv(envPostgres); dsn != "" {
		// An explicit -postgres later on the command line still wins.
		args = append([]string{"-postgres=" + dsn}, args...)
	}
	err := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package has printed the problem and the usage
	default:
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// errUsage marks a command-line mistake.
var errUsage = errors.New("usage")

// options are the parsed command-line flags.
type options struct {
	dataDir, postgres string
	importPath        string
	query             string
	exportPath        string
	templatePath      string
	sjis              bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dataDir, "data", "kiroku-data", "directory of the SQLite database `DIR`/kiroku.db")
	fs.StringVar(&o.postgres, "postgres", "", "use the PostgreSQL database `DSN` instead of SQLite (default $"+envPostgres+")")
	fs.StringVar(&o.importPath, "import", "", "import the CSV file at `PATH` instead of the embedded sample")
	fs.StringVar(&o.query, "q", "やまだ", "search `WORDS`; empty lists every customer")
	fs.StringVar(&o.exportPath, "export", "", "write the customers found as CSV to `PATH`")
	fs.StringVar(&o.templatePath, "template", "", "write the import template CSV to `PATH`")
	fs.BoolVar(&o.sjis, "sjis", false, "write -export and -template in Shift_JIS instead of UTF-8 with BOM")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return o, nil
}

// run is the whole program: main only adds the environment and the exit
// status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	db, where, err := openDB(ctx, o)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "データベース database: %s\n", where)
	if err := customer.Migrate(ctx, db); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The permission engine filters every read in SQL and checks every
	// write; the demo principal is a single staff member who is made the
	// assignee of everything they import.
	rules, err := permission.NewEngine(db)
	if err != nil {
		return err
	}
	svc, err := customer.NewService(db, &customer.Config{Authorizer: rules})
	if err != nil {
		return err
	}
	p, err := demoPrincipal(ctx, db)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	ctx = permission.WithPrincipal(ctx, p)

	enc := customer.UTF8BOM
	if o.sjis {
		enc = customer.ShiftJIS
	}
	if o.templatePath != "" {
		err := writeFile(o.templatePath, func(w io.Writer) error { return svc.WriteTemplate(ctx, w, enc) })
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		fmt.Fprintf(stdout, "\nテンプレート template: %s (%s)\n", o.templatePath, enc)
	}
	if err := importCSV(ctx, svc, o.importPath, stdout); err != nil {
		return err
	}
	q := customer.Query{Text: o.query, Limit: 20, WithTotal: true}
	page, err := svc.Search(ctx, q)
	if err != nil {
		return err
	}
	printSearch(stdout, o.query, page)
	if o.exportPath != "" {
		var rep *customer.ExportReport
		err := writeFile(o.exportPath, func(w io.Writer) (err error) {
			rep, err = svc.Export(ctx, w, q, customer.ExportOptions{Encoding: enc})
			return err
		})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		printExport(stdout, o.exportPath, enc, rep)
	}
	return nil
}
