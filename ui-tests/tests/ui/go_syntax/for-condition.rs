use gocsp::prelude::*;

go_syntax! {
    fn count() {
        n := 0
        for n < 3 {
            n += 1
        }
    }
}

fn main() {}
