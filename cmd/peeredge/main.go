// Command peeredge runs a P2P-focused media edge node.
//
//	peeredge serve              run the node (HTTP, API, transcoding)
//	peeredge ingest FILE        add a local video to the node's data directory
//	peeredge demo               make a demo clip, ingest it once, then serve
//
// Every flag can also be set as PEEREDGE_<FLAG> in the environment, e.g.
// PEEREDGE_LISTEN=0.0.0.0:9000; a flag on the command line wins.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `peeredge — a P2P-focused media edge node

Usage:
  peeredge serve  [flags]              run the node
  peeredge ingest [flags] FILE         add a local video (segments it now)
  peeredge demo   [flags]              make a demo clip, ingest it, serve it
  peeredge help                        this text

Run "peeredge COMMAND -h" for the flags of a command. Every flag can be set
in the environment as PEEREDGE_<NAME>, e.g. PEEREDGE_DATA=/srv/peeredge.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil && !errors.Is(err, errUsage) {
		fmt.Fprintln(os.Stderr, "peeredge:", err)
		os.Exit(1)
	}
	if err != nil {
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:])
	case "ingest":
		return ingest(ctx, args[1:])
	case "demo":
		return demo(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
