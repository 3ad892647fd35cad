use gocsp::prelude::*;

go_syntax! {
    fn make_adder() {
        add := func(a, b i32) i32 { a + b }
    }
}

fn main() {}
