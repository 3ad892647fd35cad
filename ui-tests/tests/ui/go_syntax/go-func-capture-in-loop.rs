use gocsp::prelude::*;

go_syntax! {
    fn start(n usize, out chan<- String) {
        prefix := String::from("worker")
        for i in 0..n {
            go func() {
                out <- format!("{} {}", prefix, i)
            }()
        }
    }
}

fn main() {}
