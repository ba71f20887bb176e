// Package delivery owns getting the pool's messages (verification codes, invitations with
// temporary passwords) to people: an SMTP sender for e-mail, a webhook sender that hands
// every message to another service (an SMS gateway, a custom mailer), and a Dispatcher that
// runs senders in the background.
//
// The outbox stays the record of what the pool sent; delivery happens beside it and is best
// effort. A request never waits on a mail server, and a message that cannot be delivered is
// retried a few times, then logged and counted, never allowed to fail the change that caused
// it. Callers enqueue a message only after the transaction that wrote its outbox entry has
// committed, so a rolled-back change sends nothing.
//
// Codes, temporary passwords and message bodies are secrets: nothing here logs them, and
// destinations appear in logs only masked.
package delivery
