package origin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/crypto/bcrypt"
)

// Users, channels and OAuth tokens, in PeerTube's model: a user owns one
// account (same id here) and the account owns channels. Passwords are kept
// as bcrypt hashes and tokens as SHA-256 digests; no plaintext secret but
// the OAuth client's (which PeerTube hands to anyone who asks) is stored.
//
// bcrypt rather than argon2id: it is what PeerTube stores, so its hashes
// could be carried over as they are, and its cost is CPU only — argon2id
// at a useful strength wants tens of MiB per attempt, which parallel login
// attempts on a small node would turn into memory pressure. The token
// endpoint's rate limit bounds the attempts either way.

// Role is a user's role, numbered as PeerTube's UserRole.
type Role int

// RoleAdministrator is PeerTube's UserRole.ADMINISTRATOR.
const RoleAdministrator Role = 0

// AdminUsername and its channel's names are PeerTube's for the user it
// creates on first start.
const (
	AdminUsername           = "root"
	AdminChannelName        = "root_channel"
	AdminChannelDisplayName = "Main root channel"
)

// User is one user of the node; its account has the same ID and name.
type User struct {
	ID           int64
	Username     string
	Email        string
	Role         Role
	PasswordHash []byte
	CreatedAt    time.Time
}

// Channel is a video channel, owned by the account of user AccountID.
type Channel struct {
	ID          int64
	Name        string
	DisplayName string
	Description string
	Support     string
	AccountID   int64
	CreatedAt   time.Time
}

// OAuthClient is the node's one OAuth client (PeerTube's "local" client).
type OAuthClient struct {
	ID     string
	Secret string
}

// TokenTTL is how long issued tokens live.
type TokenTTL struct {
	Access  time.Duration
	Refresh time.Duration
}

// TokenPair is an issued access and refresh token, in plaintext: the only
// time they exist outside the caller.
type TokenPair struct {
	Access         string
	Refresh        string
	AccessExpires  time.Time
	RefreshExpires time.Time
}

// ErrBadCredentials is a login whose user is unknown or whose password is
// wrong: callers cannot tell which, on purpose.
var ErrBadCredentials = errors.New("invalid credentials")

// ErrBadToken is a token that is unknown, revoked or expired.
var ErrBadToken = errors.New("invalid token")

// Key layout of users, channels and tokens.
const (
	prefixUser        = "u/"  // u/<id> → User JSON
	prefixUserName    = "un/" // un/<lower name> → id
	prefixChannel     = "ch/" // ch/<id> → Channel JSON
	prefixChannelName = "cn/" // cn/<lower name> → id
	keyUserSeq        = "seq/user"
	keyChannelSeq     = "seq/channel"
	keyChannelCount   = "count/channel"
	keyOAuthClient    = "oauth/client"
	// A token pair is one record under its access digest, with an index
	// from its refresh digest; both expire (badger TTL) with the refresh
	// token, so nothing needs sweeping.
	prefixAccess  = "tok/a/" // tok/a/<sha256 access> → tokenRecord JSON
	prefixRefresh = "tok/r/" // tok/r/<sha256 refresh> → sha256 access
)

// bcryptCost is PeerTube's (BCRYPT_SALT_SIZE).
const bcryptCost = 10

// dummyHash is compared against when the user is unknown, so that an
// unknown name costs what a wrong password does.
// It is made on first use: at init it would cost every start of every
// program that imports origin.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user"), bcryptCost)
	return h
})

type tokenRecord struct {
	UserID         int64
	RefreshDigest  []byte
	AccessExpires  time.Time
	RefreshExpires time.Time
}

// EnsureAdminUser makes sure the user root exists with its channel. On
// first start it is created with password, or with a random one, which is
// returned (the only time its plaintext exists); later, a non-empty
// password that differs from the stored one replaces it. It also makes
// sure the OAuth client exists.
func (c *Catalog) EnsureAdminUser(ctx context.Context, password string) (string, error) {
	if _, err := c.OAuthClient(ctx); err != nil {
		return "", err
	}
	u, err := c.UserByName(ctx, AdminUsername)
	switch {
	case err == nil:
		if password == "" || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) == nil {
			return "", nil
		}
		return "", c.SetPassword(ctx, u.ID, password)
	case !errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("admin user: %w", err)
	}
	generated := ""
	if password == "" {
		generated = randomToken(18)
		password = generated
	}
	hash, err := hashPassword(password)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC().Round(0)
	err = c.update(ctx, func(txn *badger.Txn) error {
		if _, err := indexLookup(txn, prefixUserName+AdminUsername); err == nil {
			return nil // created meanwhile
		}
		id, err := nextSeq(txn, keyUserSeq)
		if err != nil {
			return err
		}
		user := User{ID: id, Username: AdminUsername, Email: "admin@localhost", Role: RoleAdministrator, PasswordHash: hash, CreatedAt: now}
		if err := putJSON(txn, idKey(prefixUser, id), user); err != nil {
			return err
		}
		if err := setIndex(txn, prefixUserName+AdminUsername, id); err != nil {
			return err
		}
		return createChannelTxn(txn, Channel{Name: AdminChannelName, DisplayName: AdminChannelDisplayName, AccountID: id, CreatedAt: now})
	})
	if err != nil {
		return "", fmt.Errorf("create admin user: %w", err)
	}
	return generated, nil
}

