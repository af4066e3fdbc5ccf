package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/store"
)

type servicesPage struct {
	Page
	Case     *cases.Case
	Given    []service.Given
	Safety   []service.SafetyPlan
	Fund     []service.Disbursement
	FundSum  int64
	Actions  []plan.Action // open actions of the active plan, to link a service to
	Names    map[string]string
	CanEdit  bool
	Service  service.ServiceInput
	Plan     service.SafetyInput
	Money    service.FundInput
	AmountIn string
}

// loadServices reads the services page of case id and audits the read.
func (s *Server) loadServices(ctx context.Context, rq *request, id string) (*servicesPage, error) {
	p := &servicesPage{Page: s.page(rq, "services.title", "")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Services, id)
		if err != nil {
			return err
		}
		p.Case = c
		p.CanEdit = access.Decide(rq.Actor, access.Edit, access.Resource{Kind: access.KindCase, Case: c.Ref(),
			Section: access.Services}).Allow
		if p.Given, err = tx.Services(ctx, c.ID); err != nil {
			return err
		}
		if p.Safety, err = tx.SafetyPlans(ctx, c.ID); err != nil {
			return err
		}
		if p.Fund, err = tx.Disbursements(ctx, c.ID); err != nil {
			return err
		}
		for _, d := range p.Fund {
			p.FundSum += d.AmountCents
		}
		ps, err := tx.Plans(ctx, c.ID)
		if err != nil {
			return err
		}
		if active := plan.ActiveOf(ps); active != nil {
			for _, a := range active.Actions {
				if a.Kind == "direct" && a.Status != plan.Done && a.Status != plan.Cancelled {
					p.Actions = append(p.Actions, a)
				}
			}
		}
		ids := []string{}
		for _, g := range p.Given {
			ids = append(ids, g.GivenBy)
		}
		for _, d := range p.Fund {
			ids = append(ids, d.RecordedBy)
		}
		if p.Names, err = tx.UserNames(ctx, ids); err != nil {
			return err
		}
		rq.auditRead(ctx, audit.Event{Action: "service.view", RecordType: "case", RecordID: c.ID,
			CaseID: c.ID, AgencyID: c.AgencyID})
		return nil
	})
	p.Service.GivenOn, p.Money.PaidOn = s.prof.Today(rq.Now), s.prof.Today(rq.Now)
	return p, err
}

// ActionLabel names action id for the services list.
func (p *servicesPage) ActionLabel(id string) string {
	for _, a := range p.Actions {
		if a.ID == id {
			return a.What
		}
	}
	return ""
}

func (s *Server) getServices(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadServices(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "service", "safety", "fund":
		p.Flash = "flash.services_" + d
	}
	return s.render(w, http.StatusOK, "services", p)
}

// servicesAgain shows the services page of case id again with the errors
// of one of its forms, refilled by fill.
func (s *Server) servicesAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*servicesPage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "services", func() (*servicesPage, error) { return s.loadServices(r.Context(), rq, id) }, fill)
}

func (s *Server) postService(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in service.ServiceInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = service.ServiceInput{ServiceType: f.str("service_type"), GivenOn: f.str("given_on"),
				Description: f.str("description"), ActionID: f.str("action_id"), CompletesAction: f.bool("completes_action")}
			_, err := service.Give(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/services?done=service"),
		Again: s.servicesAgain(w, r, rq, id, func(p *servicesPage) { p.Service = in }),
	})
}

func (s *Server) postSafetyPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in service.SafetyInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = service.SafetyInput{Concern: f.str("concern"), CurrentStrategies: f.str("current_strategies"),
				Unsafe: f.str("unsafe"), Avoidance: f.str("avoidance"), Emergency: f.str("emergency"),
				Resources: f.str("resources"), ReviewOn: f.str("review_on")}
			_, err := service.SaveSafetyPlan(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/services?done=safety"),
		Again: s.servicesAgain(w, r, rq, id, func(p *servicesPage) { p.Plan = in }),
	})
}

func (s *Server) postFund(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in service.FundInput
	var amount string
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			amount = f.str("amount")
			in = service.FundInput{Purpose: f.str("purpose"), Criteria: f.list("criteria"), PaidOn: f.str("paid_on"),
				Notes: f.str("notes")}
			v, err := strconv.ParseFloat(amount, 64)
			if err != nil && amount != "" {
				return errs.Field("amount", "err.amount")
			}
			in.Amount = v
			_, err = service.Disburse(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/services?done=fund"),
		Again: s.servicesAgain(w, r, rq, id, func(p *servicesPage) { p.Money, p.AmountIn = in, amount }),
	})
}

// fundMonth is one month of a team's emergency fund payments.
type fundMonth struct {
	Month string // YYYY-MM
	Cents int64
	Count int
	Items []service.Disbursement
}

type teamFundPage struct {
	Page
	Team     *org.Team
	Teams    []org.Team // the agency's teams, for a manager to choose from
	Months   []fundMonth
	Codes    map[string]string
	Currency string
}

