package origin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// ContactMessage is a message sent through the contact form, kept in the
// catalogue for the administrator until they delete it. SenderIP, the
// address the message came from, is kept with it (and for as long): the
// administrator needs it against abuse, and it is shown to no one else.
type ContactMessage struct {
	ID         int64
	ReceivedAt time.Time
	FromEmail  string
	FromName   string
	Subject    string
	Body       string
	SenderIP   string
	Mailed     bool // it was mailed to the administrator
}

// Key layout of contact messages: ids are 8-byte big-endian, so key order
// is arrival order.
const (
	prefixContact   = "cm/" // cm/<id> → ContactMessage JSON
	keyContactSeq   = "seq/contact"
	keyContactCount = "count/contact"
)

// AddContact stores m as a new message and returns it with its ID and
// ReceivedAt. Like an upload it needs room beside the disk reserve: on a
// disk that has not, it stores nothing and returns ErrNoSpace.
func (c *Catalog) AddContact(ctx context.Context, m ContactMessage) (ContactMessage, error) {
	m.ReceivedAt = time.Now().UTC().Round(0)
	m.Mailed = false
	if c.space != nil {
		size, err := json.Marshal(m)
		if err != nil {
			return ContactMessage{}, fmt.Errorf("add contact message: %w", err)
		}
		if err := c.space.CheckRoom(int64(len(size))); err != nil {
			return ContactMessage{}, fmt.Errorf("add contact message: %w", err)
		}
	}
	err := c.update(ctx, func(txn *badger.Txn) error {
		id, err := nextSeq(txn, keyContactSeq)
		if err != nil {
			return err
		}
		if _, err := addCounter(txn, keyContactCount, 1); err != nil {
			return err
		}
		m.ID = id
		return putJSON(txn, idKey(prefixContact, id), m)
	})
	if err != nil {
		return ContactMessage{}, fmt.Errorf("add contact message: %w", err)
	}
	return m, nil
}

// Contacts lists messages newest first, skipping start and returning at
// most count, with the number of messages.
func (c *Catalog) Contacts(ctx context.Context, start, count int) ([]ContactMessage, int, error) {
	out, total, err := listNewest[ContactMessage](ctx, c, prefixContact, keyContactCount, start, count, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("list contact messages: %w", err)
	}
	return out, total, nil
}

// DeleteContact removes a message; ErrNotFound when there is none.
func (c *Catalog) DeleteContact(ctx context.Context, id int64) error {
	err := c.update(ctx, func(txn *badger.Txn) error {
		key := idKey(prefixContact, id)
		if _, err := txn.Get(key); err != nil {
			if errors.Is(err, badger.ErrKeyNotFound) {
				return ErrNotFound
			}
			return err
		}
		if err := txn.Delete(key); err != nil {
			return err
		}
		_, err := addCounter(txn, keyContactCount, -1)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete contact message %d: %w", id, err)
	}
	return nil
}

// MarkContactMailed records that message id went out by mail;
// ErrNotFound when it was deleted meanwhile.
func (c *Catalog) MarkContactMailed(ctx context.Context, id int64) error {
	err := c.update(ctx, func(txn *badger.Txn) error {
		key := idKey(prefixContact, id)
		m, err := getJSON[ContactMessage](txn, key)
		if err != nil {
			return err
		}
		m.Mailed = true
		return putJSON(txn, key, m)
	})
	if err != nil {
		return fmt.Errorf("mark contact message %d mailed: %w", id, err)
	}
	return nil
}
