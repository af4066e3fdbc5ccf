package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/search"
)

// The search index (package search, migration 0012) holds keyed tokens of
// what identifies each case's child. Every write of a case's identity, of
// its registration place or of a family member's contact details rewrites
// the case's tokens in the same transaction (indexCase), so the index is
// never behind the cases. A process without the deployment's key cannot
// make tokens: it marks the index stale instead, and the next start with
// the key rebuilds it (EnsureSearchIndex).

// searchHasher returns the hasher of the deployment's search key, or nil
// when the process has no key.
func (db *DB) searchHasher() *search.Hasher {
	if k := db.keys.Load(); k != nil {
		return k.search
	}
	return nil
}

// SearchHasher returns the hasher of the deployment's search key, with
// which a search turns its terms into the index's tokens, or nil when the
// process has no key (UseKeys).
func (db *DB) SearchHasher() *search.Hasher { return db.searchHasher() }

// indexCase rewrites the search tokens of case caseID from its identity,
// its registration place and its family's contact details.
func (tx *Tx) indexCase(ctx context.Context, caseID string) error {
	h := tx.db.searchHasher()
	if h == nil {
		// No key, no tokens: the index no longer covers every case.
		_, err := tx.exec(ctx, "DELETE FROM search_state")
		return err
	}
	var agency string
	var p search.Person
	err := tx.queryRow(ctx, `SELECT c.agency_id, c.registration_place, i.given_name, i.family_name, i.other_names,
		i.date_of_birth, i.location, i.contact FROM cases c JOIN case_identity i ON i.case_id = c.id WHERE c.id = ?`,
		caseID).Scan(&agency, &p.RegistrationPlace, &p.GivenName, &p.FamilyName, &p.OtherNames, &p.DateOfBirth,
		&p.Location, &p.Contact)
	if err != nil {
		return notFound(err, "case "+caseID)
	}
	rows, err := tx.query(ctx, `SELECT pi.contact FROM case_people p JOIN person_identity pi ON pi.person_id = p.id
		WHERE p.case_id = ? AND pi.contact <> ''`, caseID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		p.FamilyContacts = append(p.FamilyContacts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM search_tokens WHERE case_id = ?", caseID); err != nil {
		return err
	}
	return tx.insertTokens(ctx, agency, caseID, h.Entries(p))
}

// insertTokens writes the entries of one case, a few statements of many
// rows each.
func (tx *Tx) insertTokens(ctx context.Context, agency, caseID string, entries []search.Entry) error {
	const per = 64
	for len(entries) > 0 {
		n := min(len(entries), per)
		var b strings.Builder
		b.WriteString("INSERT INTO search_tokens (token, agency_id, case_id, kind) VALUES ")
		args := make([]any, 0, 4*n)
		for i, e := range entries[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, int64(e.Token), agency, caseID, int16(e.Kind))
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("search index of case %s: %w", caseID, err)
		}
		entries = entries[n:]
	}
	return nil
}

// moveTokens keeps the index's agency of case caseID in step with the
// case's (a transfer to another agency moves the case).
func (tx *Tx) moveTokens(ctx context.Context, caseID, agency string) error {
	_, err := tx.exec(ctx, "UPDATE search_tokens SET agency_id = ? WHERE case_id = ? AND agency_id <> ?", agency,
		caseID, agency)
	return err
}

// SearchIndexCurrent reports whether the search index covers every case
// under the process's key, as the running version makes its entries.
func (db *DB) SearchIndexCurrent(ctx context.Context) (bool, error) {
	h := db.Keys()
	if h == nil {
		return false, nil
	}
	var id string
	err := db.r.QueryRowContext(ctx, "SELECT key_id FROM search_state WHERE id = 1").Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("search index state: %w", err)
	}
	return id == indexID(h), nil
}

// indexID names the index search_state records: the key it was made with
// and the version of search.Entries that made it.
func indexID(ks *keys.Set) string { return ks.ID() + "/v" + strconv.Itoa(search.Version) }

// EnsureSearchIndex rebuilds the search index unless it is current: after
// the migration that adds it, after cases were written by a process without
// the key, or when the server starts with another key. progress, if not
// nil, is told how many cases are done after each batch. It returns
// whether it rebuilt.
func (db *DB) EnsureSearchIndex(ctx context.Context, progress func(done int)) (bool, error) {
	ok, err := db.SearchIndexCurrent(ctx)
	if err != nil || ok {
		return false, err
	}
	return true, db.RebuildSearchIndex(ctx, progress)
}

// searchBatch is how many cases a rebuild indexes in one transaction.
const searchBatch = 500

// RebuildSearchIndex makes the search index anew under the process's key,
// a batch of cases a transaction, and records the key it was built with.
func (db *DB) RebuildSearchIndex(ctx context.Context, progress func(done int)) error {
	if db.searchHasher() == nil {
		return errors.New("search index: the process has no key to make tokens with")
	}
	if err := db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "DELETE FROM search_state")
		return err
	}); err != nil {
		return err
	}
	after, done := "00000000-0000-0000-0000-000000000000", 0 // below every ID, on both engines
	for {
		var ids []string
		err := db.Tx(ctx, func(tx *Tx) error {
			ids = ids[:0]
			rows, err := tx.query(ctx, "SELECT id FROM cases WHERE id > ? ORDER BY id LIMIT ?", after, searchBatch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range ids {
				if err := tx.indexCase(ctx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		after, done = ids[len(ids)-1], done+len(ids)
		if progress != nil {
			progress(done)
		}
	}
	return db.Tx(ctx, func(tx *Tx) error { return tx.markSearchCurrent(ctx, time.Now()) })
}

// markSearchCurrent records that the index covers every case under the
// process's key.
func (tx *Tx) markSearchCurrent(ctx context.Context, at time.Time) error {
	ks := tx.db.Keys()
	if ks == nil {
		return nil
	}
	if _, err := tx.exec(ctx, "DELETE FROM search_state"); err != nil {
		return err
	}
	_, err := tx.exec(ctx, "INSERT INTO search_state (id, key_id, built_at) VALUES (1, ?, ?)", indexID(ks), ms(at))
	return err
}

// SearchEntries returns the entries of case caseID in the search index:
// tokens and their kinds, never text.
func (tx *Tx) SearchEntries(ctx context.Context, caseID string) ([]search.Entry, error) {
	rows, err := tx.query(ctx, "SELECT token, kind FROM search_tokens WHERE case_id = ? ORDER BY token", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []search.Entry
	for rows.Next() {
		var tok int64
		var kind int16
		if err := rows.Scan(&tok, &kind); err != nil {
			return nil, err
		}
		out = append(out, search.Entry{Token: search.Token(tok), Kind: search.Kind(kind)})
	}
	return out, rows.Err()
}