// getTeamFund shows the supervisor the emergency fund payments of the
// team's cases, month by month, with totals (the last twelve months).
func (s *Server) getTeamFund(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := hasTeamView(rq); err != nil {
		return err
	}
	ctx := r.Context()
	p := &teamFundPage{Page: s.page(rq, "fund.title", "team"), Currency: s.prof.EmergencyFund.Currency}
	from := rq.Now.In(s.prof.Location()).AddDate(-1, 0, 0).Format("2006-01") + "-01"
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		t, teams, err := teamOf(ctx, tx, r, rq)
		if err != nil {
			return err
		}
		p.Team, p.Teams = t, teams
		ds, codes, err := tx.TeamDisbursements(ctx, t.ID, from)
		if err != nil {
			return err
		}
		p.Codes = codes
		byMonth := map[string]*fundMonth{}
		for _, d := range ds {
			m := d.PaidOn[:7]
			fm, ok := byMonth[m]
			if !ok {
				fm = &fundMonth{Month: m}
				byMonth[m] = fm
			}
			fm.Cents += d.AmountCents
			fm.Count++
			fm.Items = append(fm.Items, d)
		}
		for _, fm := range byMonth {
			p.Months = append(p.Months, *fm)
		}
		sort.Slice(p.Months, func(i, j int) bool { return p.Months[i].Month > p.Months[j].Month })
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "team_fund", p)
}

// MonthName prints YYYY-MM as a month and year.
func (p *teamFundPage) MonthName(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("January 2006")
}

// API

type serviceJSON struct {
	ID          string `json:"id"`
	ActionID    string `json:"action_id"`
	ServiceType string `json:"service_type"`
	GivenOn     string `json:"given_on"`
	Description string `json:"description"`
	GivenBy     string `json:"given_by"`
}

type safetyPlanJSON struct {
	ID                string  `json:"id"`
	Number            int     `json:"number"`
	Concern           string  `json:"concern"`
	CurrentStrategies string  `json:"current_strategies"`
	Unsafe            string  `json:"unsafe"`
	Avoidance         string  `json:"avoidance"`
	Emergency         string  `json:"emergency"`
	Resources         string  `json:"resources"`
	ReviewOn          string  `json:"review_on"`
	CreatedBy         string  `json:"created_by"`
	CreatedAt         *string `json:"created_at"`
}

type fundJSON struct {
	ID         string   `json:"id"`
	Amount     float64  `json:"amount"`
	Currency   string   `json:"currency"`
	Purpose    string   `json:"purpose"`
	Criteria   []string `json:"criteria"`
	PaidOn     string   `json:"paid_on"`
	Notes      string   `json:"notes"`
	RecordedBy string   `json:"recorded_by"`
}

func serviceToJSON(g *service.Given) serviceJSON {
	return serviceJSON{ID: g.ID, ActionID: g.ActionID, ServiceType: g.ServiceType, GivenOn: g.GivenOn,
		Description: g.Description, GivenBy: g.GivenBy}
}

func safetyToJSON(sp *service.SafetyPlan) safetyPlanJSON {
	return safetyPlanJSON{ID: sp.ID, Number: sp.Number, Concern: sp.Concern, CurrentStrategies: sp.CurrentStrategies,
		Unsafe: sp.Unsafe, Avoidance: sp.Avoidance, Emergency: sp.Emergency, Resources: sp.Resources, ReviewOn: sp.ReviewOn,
		CreatedBy: sp.CreatedBy, CreatedAt: apiTime(sp.CreatedAt)}
}

func fundToJSON(d *service.Disbursement) fundJSON {
	crit := d.Criteria
	if crit == nil {
		crit = []string{}
	}
	return fundJSON{ID: d.ID, Amount: d.Amount(), Currency: d.Currency, Purpose: d.Purpose, Criteria: crit,
		PaidOn: d.PaidOn, Notes: d.Notes, RecordedBy: d.RecordedBy}
}

func (s *Server) apiServices(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadServices(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Services    []serviceJSON    `json:"services"`
		SafetyPlans []safetyPlanJSON `json:"safety_plans"`
		Fund        []fundJSON       `json:"fund"`
		FundTotal   float64          `json:"fund_total"`
		Currency    string           `json:"currency"`
	}{Services: []serviceJSON{}, SafetyPlans: []safetyPlanJSON{}, Fund: []fundJSON{},
		FundTotal: float64(p.FundSum) / 100, Currency: s.prof.EmergencyFund.Currency}
	for i := range p.Given {
		out.Services = append(out.Services, serviceToJSON(&p.Given[i]))
	}
	for i := range p.Safety {
		out.SafetyPlans = append(out.SafetyPlans, safetyToJSON(&p.Safety[i]))
	}
	for i := range p.Fund {
		out.Fund = append(out.Fund, fundToJSON(&p.Fund[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiGiveService(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in service.ServiceInput
	var g *service.Given
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		g, err = service.Give(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, serviceToJSON(g)) })
}

func (s *Server) apiSafetyPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in service.SafetyInput
	var sp *service.SafetyPlan
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		sp, err = service.SaveSafetyPlan(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, safetyToJSON(sp)) })
}

func (s *Server) apiFund(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in service.FundInput
	var d *service.Disbursement
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		d, err = service.Disburse(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, fundToJSON(d)) })
}
