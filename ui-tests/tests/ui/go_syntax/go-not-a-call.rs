use gocsp::prelude::*;

go_syntax! {
    fn start() {
        go 42
    }
}

fn main() {}
