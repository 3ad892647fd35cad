use gocsp::prelude::*;

fn show(s: &str) {
    println!("{s}");
}

fn main() {
    let name = String::from("gopher");
    go!(show(&name));
}
