use gocsp::prelude::*;

go_syntax! {
    fn feed(out: <-chan i32, quit: <-chan ()) {
        select {
        case out <- 1:
        case <-quit:
        }
    }
}

fn main() {}
