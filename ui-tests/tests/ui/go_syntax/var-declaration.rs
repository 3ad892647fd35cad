use gocsp::prelude::*;

go_syntax! {
    fn count() -> i32 {
        var n i32 = 3
        n
    }
}

fn main() {}
