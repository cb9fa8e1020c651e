// Command fullserver is the DittoFS reference server: one binary serving
// every protocol DittoFS implements, from embedded defaults, a YAML file
// and flags. Run it with no arguments to serve at once:
//
//	go run ./examples/fullserver
//
// It logs one line per listener with the address actually bound, so that
// scripts can start it on free ports ("127.0.0.1:0") and read them back.
// SIGINT or SIGTERM stops it cleanly: calls in flight finish first.
// SIGHUP reloads the exports (--exports FILE, or exports: in --config).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, errVersion) {
			fmt.Println(versionString())
			os.Exit(0)
		}
		if errors.Is(err, errHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "fullserver:", err)
		os.Exit(2)
	}
	log := cfg.logger(os.Stderr)
	log.Info("starting", "version", versionString())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Check || cfg.Repair {
		code := fsck(ctx, cfg, os.Stdout, log)
		stop()
		os.Exit(code)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	h := hooks{reload: hup, config: func() (Config, error) { return parseConfig(os.Args[1:], io.Discard) }}
	if err := runWith(ctx, cfg, log, h); err != nil {
		log.Error("fullserver: exiting", "err", err)
		os.Exit(1)
	}
}
