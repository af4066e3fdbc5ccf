// Package family records the child's family members and caregivers. A
// caregiver can be flagged as an alleged perpetrator: such a person is never
// asked for consent and never sent anything. Family details are personal
// information, so nothing is recorded here without consent to collect and
// store it (or a supervisor's override).
package family

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/profile"
)

// Tx is the storage the family operations need.
type Tx interface {
	consent.Tx
	InsertPerson(ctx context.Context, p *cases.Person) error
	UpdatePerson(ctx context.Context, p *cases.Person) error
	DeletePerson(ctx context.Context, caseID, id string) error
}

// Input is the family member form.
type Input struct {
	Name               string `json:"name"`
	Relationship       string `json:"relationship"`
	IsCaregiver        bool   `json:"is_caregiver"`
	AllegedPerpetrator bool   `json:"alleged_perpetrator"`
	Alive              string `json:"alive"`
	LivesWithChild     bool   `json:"lives_with_child"`
	Age                *int   `json:"age"`
	Sex                string `json:"sex"`
	Contact            string `json:"contact"`
	Address            string `json:"address"`
	Notes              string `json:"notes"`
}

func (in *Input) validate(p *profile.Profile) error {
	for _, s := range []*string{&in.Name, &in.Contact, &in.Address, &in.Notes} {
		*s = strings.TrimSpace(*s)
	}
	var f errs.Fields
	if !profile.Has(p.Relationships, in.Relationship) {
		f.Add("relationship", "err.choose")
	}
	if in.Alive == "" {
		in.Alive = "unknown"
	}
	ok := false
	for _, v := range cases.AliveValues {
		ok = ok || v == in.Alive
	}
	if !ok {
		f.Add("alive", "err.choose")
	}
	if in.Age != nil && (*in.Age < 0 || *in.Age > 120) {
		f.Add("age", "err.age")
	}
	if in.Sex != "" && !intake.ValidSex(in.Sex) {
		f.Add("sex", "err.choose")
	}
	for field, v := range map[string]string{"name": in.Name, "contact": in.Contact, "address": in.Address} {
		if len(v) > 200 {
			f.Add(field, "err.too_long", 200)
		}
	}
	if len(in.Notes) > 4000 {
		f.Add("notes", "err.too_long", 4000)
	}
	return f.Err()
}

func (in *Input) apply(x *cases.Person) {
	x.Relationship, x.IsCaregiver, x.AllegedPerpetrator = in.Relationship, in.IsCaregiver, in.AllegedPerpetrator
	x.Alive, x.LivesWithChild, x.AgeYears, x.Sex = in.Alive, in.LivesWithChild, in.Age, in.Sex
	x.Name, x.Contact, x.Address, x.Notes = in.Name, in.Contact, in.Address, in.Notes
}

// Add records a family member or caregiver on case caseID.
func Add(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*cases.Person, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Family, caseID)
	if err != nil {
		return nil, err
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	if err := in.validate(p); err != nil {
		return nil, err
	}
	x := &cases.Person{CaseID: c.ID, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	in.apply(x)
	if err := tx.InsertPerson(ctx, x); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]bool{"caregiver": x.IsCaregiver, "alleged_perpetrator": x.AllegedPerpetrator})
	return x, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "family.add", RecordType: "person", RecordID: x.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// Update saves an edited family member id (read at version) of case caseID.
func Update(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID, id string, version int, in Input, now time.Time) (*cases.Person, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Family, caseID)
	if err != nil {
		return nil, err
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	people, err := tx.CasePeople(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var x *cases.Person
	for i := range people {
		if people[i].ID == id {
			x = &people[i]
		}
	}
	if x == nil {
		return nil, errs.E(errs.NotFound, "person %s", id)
	}
	if x.Version != version {
		return nil, &errs.ConflictError{Record: "person", Version: x.Version, Current: x}
	}
	if err := in.validate(p); err != nil {
		return nil, err
	}
	wasPerpetrator := x.AllegedPerpetrator
	in.apply(x)
	x.UpdatedAt = now
	if err := tx.UpdatePerson(ctx, x); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]bool{"caregiver": x.IsCaregiver, "alleged_perpetrator": x.AllegedPerpetrator,
		"perpetrator_flag_changed": wasPerpetrator != x.AllegedPerpetrator})
	return x, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "family.update", RecordType: "person", RecordID: x.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// Remove deletes family member id of case caseID (entered by mistake).
// Consent records that name the person keep their giver but lose the link.
func Remove(ctx context.Context, tx Tx, a access.Actor, caseID, id string, now time.Time) error {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Family, caseID)
	if err != nil {
		return err
	}
	if err := tx.DeletePerson(ctx, c.ID, id); err != nil {
		return err
	}
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "family.remove", RecordType: "person", RecordID: id,
		CaseID: c.ID, AgencyID: c.AgencyID})
}
