// Package wtmsg is the WebTorrent tracker protocol's messages: the ids'
// binary-string codec, the tracker's one-pass parser of what clients send,
// and the appenders of what the tracker sends.
package wtmsg
