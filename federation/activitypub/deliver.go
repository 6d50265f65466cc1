package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ContentTypeActivity is the Content-Type of a delivered activity.
const ContentTypeActivity = "application/activity+json"

// PostDelivery makes one attempt at d: POSTs its body to its inbox,
// signed with key, through client (the fetcher's guarded client). Any
// answer but 2xx is an error.
func PostDelivery(ctx context.Context, client *http.Client, key *rsa.PrivateKey, d Delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Inbox, bytes.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("activitypub: delivery to %q: %w", d.Inbox, err)
	}
	req.Header.Set("Content-Type", ContentTypeActivity)
	req.Header.Set("Accept", AcceptHeader)
	if err := Sign(req, d.Body, d.KeyID, key, time.Now()); err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("activitypub: delivery to %s: %w", d.Inbox, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("activitypub: delivery to %s: answered %s", d.Inbox, resp.Status)
	}
	return nil
}
