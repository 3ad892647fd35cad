use gocsp::prelude::*;

go_syntax! {
    fn produce(out: <-chan i32) {
        out <- 1
    }
}

fn main() {}
