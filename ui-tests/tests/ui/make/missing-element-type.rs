use gocsp::prelude::*;

fn main() {
    let ch = make!(chan);
}
