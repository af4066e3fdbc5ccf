-- The search index (package search): keyed tokens of what identifies a
-- child — name parts, their prefixes and phonetic keys, phone numbers, date
-- of birth, place words — never the text. A token is an HMAC under the
-- deployment's search key, kept outside the database. Keep in step with
-- ../sqlite/0012_search.sql.
CREATE TABLE search_tokens (
  token BIGINT NOT NULL,
  agency_id UUID NOT NULL,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  kind SMALLINT NOT NULL,
  PRIMARY KEY (token, agency_id, case_id)
);
CREATE INDEX search_tokens_case ON search_tokens (case_id);

-- The key the index is built with: a server started with another key (or
-- a database whose cases were written without one) rebuilds the index.
CREATE TABLE search_state (
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  built_at BIGINT NOT NULL
);
