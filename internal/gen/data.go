package gen

// Fictional names and places. Names are combined at random, so no generated
// person is anyone real; the lists are short on purpose.

var femaleNames = []string{
	"Amina", "Fatima", "Grace", "Mariam", "Nadia", "Aisha", "Rose", "Esther", "Leila", "Noor",
	"Sara", "Hana", "Joy", "Mercy", "Halima", "Zainab", "Ruth", "Lina", "Maya", "Rania",
	"Achol", "Nyaluak", "Farida", "Samira", "Priya", "Ana", "Lucia", "Ines", "Yasmin", "Khadija",
}

var maleNames = []string{
	"Ali", "Joseph", "Daniel", "Omar", "Kofi", "Samuel", "Hassan", "David", "Yusuf", "Peter",
	"Ahmed", "John", "Ibrahim", "Moses", "Karim", "James", "Musa", "Adam", "Tariq", "Emmanuel",
	"Deng", "Garang", "Bilal", "Ravi", "Mateo", "Carlos", "Idris", "Sami", "Jamal", "Elias",
}

var familyNames = []string{
	"Hassan", "Okello", "Mensah", "Abdi", "Nkosi", "Haddad", "Mohammed", "Juma", "Osei", "Mwangi",
	"Kamara", "Diallo", "Ahmadi", "Barzani", "Odhiambo", "Achieng", "Mbeki", "Tesfaye", "Bekele", "Sesay",
	"Rahman", "Karimi", "Nasser", "Garcia", "Mendoza", "Deng", "Lual", "Mutua", "Banda", "Phiri",
}

var places = []string{
	"Camp A, Block 3", "Camp A, Block 7", "Camp B, Zone 2", "Camp B, Zone 5", "Riverside settlement",
	"Hillside village", "Market quarter", "East district", "West district", "Transit centre",
	"Lakeside village", "Old town", "North ward", "South ward", "Border crossing point",
}

var offices = []string{
	"Main office", "Camp A help desk", "Camp B help desk", "Mobile team", "Women and girls safe space",
	"Child-friendly space", "Health centre", "School outreach",
}

var zones = []string{"North", "South", "East", "West", "Central", "Riverside", "Hillside", "Lakeside", "Camp A", "Camp B"}

// agencyNames are fictional organisations.
var agencyNames = []string{
	"Hope for Children", "Safe Haven Women's Centre", "Community Care Network", "Bright Futures Alliance",
	"Riverside Protection Project", "Open Doors Family Services", "Harbour Youth Trust", "Sunrise Support Initiative",
	"Unity Relief Partners", "Greenfield Child Welfare",
}

var cpNeeds = []string{
	"Safe place to stay", "Family tracing", "Medical care", "Psychosocial support", "Return to school",
	"Birth registration", "Food and basic items", "Parenting support for the caregiver", "Legal assistance",
}

var gbvNeeds = []string{
	"Medical care", "Psychosocial support", "Safe shelter", "Legal assistance", "Cash assistance",
	"Safety planning", "Livelihood support", "Dignity kit",
}

var urgentNeeds = []string{
	"Needs medical care today", "No safe place to sleep tonight", "Threatened by the perpetrator",
	"Injured, needs treatment", "Child alone, no adult care",
}

var riskUp = []string{
	"New threat reported by the child", "Caregiver no longer able to care for the child",
	"Perpetrator returned to the household", "Disclosed further incidents at follow-up",
}

var riskDown = []string{
	"Child placed with safe kinship carer", "Safety plan in place and working",
	"Perpetrator moved away; survivor feels safe", "Services in place; situation stable",
}

var initialRiskReason = map[string][]string{
	"high":   {"Immediate danger of further harm", "Child alone without care", "Serious injury reported", "Ongoing violence at home"},
	"medium": {"Risk of harm if no support is given", "Caregiver struggling to cope", "Repeated incidents reported"},
	"low":    {"Some concerns; family supportive", "Needs services, no immediate danger", "Situation stable with support"},
}

// needItem is a need an assessment finds, with the SMART objective and the
// action of a case plan that answer it, and the direct service that starts it.
type needItem struct {
	domain, need, objective, measure, action, service string
	referral                                          bool // the action is a referral, not direct support
}

var cpNeedItems = []needItem{
	{"safety", "Safe place to stay", "The child sleeps every night in a safe home", "Home visit confirms a safe place to sleep",
		"Arrange a safe place with kinship carers", "care_arrangement", false},
	{"care", "Family tracing", "The child's family is traced and contacted", "Tracing result recorded",
		"Open a tracing request", "tracing", true},
	{"health", "Medical care", "The child is seen by a health worker", "Clinic visit recorded",
		"Accompany the child to the health centre", "accompaniment", true},
	{"psychosocial", "Psychosocial support", "The child takes part in weekly group activities", "Attends 4 of 5 sessions",
		"Enrol the child in the child-friendly space", "mhpss", false},
	{"education", "Return to school", "The child is enrolled and attending school", "Attendance confirmed by the teacher",
		"Refer to the education partner for enrolment", "information", true},
	{"legal", "Birth registration", "The child holds a birth certificate", "Certificate issued",
		"Help the caregiver apply for a birth certificate", "documentation", false},
	{"material", "Food and basic items", "The household receives food support", "Distribution card issued",
		"Refer the household to the food distribution", "information", true},
	{"care", "Parenting support for the caregiver", "The caregiver uses positive discipline", "Caregiver reports no physical punishment",
		"Enrol the caregiver in the parenting sessions", "parenting", false},
}

var gbvNeedItems = []needItem{
	{"health", "Medical care", "The survivor receives clinical care", "Clinic visit recorded",
		"Accompany the survivor to the clinic", "accompaniment", true},
	{"psychosocial", "Psychosocial support", "The survivor reports feeling better", "Self-reported well-being improves",
		"Hold individual psychosocial sessions", "mhpss", false},
	{"safety", "Safe shelter", "The survivor has a safe place to stay", "Safe shelter confirmed",
		"Refer to the safe shelter", "information", true},
	{"safety", "Safety planning", "The survivor has a safety plan she trusts", "Safety plan agreed and reviewed",
		"Make a safety plan with the survivor", "safety_planning", false},
	{"legal", "Legal assistance", "The survivor knows her legal options", "Meeting with legal aid held",
		"Refer to the legal aid partner", "information", true},
	{"livelihood", "Livelihood support", "The survivor has an income of her own", "Enrolled in a livelihood programme",
		"Refer to the livelihood programme", "information", true},
	{"material", "Dignity kit", "The survivor receives a dignity kit", "Kit handed over",
		"Hand over a dignity kit", "other", false},
}

var followUpNotes = []string{
	"Child seen at home; caregiver cooperative", "Met at the safe space; activities going well",
	"Phone call; no new incidents reported", "Home visit; school attendance confirmed",
	"Met with the service provider; referral accepted",
}

var safetyConcerns = []string{
	"Alleged perpetrator seen near the home", "Caregiver reports threats from a neighbour",
	"Child still walks alone to the water point",
}

var closureExplanations = map[string][]string{
	"declined":  {"The family no longer wants support; no protection concern justifies overriding their decision"},
	"left_area": {"Moved to another region where no partner offers case management; transfer not feasible"},
}
