package cli

import (
	"fmt"
	"strings"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// fieldNames says, for a field of the domain's validation, which flag or
// input the user gives it with.
var fieldNames = map[string]string{
	"username":         "--username",
	"display_name":     "--name",
	"role":             "--role",
	"agency_id":        "--agency",
	"agency_code":      "--agency",
	"agency_name":      "--agency-name",
	"team_id":          "--team",
	"team_name":        "--team",
	"email":            "--email",
	"gender":           "--gender",
	"password":         "password",
	"new_password":     "password",
	"confirm_password": "password",
}

// fieldMessages are the messages of the err.* keys the user commands can
// meet, in short plain English; cli.* keys are the command line's own.
var fieldMessages = map[string]string{
	"err.username":          "must be 3 to 40 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
	"err.required":          "is required (at most 100 characters)",
	"err.choose":            "is not one of the choices",
	"err.team_required":     "is required for caseworkers and supervisors: name their team",
	"err.team_agency":       "belongs to another agency",
	"err.email":             "is not an email address",
	"err.password_short":    "is too short: use at least %d characters",
	"err.password_long":     "is too long: use at most %d characters",
	"err.password_common":   "is, or is built from, one of the most common passwords: choose one nobody would guess",
	"err.password_word":     "is mostly common words or names: add more words that are not obviously connected",
	"err.password_personal": "contains the username, the person's name or the word SafeCase: leave them out",
	"err.password_repeat":   "repeats characters or words (like aaaa or abcabc), which is easy to guess",
	"err.password_sequence": "is a sequence (like abcd or 6789), which is easy to guess",
	"err.password_keyboard": "follows keys next to each other on a keyboard (like qwerty), which is easy to guess",
	"err.password_date":     "is built on a date or a year, which is easy to guess",
	"err.password_weak":     "is too easy to guess: a few words that are not obviously connected make a strong password",
	"err.taken":             "is already taken",
	"err.agency_code":       "must be 2 to 8 capital letters or digits, like HFC",
	"cli.agency_missing":    "no agency has the code %s (agencies: %s); to create it, add --agency-name",
	"cli.team_missing":      "no team called %q in agency %s (teams: %s); to create it, add --create-team",
	"cli.user_missing":      "no user is called %q",
	"cli.password_mismatch": "the two passwords typed differ",
	"err.password_not_yours": "is only typed for the first system administrator of a new deployment: " +
		"anyone else sets their own with the setup code this command prints",
	"err.nothing_to_approve": "waits for no approval",
	"err.approver_exists":    "has someone in the agency who may approve it (its %s): they approve it in SafeCase",
}

// choices lists the allowed values of a field, for err.choose.
var choices = map[string]func() string{
	"role": func() string {
		var s []string
		for _, r := range org.Roles {
			s = append(s, string(r))
		}
		return strings.Join(s, ", ")
	},
	"gender": func() string { return "female, male, other, or leave it out" },
}

// describeFields turns field errors into lines a person can act on, each
// naming the flag at fault.
func describeFields(f errs.Fields) string {
	var b strings.Builder
	b.WriteString("please correct:")
	for _, e := range f {
		name := fieldNames[e.Field]
		if name == "" {
			name = strings.ReplaceAll(e.Field, "_", " ")
		}
		msg, ok := fieldMessages[e.Msg]
		if !ok {
			msg = strings.ReplaceAll(strings.TrimPrefix(e.Msg, "err."), "_", " ")
		}
		if len(e.Args) > 0 && strings.Contains(msg, "%") {
			msg = fmt.Sprintf(msg, e.Args...)
		}
		if e.Msg == "err.choose" {
			if c := choices[e.Field]; c != nil {
				msg = "must be one of: " + c()
			}
		}
		fmt.Fprintf(&b, "\n  %s: %s", name, msg)
	}
	return b.String()
}
