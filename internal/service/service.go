// Package service records implementation, the fourth step of case
// management: the direct support a caseworker gives (information, safety
// planning, basic psychosocial support, parenting support, accompaniment, …)
// linked to the plan's actions; the safety plan, versioned and reviewable
// (for GBV survivors as in the 2017 workshop: what the survivor already does
// and how it works, unsafe places and people and how to avoid them, safe
// people and places in an emergency); and emergency case fund disbursements,
// within the profile's criteria and visible to the supervisor.
package service

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
)

// Given is one direct service given to a case.
type Given struct {
	ID          string
	CaseID      string
	ActionID    string
	ServiceType string
	GivenOn     string
	Description string
	GivenBy     string
	CreatedAt   time.Time
}

// SafetyPlan is one version of a case's safety plan.
type SafetyPlan struct {
	ID                string
	CaseID            string
	Number            int
	Concern           string // the safety concern, in the survivor's words
	CurrentStrategies string // what they already do to stay safe, and how it works
	Unsafe            string // unsafe places and people
	Avoidance         string // how to avoid or reduce the danger there
	Emergency         string // safe people and places in an emergency
	Resources         string // economic, relationships, community help
	ReviewOn          string // YYYY-MM-DD
	CreatedBy         string
	CreatedAt         time.Time
}

// Disbursement is one payment from the emergency case fund.
type Disbursement struct {
	ID          string
	CaseID      string
	AgencyID    string
	TeamID      string
	AmountCents int64
	Currency    string
	Purpose     string
	Criteria    []string
	PaidOn      string
	Notes       string
	RecordedBy  string
	CreatedAt   time.Time
}

// Amount returns the amount in currency units.
func (d *Disbursement) Amount() float64 { return float64(d.AmountCents) / 100 }

// Tx is the storage implementation needs.
type Tx interface {
	consent.Tx
	cases.Tx
	Plans(ctx context.Context, caseID string) ([]plan.Plan, error)
	SetActionStatus(ctx context.Context, planID, id, status string) error
	InsertService(ctx context.Context, g *Given) error
	SafetyPlans(ctx context.Context, caseID string) ([]SafetyPlan, error)
	InsertSafetyPlan(ctx context.Context, s *SafetyPlan) error
	InsertDisbursement(ctx context.Context, d *Disbursement) error
}

const maxLong = 4000

// ServiceInput is the direct service form.
type ServiceInput struct {
	ServiceType     string `json:"service_type"`
	GivenOn         string `json:"given_on"`
	Description     string `json:"description"`
	ActionID        string `json:"action_id,omitempty"`
	CompletesAction bool   `json:"completes_action"`
}

func date(p *profile.Profile, f *errs.Fields, field, v string, now time.Time) string {
	if v == "" {
		return p.Today(now)
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		f.Add(field, "err.date")
	} else if v > p.Today(now) {
		f.Add(field, "err.future")
	}
	return v
}

// open loads case caseID for the actor to record implementation on,
// behind the consent gate.
func open(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, now time.Time) (*cases.Case, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Services, caseID)
	if err != nil {
		return nil, err
	}
	return c, consent.Gate(ctx, tx, p, c, now)
}

func record(ctx context.Context, tx Tx, a access.Actor, c *cases.Case, action, typ, id string, detail any, now time.Time) error {
	b, _ := json.Marshal(detail)
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: typ, RecordID: id, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(b)})
}

