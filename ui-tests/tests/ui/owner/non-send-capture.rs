use gocsp::prelude::*;
use std::rc::Rc;

#[owner]
fn numbers(start: Rc<u32>, out: Sender<u32>) {
    out.send(*start);
}

fn main() {
    let _ = numbers(Rc::new(1));
}
