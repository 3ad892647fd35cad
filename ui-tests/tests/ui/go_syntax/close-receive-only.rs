use gocsp::prelude::*;

go_syntax! {
    fn finish(input: <-chan i32) {
        close(input)
    }
}

fn main() {}
