use gocsp::prelude::*;
use std::rc::Rc;

go_syntax! {
    fn show(n: Rc<i32>) {
        println!("{n}")
    }

    fn start() {
        shared := Rc::new(1)
        go show(shared)
    }
}

fn main() {}
