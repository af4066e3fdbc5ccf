package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// defaultName names the embedded profile in messages.
const defaultName = "default profile (embedded)"

var (
	defaultOnce sync.Once
	defaultProf *Profile
	defaultErr  error
)

// Default returns the embedded default profile. It panics if the embedded
// file is invalid, which a test rules out.
func Default() *Profile {
	defaultOnce.Do(func() {
		defaultProf, defaultErr = Parse("", nil)
	})
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultProf
}

// Load returns the default profile overridden by the YAML file at path. An
// empty path gives the default profile.
func Load(path string) (*Profile, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	return Parse(path, data)
}

// Error lists the problems found in a profile, each with file, line and key.
type Error struct {
	File     string
	Problems []Problem
}

// Problem is one thing wrong with a profile.
type Problem struct {
	Line int    // 0 when no line applies
	Key  string // dotted path, e.g. timelines.assessment.high
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("profile ")
		b.WriteString(e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		if p.Key != "" {
			b.WriteString(": ")
			b.WriteString(p.Key)
		}
		b.WriteString(": ")
		b.WriteString(p.Msg)
	}
	return b.String()
}

// Parse returns the default profile overridden by data, read from a file
// called name. With empty data it returns the default profile itself.
func Parse(name string, data []byte) (*Profile, error) {
	p := new(Profile)
	if _, err := decodeInto(defaultName, defaultYAML, p); err != nil {
		return nil, err
	}
	p.Source = defaultName
	lines := map[string]int{}
	file := defaultName
	if len(bytes.TrimSpace(data)) > 0 {
		file = name
		var err error
		if lines, err = decodeInto(name, data, p); err != nil {
			return nil, err
		}
		p.Source = name
	}
	if probs := p.validate(); len(probs) > 0 {
		for i := range probs {
			probs[i].Line = lineOf(lines, probs[i].Key)
		}
		return nil, &Error{File: file, Problems: probs}
	}
	return p, nil
}

// decodeInto decodes data over p, first checking that every key is known.
// It returns the line of every key path in data.
func decodeInto(name string, data []byte, p *Profile) (map[string]int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Problems: []Problem{syntaxProblem(err)}}
	}
	if len(doc.Content) == 0 {
		return map[string]int{}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Problems: []Problem{{Line: root.Line, Msg: "the profile must be a mapping of keys to values"}}}
	}
	lines := map[string]int{}
	scalars := map[string]string{}
	var probs []Problem
	checkKeys(root, reflect.TypeOf(Profile{}), "", lines, scalars, &probs)
	if len(probs) > 0 {
		return nil, &Error{File: name, Problems: probs}
	}
	if err := root.Decode(p); err != nil {
		return nil, &Error{File: name, Problems: typeProblems(err, lines, scalars)}
	}
	return lines, nil
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

func syntaxProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Line: n, Msg: "not valid YAML: " + m[2]}
	}
	return Problem{Msg: "not valid YAML: " + msg}
}

// typeProblems turns yaml's "line N: cannot unmarshal" errors into problems
// that name the key found at that line. When several keys share the line (a
// flow mapping such as {high: 24h, medium: 1w}), the key whose value the
// message quotes is the one at fault.
func typeProblems(err error, lines map[string]int, scalars map[string]string) []Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Problem{syntaxProblem(err)}
	}
	byLine := map[int][]string{}
	for k, l := range lines {
		byLine[l] = append(byLine[l], k)
	}
	var probs []Problem
	for _, e := range te.Errors {
		m := lineRE.FindStringSubmatch(e)
		if m == nil {
			probs = append(probs, Problem{Msg: e})
			continue
		}
		n, _ := strconv.Atoi(m[1])
		probs = append(probs, Problem{Line: n, Key: keyAt(byLine[n], scalars, m[2]), Msg: plainTypeError(m[2])})
	}
	return probs
}

