use gocsp::prelude::*;

go_syntax! {
    fn count() -> i32 {
        n := 0
        n++
        n
    }
}

fn main() {}
