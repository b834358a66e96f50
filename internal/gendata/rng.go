package gendata

import (
	"math/bits"
	"math/rand/v2"
)

// Stream kinds. Every value the generator produces is drawn from a PCG
// source keyed by (seed, tenant, kind) and then by the index of the value,
// so that no value depends on which other values were generated before it.
const (
	kindTenant uint64 = iota + 1
	kindCustomer
	kindCustomerTime
	kindCustomerAssign
	kindRecord
	kindStaff
	kindOrg
	kindGroup
	kindPerm
	numKinds
)

// mix64 is the SplitMix64 finaliser: a cheap bijective avalanche over 64 bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// streamKey derives the per-tenant, per-kind key from the seed.
func streamKey(seed uint64, tenant int, kind uint64) uint64 {
	return mix64(seed ^ mix64(uint64(tenant)<<16|kind) ^ 0x6b69726f6b75)
}

// rng wraps a math/rand/v2 PCG by value so that seeding and drawing do not
// allocate.
type rng struct {
	src rand.PCG
}

// seed positions r on the stream of element i of the given stream key.
func (r *rng) seed(key uint64, i int) {
	r.src.Seed(key, mix64(key^(uint64(i)+1)*0x9e3779b97f4a7c15))
}

// intn returns a value in [0, n). n must be positive.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int(hi)
}

// between returns a value in [lo, hi] (both inclusive).
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) * 0x1p-53 }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// pick returns a uniformly chosen element of s.
func pick[T any](r *rng, s []T) T { return s[r.intn(len(s))] }

// weights is a cumulative weight table for weighted choice by index.
type weights []int

// newWeights builds a cumulative table from individual weights.
func newWeights(w ...int) weights {
	cum := make(weights, len(w))
	total := 0
	for i, x := range w {
		total += x
		cum[i] = total
	}
	return cum
}

// choose returns an index with probability proportional to its weight.
func (w weights) choose(r *rng) int {
	x := r.intn(w[len(w)-1])
	lo, hi := 0, len(w)-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}
