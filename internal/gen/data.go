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
