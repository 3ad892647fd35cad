use gocsp::prelude::*;
use std::rc::Rc;

fn show(n: Rc<i32>) {
    println!("{n}");
}

fn main() {
    let shared = Rc::new(1);
    go!(show(shared.clone()));
}
