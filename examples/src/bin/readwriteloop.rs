//! The read/write loop: one goroutine owns a value and serves reads and writes that other
//! goroutines send it as requests, each request carrying a channel for the reply. There is
//! no lock: only the owning goroutine ever touches the state ("do not communicate by sharing
//! memory; share memory by communicating"), and because it handles one request at a time, a
//! write such as "add 1" is atomic for free.
//!
//! The Go original (Go by Example, "Stateful Goroutines"):
//!
//! ```go
//! type readOp struct { key int; resp chan int }
//! type writeOp struct { key, val int; resp chan bool }
//!
//! go func() {
//!     var state = make(map[int]int)
//!     for {
//!         select {
//!         case read := <-reads:
//!             read.resp <- state[read.key]
//!         case write := <-writes:
//!             state[write.key] = write.val
//!             write.resp <- true
//!         }
//!     }
//! }()
//! ```
//!
//! Here the loop also stops when its context is cancelled and hands back its final state.
//! Writers add to a counter (the owner does the read-modify-write), readers check that each
//! counter only ever grows, and at the end every counter holds exactly what was added.
#![forbid(unsafe_code)]

use std::collections::HashMap;

use gocsp::prelude::*;

/// "Tell me the value of `key`."
struct ReadOp {
    key: u32,
    resp: Sender<i64>,
}

/// "Add `delta` to `key` and tell me the new value."
struct WriteOp {
    key: u32,
    delta: i64,
    resp: Sender<i64>,
}

/// What the loop did, handed back when it stops.
struct Served {
    state: HashMap<u32, i64>,
    reads: usize,
    writes: usize,
}

const KEYS: u32 = 5;
const WRITERS: u32 = 10;
const WRITES_EACH: u32 = 100;
const READERS: u32 = 20;
const READS_EACH: u32 = 50;

go_syntax! {
    /// The owner: the only code that sees `state`.
    fn serve(ctx: Context, reads: <-chan ReadOp, writes: <-chan WriteOp) -> Served {
        let mut state: HashMap<u32, i64> = HashMap::new()
        n_reads, n_writes := 0, 0
        for {
            // Request types have no zero value, so the cases receive `Some(op)`.
            select {
            case Some(read) := <-reads:
                n_reads += 1
                read.resp <- state.get(&read.key).copied().unwrap_or(0)
            case Some(write) := <-writes:
                n_writes += 1
                let v = state.entry(write.key).or_insert(0)
                *v += write.delta
                write.resp <- *v
            case <-ctx.done():
                return Served { state, reads: n_reads, writes: n_writes }
            }
        }
    }

    /// A client that adds 1 to the counters, round robin.
    fn writer(id: u32, writes: chan<- WriteOp, wg: WaitGroup) {
        defer wg.done()
        resp := make(chan i64)
        for i in 0..WRITES_EACH {
            writes <- WriteOp { key: (id + i) % KEYS, delta: 1, resp: resp.sender() }
            now := <-resp
            assert!(now >= 1, "a counter that was just incremented reads {now}")
        }
    }

    /// A client that reads the counters and checks that each one never goes down.
    fn reader(id: u32, reads: chan<- ReadOp, wg: WaitGroup) {
        defer wg.done()
        resp := make(chan i64)
        last := [0i64; KEYS as usize]
        for i in 0..READS_EACH {
            key := (id * 7 + i) % KEYS
            reads <- ReadOp { key, resp: resp.sender() }
            v := <-resp
            prev := last[key as usize]
            assert!(v >= prev, "counter {key} went down from {prev} to {v}")
            last[key as usize] = v
        }
    }
}

#[gocsp::main]
fn main() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let reads: Chan<ReadOp> = make!(chan ReadOp);
    let writes: Chan<WriteOp> = make!(chan WriteOp);
    let owner = gocsp::spawn({
        let (reads, writes) = (reads.receiver(), writes.receiver());
        move || serve(ctx, reads, writes)
    });

    let wg = WaitGroup::new();
    for id in 0..WRITERS {
        wg.add(1);
        go!(writer(id, writes.sender(), wg.clone()));
    }
    for id in 0..READERS {
        wg.add(1);
        go!(reader(id, reads.sender(), wg.clone()));
    }
    wg.wait();
    println!(
        "{WRITERS} writers added 1 to {KEYS} counters {WRITES_EACH} times each; \
         {READERS} readers read {READS_EACH} times each and never saw a counter go down"
    );

    // A last round of reads, through the same channels as everyone else.
    let resp = make!(chan i64);
    let mut total = 0;
    for key in 0..KEYS {
        reads.send(ReadOp {
            key,
            resp: resp.sender(),
        });
        let v = resp.recv().expect("the owner always replies");
        println!("counter {key} = {v}");
        assert_eq!(v, i64::from(WRITERS * WRITES_EACH / KEYS), "counter {key}");
        total += v;
    }
    assert_eq!(total, i64::from(WRITERS * WRITES_EACH));

    cancel();
    let served = owner.join().expect("the owner does not panic");
    println!(
        "the owner served {} reads and {} writes, then stopped on ctx.done(); total {total}",
        served.reads, served.writes
    );
    assert_eq!(served.reads, (READERS * READS_EACH + KEYS) as usize);
    assert_eq!(served.writes, (WRITERS * WRITES_EACH) as usize);
    assert_eq!(served.state.values().sum::<i64>(), total);
    println!("ok: no lock, no lost update");
}
