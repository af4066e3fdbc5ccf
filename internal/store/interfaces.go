package store

import (
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/mail"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/search"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/transfer"
)

// The domain packages' storage interfaces, satisfied by *Tx (mail's outbox
// by *DB): every interface a domain package declares is listed here, so
// that a method missing from the store fails the build of the store, not of
// whichever handler first calls the operation. (TestTxInterfacesChecked in
// internal/arch fails for a domain Tx interface missing from this list.)
var (
	_ cases.Tx           = (*Tx)(nil)
	_ cases.Granter      = (*Tx)(nil)
	_ cases.NameReader   = (*Tx)(nil)
	_ cases.VoidTx       = (*Tx)(nil)
	_ consent.Tx         = (*Tx)(nil)
	_ consent.RegisterTx = (*Tx)(nil)
	_ family.Tx          = (*Tx)(nil)
	_ intake.Tx          = (*Tx)(nil)
	_ search.Finder      = (*Tx)(nil)

	_ assessment.Tx = (*Tx)(nil)
	_ plan.Tx       = (*Tx)(nil)
	_ closure.Tx    = (*Tx)(nil)
	_ service.Tx    = (*Tx)(nil)
	_ followup.Tx   = (*Tx)(nil)
	_ notify.Tx     = (*Tx)(nil)

	_ incident.Tx   = (*Tx)(nil)
	_ caselink.Tx   = (*Tx)(nil)
	_ share.Tx      = (*Tx)(nil)
	_ referral.Tx   = (*Tx)(nil)
	_ transfer.Tx   = (*Tx)(nil)
	_ conference.Tx = (*Tx)(nil)
	_ directory.Tx  = (*Tx)(nil)

	_ share.ReadTx             = (*Tx)(nil)
	_ share.ListTx             = (*Tx)(nil)
	_ referral.ReadTx          = (*Tx)(nil)
	_ referral.InboxTx         = (*Tx)(nil)
	_ referral.SentTx          = (*Tx)(nil)
	_ referral.CandidatesTx    = (*Tx)(nil) // the people a referral or conference may name
	_ transfer.ReadTx          = (*Tx)(nil)
	_ transfer.InboxTx         = (*Tx)(nil)
	_ transfer.BulkTx          = (*Tx)(nil)
	_ conference.ReadTx        = (*Tx)(nil)
	_ deadline.Lister[TaskRow] = (*Tx)(nil) // the tasks list (deadline.Tasks)

	_ mfa.Tx           = (*Tx)(nil)
	_ account.Tx       = (*Tx)(nil)
	_ account.Recorder = (*Tx)(nil)
	_ signin.Tx        = (*Tx)(nil)
	_ signin.ReadTx    = (*Tx)(nil)

	_ mail.Outbox = (*DB)(nil) // each of its methods is its own transaction
)

// The duplicate check's storage (cases.PossibleDuplicates, cases.RegisterChecked).
var (
	_ cases.DuplicateReader = (*Tx)(nil)
	_ cases.RegisterTx      = (*Tx)(nil)
)
