use gocsp::prelude::*;

fn main() {
    defer!();
}
