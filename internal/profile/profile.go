// Package profile holds the context profile: every rule the guidelines leave
// to the local standard operating procedures (timelines by risk level, consent
// age bands, eligibility criteria, taxonomies, thresholds). A default profile
// is embedded; a deployment overrides it with its own YAML file, and a bad
// file stops start-up with an error naming the file, the line and the key.
package profile

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/org"
)

//go:embed default.yaml
var defaultYAML []byte

// Risk levels, in order of severity.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
	NoRisk = "no_risk"
)

// Case types.
const (
	CP  = "cp"
	GBV = "gbv"
)

// Screening outcomes.
const (
	OutcomeFull        = "full_case_management"
	OutcomeReferral    = "standalone_referral"
	OutcomeNotEligible = "not_eligible"
)

// Profile is a loaded, validated context profile.
type Profile struct {
	Name                  string                 `yaml:"name"`
	AdultAge              int                    `yaml:"adult_age"`
	Timelines             Timelines              `yaml:"timelines"`
	UrgentResponse        Duration               `yaml:"urgent_response"`
	UrgentResponseMax     Duration               `yaml:"urgent_response_max"`
	SexualViolenceWindow  Duration               `yaml:"sexual_violence_medical_window"`
	Consent               Consent                `yaml:"consent"`
	Eligibility           map[string][]Criterion `yaml:"eligibility"`
	RiskLevels            []Option               `yaml:"risk_levels"`
	IdentificationSources []Option               `yaml:"identification_sources"`
	ProtectionConcerns    []Option               `yaml:"protection_concerns"`
	CareStatuses          []Option               `yaml:"care_statuses"`
	CareArrangements      []Option               `yaml:"care_arrangements"`
	Relationships         []Option               `yaml:"relationships"`
	IncidentTypes         map[string][]Option    `yaml:"incident_types"`
	ClosureReasons        []Option               `yaml:"closure_reasons"`
	TransferReasons       []Option               `yaml:"transfer_reasons"`
	ReferralServiceTypes  []Option               `yaml:"referral_service_types"`
	Caseload              Caseload               `yaml:"caseload"`
	SupervisionInterval   Duration               `yaml:"supervision_interval"`
	ReviewInterval        Duration               `yaml:"review_interval"`
	RegistrationNumber    bool                   `yaml:"registration_number"`
	Languages             []string               `yaml:"languages"`
	Timezone              string                 `yaml:"timezone"`
	PlanApprovalLevels    []string               `yaml:"plan_approval_risk_levels"`
	ApprovalWithin        Duration               `yaml:"approval_within"`
	NeedDomains           []Option               `yaml:"need_domains"`
	PerpetratorRelations  []Option               `yaml:"perpetrator_relationships"`
	SexualIncidentTypes   []string               `yaml:"sexual_incident_types"`
	DirectServiceTypes    []Option               `yaml:"direct_service_types"`
	EmergencyFund         Fund                   `yaml:"emergency_fund"`
	PostClosureFollowUp   Duration               `yaml:"post_closure_follow_up"`
	AgeOutAlert           Duration               `yaml:"age_out_alert"`
	TaskHorizon           Duration               `yaml:"task_horizon"`
	NoContactClosure      Duration               `yaml:"no_contact_closure"`
	FeedbackQuestions     []Option               `yaml:"feedback_questions"`
	DirectoryRefresh      Duration               `yaml:"directory_refresh"`
	BreakGlassFor         Duration               `yaml:"break_glass_for"`
	MandatoryReporting    []string               `yaml:"mandatory_reporting_incident_types"`
	LinkRelations         []Option               `yaml:"case_link_relations"`
	SecondFactorRoles     []org.Role             `yaml:"second_factor_roles"`
	RoleApprovalBy        string                 `yaml:"role_approval_by"`
	APITokenMax           Duration               `yaml:"api_token_max"`
	Lists                 Lists                  `yaml:"lists"`

	// Source names where the profile came from, for messages.
	Source string `yaml:"-"`

	loc *time.Location
}

// Location returns the deployment's time zone, in which dates are read.
func (p *Profile) Location() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}

// DayStart returns the moment a calendar date (YYYY-MM-DD) stands for: now
// when it is today in the deployment's time zone, otherwise the start of that
// day. Records entered from paper after the fact run their deadlines from the
// day they happened.
func (p *Profile) DayStart(date string, now time.Time) time.Time {
	loc := p.Location()
	if now.In(loc).Format(time.DateOnly) == date {
		return now
	}
	t, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return now
	}
	return t
}

// Today returns today's date in the deployment's time zone.
func (p *Profile) Today(now time.Time) string { return now.In(p.Location()).Format(time.DateOnly) }

// Timelines are the step deadlines by risk level.
type Timelines struct {
	Registration ByRisk `yaml:"registration"`
	Assessment   ByRisk `yaml:"assessment"`
	CasePlan     ByRisk `yaml:"case_plan"`
	FirstAction  ByRisk `yaml:"first_action"`
	FollowUp     ByRisk `yaml:"follow_up"`
	Review       ByRisk `yaml:"review"`
}

// ByRisk gives one duration per risk level; a nil level has no deadline.
type ByRisk struct {
	High   *Duration `yaml:"high"`
	Medium *Duration `yaml:"medium"`
	Low    *Duration `yaml:"low"`
	NoRisk *Duration `yaml:"no_risk"`
}

