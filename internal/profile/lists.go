package profile

// Lists holds how the lists (caseload, tasks, team view) show cases.
type Lists struct {
	// Names says, per case type, whether the lists show the child's name
	// beside the case code to whoever may read the case's identity.
	Names ListNames `yaml:"names"`
}

// ListNames says per case type whether lists show names. GBV programmes
// usually keep names off their lists, so the default shows them for child
// protection cases only.
type ListNames struct {
	CP  bool `yaml:"cp"`
	GBV bool `yaml:"gbv"`
}

// NamesInLists reports whether the lists show the names of cases of type
// caseType (never for a type the profile does not know).
func (p *Profile) NamesInLists(caseType string) bool {
	switch caseType {
	case CP:
		return p.Lists.Names.CP
	case GBV:
		return p.Lists.Names.GBV
	}
	return false
}
