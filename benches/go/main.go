// Command gotwin is the Go twin of every workload in gocsp-benches: the same sizes, buffer
// caps and structure as the Rust functions in ../src/goroutines.rs, so that the compare
// command can print gocsp/Go ratios measured side by side.
//
// Usage:
//
//	gotwin [-warmup N] WORKLOAD [SIZE]
//
// It runs WORKLOAD N times unmeasured (default 1, so both sides are measured warm), then once
// measured, and prints one line per result: "name value", value in the unit the workload
// reports (ns per op; us per tree for context; bytes for RSS). GOMAXPROCS is left alone.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type workload struct {
	size int
	run  func(n int) []result
}

type result struct {
	name  string
	value float64
}

var workloads = map[string]workload{
	"spawn":           {100_000, spawn},
	"pingpong":        {200_000, pingpong},
	"buf1x1":          {2_000_000, func(n int) []result { return mpmc("buf1x1", 1, 1, 1024, n) }},
	"buf4x4":          {2_000_000, func(n int) []result { return mpmc("buf4x4", 4, 4, 1024, n) }},
	"buf1":            {1_000_000, func(n int) []result { return mpmc("buf1", 1, 1, 1, n) }},
	"mutex4":          {1_000_000, mutex4},
	"rwmutex4":        {1_000_000, rwmutex4},
	"waitgroup4":      {1_000_000, waitgroup4},
	"timer-reset":     {200_000, timerReset},
	"timer-pushback":  {1_000_000, timerPushback},
	"unbuf4x4":        {200_000, func(n int) []result { return mpmc("unbuf4x4", 4, 4, 0, n) }},
	"main":            {100_000, mainRoundTrip},
	"select4":         {1_000_000, select4},
	"selectdefault":   {10_000_000, selectDefault},
	"context":         {100, contextTree},
	"timers":          {10_000, timers},
	"sleepers":        {10_000, sleepers},
	"tickers":         {5_000, tickers},
	"sieve":           {5_000, sieve},
	"whispers":        {100_000, func(n int) []result { return whispers("whispers", n) }},
	"broadcast":       {10_000, func(n int) []result { return broadcast("broadcast", n) }},
	"broadcast-first": {10_000, func(n int) []result { return broadcast("broadcast_first", n) }},
	"whispers-first":  {100_000, func(n int) []result { return whispers("whispers_first", n) }},
	"blocked":         {10_000, blocked},
	// The parallel suite (parallel.go).
	"par-pool-main": {400, parPoolMain},
	"par-pool-go":   {400, parPoolGo},
	"par-fanout":    {400, parFanout},
	"par-pipeline":  {400, parPipeline},
	"par-dispatch":  {400, parDispatch},
	"par-tree":      {65_536, parTree},
	"par-sieve":     {1_000, parSieve},
}

func main() {
	warmup := flag.Int("warmup", 1, "unmeasured runs before the measured one")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: gotwin [-warmup N] WORKLOAD [SIZE]\nworkloads:")
		for name := range workloads {
			fmt.Fprintf(os.Stderr, " %s", name)
		}
		fmt.Fprintln(os.Stderr)
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	w, ok := workloads[flag.Arg(0)]
	if !ok {
		flag.Usage()
		os.Exit(2)
	}
	n := w.size
	if flag.NArg() > 1 {
		v, err := strconv.Atoi(flag.Arg(1))
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "bad size %q\n", flag.Arg(1))
			os.Exit(2)
		}
		n = v
	}
	switch flag.Arg(0) {
	case "blocked", "whispers-first", "broadcast-first":
		*warmup = 0 // measured in a fresh process
	}
	for i := 0; i < *warmup; i++ {
		w.run(n)
	}
	for _, r := range w.run(n) {
		fmt.Printf("%s %.3f\n", r.name, r.value)
	}
}

func perOp(name string, d time.Duration, ops int) []result {
	return []result{{name, float64(d.Nanoseconds()) / float64(ops)}}
}

