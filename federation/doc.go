// Package federation is the node's REST companion: views of the catalogue
// shaped like PeerTube's REST API, served as net/http handlers that the edge
// mounts on its port. It reads the catalogue and is never on the media path.
package federation