func createChannelTxn(txn *badger.Txn, ch Channel) error {
	id, err := nextSeq(txn, keyChannelSeq)
	if err != nil {
		return err
	}
	ch.ID = id
	if _, err := addCounter(txn, keyChannelCount, 1); err != nil {
		return err
	}
	if err := putJSON(txn, idKey(prefixChannel, id), ch); err != nil {
		return err
	}
	return setIndex(txn, prefixChannelName+strings.ToLower(ch.Name), id)
}

func setIndex(txn *badger.Txn, key string, id int64) error {
	return txn.Set([]byte(key), idKey("", id))
}

func hashPassword(password string) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// SetPassword replaces user id's password and revokes nothing: tokens
// already issued live out their time.
func (c *Catalog) SetPassword(ctx context.Context, id int64, password string) error {
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	err = c.update(ctx, func(txn *badger.Txn) error {
		u, err := getJSON[User](txn, idKey(prefixUser, id))
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		return putJSON(txn, idKey(prefixUser, id), u)
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	return nil
}

// randomToken is n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// OAuthClient returns the node's OAuth client, creating it on first call.
func (c *Catalog) OAuthClient(ctx context.Context) (OAuthClient, error) {
	var cl OAuthClient
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		cl, err = getJSON[OAuthClient](txn, []byte(keyOAuthClient))
		return err
	})
	if err == nil {
		return cl, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return OAuthClient{}, fmt.Errorf("oauth client: %w", err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	fresh := OAuthClient{ID: hex.EncodeToString(id), Secret: randomToken(24)}
	err = c.update(ctx, func(txn *badger.Txn) error {
		var err error
		cl, err = getJSON[OAuthClient](txn, []byte(keyOAuthClient))
		if errors.Is(err, ErrNotFound) {
			cl = fresh
			return putJSON(txn, []byte(keyOAuthClient), cl)
		}
		return err
	})
	if err != nil {
		return OAuthClient{}, fmt.Errorf("create oauth client: %w", err)
	}
	return cl, nil
}

// CheckClient reports whether id and secret are the node's client's, in
// constant time.
func (c *Catalog) CheckClient(ctx context.Context, id, secret string) bool {
	cl, err := c.OAuthClient(ctx)
	if err != nil {
		c.logger.Warn("read oauth client", "err", err)
		return false
	}
	okID := subtle.ConstantTimeCompare([]byte(id), []byte(cl.ID))
	okSecret := subtle.ConstantTimeCompare([]byte(secret), []byte(cl.Secret))
	return okID&okSecret == 1
}

// UserByName returns the user named name (case-insensitive); ErrNotFound
// when there is none.
func (c *Catalog) UserByName(ctx context.Context, name string) (User, error) {
	var u User
	err := c.db.View(func(txn *badger.Txn) error {
		id, err := indexLookup(txn, prefixUserName+strings.ToLower(name))
		if err != nil {
			return err
		}
		u, err = getJSON[User](txn, idKey(prefixUser, id))
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// User returns user id; ErrNotFound when there is none.
func (c *Catalog) User(ctx context.Context, id int64) (User, error) {
	var u User
	err := c.db.View(func(txn *badger.Txn) error {
		var err error
		u, err = getJSON[User](txn, idKey(prefixUser, id))
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// Authenticate returns the user of username and password, or
// ErrBadCredentials whether the user is unknown or the password wrong
// (both cost one bcrypt comparison).
func (c *Catalog) Authenticate(ctx context.Context, username, password string) (User, error) {
	u, err := c.UserByName(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = dummyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

func digest(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// IssueTokens creates a token pair for user id.
func (c *Catalog) IssueTokens(ctx context.Context, userID int64, ttl TokenTTL) (TokenPair, error) {
	var pair TokenPair
	err := c.update(ctx, func(txn *badger.Txn) error {
		var err error
		pair, err = issueTxn(txn, userID, ttl)
		return err
	})
	if err != nil {
		return TokenPair{}, fmt.Errorf("issue tokens: %w", err)
	}
	return pair, nil
}

func issueTxn(txn *badger.Txn, userID int64, ttl TokenTTL) (TokenPair, error) {
	now := time.Now().UTC().Round(0)
	pair := TokenPair{
		Access: randomToken(32), Refresh: randomToken(32),
		AccessExpires: now.Add(ttl.Access), RefreshExpires: now.Add(ttl.Refresh),
	}
	access, refresh := digest(pair.Access), digest(pair.Refresh)
	rec := tokenRecord{UserID: userID, RefreshDigest: refresh, AccessExpires: pair.AccessExpires, RefreshExpires: pair.RefreshExpires}
	b, err := json.Marshal(rec)
	if err != nil {
		return TokenPair{}, err
	}
	life := max(ttl.Access, ttl.Refresh)
	if err := txn.SetEntry(badger.NewEntry(append([]byte(prefixAccess), access...), b).WithTTL(life)); err != nil {
		return TokenPair{}, err
	}
	if err := txn.SetEntry(badger.NewEntry(append([]byte(prefixRefresh), refresh...), access).WithTTL(life)); err != nil {
		return TokenPair{}, err
	}
	return pair, nil
}

// RefreshTokens trades a refresh token for a new pair; the old pair stops
// working. ErrBadToken when refresh is unknown, used or expired.
func (c *Catalog) RefreshTokens(ctx context.Context, refresh string, ttl TokenTTL) (TokenPair, error) {
	var pair TokenPair
	err := c.update(ctx, func(txn *badger.Txn) error {
		rkey := append([]byte(prefixRefresh), digest(refresh)...)
		item, err := txn.Get(rkey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		access, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		akey := append([]byte(prefixAccess), access...)
		rec, err := getJSON[tokenRecord](txn, akey)
		if errors.Is(err, ErrNotFound) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		if err := txn.Delete(rkey); err != nil {
			return err
		}
		if err := txn.Delete(akey); err != nil {
			return err
		}
		if !time.Now().Before(rec.RefreshExpires) {
			return ErrBadToken
		}
		pair, err = issueTxn(txn, rec.UserID, ttl)
		return err
	})
	if errors.Is(err, ErrBadToken) {
		return TokenPair{}, ErrBadToken
	}
	if err != nil {
		return TokenPair{}, fmt.Errorf("refresh tokens: %w", err)
	}
	return pair, nil
}

// TokenUser returns the user of a valid access token; ErrBadToken when it
// is unknown, revoked or expired.
func (c *Catalog) TokenUser(ctx context.Context, access string) (User, error) {
	if access == "" {
		return User{}, ErrBadToken
	}
	var u User
	err := c.db.View(func(txn *badger.Txn) error {
		rec, err := getJSON[tokenRecord](txn, append([]byte(prefixAccess), digest(access)...))
		if errors.Is(err, ErrNotFound) {
			return ErrBadToken
		}
		if err != nil {
			return err
		}
		if !time.Now().Before(rec.AccessExpires) {
			return ErrBadToken
		}
		u, err = getJSON[User](txn, idKey(prefixUser, rec.UserID))
		if errors.Is(err, ErrNotFound) {
			return ErrBadToken
		}
		return err
	})
	if errors.Is(err, ErrBadToken) {
		return User{}, ErrBadToken
	}
	if err != nil {
		return User{}, fmt.Errorf("check token: %w", err)
	}
	return u, nil
}

// RevokeToken ends the pair of access token access; a token already gone
// is not an error.
func (c *Catalog) RevokeToken(ctx context.Context, access string) error {
	err := c.update(ctx, func(txn *badger.Txn) error {
		akey := append([]byte(prefixAccess), digest(access)...)
		rec, err := getJSON[tokenRecord](txn, akey)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := txn.Delete(append([]byte(prefixRefresh), rec.RefreshDigest...)); err != nil {
			return err
		}
		return txn.Delete(akey)
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// Channels lists channels newest first, skipping start and returning at
// most count, with the number of channels.
func (c *Catalog) Channels(ctx context.Context, start, count int) ([]Channel, int, error) {
	out, total, err := listNewest[Channel](ctx, c, prefixChannel, keyChannelCount, start, count, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("list channels: %w", err)
	}
	return out, total, nil
}

// Channel returns a channel by name (case-insensitive) or numeric id;
// ErrNotFound when there is none.
func (c *Catalog) Channel(ctx context.Context, ref string) (Channel, error) {
	var ch Channel
	err := c.db.View(func(txn *badger.Txn) error {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || id <= 0 {
			if id, err = indexLookup(txn, prefixChannelName+strings.ToLower(ref)); err != nil {
				return err
			}
		}
		ch, err = getJSON[Channel](txn, idKey(prefixChannel, id))
		return err
	})
	if err != nil {
		return Channel{}, fmt.Errorf("channel %q: %w", ref, err)
	}
	return ch, nil
}

// UserChannels lists the channels of user id's account, oldest first.
func (c *Catalog) UserChannels(ctx context.Context, userID int64) ([]Channel, error) {
	var out []Channel
	err := c.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(prefixChannel)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ch, err := itemJSON[Channel](it.Item())
			if err != nil {
				return err
			}
			if ch.AccountID == userID {
				out = append(out, ch)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("channels of user %d: %w", userID, err)
	}
	return out, nil
}
