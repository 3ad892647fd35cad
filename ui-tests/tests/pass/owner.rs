//! `#[owner]`: the function drops its `Sender<T>` parameter, runs its body as a goroutine that
//! owns the channel, closes it when the body ends, and returns the `Receiver<T>`.
use gocsp::prelude::*;
use std::fmt::Display;

#[owner]
fn count_to(n: u32, out: Sender<u32>) {
    for i in 1..=n {
        out.send(i);
    }
}

#[owner(buffer = 4)]
fn squares(from: u32, to: u32, out: Sender<u32>) {
    for i in from..to {
        out.send(i * i);
    }
}

#[owner]
fn labelled<T: Display + Send + 'static>(
    items: Vec<T>,
    label: impl Display + Send + 'static,
    out: Sender<String>,
) {
    for item in items {
        out.send(format!("{label}{item}"));
    }
}

#[owner(buffer = 1)]
fn generic<T: Clone + Send + 'static>(item: T, times: usize, mut out: Sender<T>) {
    for _ in 0..times {
        out.send(item.clone());
    }
    out = Sender::default();
    drop(out);
}

mod rt {
    pub use gocsp::*;
}

#[owner(crate = rt)]
fn via_reexport(out: rt::Sender<u8>) {
    out.send(1);
}

fn main() {
    let numbers: Receiver<u32> = count_to(3);
    assert_eq!(numbers.iter().collect::<Vec<_>>(), [1, 2, 3]);

    let sq = squares(1, 4);
    assert_eq!(sq.cap(), 4);
    assert_eq!(sq.iter().collect::<Vec<_>>(), [1, 4, 9]);

    let l = labelled(vec![1, 2], "#");
    assert_eq!(l.iter().collect::<Vec<_>>(), ["#1", "#2"]);

    let g = generic('x', 2);
    assert_eq!(g.iter().collect::<String>(), "xx");

    // The channel is closed once the body ends: a receive then gets `None`.
    let r = via_reexport();
    assert_eq!(r.recv(), Some(1));
    assert_eq!(r.recv(), None);
}
