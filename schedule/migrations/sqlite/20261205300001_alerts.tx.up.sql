CREATE TABLE IF NOT EXISTS schedule_alerts (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    title       text NOT NULL,
    start_date  text NOT NULL CHECK (length(start_date) = 10),
    count       integer NOT NULL CHECK (count > 0),
    every       integer NOT NULL CHECK (every > 0),
    unit        text NOT NULL CHECK (unit IN ('day', 'week', 'month')),
    author_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_alerts_customer ON schedule_alerts (tenant_id, customer_id);
--bun:split
CREATE TABLE IF NOT EXISTS schedule_alert_occurrences (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    alert_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    seq         integer NOT NULL CHECK (seq > 0),
    due_date    text NOT NULL CHECK (length(due_date) = 10),
    remind_at   TEXT,
    done_at     TEXT,
    done_by     TEXT,
    memo        text NOT NULL DEFAULT '',
    notified_at TEXT,
    updated_at  TEXT NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, alert_id, seq),
    FOREIGN KEY (tenant_id, alert_id) REFERENCES schedule_alerts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_alert_occurrences_due ON schedule_alert_occurrences (tenant_id, due_date, id);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_alert_occurrences_customer ON schedule_alert_occurrences (tenant_id, customer_id, due_date);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_alert_occurrences_remind ON schedule_alert_occurrences (remind_at) WHERE notified_at IS NULL AND done_at IS NULL;
--bun:split
CREATE TABLE IF NOT EXISTS schedule_notices (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    title        text NOT NULL,
    body         text NOT NULL DEFAULT '',
    display_from text NOT NULL CHECK (length(display_from) = 10),
    display_to   text NOT NULL CHECK (length(display_to) = 10),
    hidden       INTEGER NOT NULL DEFAULT 0,
    audience     text NOT NULL CHECK (audience IN ('tenant', 'group', 'me')),
    group_id     TEXT,
    author_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    version      bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES staff_groups (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_notices_period ON schedule_notices (tenant_id, display_to, display_from);
