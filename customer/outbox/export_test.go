package outbox

import "context"

// Claim leases a batch without delivering it: what a dispatcher that dies
// right after claiming leaves behind.
func (d *Dispatcher) Claim(ctx context.Context) ([]Message, error) { return d.claim(ctx) }

// NominalBackoff is DefaultBackoff without jitter.
var NominalBackoff = nominalBackoff

// ErrorText is the text stored in last_error for err.
var ErrorText = errorText
