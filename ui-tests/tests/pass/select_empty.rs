//! `select! {}` blocks forever, as Go's `select {}`: its type is `!`.
use gocsp::prelude::*;

fn park_forever() -> ! {
    select! {}
}

fn main() {
    let started: Chan<()> = make! { chan (), 1 };
    let s = started.clone();
    go!(move || {
        s.send(());
        park_forever()
    });
    started.recv();
    // A select with only `default` runs it.
    let v = select! { default => 5 };
    assert_eq!(v, 5);
}
