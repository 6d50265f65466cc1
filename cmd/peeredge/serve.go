package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/peeredge/peeredge/internal/node"
	"github.com/peeredge/peeredge/origin"
)

func serve(ctx context.Context, args []string) error {
	var o options
	fs := newFlagSet("serve", &o)
	if err := o.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	n, err := node.Open(ctx, o.cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	if o.cfg.FederationAllowPrivate {
		// Said at every start: a flag left on from testing exposes the
		// node's own network to whoever can make it fetch a URL.
		o.cfg.Logger.Warn("federation reaches private and loopback addresses (--federation-allow-private): for tests and closed networks only")
	}
	return serveNode(ctx, n, o.cfg.Listen)
}

func serveNode(ctx context.Context, n *node.Node, listen string) error {
	announceToken(n)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return n.Serve(ctx, ln)
}

// announceToken shows a newly created admin token, the only time it exists
// in plain text.
func announceToken(n *node.Node) {
	if n.NewAdminPassword != "" {
		fmt.Fprintf(os.Stderr, "\nPassword of the admin user %q, for PeerTube's tools (shown once; only its hash is stored;\n"+
			"set PEEREDGE_ADMIN_PASSWORD at a start to replace it):\n\n    %s\n", origin.AdminUsername, n.NewAdminPassword)
	}
	if n.NewAdminToken == "" {
		return
	}
	fmt.Fprintf(os.Stderr, "\nAdmin token (shown once; only its hash is stored):\n\n    %s\n\n"+
		"Upload with:\n    curl -H 'Authorization: Bearer %s' -F name=clip -F videofile=@clip.mp4 %s\n\n",
		n.NewAdminToken, n.NewAdminToken, n.URLs().Upload())
}
