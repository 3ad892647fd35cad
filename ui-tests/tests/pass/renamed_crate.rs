//! The macros name the runtime through `$crate`, so they work through a re-export.
mod rt {
    pub use gocsp::{Chan, Sender, go, make, select};
}

fn main() {
    let ch: rt::Chan<i32> = rt::make!(chan i32, 1);
    let tx: rt::Sender<i32> = ch.sender();
    rt::go!(move || tx.send(3));
    let v = rt::select! {
        v = <-ch => v,
    };
    assert_eq!(v, 3);
}
