package demo

// rng is a SplitMix64 generator. The demo carries its own instead of math/rand or gofakeit so that the
// same seed gives the same practice whatever Go or library version builds odsim: golden files refer to
// the rows it produces.
type rng struct{ state uint64 }

// newRNG returns a generator for one part of the practice. Each part (patients, schedules,
// appointments) has its own seed, so that changing one part does not reshuffle the others.
func newRNG(seed uint64) *rng { return &rng{state: seed} }

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance reports true pct times in a hundred.
func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

// pick returns one element of xs.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// weighted is a choice with a relative weight.
type weighted[T any] struct {
	w int
	v T
}

// pickWeighted returns one value of xs, each with probability proportional to its weight.
func pickWeighted[T any](r *rng, xs []weighted[T]) T {
	total := 0
	for _, x := range xs {
		total += x.w
	}
	n := r.intn(total)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}
