-- Appointments on staff calendars (予定). The staff and scope tables name
-- the appointment record_id: the column the permission engine's
-- RecordTable predicate probes.
CREATE TABLE IF NOT EXISTS schedule_appointments (
    tenant_id         TEXT NOT NULL,
    id                TEXT NOT NULL,
    title             text NOT NULL,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,
    all_day           INTEGER NOT NULL DEFAULT 0,
    place             text NOT NULL DEFAULT '',
    customer_id       TEXT,
    contact_persons   TEXT NOT NULL DEFAULT '[]',
    channel           text NOT NULL DEFAULT '',
    memo              text NOT NULL DEFAULT '',
    direct            text NOT NULL DEFAULT '' CHECK (direct IN ('', 'go', 'return', 'both')),
    scope_kind        text NOT NULL DEFAULT 'company' CHECK (scope_kind IN ('company', 'org_units', 'groups', 'users')),
    confidential      INTEGER NOT NULL DEFAULT 0,
    -- Appointments are never shown to customer principals; the column is
    -- what the permission predicate reads.
    shared            INTEGER NOT NULL DEFAULT 0 CHECK (NOT shared),
    record_id         TEXT,
    source_record_id  TEXT,
    author_id         TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    updated_by        TEXT NOT NULL,
    deleted_at        TEXT,
    deleted_by        TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    CHECK (ends_at >= starts_at),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_appointments_starts ON schedule_appointments (tenant_id, starts_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS schedule_appointments_customer ON schedule_appointments (tenant_id, customer_id, starts_at) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS schedule_appointments_record ON schedule_appointments (tenant_id, record_id) WHERE record_id IS NOT NULL;
--bun:split
CREATE TABLE IF NOT EXISTS schedule_appointment_staff (
    tenant_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, record_id, user_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES schedule_appointments (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_appointment_staff_user ON schedule_appointment_staff (tenant_id, user_id, record_id);
--bun:split
CREATE TABLE IF NOT EXISTS schedule_appointment_scope (
    tenant_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, record_id, target_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES schedule_appointments (tenant_id, id) ON DELETE CASCADE
);
--bun:split
-- Per-user secret iCalendar feeds: the SHA-256 of the token, never the
-- token. One feed per user; a new one replaces it.
CREATE TABLE IF NOT EXISTS schedule_feeds (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    token_hash text NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    UNIQUE (tenant_id, token_hash)
);
--bun:split
-- Requests to colleagues and tasks for oneself (依頼・課題).
CREATE TABLE IF NOT EXISTS schedule_requests (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    due_date   text NOT NULL DEFAULT '' CHECK (due_date = '' OR length(due_date) = 10),
    record_id  TEXT,
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done')),
    author_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_requests_author ON schedule_requests (tenant_id, author_id, created_at);
--bun:split
CREATE TABLE IF NOT EXISTS schedule_request_recipients (
    tenant_id  TEXT NOT NULL,
    request_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id, user_id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES schedule_requests (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_request_recipients_user ON schedule_request_recipients (tenant_id, user_id, request_id);
--bun:split
CREATE TABLE IF NOT EXISTS schedule_request_replies (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    request_id TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    body       text NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES schedule_requests (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_request_replies_request ON schedule_request_replies (tenant_id, request_id, created_at);
