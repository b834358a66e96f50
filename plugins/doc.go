// Package plugins is Kiroku's plugin host: it finds industry plugins
// (separate executables built with plugins/sdk), starts and supervises
// them with hashicorp/go-plugin, serves their templates, installs them
// per tenant, and runs their record hooks for the record engine, their
// events and their notification channels, each only for the tenants that
// installed them.
//
// # Discovery and start
//
// New takes the executables named kiroku-plugin-<name> in Config.Dir and
// those Config.Plugins lists; a plugin's name is its namespace
// ("careservice" serves careservice:visit). A Spec may pin the
// executable's SHA-256: the file is streamed through the hash before every
// start and a mismatch refuses it. Start launches every plugin
// concurrently over gRPC with automatic mutual TLS, within StartTimeout,
// and fetches its manifest, whose name must match and whose templates must
// pass template.Check in the plugin's namespace. A plugin that fails to
// start does not fail Start; its error is in Status.
//
// A plugin inherits nothing of the host's environment (no database DSN,
// no keys): its environment holds only go-plugin's handshake variables.
// The protocol's major version is the handshake's: a plugin of another
// major is refused with an error saying so. Go-plugin's log and the
// plugins' stderr go to Config.Logger (slog).
//
// # Supervision
//
// A plugin whose process dies is restarted after RestartBackoff, doubled
// after each failure in a row up to MaxRestartBackoff; calls made while it
// restarts wait for it within their deadline. Failures in a row (failed
// starts, crashes, calls that time out or answer nonsense) count until a
// call succeeds; the MaxFailures-th marks the plugin unavailable, kills
// it and stops restarting it. A checksum mismatch, another protocol
// version or an invalid manifest marks it unavailable at once. Each call
// is bounded by CallTimeout or the ctx deadline, whichever is shorter.
// Status reports each plugin's state (running, restarting, unavailable,
// stopped), version, last error, call and failure counts and latency.
// Close kills every process and waits for the host's goroutines.
//
// # Templates and record hooks
//
// With Config.Templates set, each plugin's manifest templates are
// registered as a template.Source under its namespace. With Config.DB set
// too (migrated by Migrate), the host keeps their versions: when a plugin
// starts, each manifest template whose definition differs from its key's
// latest stored one is stored as the key's next version, once even when
// several hosts start the plugin at once; the source lists the latest
// version of each key the manifest lists and serves every stored version,
// so a record keeps validating and rendering with the version it was
// written with after an upgrade. Without Config.DB every manifest template
// is version 1, and an upgrade that changes it changes version 1. The
// source stays registered while the plugin is down, so records written
// with its templates keep rendering; reading a record never calls a
// plugin. A Host is a contactlog.RecordPlugins: wire it as
// contactlog.Config.Plugins, and each create or update of a record of a
// plugin template makes one CheckRecords call, in the write's transaction:
// the plugin validates the record (problems join the record's
// *ValidationError) and computes it (values of the template's Computed
// fields are stored with the record when it has no problems; a record the
// engine already found problems with is validated only). A write that
// needs a plugin that is missing, down, slow or answering nonsense fails
// with an error wrapping ErrUnavailable that names the plugin, and
// nothing is written — unless the entry has field problems of its own:
// then the write fails with those (*ValidationError), which the user can
// fix.
//
//	reg := template.NewRegistry(store)
//	err := plugins.Migrate(ctx, db)
//	host, err := plugins.New(&plugins.Config{Dir: "/opt/kiroku/plugins", Templates: reg, DB: db})
//	…
//	err = host.Start(ctx)
//	defer host.Close()
//	svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: authz, Directory: dir, Templates: reg, Plugins: host})
//
// # Tenants: install and uninstall
//
// A plugin serves only the tenants that installed it. Host.Install
// installs running plugins in the tenant of ctx's admin principal and
// Host.Uninstall uninstalls one; Host.Installed lists a tenant's plugins.
// Installations are rows of plugin_installations in Config.DB (created by
// Migrate), so every host process sharing the database agrees on them;
// without Config.DB no tenant has installed any plugin. For a tenant that
// has not installed a plugin:
//
//   - its record and customer events are not enqueued for the plugin
//     (Subscribers), and a message enqueued before an uninstall, a due
//     timer or a notification channel message is dropped at delivery;
//   - a create or update of a record of one of the plugin's templates is
//     refused before the plugin is called: CheckRecords answers the
//     problem "template" not_allowed (the write fails with a
//     *ValidationError) and computes nothing.
//
// Reading records never calls a plugin: records written while a tenant had
// the plugin stay readable after it uninstalls, with their values and
// master codes.
//
// A plugin's manifest may contribute items of a tenant's record masters
// (contactlog.MasterItem, e.g. the channel ramenshop:counter) and custom
// fields of its customers (customer.FieldDef, e.g.
// careservice:care_level), namespaced by the plugin's name so that a
// reinstalled or upgraded plugin keeps pointing at the same data. Install
// appends the items the tenant lacks, gives the plugin's items the
// manifest's labels, archives (never removes) the plugin's items the
// manifest no longer lists, and defines or updates the plugin's customer
// fields; installing again changes nothing. Call it per tenant after
// Start, and again after upgrading a plugin. Uninstall archives the
// plugin's master items (records keep showing them; forms no longer offer
// them) and leaves its customer fields and their values in place.
//
//	err = host.Install(adminCtx, svc, customers)                // every running plugin
//	err = host.Install(adminCtx, svc, customers, "careservice") // one
//	err = host.Uninstall(adminCtx, svc, "careservice")
//
// # Events
//
// A Host is also an outbox.Subscribers: wire it as
// contactlog.Config.Events, and each create, update, delete or restore of
// a record enqueues, in the write's transaction, one outbox message per
// running or restarting plugin that the record's tenant installed and
// whose manifest wants the event's kind.
// Host.EventHandlers delivers them (merge it into the dispatcher's
// handlers): it loads the record, its customer and the customer's records
// of the month, calls the plugin's HandleEvent with the message's
// idempotency key as the event ID, and hands the notifications the plugin
// answers to the record engine, which mails each to its recipients once.
// A plugin that is down makes the delivery fail and be retried. Customer
// events work the same way: the host is also customer.Config.Events, each
// create, update, delete or restore of a customer and each row an import
// creates or updates enqueues customer.TopicCustomerEvent messages, and
// the same handlers deliver them with the customer (name, custom fields,
// assignees) and no record.
//
// A plugin may also answer an event with timers (an absence is the lack of
// an event): each is enqueued as a contactlog.TopicTimer message due at
// its time, once per key, and the same handlers deliver it back as an
// event of kind timer with the customer and the customer's latest records
// of the plugin's templates.
//
//	cfg := &contactlog.Config{…, Customers: customers, Plugins: host, Events: host, Mailer: mailer}
//	svc, err := contactlog.NewService(db, cfg)   // for request handlers
//	sys, err := contactlog.NewSystem(db, cfg)    // trusted: wiring only
//	handlers := sys.Handlers()
//	maps.Copy(handlers, host.EventHandlers(sys))
//	d, err := outbox.NewDispatcher(db, handlers, nil)
//
// # Notification channels
//
// Host.Channels offers each started plugin whose manifest has the notify
// capability (an sdk.Notifier) as a notify.Channel named
// after the plugin: wire them as contactlog.Config.Channels (after Start),
// and every report-to notification and plugin notification the record
// engine mails in a tenant that installed the plugin also reaches the
// plugin's Notify once per recipient,
// with the recipient's user ID and directory e-mail address, through the
// same supervised calls (CallTimeout, failure counting); a plugin that is
// down leaves the message pending for the dispatcher's retries.
//
// # Budget
//
// Validate and compute of a batch of 100 records through a real plugin
// process should take at most 2 ms together; measure with
//
//	go test -run '^$' -bench BenchmarkValidateCompute100 ./plugins/
package plugins