// keyAt picks, among the keys on one line, the one an error message is
// about: the key whose scalar value the message quotes, else the deepest.
func keyAt(keys []string, scalars map[string]string, msg string) string {
	sort.Strings(keys)
	best, quoted := "", false
	for _, k := range keys {
		v, ok := scalars[k]
		q := ok && quotes(msg, v)
		if (q && !quoted) || (q == quoted && len(k) > len(best)) {
			best, quoted = k, q
		}
	}
	return best
}

// quotes reports whether msg quotes value v the way yaml's type errors
// (`v`, or `first 7...` when long) or a Duration's error ("v") do.
func quotes(msg, v string) bool {
	if v == "" {
		return false
	}
	if strings.Contains(msg, "`"+v+"`") || strings.Contains(msg, strconv.Quote(strings.TrimSpace(v))) {
		return true
	}
	return len(v) > 10 && strings.Contains(msg, "`"+v[:7]+"...`")
}

var unmarshalRE = regexp.MustCompile("cannot unmarshal !!(\\w+) `?([^`]*)`? into (.*)")

func plainTypeError(msg string) string {
	m := unmarshalRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := m[3]
	switch {
	case strings.HasPrefix(want, "[]"):
		want = "a list"
	case strings.HasPrefix(want, "map"), strings.HasPrefix(want, "profile."):
		want = "a mapping of keys to values"
	case want == "int":
		want = "a whole number"
	case want == "bool":
		want = "true or false"
	case want == "string":
		want = "text"
	}
	got := m[2]
	if m[1] == "map" || m[1] == "seq" {
		got = map[string]string{"map": "a mapping", "seq": "a list"}[m[1]]
	} else {
		got = strconv.Quote(got)
	}
	return fmt.Sprintf("%s is not %s", got, want)
}

