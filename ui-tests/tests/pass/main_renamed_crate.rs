//! `#[gocsp::main]` through a re-export of the whole crate (or a renamed dependency):
//! `crate = path` names the runtime.
mod rt {
    pub use gocsp::*;
}

#[rt::main(crate = crate::rt)]
fn main() {
    let ch: rt::Chan<bool> = rt::Chan::new(1);
    let tx = ch.sender();
    rt::go(move || tx.send(rt::goroutine_id().is_some()));
    assert_eq!(ch.recv(), Some(true));
    assert!(rt::goroutine_id().is_some());
}
