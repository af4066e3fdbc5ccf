package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/web"
)

// eventShape is what an administrative event says, whoever made it: what
// happened to which kind of record, in which agency, and what changed
// (IDs of teams replaced by whether one was named).
type eventShape struct {
	Action, RecordType string
	AgencyIsRecord     bool // the agency of the event is the record itself (agency.create)
	Agency             string
	Detail             map[string]account.Change
}

func shapeOf(e audit.Event, agencyCode map[string]string) eventShape {
	s := eventShape{Action: e.Action, RecordType: e.RecordType, AgencyIsRecord: e.AgencyID == e.RecordID,
		Agency: agencyCode[e.AgencyID], Detail: account.ParseDetail(e.Detail)}
	if c, ok := s.Detail["team"]; ok && c.New != "" {
		c.New = "(a team)"
		s.Detail["team"] = c
	}
	return s
}

// TestCLIAndWebWriteTheSameEvents: adding an agency, a team and a user at
// the command line (safecase user add) and through the web (the JSON API,
// which the pages share) writes events of the same shape; only the actor
// differs (the shell operator, or the signed-in administrator).
func TestCLIAndWebWriteTheSameEvents(t *testing.T) {
	eachURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"SAFECASE_DB": dbURL}
		if r := run(t, env, "tangerine-ocelot-47-umbrella\n", "user", "add", "--username", "admin", "--name", "Site Admin",
			"--role", "system_admin", "--agency", "HQ", "--agency-name", "Head office"); r.code != 0 {
			t.Fatalf("first admin: %q", r.stderr)
		}
		if r := run(t, env, "", "user", "add", "--username", "cli.agency", "--name", "Agency One", "--role", "dp_officer",
			"--agency", "CLI", "--agency-name", "Made at the shell"); r.code != 0 {
			t.Fatalf("agency: %q", r.stderr)
		}
		if r := run(t, env, "", "user", "add", "--username", "cli.worker", "--name", "Case Worker", "--role", "caseworker",
			"--agency", "CLI", "--team", "North", "--create-team"); r.code != 0 {
			t.Fatalf("team and caseworker: %q", r.stderr)
		}

		ctx := context.Background()
		db, err := store.Open(ctx, dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if ks := testKeys(t, dbURL); ks != nil {
			db.UseKeys(ks)
		}
		tok, hash := auth.NewToken("sc_")
		var admin string
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			u, err := tx.UserByName(ctx, "admin")
			if err != nil {
				return err
			}
			admin = u.ID
			return tx.InsertToken(ctx, &store.APIToken{UserID: u.ID, Name: "test", Hash: hash, CreatedAt: time.Now(),
				ExpiresAt: time.Now().Add(time.Hour)})
		}); err != nil {
			t.Fatal(err)
		}
		prof := *profile.Default()
		prof.SecondFactorRoles = nil // the administrator signs in with the token alone here
		srv, err := web.New(db, &prof, web.Config{PasswordParams: auth.Params{Memory: 64, Time: 1, Threads: 1}, Keys: db.Keys(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		post := func(path, body string) map[string]any {
			t.Helper()
			req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		post("/api/v1/users", `{"username":"web.agency","display_name":"Agency Two","role":"dp_officer","agency_id":`+
			fmt.Sprintf("%q", post("/api/v1/agencies", `{"name":"Made on the web","code":"WEB"}`)["id"])+`}`)
		var webAgency string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			as, err := tx.Agencies(ctx)
			for _, a := range as {
				if a.Code == "WEB" {
					webAgency = a.ID
				}
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		team := post("/api/v1/teams", fmt.Sprintf(`{"agency_id":%q,"name":"North"}`, webAgency))
		post("/api/v1/users", fmt.Sprintf(`{"username":"web.worker","display_name":"Case Worker","role":"caseworker","agency_id":%q,"team_id":%q}`,
			webAgency, team["id"]))

		// The events of each side, in order, skipping the first administrator.
		byCLI, byWeb := map[string][]eventShape{}, map[string][]eventShape{}
		if err := db.Read(ctx, func(tx *store.Tx) error {
			as, err := tx.Agencies(ctx)
			if err != nil {
				return err
			}
			code := map[string]string{}
			for _, a := range as {
				code[a.ID] = strings.Replace(strings.Replace(a.Code, "WEB", "X", 1), "CLI", "X", 1)
			}
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{Limit: 100})
			if err != nil {
				return err
			}
			sort.Slice(evs, func(i, j int) bool { return evs[i].Seq < evs[j].Seq })
			for _, e := range evs {
				if !strings.HasPrefix(e.Action, "agency.") && !strings.HasPrefix(e.Action, "team.") && !strings.HasPrefix(e.Action, "user.") {
					continue
				}
				switch {
				case e.ActorRole == account.ShellRole && code[e.AgencyID] == "X":
					byCLI[e.Action] = append(byCLI[e.Action], shapeOf(e, code))
				case e.ActorID == admin:
					byWeb[e.Action] = append(byWeb[e.Action], shapeOf(e, code))
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, action := range []string{"agency.create", "team.create", "user.create"} {
			if len(byCLI[action]) == 0 {
				t.Errorf("no %s event from the command line", action)
			}
		}
		if diff := cmp.Diff(byCLI, byWeb); diff != "" {
			t.Errorf("events by the command line (-) and the web (+) differ:\n%s", diff)
		}
	})
}
