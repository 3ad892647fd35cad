use gocsp::prelude::*;

#[owner]
fn numbers(n: u32) {
    println!("{n}");
}

fn main() {}
