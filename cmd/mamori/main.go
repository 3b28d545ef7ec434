// Command mamori runs Mamori: the web app (`mamori serve`) and its
// administrative sub-commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"mamori/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], app.CLI{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
