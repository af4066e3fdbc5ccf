package gen

import (
	"context"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// demoService is one demo directory entry: agency and focal user name the
// demo's agency code and username ("" for an organisation outside the
// deployment); verified and ends are days before now (ends 0: open-ended,
// negative: in the future).
type demoService struct {
	agency, focalUser string
	in                directory.Input
	verified, ends    int
}

// demoServices is the demo's service directory: the referral pathway of a
// fictional camp and town, in the spirit of the guidelines' service
// mapping. One entry was last verified long ago (it needs verifying) and
// one project has ended.
var demoServices = []demoService{
	{agency: "CCN", focalUser: "peter", verified: 12, in: directory.Input{
		Organisation: "Community Care Network", Sector: "health_nutrition",
		Services: "Clinical management of rape (within 72 hours: post-exposure prophylaxis, emergency contraception), treatment of injuries, STI care, medical certificate on request",
		Address:  "Town Health Clinic, Clinic Road, next to the market", Area: "Town centre and Camp A", OpeningHours: "24 hours; a female doctor Mon-Fri 8:00-17:00",
		TargetGroup: "Survivors of sexual violence of any age", Eligibility: "None: no police report or ID needed",
		HowToRefer: "Walk in with the survivor, or call the focal point first for an escort. Use the inter-agency referral form.",
		FocalPoint: "Peter Mensah, +000 700 100 200", AvgDays: 0, Languages: []string{"English", "Arabic", "Swahili"},
		Profiles: []string{"girls", "boys", "women", "men", "lgbti", "disabilities"}, EntryPoint: true,
		Quality:      []string{"safe", "child_friendly", "gender_sensitive", "accessible"},
		QualityNotes: "Private examination room; ramp at the side entrance."}},
	{agency: "SHW", focalUser: "leila", verified: 30, in: directory.Input{
		Organisation: "Safe Haven Women's Centre", Sector: "gbv",
		Services: "Confidential emergency shelter for women and their children (up to 30 nights), meals, a safety plan on arrival",
		Area:     "Undisclosed location (Town)", OpeningHours: "Admissions 24 hours through the focal point",
		TargetGroup: "Women and girls at imminent risk, with their younger children", Eligibility: "Imminent risk of violence; boys over 12 are placed with a relative or a foster family",
		HowToRefer: "Phone the focal point only; never give the address to the survivor's family or community.",
		FocalPoint: "Leila Karimi, +000 700 300 400", AvgDays: 0, Languages: []string{"English", "Arabic", "French"},
		Profiles: []string{"girls", "women", "lgbti"}, Quality: []string{"safe", "gender_sensitive", "inclusive"}}},
	{agency: "SHW", verified: 45, in: directory.Input{
		Organisation: "Safe Haven Women's Centre", Sector: "gbv_case_management",
		Services: "GBV case management, psychosocial support, accompaniment to health and legal services",
		Address:  "Women and Girls Safe Space, Block 4", Area: "Camp A and Camp B", OpeningHours: "Mon-Sat 8:00-16:00",
		TargetGroup: "Women and adolescent girls; LGBTI survivors", HowToRefer: "Walk in to the safe space, or send the referral form through SafeCase.",
		FocalPoint: "Case management desk, +000 700 300 401", AvgDays: 2, Languages: []string{"English", "Arabic"},
		Profiles: []string{"girls", "women", "lgbti"}, EntryPoint: true, FunnellingPoint: true,
		Quality: []string{"safe", "gender_sensitive", "inclusive"}}},
	{verified: 200, in: directory.Input{
		Organisation: "Justice Now Legal Aid", Sector: "legal",
		Services: "Legal counselling, accompaniment to the police and court, help with civil documentation",
		Address:  "Court Street 12", Area: "Town and both camps (mobile clinic on Thursdays)", OpeningHours: "Mon-Fri 9:00-16:00",
		TargetGroup: "Survivors and children in contact with the law", Eligibility: "Informed consent to legal action",
		HowToRefer: "Referral form by e-mail to the focal point; urgent cases by phone.", FocalPoint: "Ms. Achieng, +000 700 500 600",
		AvgDays: 7, Languages: []string{"English", "French"}, Profiles: []string{"girls", "boys", "women", "men"},
		Quality: []string{"safe"}, QualityNotes: "No interpreter for Arabic at the moment."}},
	{verified: 20, in: directory.Input{
		Organisation: "Bright Minds MHPSS Centre", Sector: "mhpss",
		Services: "Individual counselling, group sessions for adolescents, psychiatric consultation on referral",
		Area:     "Camp B", OpeningHours: "Mon-Thu 9:00-15:00", TargetGroup: "Children, adolescents and caregivers",
		HowToRefer: "Referral form through the caseworker; self-referral on Mondays.", FocalPoint: "Dr. Haddad, +000 700 700 800",
		AvgDays: 5, Languages: []string{"English", "Arabic"}, Profiles: []string{"girls", "boys", "lgbti", "disabilities"},
		Quality: []string{"safe", "child_friendly", "inclusive"}}},
	{verified: 60, in: directory.Input{
		Organisation: "Learning Together Centre", Sector: "education",
		Services: "Accelerated learning, catch-up classes, school enrolment support, uniforms and materials",
		Area:     "Camp A", OpeningHours: "Mon-Fri 7:30-13:00", TargetGroup: "Out-of-school children aged 8 to 17",
		HowToRefer: "Bring the child with a caregiver on enrolment days (first Monday of the month), or call the focal point.",
		FocalPoint: "Mr. Juma, +000 700 900 100", AvgDays: 14, Languages: []string{"English", "Swahili"},
		Profiles: []string{"girls", "boys", "disabilities"}, Quality: []string{"child_friendly", "accessible"}}},
	{verified: 50, ends: 40, in: directory.Input{
		Organisation: "Cash for Protection Consortium", Sector: "cash",
		Services: "One-off and monthly multi-purpose cash for households at protection risk",
		Area:     "Town and Camp A", TargetGroup: "Households with a child or survivor in case management",
		Eligibility: "Referral by a case management agency with a completed vulnerability form",
		HowToRefer:  "Vulnerability form to the focal point by e-mail.", FocalPoint: "Consortium desk, +000 700 200 300",
		AvgDays: 10, Languages: []string{"English"}, Profiles: []string{"women", "men", "other"}, Quality: []string{"safe"}}},
	{verified: 15, in: directory.Input{
		Organisation: "Red Crescent Family Tracing Desk", Sector: "family_tracing",
		Services: "Family tracing, messages between separated family members, reunification with the case agency",
		Address:  "Registration centre, Gate 2", Area: "All camps and across the border", OpeningHours: "Mon-Sat 8:00-17:00",
		TargetGroup: "Unaccompanied and separated children; adults looking for relatives",
		HowToRefer:  "Tracing request form, with consent for tracing; the caseworker accompanies the child.",
		FocalPoint:  "Tracing officer, +000 700 400 500", AvgDays: 30, Languages: []string{"English", "Arabic", "French", "Swahili"},
		Profiles: []string{"girls", "boys", "other"}, FunnellingPoint: true, Quality: []string{"child_friendly"}}},
}

// DemoDirectory fills an empty service directory with the demo's entries,
// added by the demo's system administrator through directory.Create (so
// they are checked and audited). Entries of the demo's agencies are tied
// to them and to their focal users when those exist. A directory that
// already holds entries is left as it is.
func DemoDirectory(ctx context.Context, db *store.DB, p *profile.Profile, now time.Time) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		existing, err := tx.DirectoryServices(ctx)
		if err != nil || len(existing) > 0 {
			return err
		}
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		byCode := map[string]string{}
		for _, a := range agencies {
			byCode[a.Code] = a.ID
		}
		root, err := tx.UserByName(ctx, "root")
		if err != nil {
			return fmt.Errorf("directory: the demo's system administrator: %w", err)
		}
		a := access.Actor{UserID: root.ID, AgencyID: root.AgencyID, Role: root.Role}
		ctx := audit.WithMeta(ctx, audit.Meta{ActorID: root.ID, ActorRole: string(root.Role), AgencyID: root.AgencyID})
		for _, ds := range demoServices {
			in := ds.in
			in.AgencyID = byCode[ds.agency]
			if ds.focalUser != "" {
				if u, err := tx.UserByName(ctx, ds.focalUser); err == nil && u.AgencyID == in.AgencyID {
					in.FocalUserID = u.ID
				}
			}
			in.LastVerified = p.Today(now.AddDate(0, 0, -ds.verified))
			if ds.ends != 0 {
				in.ProjectEnd = p.Today(now.AddDate(0, 0, -ds.ends))
			}
			if _, err := directory.Create(ctx, tx, p, a, in, now); err != nil {
				return fmt.Errorf("directory entry %q: %w", in.Organisation, err)
			}
		}
		return nil
	})
}
