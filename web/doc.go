// Package web is the node's pages for people: the list of videos, the
// watch page with its player, the bare player other sites embed, the
// about page (what P2P sharing means for a viewer's privacy, with the
// limits the running node applies) and the contact form.
//
// Pages are rendered on the server with html/template; the only
// JavaScript is the player bundle (built from npm by scripts/web.sh into
// assets/dist/, not committed) and the contact form's hand-written
// checks. Everything the pages load comes from the node itself, which the
// Content-Security-Policy of every page holds them to.
//
// The package reads the catalogue through the small interface it
// declares, takes every name from internal/layout, and never sits on the
// media path: the player fetches playlists and segments from the edge's
// file server.
package web
