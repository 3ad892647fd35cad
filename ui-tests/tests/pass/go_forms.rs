//! `go!` in its three forms: call (arguments and receiver evaluated in the caller), closure,
//! block (moves its captures; Go's `<-` statements work inside).
use gocsp::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn worker(id: u32, results: Sender<u32>) {
    results.send(id * 10);
}

struct Counter {
    out: Sender<u32>,
}

impl Counter {
    fn report(&self, n: u32) {
        self.out.send(n);
    }
}

fn main() {
    // Call form: `results.sender()` is evaluated now; `results` itself stays here.
    let results = make!(chan u32, 8);
    go!(worker(1, results.sender()));

    // The arguments are evaluated before `go!` returns, in the caller, as in Go.
    let evaluated = Arc::new(AtomicUsize::new(0));
    let seen = evaluated.clone();
    let mark = move || {
        seen.fetch_add(1, Ordering::SeqCst);
        2
    };
    go!(worker(mark(), results.sender()));
    assert_eq!(
        evaluated.load(Ordering::SeqCst),
        1,
        "argument evaluated in the caller"
    );

    // Method call form: the receiver is evaluated (moved) now.
    let c = Counter {
        out: results.sender(),
    };
    go!(c.report(30));

    // A receive in the arguments happens in the caller too.
    let src = make!(chan u32, 1);
    src.send(4);
    go!(worker(<-src, results.sender()));
    assert_eq!(src.len(), 0, "`<-src` ran before go! returned");

    // Closure form.
    let tx = results.sender();
    go!(move || tx.send(50));

    // Block form, with Go's send statement.
    let tx = results.sender();
    go! {
        let n = 60;
        tx <- n
    }

    // A call with a trailing `;` is a block: it runs entirely in the goroutine.
    let tx = results.sender();
    go! { tx.send(70); }

    let mut got: Vec<u32> = (0..7).map(|_| results.recv().unwrap()).collect();
    got.sort();
    assert_eq!(got, [10, 20, 30, 40, 50, 60, 70]);

    // Go's receive statements in a block.
    let done = make! { chan () };
    let ping = make!(chan i32);
    let (d, p) = (done.clone(), ping.clone());
    go! {
        v := <-p
        assert_eq!(v, 7);
        d <- ()
    }
    ping.send(7);
    done.recv();
}
