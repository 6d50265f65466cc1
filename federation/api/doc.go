// Package api serves the node's whole REST API under /api/, in PeerTube's
// shapes, on the node's one HTTP stack (fasthttp): the videos' read side,
// PeerTube's legacy upload, the server config players read, the contact
// form (POST /api/v1/server/contact: its rules, in contact_form.go, and
// its per-client limit), PeerTube's OAuth (oauth.go: client, token with
// password and refresh grants, revoke; failed logins limited per client)
// and its users, accounts and channels (users.go), and the admin calls (P2P switch, tracker and
// seeder counters, contact messages). The edge mounts Handler
// at layout.APIPrefix; the API reads the catalogue and takes uploads, and
// is never on the media path.
//
// One helper does each cross-cutting job, so every endpoint answers alike:
//
//   - authorize: an administrator (the admin bearer token, or an OAuth
//     access token of an administrator), or 401 with WWW-Authenticate;
//     caller tells endpoints who calls (Caller);
//   - writeJSON: application/json with one caching rule for every answer,
//     "Cache-Control: no-cache" (states and progress change from one
//     second to the next; shared caches never store answers to requests
//     that carry a token anyway);
//   - writeProblem: PeerTube's problem shape (internal/problem), with the
//     same caching rule.
//
// It consumes small interfaces it declares (Videos, Uploads, Tokens,
// P2PSwitch, SwarmStats, Contacts, ContactMail, ClientAddrs), which
// internal/node fills with the real catalogue, intake, switch, swarm,
// mailer and tracker. The intake knows files and the
// catalogue; the multipart form and the HTTP statuses are this package's:
// it maps the intake's typed errors (origin.ErrUpload…) to 400, 413, 415
// or 500.
//
// ActivityPub (federation/activitypub) will sit beside this package, on the
// same port, reading the same catalogue.
package api
