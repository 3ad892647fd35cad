//! Expansions add no warnings to the user's code: this file compiles with `deny(warnings)`
//! (and clippy's defaults) over every arm style and expansion path of `select!`, the forms
//! of `go!`, and the Go statements of `go_syntax!`.
#![deny(warnings)]
use gocsp::prelude::*;

struct Counter {
    out: Sender<u32>,
}

impl Counter {
    fn report(&self, n: u32) {
        self.out.send(n);
    }
}

fn worker(id: u32, out: Sender<u32>) {
    out.send(id);
}

go_syntax! {
    fn pump(src <-chan u32, dst chan<- u32) {
        for v := range src {
            dst <- v * 2
        }
        close(dst)
    }

    fn pick(a <-chan u32, b <-chan u32) -> u32 {
        select {
        case v := <-a:
            v
        case v := <-b:
            v + 1
        default:
            0
        }
    }

    fn drain(a <-chan u32, quit <-chan bool) -> u32 {
        n := 0
        for {
            select {
            case v, ok := <-a:
                if !ok {
                    return n
                }
                if v == 0 {
                    continue
                }
                if v == 1 {
                    break
                }
                n += v
            case <-quit:
                return n
            }
        }
    }

    fn spawn_all(out chan<- u32) {
        done := make(chan bool)
        go func(d chan<- bool, o chan<- u32) {
            o <- 7
            d <- true
        }(done, out.clone())
        <-done
        defer close(out)
    }
}

fn main() {
    let a: Chan<u32> = make!(chan u32, 8);
    let b: Chan<u32> = make!(chan u32, 8);
    let out: Chan<u32> = make!(chan u32, 16);

    // Every expansion path of `select!` with block bodies ending in an expression.
    a.send(1);
    let v = select! {
        v = <-a => { v }
        default => { 0 }
    };
    assert_eq!(v, 1);
    let v = select! {
        out <- 3 => { 3 }
        default => { 0 }
    };
    assert_eq!(v, 3);
    b.send(2);
    let v = select! {
        v = <-a => { v }
        v = <-b => { v }
    };
    assert_eq!(v, 2);
    let v = select! {
        v = <-a => { v }
        out <- 4 => { 4 }
        default => { 0 }
    };
    assert_eq!(v, 4);
    b.send(5);
    let v = select! {
        Some(v) = <-a => { v }
        Some(v) = <-b => { v }
    };
    assert_eq!(v, 5);
    let v = select! {
        Some(v) = <-a => { v }
        v, ok = <-b => { if ok { v } else { 1 } }
        default => { 6 }
    };
    assert_eq!(v, 6);
    select! {
    case v := <-a:
        out <- v
    default:
    }

    // `go!` forms, parenthesized ones included.
    let done: Chan<u32> = make!(chan u32, 8);
    go!(worker(1, done.sender()));
    go!((worker)(2, done.sender()));
    let tx = done.sender();
    go!((move |n: u32| tx.send(n))(3));
    let c = Counter {
        out: done.sender(),
    };
    go!((c).report(4));
    let tx = done.sender();
    go!(move || tx.send(5));
    let tx = done.sender();
    go! {
        tx <- 6
    }
    let mut got: Vec<u32> = (0..6).map(|_| done.recv().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3, 4, 5, 6]);

    let src: Chan<u32> = make!(chan u32, 2);
    let dst: Chan<u32> = make!(chan u32, 2);
    src.send(1);
    src.close();
    go!(pump(src.receiver(), dst.sender()));
    assert_eq!(dst.recv(), Some(2));

    let a2: Chan<u32> = make!(chan u32, 4);
    assert_eq!(pick(a2.receiver(), a2.receiver()), 0);
    for v in [2, 0, 1, 3] {
        a2.send(v);
    }
    a2.close();
    let quit: Chan<bool> = make!(chan bool, 1);
    assert_eq!(drain(a2.receiver(), quit.receiver()), 5);
    let sink: Chan<u32> = make!(chan u32, 1);
    spawn_all(sink.sender());
    assert_eq!(sink.recv(), Some(7));
    assert_eq!(sink.recv(), None);
}
