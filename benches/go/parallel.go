package main

// The parallel suite: CPU-bound jobs spread over goroutines in the shapes real programs use.
// Each workload reports "time_ns" (the whole run) and "checksum" (the same number as the Rust
// twin in ../src/parallel.rs computes: both sides do the same work). Run it at several
// GOMAXPROCS values to see how it scales.

import (
	"sync"
	"sync/atomic"
	"time"
)

// parJobSteps: xorshift steps per job (about 0.3 ms).
const parJobSteps = 200_000

// parPoolSize: goroutines in a worker pool.
const parPoolSize = 8

// parStages: stages of the pipeline; each does a quarter of a job per item.
const parStages = 4

// parTreeLeafSteps: xorshift steps per leaf of the divide and conquer (about 2 us).
const parTreeLeafSteps = 1_000

// parModulus folds checksums so that they print exactly as floats.
const parModulus = 1_000_000_007

func parJob(seed uint64, steps int) uint64 {
	x := seed*0x9E3779B97F4A7C15 | 1
	for i := 0; i < steps; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func parResult(start time.Time, sum uint64) []result {
	return []result{
		{"time_ns", float64(time.Since(start).Nanoseconds())},
		{"checksum", float64(sum % parModulus)},
	}
}

// parPool: parPoolSize goroutines take n jobs from one channel and send their results back.
func parPool(n int) uint64 {
	jobs := make(chan uint64)
	results := make(chan uint64)
	for w := 0; w < parPoolSize; w++ {
		go func() {
			for j := range jobs {
				results <- parJob(j, parJobSteps)
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			jobs <- uint64(i)
		}
		close(jobs)
	}()
	var sum uint64
	for i := 0; i < n; i++ {
		sum += <-results
	}
	return sum
}

func parPoolMain(n int) []result {
	start := time.Now()
	return parResult(start, parPool(n))
}

func parPoolGo(n int) []result {
	start := time.Now()
	done := make(chan uint64)
	go func() { done <- parPool(n) }()
	return parResult(start, <-done)
}

// parFanout: one goroutine per job, a WaitGroup to wait for all.
func parFanout(n int) []result {
	start := time.Now()
	var sum uint64
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			atomic.AddUint64(&sum, parJob(uint64(i), parJobSteps))
			wg.Done()
		}(i)
	}
	wg.Wait()
	return parResult(start, sum)
}

// parPipeline: a source and parStages stages, each doing a quarter of a job per item.
func parPipeline(n int) []result {
	start := time.Now()
	src := make(chan uint64)
	go func() {
		for i := 0; i < n; i++ {
			src <- uint64(i)
		}
		close(src)
	}()
	in := src
	for s := 0; s < parStages; s++ {
		out := make(chan uint64)
		go func(s uint64, in <-chan uint64, out chan<- uint64) {
			for v := range in {
				out <- parJob(v^s, parJobSteps/parStages)
			}
			close(out)
		}(uint64(s), in, out)
		in = out
	}
	var sum uint64
	for v := range in {
		sum += v
	}
	return parResult(start, sum)
}

// parDispatch: a dispatcher starts one goroutine per request, like an accept loop.
func parDispatch(n int) []result {
	start := time.Now()
	reqs := make(chan uint64)
	results := make(chan uint64)
	go func() {
		for r := range reqs {
			go func(r uint64) { results <- parJob(r, parJobSteps) }(r)
		}
	}()
	go func() {
		for i := 0; i < n; i++ {
			reqs <- uint64(i)
		}
		close(reqs)
	}()
	var sum uint64
	for i := 0; i < n; i++ {
		sum += <-results
	}
	return parResult(start, sum)
}

// parTree: divide and conquer over n leaves without a cutoff (a parallel quicksort as it is
// often first written): each call starts a goroutine for its left half, does its right half
// itself, and waits for the left half's sum.
func parTree(n int) []result {
	start := time.Now()
	sum := parTreeSplit(0, uint64(n))
	return parResult(start, sum)
}

func parTreeSplit(lo, hi uint64) uint64 {
	if hi-lo == 1 {
		return parJob(lo, parTreeLeafSteps)
	}
	mid := lo + (hi-lo)/2
	left := make(chan uint64)
	go func() { left <- parTreeSplit(lo, mid) }()
	right := parTreeSplit(mid, hi)
	return right + <-left
}

// parSieve: the concurrent prime sieve to the n-th prime; the checksum is the primes' sum.
func parSieve(n int) []result {
	limit := nthPrime(n)
	start := time.Now()
	ch := make(chan int)
	go func(out chan<- int) {
		for i := 2; i <= limit; i++ {
			out <- i
		}
		close(out)
	}(ch)
	var sum uint64
	for {
		p, ok := <-ch
		if !ok {
			break
		}
		sum += uint64(p)
		next := make(chan int)
		go func(p int, in <-chan int, out chan<- int) {
			for v := range in {
				if v%p != 0 {
					out <- v
				}
			}
			close(out)
		}(p, ch, next)
		ch = next
	}
	return parResult(start, sum)
}
