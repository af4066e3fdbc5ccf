-- Duplicates (issue 10 §2). Keep in step with the other engine's
-- 0013_duplicates.sql.

-- A case closed as a duplicate points to the case kept (cases.MarkVoid);
-- one closed as registered in error points nowhere. Nothing is deleted: the
-- case keeps its file, closed with the reason. The note is the
-- supervisor's, optional, shown on the case page only.
ALTER TABLE cases ADD COLUMN duplicate_of UUID REFERENCES cases(id);
ALTER TABLE cases ADD COLUMN duplicate_note TEXT NOT NULL DEFAULT '';

-- The kept case lists its duplicates (store.Tx.DuplicatesOf): only the
-- few cases marked are in this index.
CREATE INDEX cases_duplicate_of ON cases (duplicate_of) WHERE duplicate_of IS NOT NULL;
