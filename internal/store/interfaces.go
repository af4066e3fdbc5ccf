package store

import (
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/service"
)

// The domain packages' storage interfaces, satisfied by *Tx.
var (
	_ cases.Tx   = (*Tx)(nil)
	_ consent.Tx = (*Tx)(nil)
	_ family.Tx  = (*Tx)(nil)
	_ intake.Tx  = (*Tx)(nil)

	_ assessment.Tx = (*Tx)(nil)
	_ plan.Tx       = (*Tx)(nil)
	_ closure.Tx    = (*Tx)(nil)
	_ service.Tx    = (*Tx)(nil)
	_ followup.Tx   = (*Tx)(nil)

	_ mfa.Tx     = (*Tx)(nil)
	_ account.Tx = (*Tx)(nil)
)