// For returns the duration for risk level, and false when the level has none.
func (b ByRisk) For(level string) (time.Duration, bool) {
	var d *Duration
	switch level {
	case High:
		d = b.High
	case Medium:
		d = b.Medium
	case Low:
		d = b.Low
	case NoRisk:
		d = b.NoRisk
	}
	if d == nil {
		return 0, false
	}
	return time.Duration(*d), true
}

// Consent holds the consent scopes and the age bands that decide who gives what.
type Consent struct {
	Scopes   []Scope   `yaml:"scopes"`
	AgeBands []AgeBand `yaml:"age_bands"`
}

// Scope is one purpose consent is asked for.
type Scope struct {
	Key      string            `yaml:"key"`
	Label    string            `yaml:"label"`
	Labels   map[string]string `yaml:"labels"`
	Required bool              `yaml:"required"`
	Gate     bool              `yaml:"gate"`
}

// What the child gives in an age band.
const (
	ChildNone            = "none"
	ChildMaturity        = "maturity"
	ChildAssent          = "assent"
	ChildConsent         = "consent"
	ChildAssentOrConsent = "assent_or_consent"
)

// AgeBand says, for ages Min..Max inclusive, what the child and the caregiver give.
type AgeBand struct {
	Min       int    `yaml:"min"`
	Max       int    `yaml:"max"`
	Child     string `yaml:"child"`
	Caregiver string `yaml:"caregiver"`
}

// Criterion is one eligibility question.
type Criterion struct {
	Key      string            `yaml:"key"`
	Question string            `yaml:"question"`
	Labels   map[string]string `yaml:"labels"`
	Auto     string            `yaml:"auto"`
	IfNot    string            `yaml:"if_not"`
}

// AutoUnderAdultAge answers a criterion from the person's age.
const AutoUnderAdultAge = "under_adult_age"

// Option is one value of a taxonomy.
type Option struct {
	Key       string            `yaml:"key"`
	Label     string            `yaml:"label"`
	Labels    map[string]string `yaml:"labels"`
	CaseTypes []string          `yaml:"case_types"`
}

// Text returns the option's label in lang, falling back to the default label.
func (o Option) Text(lang string) string {
	if s, ok := o.Labels[lang]; ok && s != "" {
		return s
	}
	return o.Label
}

// Fund is the emergency case management fund's rules.
type Fund struct {
	Currency  string   `yaml:"currency"`
	MaxAmount float64  `yaml:"max_amount"` // per disbursement; 0 means no cap
	Purposes  []Option `yaml:"purposes"`
	Criteria  []Option `yaml:"criteria"`
}

// NeedsPlanApproval reports whether a case at risk level needs its plan approved.
func (p *Profile) NeedsPlanApproval(level string) bool {
	for _, l := range p.PlanApprovalLevels {
		if l == level {
			return true
		}
	}
	return false
}

// IsSexualIncident reports whether incident type key is sexual violence.
func (p *Profile) IsSexualIncident(key string) bool {
	for _, k := range p.SexualIncidentTypes {
		if k == key {
			return true
		}
	}
	return false
}

// Caseload holds the caseload thresholds per caseworker and supervisor.
type Caseload struct {
	Target                   int `yaml:"target"`
	Max                      int `yaml:"max"`
	MaxHighRisk              int `yaml:"max_high_risk"`
	CaseworkersPerSupervisor int `yaml:"caseworkers_per_supervisor"`
}

// Duration is a time.Duration written as 24h, 3d or 2w.
type Duration time.Duration

// ParseDuration reads 24h, 3d, 2w or 0.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a duration: write a number and h, d or w, like 24h, 3d or 2w", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 || n > 10000 {
		return 0, fmt.Errorf("%q is not a duration: write a number and h, d or w, like 24h, 3d or 2w", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("%q is not a duration: write a number and h, d or w, like 24h, 3d or 2w", s)
	}
	return Duration(time.Duration(n) * unit), nil
}

// String writes d in the largest whole unit.
func (d Duration) String() string {
	t := time.Duration(d)
	switch {
	case t == 0:
		return "0"
	case t%(7*24*time.Hour) == 0:
		return fmt.Sprintf("%dw", t/(7*24*time.Hour))
	case t%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", t/(24*time.Hour))
	}
	return fmt.Sprintf("%dh", t/time.Hour)
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Band returns the consent age band for age, and false when none covers it.
func (p *Profile) Band(age int) (AgeBand, bool) {
	for _, b := range p.Consent.AgeBands {
		if age >= b.Min && age <= b.Max {
			return b, true
		}
	}
	return AgeBand{}, false
}

// GateScope returns the key of the consent scope without which nothing beyond
// registration may be recorded.
func (p *Profile) GateScope() string {
	for _, s := range p.Consent.Scopes {
		if s.Gate {
			return s.Key
		}
	}
	return ""
}

// ScopeByKey returns the consent scope with key k.
func (p *Profile) ScopeByKey(k string) (Scope, bool) {
	for _, s := range p.Consent.Scopes {
		if s.Key == k {
			return s, true
		}
	}
	return Scope{}, false
}

// Has reports whether key is one of opts.
func Has(opts []Option, key string) bool {
	for _, o := range opts {
		if o.Key == key {
			return true
		}
	}
	return false
}

// Label returns the label of key in opts for lang, or key itself when absent.
func Label(opts []Option, key, lang string) string {
	for _, o := range opts {
		if o.Key == key {
			return o.Text(lang)
		}
	}
	return key
}

// CaseTypes are the case types a profile knows.
var CaseTypes = []string{CP, GBV}