// Give records a direct service on case caseID. Linked to an action of the
// active plan, it can complete that action. The first service given meets
// the first-action deadline.
func Give(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in ServiceInput, now time.Time) (*Given, error) {
	c, err := open(ctx, tx, p, a, caseID, now)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	if !profile.Has(p.DirectServiceTypes, in.ServiceType) {
		f.Add("service_type", "err.choose")
	}
	in.GivenOn = date(p, &f, "given_on", strings.TrimSpace(in.GivenOn), now)
	in.Description = strings.TrimSpace(in.Description)
	if len(in.Description) > maxLong {
		f.Add("description", "err.too_long", maxLong)
	}
	var act *plan.Action
	if in.ActionID != "" {
		ps, err := tx.Plans(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		// Only an open action: a service never reopens a done or cancelled one.
		if active := plan.ActiveOf(ps); active != nil {
			for i := range active.Actions {
				if x := &active.Actions[i]; x.ID == in.ActionID && x.Status != plan.Done && x.Status != plan.Cancelled {
					act = x
				}
			}
		}
		if act == nil {
			f.Add("action_id", "err.choose")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	g := &Given{CaseID: c.ID, ActionID: in.ActionID, ServiceType: in.ServiceType, GivenOn: in.GivenOn,
		Description: in.Description, GivenBy: a.UserID, CreatedAt: now}
	if err := tx.InsertService(ctx, g); err != nil {
		return nil, err
	}
	if act != nil {
		status := plan.Doing
		if in.CompletesAction {
			status = plan.Done
		}
		if err := tx.SetActionStatus(ctx, act.PlanID, act.ID, status); err != nil {
			return nil, err
		}
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.FirstAction, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return g, record(ctx, tx, a, c, "service.give", "service", g.ID, map[string]any{"type": g.ServiceType,
		"action": g.ActionID != ""}, now)
}

// SafetyInput is the safety plan form.
type SafetyInput struct {
	Concern           string `json:"concern"`
	CurrentStrategies string `json:"current_strategies"`
	Unsafe            string `json:"unsafe"`
	Avoidance         string `json:"avoidance"`
	Emergency         string `json:"emergency"`
	Resources         string `json:"resources"`
	ReviewOn          string `json:"review_on"`
}

// SaveSafetyPlan records a new version of case caseID's safety plan. The
// plan is the survivor's: what they already do, the unsafe places and
// people and how to avoid them, and who and where is safe in an emergency
// are all required; each change is a new version, the old ones kept.
func SaveSafetyPlan(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in SafetyInput, now time.Time) (*SafetyPlan, error) {
	c, err := open(ctx, tx, p, a, caseID, now)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	fields := []struct {
		name     string
		v        *string
		required bool
	}{
		{"concern", &in.Concern, true}, {"current_strategies", &in.CurrentStrategies, true}, {"unsafe", &in.Unsafe, true},
		{"avoidance", &in.Avoidance, true}, {"emergency", &in.Emergency, true}, {"resources", &in.Resources, false},
	}
	for _, fl := range fields {
		*fl.v = strings.TrimSpace(*fl.v)
		if fl.required && *fl.v == "" {
			f.Add(fl.name, "err.required")
		}
		if len(*fl.v) > maxLong {
			f.Add(fl.name, "err.too_long", maxLong)
		}
	}
	if in.ReviewOn != "" {
		if _, err := time.Parse(time.DateOnly, in.ReviewOn); err != nil {
			f.Add("review_on", "err.date")
		} else if in.ReviewOn < p.Today(now) {
			f.Add("review_on", "err.past")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	prev, err := tx.SafetyPlans(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sp := &SafetyPlan{CaseID: c.ID, Number: len(prev) + 1, Concern: in.Concern, CurrentStrategies: in.CurrentStrategies,
		Unsafe: in.Unsafe, Avoidance: in.Avoidance, Emergency: in.Emergency, Resources: in.Resources,
		ReviewOn: in.ReviewOn, CreatedBy: a.UserID, CreatedAt: now}
	if err := tx.InsertSafetyPlan(ctx, sp); err != nil {
		return nil, err
	}
	return sp, record(ctx, tx, a, c, "service.safety_plan", "safety_plan", sp.ID, map[string]int{"number": sp.Number}, now)
}

// FundInput is the emergency fund form.
type FundInput struct {
	Amount   float64  `json:"amount"`
	Purpose  string   `json:"purpose"`
	Criteria []string `json:"criteria"`
	PaidOn   string   `json:"paid_on"`
	Notes    string   `json:"notes"`
}

// Disburse records a payment from the emergency case fund on case caseID.
// It must meet every criterion of the profile and stay within its cap.
func Disburse(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in FundInput, now time.Time) (*Disbursement, error) {
	c, err := open(ctx, tx, p, a, caseID, now)
	if err != nil {
		return nil, err
	}
	fund := p.EmergencyFund
	var f errs.Fields
	// Amounts are kept in cents: what is checked is what is stored.
	cents := math.Round(in.Amount * 100)
	switch {
	case math.IsNaN(cents) || cents < 1: // nothing, or less than a cent
		f.Add("amount", "err.amount")
	case fund.MaxAmount > 0 && cents > math.Round(fund.MaxAmount*100):
		f.Add("amount", "err.amount_cap", fund.MaxAmount, fund.Currency)
	case cents > 1e15: // beyond any fund (and int64)
		f.Add("amount", "err.amount")
	}
	if !profile.Has(fund.Purposes, in.Purpose) {
		f.Add("purpose", "err.choose")
	}
	met := map[string]bool{}
	for _, k := range in.Criteria {
		if !profile.Has(fund.Criteria, k) {
			f.Add("criteria", "err.choose")
		}
		met[k] = true
	}
	for _, k := range fund.Criteria {
		if !met[k.Key] {
			f.Add("criteria", "err.fund_criteria")
			break
		}
	}
	in.PaidOn = date(p, &f, "paid_on", strings.TrimSpace(in.PaidOn), now)
	in.Notes = strings.TrimSpace(in.Notes)
	if len(in.Notes) > maxLong {
		f.Add("notes", "err.too_long", maxLong)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	crit := append([]string(nil), in.Criteria...)
	sort.Strings(crit)
	d := &Disbursement{CaseID: c.ID, AgencyID: c.AgencyID, TeamID: c.TeamID, AmountCents: int64(cents), Currency: fund.Currency,
		Purpose: in.Purpose, Criteria: crit, PaidOn: in.PaidOn, Notes: in.Notes, RecordedBy: a.UserID, CreatedAt: now}
	if err := tx.InsertDisbursement(ctx, d); err != nil {
		return nil, err
	}
	// Emergency support given is also direct support: it meets the first-action deadline.
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.FirstAction, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return d, record(ctx, tx, a, c, "service.fund", "fund_disbursement", d.ID, map[string]any{"purpose": d.Purpose,
		"cents": d.AmountCents, "currency": d.Currency}, now)
}
