use gocsp::prelude::*;

go_syntax! {
    fn buffer() {
        buf := make([]i32, 4)
    }
}

fn main() {}
