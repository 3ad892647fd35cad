use gocsp::prelude::*;

go_syntax! {
    fn pair() -> i32 {
        x, y := 1
        x + y
    }
}

fn main() {
    pair();
}