// spawn: start n goroutines that each call wg.Done, and wait for all of them.
func spawn(n int) []result {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return perOp("spawn", time.Since(start), n)
}

// pingpong: n round trips over two unbuffered channels between this goroutine and an echo.
func pingpong(n int) []result {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	d := time.Since(start)
	close(ping)
	return perOp("pingpong", d, n)
}

// mainRoundTrip: n round trips between main (a goroutine, as always in Go) and an echo.
func mainRoundTrip(n int) []result {
	r := pingpong(n)
	r[0].name = "main"
	return r
}

// mutex4: 4 goroutines take one sync.Mutex n/4 times each (incrementing a counter under it).
func mutex4(n int) []result {
	var mu sync.Mutex
	var wg sync.WaitGroup
	count := 0
	start := time.Now()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			for i := 0; i < n/4; i++ {
				mu.Lock()
				count++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if count != n/4*4 {
		panic("mutex4: lost updates")
	}
	return perOp("mutex4", d, n)
}

// rwmutex4: 4 goroutines take one sync.RWMutex for reading n/4 times each while a fifth
// takes it for writing n/100 times.
func rwmutex4(n int) []result {
	var mu sync.RWMutex
	var wg sync.WaitGroup
	value := 0
	start := time.Now()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			s := 0
			for i := 0; i < n/4; i++ {
				mu.RLock()
				s += value
				mu.RUnlock()
			}
			sink(s)
			wg.Done()
		}()
	}
	wg.Add(1)
	go func() {
		for i := 0; i < n/100; i++ {
			mu.Lock()
			value++
			mu.Unlock()
		}
		wg.Done()
	}()
	wg.Wait()
	return perOp("rwmutex4", time.Since(start), n)
}

