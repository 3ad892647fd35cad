use gocsp::prelude::*;

fn main() {
    let v = make!(Vec<i32>, 4);
}
