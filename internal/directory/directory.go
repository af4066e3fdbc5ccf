// Package directory is the service directory: who provides which service,
// where, for whom, how to refer, and how fast (the guidelines' service
// mapping template, Annex 3), with the 2017 workshop's mapping grid of
// organisations by the profiles they serve.
package directory

import (
	"time"
)

// Service is one entry of the directory: one organisation's service in one
// sector. AgencyID is set when the organisation works in this deployment
// (referrals to it then reach its users); otherwise referrals are tracked
// by the sender alone.
type Service struct {
	ID              string
	AgencyID        string
	Organisation    string
	Sector          string // a profile referral service type
	Services        string // what is offered, in words
	Address         string
	Area            string
	OpeningHours    string
	TargetGroup     string
	Eligibility     string
	HowToRefer      string
	FocalPoint      string // the referral focal point, in words (name, phone)
	FocalUserID     string // the focal point's account, when they have one
	AvgDays         int    // average days from referral to service
	ProjectEnd      string // yyyy-mm-dd, or "" when open-ended
	Languages       []string
	Profiles        []string // girls, boys, women, men, lgbti, disabilities, other
	EntryPoint      bool     // a place where survivors first come forward
	FunnellingPoint bool     // a place that channels people to the specialised service
	Quality         []string // safe, child_friendly, gender_sensitive, inclusive, accessible
	QualityNotes    string
	LastVerified    string // yyyy-mm-dd
	Active          bool
	Version         int
	CreatedBy       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Ended reports whether the service's project has ended by day (yyyy-mm-dd).
func (s *Service) Ended(day string) bool { return s.ProjectEnd != "" && s.ProjectEnd < day }

// Stale reports whether s was last verified longer than refresh before now
// (the profile's directory_refresh): its details need checking with the
// provider before anyone relies on them. An entry whose date does not read
// is stale. now should be in the deployment's time zone, so that its date
// is the deployment's today.
func Stale(s *Service, now time.Time, refresh time.Duration) bool {
	lv, err := time.Parse(time.DateOnly, s.LastVerified)
	if err != nil {
		return true
	}
	today, _ := time.Parse(time.DateOnly, now.Format(time.DateOnly))
	return lv.Add(refresh).Before(today)
}

// The profiles of the mapping grid: who a service is for.
const (
	Girls        = "girls"
	Boys         = "boys"
	Women        = "women"
	Men          = "men"
	LGBTI        = "lgbti"
	Disabilities = "disabilities" // persons with disabilities
	OtherProfile = "other"
)

// Profiles lists the profiles, in the grid's column order.
var Profiles = []string{Girls, Boys, Women, Men, LGBTI, Disabilities, OtherProfile}

// QualityFlags lists what the mapping notes about the quality of a service.
var QualityFlags = []string{"safe", "child_friendly", "gender_sensitive", "inclusive", "accessible"}

// MaxAvgDays is the longest average wait the directory records.
const MaxAvgDays = 365
