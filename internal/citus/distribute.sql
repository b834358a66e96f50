-- Kiroku on Citus: distributes every table by tenant, in dependency order.
--
-- Run it once, as the owner of the tables, on the Citus coordinator, after
-- every engine's Migrate (customer, contactlog, schedule, plugins and, for the
-- example server, its own tables) and before the application writes. One
-- statement per line; internal/citus parses this file, and its tests
-- dry-run it on plain PostgreSQL (every table exists, the distribution
-- column is in every primary key, unique constraint and unique index and on
-- both sides of every foreign key, foreign keys point at tables distributed
-- or made reference tables earlier in this order).
--
-- kiroku_tenants is the anchor: distributed by its id, every tenant table
-- by tenant_id and co-located with it, so one tenant's rows of every table
-- live on one node and a query scoped by tenant is routed to it.
-- The kiroku_migrations_* bookkeeping tables stay local on the coordinator
-- (Migrate runs there, with a session connection for its advisory lock).

-- customer/permission
SELECT create_distributed_table('kiroku_tenants', 'id');
SELECT create_distributed_table('staff_users', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('org_units', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('org_unit_paths', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('org_memberships', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('staff_groups', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('group_members', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('audit_log', 'tenant_id', colocate_with => 'kiroku_tenants');

-- outbox
SELECT create_distributed_table('outbox_messages', 'tenant_id', colocate_with => 'kiroku_tenants');

-- customer
SELECT create_distributed_table('customers', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_assignees', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_assignment_log', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_lists', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_list_items', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_fields', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_ranks', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_settings', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('customer_files', 'tenant_id', colocate_with => 'kiroku_tenants');

-- contactlog/template
SELECT create_distributed_table('template_definitions', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('template_heads', 'tenant_id', colocate_with => 'kiroku_tenants');

-- contactlog
SELECT create_distributed_table('contact_masters', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_records', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_record_people', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_record_scope', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_record_assignees', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_attachments', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_record_comments', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_report_patterns', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_record_sums', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('contact_record_day_sums', 'tenant_id', colocate_with => 'kiroku_tenants');

-- contactlog/catalog
SELECT create_distributed_table('catalog_categories', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('catalog_items', 'tenant_id', colocate_with => 'kiroku_tenants');

-- schedule
SELECT create_distributed_table('schedule_alerts', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_alert_occurrences', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_notices', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_appointments', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_appointment_staff', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_appointment_scope', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_feeds', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_requests', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_request_recipients', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('schedule_request_replies', 'tenant_id', colocate_with => 'kiroku_tenants');

-- plugins: contributed templates belong to no tenant; installations do.
SELECT create_reference_table('plugin_templates');
SELECT create_distributed_table('plugin_installations', 'tenant_id', colocate_with => 'kiroku_tenants');

-- contactlog/portal: accounts, invitations and terms belong to a tenant;
-- logins (hashed addresses), link tokens and sessions are looked up before
-- the tenant is known: reference tables.
SELECT create_distributed_table('portal_terms', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('portal_accounts', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_distributed_table('portal_invitations', 'tenant_id', colocate_with => 'kiroku_tenants');
SELECT create_reference_table('portal_logins');
SELECT create_reference_table('portal_tokens');
SELECT create_reference_table('portal_sessions');

-- contactlog/api: stored Idempotency-Key responses.
SELECT create_distributed_table('api_idempotency_keys', 'tenant_id', colocate_with => 'kiroku_tenants');

-- Example server only (an embedder without it stops here). Logins,
-- sessions and tokens are looked up before the tenant is known: reference
-- tables, readable on every node.
SELECT create_reference_table('server_credentials');
SELECT create_reference_table('server_sessions');
SELECT create_reference_table('server_single_use_tokens');
SELECT create_reference_table('server_login_failures');
SELECT create_reference_table('server_api_tokens');
