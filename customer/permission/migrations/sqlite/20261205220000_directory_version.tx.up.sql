-- The directory version: every write of a tenant's directory (users, org
-- units, groups, memberships, the tenant's settings) advances it in the
-- write's transaction, so a process that caches principals can tell, with
-- one primary-key read, whether what it holds is still what the directory
-- says, whichever process wrote.
ALTER TABLE kiroku_tenants ADD COLUMN directory_version INTEGER NOT NULL DEFAULT 1;
