package gen

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// rnd is the seeded random source of one run: the same seed (and the same
// starting database and time) gives the same data, IDs and codes included.
type rnd struct{ *rand.Rand }

func newRand(seed uint64, run int) *rnd {
	return &rnd{rand.New(rand.NewPCG(seed, 0x5afeca5e0000+uint64(run)))}
}

// id returns a UUIDv7 for a record created at t: time-ordered like
// store.NewID, with its random bits from the seeded source.
func (r *rnd) id(t time.Time) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	x, y := r.Uint64(), r.Uint64()
	u[6] = 0x70 | byte(x>>8)&0x0f
	u[7] = byte(x)
	u[8] = 0x80 | byte(y>>56)&0x3f
	u[9], u[10], u[11], u[12], u[13], u[14], u[15] = byte(y>>48), byte(y>>40), byte(y>>32), byte(y>>24), byte(y>>16), byte(y>>8), byte(y)
	return u.String()
}

// codeAlphabet is Crockford's base 32, as in cases.NewCode.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// code returns a code in cases.NewCode's format, e.g. C-7K4Q2M.
func (r *rnd) code(prefix string) string {
	x := r.Uint32()
	b := make([]byte, 0, len(prefix)+7)
	b = append(b, prefix...)
	b = append(b, '-')
	for i := 0; i < 6; i++ {
		b = append(b, codeAlphabet[x&31])
		x >>= 5
	}
	return string(b)
}

func (r *rnd) pick(list []string) string { return list[r.IntN(len(list))] }

func (r *rnd) chance(p float64) bool { return r.Float64() < p }

// between returns a duration uniformly in [a, b).
func (r *rnd) between(a, b time.Duration) time.Duration {
	if b <= a {
		return a
	}
	return a + time.Duration(r.Int64N(int64(b-a)))
}

// exp returns an exponentially distributed duration with the given mean.
func (r *rnd) exp(mean time.Duration) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(mean))
}

// weighted picks an index with probability proportional to its weight.
func (r *rnd) weighted(w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	v := r.Float64() * sum
	for i, x := range w {
		if v < x {
			return i
		}
		v -= x
	}
	return len(w) - 1
}

// choice is a list of keys with weights.
type choice struct {
	keys    []string
	weights []float64
}

func (r *rnd) choose(c choice) string { return c.keys[r.weighted(c.weights)] }

// roundInt rounds x to the nearest integer.
func roundInt(x float64) int { return int(math.Round(x)) }
