package issuer

import (
	"context"

	"github.com/agentidp/agentidp/internal/keys"
)

// KeyManager is what the service needs of the deployment's signing keys:
// to list, rotate and remove them. *keys.Manager implements it. Its methods
// are called concurrently.
type KeyManager interface {
	// Keys lists the published keys, oldest first, as this instance last
	// read them; the slice is the caller's.
	Keys() []keys.KeyInfo
	// Rotate creates a new key and returns its kid: pending for
	// keys' PublishAhead, or, when immediate, active at once with the
	// previous key retired. A normal rotation while a key is pending fails
	// with keys.ErrRotationPending. A kid with an error means the rotation
	// committed but the key set could not be reread.
	Rotate(ctx context.Context, immediate bool) (kid string, err error)
	// Remove deletes a key that does not sign, withdrawing it from the
	// published set: keys.ErrActiveKey for the key that signs, and
	// store.ErrNotFound for an unknown kid.
	Remove(ctx context.Context, kid string) error
}
