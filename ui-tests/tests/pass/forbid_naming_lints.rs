//! A crate that forbids the naming lints can still use the macros' channel operations: the
//! type that carries a variable's name into a direction error is spanned inside the
//! expansion, so it needs no `allow` (an `allow` under `forbid` is an error).
#![forbid(non_camel_case_types, non_snake_case, dead_code)]
use gocsp::prelude::*;

go_syntax! {
    fn relay(input <-chan i32, out chan<- i32) {
        for v := range input {
            out <- v * 2
        }
        close(out)
    }
}

fn main() {
    let a: Chan<i32> = Chan::new(2);
    let b: Chan<i32> = Chan::new(2);
    a.send(1);
    a.send(2);
    a.close();
    relay(a.receiver(), b.sender());
    let rx = b.receiver();
    let first = select! {
        v = <-rx => v,
    };
    assert_eq!(first, 2);
    assert_eq!(rx.recv(), Some(4));
    assert_eq!(rx.recv(), None);
}
