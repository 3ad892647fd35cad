use gocsp::prelude::*;

fn main() {
    go!();
}
