package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// Contacts keeps the contact form's messages for the admin (the catalogue).
type Contacts interface {
	AddContact(ctx context.Context, m origin.ContactMessage) (origin.ContactMessage, error)
	Contacts(ctx context.Context, start, count int) ([]origin.ContactMessage, int, error)
	DeleteContact(ctx context.Context, id int64) error
}

// ContactMail is told of every stored message, to mail it to the admin.
// Mail must not block: the sender has their answer before the mail goes.
type ContactMail interface {
	Mail(m origin.ContactMessage)
}

// ClientAddrs tells the address of the client behind the node's trusted
// proxies (the tracker's rule, so every per-address limit of the node
// counts the same clients).
type ClientAddrs interface {
	ClientAddr(remote netip.Addr, xForwardedFor []byte) netip.Addr
}

// maxContactBody bounds a contact request's body: the longest valid form,
// every character escaped as a JSON surrogate pair, stays under it.
const maxContactBody = 64 << 10

// clientAddr is the request's client address (see ClientAddrs).
func (a *API) clientAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	remote, _ := netip.AddrFromSlice(ctx.RemoteIP())
	remote = remote.Unmap()
	if a.cfg.ClientAddrs == nil {
		return remote
	}
	return a.cfg.ClientAddrs.ClientAddr(remote, ctx.Request.Header.Peek("X-Forwarded-For"))
}

// contact takes PeerTube's POST /api/v1/server/contact: a JSON object
// {fromEmail, fromName, subject, body}, checked field by field; 204 once
// the message is stored, 400 with PeerTube's invalid-params naming each
// field it got wrong.
func (a *API) contact(ctx *fasthttp.RequestCtx) {
	addr := a.clientAddr(ctx)
	if ok, wait := a.contactLimit.allow(tracker.AccountKey(addr), time.Now()); !ok {
		a.tooMany(ctx, wait, "too many messages from your address")
		return
	}
	body, ok := a.readBody(ctx, maxContactBody, "message")
	if !ok {
		return
	}
	form, invalid, err := parseContactForm(body)
	if err != nil {
		writeProblem(ctx, http.StatusBadRequest, err.Error())
		return
	}
	if invalid != nil {
		names := make([]string, 0, len(invalid))
		for _, r := range contactRules {
			if _, ok := invalid[r.field]; ok {
				names = append(names, r.field)
			}
		}
		problem.WriteDetails(ctx, problem.Details{
			Status:        http.StatusBadRequest,
			Detail:        "Incorrect request parameters: " + strings.Join(names, ", "),
			Instance:      contactPath,
			InvalidParams: invalid,
		})
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
		return
	}
	m, err := a.cfg.Contacts.AddContact(ctx, origin.ContactMessage{
		FromEmail: form.Email, FromName: form.Name, Subject: form.Subject, Body: form.Body, SenderIP: addr.String(),
	})
	if errors.Is(err, origin.ErrNoSpace) {
		a.logger.Warn("contact message refused", "err", err)
		writeProblem(ctx, http.StatusInsufficientStorage, "could not keep your message: the node's disk is full")
		return
	}
	if err != nil {
		a.logger.Error("store a contact message", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not keep your message")
		return
	}
	a.logger.Info("contact message stored", "id", m.ID)
	if a.cfg.ContactMail != nil {
		a.cfg.ContactMail.Mail(m)
	}
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
	ctx.SetStatusCode(http.StatusNoContent)
}

// routeAdminContact routes what follows adminContactPath: "" (the list)
// or "/{id}" (one message).
func (a *API) routeAdminContact(ctx *fasthttp.RequestCtx, rest string) {
	switch id, ok := strings.CutPrefix(rest, "/"); {
	case rest == "":
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.adminContacts(ctx)
		}
	case ok && id != "" && !strings.Contains(id, "/"):
		if a.method(ctx, allowDelete, ctx.IsDelete()) {
			a.adminDeleteContact(ctx, id)
		}
	default:
		writeProblem(ctx, http.StatusNotFound, "no such API endpoint")
	}
}

// contactJSON is a stored message as the admin reads it.
type contactJSON struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	FromEmail string    `json:"fromEmail"`
	FromName  string    `json:"fromName"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	SenderIP  string    `json:"senderIp"`
	Mailed    bool      `json:"mailed"`
}

// adminContacts lists the messages, newest first, PeerTube-style paged.
func (a *API) adminContacts(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	start, count, ok := queryPage(ctx)
	if !ok {
		return
	}
	msgs, total, err := a.cfg.Contacts.Contacts(ctx, start, count)
	if err != nil {
		a.logger.Error("list contact messages", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	data := make([]contactJSON, 0, len(msgs))
	for _, m := range msgs {
		data = append(data, contactJSON{m.ID, m.ReceivedAt, m.FromEmail, m.FromName, m.Subject, m.Body, m.SenderIP, m.Mailed})
	}
	writeJSON(ctx, http.StatusOK, struct {
		Total int           `json:"total"`
		Data  []contactJSON `json:"data"`
	}{total, data})
}

// adminDeleteContact deletes message ref: 204, or 404 when there is none.
func (a *API) adminDeleteContact(ctx *fasthttp.RequestCtx, ref string) {
	if !a.authorize(ctx) {
		return
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err == nil {
		err = a.cfg.Contacts.DeleteContact(ctx, id)
	} else {
		err = origin.ErrNotFound
	}
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "no such contact message")
	case errors.Is(err, origin.ErrNoSpace):
		a.logger.Error("delete a contact message", "err", err)
		writeProblem(ctx, http.StatusInsufficientStorage, "could not delete the message: the node's disk is full")
	case err != nil:
		a.logger.Error("delete a contact message", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not delete the message")
	default:
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
		ctx.SetStatusCode(http.StatusNoContent)
	}
}
