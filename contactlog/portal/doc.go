// Package portal is Kiroku's customer portal (お客様ページ): staff invite a
// customer by QR code, URL or mail; the customer registers, logs in and
// reads the contact records staff shared with them — nothing else.
//
// # Accounts
//
// A customer has at most one Account, made by their first invitation
// (StatusInvited). Registering makes it StatusActive: the login is an
// e-mail address (prefilled from the customer, changeable later with
// ChangeEmail), the password is stored as an argon2id hash, and the
// version of the tenant's terms of use the customer agreed to is kept
// with the time. Config.MaxFailures (default 5) consecutive failed logins
// make it StatusLocked until staff unlock it — not a timed lock. Staff may
// end a customer's access (Deactivate) and give it back (Restore). One
// e-mail address is the login of at most one account of the installation
// (ErrConflict otherwise, reported as CodeTaken on "email").
//
// # Invitations
//
// Invite (QR code or URL) and SendInvitation (mail, in the inviting staff
// member's name through the outbox) each make a new Invitation: a random
// single-use link, valid for Config.InvitationTTL (default 30 days), of
// which only a SHA-256 is stored. The link of a mail is made when the
// dispatcher delivers it, so it never rests unhashed in the database, not
// even in the outbox. Staff may invite again any number of times until the
// customer registers; registering with one link uses it up and revokes
// every other outstanding invitation of the customer. Invitations lists
// them with their send times.
//
// Who: staff who may edit the customer (permission.ActionEdit) invite;
// the customer's assignees, the managers of their groups and admins
// (permission.ActionUnlock) unlock, deactivate and restore, and Locked
// lists exactly the locked accounts the principal may unlock, filtered in
// SQL by the same rule (permission.CustomerTable with ActionUnlock).
//
// # Registration and passwords
//
// A password has at least MinPasswordLength characters, letters and
// digits (the manual's 「英数8文字以上」), and a zxcvbn score of at least
// Config.MinPasswordScore with the customer's name and addresses counting
// as guessable words (Config.CheckPassword; PasswordStrength feeds a live
// meter). Register reports every problem at once in a *ValidationError
// with stable codes; the link stays usable then.
//
// # Logging in, lockout, reset
//
// System.Login answers ErrBadCredentials for every failure — unknown
// address, wrong password, locked, deactivated or unregistered account —
// after the same hashing work, so the answer never reveals whether an
// address has an account. The failure that reaches MaxFailures locks the
// account and enqueues, in the same transaction and once per lock, a
// notice to the customer (ログインアカウント停止通知) and one to each of
// the customer's assignees (顧客アカウント停止通知), with the account's
// facts and what to do. Unlock resets the count and mails the customer.
// RequestReset answers nil for any address and mails a single-use link
// (Config.ResetTTL, default 1 hour) to active accounts only; Reset,
// ChangePassword and deactivation end the account's sessions.
//
// # What a customer reads
//
// A Session carries the customer principal (permission.Customer kind,
// Principal.Customer set). Put it in the context of contactlog.Service
// calls: the permission engine shows a customer principal only the records
// of its own customer marked shared (Entry.Shared), newest first, and
// contactlog leaves out private memos, expenses, report-to recipients and
// scope, lists only attachments marked shared, and refuses comments — the
// engines enforce it, not the portal's pages.
//
// # Two handles
//
// Service is principal-scoped (staff, or the customer for their own
// account). System is the trusted handle for the calls made before anyone
// is authenticated (Invitation, Register, Login, Session, Logout,
// RequestReset, Reset) and the outbox Handlers. Every change and the
// locked-account list are written to the audit log (object type
// "portal_account"), by staff or by the customer principal.
//
// # Storage
//
// portal_accounts, portal_invitations and portal_terms have tenant-leading
// keys. portal_logins (a SHA-256 of each login address), portal_tokens
// (hashes of links) and portal_sessions are read before the tenant is
// known and are reference tables on Citus.
package portal