// checkKeys walks n against type t, recording the line of every key path and
// a problem for every key t does not have.
// The scalar value of every key path goes into scalars.
func checkKeys(n *yaml.Node, t reflect.Type, path string, lines map[string]int, scalars map[string]string, probs *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if path != "" {
		if _, ok := lines[path]; !ok {
			lines[path] = n.Line
		}
		if n.Kind == yaml.ScalarNode {
			scalars[path] = n.Value
		}
	}
	switch {
	case t == reflect.TypeOf(Duration(0)):
		return
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			lines[kp] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				sort.Strings(names)
				*probs = append(*probs, Problem{Line: k.Line, Key: kp,
					Msg: "unknown key; the keys here are " + strings.Join(names, ", ")})
				continue
			}
			checkKeys(v, ft, kp, lines, scalars, probs)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			lines[kp] = k.Line
			checkKeys(v, t.Elem(), kp, lines, scalars, probs)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, v := range n.Content {
			checkKeys(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lines, scalars, probs)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// lineOf returns the line of key, or of its nearest ancestor found in lines.
func lineOf(lines map[string]int, key string) int {
	for key != "" {
		if l, ok := lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

// UnmarshalYAML reads a Duration from 24h, 3d or 2w.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a duration must be written like 24h, 3d or 2w", n.Line)}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML writes d as 24h, 3d or 2w.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// validate checks the merged profile and returns its problems.
func (p *Profile) validate() []Problem {
	var probs []Problem
	bad := func(key, format string, args ...any) {
		probs = append(probs, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if p.AdultAge < 14 || p.AdultAge > 21 {
		bad("adult_age", "must be between 14 and 21, not %d", p.AdultAge)
	}
	steps := []struct {
		key string
		b   ByRisk
	}{
		{"registration", p.Timelines.Registration},
		{"assessment", p.Timelines.Assessment},
		{"case_plan", p.Timelines.CasePlan},
		{"first_action", p.Timelines.FirstAction},
		{"follow_up", p.Timelines.FollowUp},
		{"review", p.Timelines.Review},
	}
	for _, s := range steps {
		key := "timelines." + s.key
		var prev time.Duration
		prevName := ""
		for _, lv := range []string{High, Medium, Low} {
			d, ok := s.b.For(lv)
			if !ok {
				bad(key+"."+lv, "is missing: every step needs a deadline for high, medium and low risk")
				continue
			}
			if d > 365*24*time.Hour {
				bad(key+"."+lv, "%s is more than a year", Duration(d))
			}
			if prevName != "" && d < prev {
				bad(key+"."+lv, "%s is shorter than the %s-risk deadline %s; higher risk must never wait longer", Duration(d), prevName, Duration(prev))
			}
			prev, prevName = d, lv
		}
	}
	if p.UrgentResponse <= 0 {
		bad("urgent_response", "must be more than 0")
	}
	if p.UrgentResponseMax < p.UrgentResponse {
		bad("urgent_response_max", "%s is shorter than urgent_response %s", p.UrgentResponseMax, p.UrgentResponse)
	}
	if p.UrgentResponseMax.D() > 7*24*time.Hour {
		bad("urgent_response_max", "%s is more than a week; urgent needs are answered within 24-48 hours", p.UrgentResponseMax)
	}
	if p.SexualViolenceWindow <= 0 {
		bad("sexual_violence_medical_window", "must be more than 0")
	}
	p.validateConsent(bad)
	p.validateAccounts(bad)
	for _, ct := range CaseTypes {
		key := "eligibility." + ct
		crit := p.Eligibility[ct]
		if len(crit) == 0 {
			bad(key, "needs at least one criterion")
		}
		seen := map[string]bool{}
		for i, c := range crit {
			ck := fmt.Sprintf("%s[%d]", key, i)
			if !keyRE.MatchString(c.Key) {
				bad(ck+".key", "%q is not a key: use lower-case letters, digits and _", c.Key)
			} else if seen[c.Key] {
				bad(ck+".key", "%q appears twice", c.Key)
			}
			seen[c.Key] = true
			if strings.TrimSpace(c.Question) == "" {
				bad(ck+".question", "is missing")
			}
			if c.IfNot != OutcomeReferral && c.IfNot != OutcomeNotEligible {
				bad(ck+".if_not", "%q must be %s or %s", c.IfNot, OutcomeReferral, OutcomeNotEligible)
			}
			if c.Auto != "" && c.Auto != AutoUnderAdultAge {
				bad(ck+".auto", "%q must be %s or left out", c.Auto, AutoUnderAdultAge)
			}
		}
	}
	for k := range p.Eligibility {
		if k != CP && k != GBV {
			bad("eligibility."+k, "unknown case type; the case types are cp and gbv")
		}
	}
	lists := []struct {
		key  string
		opts []Option
	}{
		{"risk_levels", p.RiskLevels},
		{"identification_sources", p.IdentificationSources},
		{"protection_concerns", p.ProtectionConcerns},
		{"care_statuses", p.CareStatuses},
		{"care_arrangements", p.CareArrangements},
		{"relationships", p.Relationships},
		{"incident_types.cp", p.IncidentTypes[CP]},
		{"incident_types.gbv", p.IncidentTypes[GBV]},
		{"closure_reasons", p.ClosureReasons},
		{"transfer_reasons", p.TransferReasons},
		{"referral_service_types", p.ReferralServiceTypes},
		{"need_domains", p.NeedDomains},
		{"perpetrator_relationships", p.PerpetratorRelations},
		{"direct_service_types", p.DirectServiceTypes},
		{"emergency_fund.purposes", p.EmergencyFund.Purposes},
		{"emergency_fund.criteria", p.EmergencyFund.Criteria},
		{"feedback_questions", p.FeedbackQuestions},
		{"case_link_relations", p.LinkRelations},
	}
	for _, l := range lists {
		validateOptions(l.key, l.opts, bad)
	}
	fixed := map[string][]string{
		"risk_levels":   {High, Medium, Low, NoRisk},
		"care_statuses": {"accompanied", "separated", "unaccompanied"},
	}
	for key, want := range fixed {
		opts := p.RiskLevels
		if key == "care_statuses" {
			opts = p.CareStatuses
		}
		var got []string
		for _, o := range opts {
			got = append(got, o.Key)
		}
		sort.Strings(got)
		w := append([]string(nil), want...)
		sort.Strings(w)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			bad(key, "the keys must be exactly %s (labels may change)", strings.Join(want, ", "))
		}
	}
	c := p.Caseload
	if c.Target < 1 {
		bad("caseload.target", "must be at least 1")
	}
	if c.Max < c.Target {
		bad("caseload.max", "%d is below the target %d", c.Max, c.Target)
	}
	if c.MaxHighRisk < 1 || c.MaxHighRisk > c.Max {
		bad("caseload.max_high_risk", "must be between 1 and caseload.max (%d)", c.Max)
	}
	if c.CaseworkersPerSupervisor < 1 {
		bad("caseload.caseworkers_per_supervisor", "must be at least 1")
	}
	if p.SupervisionInterval <= 0 {
		bad("supervision_interval", "must be more than 0")
	}
	if p.ReviewInterval <= 0 {
		bad("review_interval", "must be more than 0")
	}
	for i, l := range p.PlanApprovalLevels {
		if l != High && l != Medium && l != Low {
			bad(fmt.Sprintf("plan_approval_risk_levels[%d]", i), "%q must be high, medium or low", l)
		}
	}
	if p.ApprovalWithin <= 0 {
		bad("approval_within", "must be more than 0")
	}
	for i, k := range p.SexualIncidentTypes {
		if !Has(p.IncidentTypes[CP], k) && !Has(p.IncidentTypes[GBV], k) {
			bad(fmt.Sprintf("sexual_incident_types[%d]", i), "%q is not one of the incident_types", k)
		}
	}
	for i, k := range p.MandatoryReporting {
		if !Has(p.IncidentTypes[CP], k) && !Has(p.IncidentTypes[GBV], k) {
			bad(fmt.Sprintf("mandatory_reporting_incident_types[%d]", i), "%q is not one of the incident_types", k)
		}
	}
	if !regexp.MustCompile(`^[A-Z]{3}$`).MatchString(p.EmergencyFund.Currency) {
		bad("emergency_fund.currency", "%q is not a currency code like USD, EUR or KES", p.EmergencyFund.Currency)
	}
	if p.EmergencyFund.MaxAmount < 0 {
		bad("emergency_fund.max_amount", "must be 0 (no cap) or more")
	}
	for key, d := range map[string]Duration{"post_closure_follow_up": p.PostClosureFollowUp, "age_out_alert": p.AgeOutAlert,
		"no_contact_closure": p.NoContactClosure, "task_horizon": p.TaskHorizon, "directory_refresh": p.DirectoryRefresh,
		"break_glass_for": p.BreakGlassFor} {
		if d <= 0 {
			bad(key, "must be more than 0")
		}
	}
	// Every task must show in "my tasks" from the day it opens.
	longest, what := time.Duration(0), ""
	for name, b := range map[string]ByRisk{"registration": p.Timelines.Registration, "assessment": p.Timelines.Assessment,
		"case_plan": p.Timelines.CasePlan, "first_action": p.Timelines.FirstAction, "follow_up": p.Timelines.FollowUp,
		"review": p.Timelines.Review} {
		for _, d := range []*Duration{b.High, b.Medium, b.Low, b.NoRisk} {
			if d != nil && (d.D() > longest || d.D() == longest && "timelines."+name < what) {
				longest, what = d.D(), "timelines."+name
			}
		}
	}
	for name, d := range map[string]Duration{"post_closure_follow_up": p.PostClosureFollowUp, "review_interval": p.ReviewInterval,
		"approval_within": p.ApprovalWithin, "urgent_response": p.UrgentResponse} {
		if d.D() > longest || d.D() == longest && name < what {
			longest, what = d.D(), name
		}
	}
	if p.TaskHorizon > 0 && p.TaskHorizon.D() <= longest {
		bad("task_horizon", "%s is not longer than %s (%s): a task would be hidden when it opens", p.TaskHorizon,
			what, Duration(longest))
	}
	if p.Timezone == "" {
		p.Timezone = "UTC"
	}
	if loc, err := time.LoadLocation(p.Timezone); err != nil {
		bad("timezone", "%q is not a time zone; use a name like UTC, Africa/Nairobi or Asia/Beirut", p.Timezone)
	} else {
		p.loc = loc
	}
	p.validateSecondFactor(bad)
	if len(p.Languages) == 0 {
		bad("languages", "needs at least one language")
	}
	for i, l := range p.Languages {
		if !regexp.MustCompile(`^[a-z]{2,3}$`).MatchString(l) {
			bad(fmt.Sprintf("languages[%d]", i), "%q is not a language code like en, fr or ar", l)
		}
	}
	return probs
}

func (p *Profile) validateConsent(bad func(key, format string, args ...any)) {
	scopes := p.Consent.Scopes
	if len(scopes) == 0 {
		bad("consent.scopes", "needs at least one scope")
	}
	gates := 0
	seen := map[string]bool{}
	for i, s := range scopes {
		k := fmt.Sprintf("consent.scopes[%d]", i)
		if !keyRE.MatchString(s.Key) {
			bad(k+".key", "%q is not a key: use lower-case letters, digits and _", s.Key)
		} else if seen[s.Key] {
			bad(k+".key", "%q appears twice", s.Key)
		}
		seen[s.Key] = true
		if strings.TrimSpace(s.Label) == "" {
			bad(k+".label", "is missing")
		}
		if s.Gate {
			gates++
			if !s.Required {
				bad(k+".required", "the gate scope must be required")
			}
		}
	}
	if len(scopes) > 0 && gates != 1 {
		bad("consent.scopes", "exactly one scope must have gate: true (it has %d)", gates)
	}
	bands := p.Consent.AgeBands
	if len(bands) == 0 {
		bad("consent.age_bands", "needs at least one band")
		return
	}
	next := 0
	for i, b := range bands {
		k := fmt.Sprintf("consent.age_bands[%d]", i)
		if b.Min != next {
			bad(k+".min", "is %d but must be %d: bands start at 0, run in order and leave no gap", b.Min, next)
		}
		if b.Max < b.Min {
			bad(k+".max", "%d is below min %d", b.Max, b.Min)
		}
		next = b.Max + 1
		switch b.Child {
		case ChildNone, ChildMaturity, ChildAssent, ChildConsent, ChildAssentOrConsent:
		default:
			bad(k+".child", "%q must be one of none, maturity, assent, consent, assent_or_consent", b.Child)
		}
		if b.Caregiver != "consent" && b.Caregiver != "none" {
			bad(k+".caregiver", "%q must be consent or none", b.Caregiver)
		}
	}
	if last := bands[len(bands)-1]; last.Max < 100 {
		bad(fmt.Sprintf("consent.age_bands[%d].max", len(bands)-1), "the last band must reach at least 100 so every age is covered")
	}
}

func validateOptions(key string, opts []Option, bad func(key, format string, args ...any)) {
	if len(opts) == 0 {
		bad(key, "needs at least one entry")
	}
	seen := map[string]bool{}
	for i, o := range opts {
		k := fmt.Sprintf("%s[%d]", key, i)
		if !keyRE.MatchString(o.Key) {
			bad(k+".key", "%q is not a key: use lower-case letters, digits and _", o.Key)
		} else if seen[o.Key] {
			bad(k+".key", "%q appears twice", o.Key)
		}
		seen[o.Key] = true
		if strings.TrimSpace(o.Label) == "" {
			bad(k+".label", "is missing")
		}
		for j, ct := range o.CaseTypes {
			if ct != CP && ct != GBV {
				bad(fmt.Sprintf("%s.case_types[%d]", k, j), "%q is not a case type; use cp or gbv", ct)
			}
		}
	}
}
