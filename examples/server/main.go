// Command server is Kiroku's example server: the whole customer-contact loop
// (customers, contact records with photos, comments, timelines, search, CSV
// import and export, managers, masters, templates, plugins) as a Japanese,
// mobile-first web UI and a JSON API, on SQLite with zero setup or on
// PostgreSQL.
//
//	go run ./examples/server            # SQLite in ./kiroku-data
//	go run ./examples/server -demo      # with the demo data set
//	go run ./examples/server -h         # every flag and variable
//
// The first start creates a tenant and an administrator and prints a
// single-use link to choose the administrator's password.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/server"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "kiroku-server:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until SIGINT/SIGTERM or ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := app.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer a.Close()
	boot, err := a.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := a.LoadDemo(ctx, boot.Tenant, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	h, err := server.Handler(a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Kiroku: %s/ （%s）\n", cfg.BaseURL, a.Where())
	if boot.SetupURL != "" {
		fmt.Fprintf(stdout, "管理者 %s のパスワードを次のリンクで設定してください（1回限り・24時間有効）:\n  %s\n",
			cfg.AdminEmail, boot.SetupURL)
	}
	srv := server.HTTPServer(a, h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