// waitgroup4: 4 goroutines call Add(1) then Done() on one sync.WaitGroup n/4 times each.
func waitgroup4(n int) []result {
	var shared, wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			for i := 0; i < n/4; i++ {
				shared.Add(1)
				shared.Done()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	shared.Wait()
	return perOp("waitgroup4", time.Since(start), n)
}

// timerReset: one timer stopped, drained and reset n times (an idle timeout pushed back on
// every message).
func timerReset(n int) []result {
	t := time.NewTimer(time.Hour)
	start := time.Now()
	for i := 0; i < n; i++ {
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(time.Hour)
	}
	d := time.Since(start)
	t.Stop()
	return perOp("timer-reset", d, n)
}

// timerPushback: one pending timer reset n times to a later deadline (Reset without Stop).
func timerPushback(n int) []result {
	t := time.NewTimer(time.Hour)
	start := time.Now()
	for i := 0; i < n; i++ {
		t.Reset(time.Hour)
	}
	d := time.Since(start)
	t.Stop()
	return perOp("timer-pushback", d, n)
}

// mpmc: p producers send n/p values each into one channel of capacity c, and q consumers
// receive n/q each; the caller waits for all of them.
func mpmc(name string, p, q, c, n int) []result {
	ch := make(chan int, c)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(p + q)
	for i := 0; i < p; i++ {
		go func() {
			for j := 0; j < n/p; j++ {
				ch <- j
			}
			wg.Done()
		}()
	}
	for i := 0; i < q; i++ {
		go func() {
			for j := 0; j < n/q; j++ {
				<-ch
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return perOp(name, time.Since(start), n)
}

// select4: four producers send n/4 values each on their own channel (cap 1024); this
// goroutine selects over the four n times.
func select4(n int) []result {
	var chans [4]chan int
	for i := range chans {
		chans[i] = make(chan int, 1024)
	}
	start := time.Now()
	for i := range chans {
		ch := chans[i]
		go func() {
			for j := 0; j < n/4; j++ {
				ch <- j
			}
		}()
	}
	sum := 0
	for i := 0; i < n; i++ {
		select {
		case v := <-chans[0]:
			sum += v
		case v := <-chans[1]:
			sum += v
		case v := <-chans[2]:
			sum += v
		case v := <-chans[3]:
			sum += v
		}
	}
	d := time.Since(start)
	sink(sum)
	return perOp("select4", d, n)
}

// selectDefault: n selects with a default case on one empty channel.
func selectDefault(n int) []result {
	ch := make(chan int)
	hits := 0
	start := time.Now()
	for i := 0; i < n; i++ {
		select {
		case <-ch:
			hits++
		default:
		}
	}
	d := time.Since(start)
	sink(hits)
	return perOp("selectdefault", d, n)
}

// contextNodes is the size of each context tree: node 0 is the root, node i's parent is
// node (i-1)/10.
const contextNodes = 1000

// contextTree: n times, build a 1,000-node cancellation tree (asking each node for its Done
// channel, as a goroutine waiting on it would), cancel the root, and observe every node's
// Done. Reports microseconds per tree.
func contextTree(n int) []result {
	start := time.Now()
	for t := 0; t < n; t++ {
		ctxs := make([]context.Context, contextNodes)
		cancels := make([]context.CancelFunc, contextNodes)
		dones := make([]<-chan struct{}, contextNodes)
		for i := 0; i < contextNodes; i++ {
			parent := context.Background()
			if i > 0 {
				parent = ctxs[(i-1)/10]
			}
			ctxs[i], cancels[i] = context.WithCancel(parent)
			dones[i] = ctxs[i].Done()
		}
		cancels[0]()
		for _, d := range dones {
			<-d
		}
		for _, c := range cancels {
			c()
		}
	}
	d := time.Since(start)
	return []result{{"context", float64(d.Nanoseconds()) / float64(n) / 1000}}
}

// xorshift64, seeded as in ../src/common.rs, so both sides draw the same deadlines.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*r = rng(x)
	return x
}

const seed = 0x9E3779B97F4A7C15

// timers: create n time.After channels with random deadlines under 1 ms, then receive from
// each in creation order.
func timers(n int) []result {
	r := rng(seed)
	start := time.Now()
	chans := make([]<-chan time.Time, n)
	for i := range chans {
		chans[i] = time.After(time.Duration(r.next()%1000) * time.Microsecond)
	}
	for _, c := range chans {
		<-c
	}
	return perOp("timers", time.Since(start), n)
}

// sleepers: n goroutines (a polling loop each) each sleep 1 ms 20 times; reported per sleep.
func sleepers(n int) []result {
	const sleeps = 20
	elapsed := timeGoroutines(n, func() {
		for j := 0; j < sleeps; j++ {
			time.Sleep(time.Millisecond)
		}
	})
	return perOp("sleepers", elapsed, n*sleeps)
}

// tickers: n goroutines each receive 50 ticks of a 1 ms ticker of their own; reported per
// tick received.
func tickers(n int) []result {
	const ticks = 50
	elapsed := timeGoroutines(n, func() {
		t := time.NewTicker(time.Millisecond)
		for j := 0; j < ticks; j++ {
			<-t.C
		}
		t.Stop()
	})
	return perOp("tickers", elapsed, n*ticks)
}

// timeGoroutines starts n goroutines running body and times them until the last is done.
func timeGoroutines(n int, body func()) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			body()
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// sieve: the classic concurrent prime sieve, closed at the end so every goroutine exits: a
// generator sends 2, 3, ... up to the n-th prime, each filter passes on what its prime does
// not divide, and this goroutine takes the head of the chain as the next prime. Reports
// nanoseconds per channel hop (every send, counted by sieveHops).
func sieve(n int) []result {
	limit := nthPrime(n)
	start := time.Now()
	ch := make(chan int)
	go func(out chan<- int) {
		for i := 2; i <= limit; i++ {
			out <- i
		}
		close(out)
	}(ch)
	found := 0
	for {
		p, ok := <-ch
		if !ok {
			break
		}
		found++
		next := make(chan int)
		go func(in <-chan int, out chan<- int, p int) {
			for v := range in {
				if v%p != 0 {
					out <- v
				}
			}
			close(out)
		}(ch, next, p)
		ch = next
	}
	d := time.Since(start)
	if found != n {
		panic(fmt.Sprintf("sieve found %d primes, want %d", found, n))
	}
	return perOp("sieve", d, sieveHops(n))
}

// nthPrime is the n-th prime (nthPrime(1) == 2).
func nthPrime(n int) int {
	var primes []int
	for v := 2; len(primes) < n; v++ {
		prime := true
		for _, p := range primes {
			if p*p > v {
				break
			}
			if v%p == 0 {
				prime = false
				break
			}
		}
		if prime {
			primes = append(primes, v)
		}
	}
	return primes[n-1]
}

// sieveHops counts the sends in sieve(n): every number is sent once by the generator, then
// once more by each filter it passes (every filter whose prime is below it, up to the first
// that divides it).
func sieveHops(n int) int {
	limit := nthPrime(n)
	var primes []int
	hops := 0
	for v := 2; v <= limit; v++ {
		hops++
		prime := true
		for _, p := range primes {
			if v%p == 0 {
				prime = false
				break
			}
			hops++
		}
		if prime {
			primes = append(primes, v)
		}
	}
	return hops
}

// broadcast: this goroutine starts 100 subscribers, each receiving on its own channel of
// capacity 16, sends each of n messages to every one of them, closes the channels and waits.
// Reported as ns per message per subscriber.
func broadcast(name string, n int) []result {
	const subs = 100
	start := time.Now()
	var wg sync.WaitGroup
	chans := make([]chan int, subs)
	for i := range chans {
		chans[i] = make(chan int, 16)
		wg.Add(1)
		go func(c chan int) {
			s := 0
			for v := range c {
				s += v
			}
			sink(s)
			wg.Done()
		}(chans[i])
	}
	for m := 0; m < n; m++ {
		for _, c := range chans {
			c <- m
		}
	}
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	return perOp(name, time.Since(start), n*subs)
}

// whispers: a chain of n goroutines started in one loop, each receiving from its right
// neighbour and sending one more to its left; 1 goes in at the right end, n+1 comes out at the
// left. Reported as ns per goroutine, spawning and passing together.
func whispers(name string, n int) []result {
	start := time.Now()
	leftmost := make(chan int)
	left := leftmost
	for i := 0; i < n; i++ {
		right := make(chan int)
		go func(l, r chan int) {
			if v, ok := <-r; ok {
				l <- v + 1
			}
		}(left, right)
		left = right
	}
	go func(c chan int) { c <- 1 }(left)
	got := <-leftmost
	d := time.Since(start)
	if got != n+1 {
		panic(fmt.Sprintf("whispers: got %d, want %d", got, n+1))
	}
	return perOp(name, d, n)
}

// blocked: start n goroutines that each block receiving on one channel; report the time to
// start them all (each has run and is about to block when it calls wg.Done), the growth of
// VmRSS per goroutine, and the time from closing the channel until every one has ended.
// Meant for a fresh process.
func blocked(n int) []result {
	ch := make(chan int)
	var wg, ended sync.WaitGroup
	before := vmRSS()
	start := time.Now()
	wg.Add(n)
	ended.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			wg.Done()
			sink(<-ch)
			ended.Done()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	after := vmRSS()
	start = time.Now()
	close(ch)
	ended.Wait()
	r := time.Since(start)
	return []result{
		{"blocked_create", float64(d.Nanoseconds()) / float64(n)},
		{"blocked_release", float64(r.Nanoseconds()) / float64(n)},
		{"blocked_rss", float64(after-before) / float64(n)},
	}
}

// vmRSS is this process's resident set in bytes, from /proc/self/status.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

var sinkValue int

//go:noinline
func sink(v int) { sinkValue = v }
