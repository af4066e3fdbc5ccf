-- The audit chain is keyed (issue 8, item 13). From keyed_from on, each
-- event's hash is an HMAC with a subkey of the deployment's key, which is
-- kept outside the database; events written before the deployment had a
-- key keep their SHA-256 hashes. key_id names the key (a fingerprint, never
-- the key), so that a server started with another key is refused. mac
-- seals the head (seq, hash, keyed_from, key_id) with the key, so that
-- moving it back over deleted events is detected. All three are set at
-- the first start with a key; 0 and '' mean the chain has no key yet.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN mac TEXT NOT NULL DEFAULT '';
