//! `select!` evaluates every channel operand and send value once, in source order, on entry;
//! exactly one case commits; the value of a send case that loses is dropped, never sent.
use gocsp::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

struct Tracked(Rc<RefCell<Vec<&'static str>>>, &'static str);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

fn main() {
    let order = RefCell::new(Vec::new());
    let a: Chan<i32> = make!(chan i32, 1);
    let b: Chan<i32> = make!(chan i32, 1);
    let c: Chan<i32> = make!(chan i32, 1);
    let chan = |name: &'static str, ch: &Chan<i32>| {
        order.borrow_mut().push(name);
        ch.clone()
    };
    let value = |name: &'static str, v: i32| {
        order.borrow_mut().push(name);
        v
    };
    c.send(3);
    let chosen = select! {
        v = <-chan("a", &a) => panic!("a is empty, got {v}"),
        chan("b", &b) <- value("b value", 2) => "send b",
        v = <-chan("c", &c) => { assert_eq!(v, 3); "receive c" }
    };
    assert_eq!(*order.borrow(), ["a", "b", "b value", "c"]);
    // Exactly one case committed: the send on b, or the receive from c.
    match chosen {
        "send b" => assert_eq!((b.len(), c.len()), (1, 1)),
        _ => assert_eq!((b.len(), c.len()), (0, 0)),
    }

    // A send value whose case loses is dropped (not sent).
    let drops = Rc::new(RefCell::new(Vec::new()));
    let unbuffered: Chan<Tracked> = make!(chan Tracked);
    let ready: Chan<i32> = make!(chan i32, 1);
    ready.send(1);
    select! {
        unbuffered <- Tracked(drops.clone(), "loser") => panic!("nobody receives"),
        <-ready => drops.borrow_mut().push("arm ran"),
    }
    assert_eq!(*drops.borrow(), ["loser", "arm ran"]);
    assert_eq!(unbuffered.len(), 0);
}
