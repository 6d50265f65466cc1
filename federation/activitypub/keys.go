package activitypub

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeyBits is the size of the actors' RSA keys: PeerTube's
// PRIVATE_RSA_KEY_SIZE.
const KeyBits = 2048

// minRemoteKeyBits refuses toy keys of remote actors.
const minRemoteKeyBits = 1024

// ErrBadKey is returned for a PEM block that is not the expected RSA key.
var ErrBadKey = errors.New("activitypub: not a usable RSA key")

// GenerateKey makes a new actor key.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("activitypub: generating RSA key: %w", err)
	}
	return k, nil
}

// PublicKeyPEM encodes pub as SPKI ("-----BEGIN PUBLIC KEY-----"), the
// only form PeerTube's actor validator accepts in publicKeyPem.
func PublicKeyPEM(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("activitypub: encoding public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM reads a remote actor's publicKeyPem: SPKI, or the
// PKCS#1 "RSA PUBLIC KEY" some servers publish. Only RSA keys of at least
// 1024 bits are accepted (signatures are rsa-sha256).
func ParsePublicKeyPEM(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrBadKey)
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %T is not RSA", ErrBadKey, k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		pub = k
	default:
		return nil, fmt.Errorf("%w: PEM type %q", ErrBadKey, block.Type)
	}
	if pub.N.BitLen() < minRemoteKeyBits {
		return nil, fmt.Errorf("%w: %d bits", ErrBadKey, pub.N.BitLen())
	}
	return pub, nil
}

// PrivateKeyPEM encodes key as PKCS#8 ("-----BEGIN PRIVATE KEY-----"),
// for storing an actor's key.
func PrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("activitypub: encoding private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKeyPEM reads what PrivateKeyPEM wrote.
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: no PKCS#8 PEM block", ErrBadKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not RSA", ErrBadKey, k)
	}
	return rk, nil
}
