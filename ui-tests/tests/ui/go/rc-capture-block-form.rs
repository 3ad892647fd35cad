use gocsp::prelude::*;
use std::rc::Rc;

fn main() {
    let shared = Rc::new(1);
    go! {
        println!("{shared}");
    }
}
