// Package activitypub holds the node's ActivityPub foundations, in the
// shapes PeerTube sends and expects: HTTP Signatures (draft-cavage,
// rsa-sha256 over "(request-target) host date digest"), the reader of
// incoming activities, actors and Video objects, and the fetcher that
// takes remote JSON only from public addresses.
//
// Nothing here is mounted yet: the inbox, actors and outbox are built on
// these pieces. The inbox's order of checks is Verifier.Verify (signature,
// Date, Digest; it returns the key's owner), ParseActivity on the same
// body, owner == activity.Actor.ID, then ReplayGuard.Seen on the
// activity's id.
//
// Signing and verifying the signature string use github.com/42wim/httpsig;
// the Signature header's parameters are parsed here as well
// (ParseSignatureHeader) because the verifier must see the signed header
// list and the algorithm, which the library keeps to itself.
//
// Outgoing activities go through DeliveryQueue, kept in the catalogue:
// retried with exponential backoff and jitter (30 s doubling, capped at
// 6 h, given up after 48 h), at most 2 requests in flight per host; its
// doc says which answers are retried and which drop a delivery.
package activitypub
